"""Fixtures of the runtime-trace tests (helpers live in tracekit.py beside this file)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tracekit import findings, report_of  # noqa: E402 — needs the path above


@pytest.fixture
def validated(report_validator):
    """Findings of a recorded trace, after checking the report they make against the contract schema."""

    def run(name: str, **kwargs):
        found = findings(name, **kwargs)
        report_validator(report_of(found))
        return found

    return run
