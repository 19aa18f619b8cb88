"""hegui on the 20 real Chinese APKs of ../shared/corpus/github-cn-apks, against their independent ground truth.

Prints, per app and in total: SDK recall and precision against the `sdk_ground_truth` column of
ground_truth.tsv, the critical/high findings, and how many of those rest only on platform-library call sites
(AndroidX, support library, Kotlin, Material: subject ``platform:<id>``) — the issue-9 target is 0.

    PYTHONPATH=src python benchmarks/real_apps.py [--corpus DIR] [--findings]

``--findings`` also lists every critical/high finding with its first evidence line, for reading in the smali.
The ground-truth names are the annotator's; `GT_TO_HEGUI` maps each to the hegui SDK ids that stand for it
(tests/sdk/test_ground_truth_sdks.py uses the same mapping and parser).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "github-cn-apks"

# ground-truth SDK name -> hegui SDK ids that identify it (any one of them counts as found; all of them are
# allowed in the output). Where the annotator counted several hegui SDKs under one name, the set says so.
GT_TO_HEGUI: dict[str, frozenset[str]] = {name: frozenset(ids) for name, ids in {
    "alipay": {"alipay"},
    "utdid": {"utdid"},
    "mob_core": {"mob"},
    "mob_sharerec": {"mob_sharerec"},
    "mob_sharesdk": {"sharesdk"},
    "mob_smssdk": {"mob_smssdk"},
    "weibo": {"weibo"},
    # HMS SDK 2.x's base module ships AppGallery's update SDK (com.huawei.updatesdk); the annotator counted it
    # under huawei_hms, hegui names it on its own
    "huawei_hms": {"huawei_hms", "huawei_update"},
    "huawei_push": {"huawei_push"},
    "leakcanary": {"leakcanary"},
    "tencent_gsdk_mid": {"tencent_mta"},  # com.tencent.mid: the MID device id of Tencent's MTA
    "xg_push": {"tencent_tpns"},
    "xiaomi_push": {"xiaomi_push"},
    "baidu_aip": {"baidu_ocr"},
    "baidu_lbs_common": {"baidu_lbs_common"},
    "baidu_location": {"baidu_location"},
    "baidu_map": {"baidu_map"},
    "wechat": {"wechat_opensdk"},
    "youdao": {"youdao_ocr"},
    "bmob": {"bmob"},
}.items()}
_GT_NAME = re.compile(r"\s*([a-z0-9_]+)\s*(?:\(|$)")


def ground_truth_sdks(cell: str) -> list[str]:
    """``mob_core(213 classes, 3 manifest comps); weibo(6 classes)`` → ``["mob_core", "weibo"]``; ``none (…)`` → []."""
    if cell.strip().startswith("none"):
        return []
    names = []
    for part in cell.split(";"):
        m = _GT_NAME.match(part)
        if m is None:
            raise ValueError(f"unreadable ground-truth entry {part!r}")
        names.append(m.group(1))
    return names


def read_ground_truth(corpus: Path) -> list[dict[str, str]]:
    with (corpus / "ground_truth.tsv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@dataclass
class SdkScore:
    expected: list[str]                 # ground-truth names
    found: set[str]                     # hegui SDK ids with code in the APK (development libraries included)
    missed: list[str] = field(default_factory=list)   # ground-truth names no mapped id was found for
    extra: list[str] = field(default_factory=list)    # hegui ids no ground-truth name maps to

    reported: set[str] = field(default_factory=set)   # what precision is computed over

    @property
    def true_positives(self) -> int:
        return len(self.expected) - len(self.missed)


def score_sdks(expected: list[str], found: set[str], libraries: set[str]) -> SdkScore:
    """Recall over ground-truth names; precision over what hegui reports (``found``), where a development
    library (``libraries``, identified only on request) counts only when the ground truth names it."""
    score = SdkScore(expected=expected, found=found)
    allowed: set[str] = set()
    for name in expected:
        ids = GT_TO_HEGUI.get(name)
        if ids is None:
            raise KeyError(f"ground-truth SDK {name!r} has no hegui mapping in GT_TO_HEGUI")
        allowed |= ids
        if not ids & found:
            score.missed.append(name)
    score.reported = {i for i in found if i not in libraries or i in allowed}
    score.extra = sorted(score.reported - allowed)
    return score


def found_sdks(apk: Path) -> tuple[set[str], set[str], object]:
    """(SDK ids with code present, development-library ids present, the report) for one APK."""
    from hegui.detect.sdks import identify_sdks, sdk_catalog
    from hegui.pipeline import scan_path

    report = scan_path(apk)
    present = {s.id for s in report.sdks if not s.declared_only}
    catalog = sdk_catalog()
    libraries = {m.id for m in identify_sdks(_class_names(apk), app_package=report.app.package, include_libraries=True)
                 if catalog[m.id].library}
    return present | libraries, libraries, report


def _class_names(apk: Path) -> list[str]:
    from hegui.apk import open_apk
    from hegui.dex import DexIndex, descriptor_to_java

    with open_apk(apk) as parsed:
        index = DexIndex.build((n, parsed.archive.read(n)) for n in parsed.dex_names)
    return [descriptor_to_java(d) for d in index.classes]


_CALLER = re.compile(r" called from ([\w.$]+)#")


def platform_only(finding, platform) -> bool:
    """The finding rests only on platform-library call sites: its subject is a platform library, or every call
    site its evidence names ("X called from a.b.C#m") is platform-library code whatever the subject says."""
    if finding.subject.startswith("platform:"):
        return True
    callers = [e.caller or m.group(1) for e in finding.evidence
               if e.kind == "call" and (m := _CALLER.search(e.detail)) is not None]
    return bool(callers) and all(platform.library_of(c) is not None for c in callers)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--findings", action="store_true", help="list every critical/high finding")
    args = ap.parse_args(argv)
    if not (args.corpus / "ground_truth.tsv").is_file():
        print(f"no ground_truth.tsv in {args.corpus}", file=sys.stderr)
        return 2
    from hegui.detect.platform import PlatformAttributor

    platform = PlatformAttributor()
    tp = expected_n = reported_n = extra_n = ch_total = ch_platform = 0
    print(f"{'app':34} {'recall':>6} {'prec':>5} {'crit/high':>9} {'platform-only':>13}  missed(-) / extra(+)")
    for row in read_ground_truth(args.corpus):
        expected = ground_truth_sdks(row["sdk_ground_truth"])
        found, libraries, report = found_sdks(args.corpus / "apks" / row["file"])
        s = score_sdks(expected, found, libraries)
        reported = len(s.reported)
        ch = [f for f in report.findings if f.severity in ("critical", "high")]
        plat = [f for f in ch if platform_only(f, platform)]
        tp, expected_n, reported_n, extra_n = tp + s.true_positives, expected_n + len(expected), \
            reported_n + reported, extra_n + len(s.extra)
        ch_total, ch_platform = ch_total + len(ch), ch_platform + len(plat)
        recall = s.true_positives / len(expected) if expected else 1.0
        precision = (reported - len(s.extra)) / reported if reported else 1.0
        notes = " ".join([*(f"-{m}" for m in s.missed), *(f"+{e}" for e in s.extra)])
        print(f"{row['file'][:34]:34} {recall:6.2f} {precision:5.2f} {len(ch):9d} {len(plat):13d}  {notes}")
        if args.findings:
            for f in ch:
                print(f"    {f.severity:8} {f.rule_id:36} {f.subject:26} {f.evidence[0].detail[:120]}")
    recall = tp / expected_n if expected_n else 1.0
    precision = (reported_n - extra_n) / reported_n if reported_n else 1.0
    print(f"{'TOTAL (' + str(expected_n) + ' ground-truth SDKs)':34} {recall:6.2f} {precision:5.2f} "
          f"{ch_total:9d} {ch_platform:13d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
