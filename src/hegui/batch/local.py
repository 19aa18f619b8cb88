"""The local engine: up to `jobs` isolated scans at a time on this machine.

Children are forked from the driver, so they inherit the already-imported analysis code and loaded
knowledge (no per-scan import cost) and an injected scan function needs no pickling.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Mapping

from hegui.batch.isolate import IsolatedScan, ScanFn, ScanOutcome
from hegui.batch.plan import Todo
from hegui.pipeline import ScanOptions

# The longest the driver sleeps between looks at the clock (progress refresh, deadlines).
_TICK_S = 0.25

OnOutcome = Callable[[Todo, ScanOutcome, float], None]


def run_local(todo: list[Todo], *, jobs: int, options: ScanOptions, formats: list[str], scan_fn: ScanFn,
              known: Mapping[str, str], on_outcome: OnOutcome, on_tick: Callable[[], None]) -> None:
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("fork")
    pending = deque(todo)
    running: list[tuple[Todo, IsolatedScan]] = []
    finished: list[tuple[Todo, ScanOutcome, float]] = []

    def refill() -> None:
        while pending and len(running) < jobs:
            item = pending.popleft()
            running.append((item, IsolatedScan(ctx, item.source, options, formats, scan_fn, known)))

    try:
        refill()
        while running:
            nearest = min(job.deadline for _item, job in running)
            timeout = min(max(nearest - time.monotonic(), 0.0), _TICK_S)
            ready = set(wait([w for _item, job in running for w in job.waitables], timeout))  # type: ignore[misc]
            still: list[tuple[Todo, IsolatedScan]] = []
            for item, job in running:
                if any(w in ready for w in job.waitables):
                    finished.append((item, job.collect(), job.elapsed()))
                elif job.expired(time.monotonic()):
                    finished.append((item, job.kill(), job.elapsed()))
                else:
                    still.append((item, job))
            running[:] = still
            # Start the next scans before writing results, so no worker slot waits on the driver's fsyncs.
            refill()
            while finished:
                on_outcome(*finished.pop(0))
            on_tick()
    finally:
        # Interrupted (Ctrl-C) or failing: leave no scan running. Unrecorded inputs are rescanned on resume.
        for _item, job in running:
            with contextlib.suppress(ValueError):  # ValueError: already collected and closed
                if job.process.exitcode is None:
                    job.process.kill()
                job.process.join()
