"""index.html of a batch folder: every input with its status and most severe finding, linked to its HTML report.

Paths and error messages come from the inputs (file names, URLs, APK-derived reasons): they reach the page only
through autoescaping. A link points only at a report file name the batch itself chose (`<sha256>.html`), never at
anything derived from the input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hegui.report.html import _environment
from hegui.report.render import SEVERITIES, SEVERITY_EN, SEVERITY_ZH

_REPORT_NAME = re.compile(r"[0-9a-f]{64}(?:-[0-9]+)?\.html")  # the names the batch writes, nothing else is linked
MAX_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class BatchRow:
    path: str
    status: str
    error: str | None
    findings: int
    max_severity: str | None
    html_report: str | None
    sdks: int


def render_batch_index(rows: Sequence[BatchRow], summary: Mapping[str, Any]) -> str:
    order = {s: i for i, s in enumerate(SEVERITIES)}
    shown = sorted(rows, key=lambda r: (r.status != "failed", order.get(r.max_severity or "", len(order)), r.path))
    views = [{**{k: getattr(r, k) for k in BatchRow.__slots__},
              "link": r.html_report if r.html_report and _REPORT_NAME.fullmatch(r.html_report) else None,
              "sev_zh": SEVERITY_ZH.get(r.max_severity or "", "无"), "sev_en": SEVERITY_EN.get(r.max_severity or "", "None")}
             for r in shown[:MAX_ROWS]]
    return _environment().get_template("batch_index.html.j2").render(
        rows=views, more=max(0, len(rows) - MAX_ROWS), summary=summary,
        severities=[{"id": s, "zh": SEVERITY_ZH[s], "en": SEVERITY_EN[s]} for s in SEVERITIES])
