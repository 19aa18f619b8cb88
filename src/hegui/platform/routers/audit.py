"""The audit log (regulators only)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hegui.platform import lists
from hegui.platform.routers.common import DB, RegulatorUser, page
from hegui.platform.schemas import AuditOut

router = APIRouter()


@router.get("/audit", response_model=list[AuditOut])
def audit_log(request: Request, response: Response, user: RegulatorUser, db: DB) -> list[AuditOut]:
    """The audit log, newest first; `q` (action, target, detail), `action`, `user`, `since`, `until`, `sort`."""
    events = page(lists.AUDIT, request, response, db, user).rows
    return [AuditOut(at=e.at, user=e.user.name if e.user else None, action=e.action, target=e.target,
                     detail=e.detail) for e in events]
