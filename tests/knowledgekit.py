"""Fixtures for tests that edit a copy of hegui's knowledge folder and load it as if it were the package's own
(tests/knowledge, tests/sdk): import them into a test module, pytest finds them there."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hegui import knowledge
from hegui.detect.sdks import sdk_catalog

PACKAGE = Path(knowledge.__file__).resolve().parent


@pytest.fixture
def edited(tmp_path: Path) -> Callable[[str, str, str], Path]:
    """A copy of hegui's knowledge folder with one exact text replaced (which must occur exactly once)."""
    root = tmp_path / "knowledge"
    shutil.copytree(PACKAGE, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))

    def edit(name: str, old: str, new: str) -> Path:
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
        path.write_text(text.replace(old, new), encoding="utf-8")
        return root

    return edit


@pytest.fixture
def load_from() -> Iterator[Callable[[Path], None]]:
    """Point the package's loader at another folder, as if the package's own files had been edited."""
    saved = knowledge._ROOT

    def reset(root: object) -> None:
        knowledge._ROOT = root
        knowledge._LOADED.clear()
        knowledge._CHECKERS.clear()  # the files may have been edited since
        knowledge.triggers.cache_clear()
        knowledge.rulebook.cache_clear()
        sdk_catalog.cache_clear()

    yield reset
    reset(saved)
