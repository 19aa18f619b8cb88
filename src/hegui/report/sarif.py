"""SARIF 2.1.0 (OASIS) for CI systems and code-scanning dashboards.

One run; the driver lists each rule a finding uses (help text in Chinese and English), one result per
finding. An APK has no source lines, so a result points at the scanned file and, for code evidence, at
the calling method as a logical location. `partialFingerprints` lets a CI system follow the same finding
across scans: it hashes rule, subject and evidence, never the file path or the tool version.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote

from hegui import knowledge
from hegui.knowledge.platform import api_namespaces
from hegui.report.model import Finding, Report
from hegui.report.render import SEVERITY_EN, clause_text, remediation_pair, subject_names

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "heguiFinding/v1"
SRCROOT = "%SRCROOT%"  # the uriBaseId code-scanning services resolve against the repository they scan

LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning ranks security results by this 0–10 score; the bands are its own.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}

# A Java method as evidence names it: dotted class, '#', method name (see CONTRACT.md sensitive_calls).
_METHOD_REF = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*#[\w$<>]+")


def artifact_uri(path: str) -> str:
    """The scanned file as a URI reference: absolute paths become file:// URIs, relative ones stay relative."""
    if PureWindowsPath(path).drive:
        return PureWindowsPath(path).as_uri()
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute():
        return posix.as_uri()
    return quote(str(posix), safe="/")


def working_tree_of(path: str) -> tuple[Path, str] | None:
    """(repository root, path relative to it) when the scanned file lies inside a git working tree: CI uploads
    resolve results against the repository, so an absolute path of the build machine would point nowhere."""
    try:
        resolved = Path(path).resolve()
    except (OSError, RuntimeError):
        return None
    for folder in resolved.parents:
        if (folder / ".git").exists():
            return folder, resolved.relative_to(folder).as_posix()
    return None


def calling_method(detail: str) -> str | None:
    """The app/SDK method a call-evidence line is about.

    The detectors write "<api> called from <caller>", "runs at startup: <entry> → … → <caller>" or
    "<caller> calls/starts …"; anything else falls back to the first class#method outside the platform.
    """
    _, sep, after = detail.partition(" called from ")
    if sep and (ref := _METHOD_REF.match(after)):
        return ref.group(0)
    refs = _METHOD_REF.findall(detail)
    if "→" in detail and refs:
        return refs[-1]
    for ref in refs:
        # platform namespaces (platform_libraries.yaml): in a call line they are the callee, not where the code sits
        if not ref.startswith(api_namespaces()):
            return ref
    return refs[0] if refs else None


def fingerprint(finding: Finding) -> str:
    evidence = sorted(f"{e.kind}\x1f{e.detail}" for e in finding.evidence)
    material = "\x1e".join([finding.rule_id, finding.subject, *evidence])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _rule_name(rule_id: str) -> str:
    # SARIF wants an identifier-like name: PI-COLLECT-BEFORE-CONSENT → PiCollectBeforeConsent
    return "".join(part.capitalize() for part in rule_id.split("-"))


def _rule_descriptor(finding: Finding) -> dict:
    rule = knowledge.rulebook().get(finding.rule_id)
    rem_zh, rem_en = remediation_pair(finding)
    description = rule.description if rule is not None and rule.description else finding.title_en
    clauses = [clause_text(s) for s in finding.sources]
    default_severity = rule.severity if rule is not None else finding.severity
    help_text = "\n".join([
        f"整改建议：{rem_zh}",
        f"Remediation: {rem_en}",
        "法规依据 Clauses：" + "；".join(clauses),
    ])
    return {
        "id": finding.rule_id,
        "name": _rule_name(finding.rule_id),
        "shortDescription": {"text": finding.title_en},
        "fullDescription": {"text": f"{finding.title_zh} — {description}"},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": LEVELS[default_severity]},
        "properties": {
            # "security" makes code-scanning services apply `security-severity` (GitHub ranks only those)
            "tags": ["security", "privacy", "personal-information", "china",
                     *sorted({s.doc for s in finding.sources})],
            "title_zh": finding.title_zh,
            "clauses": clauses,
            "security-severity": SECURITY_SEVERITY[default_severity],
        },
    }


def _locations(finding: Finding, location: dict) -> list[dict]:
    physical = {"artifactLocation": {**location, "index": 0}}
    methods: list[str] = []
    for ev in finding.evidence:
        if ev.kind == "call":
            # Structured evidence names the caller (or the last hop of a startup path); the English line is read
            # only for evidence written before the facts were kept (a report loaded from an older JSON).
            method = (ev.caller or (ev.path[-1] if ev.path else None)) if ev.template else calling_method(ev.detail)
            if method is not None and method not in methods:
                methods.append(method)
    if not methods:
        return [{"physicalLocation": physical}]
    return [
        {"physicalLocation": physical,
         "logicalLocations": [{"fullyQualifiedName": m, "name": m.rsplit("#", 1)[1], "kind": "function"}]}
        for m in methods
    ]


def _result(report: Report, finding: Finding, rule_index: int, location: dict) -> dict:
    subject_zh, subject_en = subject_names(report, finding.subject)
    evidence_lines = [f"[{e.kind}] {e.detail}" for e in finding.evidence]
    text = (f"{finding.title_en} ({subject_en}). {finding.title_zh}（{subject_zh}）。"
            f" Evidence: {len(finding.evidence)} item(s).")
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": text},
        "locations": _locations(finding, location),
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": {
            "severity": finding.severity,
            "severity_label": SEVERITY_EN[finding.severity],
            "subject": finding.subject,
            "evidence": evidence_lines,
            "sources": [{"doc": s.doc, "clause": s.clause, "citation": clause_text(s)} for s in finding.sources],
        },
    }


def sarif_log(report: Report) -> dict:
    """The SARIF log as a JSON-ready dict."""
    uri = artifact_uri(report.input.path)
    tree = working_tree_of(report.input.path) if not report.input.path.startswith(("http://", "https://")) else None
    location: dict = {"uri": uri}
    if tree is not None:
        uri = quote(tree[1], safe="/")
        location = {"uri": uri, "uriBaseId": SRCROOT}
    rules: list[dict] = []
    index: dict[str, int] = {}
    for f in report.findings:
        if f.rule_id not in index:
            index[f.rule_id] = len(rules)
            rules.append(_rule_descriptor(f))
    results = [_result(report, f, index[f.rule_id], location) for f in report.findings]
    notifications = [
        {"level": "error", "message": {"text": f"{e.stage}: {e.message}"}, "descriptor": {"id": e.stage}}
        for e in report.errors
    ]
    run: dict = {
        "tool": {"driver": {
            "name": "hegui",
            "fullName": "hegui 合规 — Chinese personal-information compliance scanner for Android apps",
            "version": report.tool.version,
            "rules": rules,
        }},
        "artifacts": [{
            "location": location,
            "length": report.input.size,
            "hashes": {"sha-256": report.input.sha256},
            "mimeType": "application/vnd.android.package-archive",
        }],
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "results": results,
        **({"originalUriBaseIds": {SRCROOT: {"uri": tree[0].as_uri() + "/"}}} if tree is not None else {}),
        "properties": {
            "package": report.app.package,
            "version_name": report.app.version_name,
            "version_code": report.app.version_code,
            "label": report.app.label,
        },
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: Report) -> bytes:
    return json.dumps(sarif_log(report), ensure_ascii=False, indent=2).encode("utf-8")
