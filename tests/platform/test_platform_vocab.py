"""The status vocabularies (vocab.py): what pages show of them is translated, and the templates name only
members that exist, so a misspelt status fails a test instead of silently matching nothing."""

from __future__ import annotations

from enum import StrEnum
from importlib import resources

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
