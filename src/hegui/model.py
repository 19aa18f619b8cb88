"""Facts that cross package boundaries: what a detector saw, before any rule judges it.

Detectors (static, policy, trace) emit `Observation`s; the rule engine (`hegui.rules`) turns them into
findings using the rule files in `hegui/knowledge/rules/`. Nothing here knows about rules or reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

EvidenceKind = Literal["call", "manifest", "policy", "trace", "listing", "resource", "string", "sdk"]

APP_SUBJECT = "app"
# AndroidX, the support library, Kotlin, Material…: "platform:androidx.appcompat" (hegui/knowledge/platform_libraries.yaml)
PLATFORM_SUBJECT_PREFIX = "platform:"


def is_platform_subject(subject: str) -> bool:
    return subject.startswith(PLATFORM_SUBJECT_PREFIX)


def is_sdk_subject(subject: str) -> bool:
    """A third-party SDK: neither the app nor a platform library."""
    return subject != APP_SUBJECT and not is_platform_subject(subject)


FactValue = str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One line of proof. Templated evidence names a template of ``knowledge/evidence.yaml`` and the facts
    it is filled with (API, caller, PI type, SDK, call path …): the rule engine renders it in Chinese and
    English and keeps the facts as structured fields. `detail` is only for the few free-text lines."""

    kind: EvidenceKind
    detail: str = ""
    template: str = ""
    facts: tuple[tuple[str, FactValue], ...] = ()


def said(kind: EvidenceKind, template: str, **facts: object) -> Evidence:
    """Templated evidence; list values (a call path, several actions) are kept as tuples of strings."""
    items = tuple((k, tuple(str(x) for x in v) if isinstance(v, (list, tuple)) else str(v))
                  for k, v in sorted(facts.items()) if v is not None)
    return Evidence(kind, template=template, facts=items)


@dataclass(slots=True)
class Observation:
    """One thing a detector saw.

    `kind` is a detector vocabulary word (e.g. ``sensitive_call``, ``boot_receiver``); the rule files match
    on it. `subject` is ``"app"``, the id of the SDK the behaviour belongs to, or ``"platform:<id>"`` for a platform
    library (AndroidX, Kotlin…). `attrs` holds the
    values rules filter on (``pi_type``, ``at_startup`` …); keep them flat and JSON-serialisable.
    """

    kind: str
    subject: str = APP_SUBJECT
    evidence: list[Evidence] = field(default_factory=list)
    attrs: dict[str, object] = field(default_factory=dict)
