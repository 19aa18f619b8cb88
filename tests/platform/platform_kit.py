"""Helpers of the platform tests: a platform on SQLite or PostgreSQL with one user per role, and reports
made by hegui's real rule engine for the workflow tests that need exact findings."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from hegui.model import Evidence, Observation
from hegui.platform.accounts import create_user
from hegui.platform.app import create_app
from hegui.platform.config import Settings
from hegui.platform.security import hash_password
from hegui.report.model import AppInfo, InputInfo, Permission, Report, Sdk, Tool
from hegui.rules import evaluate

REPO = Path(__file__).resolve().parents[2]
PG_DIR = Path(os.environ.get("HEGUI_TEST_PG_DIR", "/tmp/hegui-test-pg"))
PASSWORD = "correct horse battery"
TODAY = dt.date(2026, 9, 28)  # Monday before the 2026 National Day holiday (Oct 1–7)


@cache
def password_hash() -> str:
    """One argon2 hash of PASSWORD for every test user (hashing costs ~0.3 s; logging in still verifies it)."""
    return hash_password(PASSWORD)


def startup_imei(subject: str = "app") -> Observation:
    return Observation("sensitive_call", subject=subject,
                       evidence=[Evidence("call", "com.demo.App#onCreate → TelephonyManager#getDeviceId")],
                       attrs={"pi_type": "imei", "api": "android.telephony.TelephonyManager#getDeviceId",
                              "at_startup": True, "via_reflection": False})


def make_report(package: str, version: str, code: int, observations: list[Observation], *,
                permissions: tuple[str, ...] = (), sdks: tuple[str, ...] = (), sha: str = "0" * 64) -> dict[str, Any]:
    """A JSON report whose findings come from the real rule engine and rulebook."""
    report = Report(tool=Tool(version="test"), input=InputInfo(path="x.apk", sha256=sha, size=1),
                    app=AppInfo(package=package, version_name=version, version_code=code, label=package.split(".")[-1]),
                    permissions=[Permission(name=p, dangerous=True) for p in permissions],
                    sdks=[Sdk(id=s, name=s) for s in sdks], findings=evaluate(observations))
    return report.model_dump(mode="json")


@dataclass
class Member:
    name: str
    role: str
    token: str
    id: int

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Platform:
    app: Any
    client: TestClient
    settings: Settings
    users: dict[str, Member] = field(default_factory=dict)

    def sessions(self):
        return self.app.state.sessions()


def build_platform(db_url: str, data_dir: Path, *, start_worker: bool = False, today: dt.date = TODAY,
                   holidays_file: Path | None = None) -> Platform:
    settings = Settings(db_url=db_url, data_dir=data_dir, start_worker=start_worker, scan_workers=1,
                        today=lambda: today, max_upload_bytes=5 * 1024 * 1024, scan_timeout_s=120,
                        holidays_file=holidays_file)
    app = create_app(settings)
    users: dict[str, Member] = {}
    with app.state.sessions() as db:
        for name, role in (("regulator", "regulator"), ("reviewer", "reviewer"), ("dev", "developer"),
                           ("dev2", "developer"), ("vendor", "sdk_vendor")):
            user, token = create_user(db, name, role)
            user.password_hash = password_hash()
            db.flush()
            users[name] = Member(name, role, token, user.id)
        db.commit()
    return Platform(app=app, client=TestClient(app), settings=settings, users=users)


def pg_admin_url_or_none() -> str | None:
    """The URL of the test cluster scripts/test-services.sh runs (started on demand), or None."""
    url_file = PG_DIR / "url"
    if not url_file.is_file():
        subprocess.run([str(REPO / "scripts" / "test-services.sh")], check=False, timeout=600)
    return url_file.read_text().strip() if url_file.is_file() else None


def ingest(platform: Platform, uploader: str, report: dict[str, Any]) -> int:
    """File a finished scan the way the worker does (`finish_scan`) and return the scan id."""
    from hegui.platform.db import Scan
    from hegui.platform.scans import finish_scan

    with platform.sessions() as db:
        scan = Scan(uploader_id=platform.users[uploader].id, sha256=report["input"]["sha256"], size=1,
                    filename=f"{report['app']['package']}-{report['app']['version_name']}.apk", status="running")
        db.add(scan)
        db.flush()
        finish_scan(db, scan, {"report": report})
        db.commit()
        return scan.id


def finish_queued(platform: Platform, scan_id: int, payload: dict[str, Any]) -> None:
    """The worker's last step for a queued scan: its child's payload (``{"report": …}`` or ``{"error": …}``)
    stored and the scan filed."""
    from hegui.platform.db import Scan
    from hegui.platform.scans import finish_scan

    with platform.sessions() as db:
        scan = db.get(Scan, scan_id)
        scan.status = "running"
        finish_scan(db, scan, payload)
        db.commit()


def web_login(platform: Platform, name: str) -> tuple[str, str]:
    """A web session for `name` as the login form would open it: (session cookie value, CSRF token)."""
    from hegui.platform.db import WebSession, utcnow
    from hegui.platform.security import new_csrf_token, new_token, token_digest

    token, csrf = new_token(), new_csrf_token()
    with platform.sessions() as db:
        db.add(WebSession(user_id=platform.users[name].id, token_sha256=token_digest(token), csrf_token=csrf,
                          expires_at=utcnow() + dt.timedelta(hours=1)))
        db.commit()
    return token, csrf


def tiny_zip() -> bytes:
    """A ZIP archive (passes the upload type check; the scanner decides whether it is an APK)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00")
    return buf.getvalue()


SHOP = "com.demo.shop"


def build_shop_apks(workdir: Path) -> tuple[Path, Path]:
    """Two real versions of one app: 1.0 reads the IMEI in Application.onCreate (collection before consent),
    1.1 no longer reads it (the rectified version)."""
    from apkbuild import build_apk, launcher_activity, manifest
    from scanfixtures import APP_CLASS, MAIN, app_smali
    from smali_snippets import read_imei

    perms = ["android.permission.READ_PHONE_STATE"]
    attrs = f'android:name="{APP_CLASS}" android:label="演示商城"'
    body = launcher_activity(MAIN)
    v1 = build_apk(workdir, manifest(SHOP, body, permissions=perms, application_attrs=attrs, version_code=1,
                                     version_name="1.0"), app_smali(read_imei()), name="shop-1.0",
                   version_code=1, version_name="1.0")
    v2 = build_apk(workdir, manifest(SHOP, body, permissions=[], application_attrs=attrs, version_code=2,
                                     version_name="1.1"), app_smali(), name="shop-1.1",
                   version_code=2, version_name="1.1")
    return v1, v2


def wait_for_scan(client, scan_id: int, headers: dict[str, str], until=("done", "failed"), timeout: float = 90.0,
                  interval: float = 0.1) -> dict:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/scans/{scan_id}", headers=headers).json()
        if body["status"] in until:
            return body
        time.sleep(interval)
    raise AssertionError(f"scan {scan_id} still {body['status']} after {timeout} s")


# --- `hegui serve` as real processes -------------------------------------------------------------------------

HEGUI = [sys.executable, "-c", "from hegui.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hegui(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*HEGUI, *args], env=env, capture_output=True, text=True, timeout=120)


def launch_server(env: dict[str, str], port: int, log: Path, *args: str) -> subprocess.Popen:
    """`hegui serve` started, not yet waited for (see `wait_until_serving`)."""
    return subprocess.Popen([*HEGUI, "serve", "--port", str(port), *args], env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


def wait_until_serving(proc: subprocess.Popen, port: int, log: Path, timeout: float = 60) -> subprocess.Popen:
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start: " + log.read_text(errors="replace")[-2000:])


def start_server(env: dict[str, str], port: int, log: Path, *args: str) -> subprocess.Popen:
    return wait_until_serving(launch_server(env, port, log, *args), port, log)
