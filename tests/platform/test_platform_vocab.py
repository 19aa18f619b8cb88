"""The status vocabularies (vocab.py): what pages show of them is translated, code and templates name members
instead of writing strings, and the templates name only members that exist, so a misspelt status fails a test
instead of silently matching nothing."""

from __future__ import annotations

import ast
from enum import StrEnum
from importlib import resources
from pathlib import Path

import jinja2
from jinja2 import nodes

from hegui.platform import web
from hegui.platform.i18n import MESSAGES
from hegui.platform.vocab import (
    AppKind,
    CaseStatus,
    ClueStatus,
    ComplaintStatus,
    Escalation,
    InputKind,
)

TEMPLATES = resources.files("hegui.platform").joinpath("templates")
PLATFORM = Path(web.__file__).resolve().parent
# Attributes holding a vocabulary's value (db columns and request fields); the vocabularies' own module, the
# translations and the migrations (frozen history) write the values themselves.
VOCABULARY_ATTRIBUTES = frozenset({"status", "role", "review", "kind", "escalation", "decision"})
EXEMPT = frozenset({"vocab.py", "i18n.py"})


def test_every_status_a_page_shows_has_a_chinese_and_an_english_name():
    shown = [*CaseStatus, *ClueStatus, *ComplaintStatus, *Escalation, *AppKind]
    kinds = [f"kind_{k}" for k in (*InputKind, *AppKind)]
    assert [key for key in (*shown, *kinds) if key not in MESSAGES] == []


VOCABULARIES = {name: value for name, value in web._env.globals.items()
                if isinstance(value, type) and issubclass(value, StrEnum)}


def _unknown_members(source: str) -> list[str]:
    """Every ``Vocabulary.MEMBER`` a template names that its vocabulary lacks."""
    tree = jinja2.Environment().parse(source)
    return sorted(f"{n.node.name}.{n.attr}" for n in tree.find_all(nodes.Getattr)
                  if isinstance(n.node, nodes.Name) and n.node.name in VOCABULARIES
                  and n.attr not in VOCABULARIES[n.node.name].__members__)


def test_templates_name_only_members_that_exist():
    names = sorted(t.name for t in TEMPLATES.iterdir() if t.name.endswith(".html"))
    unknown = {name: _unknown_members(TEMPLATES.joinpath(name).read_text(encoding="utf-8")) for name in names}
    assert {name: bad for name, bad in unknown.items() if bad} == {}


def test_the_member_check_sees_a_misspelt_member():
    source = "{% if user.role == Role.REGULATR %}{{ ScanStatus.DONE }}{{ HeldDecision.GENUIN }}{% endif %}"
    assert _unknown_members(source) == ["HeldDecision.GENUIN", "Role.REGULATR"]


def _strings(node: ast.expr) -> bool:
    """A string literal, or a tuple/list/set of them."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    return isinstance(node, ast.Tuple | ast.List | ast.Set) and bool(node.elts) and all(map(_strings, node.elts))


def _holds_vocabulary(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in VOCABULARY_ATTRIBUTES


def _literal_statuses(source: str) -> list[str]:
    """Each place that compares, filters, assigns or passes a vocabulary attribute as a string literal."""
    found = []
    for node in ast.walk(ast.parse(source)):
        operands: list[tuple[ast.expr, ast.expr]] = []
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            operands = [(a, b) for a in sides for b in sides if a is not b]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "in_":
            operands = [(node.func.value, arg) for arg in node.args]  # Column.in_(("a", "b"))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                pairs = (zip(target.elts, node.value.elts, strict=False) if isinstance(target, ast.Tuple)
                         and isinstance(node.value, ast.Tuple) else [(target, node.value)])
                operands += list(pairs)
        if isinstance(node, ast.Call):  # Scan(status="queued"), .values(status="queued")
            found += [f"{node.lineno}: {kw.arg}=" for kw in node.keywords
                      if kw.arg in VOCABULARY_ATTRIBUTES and _strings(kw.value)]
        if any(_holds_vocabulary(a) and _strings(b) for a, b in operands):
            found.append(f"{node.lineno}: {ast.unparse(node)[:80]}")
    return sorted(found, key=lambda f: (int(f.split(':')[0]), f))


def test_the_platform_names_members_instead_of_writing_statuses():
    offenders = {}
    for path in sorted(PLATFORM.rglob("*.py")):
        rel = path.relative_to(PLATFORM).as_posix()
        if rel in EXEMPT or rel.startswith("migrations/"):
            continue
        if found := _literal_statuses(path.read_text(encoding="utf-8")):
            offenders[rel] = found
    assert offenders == {}


def test_the_literal_check_sees_each_way_of_writing_a_status():
    source = """
if scan.status == "done" or "held" != scan.review:
    pass
rows = select(Case).where(Case.status.in_(("notice_sent", "escalated")))
case.status, case.escalation = "escalated", escalation
Scan(status="queued")
ok = scan.status == ScanStatus.DONE and user.name == "dev" and kind == "jar"
"""
    assert _literal_statuses(source) == ["2: 'held' != scan.review", "2: scan.status == 'done'",
                                         "4: Case.status.in_(('notice_sent', 'escalated'))",
                                         "5: case.status, case.escalation = ('escalated', escalation)",
                                         "6: status="]
