"""Reading traces: bad lines are reported by number and skipped, the rest is used."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracekit import TRACES

from hegui.errors import InputError
from hegui.trace import read_trace


def test_corrupt_and_truncated_lines_are_reported_with_their_numbers_and_the_rest_is_used():
    result = read_trace(TRACES / "corrupt.trace.jsonl")
    assert [e.line for e in result.events] == [1, 2, 8]
    assert [e.kind for e in result.events] == ["launch", "api", "consent"]
    assert [err.split(":")[0] for err in result.errors] == ["line 3", "line 4", "line 5", "line 6", "line 7", "line 9"]
    assert result.errors[0].startswith("line 3: not JSON")
    assert result.errors[1] == "line 4: not a JSON object"
    assert result.errors[3] == "line 6: unknown kind 'teleport'"
    assert result.errors[4] == "line 7: not UTF-8 (byte 0)"
    assert result.errors[5].endswith("(last line, truncated?)")


def test_an_event_missing_a_required_field_is_an_error_naming_the_field(tmp_path: Path):
    trace = tmp_path / "t.jsonl"
    trace.write_text('{"t": 5, "kind": "permission_result", "permission": "android.permission.CAMERA"}\n'
                     '{"t": 6, "kind": "launch", "by": "cron"}\n'
                     '{"t": 7, "kind": "network", "host": ""}\n'
                     '{"t": true, "kind": "app_exit"}\n', encoding="utf-8")
    result = read_trace(trace)
    assert result.events == []
    assert result.errors == [
        "line 1: 'granted' must be true or false",
        "line 2: 'by' must be \"boot\", \"other_app\" or \"self\"",
        "line 3: 'host' must be a non-empty string",
        "line 4: 't' must be a number of milliseconds >= 0",
    ]


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file(tmp_path: Path):
    trace = tmp_path / "t.jsonl"
    trace.write_text('\n{"t": 1, "kind": "app_exit"}\n\n{"t": 2, "kind": "consent", "state": "agreed"}\n')
    result = read_trace(trace)
    assert [(e.line, e.t, e.kind) for e in result.events] == [(2, 1, "app_exit"), (4, 2, "consent")]
    assert result.errors == []


def test_an_over_long_line_is_skipped_without_losing_the_next_one(tmp_path: Path):
    trace = tmp_path / "t.jsonl"
    huge = '{"t": 1, "kind": "api", "api": "a.B#c", "args": ["' + "x" * (1 << 21) + '"]}'
    trace.write_text(huge + '\n{"t": 2, "kind": "app_exit"}\n')
    result = read_trace(trace)
    assert result.errors == ["line 1: longer than 1048576 bytes"]
    assert [(e.line, e.kind) for e in result.events] == [(2, "app_exit")]


def test_the_event_and_byte_limits_stop_reading_with_an_error(tmp_path: Path):
    trace = tmp_path / "t.jsonl"
    trace.write_text("".join(f'{{"t": {i}, "kind": "app_exit"}}\n' for i in range(10)))
    by_events = read_trace(trace, max_events=3)
    assert len(by_events.events) == 3
    assert by_events.errors == ["line 4: more than 3 events, the rest is ignored"]
    by_bytes = read_trace(trace, max_bytes=60)
    assert len(by_bytes.events) == 2
    assert by_bytes.errors == ["line 3: trace larger than 60 bytes, the rest is ignored"]


def test_a_trace_that_cannot_be_opened_raises_input_error(tmp_path: Path):
    with pytest.raises(InputError, match="^cannot open trace: No such file or directory$"):
        read_trace(tmp_path / "missing.jsonl")


def test_every_recorded_fixture_is_valid_against_the_trace_schema():
    jsonschema = pytest.importorskip("jsonschema")
    import json

    schema = json.loads((Path(__file__).resolve().parents[2] / "src/hegui/trace/trace.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted(TRACES.glob("*.jsonl")):
        if path.name == "corrupt.trace.jsonl":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            errors = list(validator.iter_errors(json.loads(line)))
            assert not errors, f"{path.name}:{number}: {errors[0].message}"
