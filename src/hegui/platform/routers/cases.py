"""Rectification cases: the notice, its deadline, the re-check and escalation (workflow.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hegui.platform import lists, workflow
from hegui.platform.deps import refusal_is_conflict, today, work_calendar
from hegui.platform.routers.common import DB, ApiUser, RegulatorUser, StaffUser, find, page
from hegui.platform.schemas import CaseIn, CaseOut, EscalateIn, case_out

router = APIRouter()


@router.get("/cases", response_model=list[CaseOut])
def list_cases(request: Request, response: Response, user: ApiUser, db: DB) -> list[CaseOut]:
    """Cases; `q`, `status`, `open`, `app_id`, `deadline_before`, `escalation`, `owner`, `sort`."""
    on = today(request)
    return [case_out(c, on) for c in page(lists.CASES, request, response, db, user).rows]


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
