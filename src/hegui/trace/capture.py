"""``hegui capture``: record a runtime trace on a device with Frida.

The agent (``hegui/trace/agent/``, JavaScript) is compiled with frida's own compiler; it hooks the catalog's
APIs (list generated here from `knowledge/pi_types.yaml`), permission prompts, consent taps, process starts
and network hosts. Every event is appended to the output file the moment it arrives — flushed per line and
fsynced every second — so a crash of the app, the device link or hegui loses nothing already received.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from hegui.trace.apis import hook_specs, trace_knowledge, unhookable_apis

AGENT_DIR = Path(__file__).resolve().parent / "agent"
AGENT_FILES = ("package.json", "index.js", "hooks.js", "format.js")
FSYNC_EVERY_S = 1.0
USER_ACTION_WINDOW_MS = 1500
DEVICE_TIMEOUT_S = 5


class CaptureError(Exception):
    """A one-line reason the capture cannot start or go on."""


# ---- the trace file -------------------------------------------------------------------------------------

class TraceWriter:
    """Appends one JSON object per line; flushes every line, fsyncs at most once per `fsync_every_s`."""

    def __init__(self, path: Path, fsync_every_s: float = FSYNC_EVERY_S) -> None:
        try:
            self._fh: IO[str] = path.open("a", encoding="utf-8")
        except OSError as err:
            raise CaptureError(f"cannot open {path} for appending: {err.strerror}") from None
        self._lock = threading.Lock()
        self._fsync_every = fsync_every_s
        self._last_sync = time.monotonic()
        self.lines = 0
        self.exit_written = False

    def write(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            if self._fh.closed:
                return
            self._fh.write(line + "\n")
            self._fh.flush()
            self.lines += 1
            if event.get("kind") == "app_exit":
                self.exit_written = True
            if time.monotonic() - self._last_sync >= self._fsync_every:
                os.fsync(self._fh.fileno())
                self._last_sync = time.monotonic()

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.flush()
                os.fsync(self._fh.fileno())
                self._fh.close()


class DeviceClock:
    """Estimates the device's trace time (ms since app start) from the events seen so far.

    Each event gives ``t - host_ms``; the largest value is the one with the least transport delay.
    Used to stamp host-side events (app_exit on detach) when the agent can no longer be asked.
    """

    def __init__(self, host_ms: Callable[[], float] | None = None) -> None:
        self._host_ms = host_ms or (lambda: time.monotonic() * 1000)
        self._offset: float | None = None

    def observe(self, t: float) -> None:
        offset = t - self._host_ms()
        if self._offset is None or offset > self._offset:
            self._offset = offset

    def now(self) -> int:
        return 0 if self._offset is None else max(0, round(self._host_ms() + self._offset))


def tester_command(line: str) -> str | None:
    """A line typed by the tester: Enter = agreed, ``r`` = refused, ``q`` = stop capturing."""
    word = line.strip().lower()
    if word == "":
        return "agreed"
    if word in ("r", "refuse", "refused"):
        return "refused"
    if word in ("q", "quit", "stop"):
        return "stop"
    return None


# ---- the agent --------------------------------------------------------------------------------------------

def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hegui" / "frida-agent"


def agent_digest() -> str:
    h = hashlib.sha256()
    for name in AGENT_FILES:
        h.update(name.encode() + b"\0" + (AGENT_DIR / name).read_bytes())
    return h.hexdigest()[:16]


def _bridge_installed(project: Path) -> bool:
    return (project / "node_modules" / "frida-java-bridge" / "package.json").is_file()


def _install_bridge(project: Path, frida: Any) -> None:
    deps = json.loads((project / "package.json").read_text(encoding="utf-8"))["dependencies"]
    specs = [f"{name}@{version}" for name, version in deps.items()]
    # frida's own npm client first; npm itself is the fallback where that client cannot fetch.
    with contextlib.suppress(Exception):
        frida.PackageManager().install(project_root=str(project), specs=specs)
    npm = shutil.which("npm")
    if not _bridge_installed(project) and npm:
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--omit=dev", *specs], cwd=project,
                       capture_output=True, timeout=600, check=False)
    if not _bridge_installed(project):
        raise CaptureError(f"the agent needs the npm package {' '.join(specs)}; install it with "
                           f"`npm install --prefix {project} {' '.join(specs)}` and retry")


def compile_agent(frida: Any, project: Path, *, externals: tuple[str, ...] = ()) -> str:
    """Compile the agent in `project` (a copy of AGENT_DIR) with frida's compiler; one-line error on failure."""
    compiler = frida.Compiler()
    diagnostics: list[Any] = []
    compiler.on("diagnostics", diagnostics.append)
    try:
        return compiler.build("index.js", project_root=str(project), externals=list(externals))
    except Exception as err:  # frida raises its own error types
        first = next((d for batch in diagnostics for d in batch), None)
        where = f" ({first['file']['path']}:{first['file']['line']}: {first['text']})" if first else ""
        raise CaptureError(f"agent does not compile: {err}{where}") from None


def build_agent(frida: Any, cache_root: Path | None = None) -> str:
    """The compiled agent bundle, built once per agent version into the user's cache."""
    project = (cache_root or _cache_root()) / agent_digest()
    bundle = project / "_agent.bundle.js"
    if bundle.is_file():
        return bundle.read_text(encoding="utf-8")
    project.mkdir(parents=True, exist_ok=True)
    for name in AGENT_FILES:
        shutil.copyfile(AGENT_DIR / name, project / name)
    if not _bridge_installed(project):
        _install_bridge(project, frida)
    source = compile_agent(frida, project)
    bundle.write_text(source, encoding="utf-8")
    return source


def agent_config(package: str, consent_texts: list[str] | None, refusal_texts: list[str] | None) -> dict[str, Any]:
    tk = trace_knowledge()
    return {
        "package": package,
        "hooks": hook_specs(),
        "associated_start_apis": sorted(tk.associated_start_apis),
        "consent_texts": list(consent_texts or tk.consent_texts),
        "refusal_texts": list(refusal_texts or tk.refusal_texts),
        "placeholder_values": sorted(tk.placeholder_values),
        "min_value_length": tk.min_value_length,
        "user_action_window_ms": USER_ACTION_WINDOW_MS,
    }


# ---- the capture loop ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class Target:
    """What to instrument: a program to spawn (an Android package name is spawned by name) or a running pid."""

    spawn: list[str] | None = None
    pid: int | None = None


@dataclass(slots=True)
class CaptureResult:
    events: int = 0
    stopped_by: str = ""
    notes: list[str] = field(default_factory=list)


def _one_line(text: object, limit: int = 300) -> str:
    return " ".join(str(text).split())[:limit]


def run_capture(
    device: Any, target: Target, agent_source: str, config: dict[str, Any], writer: TraceWriter, *,
    duration_s: float, stop: threading.Event | None = None, tester_input: IO[str] | None = None,
    status: Callable[[str], None] | None = None,
) -> CaptureResult:
    """Instrument `target` on `device`, stream events into `writer` until duration, stop, or detach."""
    stop = stop or threading.Event()
    status = status or (lambda msg: print(f"hegui capture: {msg}", file=sys.stderr))
    clock = DeviceClock()
    result = CaptureResult()
    detached: list[str] = []

    def on_message(message: dict[str, Any], _data: Any) -> None:
        if message.get("type") == "send":
            payload = message.get("payload")
            if isinstance(payload, dict) and "kind" in payload and isinstance(payload.get("t"), int | float):
                clock.observe(payload["t"])
                writer.write(payload)
                result.events += 1
            elif isinstance(payload, dict) and payload.get("type") == "hegui-status":
                status(_one_line(payload.get("message", "")))
        elif message.get("type") == "error":
            status("agent error: " + _one_line(message.get("description", message)))

    def on_detached(reason: str, *_rest: Any) -> None:
        detached.append(str(reason))
        if reason in ("process-terminated", "process-replaced") and not writer.exit_written:
            writer.write({"t": clock.now(), "kind": "app_exit", "reason": f"detached: {reason}"})
        stop.set()

    pid = target.pid
    try:
        if target.spawn is not None:
            pid = device.spawn(target.spawn)
        session = device.attach(pid)
    except Exception as err:  # frida's errors carry the reason
        raise CaptureError(f"cannot start or attach: {_one_line(err)}") from None
    session.on("detached", on_detached)
    try:
        script = session.create_script(agent_source)
        script.on("message", on_message)
        script.load()
        answer = script.exports_sync.init(config)
        if answer != "ok":
            status(_one_line(answer))
        if target.spawn is not None:
            device.resume(pid)
    except Exception as err:
        writer.close()
        raise CaptureError(f"agent failed to start: {_one_line(err)}") from None

    def read_tester() -> None:
        assert tester_input is not None
        for line in tester_input:
            command = tester_command(line)
            if command == "stop":
                stop.set()
                return
            if command is None or stop.is_set():
                continue
            try:
                script.exports_sync.consent(command)   # stamped by the agent with the device's clock
            except Exception:  # agent gone: stamp it ourselves
                writer.write({"t": clock.now(), "kind": "consent", "state": command, "source": "tester"})
            status(f"consent {command} recorded")

    if tester_input is not None:
        threading.Thread(target=read_tester, name="hegui-tester-input", daemon=True).start()

    deadline = time.monotonic() + duration_s
    try:
        while not stop.wait(0.2):
            if time.monotonic() >= deadline:
                result.stopped_by = "duration"
                break
    except KeyboardInterrupt:
        result.stopped_by = "interrupt"
    if detached:
        result.stopped_by = f"detached ({detached[0]})"
    elif not result.stopped_by:
        result.stopped_by = "stop"
    if not detached:
        for action in (script.unload, session.detach):
            try:
                action()
            except Exception:  # the process may be gone by now
                continue
    writer.close()
    return result


# ---- the command --------------------------------------------------------------------------------------------

def _fail(message: str) -> typer.Exit:
    typer.echo(f"hegui capture: {message}", err=True)
    return typer.Exit(2)


def _import_frida() -> Any:
    try:
        import frida  # the `capture` extra; heavy, so only imported by this command
    except ImportError:
        raise CaptureError("the frida package is not installed (pip install 'hegui[capture]')") from None
    return frida


def _device(frida: Any, serial: str) -> Any:
    try:
        return frida.get_device(serial, timeout=DEVICE_TIMEOUT_S)
    except Exception as err:
        raise CaptureError(f"no device {serial!r} ({_one_line(err, 120)}); is it connected, and is "
                           f"frida-server running on it?") from None


def _running_pid(device: Any, package: str) -> int:
    for app in device.enumerate_applications():
        if app.identifier == package and app.pid:
            return int(app.pid)
    raise CaptureError(f"{package} is not running on the device (start it, or use --spawn)")


def capture_command(
    device: Annotated[str, typer.Option("--device", help="Device serial (adb devices) with frida-server running")],
    package: Annotated[str, typer.Option("--package", help="Android package name of the app")],
    output: Annotated[Path, typer.Option("--output", help="Trace file (JSON Lines); events are appended")],
    duration: Annotated[float, typer.Option("--duration", min=1, help="Seconds to record")] = 300,
    spawn: Annotated[bool, typer.Option("--spawn/--attach", help="Start the app fresh (default) or attach")] = True,
    consent_on_text: Annotated[list[str] | None, typer.Option(
        "--consent-on-text", help="Button text that means 'agree' (repeatable); default 同意, Agree …")] = None,
    refusal_on_text: Annotated[list[str] | None, typer.Option(
        "--refusal-on-text", help="Button text that means 'disagree' (repeatable)")] = None,
    agent: Annotated[Path | None, typer.Option("--agent", help="A pre-compiled agent bundle (offline use)")] = None,
) -> None:
    """Record a runtime trace of PACKAGE with Frida: press Enter when consent is given, r+Enter when refused,
    q+Enter (or Ctrl-C) to stop. 在设备上用 Frida 记录运行时行为：同意时按回车，拒绝时输入 r 回车，q 回车或 Ctrl-C 结束。"""
    try:
        frida = _import_frida()
        dev = _device(frida, device)
        if agent is not None:
            try:
                source = agent.read_text(encoding="utf-8")
            except OSError as err:
                raise CaptureError(f"cannot read agent bundle {agent}: {err.strerror}") from None
        else:
            source = build_agent(frida)
        target = Target(spawn=[package]) if spawn else Target(pid=_running_pid(dev, package))
        writer = TraceWriter(output)
        fields = unhookable_apis()
        typer.echo(f"hegui capture: recording {package} for {duration:g}s into {output}; Enter = consent given, "
                   f"r+Enter = refused, q+Enter or Ctrl-C = stop ({len(fields)} catalog field reads cannot be "
                   f"hooked)", err=True)
        tester = sys.stdin if sys.stdin is not None and sys.stdin.isatty() else None
        result = run_capture(dev, target, source, agent_config(package, consent_on_text, refusal_on_text), writer,
                             duration_s=duration, tester_input=tester)
    except CaptureError as err:
        raise _fail(str(err)) from None
    typer.echo(f"hegui capture: {result.events} events written to {output}, stopped by {result.stopped_by}",
               err=True)


def register(app: typer.Typer) -> None:
    """Add ``capture`` to hegui's command line."""
    app.command("capture")(capture_command)
