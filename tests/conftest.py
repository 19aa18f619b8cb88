from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
sys.path.insert(0, str(TESTS))  # tests import `apkbuild` directly


def pytest_collection_modifyitems(config, items):
    skip_corpus = pytest.mark.skip(reason=f"corpus not found at {CORPUS}")
    from apkbuild import have_apktool

    skip_apktool = pytest.mark.skip(reason="apktool not installed (scripts/test.sh installs it)")
    for item in items:
        if "corpus" in item.keywords and not CORPUS.is_dir():
            item.add_marker(skip_corpus)
        if "apktool" in item.keywords and not have_apktool():
            item.add_marker(skip_apktool)


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():  # a test that uses the corpus without the marker still skips, never errors
        pytest.skip(f"corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def report_validator():
    """Validates a report dict against ../shared/report.schema.json (the contract)."""
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = SHARED / "report.schema.json"
    if not schema_path.is_file():
        pytest.skip("shared/report.schema.json not found")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)

    def validate(report: dict) -> None:
        errors = sorted(validator.iter_errors(report), key=lambda e: list(e.path))
        assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])

    return validate
