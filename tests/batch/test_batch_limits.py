"""Scans that hang, balloon or crash are recorded failed with their reason, and the batch goes on.

The misbehaviour is injected through `scan_fn` (tests/misbehave.py); every other input is a real scan of a
real APK.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from hegui.batch import collect_inputs, run_batch
from hegui.pipeline import ScanOptions
from misbehave import misbehaving_scan

pytestmark = pytest.mark.corpus


@pytest.fixture
def folder(tmp_path: Path, corpus: Path) -> Path:
    folder = tmp_path / "apks"
    folder.mkdir()
    real = corpus / "droidbench/apks/Threading/JavaThread1.apk"
    for name in ("hang", "balloon", "sigkill", "segfault", "bug", "good"):
        shutil.copy(real, folder / f"{name}.apk")
        # distinct content, so no input counts as a duplicate of another
        with (folder / f"{name}.apk").open("ab") as fh:
            fh.write(name.encode())
    return folder


def test_each_limit_and_crash_is_recorded_with_its_reason(folder, tmp_path, index_lines, by_name):
    out = tmp_path / "out"
    options = ScanOptions(time_budget_s=0.5, memory_budget_mb=16)
    started = time.monotonic()

    result = run_batch(collect_inputs([folder]), out, options=options, formats=["json"], jobs=2, quiet=True,
                       scan_fn=misbehaving_scan)

    assert time.monotonic() - started < 30, "a hanging scan is stopped, not waited for"
    assert (result.total, result.done, result.failed) == (6, 1, 5)
    lines = by_name(index_lines(out))
    assert {name: line.get("error") for name, line in lines.items()} == {
        "hang.apk": "timeout after 0.5 s",
        "balloon.apk": "memory limit 16 MB exceeded",
        "sigkill.apk": "worker crashed: signal 9 (SIGKILL)",
        "segfault.apk": "worker crashed: signal 11 (SIGSEGV)",
        "bug.apk": "internal error: RuntimeError: detector exploded on line two",
        "good.apk": None,
    }
    assert lines["good.apk"]["status"] == "done" and (out / lines["good.apk"]["report"]).is_file()
    # whatever killed the scan, the line names the content it was given
    assert all(len(line["sha256"]) == 64 for line in lines.values())


def test_a_scan_within_its_budget_is_not_touched_by_the_limits(tmp_path, corpus, index_lines):
    folder = tmp_path / "apks"
    folder.mkdir()
    shutil.copy(corpus / "bugly-demo/apks/BuglyHotfixDemo_tinker1.9.9.apk", folder / "bugly.apk")
    out = tmp_path / "out"

    result = run_batch(collect_inputs([folder]), out, options=ScanOptions(time_budget_s=60, memory_budget_mb=512),
                       formats=["json"], quiet=True)

    assert (result.done, result.failed) == (1, 0)
    assert index_lines(out)[0]["status"] == "done"
