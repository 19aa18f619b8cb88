"""The shared scan queue, on SQLite and PostgreSQL: claims are leased, a lease that runs out puts the scan back
in the queue, and a server that lost its lease can neither renew it nor store a result."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from platform_kit import build_platform
from sqlalchemy import select

from hegui.platform.db import AuditEvent, Scan, make_engine, session_factory
from hegui.platform.migrate import current_revision
from hegui.platform.scans import claim_next, renew_lease, requeue_expired, take_for_finish
from hegui.platform.worker import ScanWorker

LONG_LEASE = 60.0
SHORT_LEASE = 0.2


def queue_scans(platform, n: int) -> list[int]:
    with platform.sessions() as db:
        scans = [Scan(uploader_id=platform.users["dev"].id, sha256=f"{i:064x}", size=1, filename=f"{i}.apk",
                      status="queued") for i in range(1, n + 1)]
        db.add_all(scans)
        db.commit()
        return [s.id for s in scans]


def claim(platform, worker_id: str, lease_s: float = LONG_LEASE) -> Scan | None:
    with platform.sessions() as db:
        return claim_next(db, platform.settings.max_scan_attempts, worker_id, lease_s)


def row(platform, scan_id: int) -> Scan:
    with platform.sessions() as db:
        return db.get(Scan, scan_id)


def requeue_when_expired(platform, timeout: float = 30.0) -> list[tuple[int, str | None]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with platform.sessions() as db:
            requeued = requeue_expired(db)
            db.commit()
        if requeued:
            return requeued
        time.sleep(SHORT_LEASE / 4)
    raise AssertionError(f"no lease ran out within {timeout} s")


def test_a_claim_takes_the_oldest_queued_scan_under_a_lease_and_logs_who_runs_it(platform):
    first, _second = queue_scans(platform, 2)
    scan = claim(platform, "host-a:1:aa")
    assert (scan.id, scan.status, scan.attempts, scan.worker_id) == (first, "running", 1, "host-a:1:aa")
    assert scan.lease_until is not None
    with platform.sessions() as db:
        starts = db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "scan.start")).all()
    assert starts == ["attempt 1 on host-a:1:aa"]


def test_a_scan_whose_lease_holds_is_not_requeued(platform):
    (scan_id,) = queue_scans(platform, 1)
    claim(platform, "host-a:1:aa")
    with platform.sessions() as db:
        assert requeue_expired(db) == []
        db.commit()
    held = row(platform, scan_id)
    assert (held.status, held.worker_id, held.attempts) == ("running", "host-a:1:aa", 1)
    assert claim(platform, "host-b:2:bb") is None


def test_a_scan_whose_lease_ran_out_is_requeued_and_its_old_holder_loses_it(platform):
    (scan_id,) = queue_scans(platform, 1)
    claim(platform, "host-a:1:aa", lease_s=SHORT_LEASE)
    assert requeue_when_expired(platform) == [(scan_id, "host-a:1:aa")]
    queued = row(platform, scan_id)
    assert (queued.status, queued.worker_id, queued.lease_until) == ("queued", None, None)

    taken = claim(platform, "host-b:2:bb")
    assert (taken.id, taken.attempts, taken.worker_id) == (scan_id, 2, "host-b:2:bb")
    with platform.sessions() as db:
        assert not renew_lease(db, scan_id, "host-a:1:aa", 1, LONG_LEASE)
        assert take_for_finish(db, scan_id, "host-a:1:aa", 1) is None
        assert renew_lease(db, scan_id, "host-b:2:bb", 2, LONG_LEASE)
        assert take_for_finish(db, scan_id, "host-b:2:bb", 2).id == scan_id
        db.rollback()
        requeues = db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "scan.requeue")).all()
    assert requeues == ["the lease of host-a:1:aa ran out"]


def test_a_starting_server_requeues_at_once_on_sqlite_and_only_expired_leases_on_postgresql(platform):
    (scan_id,) = queue_scans(platform, 1)
    claim(platform, "host-a:1:aa")  # a live-looking lease: its server was killed a moment ago
    starting = ScanWorker(platform.settings, platform.app.state.sessions, worker_id="host-a:2:bb")
    single_server = platform.settings.database_url.startswith("sqlite")
    assert starting.recover(at_start=True) == (1 if single_server else 0)
    assert row(platform, scan_id).status == ("queued" if single_server else "running")


def test_a_starting_server_drops_result_files_of_stored_scans_and_keeps_those_still_to_store(platform):
    stored, pending = queue_scans(platform, 2)
    with platform.sessions() as db:
        db.get(Scan, stored).status = "done"
        db.commit()
    results = platform.settings.result_dir
    results.mkdir(parents=True, exist_ok=True)
    for scan_id in (stored, pending):
        (results / f"{scan_id}.json").write_text('{"error": "x"}', encoding="utf-8")
    (results / "notes.json").write_text("{}", encoding="utf-8")  # not a scan's: left alone
    ScanWorker(platform.settings, platform.app.state.sessions, worker_id="host-a:1:aa").recover(at_start=True)
    assert sorted(f.name for f in results.iterdir()) == sorted([f"{pending}.json", "notes.json"])


def test_a_running_scan_without_a_lease_was_left_by_an_older_server_and_is_requeued(platform):
    (scan_id,) = queue_scans(platform, 1)
    with platform.sessions() as db:
        db.get(Scan, scan_id).status = "running"
        db.commit()
        assert requeue_expired(db) == [(scan_id, None)]
        db.commit()
    assert row(platform, scan_id).status == "queued"


def test_a_scan_that_keeps_losing_its_server_is_failed_after_the_attempt_limit(platform):
    (scan_id,) = queue_scans(platform, 1)
    for n in range(platform.settings.max_scan_attempts):
        assert claim(platform, f"host:{n}:00", lease_s=SHORT_LEASE).attempts == n + 1
        requeue_when_expired(platform)
    assert claim(platform, "host:last:00") is None
    failed = row(platform, scan_id)
    assert (failed.status, failed.error) == ("failed", "the scan was interrupted 3 times; giving up")


def test_a_lost_lease_stops_the_scan_child_and_a_held_one_is_renewed(platform):
    scan_a, scan_b = queue_scans(platform, 2)
    worker = ScanWorker(platform.settings, platform.app.state.sessions, worker_id="host-a:1:aa")
    claim(platform, worker.worker_id, lease_s=SHORT_LEASE)
    requeue_when_expired(platform)
    claim(platform, "host-b:2:bb")  # another server took scan_a over
    claim(platform, worker.worker_id, lease_s=SHORT_LEASE)  # scan_b is still this worker's
    before = row(platform, scan_b).lease_until
    lost_child = subprocess.Popen(["sleep", "600"], process_group=0)
    kept_child = subprocess.Popen(["sleep", "600"], process_group=0)
    try:
        worker.watch(scan_a, 1, lost_child)
        worker.watch(scan_b, 1, kept_child)
        assert worker.renew() == [scan_a]
        assert lost_child.wait(timeout=30) == -signal.SIGKILL
        assert kept_child.poll() is None
        assert row(platform, scan_b).lease_until > before
        assert row(platform, scan_a).worker_id == "host-b:2:bb"
    finally:
        for child in (lost_child, kept_child):
            child.kill()
            child.wait()


def claimed_again_by_its_server(platform, worker_id: str) -> int:
    """A scan whose first claim by `worker_id` ran out of lease (the database was out of reach) and that another
    scan thread of the same server claimed again (attempt 2) while the first claim's child still ran."""
    (scan_id,) = queue_scans(platform, 1)
    claim(platform, worker_id, lease_s=SHORT_LEASE)
    requeue_when_expired(platform)
    assert claim(platform, worker_id).attempts == 2
    return scan_id


def test_a_server_that_claims_its_lost_scan_again_stops_the_old_claims_child_and_keeps_the_new_one(platform):
    worker = ScanWorker(platform.settings, platform.app.state.sessions, worker_id="host-a:1:aa")
    scan_id = claimed_again_by_its_server(platform, worker.worker_id)
    old_child = subprocess.Popen(["sleep", "600"], process_group=0)
    new_child = subprocess.Popen(["sleep", "600"], process_group=0)
    try:
        worker.watch(scan_id, 1, old_child)
        worker.watch(scan_id, 2, new_child)
        assert worker.renew() == [scan_id]
        assert old_child.wait(timeout=30) == -signal.SIGKILL
        assert new_child.poll() is None
    finally:
        for child in (old_child, new_child):
            child.kill()
            child.wait()


def test_only_the_current_claim_of_a_server_on_a_scan_may_store_its_result(platform):
    scan_id = claimed_again_by_its_server(platform, "host-a:1:aa")
    with platform.sessions() as db:
        assert not renew_lease(db, scan_id, "host-a:1:aa", 1, LONG_LEASE)
        assert take_for_finish(db, scan_id, "host-a:1:aa", 1) is None
        assert take_for_finish(db, scan_id, "host-a:1:aa", 2).id == scan_id
        db.rollback()


@pytest.fixture
def pg_platform(pg_url, tmp_path):
    p = build_platform(pg_url, tmp_path / "data")
    yield p
    p.app.state.engine.dispose()


def test_postgresql_claims_skip_a_scan_another_server_is_claiming(pg_platform):
    platform = pg_platform  # SKIP LOCKED is PostgreSQL's; SQLite serialises writers instead
    first, second = queue_scans(platform, 2)
    other = make_engine(platform.settings.database_url, pool_size=1)
    try:
        with session_factory(other)() as locker:
            # Another server's claim transaction, caught between locking the oldest scan and committing.
            locked = locker.scalar(select(Scan.id).where(Scan.status == "queued").order_by(Scan.id).limit(1)
                                   .with_for_update(skip_locked=True))
            assert locked == first
            taken = claim(platform, "host-b:2:bb")  # must neither wait for the lock nor take the locked scan
            assert taken.id == second
            locker.rollback()
    finally:
        other.dispose()
    assert claim(platform, "host-b:2:bb").id == first


MIGRATE_WHEN_TOLD = """
import sys
from hegui.platform.db import make_engine
from hegui.platform.migrate import upgrade_head
engine = make_engine(sys.argv[1], pool_size=1)
print("ready", flush=True)
sys.stdin.readline()
upgrade_head(engine)
"""


def test_servers_migrating_one_new_postgresql_database_at_once_all_succeed(pg_url):
    # Three processes, imports done, migrate on one signal: without the migration lock two of them fail on
    # tables the first one created.
    procs = [subprocess.Popen([sys.executable, "-c", MIGRATE_WHEN_TOLD, pg_url], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    try:
        assert [p.stdout.readline().strip() for p in procs] == ["ready"] * 3
        for p in procs:
            p.stdin.write("\n")
            p.stdin.flush()
        results = [(p.wait(timeout=120), p.stderr.read()[-500:]) for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.wait()
    assert results == [(0, "")] * 3
    engine = make_engine(pg_url, pool_size=1)
    try:
        assert current_revision(engine) == "0007"
    finally:
        engine.dispose()
