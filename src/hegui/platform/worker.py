"""Background scanning: a bounded pool of worker threads, each running one scan at a time in its own child
process (`hegui.platform.scanjob`) with a memory and time limit. A crash, hang or memory blow-up of one
hostile APK fails only that scan; the server keeps serving.

Several servers may share one PostgreSQL database (and one data folder): they claim scans from the same queue
(scans.claim_next), each running scan is leased to its server, renewed while its child runs, and a scan
whose lease ran out (its server was killed) is re-queued by whichever server notices first.

The same servers download the URL items of campaigns (campaigns.claim_fetch) on a few fetch threads of their
own, so a slow download neither holds a request nor a scan slot; a fetch whose server died is taken up again."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hegui.platform import campaigns
from hegui.platform.config import Settings
from hegui.platform.db import Scan
from hegui.platform.messages import Message, failure
from hegui.platform.scans import (
    claim_next,
    fail_scan,
    failure_reason,
    finish_scan,
    renew_lease,
    requeue_expired,
    take_for_finish,
)
from hegui.platform.storage import blob_path
from hegui.platform.vocab import ScanStatus

log = logging.getLogger("hegui.platform.worker")
POLL_S = 1.0
FETCH_THREADS = 2  # concurrent campaign downloads per server: bounded, whatever a campaign holds


def run_scan_child(settings: Settings, scan: Scan,
                   started: Callable[[subprocess.Popen], None] | None = None) -> dict:
    """Run one scan in a child process; return its result payload (``report`` or ``error``). `started` is
    given the child as soon as it runs (the lease keeper stops it if the scan is taken away)."""
    settings.result_dir.mkdir(parents=True, exist_ok=True)
    result = settings.result_dir / f"{scan.id}.json"
    apk = blob_path(settings.blob_dir, scan.sha256)
    if not apk.is_file():
        return failure(Message("scan.error.missing_blob"))
    # Own process group, so a timeout kills the scan and anything it started; the child sets its own
    # memory limit (no preexec_fn: unsafe in a threaded server).
    proc = subprocess.Popen(
        [sys.executable, "-m", "hegui.platform.scanjob", str(apk), str(result), str(settings.scan_memory_mb),
         *(["--fetch-policy"] if settings.fetch_policy else [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, process_group=0,
    )
    if started is not None:
        started(proc)
    try:
        _, stderr = proc.communicate(timeout=settings.scan_timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return failure(Message("scan.error.timeout", {"seconds": f"{settings.scan_timeout_s:.0f}"}))
    if proc.returncode != 0 or not result.is_file():
        last = (stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        if proc.returncode < 0:
            return failure(Message("scan.error.crashed_signal", {"signal": -proc.returncode, "output": last[0][:200]}))
        return failure(Message("scan.error.crashed_exit", {"status": proc.returncode, "output": last[0][:200]}))
    return read_result(result)


def read_result(path: Path) -> dict:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return failure(Message("scan.error.unreadable_result"))
    return payload if isinstance(payload, dict) else failure(Message("scan.error.malformed_result"))


def new_worker_id() -> str:
    """Names this server in scan leases and the audit log: host, process, and a random part, since a
    restarted server may get the same process id."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class ScanWorker:
    """Threads that claim queued scans and run them, and a heartbeat thread that renews this server's leases
    on its running scans and re-queues scans whose lease ran out (a killed server's, here or on another host).

    A scan whose lease this server lost (the database was unreachable for a whole lease) has been, or will be,
    taken over by another server: its child is stopped and its result is not stored. A result file a killed
    server's child wrote but never stored is picked up instead of re-scanning."""

    def __init__(self, settings: Settings, sessions: sessionmaker, worker_id: str | None = None) -> None:
        self.settings, self.sessions = settings, sessions
        self.worker_id = worker_id or new_worker_id()
        self._wake = threading.Event()
        self._fetch_wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        # (scan id, attempt) → its child, while this server runs that claim. Keyed by claim, not scan: after a
        # lease ran out this server may hold an old and a new claim of one scan at once.
        self._held: dict[tuple[int, int], subprocess.Popen | None] = {}

    def start(self) -> None:
        self.recover(at_start=True)
        log.info("scan worker %s: %d thread(s), lease %g s", self.worker_id, self.settings.scan_workers,
                 self.settings.scan_lease_s)
        for i in range(max(1, self.settings.scan_workers)):
            thread = threading.Thread(target=self._poll, args=(self.run_once, self._wake, "scan worker"),
                                      name=f"hegui-scan-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        for i in range(FETCH_THREADS):
            thread = threading.Thread(target=self._poll, args=(self.fetch_once, self._fetch_wake, "campaign fetch"),
                                      name=f"hegui-fetch-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        beat = threading.Thread(target=self._heartbeat, name="hegui-scan-lease", daemon=True)
        beat.start()
        self._threads.append(beat)

    def notify(self) -> None:
        self._wake.set()
        self._fetch_wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._fetch_wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def recover(self, at_start: bool = False) -> int:
        """Re-queue the scans whose lease ran out; returns how many. On SQLite (one server per database) a
        starting server re-queues every running scan at once: they were its dead predecessor's, and waiting
        for their leases would only delay them."""
        with self.sessions() as db:
            single_server = db.get_bind().dialect.name == "sqlite"
            requeued = requeue_expired(db, all_running=at_start and single_server)
            released = campaigns.release_fetches(db, all_fetching=at_start and single_server)
            db.commit()
            if at_start:
                self._drop_stored_results(db)
        if requeued:
            log.warning("re-queued %d scan(s) whose server stopped renewing its lease: %s", len(requeued),
                        ", ".join(f"#{scan_id} ({holder or 'an older server'})" for scan_id, holder in requeued))
            self.notify()
        if released:
            log.warning("took up again %d campaign download(s) whose server stopped", released)
            self._fetch_wake.set()
        return len(requeued)

    def _drop_stored_results(self, db: Session) -> None:
        """Result files of scans already stored (done or failed): a server killed between storing a result and
        deleting its file leaves it behind, and nobody would read it again. Files of queued or running scans stay:
        they are finished results a restarted claim picks up instead of scanning again."""
        files = {int(f.stem): f for f in self.settings.result_dir.glob("*.json") if f.stem.isdigit()}
        if not files:
            return
        stored = db.scalars(select(Scan.id).where(Scan.id.in_(files), Scan.status.in_((ScanStatus.DONE, ScanStatus.FAILED)))).all()
        for scan_id in stored:
            files[scan_id].unlink(missing_ok=True)

    def renew(self) -> list[int]:
        """Renew the leases of the scans this server runs; stop the children of those it lost. Returns those."""
        with self._lock:
            held = list(self._held)
        if not held:
            return []
        with self.sessions() as db:
            lost = [(scan_id, attempt) for scan_id, attempt in held
                    if not renew_lease(db, scan_id, self.worker_id, attempt, self.settings.scan_lease_s)]
            db.commit()
        stopped = []
        for claim in lost:
            scan_id = claim[0]
            with self._lock:
                if claim not in self._held:  # finished meanwhile: nothing was lost
                    continue
                child = self._held[claim]
            log.warning("scan #%d: this server's lease ran out and another server may run it; stopping it here",
                        scan_id)
            if child is not None:
                _kill_group(child)
            stopped.append(scan_id)
        return stopped

    def _heartbeat(self) -> None:
        interval = self.settings.scan_lease_s / 3
        while not self._stop.wait(interval):
            try:
                self.renew()
                self.recover()
            except Exception:  # a database hiccup: the next beat tries again (the lease has two more thirds)
                log.exception("renewing scan leases failed")

    def _poll(self, step: Callable[[], bool], wake: threading.Event, what: str) -> None:
        """Run ``step`` until stopped, waiting for a wake-up (or POLL_S) whenever it found nothing to do."""
        while not self._stop.is_set():
            try:
                worked = step()
            except Exception:  # a database hiccup must not kill the thread
                log.exception("%s iteration failed", what)
                worked = False
            if not worked:
                wake.wait(POLL_S)
                wake.clear()

    def fetch_once(self) -> bool:
        """Claim, download and store one campaign URL item; False when none waits."""
        with self.sessions() as db:
            claim = campaigns.claim_fetch(db, self.worker_id)
        if claim is None:
            return False
        log.info("campaign item #%d: fetching %s", claim.item_id, claim.ref)
        body, error = campaigns.fetch_item(self.settings, claim)
        try:
            with self.sessions() as db:
                item = campaigns.finish_fetch(db, self.settings, claim, self.worker_id, body, error)
                stored, scan_id = item is not None, item.scan_id if item is not None else None
                db.commit()
        finally:
            if body is not None:
                body.close()
        if not stored:
            log.warning("campaign item #%d: the fetch lease ran out while it ran here; another server fetches it",
                        claim.item_id)
        elif scan_id is not None:
            self._wake.set()  # a new scan is queued
        return True

    def watch(self, scan_id: int, attempt: int, child: subprocess.Popen | None = None) -> None:
        """Renew the lease of this server's claim `attempt` on `scan_id` while it runs here; `child` is stopped
        if the lease is lost."""
        with self._lock:
            self._held[(scan_id, attempt)] = child

    def unwatch(self, scan_id: int, attempt: int) -> None:
        with self._lock:
            self._held.pop((scan_id, attempt), None)

    def run_once(self) -> bool:
        """Claim and complete one scan; False when the queue is empty."""
        with self.sessions() as db:
            # No transaction (or connection) is held while the child scans for minutes.
            scan = claim_next(db, self.settings.max_scan_attempts, self.worker_id, self.settings.scan_lease_s)
        if scan is None:
            return False
        log.info("scan #%d: attempt %d", scan.id, scan.attempts)
        result = self.settings.result_dir / f"{scan.id}.json"
        self.watch(scan.id, scan.attempts)
        try:
            payload = (read_result(result) if result.is_file()
                       else run_scan_child(self.settings, scan, lambda child: self.watch(scan.id, scan.attempts, child)))
        finally:
            self.unwatch(scan.id, scan.attempts)
        with self.sessions() as db:
            held = take_for_finish(db, scan.id, self.worker_id, scan.attempts)
            if held is None:
                status = db.scalar(select(Scan.status).where(Scan.id == scan.id))
                db.rollback()
                log.warning("scan #%d: the lease of attempt %d ran out while it ran here; the claim that took it "
                            "over stores its result", scan.id, scan.attempts)
                if status in (ScanStatus.DONE, ScanStatus.FAILED):  # nobody will read this child's file
                    result.unlink(missing_ok=True)
                return True
            if "report" in payload:
                finish_scan(db, held, payload)
            else:
                fail_scan(db, held, failure_reason(payload))
            db.commit()
        result.unlink(missing_ok=True)  # stored in the database now
        return True


def _kill_group(child: subprocess.Popen) -> None:
    if child.returncode is not None:  # already reaped: its id may name another process group by now
        return
    with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
        os.killpg(child.pid, signal.SIGKILL)
