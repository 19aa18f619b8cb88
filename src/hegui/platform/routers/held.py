"""Scans held as possible counterfeits (signers.py) and a regulator's decision about each."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from hegui.platform import signers
from hegui.platform.routers.common import DB, Lang, RegulatorUser, StaffUser, find
from hegui.platform.schemas import DecisionIn, HeldOut, ScanOut, held_out, scan_out

router = APIRouter()


@router.get("/held", response_model=list[HeldOut])
def list_held(user: StaffUser, db: DB) -> list[HeldOut]:
    """Scans held as possible counterfeits: signed by none of the certificates their app's record is bound to."""
    return [held_out(db, scan) for scan in signers.held_scans(db)]


@router.post("/scans/{scan_id}/decision", response_model=ScanOut)
def decide_held(scan_id: int, body: DecisionIn, user: RegulatorUser, db: DB, lang: Lang) -> ScanOut:
    """Decide about a held scan: "counterfeit" (stays unfiled) or "genuine" (the record is re-bound to its
    certificates, its owner becomes the uploader if a developer, and the version is filed)."""
    scan = find.scan(db, user, scan_id)
    try:
        signers.decide(db, user, scan, body.decision, body.reason)
    except signers.DecisionError as err:
        raise HTTPException(409, str(err)) from None
    db.commit()
    return scan_out(db, scan, with_report=False, lang=lang)
