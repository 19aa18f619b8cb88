"""Server-rendered pages (Jinja2, zh/en). Session cookie (HttpOnly, SameSite=Lax) + a CSRF token on every
form; no inline JavaScript (the CSP forbids it)."""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui import knowledge
from hegui.platform import (
    access,
    apidocs,
    citations,
    export,
    lists,
    marks,
    sdks,
    signers,
    user_admin,
    workflow,
)
from hegui.platform import cases as casework
from hegui.platform import dashboard as overview
from hegui.platform.accounts import AccountError, LoginLimits, LoginThrottled, login, logout
from hegui.platform.db import (
    App,
    AppVersion,
    Case,
    Complaint,
    FindingRow,
    RepeatOffence,
    Scan,
    StoreListing,
    User,
    WebSession,
)
from hegui.platform.deps import (
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    get_db,
    lang_of,
    list_refusal_is_unprocessable,
    refusal,
    refusal_is_conflict,
    require_web_role,
    run_list,
    today,
    web_role,
    web_session,
    web_user,
    work_calendar,
)
from hegui.platform.i18n import LANGS, translate
from hegui.platform.listing import ListingInput, record_listing
from hegui.platform.lookup import Lookup
from hegui.platform.messages import Message, Refusal, render_json, render_notes
from hegui.platform.reports import REPORT_CSP, announcement_response, report_file
from hegui.platform.scans import submit_scan, version_report
from hegui.platform.security import new_csrf_token, same_secret
from hegui.platform.storage import UploadRejected
from hegui.platform.vocab import (
    ANSWERABLE_CASE_STATUSES,
    OPEN_CASE_STATUSES,
    AnnouncementFormat,
    AppKind,
    CaseStatus,
    ComplaintStatus,
    Escalation,
    HeldDecision,
    MarkVerdict,
    Role,
    ScanStatus,
)

router = APIRouter(include_in_schema=False)
STAFF = access.STAFF
find = Lookup(lambda _what: "not found")  # the page heads it with the translated status
DB = Annotated[Session, Depends(get_db)]
AnyUser = Annotated[User, Depends(web_user)]
StaffUser = Annotated[User, Depends(web_role(*STAFF))]
RegulatorUser = Annotated[User, Depends(web_role(Role.REGULATOR))]

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(resources.files("hegui.platform").joinpath("templates"))),
    autoescape=True,  # everything shown may come from an APK, a listing or a complaint
    undefined=jinja2.StrictUndefined,
)
# Templates compare statuses and roles with these members (`user.role == Role.REGULATOR`): a misspelt member
# fails the render (StrictUndefined) where a misspelt string would silently never match.
_env.globals.update(Role=Role, ScanStatus=ScanStatus, AppKind=AppKind, CaseStatus=CaseStatus,
                    ComplaintStatus=ComplaintStatus, HeldDecision=HeldDecision, STAFF_ROLES=STAFF,
                    OPEN_CASE_STATUSES=OPEN_CASE_STATUSES, ANSWERABLE_CASE_STATUSES=ANSWERABLE_CASE_STATUSES,
                    MarkVerdict=MarkVerdict, notes_text=render_notes, message_text=render_json)


async def csrf_checked(request: Request, session: Annotated[WebSession, Depends(web_session)]) -> User:
    """For every state-changing form: the session's user, once the form's CSRF token matched."""
    form = await request.form()
    if not same_secret(str(form.get("csrf_token") or ""), session.csrf_token):
        raise refusal(403, Refusal(Message("web.csrf")))
    return session.user


FormUser = Annotated[User, Depends(csrf_checked)]


def page(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    html = _env.get_template(template).render(
        lang=lang, t=lambda key: translate(key, lang), user=getattr(request.state, "user", None),
        csrf=getattr(request.state, "csrf", ""), today=today(request), request_path=request.url.path,
        rulebook=knowledge.rulebook(), **ctx)
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, status: int, message: str, refusal: Refusal | None = None) -> HTMLResponse:
    """An error page; a refused step's reason in the page's language."""
    if refusal is not None:
        message = refusal.reason(lang_of(request))
    return page(request, "error.html", status=status, status_code=status, message=message, explained=refusal is not None)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None) -> str:
    """Only same-site paths: ``/x`` but not ``//evil`` or ``/\\evil`` (open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


# --- login, language ---------------------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    token = new_csrf_token()
    response = page(request, "login.html", login_csrf=token, failed=False, throttled=0)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.app.state.settings.secure_cookies)
    return response


@router.post("/login", response_class=HTMLResponse)
def login_submit(request: Request, db: DB, name: Annotated[str, Form(max_length=80)],
                 password: Annotated[str, Form(max_length=1024)],
                 csrf_token: Annotated[str, Form(max_length=100)]) -> Response:
    if not same_secret(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return error_page(request, 403, "CSRF token missing or wrong")
    settings = request.app.state.settings
    limits = LoginLimits(settings.login_window_s, settings.login_account_failures, settings.login_address_failures)
    try:
        result = login(db, name, password, settings.session_hours,
                       request.client.host if request.client else "?", limits)
    except LoginThrottled as err:
        db.rollback()
        token = new_csrf_token()
        minutes = max(1, -(-err.retry_after_s // 60))
        response = page(request, "login.html", status=429, login_csrf=token, failed=False, throttled=minutes)
        response.headers["Retry-After"] = str(err.retry_after_s)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=settings.secure_cookies)
        return response
    db.commit()
    if result is None:
        token = new_csrf_token()
        response = page(request, "login.html", status=401, login_csrf=token, failed=True, throttled=0)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=settings.secure_cookies)
        return response
    _user, session_token, _csrf = result
    response = see_other("/")
    response.set_cookie(SESSION_COOKIE, session_token, httponly=True, samesite="lax", secure=settings.secure_cookies,
                        max_age=settings.session_hours * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout_submit(request: Request, db: DB, user: FormUser) -> Response:
    session = db.scalar(select(WebSession).where(WebSession.csrf_token == request.state.csrf))
    if session is not None:
        logout(db, session)
        db.commit()
        request.app.state.credential_cache.forget()
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
def set_language(code: str, next: str = "/") -> Response:
    response = see_other(safe_next(next))
    if code in LANGS:
        response.set_cookie(LANG_COOKIE, code, samesite="lax", max_age=365 * 86400)
    return response


# --- apps --------------------------------------------------------------------------------------------------

def sdk_summary(db: Session, user: User) -> list[dict[str, Any]]:
    """An SDK vendor's view: each SDK found in the scans they uploaded, with the findings it is the subject of.

    Every done scan counts (no cap); the database extracts the two parts of each report this reads."""
    summary: dict[str, dict[str, Any]] = {}
    parts = (access.visible_scans(user).where(Scan.status == ScanStatus.DONE)
             .with_only_columns(Scan.report_json["sdks"], Scan.report_json["findings"]))
    for sdks_found, findings in db.execute(parts):
        for sdk in sdks_found or []:
            entry = summary.setdefault(sdk["id"], {"id": sdk["id"], "name": sdk["name"], "scans": 0, "rules": set()})
            entry["scans"] += 1
            entry["rules"] |= {f["rule_id"] for f in findings or [] if f["subject"] == sdk["id"]}
    return [{**e, "rules": sorted(e["rules"])} for e in sorted(summary.values(), key=lambda e: e["id"])]


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, db: DB, user: AnyUser) -> HTMLResponse:
    apps = run_list(request, db, user, lists.APPS)
    cases = list(db.scalars(access.visible_cases(user).where(Case.status.in_(OPEN_CASE_STATUSES))
                            .limit(200)))
    complaints = (list(db.scalars(select(Complaint).where(Complaint.status != ComplaintStatus.RESOLVED).order_by(Complaint.due_on)
                                  .limit(200))) if access.sees_all(user) else [])
    on = today(request)
    sdks = sdk_summary(db, user) if user.role == Role.SDK_VENDOR else []
    counts = workflow.overview_counts(db, user, on, work_calendar(request))
    lang = lang_of(request)
    charts = overview.charts(db, user, on, {k: translate(f"chart_{k}", lang) for k in
                                            ("findings_by_rule", "sdk_prevalence", "findings_per_month")}, lang,
                            request.app.state.chart_cache)
    return page(request, "dashboard.html", apps=apps, cases=cases, complaints=complaints, sdks=sdks, counts=counts,
                charts=charts,
                case_overdue=lambda c: workflow.case_overdue(c, on),
                complaint_overdue=lambda c: workflow.complaint_overdue(c, on))


@router.get("/apps/{app_id}", response_class=HTMLResponse)
def app_page(request: Request, app_id: int, db: DB, user: AnyUser) -> HTMLResponse:
    app = find.app(db, user, app_id)
    latest = workflow.latest_version(db, app)
    findings = (list(db.scalars(select(FindingRow).where(FindingRow.version_id == latest.id)
                                .order_by(FindingRow.id))) if latest else [])
    cases = list(db.scalars(select(Case).where(Case.app_id == app.id).order_by(Case.id.desc())))
    listings = (list(db.scalars(select(StoreListing).where(StoreListing.app_id == app.id)
                                .order_by(StoreListing.id.desc()))) if access.sees_all(user) else [])
    repeats = list(db.scalars(select(RepeatOffence).where(RepeatOffence.app_id == app.id)))
    report = version_report(db, latest) if latest else {}
    on = today(request)
    # What a case or clue may rest on (marks.live_rules): each rule once, its checkbox on its first finding not
    # marked a false positive (a rule found for several subjects gave several boxes with one id), and no rule
    # marked a false positive for every subject (open_case and create_clue refuse those).
    false_positive = marks.false_positives(db, latest) if latest else set()
    first_live: dict[str, int] = {}
    for f in findings:
        if (f.rule_id, f.subject) not in false_positive:
            first_live.setdefault(f.rule_id, f.id)
    pickable, pick_rows = list(first_live), set(first_live.values())
    return page(request, "app.html", app=app, latest=latest, findings=findings, cases=cases, listings=listings,
                repeats=repeats, report=report, staff=access.sees_all(user), pickable=pickable, pick_rows=pick_rows,
                marks=marks.marks_for(db, latest) if latest else {},
                case_overdue=lambda c: workflow.case_overdue(c, on))


@router.get("/apps/{app_id}/diff", response_class=HTMLResponse)
def diff_page(request: Request, app_id: int, from_version: int, to_version: int, db: DB,
              user: AnyUser) -> HTMLResponse:
    app = find.app(db, user, app_id)
    old, new = find.version_pair(db, app, from_version, to_version)
    diff = workflow.diff_reports(version_report(db, old), version_report(db, new))
    return page(request, "diff.html", app=app, old=old, new=new, diff=diff)


@router.post("/apps/{app_id}/clues")
def add_clue(app_id: int, db: DB, user: FormUser, rule_id: Annotated[str, Form(max_length=80)],
             note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    require_web_role(user, *STAFF)
    app = find.app(db, user, app_id)
    with refusal_is_conflict():
        workflow.create_clue(db, user, app, rule_id, note)
    db.commit()
    return see_other(f"/apps/{app.id}")


@router.post("/apps/{app_id}/cases")
def add_case(request: Request, app_id: int, db: DB, user: FormUser,
             rule_ids: Annotated[list[str], Form()], note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    require_web_role(user, *STAFF)
    app = find.app(db, user, app_id)
    with refusal_is_conflict():
        case = workflow.open_case(db, user, app, rule_ids, today(request), note, calendar=work_calendar(request))
    db.commit()
    return see_other(f"/cases/{case.id}")


def parse_permission_lines(text: str) -> list[dict[str, str]]:
    """``android.permission.CAMERA 拍摄头像`` per line → [{"name", "purpose"}]."""
    out = []
    for line in text.splitlines()[:500]:
        name, _, purpose = line.strip().partition(" ")
        if name:
            out.append({"name": name[:255], "purpose": purpose.strip()[:2000]})
    return out


@router.post("/apps/{app_id}/owner")
def set_owner(app_id: int, db: DB, user: FormUser, owner: Annotated[str, Form(min_length=1, max_length=120)]) -> Response:
    require_web_role(user, Role.REGULATOR)
    app = find.app(db, user, app_id)
    new_owner = find.user_named(db, owner.strip())
    with refusal_is_conflict():
        workflow.transfer_ownership(db, user, app, new_owner)
    db.commit()
    return see_other(f"/apps/{app.id}")


@router.post("/apps/{app_id}/listings")
def add_listing(app_id: int, db: DB, user: FormUser, store: Annotated[str, Form(max_length=120)],
                version_name: Annotated[str, Form(max_length=100)] = "",
                permissions: Annotated[str, Form(max_length=100_000)] = "",
                policy_url: Annotated[str, Form(max_length=2048)] = "",
                developer_name: Annotated[str, Form(max_length=255)] = "",
                developer_contact: Annotated[str, Form(max_length=255)] = "") -> Response:
    require_web_role(user, *STAFF)
    app = find.app(db, user, app_id)
    data = ListingInput(store=store, version_name=version_name or None, permissions=parse_permission_lines(permissions),
                        policy_url=policy_url or None, developer_name=developer_name or None,
                        developer_contact=developer_contact or None)
    record_listing(db, user, app, data)
    db.commit()
    return see_other(f"/apps/{app.id}#listings")


# --- uploads and scans -------------------------------------------------------------------------------------

@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request, user: AnyUser) -> HTMLResponse:
    return page(request, "upload.html", max_mb=request.app.state.settings.max_upload_bytes // (1024 * 1024),
                message=None)


@router.post("/upload")
def upload_submit(request: Request, db: DB, user: FormUser, file: Annotated[UploadFile, File()]) -> Response:
    try:
        scan = submit_scan(db, request.app.state.settings, user, file.file, file.filename)
    except UploadRejected as err:
        return page(request, "upload.html", status=err.status, message=err.reason(lang_of(request)),
                    max_mb=request.app.state.settings.max_upload_bytes // (1024 * 1024))
    db.commit()
    request.app.state.worker_notify()
    return see_other(f"/scans/{scan.id}")


@router.get("/scans", response_class=HTMLResponse)
def scans_page(request: Request, db: DB, user: AnyUser) -> HTMLResponse:
    rows = run_list(request, db, user, lists.SCANS)
    return page(request, "scans.html", scans=rows.rows, page=rows, choices={"status": sorted(lists.SCAN_STATUSES)})


@router.get("/scans/{scan_id}", response_class=HTMLResponse)
def scan_page(request: Request, scan_id: int, db: DB, user: AnyUser) -> HTMLResponse:
    scan = find.scan(db, user, scan_id)
    version = db.get(AppVersion, scan.version_id) if scan.version_id else None
    return page(request, "scan.html", scan=scan, version=version, report=scan.report_json or {},
                marks=marks.marks_for(db, version) if version else {})


@router.get("/scans/{scan_id}/report", response_class=HTMLResponse)
def scan_report(request: Request, scan_id: int, db: DB, user: AnyUser) -> Response:
    """The full report, rendered by hegui's own HTML report renderer (the same as ``hegui scan --format html``)."""
    scan = find.scan(db, user, scan_id)
    if scan.report_json is None:
        raise HTTPException(404, "not found")
    from hegui.report.model import Report
    from hegui.report.render import render

    html = render(Report.model_validate(scan.report_json), "html")
    body = html if isinstance(html, str) else html.decode("utf-8")
    # The renderer's page may carry its own inline styles; it is shown in a sandbox without scripts.
    return HTMLResponse(body, headers={"Content-Security-Policy": REPORT_CSP})


@router.get("/scans/{scan_id}/download/{fmt}")
def scan_download(scan_id: int, fmt: str, db: DB, user: AnyUser) -> Response:
    """The report as a file (JSON, HTML, PDF, XLSX, SARIF), as the API serves it."""
    return report_file(find.scan(db, user, scan_id), fmt)


# --- SDKs (sdks.py) ----------------------------------------------------------------------------------------

@router.get("/sdks", response_class=HTMLResponse)
def sdks_page(request: Request, db: DB, user: AnyUser) -> HTMLResponse:
    with list_refusal_is_unprocessable():
        rows = sdks.sdk_page(db, user, request.query_params)
    return page(request, "sdks.html", sdks=rows.rows, page=rows, choices={})


@router.get("/sdks/{sdk_id}", response_class=HTMLResponse)
def sdk_page(request: Request, sdk_id: str, db: DB, user: AnyUser) -> HTMLResponse:
    detail = sdks.sdk_detail(db, user, sdk_id)
    if detail is None:
        raise find.missing("sdk")
    staff = access.sees_all(user)
    return page(request, "sdk.html", sdk=detail, regulator=user.role == Role.REGULATOR, staff=staff,
                sdk_cases=casework.sdk_cases(db, user, sdk_id),
                sdk_rules=sorted(casework.sdk_rule_ids(db, user, sdk_id)) if staff else [])  # no false positives


# --- cases and clues ---------------------------------------------------------------------------------------

@router.get("/cases", response_class=HTMLResponse)
def cases_page(request: Request, db: DB, user: AnyUser) -> HTMLResponse:
    on = today(request)
    rows = run_list(request, db, user, lists.CASES)
    return page(request, "cases.html", cases=rows.rows, page=rows, choices={"status": sorted(lists.CASE_STATUSES)},
                case_overdue=lambda c: workflow.case_overdue(c, on))


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, db: DB, user: AnyUser) -> HTMLResponse:
    case = find.case(db, user, case_id)
    return page(request, "case.html", case=case, overdue=workflow.case_overdue(case, today(request)),
                escalation_due=workflow.escalation_due(case, today(request)),
                escalations=tuple(Escalation), days=workflow.rectification_days(),
                recheck=db.get(AppVersion, case.recheck_version_id) if case.recheck_version_id else None,
                version=db.get(AppVersion, case.version_id), answers=casework.case_answers(db, case))


@router.post("/cases/{case_id}/escalate")
def escalate_submit(request: Request, case_id: int, db: DB, user: FormUser,
                    escalation: Annotated[str, Form(max_length=20)], note: Annotated[str, Form(max_length=4000)] = "",
                    override_reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    require_web_role(user, Role.REGULATOR)
    case = find.case(db, user, case_id)
    with refusal_is_conflict():
        workflow.escalate_case(db, user, case, escalation, note, today=today(request),
                               override_reason=override_reason)
    db.commit()
    return see_other(f"/cases/{case.id}")


@router.get("/cases/{case_id}/notice", response_class=HTMLResponse)
def case_notice(request: Request, case_id: int, db: DB, user: AnyUser) -> HTMLResponse:
    """The printable rectification notice (整改通知书) for one app."""
    case = find.case(db, user, case_id)
    version = db.get(AppVersion, case.version_id)
    report = version_report(db, version)
    findings = ([f for f in report.get("findings", []) if f["rule_id"] in case.rule_ids] if not case.sdk_id
                else casework.sdk_case_findings(db, case))  # an SDK's problems are found in the apps embedding it
    listing = db.scalar(select(StoreListing).where(StoreListing.app_id == case.app_id)
                        .order_by(StoreListing.id.desc()).limit(1))
    settings = request.app.state.settings
    return page(request, "notice.html", case=case, version=version, findings=findings, listing=listing,
                days=workflow.rectification_days(), category=export.notice_category,
                clause=lambda source: citations.legal_basis(source, lang_of(request)),
                authority=settings.issuing_authority, contact=settings.notice_contact,
                documents=export.notice_documents(findings))


@router.get("/clues", response_class=HTMLResponse)
def clues_page(request: Request, db: DB, user: StaffUser) -> HTMLResponse:
    rows = run_list(request, db, user, lists.CLUES)
    apps = {a.id: a for a in db.scalars(select(App).where(App.id.in_({c.app_id for c in rows.rows})))}
    return page(request, "clues.html", clues=rows.rows, apps=apps, page=rows,
                choices={"status": sorted(lists.CLUE_STATUSES), "source": sorted(lists.CLUE_SOURCES)})


# --- possible counterfeits (signers.py) ---------------------------------------------------------------------

@router.get("/held", response_class=HTMLResponse)
def held_page(request: Request, db: DB, user: StaffUser) -> HTMLResponse:
    scans = signers.held_scans(db)
    apps = {a.id: a for a in db.scalars(select(App).where(App.id.in_({s.held_app_id for s in scans})))}
    return page(request, "held.html", scans=scans, apps=apps)


@router.post("/held/{scan_id}")
def held_decide(scan_id: int, db: DB, user: FormUser, decision: Annotated[str, Form(max_length=20)],
                reason: Annotated[str, Form(max_length=2000)]) -> Response:
    require_web_role(user, Role.REGULATOR)
    scan = db.get(Scan, scan_id)
    if scan is None:
        raise HTTPException(404, "not found")
    try:
        signers.decide(db, user, scan, decision, reason)
    except signers.DecisionError as err:
        raise refusal(409, err) from None
    db.commit()
    return see_other("/held")


# --- complaints --------------------------------------------------------------------------------------------

@router.get("/complaints", response_class=HTMLResponse)
def complaints_page(request: Request, db: DB, user: StaffUser) -> HTMLResponse:
    on = today(request)
    rows = run_list(request, db, user, lists.COMPLAINTS)
    staff = list(db.scalars(select(User).where(User.role.in_(STAFF)).order_by(User.name)))
    return page(request, "complaints.html", complaints=rows.rows, staff=staff, page=rows,
                choices={"status": sorted(lists.COMPLAINT_STATUSES)},
                complaint_overdue=lambda c: workflow.complaint_overdue(c, on))


@router.post("/complaints")
def complaint_submit(request: Request, db: DB, user: FormUser, app_name: Annotated[str, Form(max_length=255)],
                     content: Annotated[str, Form(max_length=10000)],
                     complainant: Annotated[str, Form(max_length=255)] = "") -> Response:
    require_web_role(user, *STAFF)
    app = db.scalar(select(App).where((App.label == app_name) | (App.package == app_name)).limit(1))
    with refusal_is_conflict():
        workflow.receive_complaint(db, user, app_name, complainant, content, today(request), app)
    db.commit()
    return see_other("/complaints")


@router.post("/complaints/{complaint_id}/assign")
def complaint_assign(complaint_id: int, db: DB, user: FormUser,
                     assignee: Annotated[str, Form(max_length=80)]) -> Response:
    require_web_role(user, *STAFF)
    c = find.complaint(db, complaint_id)
    target = find.user_named(db, assignee)
    with refusal_is_conflict():
        workflow.assign_complaint(db, user, c, target)
    db.commit()
    return see_other("/complaints")


@router.post("/complaints/{complaint_id}/resolve")
def complaint_resolve(request: Request, complaint_id: int, db: DB, user: FormUser,
                      resolution: Annotated[str, Form(max_length=10000)]) -> Response:
    require_web_role(user, *STAFF)
    c = find.complaint(db, complaint_id)
    with refusal_is_conflict():
        workflow.resolve_complaint(db, user, c, resolution, today(request))
    db.commit()
    return see_other("/complaints")


# --- announcements, audit ----------------------------------------------------------------------------------

@router.get("/announcements", response_class=HTMLResponse)
def announcements_page(request: Request, db: DB, user: RegulatorUser) -> HTMLResponse:
    return page(request, "announcements.html", rows=export.announcement_rows(db),
                escalations=tuple(Escalation))


@router.get("/announcements/export")
def announcements_export(db: DB, user: RegulatorUser, format: str = AnnouncementFormat.XLSX, escalation: str = "",
                         skip_incomplete: bool = False) -> Response:
    if format not in tuple(AnnouncementFormat) or (escalation and escalation not in tuple(Escalation)):
        raise HTTPException(422, "format is csv or xlsx; escalation one of " + ", ".join(Escalation))
    return announcement_response(db, user, format, escalation or None, skip_incomplete)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, db: DB, user: RegulatorUser) -> HTMLResponse:
    rows = run_list(request, db, user, lists.AUDIT)
    return page(request, "audit.html", events=rows.rows, page=rows, choices={})


# --- user administration (user_admin.py) --------------------------------------------------------------------
# Regulators list, create, disable and enable accounts, reset passwords and revoke tokens; every form carries
# the session's CSRF token and every change is audited under the regulator.

def _users_page(request: Request, db: Session, user: User, status: int = 200, message: str | None = None,
                new_token: tuple[str, str] | None = None) -> HTMLResponse:
    params = {k: v for k, v in request.query_params.items()} if request.method == "GET" else {}
    try:
        rows = user_admin.user_page(db, user, lists.ListQuery.from_params(params, user_admin.USERS.filter_names))
    except lists.ListRequestError as err:
        raise refusal(422, err) from None
    return page(request, "users.html", status=status, users=rows.rows, page=rows, roles=list(Role),
                choices={"role": list(Role)}, message=message, new_token=new_token)


def _target(db: Session, user_id: int) -> User:
    target = db.get(User, user_id)
    if target is None:
        raise HTTPException(404, "not found")
    return target


def _forget_credentials(request: Request) -> None:
    """Cached credential checks (gate.py) must not outlive a disabled account or a revoked token."""
    request.app.state.credential_cache.forget()


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, db: DB, user: RegulatorUser) -> HTMLResponse:
    return _users_page(request, db, user)


@router.post("/users", response_class=HTMLResponse)
def create_submit(request: Request, db: DB, user: FormUser, name: Annotated[str, Form(max_length=80)],
                  role: Annotated[str, Form(max_length=20)],
                  password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    require_web_role(user, Role.REGULATOR)
    try:
        created, token = user_admin.create(db, user, name, role, password)
    except AccountError as err:
        db.rollback()
        return _users_page(request, db, user, status=409, message=err.reason(lang_of(request)))
    db.commit()
    # The token is shown on this answer only (it is stored as a digest); the page is not cached (no-store).
    return _users_page(request, db, user, status=201, new_token=(created.name, token))


@router.post("/users/{user_id}/{action}")
def user_action(request: Request, user_id: int, action: str, db: DB, user: FormUser,
                password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    require_web_role(user, Role.REGULATOR)
    target = _target(db, user_id)
    try:
        if action == "disable":
            user_admin.disable(db, user, target)
        elif action == "enable":
            user_admin.enable(db, user, target)
        elif action == "password":
            user_admin.reset_password(db, user, target, password)
        elif action == "revoke-tokens":
            user_admin.revoke_tokens(db, user, target)
        else:
            raise HTTPException(404, "not found")
    except AccountError as err:
        db.rollback()
        return _users_page(request, db, user, status=409, message=err.reason(lang_of(request)))
    db.commit()
    _forget_credentials(request)
    return see_other("/users")


# --- API reference (apidocs.py) -----------------------------------------------------------------------------
# Public like /openapi.json, built from that schema on the server: no script, no outside asset (CSP).

@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    return page(request, "api_docs.html", info=schema.get("info", {}), operations=apidocs.operations(schema),
                schemas=apidocs.schemas(schema))
