"""Web pages and forms of the case from both sides and of campaigns (cases.py, marks.py, campaigns.py,
cluereport.py); the same services as the REST routes in routers/casework.py and routers/campaigns.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from hegui.platform import access, campaigns, cases, lists, marks, reports
from hegui.platform.db import App, Campaign, Clue, FindingRow
from hegui.platform.deps import (
    refusal,
    refusal_is_conflict,
    require_web_role,
    run_list,
    start_campaign,
    today,
    work_calendar,
)
from hegui.platform.storage import UploadRejected
from hegui.platform.web import DB, AnyUser, FormUser, RegulatorUser, page, see_other
from hegui.platform.web import find as web_find
from hegui.report.model import SEVERITY_ORDER

router = APIRouter(include_in_schema=False)
STAFF = access.STAFF


# --- clues -------------------------------------------------------------------------------------------------

@router.post("/clues/tips")
def tip_submit(db: DB, user: FormUser, rule_id: Annotated[str, Form(max_length=80)],
               note: Annotated[str, Form(max_length=4000)], app_name: Annotated[str, Form(max_length=255)] = "",
               app_id: Annotated[str, Form(max_length=20)] = "") -> Response:
    require_web_role(user, *STAFF)
    app = web_find.app(db, user, int(app_id)) if app_id.strip().isdigit() else None
    name = app_name.strip()
    if app is None and name:  # the tip names an app on the platform by its package or name, as complaints do
        app = db.scalar(select(App).where((App.package == name) | (App.label == name)).order_by(App.id).limit(1))
    with refusal_is_conflict():
        cases.clue_from_tip(db, user, rule_id, note, app=app, app_name=app_name)
    db.commit()
    return see_other("/clues")


@router.post("/complaints/{complaint_id}/clues")
def complaint_clue_submit(complaint_id: int, db: DB, user: FormUser, rule_id: Annotated[str, Form(max_length=80)],
                          note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    require_web_role(user, *STAFF)
    complaint = web_find.complaint(db, complaint_id)
    with refusal_is_conflict():
        cases.clue_from_complaint(db, user, complaint, rule_id, note)
    db.commit()
    return see_other("/clues?source=complaint")


# --- SDK vendors ---------------------------------------------------------------------------------------------

@router.post("/sdks/{sdk_id}/clues")
def sdk_clue_submit(sdk_id: str, db: DB, user: FormUser, vendor: Annotated[str, Form(max_length=80)],
                    rule_id: Annotated[str, Form(max_length=80)],
                    note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    require_web_role(user, *STAFF)
    account = web_find.user_named(db, vendor.strip())
    with refusal_is_conflict():
        cases.sdk_clue(db, user, sdk_id, account, rule_id, note)
    db.commit()
    return see_other(f"/clues?sdk_id={sdk_id}")


@router.post("/sdks/{sdk_id}/cases")
def sdk_case_submit(request: Request, sdk_id: str, db: DB, user: FormUser, vendor: Annotated[str, Form(max_length=80)],
                    rule_ids: Annotated[list[str], Form()], note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    require_web_role(user, *STAFF)
    account = web_find.user_named(db, vendor.strip())
    with refusal_is_conflict():
        case = cases.open_sdk_case(db, user, sdk_id, account, rule_ids, today(request), note,
                                   calendar=work_calendar(request))
    db.commit()
    return see_other(f"/cases/{case.id}")


# --- answers, timeline -----------------------------------------------------------------------------------------

@router.post("/cases/{case_id}/answers")
def answer_submit(request: Request, case_id: int, db: DB, user: FormUser,
                  statement: Annotated[str, Form(max_length=10000)], file: Annotated[UploadFile, File()]) -> Response:
    case = web_find.case(db, user, case_id)
    try:
        with refusal_is_conflict():
            cases.answer_case(db, request.app.state.settings, user, case, statement, file.file, file.filename)
    except UploadRejected as err:
        raise refusal(err.status, err) from None
    db.commit()
    request.app.state.worker_notify()
    return see_other(f"/cases/{case.id}/timeline")


@router.get("/cases/{case_id}/timeline", response_class=HTMLResponse)
def timeline_page(request: Request, case_id: int, db: DB, user: AnyUser) -> HTMLResponse:
    case = web_find.case(db, user, case_id)
    return page(request, "timeline.html", case=case, events=cases.timeline(db, case))


# --- false-positive marks --------------------------------------------------------------------------------------

@router.post("/findings/{finding_id}/mark")
def mark_submit(finding_id: int, db: DB, user: FormUser, verdict: Annotated[str, Form(max_length=20)],
                reason: Annotated[str, Form(max_length=4000)]) -> Response:
    require_web_role(user, *STAFF)
    finding = db.get(FindingRow, finding_id)
    if finding is None:
        raise web_find.missing("finding")
    try:
        marks.mark_finding(db, user, finding, verdict, reason)
    except marks.MarkError as err:
        raise refusal(422, err) from None
    db.commit()
    return see_other(f"/apps/{finding.app_id}#findings")


# --- campaigns -------------------------------------------------------------------------------------------------

@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request, db: DB, user: RegulatorUser) -> HTMLResponse:
    rows = run_list(request, db, user, lists.CAMPAIGNS)
    return page(request, "campaigns.html", campaigns=rows.rows, page=rows, choices={},
                progress={c.id: campaigns.progress(db, c) for c in rows.rows},
                severities=list(SEVERITY_ORDER), folders=request.app.state.settings.campaign_root is not None)


@router.post("/campaigns")
def campaign_submit(request: Request, db: DB, user: FormUser, name: Annotated[str, Form(max_length=200)],
                    min_severity: Annotated[str, Form(max_length=10)] = "high",
                    urls: Annotated[str, Form(max_length=200_000)] = "",
                    folder: Annotated[str, Form(max_length=1000)] = "",
                    files: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    require_web_role(user, "regulator")
    campaign = start_campaign(request, db, user, name, min_severity, urls, folder, files)
    return see_other(f"/campaigns/{campaign.id}")


@router.get("/campaigns/clue-report")
def clue_report_download(month: str, db: DB, user: RegulatorUser) -> Response:
    return reports.clue_report_response(db, user, month)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(request: Request, campaign_id: int, db: DB, user: RegulatorUser) -> HTMLResponse:
    campaign = db.get(Campaign, campaign_id)
    if campaign is None:
        raise web_find.missing("campaign")
    clues = list(db.scalars(select(Clue).where(Clue.campaign_id == campaign.id).order_by(Clue.id)))
    return page(request, "campaign.html", campaign=campaign, progress=campaigns.progress(db, campaign), clues=clues)
