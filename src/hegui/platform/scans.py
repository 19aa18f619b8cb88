"""Scan lifecycle: an upload becomes a queued scan; the worker claims it, runs it, and its report becomes an
app version with denormalised findings. Scans left `running` by a killed server are queued again."""

from __future__ import annotations

from typing import Any, BinaryIO

from pydantic import ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hegui.platform.accounts import audit
from hegui.platform.config import Settings
from hegui.platform.db import App, AppVersion, FindingRow, Scan, User, utcnow
from hegui.platform.storage import store_upload
from hegui.report.model import Report

MAX_FILENAME = 255


def safe_display_name(filename: str | None) -> str:
    """The uploaded name, kept only for display: last path component, no control characters, bounded."""
    name = (filename or "upload.apk").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:MAX_FILENAME] or "upload.apk"


def submit_scan(db: Session, settings: Settings, user: User, source: BinaryIO, filename: str | None) -> Scan:
    """Store the APK (fsynced, by sha256) and queue its scan. Raises `UploadRejected`."""
    sha256, size = store_upload(settings.blob_dir, source, settings.max_upload_bytes)
    scan = Scan(uploader_id=user.id, sha256=sha256, size=size, filename=safe_display_name(filename), status="queued")
    db.add(scan)
    db.flush()
    audit(db, user, "scan.upload", f"scan:{scan.id}", f"sha256={sha256} size={size}")
    return scan


def requeue_interrupted(db: Session) -> int:
    """Scans a previous server left `running` (it was killed) go back to the queue."""
    result = db.execute(update(Scan).where(Scan.status == "running").values(status="queued"))
    return result.rowcount or 0


def claim_next(db: Session, max_attempts: int) -> Scan | None:
    """Atomically move the oldest queued scan to `running`; fail scans that have died too often."""
    while True:
        scan_id = db.scalar(select(Scan.id).where(Scan.status == "queued").order_by(Scan.id).limit(1))
        if scan_id is None:
            return None
        scan = db.get(Scan, scan_id)
        if scan.attempts >= max_attempts:
            db.execute(update(Scan).where(Scan.id == scan_id, Scan.status == "queued").values(
                status="failed", finished_at=utcnow(),
                error=f"the scan was interrupted {scan.attempts} times; giving up"))
            db.commit()
            continue
        claimed = db.execute(update(Scan).where(Scan.id == scan_id, Scan.status == "queued").values(
            status="running", attempts=Scan.attempts + 1))
        db.commit()
        if claimed.rowcount == 1:
            db.refresh(scan)
            return scan


def fail_scan(db: Session, scan: Scan, reason: str) -> None:
    scan.status, scan.error, scan.finished_at = "failed", reason[:1000], utcnow()
    audit(db, None, "scan.failed", f"scan:{scan.id}", reason[:200])


def finish_scan(db: Session, scan: Scan, payload: dict[str, Any]) -> None:
    """Store a scan child's result (``{"report": …}`` or ``{"error": …}``) and file it under its app."""
    if "report" not in payload:
        fail_scan(db, scan, str(payload.get("error") or "the scanner produced no report"))
        return
    try:
        report = Report.model_validate(payload["report"])
    except ValidationError as err:
        fail_scan(db, scan, f"the scanner produced an invalid report ({err.error_count()} errors)")
        return
    report.input.path = scan.filename  # the server-side blob path is nobody's business
    scan.report_json = report.model_dump(mode="json")
    scan.status, scan.error, scan.finished_at = "done", None, utcnow()
    audit(db, None, "scan.done", f"scan:{scan.id}", f"{len(report.findings)} findings")
    _file_version(db, scan, report)


def _file_version(db: Session, scan: Scan, report: Report) -> None:
    from hegui.platform.workflow import after_new_version

    package = (report.app.package or "").strip()[:255]
    if not package:
        scan.note = "no package name could be read: the scan is not filed under an app"
        return
    uploader = db.get(User, scan.uploader_id)
    app = db.scalar(select(App).where(App.package == package))
    if app is None:
        owner = uploader.id if uploader.role in ("developer", "sdk_vendor") else None
        app = App(package=package, label=(report.app.label or "")[:255] or None, owner_id=owner)
        db.add(app)
        db.flush()
    elif uploader.role in ("developer", "sdk_vendor") and app.owner_id != uploader.id:
        # Attaching versions to someone else's app would let a developer tamper with its cases.
        scan.note = "this package belongs to another account: the scan is not filed under that app"
        return
    version = db.scalar(select(AppVersion).where(AppVersion.app_id == app.id, AppVersion.sha256 == scan.sha256))
    if version is None:
        version = AppVersion(app_id=app.id, sha256=scan.sha256, scan_id=scan.id)
        db.add(version)
    version.scan_id = scan.id
    version.version_name = (report.app.version_name or "")[:100] or None
    version.version_code = report.app.version_code
    if report.app.label:
        app.label = report.app.label[:255]
    db.flush()
    db.execute(delete(FindingRow).where(FindingRow.version_id == version.id))
    db.add_all(FindingRow(version_id=version.id, app_id=app.id, rule_id=f.rule_id, severity=f.severity,
                          subject=f.subject[:120], title_zh=f.title_zh, title_en=f.title_en)
               for f in report.findings)
    scan.version_id = version.id
    db.flush()
    after_new_version(db, app, version, {f.rule_id for f in report.findings})


def version_report(db: Session, version: AppVersion) -> dict[str, Any]:
    scan = db.get(Scan, version.scan_id)
    return scan.report_json or {}
