"""Runtime evidence: reading traces, judging them, and capturing them on a device with Frida.

- `read_trace` reads a JSON Lines trace (shared/CONTRACT.md "Runtime trace"), reporting bad lines.
- `trace_observations` turns its events into observations for the rule engine (`knowledge/rules/trace.yaml`).
- `register` adds ``hegui capture`` (Frida; the agent lives in ``hegui/trace/agent/``) to the CLI.
"""

from __future__ import annotations

from hegui.trace.capture import register
from hegui.trace.observations import TraceLimits, trace_observations
from hegui.trace.reader import TraceEvent, TraceReadResult, read_trace

__all__ = ["TraceEvent", "TraceLimits", "TraceReadResult", "read_trace", "register", "trace_observations"]
