"""Platform settings: where the database and uploaded files live, and the limits that protect the server."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_UPLOAD_MB = 300
# Idle keep-alive connections are closed by the server after this long. It must exceed every client's and proxy's
# own idle-pool time (httpx 5 s, aiohttp 15 s, nginx upstream keepalive_timeout 60 s): with uvicorn's default of
# 5 s, a client reusing a connection idle for ~5 s races the server's close and gets a connection reset.
DEFAULT_KEEP_ALIVE_S = 75
# A running scan is its server's for this long unless renewed (every third of it); a killed server's scans are
# taken over by another server after this. Longer: slower recovery; shorter: more renewals, and a server that
# cannot reach the database for this long loses its scans.
DEFAULT_SCAN_LEASE_S = 60.0
MIN_SCAN_LEASE_S = 0.5


def default_data_dir() -> Path:
    return Path(os.environ.get("HEGUI_DATA_DIR") or Path.home() / ".local" / "share" / "hegui")


def default_db_url(data_dir: Path) -> str:
    return os.environ.get("HEGUI_DB") or f"sqlite:///{data_dir / 'hegui.sqlite3'}"


def _seconds(text: str | None, default: float, least: float, name: str) -> float:
    """A duration from the environment; ValueError (one line) when it is not a number of at least `least`."""
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {text[:40]!r}") from None
    if not value >= least:  # also refuses NaN
        raise ValueError(f"{name} must be at least {least:g} seconds")
    return value


def _today() -> dt.date:
    return dt.date.today()


@dataclass(slots=True)
class Settings:
    db_url: str
    data_dir: Path
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    scan_workers: int = 2               # child processes scanning at once
    request_threads: int = 40           # threads serving requests (each holds at most one DB connection)
    scan_timeout_s: float = 600.0       # wall-clock limit of one scan child
    scan_memory_mb: int = 3072          # address-space limit of one scan child
    max_scan_attempts: int = 3          # a scan that keeps dying is failed after this many starts
    scan_lease_s: float = DEFAULT_SCAN_LEASE_S
    keep_alive_s: int = DEFAULT_KEEP_ALIVE_S
    session_hours: int = 12
    secure_cookies: bool = False        # set when served behind HTTPS
    start_worker: bool = True
    today: Callable[[], dt.date] = field(default=_today)  # injectable clock for deadlines
    holidays_file: Path | None = None   # operator's holiday schedules for years chinese-calendar lacks (workdays.py)
    fetch_policy: bool = False          # scans download a policy URL found in the APK (public addresses only)

    @classmethod
    def from_env(cls, db_url: str | None = None, data_dir: Path | None = None) -> Settings:
        data = data_dir or default_data_dir()
        max_mb = int(os.environ.get("HEGUI_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB))
        holidays = os.environ.get("HEGUI_HOLIDAYS")
        lease = _seconds(os.environ.get("HEGUI_SCAN_LEASE_S"), DEFAULT_SCAN_LEASE_S, MIN_SCAN_LEASE_S,
                         "HEGUI_SCAN_LEASE_S")
        return cls(db_url=db_url or default_db_url(data), data_dir=data, max_upload_bytes=max_mb * 1024 * 1024,
                   holidays_file=Path(holidays) if holidays else None, scan_lease_s=lease,
                   fetch_policy=os.environ.get("HEGUI_FETCH_POLICY", "") == "1")

    @property
    def pool_size(self) -> int:
        return self.request_threads + self.scan_workers + 2

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def result_dir(self) -> Path:
        return self.data_dir / "results"
