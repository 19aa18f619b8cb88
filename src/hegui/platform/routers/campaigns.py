"""REST routes of campaigns (campaigns.py) and the monthly clue report (cluereport.py); regulators only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hegui.platform import campaigns, lists, reports
from hegui.platform.db import Campaign, CampaignItem
from hegui.platform.deps import start_campaign
from hegui.platform.messages import render_json
from hegui.platform.routers.common import DB, Lang, RegulatorUser, find, page
from hegui.platform.vocab import CampaignSource, values_of

router = APIRouter()
CampaignSourceValue = values_of(CampaignSource)


class ProgressOut(BaseModel):
    total: int
    queued: int
    running: int
    done: int
    failed: int
    clues: int  # clues filed from the campaign's findings so far
    pending: int  # URL items waiting for a background fetch
    fetching: int  # URL items being downloaded


class ItemOut(BaseModel):
    id: int
    source: CampaignSourceValue
    ref: str  # file name, URL without its query string, or path under the campaign root
    scan_id: int | None
    # pending / fetching: a URL not downloaded yet; then its scan's status, or failed if it never became a scan
    status: Literal["pending", "fetching", "queued", "running", "done", "failed"]
    error: str | None  # English
    error_text: str | None = None  # the error in the request's language (?lang=, else Accept-Language)


class CampaignOut(BaseModel):
    id: int
    name: str
    min_severity: Literal["low", "medium", "high", "critical"]
    created_at: dt.datetime
    progress: ProgressOut
    items: list[ItemOut] | None = None


def campaign_out(db: Session, c: Campaign, with_items: bool, lang: str = "zh") -> CampaignOut:
    out = CampaignOut(id=c.id, name=c.name, min_severity=c.min_severity, created_at=c.created_at,
                      progress=ProgressOut.model_validate(campaigns.progress(db, c), from_attributes=True))
    if with_items:
        out.items = [ItemOut(id=i.id, source=i.source, ref=i.ref, scan_id=i.scan_id, error=i.error or
                             (i.scan.error if i.scan else None), error_text=_item_error(i, lang),
                             status=campaigns.item_status(i, i.scan.status if i.scan else None)) for i in c.items]
    return out


def _item_error(item: CampaignItem, lang: str) -> str | None:
    if item.error:
        return render_json(item.error_message, lang, item.error)
    return render_json(item.scan.error_message, lang, item.scan.error) if item.scan else None


@router.post("/campaigns", status_code=201, response_model=CampaignOut)
def create_campaign(request: Request, user: RegulatorUser, db: DB, lang: Lang, name: Annotated[str, Form(max_length=200)],
                    min_severity: Annotated[str, Form(max_length=10)] = "high",
                    urls: Annotated[str, Form(max_length=200_000)] = "",
                    folder: Annotated[str, Form(max_length=1000)] = "",
                    files: Annotated[list[UploadFile] | None, File()] = None) -> CampaignOut:
    """A campaign from uploaded files (multipart ``files``), URLs (one per line in ``urls``, fetched afterwards by
    the background workers from public addresses only: the answer comes at once, with those items pending) and/or a ``folder`` under the server's campaign root; each input is queued as a scan,
    and clues are filed for findings at or above ``min_severity``."""
    campaign = start_campaign(request, db, user, name, min_severity, urls, folder, files)
    return campaign_out(db, campaign, with_items=True, lang=lang)


@router.get("/campaigns", response_model=list[CampaignOut])
def list_campaigns(request: Request, response: Response, user: RegulatorUser, db: DB) -> list[CampaignOut]:
    """Campaigns, newest first; `q` (name), `min_severity`, `since`, `until`, `sort` (id, created, name)."""
    return [campaign_out(db, c, with_items=False) for c in page(lists.CAMPAIGNS, request, response, db, user).rows]


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
def get_campaign(campaign_id: int, user: RegulatorUser, db: DB, lang: Lang) -> CampaignOut:
    campaign = db.get(Campaign, campaign_id)
    if campaign is None:
        raise find.missing("campaign")
    return campaign_out(db, campaign, with_items=True, lang=lang)


@router.get("/clue-report", response_class=Response)
def clue_report(month: str, user: RegulatorUser, db: DB) -> Response:
    """The monthly clue report: clues entered from the 16th of the previous month to the 15th of ``month``
    (YYYY-MM), as xlsx with Chinese headers."""
    return reports.clue_report_response(db, user, month)
