"""The Ray engine: the same batch on a Ray cluster, through Ray's own task API.

Inputs are paths every node can read (a shared file system) or http(s) URLs (presigned object-storage
URLs), which the task fetches on its node (`hegui.batch.download`). Each input is one Ray task; inside it the
scan runs isolated exactly as on the local engine (time limit, address-space limit, crash containment),
and the task returns the rendered report bytes. The driver writes them and the index line, so resuming
works the same whichever engine ran before.

Retries: a deterministic failure (a broken APK, a timeout, a crash inside the scan) is a result, not an
error, and is never retried. Ray retries a task whose worker process or node died (``max_retries``), and
one that raised `TransientScanError`: the file the driver could see is not readable on that node (a
shared mount that is late or flapping), or a download failed in a way another attempt may not (timeout,
refused connection, HTTP 429/5xx), ``retry_exceptions``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hegui.batch.download import UrlInput
from hegui.batch.isolate import ScanFn, ScanOutcome, one_line, run_isolated
from hegui.batch.plan import Todo
from hegui.batch.runner import BatchError
from hegui.pipeline import ScanOptions

MAX_RETRIES = 3
_TICK_S = 0.25
# Loaded once by the forkserver of each Ray worker, so each forked scan starts warm.
_PRELOAD = ["hegui.batch.isolate", "hegui.batch.forkserver_preload"]

_context: multiprocessing.context.BaseContext | None = None


class TransientScanError(Exception):
    """The input is not readable on this node right now; another attempt may succeed."""


def _scan_context() -> multiprocessing.context.BaseContext:
    """Scans inside a Ray worker fork from a clean forkserver, not from the multi-threaded Ray worker."""
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        _context = ctx
    return _context


def scan_task(path: str | UrlInput, expect_present: bool, options: ScanOptions, formats: list[str],
              scan_fn: ScanFn | None) -> tuple[ScanOutcome, float]:
    """Body of the Ray task: one isolated scan on whichever node runs it."""
    if isinstance(path, str) and expect_present and not os.access(path, os.R_OK):
        raise TransientScanError(f"{path!r} is not readable on node {socket.gethostname()}")
    if scan_fn is None:
        from hegui.pipeline import scan_path

        scan_fn = scan_path
    started = time.monotonic()
    outcome = run_isolated(_scan_context(), path if isinstance(path, UrlInput) else Path(path), options, formats,
                           scan_fn)
    if outcome.transient:  # the message is already redacted: it names no query string
        raise TransientScanError(outcome.error)
    return outcome, time.monotonic() - started


def _failure_of(err: BaseException) -> str:
    import ray.exceptions as rex

    if isinstance(err, rex.RayTaskError):
        cause = err.cause if getattr(err, "cause", None) is not None else err
        return one_line(f"ray task failed after {MAX_RETRIES} retries: {type(cause).__name__}: {cause}")
    if isinstance(err, (rex.WorkerCrashedError, rex.NodeDiedError, rex.OutOfMemoryError)):
        return one_line(f"ray worker lost after {MAX_RETRIES} retries: {type(err).__name__}")
    return one_line(f"ray error: {type(err).__name__}: {err}")


def run_ray(todo: list[Todo], *, jobs: int, address: str | None, options: ScanOptions, formats: list[str],
            scan_fn: ScanFn, on_outcome: Callable[[Todo, ScanOutcome, float], None],
            on_tick: Callable[[], None]) -> None:
    try:
        import ray
    except ImportError:
        raise BatchError("engine 'ray' needs Ray: pip install 'hegui[cluster]'") from None
    from hegui.pipeline import scan_path

    started_here = not ray.is_initialized()
    if started_here:
        try:
            if address:
                ray.init(address=address, log_to_driver=False)
            else:  # a private single-machine cluster for this batch
                ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False)
        except Exception as err:  # ConnectionError, ValueError, RuntimeError depending on the address form
            raise BatchError(one_line(f"cannot start or reach Ray at {address or 'a local head'}: {err}")) from None
    # Only a scan function other than the default travels with the task (it is pickled by value).
    task_fn = None if scan_fn is scan_path else scan_fn
    remote = ray.remote(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=[TransientScanError])(scan_task)
    cluster_cpus = int(ray.cluster_resources().get("CPU", jobs))
    # Enough tasks queued to keep every CPU busy, without holding 400,000 task specs in the driver.
    window = 2 * max(cluster_cpus, jobs)
    pending = iter(todo)
    in_flight: dict[Any, Todo] = {}
    try:
        while True:
            while len(in_flight) < window:
                item = next(pending, None)
                if item is None:
                    break
                source = item.source if isinstance(item.source, UrlInput) else str(item.source)
                ref = remote.remote(source, item.size is not None, options, formats, task_fn)
                in_flight[ref] = item
            if not in_flight:
                break
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=_TICK_S)
            for ref in ready:
                item = in_flight.pop(ref)
                try:
                    outcome, seconds = ray.get(ref)
                except Exception as err:
                    outcome, seconds = ScanOutcome(status="failed", error=_failure_of(err)), 0.0
                on_outcome(item, outcome, seconds)
            on_tick()
    finally:
        for ref in in_flight:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        if started_here:
            ray.shutdown()
