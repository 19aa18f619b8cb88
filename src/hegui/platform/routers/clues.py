"""Violation clues: a rule an app's latest version breaks, noted for a case."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hegui.platform import lists, workflow
from hegui.platform.deps import refusal_is_conflict
from hegui.platform.routers.common import DB, StaffUser, find, page
from hegui.platform.schemas import ClueIn, ClueOut

router = APIRouter()


@router.get("/clues", response_model=list[ClueOut])
def list_clues(request: Request, response: Response, user: StaffUser, db: DB) -> list[ClueOut]:
    """Clues; `q` (rule, note, package, name), `status`, `rule_id`, `app_id`, `since`, `until`, `sort`."""
    return [ClueOut.model_validate(c, from_attributes=True) for c in page(lists.CLUES, request, response, db, user).rows]


@router.post("/clues", status_code=201, response_model=ClueOut)
def create_clue(body: ClueIn, user: StaffUser, db: DB) -> ClueOut:
    app = find.app(db, user, body.app_id)
    with refusal_is_conflict():
        clue = workflow.create_clue(db, user, app, body.rule_id, body.note)
    db.commit()
    return ClueOut.model_validate(clue, from_attributes=True)
