"""Progress on standard error: a live bar on a terminal, one line per failure otherwise.

The bar is refreshed by the driver's own loop (``auto_refresh=False``), not by rich's refresh thread:
scans are forked from the driver, and forking while another thread holds a lock is how children hang.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.text import Text

_MIN_REFRESH_S = 0.2


def printable(text: str) -> str:
    """A file name or message from the input, safe to print: control characters shown as escapes."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class BatchProgress:
    def __init__(self, total: int, *, quiet: bool, console: Console | None = None, live: bool | None = None) -> None:
        """`live` (the bar) defaults to: not quiet and standard error is a terminal."""
        self.console = console or Console(stderr=True, highlight=False)
        self.quiet = quiet
        self.live = (not quiet and sys.stderr.isatty() if live is None else live) and total > 0
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()
        self._last_refresh = 0.0
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if self.live:
            self._progress = Progress(
                TextColumn("扫描 scan"),
                BarColumn(bar_width=24),
                MofNCompleteColumn(),
                TextColumn("done {task.fields[done]} · failed {task.fields[failed]} · {task.fields[rate]} apps/h ·"),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console, auto_refresh=False, transient=False,
            )
            self._task = self._progress.add_task("scan", total=total, done=0, failed=0, rate="–")

    def __enter__(self) -> BatchProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self.tick(force=True)
            self._progress.stop()

    def rate_per_hour(self) -> float:
        elapsed = time.monotonic() - self.started
        return (self.done + self.failed) / elapsed * 3600 if elapsed > 0 else 0.0

    def record(self, path: str, status: str, error: str | None = None) -> None:
        if status == "failed":
            self.failed += 1
            if not self.quiet:
                line = Text(f"failed: {printable(path)}: {printable(error or '')}")
                self.console.print(line, soft_wrap=True)
        else:
            self.done += 1
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, done=self.done, failed=self.failed,
                                  rate=f"{self.rate_per_hour():,.0f}")
        self.tick()

    def tick(self, force: bool = False) -> None:
        if self._progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_refresh >= _MIN_REFRESH_S:
            self._progress.refresh()
            self._last_refresh = now
