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


def _count(text: str | None, default: int, name: str, least: int = 1) -> int:
    """A whole number of at least `least` from the environment; ValueError (one line) otherwise."""
    if text is None or not text.strip():
        return default
    if not text.strip().isdigit() or int(text) < least:
        raise ValueError(f"{name} must be a whole number of at least {least}, not {text[:40]!r}")
    return int(text)


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
    # Request admission (gate.py). Anonymous requests are counted per client address, authenticated ones per account.
    per_client_requests: int = 16       # requests of one client in flight at once; more answer 429
    anonymous_requests: int = 4         # public routes (login page, static files) share this many slots …
    anonymous_wait_s: float = 5.0       # … and wait at most this long for one (503 after)
    upload_requests: int = 8            # uploads in flight at once (of request_threads): slow ones cannot take all
    credential_cache_s: float = 5.0     # how long the gate trusts a token/session it looked up
    body_idle_s: float = 15.0           # a request body with no bytes for this long answers 408
    body_min_rate: int = 16 * 1024      # bytes per second a body must average …
    body_grace_s: float = 10.0          # … once it has been sending this long
    # Login throttle (accounts.LoginThrottle): failures within the window lock the account / the client address.
    login_window_s: float = 900.0
    login_account_failures: int = 5
    login_address_failures: int = 20
    # Per-account quotas of developers and SDK vendors (scans.check_quotas); 0 is none.
    queued_quota: int = 20              # scans waiting or running at once
    upload_quota_per_day: int = 500     # uploads in 24 hours
    storage_quota_mb: int = 20 * 1024   # bytes of all the account's uploads
    # Campaigns (campaigns.py): the only folder tree a regulator may scan from, and whether campaign URLs may
    # reach private addresses (an operator's internal mirror); by default only public addresses are fetched.
    campaign_root: Path | None = None
    campaign_private_urls: bool = False
    # The printable rectification notice (整改通知书): who issues it and how the developer replies.
    issuing_authority: str = ""
    notice_contact: str = ""

    @classmethod
    def from_env(cls, db_url: str | None = None, data_dir: Path | None = None) -> Settings:
        data = data_dir or default_data_dir()
        max_mb = int(os.environ.get("HEGUI_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB))
        holidays = os.environ.get("HEGUI_HOLIDAYS")
        campaign_root = os.environ.get("HEGUI_CAMPAIGN_ROOT")
        lease = _seconds(os.environ.get("HEGUI_SCAN_LEASE_S"), DEFAULT_SCAN_LEASE_S, MIN_SCAN_LEASE_S,
                         "HEGUI_SCAN_LEASE_S")
        return cls(db_url=db_url or default_db_url(data), data_dir=data, max_upload_bytes=max_mb * 1024 * 1024,
                   holidays_file=Path(holidays) if holidays else None, scan_lease_s=lease,
                   fetch_policy=os.environ.get("HEGUI_FETCH_POLICY", "") == "1",
                   campaign_root=Path(campaign_root) if campaign_root else None,
                   campaign_private_urls=os.environ.get("HEGUI_CAMPAIGN_PRIVATE_URLS", "") == "1",
                   issuing_authority=os.environ.get("HEGUI_ISSUING_AUTHORITY", "").strip(),
                   notice_contact=os.environ.get("HEGUI_NOTICE_CONTACT", "").strip(),
                   secure_cookies=os.environ.get("HEGUI_SECURE_COOKIES", "") == "1",
                   per_client_requests=_count(os.environ.get("HEGUI_PER_CLIENT_REQUESTS"), 16,
                                              "HEGUI_PER_CLIENT_REQUESTS"),
                   queued_quota=_count(os.environ.get("HEGUI_QUEUED_QUOTA"), 20, "HEGUI_QUEUED_QUOTA", least=0),
                   upload_quota_per_day=_count(os.environ.get("HEGUI_UPLOAD_QUOTA_PER_DAY"), 500,
                                               "HEGUI_UPLOAD_QUOTA_PER_DAY", least=0),
                   storage_quota_mb=_count(os.environ.get("HEGUI_STORAGE_QUOTA_MB"), 20 * 1024,
                                           "HEGUI_STORAGE_QUOTA_MB", least=0))

    @property
    def pool_size(self) -> int:
        return self.request_threads + self.scan_workers + 2

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def result_dir(self) -> Path:
        return self.data_dir / "results"
