"""Where the material outside this repository lives (../shared), and what a test does when it is absent.

Corpus tests skip in a clone without ../shared/corpus, but under CI=true a missing corpus FAILS the test: a CI
run that silently skipped every real-app test would prove nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# HEGUI_CORPUS points the tests at a corpus elsewhere (or, in tests of this module, at none)
CORPUS = Path(os.environ.get("HEGUI_CORPUS") or SHARED / "corpus")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def corpus_missing(what: Path) -> NoReturn:
    """Skip the running test, or fail it under CI=true."""
    if in_ci():
        pytest.fail(f"{what} not found and CI=true: the corpus is required", pytrace=False)
    pytest.skip(f"corpus not found: {what}")


def corpus_path(*parts: str) -> Path:
    """A file or folder in ../shared/corpus; skips (fails under CI=true) the test when it is missing."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        corpus_missing(path)
    return path


def corpus_params(make: Callable[[], list[Any]]) -> list[Any]:
    """Parameters built from the corpus; without it one placeholder case that skips, or fails under CI=true,
    instead of an empty parameter list pytest would quietly skip."""
    if CORPUS.is_dir():
        return make()
    return [pytest.param(None, marks=pytest.mark.corpus, id="corpus-missing")]
