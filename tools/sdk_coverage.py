"""Coverage check of hegui's SDK knowledge (src/hegui/knowledge/sdks.yaml) against public SDK lists.

For every signature in the corpus lists — the regulatory catalog's sdk_markers, DCloud's SDK table, LibChecker's
Chinese-labelled rules, every plain-prefix εxodus code signature and every AppScan prefix — a synthetic probe is
built (a class under the prefix, the component, the native library or the meta-data key) and handed to
`hegui.detect.sdks.identify_sdks`. A signature is covered when its probe is identified; for LibChecker and
εxodus the identified SDK (or an SDK it is part of) must also carry the list's name (as name or alias), so the
policy analyser can map it.

Usage: python3 tools/sdk_coverage.py [CORPUS_DIR]   (exit status 1 when something is not covered)
Tests import `coverage_report` and pin the deliberately skipped signatures.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hegui.detect.sdks import SdkInfo, ancestors, identify_sdks, sdk_catalog

PROBE_APP = "org.hegui.probe"  # the synthetic app's package: owns no SDK prefix
_ZH = re.compile(r"[\u4e00-\u9fff]")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_$-]*(\.[A-Za-z0-9_$-]+)*")


@dataclass(frozen=True)
class Signature:
    source: str      # catalog / dcloud / libchecker / exodus / appscan
    name: str        # SDK name in that source
    value: str       # the prefix, component, library or key as the source gives it


@dataclass
class CoverageReport:
    checked: int = 0
    uncovered: list[tuple[Signature, str]] = field(default_factory=list)  # (signature, why)
    skipped: list[tuple[Signature, str]] = field(default_factory=list)    # deliberately not matched, with reason


# Signatures hegui deliberately does not turn into identification rules, with the reason.
SKIPPED: dict[tuple[str, str], str] = {
    ("dcloud", "com.taobao"): "the whole Taobao namespace (ACCS push, Sophix, Weex…) is not one SDK; Weex is "
                              "identified by com.taobao.weex",
    ("dcloud", "com.baidu"): "the whole Baidu namespace is not one SDK; Baidu location/map are identified by "
                             "com.baidu.location / com.baidu.mapapi",
    ("dcloud", "engine.tuifish.com"): "a host name, not a package (推啊 lists no package)",
    ("exodus", "com.bytedance"): "the whole ByteDance namespace (AppLog, Douyin OpenSDK, ByteHook…) is not Pangle; "
                                 "Pangle is identified by com.bytedance.sdk.openadsdk / com.bytedance.pangle / com.pgl",
    ("exodus", ".LigatusManager"): "a class-name suffix, not a package prefix",
    ("exodus", ".LigatusViewClient"): "a class-name suffix, not a package prefix",
    ("exodus", ".S4MAnalytic"): "a class-name suffix, not a package prefix",
    ("exodus", ".sizmek."): "a package infix, not a prefix",
    ("exodus", ".schibsted."): "a package infix, not a prefix",
    ("exodus", ".tealium."): "a package infix, not a prefix",
    ("exodus", ".adswizz."): "a package infix, not a prefix",
    ("exodus", ".kochavaccpa."): "a package infix, not a prefix",
    ("exodus", "com.github.backtrace-labs."): "not a Java package (contains '-')",
    ("appscan", "com.huawei.intent.action.PUSH"): "an intent action, not a class, component or meta-data name",
    ("appscan", "com.huawei.intent.action.PUSH_STATE"): "an intent action, not a class, component or meta-data name",
    ("appscan", "com.facebook"): "the whole Facebook namespace (Fresco, React Native, SoLoader…) is not one SDK; "
                                 "the Facebook SDK parts are identified by their own prefixes",
}


def _carries_name(sdk_id: str, name: str) -> bool:
    """The SDK, or an SDK it is part of, is known under ``name`` (εxodus lumps HMS kits into one tracker)."""
    catalog = sdk_catalog()
    return any(_norm(name) in _names(catalog[i]) for i in (sdk_id, *ancestors(sdk_id)))


def _names(info: SdkInfo) -> set[str]:
    return {_norm(n) for n in (info.name_zh, info.name_en, *info.aliases)}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _probes(value: str, kind: str) -> list[dict[str, Any]]:
    """identify_sdks keyword arguments that should each recognise ``value``."""
    if kind == "native_lib":
        return [{"native_libs": [f"lib/arm64-v8a/{value.replace('(.*)', '1').replace(chr(92), '')}"]}]
    if kind == "component":
        concrete = value.replace("(.*)", "Probe")
        return [{"component_names": [concrete]}, {"component_names": [f"{PROBE_APP}.{concrete.lstrip('.')}"]}]
    probes: list[dict[str, Any]] = []
    stripped = value.replace("\\.", ".").replace(".(.*)", "").rstrip(".")
    if _DOTTED.fullmatch(stripped):
        probes.append({"class_names": [f"{stripped}.HeguiProbe"]})
        probes.append({"class_names": [stripped]})
    probes += [{"component_names": [value]}, {"component_names": [f"{PROBE_APP}.{value.lstrip('.')}"]},
               {"meta_data_keys": [value]}]
    return probes


def _identified(value: str, kind: str) -> list[str]:
    for kwargs in _probes(value, kind):
        kwargs.setdefault("class_names", [])
        found = identify_sdks(app_package=PROBE_APP, include_libraries=True, **kwargs)
        if found:
            return [m.id for m in found]
    return []


def _check(report: CoverageReport, sig: Signature, kind: str = "package", must_name: bool = False) -> None:
    report.checked += 1
    if (sig.source, sig.value) in SKIPPED:
        report.skipped.append((sig, SKIPPED[(sig.source, sig.value)]))
        return
    ids = _identified(sig.value, kind)
    if not ids:
        report.uncovered.append((sig, "not identified"))
    elif must_name and not any(_carries_name(i, sig.name) for i in ids):
        report.uncovered.append((sig, f"identified as {ids}, none named {sig.name!r}"))


def _catalog_markers(catalog: Any) -> list[str]:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "sdk_markers" and isinstance(value, list):
                    out.extend(v["prefix"] if isinstance(v, dict) else v for v in value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(catalog)
    return out


LIBCHECKER_KINDS = {"native_lib": "native_lib", "service": "component", "activity": "component",
                    "receiver": "component", "provider": "component", "dex_package": "package"}


def coverage_report(corpus: Path) -> CoverageReport:
    report = CoverageReport()
    catalog = yaml.safe_load((corpus.parent / "rules" / "catalog.yaml").read_text(encoding="utf-8"))
    for prefix in _catalog_markers(catalog):
        _check(report, Signature("catalog", prefix, prefix))

    for row in json.loads((corpus / "dcloud-sdk-list" / "sdk_table_extracted.json").read_text(encoding="utf-8")):
        raw = row.get("包名信息") or row.get("SDK包名/网址") or ""
        for value in (v.strip() for v in re.split(r"[、,，;]", raw)):
            if value:
                _check(report, Signature("dcloud", row["SDK名称"], value))

    with (corpus / "libchecker-rules" / "rules_db_export.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if _ZH.search(r["label"])]
    by_label: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_label.setdefault(r["label"], []).append(r)
    for label, label_rows in sorted(by_label.items()):
        # a label is covered when at least one of its rules identifies an SDK carrying the label
        report.checked += 1
        covered = False
        for r in label_rows:
            kind = "native_lib" if r["name"].endswith(".so") else LIBCHECKER_KINDS.get(r["type_guess"], "package")
            ids = _identified(r["name"], kind)
            if any(_carries_name(i, label) for i in ids):
                covered = True
                break
        if not covered:
            report.uncovered.append((Signature("libchecker", label, label_rows[0]["name"]), "no rule identifies it"))

    trackers = json.loads((corpus / "exodus-trackers" / "exodus_trackers.json").read_text(encoding="utf-8"))
    for tracker in trackers["trackers"].values():
        for value in filter(None, tracker["code_signature"].split("|")):
            _check(report, Signature("exodus", tracker["name"], value), must_name=True)

    with (corpus / "appscan-sdk" / "sdk_prefixes.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            _check(report, Signature("appscan", r["sdk_name"], r["package_prefix"].strip()))
    return report


def main(argv: list[str]) -> int:
    corpus = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "corpus"
    report = coverage_report(corpus)
    for sig, why in report.skipped:
        print(f"skipped   {sig.source:10} {sig.value}  ({sig.name}): {why}")
    for sig, why in report.uncovered:
        print(f"UNCOVERED {sig.source:10} {sig.value}  ({sig.name}): {why}")
    print(f"{report.checked} signatures checked, {len(report.skipped)} skipped, {len(report.uncovered)} uncovered")
    return 1 if report.uncovered else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
