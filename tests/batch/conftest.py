"""Fixtures for the batch tests: a folder mixing real corpus APKs with broken inputs, and index readers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

# Real APKs from the corpus (copied into the test's own folder, never into the repo).
SMALL_APK = "droidbench/apks/Threading/JavaThread1.apk"     # de.ecspride, no SDK
SDK_APK = "bugly-demo/apks/BuglyHotfixDemo_tinker1.9.9.apk"  # Tencent Bugly + Tinker


@pytest.fixture
def mixed_folder(tmp_path: Path, corpus: Path) -> Path:
    """Two real APKs, a truncated copy of one, an empty file, random bytes and a fake ZIP header."""
    folder = tmp_path / "apks"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(corpus / SMALL_APK, folder / "small.apk")
    shutil.copy(corpus / SDK_APK, folder / "sub" / "bugly.apk")
    data = (corpus / SMALL_APK).read_bytes()
    (folder / "truncated.apk").write_bytes(data[: len(data) // 2])
    (folder / "empty.apk").write_bytes(b"")
    (folder / "garbage.apk").write_bytes(bytes(range(256)) * 20)
    (folder / "notes.txt").write_text("not an input", encoding="utf-8")
    return folder


def _index_lines(output: Path) -> list[dict]:
    return [json.loads(line) for line in (output / "index.json").read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def index_lines():
    """Reads ``index.json`` of an output directory as a list of dicts."""
    return _index_lines


@pytest.fixture
def by_name():
    """Index lines keyed by the input's file name."""
    return lambda lines: {Path(line["path"]).name: line for line in lines}
