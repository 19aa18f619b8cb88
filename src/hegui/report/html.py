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
from hegui.model import PLATFORM_SUBJECT_PREFIX
from hegui.report.header import ReportHeader
from hegui.report.model import SEVERITY_ORDER, EvidenceItem, Finding, Report
from hegui.report.render import (
    SEVERITIES,
    SEVERITY_EN,
    SEVERITY_ZH,
    app_type_names,
    clause_text,
    clause_title,
    findings_by_severity,
    pi_type_names,
    remediation_pair,
    sdk_category_names,
    subject_names,
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
EVIDENCE_SHOWN = 3  # per finding, the shortest lines first; the rest is folded (screen) or counted (print)
CHAIN_ENDS = 2  # a call chain longer than 2 * CHAIN_ENDS + 1 hops shows its first and last hops
CHAIN_ARROW = " → "


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


def shorten_chain(detail: str) -> str:
    """`a → b → … → y → z`: a startup path of 30 hops is read by its entry point and the call that collects."""
    hops = detail.split(CHAIN_ARROW)
    if len(hops) <= 2 * CHAIN_ENDS + 1:
        return detail
    hidden = len(hops) - 2 * CHAIN_ENDS
    return CHAIN_ARROW.join([*hops[:CHAIN_ENDS], f"…（省略 {hidden} 层 / {hidden} more calls）…", *hops[-CHAIN_ENDS:]])


def _evidence_view(evidence: list[EvidenceItem]) -> list[dict]:
    """Shortest first (the call site before the path that reaches it), chains shortened; stable for equal lengths."""
    rows = [{"kind": e.kind, "detail": shorten_chain(e.detail), "zh": shorten_chain(e.zh) if e.zh else None}
            for e in evidence[:MAX_EVIDENCE_PER_FINDING]]
    return sorted(rows, key=lambda r: len(r["detail"]))


def _finding_view(report: Report, finding: Finding) -> dict:
    if finding.subject == "app":
        subject = "应用自身 The app itself"
    elif finding.subject.startswith(PLATFORM_SUBJECT_PREFIX):
        zh, en = subject_names(report, finding.subject)
        subject = f"{zh} {en}"
    else:
        sdk_name = next((s.name for s in report.sdks if s.id == finding.subject), finding.subject)
        subject = f"第三方SDK Third-party SDK：{sdk_name}"
    rem_zh, rem_en = remediation_pair(finding)
    evidence = _evidence_view(list(finding.evidence))
    return {
        "rule_id": finding.rule_id,
        "severity": finding.severity,
        "title_zh": finding.title_zh,
        "title_en": finding.title_en,
        "subject": subject,
        "subject_id": finding.subject,
        "clauses": [{"text": clause_text(s), "title": clause_title(s)} for s in finding.sources],
        "evidence": evidence[:EVIDENCE_SHOWN],
        "evidence_folded": evidence[EVIDENCE_SHOWN:],
        "evidence_more": max(0, len(finding.evidence) - MAX_EVIDENCE_PER_FINDING),
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
            "sdk": sdk_names.get(call.sdk, call.sdk) if call.sdk else
                   subject_names(report, PLATFORM_SUBJECT_PREFIX + call.platform_library)[0] if call.platform_library
                   else None,
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


def _rule_summary(report: Report) -> list[dict]:
    """One row per rule broken, most severe first: what a summary page lists before any detail."""
    by_rule: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    rows = []
    for rule_id, findings in by_rule.items():
        worst = max(findings, key=lambda f: SEVERITY_ORDER[f.severity]).severity
        clauses = list(dict.fromkeys(clause_text(s) for f in findings for s in f.sources))
        subjects = list(dict.fromkeys(subject_names(report, f.subject)[0] for f in findings))
        rows.append({"rule_id": rule_id, "severity": worst, "zh": SEVERITY_ZH[worst], "en": SEVERITY_EN[worst],
                     "title_zh": findings[0].title_zh, "title_en": findings[0].title_en, "count": len(findings),
                     "clauses": clauses, "subjects": subjects})
    return sorted(rows, key=lambda r: (-SEVERITY_ORDER[r["severity"]], r["rule_id"]))


def _pi_summary(report: Report) -> list[dict]:
    """Personal-information types the code reads, with how many call sites and how many run at startup."""
    rows: dict[str, dict] = {}
    for call in report.sensitive_calls:
        row = rows.get(call.pi_type)
        if row is None:
            zh, en = pi_type_names(call.pi_type)
            row = rows[call.pi_type] = {"pi_type": call.pi_type, "zh": zh, "en": en, "calls": 0, "startup": 0,
                                        "subjects": {}}
        row["calls"] += 1
        row["startup"] += call.at_startup
        owner = call.sdk or (PLATFORM_SUBJECT_PREFIX + call.platform_library if call.platform_library else "app")
        row["subjects"][subject_names(report, owner)[0]] = None
    return sorted(({**r, "subjects": list(r["subjects"])} for r in rows.values()),
                  key=lambda r: (-r["startup"], -r["calls"], r["pi_type"]))


def _header_view(report: Report, header: ReportHeader, generated_at: datetime) -> dict:
    app_type = None
    if report.app.app_type is not None:
        zh, en = app_type_names(report.app.app_type)
        how = {"option": ("用户指定", "given"), "inferred": ("自动推断", "inferred")}.get(
            report.app.app_type_source or "", ("", ""))
        app_type = f"{zh} {en}（{how[0]} {how[1]}）" if how[0] else f"{zh} {en}"
    return {
        "testing_body_zh": header.testing_body_zh, "testing_body_en": header.testing_body_en,
        "contact": header.contact,
        "number": header.number(sha256=report.input.sha256, package=report.app.package,
                                version=report.app.version_name, when=generated_at),
        "date": header.day(generated_at).isoformat(),
        "signatures": [("检测人", "Tester", header.tester), ("审核人", "Reviewer", header.reviewer),
                       ("批准人", "Approver", header.approver)],
        "app_type": app_type,
    }


def render_html(report: Report, *, generated_at: datetime | None = None, header: ReportHeader | None = None,
                for_print: bool = False) -> str:
    """The whole report as one self-contained HTML page (UTF-8 text).

    `generated_at` is when the page was made (default: now, UTC); the report model has no scan time.
    `header` names the testing body, the number scheme and the signatories (`--report-header`).
    `for_print`: the page is laid out on A4 for the PDF renderer (page numbers, a table of contents with page
    numbers, evidence beyond the first lines counted rather than folded).
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
        header=_header_view(report, header or ReportHeader(), generated_at),
        rule_summary=_rule_summary(report),
        pi_summary=_pi_summary(report),
        sdk_categories=sdk_category_names(),
        for_print=for_print,
    )
