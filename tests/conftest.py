from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))  # tests import `apkbuild`, `workplace` … directly

from workplace import CORPUS, corpus_missing  # noqa: E402 - needs the path above


def pytest_collection_modifyitems(config, items):
    from apkbuild import have_apktool

    skip_apktool = pytest.mark.skip(reason="apktool not installed (scripts/test.sh installs it)")
    for item in items:
        if "apktool" in item.keywords and not have_apktool():
            item.add_marker(skip_apktool)


def pytest_runtest_setup(item):
    # at run time, not collection: under CI=true a missing corpus fails each corpus test (workplace.py)
    if "corpus" in item.keywords and not CORPUS.is_dir():
        corpus_missing(CORPUS)


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():  # a test that uses the corpus without the marker skips too (fails under CI=true)
        corpus_missing(CORPUS)
    return CORPUS


@pytest.fixture(scope="session")
def report_validator():
    """Validates a report dict against the package's report.schema.json (the contract hegui ships)."""
    import jsonschema

    from hegui.report.contract import load_schema

    validator = jsonschema.Draft202012Validator(load_schema("report"))

    def validate(report: dict) -> None:
        errors = sorted(validator.iter_errors(report), key=lambda e: list(e.path))
        assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])

    return validate
