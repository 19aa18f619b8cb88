"""A knowledge file is checked when it loads, unless its exact parsed bytes already passed every check with the
same checker (all knowledge files, the checking code, the versions): then a stamp in the cache says so."""

from __future__ import annotations

import hashlib
import marshal
import shutil
from pathlib import Path

import pytest

from hegui import knowledge
from hegui.knowledge import KnowledgeError, schema

NAME = "thresholds.yaml"
REFERRED = "documents.yaml"  # its cross-checks read the documents it cites


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An empty cache and a process that has loaded nothing yet; counts the schema checks it runs, by file."""
    monkeypatch.setenv("HEGUI_CACHE_DIR", str(tmp_path / "cache"))
    checked: list[str] = []
    validate = schema.validate
    monkeypatch.setattr(schema, "validate", lambda name, data: checked.append(name) or validate(name, data))

    def new_process() -> list[str]:
        knowledge._LOADED.clear()
        knowledge._CHECKERS.clear()
        checked.clear()
        return checked

    yield new_process
    knowledge._LOADED.clear()
    knowledge._CHECKERS.clear()


def _blob(tmp_path: Path) -> Path:
    text = (Path(knowledge.__file__).parent / NAME).read_text(encoding="utf-8")
    return tmp_path / "cache" / "knowledge" / f"{hashlib.sha256(text.encode()).hexdigest()[:32]}.marshal"


def test_a_file_that_passed_is_not_checked_again_in_the_next_process(fresh):
    checked = fresh()
    knowledge.load_yaml(NAME)
    assert checked == [NAME, REFERRED]
    checked = fresh()
    knowledge.load_yaml(NAME)
    assert checked == []


def test_an_edited_cache_entry_is_checked_again_and_refused_when_it_breaks_the_schema(fresh, tmp_path):
    fresh()
    data = knowledge.load_yaml(NAME)
    blob = _blob(tmp_path)
    broken = {**data, "thresholds": [{**data["thresholds"][0], "id": 42}, *data["thresholds"][1:]]}
    blob.write_bytes(marshal.dumps(broken))
    checked = fresh()
    with pytest.raises(KnowledgeError):
        knowledge.load_yaml(NAME)
    assert checked == [NAME]


def test_a_different_checker_checks_again(fresh, monkeypatch):
    fresh()
    knowledge.load_yaml(NAME)
    checked = fresh()
    digest = schema.checker_digest
    monkeypatch.setattr(schema, "checker_digest", lambda root: digest(root)[::-1])  # e.g. another knowledge file changed
    knowledge.load_yaml(NAME)
    assert checked == [NAME, REFERRED]


def test_the_checker_depends_on_every_knowledge_file(tmp_path):
    root = tmp_path / "knowledge"
    shutil.copytree(Path(knowledge.__file__).parent, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    before = schema.checker_digest(root)
    path = root / "rules" / "static.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert schema.checker_digest(root) != before
