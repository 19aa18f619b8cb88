from __future__ import annotations

import os
from pathlib import Path

import pytest

MINIAPPS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "miniapps" / "files"


@pytest.fixture(scope="session")
def miniapps() -> Path:
    """The real packages of ../shared/corpus/miniapps; absent → skip, except under CI where it must be there."""
    if not MINIAPPS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"mini-program corpus missing at {MINIAPPS}")
        pytest.skip(f"mini-program corpus not found at {MINIAPPS}")
    return MINIAPPS
