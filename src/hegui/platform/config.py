"""Platform settings: where the database and uploaded files live, and the limits that protect the server.

Every setting can come from a ``HEGUI_*`` environment variable (pydantic-settings: ``HEGUI_`` and the field
name, upper case, e.g. ``HEGUI_QUEUED_QUOTA``); ``HEGUI_DB`` and ``HEGUI_HOLIDAYS`` keep their older short
names. Values passed to the constructor (the flags of ``hegui serve``, tests) win over the environment; an empty
variable counts as unset. The database URL may hold a password: it is a `SecretStr`, masked wherever the
settings are printed, logged or dumped."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hegui.platform.defaults import (
    DEFAULT_KEEP_ALIVE_S,
    DEFAULT_MAX_UPLOAD_MB,
    DEFAULT_SCAN_LEASE_S,
    DEFAULT_SCAN_WORKERS,
    MIN_SCAN_LEASE_S,
)

ENV_PREFIX = "HEGUI_"
MB = 1024 * 1024


def default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "hegui"


def _today() -> dt.date:
    return dt.date.today()


def _seconds(text: str, least: float, name: str) -> float:
    """A duration written in the environment; ValueError (one line) when it is not a number of at least `least`."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {text[:40]!r}") from None
    if math.isnan(value) or value < least:
        raise ValueError(f"{name} must be at least {least:g} seconds")
    return value


def _count(text: str, least: int, name: str) -> int:
    """A whole number written in the environment; ValueError (one line) unless it is one of at least `least`."""
    if not text.strip().isdigit() or int(text) < least:
        raise ValueError(f"{name} must be a whole number of at least {least}, not {text[:40]!r}")
    return int(text)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, populate_by_name=True,
                                      extra="ignore")

    # None: a SQLite file in data_dir. A URL may carry a password: read it with get_secret_value() only to connect.
    db_url: SecretStr | None = Field(default=None, validation_alias="HEGUI_DB")
    data_dir: Path = Field(default_factory=default_data_dir)
    max_upload_mb: int | None = Field(default=None, exclude=True, repr=False)  # input: sets max_upload_bytes
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * MB
    scan_workers: int = DEFAULT_SCAN_WORKERS  # child processes scanning at once
    request_threads: int = 40           # threads serving requests (each holds at most one DB connection)
    scan_timeout_s: float = 600.0       # wall-clock limit of one scan child
    scan_memory_mb: int = 3072          # address-space limit of one scan child
    max_scan_attempts: int = 3          # a scan that keeps dying is failed after this many starts
    scan_lease_s: float = DEFAULT_SCAN_LEASE_S
    keep_alive_s: int = DEFAULT_KEEP_ALIVE_S
    session_hours: int = 12
    secure_cookies: bool = False        # set when served behind HTTPS
    start_worker: bool = True
    today: Callable[[], dt.date] = Field(default=_today, exclude=True)  # injectable clock for deadlines
    # operator's holiday schedules for years chinese-calendar lacks (workdays.py)
    holidays_file: Path | None = Field(default=None, validation_alias="HEGUI_HOLIDAYS")
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

    # Text is what the environment gives; the checks below hold it to the one-line messages operators get from
    # `hegui serve`. Values passed as numbers (tests, the command line's own validated flags) are taken as given.
    @field_validator("scan_lease_s", mode="before")
    @classmethod
    def _lease_from_text(cls, value: Any) -> Any:
        return _seconds(value, MIN_SCAN_LEASE_S, "HEGUI_SCAN_LEASE_S") if isinstance(value, str) else value

    @field_validator("max_upload_mb", "per_client_requests", mode="before")
    @classmethod
    def _positive_from_text(cls, value: Any, info: Any) -> Any:
        return _count(value, 1, ENV_PREFIX + info.field_name.upper()) if isinstance(value, str) else value

    @field_validator("queued_quota", "upload_quota_per_day", "storage_quota_mb", mode="before")
    @classmethod
    def _quota_from_text(cls, value: Any, info: Any) -> Any:
        return _count(value, 0, ENV_PREFIX + info.field_name.upper()) if isinstance(value, str) else value

    @field_validator("fetch_policy", "secure_cookies", "campaign_private_urls", mode="before")
    @classmethod
    def _switch_from_text(cls, value: Any) -> Any:
        return value == "1" if isinstance(value, str) else value  # HEGUI_FETCH_POLICY=1, as documented

    @model_validator(mode="after")
    def _derived(self) -> Settings:
        if self.db_url is None:
            self.db_url = SecretStr(f"sqlite:///{self.data_dir / 'hegui.sqlite3'}")
        if self.max_upload_mb is not None:
            self.max_upload_bytes, self.max_upload_mb = self.max_upload_mb * MB, None
        return self

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """The settings from the environment, `overrides` (None: not given) winning. Raises ValueError with a
        one-line reason for a malformed ``HEGUI_*`` variable."""
        try:
            return cls(**{name: value for name, value in overrides.items() if value is not None})
        except ValidationError as err:
            raise ValueError(_one_line(err)) from None

    @property
    def database_url(self) -> str:
        """The database URL to connect with (it may hold a password: never print or log it)."""
        assert self.db_url is not None  # set by _derived
        return self.db_url.get_secret_value()

    @property
    def pool_size(self) -> int:
        return self.request_threads + self.scan_workers + 2

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def result_dir(self) -> Path:
        return self.data_dir / "results"


def _one_line(err: ValidationError) -> str:
    """The first refusal, named by its variable: our own checks' messages as written, pydantic's prefixed."""
    first = err.errors(include_url=False, include_input=False)[0]
    if first["type"] == "value_error":
        return str(first["ctx"]["error"])
    field = str(first["loc"][0]) if first["loc"] else ""
    alias = Settings.model_fields[field].validation_alias if field in Settings.model_fields else None
    name = alias if isinstance(alias, str) else ENV_PREFIX + field.upper()
    return f"{name}: {first['msg']}"
