"""hegui capture: the trace file, the tester's keys, the command's errors, and the streaming loop run against a
real process through Frida's local device (no Android device exists on this machine)."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hegui.trace import capture, read_trace
from hegui.trace.capture import (
    AGENT_DIR,
    DeviceClock,
    Target,
    TraceWriter,
    compile_agent,
    run_capture,
)

# A stand-in agent for a non-Android process: the same rpc surface as index.js (init, now, consent) and the
# real format.js, so what reaches the trace file is formatted exactly as on a device.
TEST_AGENT = """
import { apiEvent, consentEvent, launchEvent, classifyLaunch } from "./format.js";
const started = Date.now();
const now = () => Date.now() - started;
let timer = null;
rpc.exports = {
  init(config) {
    send(launchEvent(now(), classifyLaunch({ componentType: "activity", action: "android.intent.action.MAIN",
      categories: ["android.intent.category.LAUNCHER"], ownPackage: config.package }), config.package + "/.Main"));
    send({ type: "hegui-status", message: "hooked " + config.hooks.length + " catalog APIs" });
    timer = setInterval(() => send(apiEvent({ t: now(), api: config.hooks[0].api, stack: ["com.x.Y.z(Y.java:1)"],
      foreground: true, pid: Process.id })), 20);
    return "ok";
  },
  now() { return now(); },
  consent(state) { send(consentEvent(now(), state, "tester")); return true; },
};
"""


@pytest.fixture(scope="module")
def frida():
    return pytest.importorskip("frida")


@pytest.fixture(scope="module")
def stand_in_agent(frida, tmp_path_factory) -> str:
    project = tmp_path_factory.mktemp("test-agent")
    shutil.copyfile(AGENT_DIR / "format.js", project / "format.js")
    shutil.copyfile(AGENT_DIR / "package.json", project / "package.json")
    (project / "index.js").write_text(TEST_AGENT, encoding="utf-8")
    return compile_agent(frida, project)


def test_the_writer_appends_and_every_line_is_on_disk_before_close(tmp_path: Path):
    out = tmp_path / "app.trace.jsonl"
    out.write_text('{"t":0,"kind":"launch","by":"self"}\n', encoding="utf-8")
    writer = TraceWriter(out, fsync_every_s=0)
    writer.write({"t": 5, "kind": "consent", "state": "agreed", "source": "tester"})
    assert out.read_text(encoding="utf-8").splitlines()[-1] == '{"t":5,"kind":"consent","state":"agreed","source":"tester"}'
    writer.write({"t": 9, "kind": "app_exit"})
    writer.close()
    writer.write({"t": 10, "kind": "app_exit"})  # after close: dropped, no crash
    assert [e.t for e in read_trace(out).events] == [0, 5, 9]
    assert writer.exit_written


def test_tester_keys_map_to_consent_states_and_stop():
    assert [capture.tester_command(x) for x in ["\n", "r\n", " R ", "q\n", "stop", "hello"]] == [
        "agreed", "refused", "refused", "stop", "stop", None]


def test_the_device_clock_uses_the_least_delayed_event():
    host = iter([1000.0, 1010.0, 1500.0])
    clock = DeviceClock(host_ms=lambda: next(host))
    clock.observe(200)   # offset -800
    clock.observe(215)   # offset -795: less delay
    assert clock.now() == 705


def _cli(args: list[str]):
    app = typer.Typer()
    capture.register(app)

    @app.command("other")
    def _other() -> None:  # a second command keeps typer from collapsing `capture` into the root
        pass

    return CliRunner().invoke(app, ["capture", *args])


def test_capture_without_frida_is_a_one_line_error(monkeypatch, tmp_path: Path):
    monkeypatch.setitem(sys.modules, "frida", None)
    result = _cli(["--device", "emulator-5554", "--package", "com.demoshop.mall", "--output", str(tmp_path / "t")])
    assert result.exit_code == 2
    assert result.output.strip() == "hegui capture: the frida package is not installed (pip install 'hegui[capture]')"


def test_capture_with_no_such_device_is_a_one_line_error(frida, monkeypatch, tmp_path: Path):
    monkeypatch.setattr(capture, "DEVICE_TIMEOUT_S", 0)
    result = _cli(["--device", "emulator-5554", "--package", "com.demoshop.mall", "--output", str(tmp_path / "t")])
    assert result.exit_code == 2
    assert result.output.strip() == ("hegui capture: no device 'emulator-5554' (device not found); is it connected, "
                                     "and is frida-server running on it?")
    assert not (tmp_path / "t").exists()


def _config() -> dict:
    return capture.agent_config("com.demoshop.mall", None, None)


def test_events_stream_to_the_file_and_a_killed_app_ends_with_app_exit(frida, stand_in_agent, tmp_path: Path):
    out = tmp_path / "app.trace.jsonl"
    device = frida.get_local_device()
    statuses: list[str] = []
    pids: list[int] = []
    real_spawn = device.spawn

    def spawn(argv):
        pids.append(real_spawn(argv))
        return pids[-1]

    device.spawn = spawn
    seen_on_disk: list[list[str]] = []

    def kinds_on_disk() -> list[str]:
        if not out.exists():
            return []
        # The last line may be half-written while the app runs: count only whole lines.
        whole = out.read_text(encoding="utf-8").rpartition("\n")[0]
        return [json.loads(line)["kind"] for line in whole.splitlines() if line]

    def kill_later() -> None:
        # Kill the app once the consent and five API events are on disk (while it still runs): they must stay there.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            kinds = kinds_on_disk()
            if pids and "consent" in kinds and kinds.count("api") >= 5:
                seen_on_disk.append(kinds)
                break
            time.sleep(0.05)
        os.kill(pids[0], signal.SIGKILL)

    threading.Thread(target=kill_later, daemon=True).start()
    result = run_capture(device, Target(spawn=["/bin/sleep", "30"]), stand_in_agent, _config(), TraceWriter(out),
                         duration_s=20, tester_input=io.StringIO("\n"), status=statuses.append)
    trace = read_trace(out)
    assert trace.errors == []
    kinds = [e.kind for e in trace.events]
    assert kinds[0] == "launch" and kinds[-1] == "app_exit"
    assert seen_on_disk, "the consent and five API events never reached the file within 15 s"
    assert kinds[:len(seen_on_disk[0])] == seen_on_disk[0]  # what was on disk before the kill is still there
    assert trace.events[-1].data["reason"] == "detached: process-terminated"
    assert result.stopped_by == "detached (process-terminated)"
    assert result.events == len(trace.events) - 1  # all but the host-written app_exit came from the agent
    assert f"hooked {len(_config()['hooks'])} catalog APIs" in statuses
    assert "consent agreed recorded" in statuses
    consent = next(e for e in trace.events if e.kind == "consent")
    assert consent.data == {"t": consent.t, "kind": "consent", "state": "agreed", "source": "tester"}
    assert [e.t for e in trace.events] == sorted(e.t for e in trace.events)


def test_capture_stops_cleanly_at_the_end_of_its_duration(frida, stand_in_agent, tmp_path: Path):
    out = tmp_path / "app.trace.jsonl"
    device = frida.get_local_device()
    pids: list[int] = []
    real_spawn = device.spawn

    def spawn(argv):
        pids.append(real_spawn(argv))
        return pids[-1]

    device.spawn = spawn
    started = time.monotonic()
    try:
        result = run_capture(device, Target(spawn=["/bin/sleep", "30"]), stand_in_agent, _config(), TraceWriter(out),
                             duration_s=0.5, status=lambda _m: None)
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
    assert result.stopped_by == "duration"
    assert time.monotonic() - started < 10
    lines = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["kind"] == "launch"
    assert all(json.loads(line)["kind"] in ("launch", "api") for line in lines)
    assert read_trace(out).errors == []
