"""The Ray engine against a real Ray head started by the test on loopback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from hegui.batch import BatchError, BatchResult, collect_inputs, run_batch
from hegui.pipeline import ScanOptions


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ray_head(monkeypatch):
    """A one-node Ray cluster on 127.0.0.1; stopped (with everything it started) when the test ends."""
    ray = pytest.importorskip("ray")
    ray_cli = Path(sys.executable).with_name("ray")
    if not ray_cli.exists():
        pytest.skip("ray command line not installed")
    # Loopback-only test cluster: token authentication off on both ends (the driver reads it from the env).
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    port = _free_port()
    # Ray's unix sockets live under the temp dir and must stay short (108-byte limit): not in tmp_path.
    temp_dir = tempfile.mkdtemp(prefix="hgray")
    head = subprocess.Popen(
        [str(ray_cli), "start", "--head", "--block", "--port", str(port), "--node-ip-address", "127.0.0.1",
         "--include-dashboard=false", "--num-cpus", "2", "--object-store-memory", str(100 << 20),
         "--temp-dir", temp_dir, "--disable-usage-stats"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=dict(os.environ),
    )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ray.init(address=address, log_to_driver=False)
                ray.shutdown()
                break
            except ConnectionError:
                assert head.poll() is None, "ray head exited"
                assert time.monotonic() < deadline, "ray head did not come up"
                time.sleep(0.5)
        yield address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        head.send_signal(signal.SIGTERM)  # `ray start --block` stops its raylet and GCS on SIGTERM
        try:
            head.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.corpus
def test_a_batch_on_a_ray_cluster_writes_the_same_index_and_reports(ray_head, mixed_folder, tmp_path, index_lines,
                                                                    by_name, report_validator):
    out = tmp_path / "out"
    inputs = collect_inputs([mixed_folder])

    result = run_batch(inputs, out, options=ScanOptions(), formats=["json"], jobs=2, engine="ray",
                       address=ray_head, quiet=True)

    assert result == BatchResult(total=5, done=3, failed=2, skipped_existing=0, max_severity=4)
    lines = by_name(index_lines(out))
    assert {n: line["status"] for n, line in lines.items()} == {
        "bugly.apk": "done", "small.apk": "done", "truncated.apk": "done", "empty.apk": "failed",
        "garbage.apk": "failed"}
    assert "empty" in lines["empty.apk"]["error"]
    for line in lines.values():
        if line["status"] == "done":
            report = json.loads((out / line["report"]).read_text(encoding="utf-8"))
            report_validator(report)
            assert report["input"]["sha256"] == line["sha256"]
    assert "bugly" in lines["bugly.apk"]["sdks"]
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["by_status"] == {"done": 3, "failed": 2}

    # the index a Ray run leaves is the one the local engine resumes from
    again = run_batch(inputs, out, options=ScanOptions(), formats=["json"], quiet=True)
    assert again == BatchResult(total=5, done=0, failed=0, skipped_existing=5, max_severity=4)


def test_the_ray_engine_without_ray_installed_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError
    apk = tmp_path / "a.apk"
    apk.write_bytes(b"x")
    with pytest.raises(BatchError, match=r"^engine 'ray' needs Ray: pip install 'hegui\[cluster\]'$"):
        run_batch([apk], tmp_path / "out", options=ScanOptions(), formats=["json"], engine="ray", quiet=True)


def test_an_input_the_driver_saw_but_a_node_cannot_read_is_a_retryable_error(tmp_path):
    from hegui.batch.ray_engine import TransientScanError, scan_task

    with pytest.raises(TransientScanError, match="not readable on node"):
        scan_task(str(tmp_path / "vanished.apk"), True, ScanOptions(), ["json"], None)
    # one the driver could not see either is an ordinary, final failure of the input
    outcome, _seconds = scan_task(str(tmp_path / "vanished.apk"), False, ScanOptions(), ["json"], None)
    assert (outcome.status, outcome.error) == ("failed", "not found")
