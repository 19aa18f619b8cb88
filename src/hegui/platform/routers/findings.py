"""Findings of the visible apps' versions."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hegui.platform import lists
from hegui.platform.routers.common import DB, ApiUser, page
from hegui.platform.schemas import FindingOut

router = APIRouter()


@router.get("/findings", response_model=list[FindingOut])
def list_findings(request: Request, response: Response, user: ApiUser, db: DB) -> list[FindingOut]:
    """Findings of the visible apps; `q`, `rule_id`, `severity`, `subject`, `app_id`, `version_id`, `owner`,
    `sort`; `offset` paging or keyset paging by `after_id` (ordered by id)."""
    return [FindingOut.model_validate(f, from_attributes=True)
            for f in page(lists.FINDINGS, request, response, db, user).rows]
