"""What one scan is asked to do: the options a user names on the command line, the batch engine or the platform
passes to every scan. Kept below `analysis` and `pipeline` so both take it typed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hegui.report.header import ReportHeader


@dataclass(frozen=True, slots=True)
class ScanOptions:
    policy: str | None = None          # --policy FILE_OR_URL
    trace: Path | None = None          # --trace FILE (JSON Lines, CONTRACT.md)
    category: int | None = None        # --category APP_TYPE_ID (1..39)
    listing: Path | None = None        # --listing FILE (store page: JSON or YAML, hegui.listing.reader)
    fetch_policy: bool = False         # --fetch-policy: download a policy URL found in the APK (public hosts only)
    appid: str | None = None           # --appid: decrypts a PC-encrypted ("V1MMWX") wxapkg
    time_budget_s: float = 60.0
    memory_budget_mb: int = 1024
    report_header: ReportHeader | None = None  # --report-header: heads every HTML/PDF report of the run
