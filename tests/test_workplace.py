"""Corpus tests skip in a clone without ../shared/corpus, and fail instead under CI=true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# one marked corpus test, one parametrized from the corpus, one using the `corpus` fixture
TESTS = ["tests/scan/test_corpus_apks.py::test_droidbench_imei_cases_are_140",
         "tests/scan/test_corpus_apks.py::test_droidbench_getdeviceid_call_sites_are_found",
         "tests/dex/test_dex_index.py::test_an_unreadable_dex_is_a_problem_not_a_crash_and_other_dex_files_still_count"]


def _pytest_without_corpus(tmp_path: Path, ci: str) -> tuple[int, str]:
    env = {**os.environ, "HEGUI_CORPUS": str(tmp_path / "no-corpus"), "CI": ci, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *TESTS],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout


def test_without_the_corpus_its_tests_skip(tmp_path: Path) -> None:
    code, out = _pytest_without_corpus(tmp_path, "")
    assert code == 0, out
    assert out.splitlines()[-1].startswith("3 skipped")


def test_without_the_corpus_under_ci_its_tests_fail(tmp_path: Path) -> None:
    code, out = _pytest_without_corpus(tmp_path, "true")
    assert code == 1, out
    assert "the corpus is required" in out
    assert out.splitlines()[-1].startswith("3 failed") or out.splitlines()[-1].startswith("3 error"), out
