"""Reading a runtime trace (JSON Lines, shared/CONTRACT.md "Runtime trace") defensively.

A trace comes from a device, another tool or a person: every line is untrusted. A line that is not JSON,
not UTF-8, too long or misses a required field is reported with its line number and skipped; the rest of
the trace is still used. Only a file that cannot be opened at all raises `InputError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hegui.errors import InputError

MAX_LINE_BYTES = 1 << 20          # one event; stacks and argument lists are capped well below this
MAX_ERRORS_LISTED = 200           # a garbage file should not produce a million error lines
MAX_T_MS = 10 * 365 * 24 * 3600 * 1000

KINDS = ("api", "consent", "permission_request", "permission_result", "launch", "network", "app_exit")


@dataclass(slots=True)
class TraceEvent:
    line: int
    t: int
    kind: str
    data: dict[str, Any]


@dataclass(slots=True)
class TraceReadResult:
    events: list[TraceEvent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _Invalid(ValueError):
    pass


def _str(data: dict[str, Any], key: str, *, required: bool = True, max_len: int = 4096) -> None:
    value = data.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or not value:
        raise _Invalid(f"'{key}' must be a non-empty string")
    if len(value) > max_len:
        raise _Invalid(f"'{key}' longer than {max_len} characters")


def _str_list(data: dict[str, Any], key: str, *, required: bool, max_items: int = 512) -> None:
    value = data.get(key)
    if value is None and not required:
        return
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"'{key}' must be a list of strings")
    if len(value) > max_items:
        raise _Invalid(f"'{key}' has more than {max_items} items")


def _bool(data: dict[str, Any], key: str, *, required: bool) -> None:
    value = data.get(key)
    if value is None and not required:
        return
    if not isinstance(value, bool):
        raise _Invalid(f"'{key}' must be true or false")


def _check_event(data: dict[str, Any]) -> None:
    kind = data["kind"]
    if kind == "api":
        _str(data, "api", max_len=512)
        _str_list(data, "stack", required=False)
        _bool(data, "foreground", required=False)
        _bool(data, "foreground_service", required=False)
        _str_list(data, "args", required=False, max_items=64)
        _str(data, "target_package", required=False, max_len=256)
        _bool(data, "user_action", required=False)
    elif kind == "consent":
        if data.get("state") not in ("agreed", "refused"):
            raise _Invalid("'state' must be \"agreed\" or \"refused\"")
    elif kind == "permission_request":
        _str_list(data, "permissions", required=True)
        _str_list(data, "stack", required=False)
        _bool(data, "user_action", required=False)
    elif kind == "permission_result":
        _str(data, "permission", max_len=256)
        _bool(data, "granted", required=True)
    elif kind == "launch":
        if data.get("by") not in ("boot", "other_app", "self"):
            raise _Invalid("'by' must be \"boot\", \"other_app\" or \"self\"")
        _str(data, "component", required=False, max_len=512)
        _bool(data, "user_initiated", required=False)
    elif kind == "network":
        _str(data, "host", max_len=512)
        _str_list(data, "payload_pi_types", required=False)
        _str_list(data, "stack", required=False)


def parse_event(raw: bytes) -> tuple[int, str, dict[str, Any]]:
    """Decode and validate one line; raises `_Invalid` with a short reason."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _Invalid(f"not UTF-8 (byte {err.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise _Invalid(f"not JSON ({err.msg} at column {err.colno})") from None
    except RecursionError:
        raise _Invalid("not JSON (nested too deeply)") from None
    if not isinstance(data, dict):
        raise _Invalid("not a JSON object")
    t = data.get("t")
    if isinstance(t, bool) or not isinstance(t, int | float) or t != t or not 0 <= t <= MAX_T_MS:
        raise _Invalid("'t' must be a number of milliseconds >= 0")
    kind = data.get("kind")
    if kind not in KINDS:
        shown = kind if isinstance(kind, str) and len(kind) <= 40 else type(kind).__name__
        raise _Invalid(f"unknown kind {shown!r}")
    _check_event(data)
    return int(t), kind, data


def read_trace(path: Path, *, max_bytes: int = 512 * 2**20, max_events: int = 5_000_000) -> TraceReadResult:
    """Read a JSON Lines trace. Bad lines become errors "line N: reason"; the rest is used."""
    result = TraceReadResult()
    try:
        fh = path.open("rb")
    except OSError as err:
        raise InputError(f"cannot open trace: {err.strerror or err.__class__.__name__}") from None
    omitted = 0

    def error(msg: str) -> None:
        nonlocal omitted
        if len(result.errors) < MAX_ERRORS_LISTED:
            result.errors.append(msg)
        else:
            omitted += 1

    with fh:
        consumed = 0
        number = 0
        while True:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            number += 1
            consumed += len(raw)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                # Skip the rest of an over-long line without holding it in memory.
                while (more := fh.readline(MAX_LINE_BYTES)) and not more.endswith(b"\n"):
                    consumed += len(more)
                consumed += len(more)
                error(f"line {number}: longer than {MAX_LINE_BYTES} bytes")
                continue
            if consumed > max_bytes:
                error(f"line {number}: trace larger than {max_bytes} bytes, the rest is ignored")
                break
            stripped = raw.strip()
            if not stripped:
                continue
            try:
                t, kind, data = parse_event(stripped)
            except _Invalid as err:
                truncated = not raw.endswith(b"\n") and " (last line, truncated?)" or ""
                error(f"line {number}: {err}{truncated}")
                continue
            if len(result.events) >= max_events:
                error(f"line {number}: more than {max_events} events, the rest is ignored")
                break
            result.events.append(TraceEvent(line=number, t=t, kind=kind, data=data))
    if omitted:
        result.errors.append(f"… {omitted} more bad lines")
    return result
