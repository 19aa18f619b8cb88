from __future__ import annotations

from pathlib import Path

import pytest

from workplace import corpus_path


@pytest.fixture(scope="session")
def miniapps() -> Path:
    """The real packages of ../shared/corpus/miniapps; absent → skip, except under CI=true where it must be there."""
    return corpus_path("miniapps", "files")
