"""App and SDK records, their versions, the diff between two versions, and who owns a record."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from hegui.platform import lists, workflow
from hegui.platform.deps import refusal_is_conflict
from hegui.platform.routers.common import DB, ApiUser, RegulatorUser, find, page
from hegui.platform.scans import version_report
from hegui.platform.schemas import AppOut, OwnerIn, app_out

router = APIRouter()


@router.get("/apps", response_model=list[AppOut])
def list_apps(request: Request, response: Response, user: ApiUser, db: DB) -> list[AppOut]:
    """Apps and SDKs; `q` (package, name), `kind`, `owner`, `repeat_offender`, `since`, `until`, `sort`."""
    return [app_out(db, a, with_versions=False) for a in page(lists.APPS, request, response, db, user).rows]


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


@router.post("/apps/{app_id}/owner", response_model=AppOut)
def set_owner(app_id: int, body: OwnerIn, user: RegulatorUser, db: DB) -> AppOut:
    """Give the app or SDK record to another developer or vendor account (regulators only; audited)."""
    app = find.app(db, user, app_id)
    new_owner = find.user_named(db, body.owner)
    with refusal_is_conflict():
        workflow.transfer_ownership(db, user, app, new_owner)
    db.commit()
    return app_out(db, app, with_versions=False)
