"""REST API under /api/v1 (CONTRACT.md "Platform"): JSON, ``Authorization: Bearer TOKEN``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hegui.platform import access, export, lists, sdks, signers, workflow
from hegui.platform.accounts import audit
from hegui.platform.db import (
    App,
    AppVersion,
    Case,
    Complaint,
    FindingRow,
    Scan,
    StoreListing,
    User,
)
from hegui.platform.deps import api_role, api_user, get_db, refusal_is_conflict, today, work_calendar
from hegui.platform.listing import ListingInput, check_listing
from hegui.platform.lookup import Lookup
from hegui.platform.scans import ReportUnavailable, report_download, submit_scan, version_report
from hegui.platform.storage import UploadRejected

router = APIRouter(prefix="/api/v1", tags=["api"])
DB = Annotated[Session, Depends(get_db)]
ApiUser = Annotated[User, Depends(api_user)]
StaffUser = Annotated[User, Depends(api_role(*access.STAFF))]
RegulatorUser = Annotated[User, Depends(api_role("regulator"))]


# --- response / request models -----------------------------------------------------------------------------

class ScanOut(BaseModel):
    id: int
    status: Literal["queued", "running", "done", "failed"]
    sha256: str
    filename: str
    # what the scanner read the upload as (the report's input.kind); None until scanned
    kind: Literal["apk", "aar", "jar", "wxapkg", "rpk", "hap", "miniapp_dir"] | None = None
    app_id: int | None = None
    version_id: int | None = None
    note: str | None = None
    error: str | None = None
    # a version signed by another certificate than its app's record (signers.py): held for a regulator's
    # decision, then "counterfeit" or "genuine"; None for every other scan
    review: Literal["held", "counterfeit", "genuine"] | None = None
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
    decision: Literal["counterfeit", "genuine"]
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
    kind: Literal["app", "sdk"]  # an app (filed from APKs) or an SDK (from AAR/JAR packages)
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


class ClueIn(BaseModel):
    app_id: int
    rule_id: str
    note: str = ""


class ClueOut(BaseModel):
    id: int
    app_id: int
    rule_id: str
    version_id: int | None
    note: str
    status: str


class CaseIn(BaseModel):
    app_id: int
    rule_ids: list[str]
    note: str = ""


class CaseOut(BaseModel):
    id: int
    app_id: int
    package: str
    status: str
    rule_ids: list[str]
    notice_date: dt.date
    deadline: dt.date
    deadline_exact: bool
    overdue: bool
    recheck_version_id: int | None
    remaining_rule_ids: list[str] | None
    escalation: str | None


class EscalateIn(BaseModel):
    escalation: Literal["public_notice", "removal", "penalty", "bad_list"]
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
    status: str
    received_on: dt.date
    due_on: dt.date
    overdue: bool
    assignee: str | None
    resolution: str | None


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
    role: str


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


# --- helpers -----------------------------------------------------------------------------------------------

find = Lookup(lambda what: f"{what} not found")


def scan_out(db: Session, scan: Scan, with_report: bool) -> ScanOut:
    version = db.get(AppVersion, scan.version_id) if scan.version_id else None
    return ScanOut(id=scan.id, status=scan.status, sha256=scan.sha256, filename=scan.filename, kind=scan.kind,
                   app_id=version.app_id if version else None, version_id=scan.version_id, note=scan.note,
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
                   escalation=case.escalation)


def complaint_out(c: Complaint, on: dt.date) -> ComplaintOut:
    return ComplaintOut(id=c.id, app_id=c.app_id, app_name=c.app_name, status=c.status, received_on=c.received_on,
                        due_on=c.due_on, overdue=workflow.complaint_overdue(c, on),
                        assignee=c.assignee.name if c.assignee else None, resolution=c.resolution)


def _page(spec: lists.ListSpec, request: Request, response: Response, db: Session, user: User) -> lists.Page:
    """One page of a list; the total and the neighbouring pages go in headers (the body stays a JSON list)."""
    try:
        page = spec.run(db, user, lists.ListQuery.from_params(request.query_params, spec.filter_names))
    except lists.ListRequestError as err:
        raise HTTPException(422, str(err)) from None
    return _paged(page, request, response)


def _paged(page: lists.Page, request: Request, response: Response) -> lists.Page:
    response.headers["X-Total-Count"] = str(page.total)
    link = page.link_header(str(request.url.replace(query="")))
    if link:
        response.headers["Link"] = link
    return page


# --- scans and apps ----------------------------------------------------------------------------------------

@router.get("/me", response_model=MeOut)
def me(user: ApiUser) -> MeOut:
    return MeOut(id=user.id, name=user.name, role=user.role)


@router.post("/scans", status_code=202, response_model=ScanOut,
             responses={413: {"description": "file too large"}, 415: {"description": "not a ZIP (APK, AAR or JAR)"}})
def create_scan(request: Request, file: Annotated[UploadFile, File()], user: ApiUser,
                db: DB) -> ScanOut:
    """Upload an APK, or an SDK package (AAR or JAR), as multipart field ``file``; its scan is queued for the
    background worker. What the file is comes from its entries, not its name."""
    try:
        scan = submit_scan(db, request.app.state.settings, user, file.file, file.filename)
    except UploadRejected as err:
        raise HTTPException(err.status, str(err)) from None
    db.commit()
    request.app.state.worker_notify()
    return ScanOut(id=scan.id, status="queued", sha256=scan.sha256, filename=scan.filename)


@router.get("/scans", response_model=list[ScanOut])
def list_scans(request: Request, response: Response, user: ApiUser, db: DB) -> list[ScanOut]:
    """Scans; `q` (file name, sha256), `status`, `kind`, `since`, `until`, `sort` (id, created, status, filename)."""
    return [scan_out(db, s, with_report=False) for s in _page(lists.SCANS, request, response, db, user).rows]


@router.get("/held", response_model=list[HeldOut])
def list_held(user: StaffUser, db: DB) -> list[HeldOut]:
    """Scans held as possible counterfeits: signed by none of the certificates their app's record is bound to."""
    return [held_out(db, scan) for scan in signers.held_scans(db)]


@router.post("/scans/{scan_id}/decision", response_model=ScanOut)
def decide_held(scan_id: int, body: DecisionIn, user: RegulatorUser, db: DB) -> ScanOut:
    """Decide about a held scan: "counterfeit" (stays unfiled) or "genuine" (the record is re-bound to its
    certificates, its owner becomes the uploader if a developer, and the version is filed)."""
    scan = find.scan(db, user, scan_id)
    try:
        signers.decide(db, user, scan, body.decision, body.reason)
    except signers.DecisionError as err:
        raise HTTPException(409, str(err)) from None
    db.commit()
    return scan_out(db, scan, with_report=False)


@router.get("/scans/{scan_id}/report/{fmt}", response_class=Response,
            responses={200: {"description": "the report file"}, 409: {"description": "no report yet"}})
def download_report(scan_id: int, fmt: str, user: ApiUser, db: DB) -> Response:
    """The scan's report as a file: ``json``, ``html``, ``pdf``, ``xlsx`` or ``sarif`` (the scanner's renderers)."""
    return report_file(find.scan(db, user, scan_id), fmt)


def report_file(scan: Scan, fmt: str) -> Response:
    try:
        body, media_type, filename = report_download(scan, fmt)
    except ReportUnavailable as err:
        raise HTTPException(err.status, str(err)) from None
    # An attachment, and a sandbox if a browser opens it anyway: the HTML report holds the APK's own strings.
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"})


@router.get("/scans/{scan_id}", response_model=ScanOut)
def get_scan(scan_id: int, user: ApiUser, db: DB) -> ScanOut:
    return scan_out(db, find.scan(db, user, scan_id), with_report=True)


@router.get("/apps", response_model=list[AppOut])
def list_apps(request: Request, response: Response, user: ApiUser, db: DB) -> list[AppOut]:
    """Apps and SDKs; `q` (package, name), `kind`, `owner`, `repeat_offender`, `since`, `until`, `sort`."""
    return [app_out(db, a, with_versions=False) for a in _page(lists.APPS, request, response, db, user).rows]


@router.get("/apps/{app_id}", response_model=AppOut)
def get_app(app_id: int, user: ApiUser, db: DB) -> AppOut:
    return app_out(db, find.app(db, user, app_id), with_versions=True)


@router.get("/apps/{app_id}/diff")
def diff_versions(app_id: int, from_version: int, to_version: int, user: ApiUser,
                  db: DB) -> dict[str, Any]:
    """What changed between two versions of the app (permissions, SDKs, sensitive APIs, findings)."""
    app = find.app(db, user, app_id)
    old, new = find.version_pair(db, app, from_version, to_version)
    return {"from_version": old.id, "to_version": new.id,
            **workflow.diff_reports(version_report(db, old), version_report(db, new))}


@router.get("/findings", response_model=list[FindingOut])
def list_findings(request: Request, response: Response, user: ApiUser, db: DB) -> list[FindingOut]:
    """Findings of the visible apps; `q`, `rule_id`, `severity`, `subject`, `app_id`, `version_id`, `owner`,
    `sort`; `offset` paging or keyset paging by `after_id` (ordered by id)."""
    return [FindingOut.model_validate(f, from_attributes=True)
            for f in _page(lists.FINDINGS, request, response, db, user).rows]


# --- SDKs --------------------------------------------------------------------------------------------------

@router.get("/sdks", response_model=list[SdkOut])
def list_sdks(request: Request, response: Response, user: ApiUser, db: DB) -> list[SdkOut]:
    """Third-party SDKs in the latest versions of the apps the caller may see (an SDK vendor: their own SDKs
    across all apps); `q` (id, name), `sort` (id, name, apps, findings, severity), `limit`, `offset`."""
    try:
        page = _paged(sdks.sdk_page(db, user, request.query_params), request, response)
    except lists.ListRequestError as err:
        raise HTTPException(422, str(err)) from None
    return [SdkOut.model_validate(s, from_attributes=True) for s in page.rows]


@router.get("/sdks/{sdk_id}", response_model=SdkDetailOut)
def get_sdk(sdk_id: str, user: ApiUser, db: DB) -> SdkDetailOut:
    """The apps embedding the SDK, its findings across them, and its PI call sites (aggregated per API)."""
    detail = sdks.sdk_detail(db, user, sdk_id)
    if detail is None:
        raise find.missing("sdk")
    return SdkDetailOut.model_validate(detail, from_attributes=True)


# --- clues and cases ---------------------------------------------------------------------------------------

@router.get("/clues", response_model=list[ClueOut])
def list_clues(request: Request, response: Response, user: StaffUser, db: DB) -> list[ClueOut]:
    """Clues; `q` (rule, note, package, name), `status`, `rule_id`, `app_id`, `since`, `until`, `sort`."""
    return [ClueOut.model_validate(c, from_attributes=True) for c in _page(lists.CLUES, request, response, db, user).rows]


@router.post("/clues", status_code=201, response_model=ClueOut)
def create_clue(body: ClueIn, user: StaffUser, db: DB) -> ClueOut:
    app = find.app(db, user, body.app_id)
    with refusal_is_conflict():
        clue = workflow.create_clue(db, user, app, body.rule_id, body.note)
    db.commit()
    return ClueOut.model_validate(clue, from_attributes=True)


@router.get("/cases", response_model=list[CaseOut])
def list_cases(request: Request, response: Response, user: ApiUser, db: DB) -> list[CaseOut]:
    """Cases; `q`, `status`, `open`, `app_id`, `deadline_before`, `escalation`, `owner`, `sort`."""
    on = today(request)
    return [case_out(c, on) for c in _page(lists.CASES, request, response, db, user).rows]


@router.post("/cases", status_code=201, response_model=CaseOut)
def create_case(body: CaseIn, request: Request, user: StaffUser,
                db: DB) -> CaseOut:
    app = find.app(db, user, body.app_id)
    with refusal_is_conflict():
        case = workflow.open_case(db, user, app, body.rule_ids, today(request), body.note,
                                  calendar=work_calendar(request))
    db.commit()
    return case_out(case, today(request))


@router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(case_id: int, request: Request, user: ApiUser, db: DB) -> CaseOut:
    return case_out(find.case(db, user, case_id), today(request))


@router.post("/cases/{case_id}/escalate", response_model=CaseOut)
def escalate(case_id: int, body: EscalateIn, request: Request, user: RegulatorUser,
             db: DB) -> CaseOut:
    case = find.case(db, user, case_id)
    with refusal_is_conflict():
        workflow.escalate_case(db, user, case, body.escalation, body.note, today=today(request),
                               override_reason=body.override_reason)
    db.commit()
    return case_out(case, today(request))


# --- complaints --------------------------------------------------------------------------------------------

@router.get("/complaints", response_model=list[ComplaintOut])
def list_complaints(request: Request, response: Response, user: StaffUser, db: DB) -> list[ComplaintOut]:
    """Complaints; `q` (app, complainant, content), `status`, `open`, `app_id`, `sort` (due, received, id, status)."""
    on = today(request)
    return [complaint_out(c, on) for c in _page(lists.COMPLAINTS, request, response, db, user).rows]


@router.post("/complaints", status_code=201, response_model=ComplaintOut)
def create_complaint(body: ComplaintIn, request: Request, user: StaffUser,
                     db: DB) -> ComplaintOut:
    app = find.app(db, user, body.app_id) if body.app_id is not None else None
    with refusal_is_conflict():
        c = workflow.receive_complaint(db, user, body.app_name, body.complainant, body.content, today(request), app)
    db.commit()
    return complaint_out(c, today(request))


@router.post("/complaints/{complaint_id}/assign", response_model=ComplaintOut)
def assign_complaint(complaint_id: int, body: AssignIn, request: Request, user: StaffUser,
                     db: DB) -> ComplaintOut:
    c = find.complaint(db, complaint_id)
    assignee = find.user_named(db, body.assignee)
    with refusal_is_conflict():
        workflow.assign_complaint(db, user, c, assignee)
    db.commit()
    return complaint_out(c, today(request))


@router.post("/complaints/{complaint_id}/resolve", response_model=ComplaintOut)
def resolve_complaint(complaint_id: int, body: ResolveIn, request: Request, user: StaffUser,
                      db: DB) -> ComplaintOut:
    c = find.complaint(db, complaint_id)
    with refusal_is_conflict():
        workflow.resolve_complaint(db, user, c, body.resolution, today(request))
    db.commit()
    return complaint_out(c, today(request))


class OwnerIn(BaseModel):
    owner: str = Field(min_length=1, max_length=120)  # the account name


@router.post("/apps/{app_id}/owner", response_model=AppOut)
def set_owner(app_id: int, body: OwnerIn, user: RegulatorUser, db: DB) -> AppOut:
    """Give the app or SDK record to another developer or vendor account (regulators only; audited)."""
    app = find.app(db, user, app_id)
    new_owner = find.user_named(db, body.owner)
    with refusal_is_conflict():
        workflow.transfer_ownership(db, user, app, new_owner)
    db.commit()
    return app_out(db, app, with_versions=False)


# --- store listings, announcements, audit ------------------------------------------------------------------

def record_listing(db: Session, user: User, app: App, data: ListingInput) -> StoreListing:
    latest = workflow.latest_version(db, app)
    findings = check_listing(data, version_report(db, latest) if latest else None)
    row = StoreListing(app_id=app.id, store=data.store, version_name=data.version_name,
                       permissions=data.permissions, policy_url=data.policy_url, developer_name=data.developer_name,
                       developer_contact=data.developer_contact, findings=findings, created_by=user.id)
    db.add(row)
    db.flush()
    audit(db, user, "listing.record", f"listing:{row.id}", f"{app.package} {data.store}: {len(findings)} findings")
    return row


@router.post("/apps/{app_id}/listings", status_code=201, response_model=ListingOut)
def create_listing(app_id: int, body: ListingIn, user: StaffUser,
                   db: DB) -> ListingOut:
    """Record what a store page shows; answers PI-STORE-LISTING-INCOMPLETE / listing-vs-APK findings."""
    app = find.app(db, user, app_id)
    data = ListingInput(store=body.store, version_name=body.version_name,
                        permissions=[p.model_dump() for p in body.permissions], policy_url=body.policy_url,
                        developer_name=body.developer_name, developer_contact=body.developer_contact)
    row = record_listing(db, user, app, data)
    db.commit()
    return ListingOut(id=row.id, app_id=app.id, store=row.store, findings=row.findings)


@router.get("/apps/{app_id}/listings", response_model=list[ListingOut])
def list_listings(app_id: int, user: StaffUser, db: DB) -> list[ListingOut]:
    app = find.app(db, user, app_id)
    rows = db.scalars(select(StoreListing).where(StoreListing.app_id == app.id).order_by(StoreListing.id))
    return [ListingOut(id=r.id, app_id=app.id, store=r.store, findings=r.findings) for r in rows]


def announcement_response(db: Session, user: User, fmt: str, escalation: str | None,
                          skip_incomplete: bool = False) -> Response:
    """Rows without a recorded developer are refused (409 naming the apps); `skip_incomplete` exports the rest and
    the audit log names what was left out."""
    rows = export.announcement_rows(db, escalation)
    incomplete = [r.app for r in rows if not r.developer]
    if incomplete and not skip_incomplete:
        raise HTTPException(409, "no developer is recorded for " + ", ".join(incomplete[:20])
                            + (" …" if len(incomplete) > 20 else "") + ": record a store listing with developer_name, "
                            "or export the other rows with skip_incomplete=true")
    rows = [r for r in rows if r.developer]
    audit(db, user, "announcement.export", fmt, f"{len(rows)} rows"
          + (f"; left out, no developer recorded: {', '.join(incomplete)}"[:2000] if incomplete else ""))
    db.commit()
    stamp = dt.date.today().isoformat()
    if fmt == "csv":
        return Response(export.rows_to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="announcement-{stamp}.csv"'})
    return Response(export.rows_to_xlsx(rows),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="announcement-{stamp}.xlsx"'})


@router.get("/announcements", response_class=Response)
def announcements(user: RegulatorUser, db: DB,
                  fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
                  escalation: Literal["public_notice", "removal", "penalty", "bad_list"] | None = None,
                  skip_incomplete: bool = False) -> Response:
    """An announcement batch of escalated / failed-recheck cases, laid out like MIIT notices."""
    return announcement_response(db, user, fmt, escalation, skip_incomplete)


@router.get("/audit", response_model=list[AuditOut])
def audit_log(request: Request, response: Response, user: RegulatorUser, db: DB) -> list[AuditOut]:
    """The audit log, newest first; `q` (action, target, detail), `action`, `user`, `since`, `until`, `sort`."""
    events = _page(lists.AUDIT, request, response, db, user).rows
    return [AuditOut(at=e.at, user=e.user.name if e.user else None, action=e.action, target=e.target,
                     detail=e.detail) for e in events]
