"""REST routes of the case from both sides (cases.py, marks.py): clues from tips, complaints and SDK findings,
cases against SDK vendors, the developer's answer, the case timeline and false-positive marks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.platform import cases, marks
from hegui.platform.db import App, CaseAnswer, Clue, FindingMark, FindingRow, User
from hegui.platform.deps import refusal_is_conflict, today, work_calendar
from hegui.platform.routers.common import DB, ApiUser, Lang, StaffUser, find
from hegui.platform.schemas import CaseOut, ClueOut, MarkVerdictValue, MessageOut, case_out
from hegui.platform.storage import UploadRejected

router = APIRouter()


class ClueDetailOut(ClueOut):
    vendor: str | None = None  # the SDK vendor's account a clue about an SDK is answered for by


def clue_out(db: Session, clue: Clue) -> ClueDetailOut:
    vendor = db.get(User, clue.vendor_id) if clue.vendor_id else None
    return ClueDetailOut.model_validate(clue, from_attributes=True).model_copy(
        update={"vendor": vendor.name if vendor else None})


class TipIn(BaseModel):
    rule_id: str = Field(max_length=80)
    note: str = Field(min_length=1, max_length=4000)  # what the tip reports
    app_id: int | None = None
    app_name: str = Field("", max_length=255)  # when the app is not on the platform


class ComplaintClueIn(BaseModel):
    rule_id: str = Field(max_length=80)
    note: str = Field("", max_length=4000)


class SdkClueIn(BaseModel):
    vendor: str = Field(min_length=1, max_length=80)  # the SDK vendor's account name
    rule_id: str = Field(max_length=80)
    note: str = Field("", max_length=4000)


class SdkCaseIn(BaseModel):
    vendor: str = Field(min_length=1, max_length=80)
    rule_ids: list[str] = Field(max_length=100)
    note: str = Field("", max_length=4000)


class AnswerOut(BaseModel):
    id: int
    case_id: int
    user: str
    statement: str
    scan_id: int | None
    created_at: dt.datetime


class TimelineOut(BaseModel):
    at: dt.datetime
    kind: Literal["opened", "notice", "answer", "recheck", "recheck_skipped", "closed", "escalation", "override"]
    actor: str | None
    detail: str  # the audit's English text, or what a person typed (an answer's statement, an override reason)
    scan_id: int | None
    version_id: int | None
    # the platform's sentence behind `detail` (None when a person typed it), and the detail in the request's
    # language (?lang=, else Accept-Language; a person's words as typed)
    message: MessageOut | None
    text: str


class MarkIn(BaseModel):
    verdict: MarkVerdictValue
    reason: str = Field(min_length=1, max_length=4000)


class MarkOut(BaseModel):
    app_id: int
    rule_id: str
    subject: str
    verdict: MarkVerdictValue
    reason: str
    version_id: int  # the version it was marked on; it holds for newer builds too
    by: str
    at: dt.datetime


def mark_out(m: FindingMark) -> MarkOut:
    return MarkOut(app_id=m.app_id, rule_id=m.rule_id, subject=m.subject, verdict=m.verdict, reason=m.reason,
                   version_id=m.version_id, by=m.user.name, at=m.created_at)


def answer_out(a: CaseAnswer) -> AnswerOut:
    return AnswerOut(id=a.id, case_id=a.case_id, user=a.user.name, statement=a.statement, scan_id=a.scan_id,
                     created_at=a.created_at)


# --- clues -----------------------------------------------------------------------------------------------

@router.post("/clues/tips", status_code=201, response_model=ClueDetailOut)
def clue_from_tip(body: TipIn, user: StaffUser, db: DB) -> ClueDetailOut:
    """A clue from an outside tip, about an app on the platform (`app_id`) or one only named (`app_name`)."""
    app = find.app(db, user, body.app_id) if body.app_id is not None else None
    with refusal_is_conflict():
        clue = cases.clue_from_tip(db, user, body.rule_id, body.note, app=app, app_name=body.app_name)
    db.commit()
    return clue_out(db, clue)


@router.post("/complaints/{complaint_id}/clues", status_code=201, response_model=ClueDetailOut)
def clue_from_complaint(complaint_id: int, body: ComplaintClueIn, user: StaffUser, db: DB) -> ClueDetailOut:
    """The complaint becomes a clue (linked to it)."""
    complaint = find.complaint(db, complaint_id)
    with refusal_is_conflict():
        clue = cases.clue_from_complaint(db, user, complaint, body.rule_id, body.note)
    db.commit()
    return clue_out(db, clue)


@router.get("/clues/{clue_id}", response_model=ClueDetailOut)
def get_clue(clue_id: int, user: StaffUser, db: DB) -> ClueDetailOut:
    clue = db.get(Clue, clue_id)
    if clue is None:
        raise find.missing("clue")
    return clue_out(db, clue)


# --- SDK vendors ---------------------------------------------------------------------------------------------

@router.post("/sdks/{sdk_id}/clues", status_code=201, response_model=ClueDetailOut)
def sdk_clue(sdk_id: str, body: SdkClueIn, user: StaffUser, db: DB) -> ClueDetailOut:
    """A clue about an SDK's findings across apps, answered for by the SDK vendor's account `vendor`."""
    vendor = find.user_named(db, body.vendor)
    with refusal_is_conflict():
        clue = cases.sdk_clue(db, user, sdk_id, vendor, body.rule_id, body.note)
    db.commit()
    return clue_out(db, clue)


@router.post("/sdks/{sdk_id}/cases", status_code=201, response_model=CaseOut)
def sdk_case(sdk_id: str, body: SdkCaseIn, request: Request, user: StaffUser, db: DB) -> CaseOut:
    """A rectification notice to the SDK vendor for findings about its SDK across apps (filed on the vendor's
    SDK record, whose next version is the re-check)."""
    vendor = find.user_named(db, body.vendor)
    with refusal_is_conflict():
        case = cases.open_sdk_case(db, user, sdk_id, vendor, body.rule_ids, today(request), body.note,
                                   calendar=work_calendar(request))
    db.commit()
    return case_out(case, today(request))


@router.get("/sdks/{sdk_id}/cases", response_model=list[CaseOut])
def list_sdk_cases(sdk_id: str, request: Request, user: ApiUser, db: DB) -> list[CaseOut]:
    """Cases about the SDK the caller may see (an SDK vendor: the cases filed on its own records)."""
    return [case_out(c, today(request)) for c in cases.sdk_cases(db, user, sdk_id)]


# --- answers and timeline ------------------------------------------------------------------------------------

@router.post("/cases/{case_id}/answers", status_code=202, response_model=AnswerOut,
             responses={413: {"description": "file too large"}, 415: {"description": "not a ZIP"}})
def answer_case(case_id: int, request: Request, user: ApiUser, db: DB,
                statement: Annotated[str, Form(max_length=10000)], file: Annotated[UploadFile, File()]) -> AnswerOut:
    """The developer (or SDK vendor) answers the case: a rectification statement and the fixed build (multipart
    field ``file``), queued as a scan; a build newer than the case's is its re-check once scanned."""
    case = find.case(db, user, case_id)
    try:
        with refusal_is_conflict():
            answer = cases.answer_case(db, request.app.state.settings, user, case, statement, file.file,
                                       file.filename)
    except UploadRejected as err:
        raise HTTPException(err.status, str(err)) from None
    db.commit()
    request.app.state.worker_notify()
    return answer_out(answer)


@router.get("/cases/{case_id}/answers", response_model=list[AnswerOut])
def list_answers(case_id: int, user: ApiUser, db: DB) -> list[AnswerOut]:
    return [answer_out(a) for a in cases.case_answers(db, find.case(db, user, case_id))]


@router.get("/cases/{case_id}/timeline", response_model=list[TimelineOut])
def case_timeline(case_id: int, user: ApiUser, db: DB, lang: Lang) -> list[TimelineOut]:
    """Every event of the case in order: opened, notice, answers, re-checks, escalation, override, close."""
    return [TimelineOut(at=e.at, kind=e.kind, actor=e.actor, detail=e.detail, scan_id=e.scan_id,
                        version_id=e.version_id, text=e.text(lang),
                        message=MessageOut(**e.message.as_json()) if e.message else None)
            for e in cases.timeline(db, find.case(db, user, case_id))]


# --- false-positive / accepted marks -------------------------------------------------------------------------

@router.post("/findings/{finding_id}/mark", response_model=MarkOut)
def mark_finding(finding_id: int, body: MarkIn, user: StaffUser, db: DB) -> MarkOut:
    """Mark a finding (its rule + subject in its app, from its version on) a false positive or accepted."""
    finding = db.get(FindingRow, finding_id)
    if finding is None:
        raise find.missing("finding")
    try:
        mark = marks.mark_finding(db, user, finding, body.verdict, body.reason)
    except marks.MarkError as err:
        raise HTTPException(422, str(err)) from None
    db.commit()
    return mark_out(mark)


@router.get("/apps/{app_id}/marks", response_model=list[MarkOut])
def list_marks(app_id: int, user: ApiUser, db: DB) -> list[MarkOut]:
    """The verdicts given on the app's findings (its developer sees them too)."""
    app: App = find.app(db, user, app_id)
    return [mark_out(m) for m in db.scalars(select(FindingMark).where(FindingMark.app_id == app.id)
                                            .order_by(FindingMark.id))]
