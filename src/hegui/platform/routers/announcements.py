"""The announcement batch of escalated and failed-recheck cases (reports.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from hegui.platform.reports import announcement_response
from hegui.platform.routers.common import DB, RegulatorUser
from hegui.platform.schemas import EscalationValue
from hegui.platform.vocab import AnnouncementFormat, values_of

AnnouncementFormatValue = values_of(AnnouncementFormat)

router = APIRouter()


@router.get("/announcements", response_class=Response)
def announcements(user: RegulatorUser, db: DB,
                  fmt: Annotated[AnnouncementFormatValue, Query(alias="format")] = AnnouncementFormat.CSV.value,
                  escalation: EscalationValue | None = None,
                  skip_incomplete: bool = False) -> Response:
    """An announcement batch of escalated / failed-recheck cases, laid out like MIIT notices."""
    return announcement_response(db, user, fmt, escalation, skip_incomplete)
