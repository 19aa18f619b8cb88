"""The REST API under /api/v1 (CONTRACT.md "Platform"), one router per resource. `router` includes them all;
the application mounts it (app.py, through api.py)."""

from __future__ import annotations

from fastapi import APIRouter

from hegui.platform.routers import (
    announcements,
    apps,
    audit,
    campaigns,
    cases,
    casework,
    clues,
    complaints,
    findings,
    held,
    listings,
    me,
    scans,
    sdks,
)

RESOURCES = (me, scans, held, apps, findings, sdks, clues, cases, complaints, listings, announcements, audit, casework,
             campaigns)

router = APIRouter(prefix="/api/v1", tags=["api"])
for _resource in RESOURCES:
    router.include_router(_resource.router)
