"""Turn a `Report` into the bytes of one output format (``hegui scan --format``).

The JSON form is the contract; HTML (people), SARIF (CI) and XLSX (spreadsheets) are views of the same
report. The shared wording helpers live here so every view names clauses, subjects and severities alike.
Renderers are imported lazily: a JSON-only run never pays for Jinja2 or openpyxl.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from hegui import knowledge
from hegui.model import PLATFORM_SUBJECT_PREFIX
from hegui.report.model import Finding, Report, SourceRef

if TYPE_CHECKING:
    from hegui.report.header import ReportHeader

FORMATS = ("json", "html", "pdf", "sarif", "xlsx")

_EXTENSIONS = {"json": "json", "html": "html", "pdf": "pdf", "sarif": "sarif", "xlsx": "xlsx"}

SEVERITIES = ("critical", "high", "medium", "low")  # most severe first: the order reports are read in
SEVERITY_ZH = {"critical": "严重", "high": "高", "medium": "中", "low": "低"}
SEVERITY_EN = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low"}

APP_SUBJECT_ZH = "应用自身"
APP_SUBJECT_EN = "the app itself"


class UnknownFormatError(ValueError):
    pass


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UnknownFormatError(f"unknown report format {fmt!r} (choose one of {', '.join(FORMATS)})")


def extension(fmt: str) -> str:
    """File-name extension (without the dot) for a report written in `fmt`."""
    _check(fmt)
    return _EXTENSIONS[fmt]


def render(report: Report, fmt: str, *, header: ReportHeader | None = None) -> bytes:
    """The report as `fmt` (one of `FORMATS`); raises `UnknownFormatError` for anything else.

    `header` (testing body, number scheme, signatories) heads the HTML and PDF reports; the data formats do not
    carry it. A PDF needs WeasyPrint: without it `InputError` says how to install it."""
    _check(fmt)
    if fmt == "json":
        return render_json(report)
    if fmt == "html":
        from hegui.report.html import render_html

        return render_html(report, header=header).encode("utf-8")
    if fmt == "pdf":
        from hegui.report.pdf import render_pdf

        return render_pdf(report, header=header)
    if fmt == "sarif":
        from hegui.report.sarif import render_sarif

        return render_sarif(report)
    from hegui.report.xlsx import render_xlsx

    return render_xlsx(report)


def render_json(report: Report) -> bytes:
    # Everything, nulls included: consumers check fields by presence (see CONTRACT.md).
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2).encode("utf-8")


# --- wording shared by the human-readable views -------------------------------------------------------


def clause_text(source: SourceRef) -> str:
    """A clause as a Chinese reviewer cites it: "工信部信管函〔2020〕164号 三.1".

    Documents without an official number are cited by their Chinese title in 《》; an id hegui does not
    know is shown as given, so an outdated report still renders.
    """
    doc = knowledge.documents().get(source.doc)
    if doc is None:
        return f"{source.doc} {source.clause}".strip()
    if doc.get("number"):
        return f"{doc['number']} {source.clause}".strip()
    return f"《{doc['title_zh']}》 {source.clause}".strip()


def clause_title(source: SourceRef) -> str:
    """Full name of the cited document, zh and en, for a tooltip or a second column."""
    doc = knowledge.documents().get(source.doc)
    if doc is None:
        return source.doc
    return f"{doc['title_zh']} / {doc['title_en']}"


def remediation_pair(finding: Finding) -> tuple[str, str]:
    """(zh, en) fix text; a plain-string remediation is completed from the rulebook when it is the English one."""
    rem = finding.remediation
    if not isinstance(rem, str):
        return rem.zh, rem.en
    rule = knowledge.rulebook().get(finding.rule_id)
    if rule is not None and rule.remediation_zh and rem == rule.remediation_en:
        return rule.remediation_zh, rem
    return rem, rem


def subject_names(report: Report, subject: str) -> tuple[str, str]:
    """(zh, en) display name of a finding's subject: the app, a platform library (with the version the APK
    records), or the SDK's name as the report lists it."""
    if subject == "app":
        return APP_SUBJECT_ZH, APP_SUBJECT_EN
    if subject.startswith(PLATFORM_SUBJECT_PREFIX):
        for lib in report.platform_libraries:
            if lib.subject == subject:
                version = ", ".join(f"{a} {v}" for a, v in lib.versions.items())
                label = f"{lib.name} {version}" if version else lib.name
                return f"平台库：{label}", f"Platform library: {label}"
        name = subject[len(PLATFORM_SUBJECT_PREFIX):]
        return f"平台库：{name}", f"Platform library: {name}"
    for sdk in report.sdks:
        if sdk.id == subject:
            return f"SDK：{sdk.name}", f"SDK: {sdk.name}"
    return f"SDK：{subject}", f"SDK: {subject}"


def sdk_category_names() -> dict[str, tuple[str, str]]:
    """SDK category id -> (zh, en) as a person reads it (knowledge/sdk_categories.yaml)."""
    data = knowledge.load_yaml("sdk_categories.yaml")["sdk_categories"]
    return {key: (v["name_zh"], v["name_en"]) for key, v in data.items()}


def app_type_names(app_type: int) -> tuple[str, str]:
    """(zh, en) name of an app type of the 2021 necessary-PI rule; the id itself when hegui does not know it."""
    info = knowledge.app_types().get(app_type)
    return (info["name_zh"], info["name_en"]) if info else (str(app_type), str(app_type))


def pi_type_names(pi_type: str) -> tuple[str, str]:
    info = knowledge.pi_types().get(pi_type)
    if info is None:
        return pi_type, pi_type
    return info.name_zh, info.name_en


def findings_by_severity(report: Report) -> list[tuple[str, list[Finding]]]:
    """Severity groups, most severe first, by rule id and subject inside a group; empty groups left out."""
    groups: dict[str, list[Finding]] = {s: [] for s in SEVERITIES}
    for f in sorted(report.findings, key=lambda f: (f.rule_id, f.subject)):
        groups[f.severity].append(f)
    return [(s, fs) for s, fs in groups.items() if fs]


def verdict(report: Report) -> tuple[str, str]:
    """One-line overall judgement (zh, en) from the most severe finding."""
    worst = next((s for s in SEVERITIES if any(f.severity == s for f in report.findings)), None)
    if worst in ("critical", "high"):
        return ("存在高风险违规问题，须在上架或复检前完成整改",
                "High-risk violations found: fix them before release or re-inspection")
    if worst == "medium":
        return ("存在中风险问题，建议限期整改", "Medium-risk issues found: fix them within the agreed period")
    if worst == "low":
        return ("仅发现低风险问题，建议优化", "Only low-risk issues found: improvements recommended")
    return ("本次检测未发现违规问题（仅限已执行的检测项）",
            "No violations found by the checks that ran")
