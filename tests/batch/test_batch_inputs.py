"""collect_inputs: which files a batch scans."""

from __future__ import annotations

import os
from pathlib import Path

from hegui.batch import collect_inputs


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK")
    return path


def test_directories_are_walked_for_apks_and_sdk_aars_sorted_by_path(tmp_path):
    root = tmp_path / "apks"
    b = _touch(root / "b.apk")
    a = _touch(root / "deep" / "er" / "A.APK")
    sdk = _touch(root / "sdks" / "push-sdk.aar")
    _touch(root / "readme.txt")
    _touch(root / "lib.jar")  # JARs only when named: build and tool trees are full of non-Android ones
    assert collect_inputs([root]) == sorted([a, b, sdk], key=os.path.abspath)


def test_named_files_are_taken_whatever_their_suffix_and_each_input_once(tmp_path):
    apk = _touch(tmp_path / "x" / "app.apk")
    other = _touch(tmp_path / "odd.bin")
    assert collect_inputs([apk, tmp_path / "x", other, apk]) == [other, apk]


def test_a_named_missing_file_is_kept_so_the_batch_reports_it(tmp_path):
    missing = tmp_path / "gone.apk"
    assert collect_inputs([missing]) == [missing]


def test_symlinked_directories_are_not_entered_so_loops_are_harmless(tmp_path):
    root = tmp_path / "apks"
    inside = _touch(root / "a.apk")
    (root / "loop").symlink_to(root, target_is_directory=True)
    outside_dir = tmp_path / "elsewhere"
    _touch(outside_dir / "foreign.apk")
    (root / "linked_dir").symlink_to(outside_dir, target_is_directory=True)
    assert collect_inputs([root]) == [inside]


def test_file_links_count_only_when_they_point_inside_the_tree(tmp_path):
    root = tmp_path / "apks"
    real = _touch(root / "store" / "real.apk")
    (root / "alias.apk").symlink_to(real)
    secret = tmp_path / "secret.apk"
    secret.write_bytes(b"outside")
    (root / "escape.apk").symlink_to(secret)
    (root / "dangling.apk").symlink_to(tmp_path / "nowhere.apk")
    assert collect_inputs([root]) == [root / "alias.apk", real]
