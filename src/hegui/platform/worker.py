"""Background scanning: a bounded pool of worker threads, each running one scan at a time in its own child
process (`hegui.platform.scanjob`) with a memory and time limit. A crash, hang or memory blow-up of one
hostile APK fails only that scan; the server keeps serving."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from hegui.platform.config import Settings
from hegui.platform.db import Scan
from hegui.platform.scans import claim_next, fail_scan, finish_scan, requeue_interrupted
from hegui.platform.storage import blob_path

log = logging.getLogger("hegui.platform.worker")
POLL_S = 1.0


def run_scan_child(settings: Settings, scan: Scan) -> dict:
    """Run one scan in a child process; return its result payload (``report`` or ``error``)."""
    settings.result_dir.mkdir(parents=True, exist_ok=True)
    result = settings.result_dir / f"{scan.id}.json"
    apk = blob_path(settings.blob_dir, scan.sha256)
    if not apk.is_file():
        return {"error": "the uploaded file is missing from the platform's storage"}
    # Own process group, so a timeout kills the scan and anything it started; the child sets its own
    # memory limit (no preexec_fn: unsafe in a threaded server).
    proc = subprocess.Popen(
        [sys.executable, "-m", "hegui.platform.scanjob", str(apk), str(result), str(settings.scan_memory_mb)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, process_group=0,
    )
    try:
        _, stderr = proc.communicate(timeout=settings.scan_timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"error": f"the scan took longer than {settings.scan_timeout_s:.0f} s and was stopped"}
    if proc.returncode != 0 or not result.is_file():
        last = (stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        why = f"killed by signal {-proc.returncode}" if proc.returncode < 0 else f"exit status {proc.returncode}"
        return {"error": f"the scanner crashed ({why}) {last[0][:200]}".strip()}
    return read_result(result)


def read_result(path: Path) -> dict:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"error": "the scanner's result could not be read"}
    return payload if isinstance(payload, dict) else {"error": "the scanner's result is malformed"}


class ScanWorker:
    """Threads that claim queued scans and run them. `start()` first re-queues scans a killed server left
    running; a result file a previous server wrote but never stored is picked up instead of re-scanning."""

    def __init__(self, settings: Settings, sessions: sessionmaker) -> None:
        self.settings, self.sessions = settings, sessions
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        with self.sessions() as db:
            if n := requeue_interrupted(db):
                log.warning("re-queued %d scan(s) interrupted by a previous shutdown", n)
            db.commit()
        for i in range(max(1, self.settings.scan_workers)):
            thread = threading.Thread(target=self._loop, name=f"hegui-scan-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def notify(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # a database hiccup must not kill the worker thread
                log.exception("scan worker iteration failed")
                worked = False
            if not worked:
                self._wake.wait(POLL_S)
                self._wake.clear()

    def run_once(self) -> bool:
        """Claim and complete one scan; False when the queue is empty."""
        with self.sessions() as db:
            scan = claim_next(db, self.settings.max_scan_attempts)
            if scan is None:
                return False
            db.commit()  # hold no transaction (or connection) while the child scans for minutes
            result = self.settings.result_dir / f"{scan.id}.json"
            payload = read_result(result) if result.is_file() else run_scan_child(self.settings, scan)
            if "report" in payload:
                finish_scan(db, scan, payload)
            else:
                fail_scan(db, scan, str(payload.get("error")))
            db.commit()
            result.unlink(missing_ok=True)  # stored in the database now
            return True
