"""One scan in its own child process, under a wall-clock limit and an address-space limit.

A scan reads attacker-controlled input; a pathological APK may loop, balloon or crash the interpreter.
Running each scan in a fresh child keeps that from taking the batch down: the parent kills a child that
runs past its time, the kernel refuses a child more address space than its budget (``RLIMIT_AS``), and a
child that dies any other way is reported by its signal. A child per scan (rather than long-lived
workers) also means no memory a bad scan leaked survives into the next one, at the cost of a fork (~ms).

The child renders the report itself and sends the rendered bytes back through a pipe; the parent (the
batch driver, or a Ray task) decides where they are written, so only one process writes the output
directory.

A single-file ``hegui scan`` runs its one scan the same way (`scan_report_isolated`): the child sends the
report itself back and the command line renders it, so the limits are as hard as in a batch.

An input named by URL (`hegui.batch.download`) is fetched by the child, into a private directory the
parent creates and always removes (even when it kills the child), so the download runs under the same
limits as the scan; its time limit is the scan's plus the download deadline.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import resource
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Literal

from hegui.batch.download import DOWNLOAD_DEADLINE_S, SOCKET_TIMEOUT_S, DownloadError, UrlInput, fetch
from hegui.errors import InputError
from hegui.pipeline import ScanOptions, file_digest, scan_path
from hegui.report.header import ReportHeader
from hegui.report.model import Report

ScanFn = Callable[[Path, ScanOptions], Report]

OutcomeStatus = Literal["done", "failed", "duplicate", "unchanged"]
# What a batch scans: a file, or an object fetched by URL.
Source = Path | UrlInput

MiB = 1 << 20
_PR_SET_PDEATHSIG = 1
# How long a child that has sent its result may take to exit before it is killed.
_EXIT_GRACE_S = 10.0


def hard_time_limit(budget_s: float) -> float:
    """When the parent kills a scan: a little after its budget.

    The scanner checks its own budget and stops with a partial report (a "budget" error); the kill is
    the backstop for a scan that cannot stop (a loop inside one step, a stuck read). Without the margin
    the two would race and the same APK could come out "done" in one run and "failed" in the next.
    """
    return budget_s + max(2.0, 0.1 * budget_s)


def hard_memory_limit_mb(budget_mb: int) -> int:
    """Address space a scan may add before the kernel refuses it (same reasoning as `hard_time_limit`;
    address space also runs ahead of the resident memory the scanner measures)."""
    return budget_mb + max(64, budget_mb // 4)


@dataclass(frozen=True, slots=True)
class SdkSeen:
    id: str
    name: str
    company: str | None = None
    category: str | None = None


@dataclass(slots=True)
class ScanOutcome:
    """What became of one input. ``files`` maps a file extension to the rendered report bytes."""

    status: OutcomeStatus
    sha256: str | None = None
    size: int | None = None
    error: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    findings: int = 0
    max_severity: int = 0
    sdks: list[SdkSeen] = field(default_factory=list)
    rules: dict[str, int] = field(default_factory=dict)
    duplicate_of: str | None = None
    transient: bool = False  # failed in a way another attempt may not (a network error): Ray retries it


def one_line(text: str, limit: int = 300) -> str:
    """Collapse an error message to one bounded line (it may quote attacker-controlled names)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def fmt_seconds(seconds: float) -> str:
    return f"{seconds:g}"


# Reasons name the budget the user set (what they can raise), not the backstop margin above it.
def timeout_reason(budget_s: float) -> str:
    return f"timeout after {fmt_seconds(budget_s)} s"


def memory_reason(budget_mb: int) -> str:
    return f"memory limit {budget_mb} MB exceeded"


def internal_reason(err: Exception) -> str:
    return one_line(f"internal error: {type(err).__name__}: {err}")


def crash_reason(exitcode: int | None) -> str:
    if exitcode is None:
        return "worker crashed: no exit status"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            return f"worker crashed: signal {-exitcode}"
        return f"worker crashed: signal {-exitcode} ({name})"
    return f"worker crashed: exit status {exitcode}"


# ---------------------------------------------------------------- what runs inside the child


def render_files(report: Report, formats: list[str], header: ReportHeader | None = None) -> dict[str, bytes]:
    """Rendered report per extension. JSON is always available; other formats need `hegui.report.render`.
    `header` (--report-header) heads the HTML and PDF reports, each numbered by its own scheme."""
    try:
        from hegui.report.render import extension, render
    except ImportError:
        return {"json": report.model_dump_json(indent=2).encode("utf-8")}
    return {extension(fmt): render(report, fmt, header=header) for fmt in formats}


def scan_url_to_outcome(source: UrlInput, scratch: Path, options: ScanOptions, formats: list[str],
                        scan_fn: ScanFn, known: Mapping[str, str] | None = None) -> ScanOutcome:
    """Fetch `source` into `scratch` (a private directory), then as `scan_to_outcome`; the report names
    the redacted URL as its input. Raises `DownloadError` when the fetch fails."""
    local = scratch / "input.apk"  # our own name: nothing from the URL becomes a path
    try:
        fetch(source.url, local, allow_private=source.allow_private)
        return scan_to_outcome(local, options, formats, scan_fn, known, key=source.key)
    finally:
        local.unlink(missing_ok=True)


def scan_to_outcome(path: Path, options: ScanOptions, formats: list[str], scan_fn: ScanFn,
                    known: Mapping[str, str] | None = None, *, key: str | None = None) -> ScanOutcome:
    """Hash, scan and render one input (no isolation: the caller provides it).

    `known` maps the sha256 of content already scanned in this batch to its path; an input with such
    content is not scanned again. `key` is the input's name in the index and the report's ``input.path``
    when it is not the file's own path (a URL fetched into a temporary file).
    """
    key = key if key is not None else os.path.abspath(path)
    if not path.is_file():
        raise InputError("not found" if not path.exists() else "not a regular file")
    try:
        sha256, size = file_digest(path)
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror or err}") from err
    if known and sha256 in known:
        same = known[sha256]
        status: OutcomeStatus = "unchanged" if same == key else "duplicate"
        return ScanOutcome(status=status, sha256=sha256, size=size, duplicate_of=same)
    try:
        report = scan_fn(path, options)
        if key != os.path.abspath(path):
            report.input.path = key
        files = render_files(report, formats, options.report_header)
    except InputError as err:
        return ScanOutcome(status="failed", sha256=sha256, size=size, error=one_line(str(err)) or "unreadable input")
    except MemoryError:
        raise
    except Exception as err:  # a bug in the scanner must not stop the batch; name it for the index
        return ScanOutcome(status="failed", sha256=sha256, size=size, error=internal_reason(err))
    rules: dict[str, int] = {}
    for finding in report.findings:
        rules[finding.rule_id] = rules.get(finding.rule_id, 0) + 1
    # an SDK only declared in the manifest (no code) is not in the app: it does not count towards prevalence
    sdks = [SdkSeen(s.id, s.name, s.company, s.category) for s in report.sdks if not s.declared_only]
    return ScanOutcome(status="done", sha256=sha256, size=size, files=files, findings=len(report.findings),
                       max_severity=report.max_severity(), sdks=sdks, rules=rules)


def _die_with_parent(parent_pid: int | None) -> None:
    """Linux: have the kernel SIGKILL this child if its parent dies (kill -9 leaves no orphan scans).

    `parent_pid` is the driver's pid when the child was forked from it directly; a forkserver's child
    (None) is tied to the forkserver, which itself exits with the process that started it.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:  # died before prctl took effect
        os._exit(1)


def _address_space_in_use() -> int:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _limit_memory(budget_mb: int) -> None:
    """Allow the scan `hard_memory_limit_mb(budget_mb)` of address space on top of what the child
    already maps at fork.

    The baseline is whatever the parent had mapped (interpreter, imported modules, shared pages), which
    differs between the CLI, a test runner and a Ray worker; counting the budget from it makes the limit
    mean the same everywhere.
    """
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        baseline = _address_space_in_use()
    except (OSError, ValueError):
        baseline = 0
    limit = baseline + hard_memory_limit_mb(budget_mb) * MiB
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _child_main(conn: Connection, parent_pid: int | None, source: Source, scratch: Path | None,
                options: ScanOptions, formats: list[str], scan_fn: ScanFn, known: Mapping[str, str] | None) -> None:
    # Objects inherited from the driver (its index state, loaded knowledge) move out of the collector's
    # reach: a full collection would otherwise touch, and so copy, every inherited page.
    gc.freeze()
    # Ctrl-C reaches the whole process group; only the driver decides what an interrupt means.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent_pid)
    out_of_memory = ScanOutcome(status="failed", error=memory_reason(options.memory_budget_mb))
    try:
        _limit_memory(options.memory_budget_mb)
        if isinstance(source, UrlInput) and scratch is not None:
            outcome = scan_url_to_outcome(source, scratch, options, formats, scan_fn, known)
        else:
            outcome = scan_to_outcome(Path(source), options, formats, scan_fn, known)
    except MemoryError:
        outcome = out_of_memory
    except DownloadError as err:
        outcome = ScanOutcome(status="failed", error=one_line(str(err)), transient=err.transient)
    except InputError as err:
        outcome = ScanOutcome(status="failed", error=one_line(str(err)) or "unreadable input")
    except Exception as err:
        outcome = ScanOutcome(status="failed", error=internal_reason(err))
    try:
        conn.send(outcome)
    except MemoryError:
        conn.send(out_of_memory)
    conn.close()


# ---------------------------------------------------------------- the parent's handle on one child


class IsolatedScan:
    """A running child scan. Wait on `waitables`; call `collect` when one is ready, `kill` on timeout."""

    def __init__(self, ctx: multiprocessing.context.BaseContext, source: Source, options: ScanOptions,
                 formats: list[str], scan_fn: ScanFn, known: Mapping[str, str] | None = None) -> None:
        self.source = source
        self.options = options
        # The parent owns the download directory (mode 0700), so it goes even when the child is killed.
        self.scratch = Path(tempfile.mkdtemp(prefix="hegui-url-")) if isinstance(source, UrlInput) else None
        receiver, sender = ctx.Pipe(duplex=False)
        self.conn = receiver
        parent_pid = os.getpid() if ctx.get_start_method() == "fork" else None
        self.process = ctx.Process(  # type: ignore[attr-defined]
            target=_child_main, args=(sender, parent_pid, source, self.scratch, options, formats, scan_fn, known),
            name="hegui-scan", daemon=True,
        )
        self.started = time.monotonic()
        try:
            self.process.start()
        except BaseException:
            self._remove_scratch()
            raise
        sender.close()  # the parent keeps only the reading end, so EOF means the child is gone
        limit = hard_time_limit(options.time_budget_s)
        if self.scratch is not None:
            limit += DOWNLOAD_DEADLINE_S + SOCKET_TIMEOUT_S
        self.deadline = self.started + limit

    @property
    def waitables(self) -> list[object]:
        return [self.conn, self.process.sentinel]

    def expired(self, now: float) -> bool:
        return now >= self.deadline

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def collect(self) -> ScanOutcome:
        """The child's outcome; call once the pipe or the process sentinel is ready."""
        outcome: ScanOutcome | None = None
        try:
            # Blocks only while a child that has started sending finishes its message.
            if self.conn.poll():
                received = self.conn.recv()
                if isinstance(received, ScanOutcome):
                    outcome = received
        except (EOFError, OSError, ValueError, TypeError, AttributeError, ImportError):
            outcome = None
        except Exception:  # a garbled message from a dying child (e.g. pickle.UnpicklingError)
            outcome = None
        self.process.join(_EXIT_GRACE_S)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
        exitcode = self.process.exitcode
        self._close()
        if outcome is None:
            return ScanOutcome(status="failed", error=crash_reason(exitcode))
        return outcome

    def kill(self) -> ScanOutcome:
        """Stop a child that ran out of time."""
        self.process.kill()
        self.process.join()
        self._close()
        return ScanOutcome(status="failed", error=timeout_reason(self.options.time_budget_s))

    def _close(self) -> None:
        self.conn.close()
        with contextlib.suppress(ValueError):
            self.process.close()
        self._remove_scratch()

    def _remove_scratch(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


def run_isolated(ctx: multiprocessing.context.BaseContext, source: Source, options: ScanOptions,
                 formats: list[str], scan_fn: ScanFn) -> ScanOutcome:
    """One isolated scan, waiting for it (what a Ray task does)."""
    from multiprocessing.connection import wait

    job = IsolatedScan(ctx, source, options, formats, scan_fn)
    while True:
        remaining = job.deadline - time.monotonic()
        if remaining <= 0:
            return job.kill()
        if wait(job.waitables, timeout=remaining):
            return job.collect()


# ---------------------------------------------------------------- one scan whose report comes back


class ScanFailed(Exception):
    """An isolated scan ended without a report: out of time or memory, crashed, or a scanner bug.
    `str(err)` is the one-line reason, worded as the batch index words it."""


def _report_child(conn: Connection, parent_pid: int, path: Path, options: ScanOptions, scan_fn: ScanFn) -> None:
    gc.freeze()  # as in `_child_main`: inherited objects stay shared with the parent
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent answers Ctrl-C (and kills this child)
    _die_with_parent(parent_pid)
    result: tuple[str, object]
    try:
        _limit_memory(options.memory_budget_mb)
        result = ("report", scan_fn(path, options))
    except MemoryError:
        result = ("failed", memory_reason(options.memory_budget_mb))
    except InputError as err:
        result = ("input", one_line(str(err)) or "unreadable input")
    except Exception as err:
        result = ("failed", internal_reason(err))
    try:
        conn.send(result)
    except MemoryError:  # the report was too large to send within the budget
        conn.send(("failed", memory_reason(options.memory_budget_mb)))
    conn.close()


def scan_report_isolated(path: Path, options: ScanOptions, scan_fn: ScanFn = scan_path,
                         ctx: multiprocessing.context.BaseContext | None = None) -> Report:
    """`scan_fn(path, options)` in a child under the limits of a batch scan, its report returned.

    Raises InputError when the input cannot be read (the scan's own one-line reason), ScanFailed when the
    scan ran past `hard_time_limit` or `hard_memory_limit_mb`, crashed or failed inside the scanner.
    """
    from multiprocessing.connection import wait

    ctx = ctx or multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_report_child, args=(sender, os.getpid(), path, options, scan_fn),  # type: ignore[attr-defined]
                          name="hegui-scan", daemon=True)
    process.start()
    sender.close()  # EOF on the reading end now means the child is gone
    deadline = time.monotonic() + hard_time_limit(options.time_budget_s)
    result: tuple[str, object] | None = None
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ScanFailed(timeout_reason(options.time_budget_s))
            if wait([receiver, process.sentinel], timeout=remaining):
                break
        try:
            if receiver.poll():
                received = receiver.recv()
                if isinstance(received, tuple) and len(received) == 2:
                    result = received
        except Exception:  # EOF or a garbled message from a dying child: judged by its exit status below
            result = None
        process.join(_EXIT_GRACE_S)
    finally:
        if process.exitcode is None:
            process.kill()
            process.join()
        receiver.close()
    if result is None:
        raise ScanFailed(crash_reason(process.exitcode))
    kind, value = result
    if kind == "report" and isinstance(value, Report):
        return value
    if kind == "input":
        raise InputError(str(value))
    raise ScanFailed(str(value))
