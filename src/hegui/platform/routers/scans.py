"""Uploads and their scans, and the reports they produce."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Request, Response, UploadFile

from hegui.platform import lists
from hegui.platform.reports import report_file
from hegui.platform.routers.common import DB, ApiUser, Lang, find, page
from hegui.platform.scans import submit_scan
from hegui.platform.schemas import ScanOut, scan_out
from hegui.platform.storage import UploadRejected
from hegui.platform.vocab import ScanStatus

router = APIRouter()


@router.post("/scans", status_code=202, response_model=ScanOut,
             responses={413: {"description": "file too large"}, 415: {"description": "not a ZIP (APK, AAR or JAR)"}})
def create_scan(request: Request, file: Annotated[UploadFile, File()], user: ApiUser,
                db: DB) -> ScanOut:
    """Upload an APK, or an SDK package (AAR or JAR), as multipart field ``file``; its scan is queued for the
    background worker. What the file is comes from its entries, not its name."""
    try:
        scan = submit_scan(db, request.app.state.settings, user, file.file, file.filename)
    except UploadRejected as err:
        raise HTTPException(err.status, str(err)) from None
    db.commit()
    request.app.state.worker_notify()
    return ScanOut(id=scan.id, status=ScanStatus.QUEUED, sha256=scan.sha256, filename=scan.filename)


@router.get("/scans", response_model=list[ScanOut])
def list_scans(request: Request, response: Response, user: ApiUser, db: DB, lang: Lang) -> list[ScanOut]:
    """Scans; `q` (file name, sha256), `status`, `kind`, `since`, `until`, `sort` (id, created, status, filename)."""
    return [scan_out(db, s, with_report=False, lang=lang) for s in page(lists.SCANS, request, response, db, user).rows]


@router.get("/scans/{scan_id}/report/{fmt}", response_class=Response,
            responses={200: {"description": "the report file"}, 409: {"description": "no report yet"}})
def download_report(scan_id: int, fmt: str, user: ApiUser, db: DB) -> Response:
    """The scan's report as a file: ``json``, ``html``, ``pdf``, ``xlsx`` or ``sarif`` (the scanner's renderers)."""
    return report_file(find.scan(db, user, scan_id), fmt)


@router.get("/scans/{scan_id}", response_model=ScanOut)
def get_scan(scan_id: int, user: ApiUser, db: DB, lang: Lang) -> ScanOut:
    return scan_out(db, find.scan(db, user, scan_id), with_report=True, lang=lang)
