"""The generic rule engine.

A trigger (one entry of ``knowledge/rules/*.yaml``) names a rule id and an observation kind, plus a
``where`` filter on the observation. Every observation a trigger matches becomes evidence of a finding;
findings are keyed by (rule, subject), so static and runtime evidence of the same rule for the same app or
SDK merge into one finding. Titles, clauses and fixes come from ``knowledge/rulebook.yaml``.

``where`` keys are observation attributes, plus ``subject`` (``app``, ``sdk`` or an SDK id). A value is
matched as: scalar → equal; list → any of; mapping → operators ``in``, ``not_in``, ``gte``, ``lte``,
``exists``, ``not``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from hegui import knowledge
from hegui.knowledge import RuleInfo, Trigger
from hegui.knowledge.platform import platform_library_of_subject
from hegui.knowledge.schema_rules import OPERATORS  # the ones the rule schema admits when the file loads
from hegui.model import Observation, is_platform_subject, is_sdk_subject
from hegui.report.model import SEVERITY_ORDER, Finding, Remediation, SourceRef
from hegui.rules.evidence import evidence_item, identity, more_of_kind

MAX_EVIDENCE_PER_FINDING = 40


class RuleFileError(ValueError):
    pass


def _match_value(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        for op, arg in expected.items():
            if op == "in" and actual not in arg:
                return False
            if op == "not_in" and actual in arg:
                return False
            if op == "gte" and not (actual is not None and actual >= arg):
                return False
            if op == "lte" and not (actual is not None and actual <= arg):
                return False
            if op == "exists" and (actual is not None) != bool(arg):
                return False
            if op == "not" and _match_value(actual, arg):
                return False
            if op not in OPERATORS:
                raise RuleFileError(f"unknown operator {op!r} in rule trigger")
        return True
    if isinstance(expected, list):
        if isinstance(actual, list | tuple | set | frozenset):
            return any(a in expected for a in actual)
        return actual in expected
    if isinstance(actual, list | tuple | set | frozenset):
        return expected in actual
    return actual == expected


def _subject_matches(subject: str, expected: Any) -> bool:
    if expected == "sdk":  # a third-party SDK; a platform library (AndroidX, Kotlin…) is none
        return is_sdk_subject(subject)
    if expected == "platform":
        return is_platform_subject(subject)
    if isinstance(expected, list):
        return any(_subject_matches(subject, e) for e in expected)
    return subject == expected


def matches(trigger: Trigger, obs: Observation) -> bool:
    if obs.kind != trigger.observation:
        return False
    for key, expected in trigger.where.items():
        if key == "subject":
            if not _subject_matches(obs.subject, expected):
                return False
        elif not _match_value(obs.attrs.get(key), expected):
            return False
    return True


def _finding(rule: RuleInfo, subject: str, severity: str) -> Finding:
    return Finding(
        rule_id=rule.id, severity=severity, title_zh=rule.title_zh, title_en=rule.title_en,
        sources=[SourceRef(doc=s.doc, clause=s.clause) for s in rule.sources], subject=subject,
        evidence=[], remediation=Remediation(zh=rule.remediation_zh or rule.remediation_en, en=rule.remediation_en),
    )


def _capped(severity: str, obs: Observation) -> str:
    """A platform library's call site alone is capped at its `severity_cap` (platform_libraries.yaml): library
    code collects for no vendor, so it is critical/high only when the API semantics say the call really
    returns personal information (``real_collection: true``)."""
    lib = platform_library_of_subject(obs.subject)
    if lib is None or obs.attrs.get("real_collection") is True:
        return severity
    return severity if SEVERITY_ORDER[severity] <= SEVERITY_ORDER[lib.severity_cap] else lib.severity_cap


def evaluate(
    observations: Iterable[Observation],
    trigger_set: Sequence[Trigger] | None = None,
    rules: dict[str, RuleInfo] | None = None,
) -> list[Finding]:
    """Turn observations into findings, most severe first, then by rule id and subject."""
    trigger_set = knowledge.triggers() if trigger_set is None else trigger_set
    rules = knowledge.rulebook() if rules is None else rules
    by_kind: dict[str, list[Trigger]] = {}
    for t in trigger_set:
        if t.rule not in rules:
            raise RuleFileError(f"trigger in {t.origin or 'rules'} names unknown rule {t.rule!r}")
        by_kind.setdefault(t.observation, []).append(t)

    findings: dict[tuple[str, str], Finding] = {}
    seen: dict[tuple[str, str], set[tuple[str, str]]] = {}
    overflow: dict[tuple[str, str], int] = {}
    for obs in observations:
        for trig in by_kind.get(obs.kind, ()):
            if not matches(trig, obs):
                continue
            rule = rules[trig.rule]
            key = (rule.id, obs.subject)
            severity = _capped(trig.severity or rule.severity, obs)
            f = findings.get(key)
            if f is None:
                f = findings[key] = _finding(rule, obs.subject, severity)
                seen[key] = set()
            elif SEVERITY_ORDER[severity] > SEVERITY_ORDER[f.severity]:
                f.severity = severity
            for ev in obs.evidence:
                ident = identity(ev)  # the English line: one line is listed once, whatever facts lie behind it
                if ident in seen[key]:
                    continue
                seen[key].add(ident)
                if len(f.evidence) < MAX_EVIDENCE_PER_FINDING:
                    f.evidence.append(evidence_item(ev, ident[1]))
                else:
                    overflow[key] = overflow.get(key, 0) + 1
    for key, n in overflow.items():
        f = findings[key]
        f.evidence.append(more_of_kind(f.evidence[-1].kind, n))
    result = [f for f in findings.values() if f.evidence]
    result.sort(key=lambda f: (-SEVERITY_ORDER[f.severity], f.rule_id, f.subject))
    return result
