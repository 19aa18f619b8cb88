"""Several `hegui serve` processes on one PostgreSQL database and one data folder, as behind a load balancer:
every queued scan runs exactly once, a live server's scan is never taken from it, and a server killed with
SIGKILL mid-scan has its scan taken over by another server once its lease runs out."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pytest
from platform_kit import (
    SHOP,
    free_port,
    hegui,
    launch_server,
    start_server,
    wait_for_scan,
    wait_until_serving,
)
from sqlalchemy import select

from hegui.platform.config import Settings
from hegui.platform.db import App, AuditEvent, Scan, User, make_engine, session_factory
from hegui.platform.scans import submit_scan

pytestmark = pytest.mark.apktool
LEASE_S = 2.0


def server_env(tmp_path: Path, pg_url: str, lease_s: float) -> dict[str, str]:
    return {**os.environ, "HEGUI_DATA_DIR": str(tmp_path / "data"), "HEGUI_DB": pg_url,
            "HEGUI_SCAN_LEASE_S": str(lease_s)}


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


def pid_of(worker_id: str) -> int:
    """Worker ids are host:pid:random (worker.new_worker_id)."""
    return int(worker_id.split(":")[1])


def starts_by_scan(db) -> dict[int, list[str]]:
    """The workers that started each scan, in order, from the audit log ("attempt N on WORKER")."""
    out: dict[int, list[str]] = {}
    for target, detail in db.execute(select(AuditEvent.target, AuditEvent.detail)
                                     .where(AuditEvent.action == "scan.start").order_by(AuditEvent.id)):
        out.setdefault(int(target.removeprefix("scan:")), []).append(detail.split(" on ", 1)[1])
    return out


def scan_child(server: psutil.Process) -> psutil.Process:
    found: list[psutil.Process] = []

    def running() -> bool:
        found[:] = [c for c in server.children() if "hegui.platform.scanjob" in " ".join(c.cmdline())]
        return bool(found)

    wait_until(running, "the server's scan child")
    return found[0]


def stop(*servers) -> None:
    for server in servers:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait(10)


def test_two_servers_started_together_run_every_queued_scan_exactly_once(tmp_path, pg_url, shop_apks,
                                                                         report_validator):
    env = server_env(tmp_path, pg_url, lease_s=10)
    ports, logs = (free_port(), free_port()), (tmp_path / "a.log", tmp_path / "b.log")
    # Both start at once on the empty database: one migrates it, the other waits for that and finds it done.
    servers = [launch_server(env, port, log, "--workers", "2") for port, log in zip(ports, logs, strict=True)]
    engine = make_engine(pg_url, pool_size=2)
    try:
        for server, port, log in zip(servers, ports, logs, strict=True):
            wait_until_serving(server, port, log)
        assert hegui("user", "add", "dev", "--role", "developer", env=env).returncode == 0
        sessions = session_factory(engine)
        settings = Settings(db_url=pg_url, data_dir=tmp_path / "data")
        with sessions() as db:
            dev = db.scalar(select(User).where(User.name == "dev"))
            for i in range(8):  # two versions of one app, so both servers also file versions of it at once
                apk = shop_apks[i % 2]
                with apk.open("rb") as fh:
                    submit_scan(db, settings, dev, fh, apk.name)
            db.commit()  # in one transaction: four scan threads on two servers find eight scans at once

        def all_finished() -> bool:
            with sessions() as db:
                return set(db.scalars(select(Scan.status))) <= {"done", "failed"}

        wait_until(all_finished, "eight scans finished", timeout=240)
        with sessions() as db:
            scans = db.scalars(select(Scan).order_by(Scan.id)).all()
            starts = starts_by_scan(db)
            done = db.scalars(select(AuditEvent.target).where(AuditEvent.action == "scan.done")).all()
            apps = db.scalars(select(App)).all()
            versions = {v.sha256 for a in apps for v in a.versions}
        assert [(s.status, s.attempts, s.note) for s in scans] == [("done", 1, None)] * 8
        assert all(len(workers) == 1 for workers in starts.values()) and len(starts) == 8
        assert {pid_of(w[0]) for w in starts.values()} == {servers[0].pid, servers[1].pid}
        assert sorted(done) == sorted(f"scan:{s.id}" for s in scans)
        assert [(a.package, a.kind) for a in apps] == [(SHOP, "app")]
        assert len(versions) == 2
        report_validator(scans[0].report_json)
        assert all(server.poll() is None for server in servers)
    finally:
        stop(*servers)
        engine.dispose()


def test_a_live_servers_scan_is_left_alone_and_a_killed_servers_scan_is_taken_over(tmp_path, pg_url, shop_apks,
                                                                                   report_validator):
    env = server_env(tmp_path, pg_url, lease_s=LEASE_S)
    token = hegui("user", "add", "dev", "--role", "developer", env=env).stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}
    (port_a, port_b), log_b = (free_port(), free_port()), tmp_path / "b.log"
    engine = make_engine(pg_url, pool_size=2)
    sessions = session_factory(engine)

    def scan_row(scan_id: int) -> Scan:
        with sessions() as db:
            return db.get(Scan, scan_id)

    server_a = start_server(env, port_a, tmp_path / "a.log")
    server_b = None
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port_a}", timeout=30) as client:
            scan_id = client.post("/api/v1/scans", headers=auth,
                                  files={"file": ("shop.apk", shop_apks[0].read_bytes())}).json()["id"]
            wait_for_scan(client, scan_id, auth, until=("running",), interval=0.01)
        child = scan_child(psutil.Process(server_a.pid))
        child.suspend()  # the scan now lasts as long as this test needs; server A still renews its lease
        first = scan_row(scan_id)
        assert pid_of(first.worker_id) == server_a.pid

        # Server B starts while A runs the scan (before leases, B re-queued it on start and ran it again).
        server_b = start_server(env, port_b, log_b)
        def renewed_twice_or_taken() -> bool:
            now = scan_row(scan_id)
            return (now.worker_id != first.worker_id
                    or now.lease_until > first.lease_until + dt.timedelta(seconds=2 * LEASE_S))

        wait_until(renewed_twice_or_taken, "server A renewing its lease past two lease periods")
        held = scan_row(scan_id)
        assert (held.status, held.attempts, held.worker_id) == ("running", 1, first.worker_id)

        server_a.send_signal(signal.SIGKILL)
        server_a.wait(10)
        _gone, alive = psutil.wait_procs([child], timeout=30)  # the child dies with its server
        assert all(c.status() == psutil.STATUS_ZOMBIE for c in alive)
        with httpx.Client(base_url=f"http://127.0.0.1:{port_b}", timeout=30) as client:
            done = wait_for_scan(client, scan_id, auth)
        assert done["status"] == "done", done.get("error")
        report_validator(done["report"])
        assert (done["report"]["app"]["package"], done["report"]["app"]["version_name"]) == (SHOP, "1.0")
        with sessions() as db:
            starts = starts_by_scan(db)[scan_id]
            requeues = db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "scan.requeue")).all()
        assert [pid_of(w) for w in starts] == [server_a.pid, server_b.pid]
        assert requeues == [f"the lease of {first.worker_id} ran out"]
        assert scan_row(scan_id).attempts == 2
        assert f"re-queued 1 scan(s) whose server stopped renewing its lease: #{scan_id} ({first.worker_id})" in \
            log_b.read_text(errors="replace")
    finally:
        stop(server_a, server_b)
        engine.dispose()
