"""The batch driver: plan from the index, run an engine, write every result durably, summarise.

Only this process writes the output directory. For each finished input it first puts the report files
in place (temporary file, fsync, rename) and then appends the index line (fsync), so a line in the index
names reports that exist; a crash between the two leaves a report without a line, which the next run
simply rescans and renames over (same name, never a second copy). Should a power cut lose a rename that
the index line survived, the next run sees the report missing and scans that input again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hegui.batch.download import UrlInput
from hegui.batch.index import (
    INDEX_NAME,
    IndexLine,
    IndexState,
    IndexWriter,
    Prior,
    latest_lines,
    line_at,
    read_index,
)
from hegui.batch.isolate import ScanOutcome, SdkSeen, one_line
from hegui.batch.plan import Todo, input_key, known_content, plan
from hegui.batch.progress import BatchProgress
from hegui.batch.summary import SEVERITY_NAMES, write_index_page, write_summary
from hegui.errors import InputError
from hegui.pipeline import ScanOptions, file_digest
from hegui.report.model import SEVERITY_ORDER

PARTIAL_DIR = ".partial"
LOCK_NAME = ".hegui-batch.lock"
ENGINES = ("local", "ray")


class BatchError(InputError):
    """The batch as a whole cannot run (bad arguments, output directory busy). One line, exit status 2."""


@dataclass
class BatchResult:
    total: int
    done: int
    failed: int
    skipped_existing: int
    max_severity: int  # 0 none, 1 low … 4 critical (hegui.report.model.SEVERITY_ORDER)
    summary: dict = field(default_factory=dict, compare=False)  # summary.json as written (everything the folder holds)
    files: list[Path] = field(default_factory=list, compare=False)  # summary.json, the CSVs, index.html when written

    def closing_lines(self) -> list[str]:
        """What a person reads when the batch ends: counts by status and severity, and where the results are."""
        lines = [f"{self.total} inputs: {self.done} scanned now, {self.failed} failed, "
                 f"{self.skipped_existing} finished before / 共 {self.total} 个输入"]
        by_severity = self.summary.get("apps_by_max_severity") or {}
        if by_severity:
            counts = ", ".join(f"{n} {sev}" for sev, n in by_severity.items() if n and sev != "none")
            clean = by_severity.get("none", 0)
            lines.append(f"apps by most severe finding: {counts or 'none'}"
                         + (f", {clean} without findings" if clean else ""))
        if self.files:
            lines.append("summary: " + ", ".join(str(f) for f in self.files))
        return lines

    def exit_status(self, fail_on: str | None = None) -> int:
        """The CLI's exit status: 2 when no input could be read, 1 when a finding reaches `fail_on`."""
        if self.total and self.failed == self.total:
            return 2
        if fail_on is not None and self.max_severity >= SEVERITY_ORDER[fail_on]:
            return 1
        return 0


def check_formats(formats: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(formats or ["json"]))
    try:
        from hegui.report.render import FORMATS
    except ImportError:
        FORMATS = ("json",)  # noqa: N806 — the renderers are not installed yet: JSON only
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise BatchError(f"unknown report format {unknown[0]!r} (known: {', '.join(FORMATS)})")
    return wanted


@contextlib.contextmanager
def _exclusive(output_dir: Path) -> Iterator[None]:
    """One batch per output directory at a time: two writers would interleave the index."""
    with (output_dir / LOCK_NAME).open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchError(f"output directory {output_dir} is in use by another hegui batch") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class _Recorder:
    """Turns outcomes into report files and index lines, and keeps the counts."""

    def __init__(self, output_dir: Path, writer: IndexWriter, known: dict[str, str], progress: BatchProgress,
                 state: IndexState) -> None:
        self.output_dir = output_dir
        self.partial = output_dir / PARTIAL_DIR
        self.writer = writer
        self.known = known
        self.progress = progress
        self.state = state
        self.done = 0
        self.failed = 0
        self.unchanged = 0
        self.sdks_seen: dict[str, SdkSeen] = {}

    def _place(self, sha256: str, files: dict[str, bytes]) -> list[str]:
        names: list[str] = []
        for ext, data in files.items():
            name = f"{sha256}.{ext}"  # from our own hash of the input: never from APK content
            tmp = self.partial / f"{name}.{secrets.token_hex(4)}"
            with tmp.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.output_dir / name)
            names.append(name)
        # No directory fsync per report: if power fails before the rename is durable, the index line may
        # survive without its report, and the resume plan rescans any done input whose report is missing.
        return names

    def record(self, item: Todo, outcome: ScanOutcome, seconds: float) -> None:
        size = item.size if item.size is not None else outcome.size  # a URL's size is known once fetched
        line = IndexLine(path=item.key, status="done", sha256=outcome.sha256, size=size,
                         mtime_ns=item.mtime_ns, seconds=round(seconds, 3),
                         finished_at=datetime.now(UTC).isoformat(timespec="seconds"))
        original_path = self.known.get(outcome.sha256) if outcome.sha256 else None
        if outcome.status == "unchanged" or (outcome.status == "done" and original_path == item.key):
            # Touched but identical content: its earlier line still holds.
            self.unchanged += 1
            self.progress.record(item.key, "done")
            return
        if outcome.status in ("duplicate", "done") and original_path is not None:
            prior = self.state.by_path.get(original_path)
            original = line_at(self.writer.path, prior.offset) if prior is not None else None
            if original is None or original.status != "done" or original.sha256 != outcome.sha256:
                line.status, line.error = "failed", "duplicate of content whose index line is missing"
            else:
                line.duplicate_of = original_path
                line.findings, line.max_severity = original.findings, original.max_severity
                line.report, line.reports = original.report, list(original.reports)
                line.sdks, line.rules = list(original.sdks), dict(original.rules)
        elif outcome.status == "done" and outcome.sha256:
            names = self._place(outcome.sha256, outcome.files)
            line.report, line.reports = (names[0] if names else None), names
            line.findings, line.max_severity = outcome.findings, SEVERITY_NAMES.get(outcome.max_severity)
            line.sdks = sorted({s.id for s in outcome.sdks})
            line.rules = dict(sorted(outcome.rules.items()))
            for sdk in outcome.sdks:
                self.sdks_seen.setdefault(sdk.id, sdk)
            self.known[outcome.sha256] = item.key
        else:
            line.status, line.error = "failed", one_line(outcome.error or "scan failed")
            if line.sha256 is None and not isinstance(item.source, UrlInput):  # a download is gone
                line.sha256 = _digest_or_none(item.source)
        offset = self.writer.append(line)
        self.state.by_path[item.key] = Prior.of(line, offset)
        if line.status == "done":
            self.done += 1
        else:
            self.failed += 1
        self.progress.record(item.key, line.status, line.error)


def _digest_or_none(path: Path) -> str | None:
    """The hash of an input whose scan died before reporting it (rare: crash, timeout, memory)."""
    try:
        return file_digest(path)[0] if path.is_file() else None
    except OSError:
        return None


def _clear_partial(partial: Path) -> None:
    """Temporary report files a killed run left behind (only inside our own scratch directory)."""
    partial.mkdir(exist_ok=True)
    for leftover in partial.iterdir():
        if leftover.is_file() and not leftover.is_symlink():
            leftover.unlink()


def _warm_up(scan_fn: object, formats: list[str]) -> None:
    """Load the analysis code, knowledge and renderers once in the driver: every forked scan starts warm."""
    from hegui.pipeline import scan_path

    if scan_fn is scan_path:
        from hegui.batch.warm import warm_up

        warm_up(formats)


def run_batch(inputs: list[Path | UrlInput], output_dir: Path, *, options: ScanOptions, formats: list[str],
              jobs: int = 1, engine: str = "local", address: str | None = None, quiet: bool = False,
              scan_fn: Callable[[Path, ScanOptions], object] | None = None,
              retry_failed: bool = False) -> BatchResult:
    """Scan `inputs` into `output_dir`, resuming whatever an earlier run there finished.

    Raises `BatchError` (one line) when the batch cannot start; KeyboardInterrupt propagates after the
    running scans are stopped (everything recorded so far stays, a rerun resumes).
    """
    if engine not in ENGINES:
        raise BatchError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
    if jobs < 1:
        raise BatchError("--jobs must be at least 1")
    formats = check_formats(formats)
    if scan_fn is None:
        from hegui.pipeline import scan_path

        scan_fn = scan_path
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BatchError(f"cannot create output directory {output_dir}: {err.strerror or err}") from None
    if not output_dir.is_dir():
        raise BatchError(f"output {output_dir} is not a directory")

    with _exclusive(output_dir):
        index_path = output_dir / INDEX_NAME
        state = read_index(index_path)
        work = plan(inputs, state, output_dir, retry_failed=retry_failed)
        if work.skipped and not quiet:
            sys.stderr.write(f"hegui: resuming in {output_dir}: {len(work.skipped)} of {len(inputs)} inputs already "
                             f"finished, {len(work.todo)} to scan\n")
        known = known_content(state, output_dir)
        _clear_partial(output_dir / PARTIAL_DIR)
        if engine == "local" and work.todo:
            _warm_up(scan_fn, formats)
        with IndexWriter(index_path) as writer, BatchProgress(len(work.todo), quiet=quiet) as progress:
            recorder = _Recorder(output_dir, writer, known, progress, state)
            # Nothing left to scan: no workers are started and no cluster is contacted.
            if work.todo and engine == "local":
                from hegui.batch.local import run_local

                run_local(work.todo, jobs=jobs, options=options, formats=formats, scan_fn=scan_fn,  # type: ignore[arg-type]
                          known=known, on_outcome=recorder.record, on_tick=progress.tick)
            elif work.todo:
                from hegui.batch.ray_engine import run_ray

                run_ray(work.todo, jobs=jobs, address=address, options=options, formats=formats,
                        scan_fn=scan_fn, on_outcome=recorder.record, on_tick=progress.tick)  # type: ignore[arg-type]
        files = write_summary(output_dir, latest_lines(index_path, state), recorder.sdks_seen)
        written = [files.summary, files.rules_csv, files.sdk_csv]
        if "html" in formats:
            written.append(write_index_page(output_dir, latest_lines(index_path, state), files.data))

    keys = {input_key(source) for source in inputs}
    max_severity = max((SEVERITY_ORDER.get(state.by_path[k].max_severity or "", 0)
                        for k in keys if k in state.by_path), default=0)
    return BatchResult(total=len(keys), done=recorder.done, failed=recorder.failed,
                       skipped_existing=len(work.skipped) + recorder.unchanged, max_severity=max_severity,
                       summary=files.data, files=written)
