"""kill -9 a running batch, run it again: every input ends up exactly once, done, and nothing is rescanned."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from hegui.batch import BatchResult, collect_inputs, run_batch
from hegui.pipeline import ScanOptions

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

# Ten real APKs of 0.3–2.6 MB: slow enough (~0.3–1 s a scan with one job) to be killed in the middle.
INPUT_DIRS = ("droidbench/apks/Threading", "bugly-demo/apks")


def _lines(index: Path) -> list[dict]:
    if not index.exists():
        return []
    return [json.loads(x) for x in index.read_text(encoding="utf-8").splitlines() if x.endswith("}")]


def _dies(scan: psutil.Process, within_s: float = 5.0) -> bool:
    """True once the process is gone (or a zombie nobody reaped yet: it no longer runs)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if scan.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def _report_stamps(out: Path, lines: list[dict]) -> dict[str, tuple[int, int]]:
    return {line["report"]: ((out / line["report"]).stat().st_ino, (out / line["report"]).stat().st_mtime_ns)
            for line in lines}


def test_a_batch_killed_mid_way_resumes_without_rescanning_or_duplicates(tmp_path, corpus):
    roots = [corpus / d for d in INPUT_DIRS]
    inputs = collect_inputs(roots)
    assert len(inputs) == 10
    out = tmp_path / "out"
    index = out / "index.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hegui.batch", *map(str, roots), "--output", str(out), "--jobs", "1", "--quiet"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        scans: list[psutil.Process] = []
        while len(_lines(index)) < 3:
            assert proc.poll() is None, f"batch ended before it could be killed: {proc.stderr.read()!r}"
            assert time.monotonic() < deadline, "batch wrote no index lines"
            scans = psutil.Process(proc.pid).children() or scans
            time.sleep(0.02)
        scans = psutil.Process(proc.pid).children() or scans
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()

    # the scan that was running dies with its driver instead of running on as an orphan
    assert scans, "the batch ran its scans in child processes"
    assert all(_dies(scan) for scan in scans)
    before = _lines(index)
    assert 3 <= len(before) < 10, "killed mid-way"
    stamps = _report_stamps(out, before)

    result = run_batch(inputs, out, options=ScanOptions(), formats=["json"], jobs=2, quiet=True)

    assert result == BatchResult(total=10, done=10 - len(before), failed=0, skipped_existing=len(before),
                                 max_severity=result.max_severity)
    after = _lines(index)
    assert sorted(line["path"] for line in after) == sorted(os.path.abspath(p) for p in inputs)
    assert {line["status"] for line in after} == {"done"}
    assert after[: len(before)] == before, "resume appends; it never rewrites what was recorded"
    assert {name: stamp for name, stamp in _report_stamps(out, after).items() if name in stamps} == stamps
    reports = sorted(p.name for p in out.iterdir() if p.suffix == ".json" and len(p.stem) == 64)
    assert reports == sorted({line["report"] for line in after})
    assert list((out / ".partial").iterdir()) == []
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["by_status"] == {"done": 10, "failed": 0}
