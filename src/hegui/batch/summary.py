"""The whole batch at a glance: ``summary.json``, ``sdk_prevalence.csv`` and ``findings_by_rule.csv``.

Computed from the index alone (not from the report files), so a batch of 400,000 apps summarises in
seconds and a resumed batch summarises everything it has ever finished. Status counts are per input
(path); SDK prevalence and rule counts are per distinct app content (sha256), so a file present twice in
the tree does not count twice. CSVs are UTF-8 with a BOM: Excel then opens the Chinese names correctly.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hegui import __version__
from hegui.batch.index import IndexLine
from hegui.batch.isolate import SdkSeen
from hegui.report.cells import neutralise_formula
from hegui.report.model import SEVERITY_ORDER

SUMMARY_NAME = "summary.json"
SDK_CSV_NAME = "sdk_prevalence.csv"
RULES_CSV_NAME = "findings_by_rule.csv"
TOP_N = 20

SEVERITY_NAMES = {v: k for k, v in SEVERITY_ORDER.items()}


@dataclass(frozen=True, slots=True)
class SummaryFiles:
    summary: Path
    sdk_csv: Path
    rules_csv: Path
    data: dict[str, Any] = field(default_factory=dict)  # what summary.json holds


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _csv_bytes(header: list[str], rows: Iterable[list[object]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise_formula(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def _sdk_catalog_names() -> dict[str, SdkSeen]:
    """Display names from hegui's SDK knowledge, when that module is present."""
    try:
        from hegui.detect.sdks import sdk_catalog
    except ImportError:
        return {}
    out: dict[str, SdkSeen] = {}
    with contextlib.suppress(Exception):  # a broken knowledge file must not cost the batch its summary
        for sdk_id, info in sdk_catalog().items():
            out[sdk_id] = SdkSeen(sdk_id, info.name, info.company, info.category)
    return out


def _previous_sdk_names(summary_path: Path) -> dict[str, SdkSeen]:
    """Names an earlier run of this batch wrote (SDKs seen only before a resume)."""
    try:
        data = json.loads(summary_path.read_text(encoding="utf-8"))
        return {e["id"]: SdkSeen(e["id"], e["name"], e.get("company"), e.get("category"))
                for e in data.get("sdk_prevalence", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _rule_titles() -> dict[str, Any]:
    from hegui.knowledge import rulebook

    return rulebook()


def summarise(lines: Iterable[IndexLine], sdk_names: Mapping[str, SdkSeen]) -> dict[str, Any]:
    """Aggregate the latest line of every input in one pass (the index may be very large)."""
    inputs = 0
    by_status: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    seen_content: set[str] = set()
    by_severity: Counter[str] = Counter()
    sdk_apps: Counter[str] = Counter()
    rule_apps: Counter[str] = Counter()
    rule_findings: Counter[str] = Counter()
    seconds_total = 0.0
    for line in lines:
        inputs += 1
        by_status[line.status] += 1
        seconds_total += line.seconds
        if line.status == "failed":
            failures[line.error or "unknown"] += 1
            continue
        content = line.sha256 or line.path
        if content in seen_content:
            continue
        seen_content.add(content)
        by_severity[line.max_severity or "none"] += 1
        sdk_apps.update(set(line.sdks))
        for rule_id, count in line.rules.items():
            rule_apps[rule_id] += 1
            rule_findings[rule_id] += count
    apps = len(seen_content)

    book = _rule_titles()
    rules = []
    for rule_id, n_apps in sorted(rule_apps.items(), key=lambda kv: (-kv[1], kv[0])):
        info = book.get(rule_id)
        rules.append({
            "rule_id": rule_id, "title_zh": info.title_zh if info else "", "title_en": info.title_en if info else "",
            "severity": info.severity if info else None, "apps": n_apps, "findings": rule_findings[rule_id],
            "share": round(n_apps / apps, 4) if apps else 0.0,
        })
    sdks = []
    for sdk_id, n_apps in sorted(sdk_apps.items(), key=lambda kv: (-kv[1], kv[0])):
        seen = sdk_names.get(sdk_id)
        sdks.append({
            "id": sdk_id, "name": seen.name if seen else sdk_id, "company": seen.company if seen else None,
            "category": seen.category if seen else None, "apps": n_apps,
            "share": round(n_apps / apps, 4) if apps else 0.0,
        })
    return {
        "tool": {"name": "hegui", "version": __version__},
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": inputs,
        "by_status": {"done": by_status.get("done", 0), "failed": by_status.get("failed", 0)},
        "apps": apps,
        "apps_by_max_severity": {name: by_severity.get(name, 0) for name in ("none", *SEVERITY_ORDER)},
        "scan_seconds": {"total": round(seconds_total, 3),
                         "mean": round(seconds_total / inputs, 3) if inputs else 0.0},
        "top_failure_reasons": [{"error": err, "inputs": n} for err, n in failures.most_common(TOP_N)],
        "top_findings": rules[:TOP_N],
        "findings_by_rule": rules,
        "sdk_prevalence": sdks,
    }


def write_summary(output_dir: Path, lines: Iterable[IndexLine], seen_this_run: Mapping[str, SdkSeen]) -> SummaryFiles:
    summary_path = output_dir / SUMMARY_NAME
    names = {**_previous_sdk_names(summary_path), **_sdk_catalog_names(), **seen_this_run}
    data = summarise(lines, names)
    files = SummaryFiles(summary_path, output_dir / SDK_CSV_NAME, output_dir / RULES_CSV_NAME, data)
    _write_atomic(files.summary, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
    _write_atomic(files.sdk_csv, _csv_bytes(
        ["sdk_id", "name", "company", "category", "apps", "share"],
        ([s["id"], s["name"], s["company"] or "", s["category"] or "", s["apps"], s["share"]]
         for s in data["sdk_prevalence"]),
    ))
    _write_atomic(files.rules_csv, _csv_bytes(
        ["rule_id", "title_zh", "title_en", "severity", "apps", "findings", "share"],
        ([r["rule_id"], r["title_zh"], r["title_en"], r["severity"] or "", r["apps"], r["findings"], r["share"]]
         for r in data["findings_by_rule"]),
    ))
    return files


INDEX_PAGE_NAME = "index.html"


def write_index_page(output_dir: Path, lines: Iterable[IndexLine], summary: Mapping[str, Any]) -> Path:
    """index.html beside the HTML reports of a batch: one row per input, linked to its report."""
    from hegui.report.batch_page import BatchRow, render_batch_index

    rows = [BatchRow(path=line.path, status=line.status, error=line.error, findings=line.findings,
                     max_severity=line.max_severity,
                     html_report=next((r for r in [*line.reports, line.report or ""] if r.endswith(".html")), None),
                     sdks=len(line.sdks))
            for line in lines]
    path = output_dir / INDEX_PAGE_NAME
    _write_atomic(path, render_batch_index(rows, summary).encode("utf-8"))
    return path
