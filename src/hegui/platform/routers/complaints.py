"""Complaints: received, assigned to staff, resolved within the platform's deadline (workflow.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hegui.platform import lists, workflow
from hegui.platform.deps import refusal_is_conflict, today
from hegui.platform.routers.common import DB, StaffUser, find, page
from hegui.platform.schemas import AssignIn, ComplaintIn, ComplaintOut, ResolveIn, complaint_out

router = APIRouter()


@router.get("/complaints", response_model=list[ComplaintOut])
def list_complaints(request: Request, response: Response, user: StaffUser, db: DB) -> list[ComplaintOut]:
    """Complaints; `q` (app, complainant, content), `status`, `open`, `app_id`, `sort` (due, received, id, status)."""
    on = today(request)
    return [complaint_out(c, on) for c in page(lists.COMPLAINTS, request, response, db, user).rows]


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
