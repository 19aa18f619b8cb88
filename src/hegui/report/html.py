"""Single-file bilingual HTML report: what a reviewer reads on screen and prints.

Everything shown from the report came out of an attacker-controlled APK (labels, class names, evidence,
policy text), so it only ever reaches the page through Jinja2's autoescaping and never lands in a URL,
an attribute that executes, or a style. The page needs no script and forbids one through its CSP.
Tables are capped so a 5,000-call report stays readable and renders fast; the JSON keeps everything.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hegui import knowledge
from hegui.report.model import Finding, Report
from hegui.report.render import (
    SEVERITIES,
    SEVERITY_EN,
    SEVERITY_ZH,
    clause_text,
    clause_title,
    findings_by_severity,
    pi_type_names,
    remediation_pair,
    verdict,
)

MAX_CALL_ROWS = 300
MAX_SDK_ROWS = 200
MAX_PERMISSION_ROWS = 300
MAX_FINDINGS = 500
MAX_EVIDENCE_PER_FINDING = 40
MAX_SDK_EVIDENCE = 3
MAX_ERRORS = 100
MAX_TEXT = 2000  # one evidence line or error message; longer is cut with an ellipsis


@dataclass(frozen=True, slots=True)
class Capped:
    """Rows shown plus how many were left out (rendered as "… 另有 N 条 / N more")."""

    rows: list
    more: int


def _cap(rows: list, limit: int) -> Capped:
    return Capped(rows[:limit], max(0, len(rows) - limit))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("hegui.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cut"] = _cut
    return env


def _finding_view(report: Report, finding: Finding) -> dict:
    if finding.subject == "app":
        subject = "应用自身 The app itself"
    else:
        sdk_name = next((s.name for s in report.sdks if s.id == finding.subject), finding.subject)
        subject = f"第三方SDK Third-party SDK：{sdk_name}"
    rem_zh, rem_en = remediation_pair(finding)
    return {
        "rule_id": finding.rule_id,
        "severity": finding.severity,
        "title_zh": finding.title_zh,
        "title_en": finding.title_en,
        "subject": subject,
        "subject_id": finding.subject,
        "clauses": [{"text": clause_text(s), "title": clause_title(s)} for s in finding.sources],
        "evidence": _cap(list(finding.evidence), MAX_EVIDENCE_PER_FINDING),
        "remediation_zh": rem_zh,
        "remediation_en": rem_en if rem_en != rem_zh else "",
    }


def _call_views(report: Report) -> Capped:
    sdk_names = {s.id: s.name for s in report.sdks}
    # Calls at startup run before anyone could consent: a reviewer wants them first.
    ordered = sorted(report.sensitive_calls, key=lambda c: not c.at_startup)
    rows = []
    for call in ordered[:MAX_CALL_ROWS]:
        name_zh, name_en = pi_type_names(call.pi_type)
        rows.append({
            "pi_zh": name_zh, "pi_en": name_en, "pi_type": call.pi_type, "api": call.api, "caller": call.caller,
            "sdk": sdk_names.get(call.sdk, call.sdk) if call.sdk else None,
            "at_startup": call.at_startup, "via_reflection": call.via_reflection,
        })
    return Capped(rows, max(0, len(ordered) - MAX_CALL_ROWS))


def _permission_views(report: Report) -> Capped:
    known = knowledge.permissions()
    pi_names = knowledge.pi_types()
    ordered = sorted(report.permissions, key=lambda p: (not p.dangerous, p.name))
    rows = []
    for perm in ordered[:MAX_PERMISSION_ROWS]:
        info = known.get(perm.name)
        reaches = [pi_names[t].name_zh for t in (info.pi_types if info else ()) if t in pi_names]
        rows.append({"name": perm.name, "dangerous": perm.dangerous, "reaches": "、".join(reaches)})
    return Capped(rows, max(0, len(ordered) - MAX_PERMISSION_ROWS))


def _policy_view(report: Report) -> dict:
    clauses = knowledge.policy_clauses()
    elements = [
        {"id": key, "name_zh": clauses[key]["name_zh"] if key in clauses else key, "present": present,
         "excerpt": report.policy.excerpts.get(key) if present else None}
        for key, present in report.policy.elements.items()
    ]
    declared_pi = [pi_type_names(t)[0] for t in report.policy.declared_pi_types]
    return {
        "found": report.policy.found,
        "source": report.policy.source,
        "elements": elements,
        "missing": sum(1 for e in elements if not e["present"]),
        "declared_pi": declared_pi,
        "declared_sdks": report.policy.declared_sdks,
        "declared_permissions": report.policy.declared_permissions,
    }


def render_html(report: Report, *, generated_at: datetime | None = None) -> str:
    """The whole report as one self-contained HTML page (UTF-8 text).

    `generated_at` is when the page was made (default: now, UTC); the report model has no scan time.
    """
    generated_at = generated_at or datetime.now(UTC)
    counts = Counter(f.severity for f in report.findings)
    shown_findings = report.findings[:MAX_FINDINGS]
    capped_report = report.model_copy(update={"findings": shown_findings})
    groups = [
        {"severity": sev, "zh": SEVERITY_ZH[sev], "en": SEVERITY_EN[sev],
         "findings": [_finding_view(report, f) for f in fs]}
        for sev, fs in findings_by_severity(capped_report)
    ]
    verdict_zh, verdict_en = verdict(report)
    sdks = _cap(list(report.sdks), MAX_SDK_ROWS)
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        app=report.app,
        generated=generated_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip(),
        severities=[{"id": s, "zh": SEVERITY_ZH[s], "en": SEVERITY_EN[s], "count": counts.get(s, 0)}
                    for s in SEVERITIES],
        total_findings=len(report.findings),
        findings_more=max(0, len(report.findings) - MAX_FINDINGS),
        verdict_zh=verdict_zh,
        verdict_en=verdict_en,
        worst=next((s for s in SEVERITIES if counts.get(s)), "none"),
        groups=groups,
        sdks=sdks,
        max_sdk_evidence=MAX_SDK_EVIDENCE,
        calls=_call_views(report),
        startup_calls=sum(1 for c in report.sensitive_calls if c.at_startup),
        permissions=_permission_views(report),
        dangerous_permissions=sum(1 for p in report.permissions if p.dangerous),
        policy=_policy_view(report),
        errors=_cap(list(report.errors), MAX_ERRORS),
    )
