"""One scan, end to end: read the APK (or SDK package: AAR, JAR), detect, judge, assemble the report.

`scan_path` is the single entry point used by the CLI, the batch executor and the platform's worker.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from hegui import __version__
from hegui.errors import InputError
from hegui.report.header import ReportHeader
from hegui.report.model import InputInfo, Report, Tool


@dataclass(frozen=True, slots=True)
class ScanOptions:
    policy: str | None = None          # --policy FILE_OR_URL
    trace: Path | None = None          # --trace FILE (JSON Lines, CONTRACT.md)
    category: int | None = None        # --category APP_TYPE_ID (1..39)
    listing: Path | None = None        # --listing FILE (store page: JSON or YAML, hegui.listing.reader)
    fetch_policy: bool = False         # --fetch-policy: download a policy URL found in the APK (public hosts only)
    time_budget_s: float = 60.0
    memory_budget_mb: int = 1024
    report_header: ReportHeader | None = None  # --report-header: heads every HTML/PDF report of the run


def file_digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def scan_path(path: Path, options: ScanOptions | None = None) -> Report:
    """Scan one input. Raises `InputError` (one-line reason) when nothing at all can be read."""
    options = options or ScanOptions()
    if not path.exists():
        raise InputError("no such file")
    if not path.is_file():
        raise InputError("not a regular file")
    sha256, size = file_digest(path)
    report = Report(tool=Tool(version=__version__), input=InputInfo(path=str(path), sha256=sha256, size=size))
    # the static pipeline; imported late to keep the CLI start fast
    from hegui.analysis import analyse_package

    analyse_package(path, report, options)
    return report
