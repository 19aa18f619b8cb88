"""Findings of the visible apps' versions."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hegui.platform import lists, marks
from hegui.platform.routers.common import DB, ApiUser, page
from hegui.platform.schemas import FindingOut

router = APIRouter()


@router.get("/findings", response_model=list[FindingOut])
def list_findings(request: Request, response: Response, user: ApiUser, db: DB) -> list[FindingOut]:
    """Findings of the visible apps; `q`, `rule_id`, `severity`, `subject`, `app_id`, `version_id`, `owner`,
    `mark` (false_positive, accepted, none: the verdict holding for the version), `sort`; `offset` paging or keyset paging by `after_id` (ordered by id)."""
    rows = page(lists.FINDINGS, request, response, db, user).rows
    verdicts = marks.verdicts(db, rows)
    return [FindingOut.model_validate(f, from_attributes=True).model_copy(update={"mark": verdicts.get(f.id)})
            for f in rows]
