"""From a detector's evidence to the report's evidence item: both languages and the facts as fields."""

from __future__ import annotations

from hegui.knowledge.evidence import render
from hegui.model import Evidence
from hegui.report.model import EvidenceItem

# Facts that become fields of the evidence item (contract addition); the rest only fill the text.
_STR_FIELDS = ("pi_type", "api", "caller", "sdk", "component", "permission", "file", "excerpt")


def identity(ev: Evidence) -> tuple[str, str]:
    """Kind and English line: what makes two evidence lines the same line (a finding lists each once)."""
    return ev.kind, render(ev.template, dict(ev.facts), "en") if ev.template else ev.detail


def evidence_item(ev: Evidence, detail: str) -> EvidenceItem:
    """`detail` is the English line `identity` rendered."""
    if not ev.template:
        return EvidenceItem(kind=ev.kind, detail=detail)
    facts = dict(ev.facts)
    fields = {name: value for name in _STR_FIELDS if isinstance(value := facts.get(name), str)}
    path = facts.get("path")
    return EvidenceItem(kind=ev.kind, detail=detail, zh=render(ev.template, facts, "zh"),
                        template=ev.template, path=list(path) if isinstance(path, tuple) else None, **fields)


def more_of_kind(kind: str, count: int) -> EvidenceItem:
    facts = {"count": str(count)}
    return EvidenceItem(kind=kind, detail=render("more_of_kind", facts, "en"), zh=render("more_of_kind", facts, "zh"),
                        template="more_of_kind")
