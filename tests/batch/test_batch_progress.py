"""Progress on standard error: the bar on a terminal, one escaped line per failure, nothing when quiet."""

from __future__ import annotations

import io

from rich.console import Console

from hegui.batch.progress import BatchProgress


def _console(buf: io.StringIO, terminal: bool) -> Console:
    return Console(file=buf, force_terminal=terminal, width=140, color_system=None)


def test_the_live_bar_shows_done_failed_rate_and_time_left():
    buf = io.StringIO()
    with BatchProgress(3, quiet=False, console=_console(buf, True), live=True) as progress:
        progress.record("/a.apk", "done")
        progress.record("/b.apk", "failed", "empty file (0 bytes)")
    out = buf.getvalue()
    assert "2/3" in out and "done 1 · failed 1" in out and "apps/h" in out and "ETA" in out
    assert "failed: /b.apk: empty file (0 bytes)" in out


def test_without_a_terminal_only_failures_are_printed_with_control_characters_escaped():
    buf = io.StringIO()
    with BatchProgress(2, quiet=False, console=_console(buf, False), live=False) as progress:
        progress.record("/ok.apk", "done")
        progress.record("/evil\x1b[31m\n.apk", "failed", "bad")
    assert buf.getvalue() == "failed: /evil\\x1b[31m\\n.apk: bad\n"


def test_quiet_prints_nothing():
    buf = io.StringIO()
    with BatchProgress(1, quiet=True, console=_console(buf, True)) as progress:
        progress.record("/x.apk", "failed", "bad")
    assert buf.getvalue() == ""
    assert (progress.done, progress.failed) == (0, 1)
