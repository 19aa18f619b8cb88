"""The REST API's request and response models (pydantic), and the functions that build the responses from
database rows. Routers (routers/) declare these as their bodies and response models; nothing here knows HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hegui.platform import workflow
from hegui.platform.db import App, AppVersion, Case, Complaint, FindingRow, Scan
from hegui.platform.messages import render_json, render_notes
from hegui.platform.vocab import (
    AppKind,
    CaseStatus,
    ClueSource,
    ClueStatus,
    ComplaintStatus,
    Escalation,
    HeldDecision,
    InputKind,
    MarkVerdict,
    Review,
    Role,
    ScanStatus,
    values_of,
)

# The vocabularies as the API validates and documents them (inline enums of their values).
RoleValue = values_of(Role)
ScanStatusValue = values_of(ScanStatus)
InputKindValue = values_of(InputKind)
AppKindValue = values_of(AppKind)
ReviewValue = values_of(Review)
HeldDecisionValue = values_of(HeldDecision)
ClueStatusValue = values_of(ClueStatus)
CaseStatusValue = values_of(CaseStatus)
EscalationValue = values_of(Escalation)
ComplaintStatusValue = values_of(ComplaintStatus)
ClueSourceValue = values_of(ClueSource)
MarkVerdictValue = values_of(MarkVerdict)

# --- request and response models ---------------------------------------------------------------------------

class MessageOut(BaseModel):
    """A sentence the platform wrote, as its key in the platform's message table and the facts it states
    (GET the same resource with ?lang=zh|en for the rendered text)."""
    key: str
    params: dict[str, Any]


class ScanOut(BaseModel):
    id: int
    status: ScanStatusValue
    sha256: str
    filename: str
    # what the scanner read the upload as (the report's input.kind); None until scanned
    kind: InputKindValue | None = None
    app_id: int | None = None
    version_id: int | None = None
    note: str | None = None  # English, as the audit log reads it
    # the note's sentences (why the scan is not filed, a changed build, a build that is no re-check) and the note
    # rendered in the request's language (?lang=, else Accept-Language)
    note_messages: list[MessageOut] | None = None
    note_text: str | None = None
    error: str | None = None  # English, as the audit log reads it
    # why the scan failed as a platform message (None: the scanner's own words, or an older scan), and the
    # reason in the request's language
    error_message: MessageOut | None = None
    error_text: str | None = None
    # a version signed by another certificate than its app's record (signers.py): held for a regulator's
    # decision, then "counterfeit" or "genuine"; None for every other scan
    review: ReviewValue | None = None
    report: dict[str, Any] | None = None


class HeldOut(BaseModel):
    """A held scan as regulators and reviewers see it: which record it claimed and by which certificates."""
    scan_id: int
    app_id: int
    package: str
    uploader: str
    owner: str | None
    version_name: str | None
    signed_by: list[str]
    record_signed_by: list[str]


class DecisionIn(BaseModel):
    decision: HeldDecisionValue
    reason: str = Field(min_length=1, max_length=2000)


class VersionOut(BaseModel):
    id: int
    version_name: str | None
    version_code: int | None
    sha256: str
    scan_id: int
    findings: int


class AppOut(BaseModel):
    id: int
    package: str
    kind: AppKindValue  # an app (filed from APKs) or an SDK (from AAR/JAR packages)
    label: str | None
    owner: str | None
    repeat_offender: bool
    versions: list[VersionOut] = Field(default_factory=list)


class FindingOut(BaseModel):
    id: int
    app_id: int
    version_id: int
    rule_id: str
    severity: str
    subject: str
    title_zh: str
    title_en: str
    # a reviewer's verdict on this rule + subject of the app holding for this version (marks.py); None: none given
    mark: MarkVerdictValue | None = None


class ClueIn(BaseModel):
    app_id: int
    rule_id: str
    note: str = ""


class ClueOut(BaseModel):
    id: int
    app_id: int | None  # None: a tip or complaint about an app not on the platform (app_name), or an SDK's clue
    rule_id: str
    version_id: int | None
    note: str
    status: ClueStatusValue
    source: ClueSourceValue = ClueSource.FINDING.value
    app_name: str | None = None
    subject: str | None = None  # the finding's subject ("app" or an SDK id), when filed from one
    complaint_id: int | None = None
    sdk_id: str | None = None
    campaign_id: int | None = None


class CaseIn(BaseModel):
    app_id: int
    rule_ids: list[str]
    note: str = ""


class CaseOut(BaseModel):
    id: int
    app_id: int
    package: str
    status: CaseStatusValue
    rule_ids: list[str]
    notice_date: dt.date
    deadline: dt.date
    deadline_exact: bool
    overdue: bool
    recheck_version_id: int | None
    remaining_rule_ids: list[str] | None
    escalation: EscalationValue | None
    sdk_id: str | None = None  # a case against an SDK vendor: the SDK (the app is the vendor's SDK record)


class EscalateIn(BaseModel):
    escalation: EscalationValue
    note: str = ""
    # needed before the deadline has passed and while no re-check failed (kept in the audit log)
    override_reason: str = Field("", max_length=2000)


class ComplaintIn(BaseModel):
    app_name: str
    complainant: str = ""
    content: str
    app_id: int | None = None


class AssignIn(BaseModel):
    assignee: str


class ResolveIn(BaseModel):
    resolution: str


class ComplaintOut(BaseModel):
    id: int
    app_id: int | None
    app_name: str
    status: ComplaintStatusValue
    received_on: dt.date
    due_on: dt.date
    overdue: bool
    assignee: str | None
    resolution: str | None
    clue_ids: list[int] = Field(default_factory=list)  # the clues the complaint became (cases.clue_from_complaint)


class ListingPermission(BaseModel):
    name: str = Field(max_length=255)
    purpose: str = Field(default="", max_length=2000)


class ListingIn(BaseModel):
    store: str = Field(max_length=120)
    version_name: str | None = Field(default=None, max_length=100)
    permissions: list[ListingPermission] = Field(default_factory=list, max_length=500)
    policy_url: str | None = Field(default=None, max_length=2048)
    developer_name: str | None = Field(default=None, max_length=255)
    developer_contact: str | None = Field(default=None, max_length=255)


class ListingOut(BaseModel):
    id: int
    app_id: int
    store: str
    findings: list[dict[str, Any]]


class MeOut(BaseModel):
    id: int
    name: str
    role: RoleValue


class AuditOut(BaseModel):
    at: dt.datetime
    user: str | None
    action: str
    target: str
    detail: str


class SdkOut(BaseModel):
    id: str
    name: str
    apps: int  # apps whose latest version embeds it (of those the caller may see)
    findings: int  # findings whose subject is this SDK in those versions
    worst_severity: Literal["low", "medium", "high", "critical"] | None
    before_consent_findings: int  # of those findings, the before-consent ones (collection before the user agrees)
    pi_call_sites: int  # its PI call sites in those versions, summed over the apps


class SdkAppOut(BaseModel):
    id: int
    package: str
    version_id: int
    version_name: str | None
    sdk_version: str | None  # the SDK's version when known (its own package); apps do not state it


class SdkFindingOut(BaseModel):
    rule_id: str
    severity: str
    title_zh: str
    title_en: str
    # None for an app of another account, withheld from an SDK vendor
    app_id: int | None
    package: str | None
    version_id: int | None
    version_name: str | None


class SdkCallSiteOut(BaseModel):
    pi_type: str
    api: str
    apps: int
    at_startup: int


class SdkDetailOut(BaseModel):
    id: str
    name: str
    apps: list[SdkAppOut]
    hidden_apps: int  # apps of other accounts embedding it, counted but not named (an SDK vendor's view)
    findings: list[SdkFindingOut]
    call_sites: list[SdkCallSiteOut]


class OwnerIn(BaseModel):
    owner: str = Field(min_length=1, max_length=120)  # the account name


# --- responses from rows ---------------------------------------------------------------------------

def scan_out(db: Session, scan: Scan, with_report: bool, lang: str = "zh") -> ScanOut:
    version = db.get(AppVersion, scan.version_id) if scan.version_id else None
    return ScanOut(id=scan.id, status=scan.status, sha256=scan.sha256, filename=scan.filename, kind=scan.kind,
                   app_id=version.app_id if version else None, version_id=scan.version_id, note=scan.note,
                   note_messages=[MessageOut.model_validate(m) for m in scan.note_messages or []] or None,
                   note_text=render_notes(scan.note_messages, lang, scan.note),
                   error_message=MessageOut.model_validate(scan.error_message) if scan.error_message else None,
                   error_text=render_json(scan.error_message, lang, scan.error),
                   error=scan.error, review=scan.review, report=scan.report_json if with_report else None)


def held_out(db: Session, scan: Scan) -> HeldOut:
    app = db.get(App, scan.held_app_id)
    report = scan.report_json or {}
    return HeldOut(scan_id=scan.id, app_id=app.id, package=app.package, uploader=scan.uploader.name,
                   owner=app.owner.name if app.owner else None,
                   version_name=(report.get("app") or {}).get("version_name"),
                   signed_by=sorted({s.get("sha256", "") for s in (report.get("app") or {}).get("signers", [])}),
                   record_signed_by=list(app.signing_certs or []))


def app_out(db: Session, app: App, with_versions: bool) -> AppOut:
    out = AppOut(id=app.id, package=app.package, kind=app.kind, label=app.label, owner=app.owner.name if app.owner else None,
                 repeat_offender=app.repeat_offender)
    if with_versions:
        counts = dict(db.execute(select(FindingRow.version_id, func.count()).where(FindingRow.app_id == app.id)
                                 .group_by(FindingRow.version_id)).all())
        out.versions = [VersionOut(id=v.id, version_name=v.version_name, version_code=v.version_code,
                                   sha256=v.sha256, scan_id=v.scan_id, findings=counts.get(v.id, 0))
                        for v in app.versions]
    return out


def case_out(case: Case, on: dt.date) -> CaseOut:
    return CaseOut(id=case.id, app_id=case.app_id, package=case.app.package, status=case.status,
                   rule_ids=list(case.rule_ids), notice_date=case.notice_date, deadline=case.deadline,
                   deadline_exact=not case.deadline_approximate, overdue=workflow.case_overdue(case, on),
                   recheck_version_id=case.recheck_version_id,
                   remaining_rule_ids=list(case.remaining_rule_ids) if case.remaining_rule_ids is not None else None,
                   escalation=case.escalation, sdk_id=case.sdk_id)


def complaint_out(c: Complaint, on: dt.date) -> ComplaintOut:
    return ComplaintOut(id=c.id, app_id=c.app_id, app_name=c.app_name, status=c.status, received_on=c.received_on,
                        due_on=c.due_on, overdue=workflow.complaint_overdue(c, on),
                        assignee=c.assignee.name if c.assignee else None, resolution=c.resolution,
                        clue_ids=[clue.id for clue in c.clues])
