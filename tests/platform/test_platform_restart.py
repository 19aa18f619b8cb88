"""`hegui serve` as a real process: killing it mid-scan loses no upload and no finished result, and the
interrupted scan is retried when the server starts again. Users come from `hegui user add`."""

from __future__ import annotations

import os
import signal

import httpx
import pytest
from platform_kit import free_port, hegui, start_server, wait_for_scan

from hegui.platform.storage import blob_path

pytestmark = pytest.mark.apktool


def test_user_add_prints_the_token_last_and_refuses_an_unknown_role(tmp_path):
    env = {**os.environ, "HEGUI_DATA_DIR": str(tmp_path), "HEGUI_DB": f"sqlite:///{tmp_path / 'p.sqlite3'}"}
    made = hegui("user", "add", "审核员甲", "--role", "reviewer", env=env)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().startswith("hg_") and len(made.stdout.strip().splitlines()) == 1
    bad = hegui("user", "add", "x", "--role", "admin", env=env)
    assert (bad.returncode, bad.stderr.strip()) == (2, "hegui: unknown role 'admin' (one of: regulator, reviewer, "
                                                       "developer, sdk_vendor)")


def test_killing_the_server_mid_scan_loses_nothing_and_the_scan_is_retried(tmp_path, shop_apks, report_validator):
    v1, v2 = shop_apks
    data = tmp_path / "data"
    # The restarted server cannot tell its killed predecessor from a live server: it waits for the lease.
    env = {**os.environ, "HEGUI_DATA_DIR": str(data), "HEGUI_DB": f"sqlite:///{tmp_path / 'p.sqlite3'}",
           "HEGUI_SCAN_LEASE_S": "2"}
    token = hegui("user", "add", "dev", "--role", "developer", env=env).stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}
    port, log = free_port(), tmp_path / "server.log"
    server = start_server(env, port, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            first = client.post("/api/v1/scans", headers=auth, files={"file": ("v1.apk", v1.read_bytes())}).json()
            done = wait_for_scan(client, first["id"], auth)
            assert done["status"] == "done"
            second = client.post("/api/v1/scans", headers=auth, files={"file": ("v2.apk", v2.read_bytes())}).json()
            assert wait_for_scan(client, second["id"], auth, until=("running",), interval=0.01)["status"] == "running"
            server.send_signal(signal.SIGKILL)
            server.wait(10)
        assert blob_path(data / "blobs", second["sha256"]).is_file()

        server = start_server(env, port, log)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            retried = wait_for_scan(client, second["id"], auth)
            assert retried["status"] == "done", retried.get("error")
            report_validator(retried["report"])
            assert retried["report"]["app"]["version_name"] == "1.1"
            kept = client.get(f"/api/v1/scans/{first['id']}", headers=auth).json()
            assert kept["report"] == done["report"]
            assert "re-queued 1 scan(s)" in log.read_text(errors="replace")
    finally:
        server.kill()
        server.wait(10)
