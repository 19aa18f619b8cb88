"""Scan lifecycle: an upload becomes a queued scan; the worker claims it, runs it, and its report becomes an
app version with denormalised findings.

Several servers may share one (PostgreSQL) database: a running scan carries a lease (`worker_id`,
`lease_until`) its server renews while the scan child runs; a scan whose lease ran out is queued again, and its
old server can no longer store a result for it."""

from __future__ import annotations

import datetime as dt
from typing import Any, BinaryIO

from pydantic import ValidationError
from sqlalchemy import Select, delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hegui.platform import access, sdk_usage, signers
from hegui.platform.accounts import audit
from hegui.platform.config import Settings
from hegui.platform.db import App, AppVersion, FindingRow, Scan, User, utcnow
from hegui.platform.messages import Message, Refusal, from_json, notes_json
from hegui.platform.storage import UploadRejected, store_upload
from hegui.platform.vocab import SDK_PACKAGE_KINDS, AppKind, InputKind, ScanStatus
from hegui.report.model import Report

MAX_FILENAME = 255


def safe_display_name(filename: str | None) -> str:
    """The uploaded name, kept only for display: last path component, no control characters, bounded."""
    name = (filename or "upload.apk").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:MAX_FILENAME] or "upload.apk"


def check_quotas(db: Session, settings: Settings, user: User, size: int) -> None:
    """Refuse an upload of `size` bytes past the account's quotas (developers and SDK vendors; staff have none):
    429 past `upload_quota_per_day` uploads in 24 hours or `queued_quota` scans waiting or running, 413 when the
    account's stored uploads would pass `storage_quota_mb`. A quota of 0 is no quota."""
    if user.role in access.STAFF:
        return
    mine = Scan.uploader_id == user.id
    if settings.queued_quota:
        waiting = db.scalar(select(func.count()).where(mine, Scan.status.in_((ScanStatus.QUEUED, ScanStatus.RUNNING))))
        if waiting >= settings.queued_quota:
            raise UploadRejected(Message("refused.queue_quota", {"waiting": waiting, "quota": settings.queued_quota}),
                                 429)
    if settings.upload_quota_per_day:
        since = utcnow() - dt.timedelta(days=1)
        today = db.scalar(select(func.count()).where(mine, Scan.created_at >= since))
        if today >= settings.upload_quota_per_day:
            raise UploadRejected(Message("refused.daily_quota", {"quota": settings.upload_quota_per_day}), 429)
    if settings.storage_quota_mb:
        used = db.scalar(select(func.coalesce(func.sum(Scan.size), 0)).where(mine)) or 0
        if used + size > settings.storage_quota_mb * 1024 * 1024:
            raise UploadRejected(Message("refused.storage_quota", {"quota": settings.storage_quota_mb,
                                                                   "used": used // (1024 * 1024)}), 413)


def submit_scan(db: Session, settings: Settings, user: User, source: BinaryIO, filename: str | None) -> Scan:
    """Check the account's quotas, store the APK (fsynced, by sha256) and queue its scan. Raises `UploadRejected`."""
    source.seek(0, 2)
    declared = source.tell()  # the upload is already spooled: its size is known before anything is stored
    source.seek(0)
    check_quotas(db, settings, user, declared)
    sha256, size = store_upload(settings.blob_dir, source, settings.max_upload_bytes)
    scan = Scan(uploader_id=user.id, sha256=sha256, size=size, filename=safe_display_name(filename),
                status=ScanStatus.QUEUED)
    db.add(scan)
    db.flush()
    audit(db, user, "scan.upload", f"scan:{scan.id}", f"sha256={sha256} size={size}")
    return scan


def db_now(db: Session) -> dt.datetime:
    """Naive UTC "now" by the clock every server agrees on: the database's on PostgreSQL (servers on several
    hosts compare leases), this host's on SQLite (one host by nature)."""
    if db.get_bind().dialect.name == "postgresql":
        return db.scalar(text("SELECT CAST(timezone('UTC', clock_timestamp()) AS timestamp)"))
    return utcnow()


def requeue_expired(db: Session, *, all_running: bool = False) -> list[tuple[int, str | None]]:
    """Scans whose server stopped renewing their lease (it was killed, or lost the database) go back to the
    queue; returns (scan id, the server that held it) of each. A scan with no lease at all was left by a
    server older than leases. A live server's scan keeps its lease and is never taken — unless `all_running`:
    the only server a database can have (SQLite) starting up knows every running scan is a dead one's."""
    now = db_now(db)
    expired = (Scan.status == ScanStatus.RUNNING) & (Scan.lease_until.is_(None) | (Scan.lease_until < now) | all_running)
    requeued: list[tuple[int, str | None]] = []
    for scan_id, holder in db.execute(select(Scan.id, Scan.worker_id).where(expired).order_by(Scan.id)).all():
        # Compare-and-set: the holder may have renewed or finished since the select.
        done = db.execute(update(Scan).where(Scan.id == scan_id, expired, Scan.worker_id.is_not_distinct_from(holder))
                          .values(status=ScanStatus.QUEUED, worker_id=None, lease_until=None))
        if done.rowcount == 1:
            requeued.append((scan_id, holder))
            audit(db, None, "scan.requeue", f"scan:{scan_id}", f"the lease of {holder or 'an older server'} ran out")
    return requeued


FAIR_CANDIDATES = 32  # queued scans ranked per claim; a server skips those another server has locked


def fair_order(db: Session) -> list[int]:
    """Queued scans in the order they should start: round-robin between accounts, so 20 uploads by one developer
    delay another's scan by at most one scan per worker. Each account's oldest queued scan comes first (then the
    second of each, …); among those, accounts with fewer running scans, then the one served longest ago (or
    never), then the older scan. Several candidates are returned for a server to skip rows another has locked."""
    queued = (select(Scan.id, Scan.uploader_id,
                     func.row_number().over(partition_by=Scan.uploader_id, order_by=Scan.id).label("place"))
              .where(Scan.status == ScanStatus.QUEUED).subquery())
    running = (select(Scan.uploader_id, func.count().label("n")).where(Scan.status == ScanStatus.RUNNING)
               .group_by(Scan.uploader_id).subquery())
    served = (select(Scan.uploader_id, func.max(Scan.started_at).label("at")).where(Scan.started_at.is_not(None))
              .group_by(Scan.uploader_id).subquery())
    query = (select(queued.c.id)
             .outerjoin(running, running.c.uploader_id == queued.c.uploader_id)
             .outerjoin(served, served.c.uploader_id == queued.c.uploader_id)
             .order_by(queued.c.place, func.coalesce(running.c.n, 0), served.c.at.is_not(None), served.c.at,
                       queued.c.id)
             .limit(FAIR_CANDIDATES))
    return list(db.scalars(query))


def claim_next(db: Session, max_attempts: int, worker_id: str, lease_s: float) -> Scan | None:
    """Move the next queued scan in fair order (`fair_order`) to `running` under a lease held by `worker_id`;
    fail scans that have died too often. Safe with several servers: on PostgreSQL the candidate row is locked
    (`FOR UPDATE SKIP LOCKED`, so servers do not queue behind each other), and the claim itself is a
    compare-and-set on `status = 'queued'`, which is also what makes it safe on SQLite."""
    while True:
        row = None
        for scan_id in fair_order(db):
            row = db.execute(select(Scan.id, Scan.attempts).where(Scan.id == scan_id, Scan.status == ScanStatus.QUEUED)
                             .with_for_update(skip_locked=True)).first()
            if row is not None:
                break
        if row is None:
            db.rollback()
            return None
        if row.attempts >= max_attempts:
            db.execute(update(Scan).where(Scan.id == row.id, Scan.status == ScanStatus.QUEUED).values(
                status=ScanStatus.FAILED, finished_at=utcnow(), worker_id=None, lease_until=None,
                **failed_with(Message("scan.error.interrupted", {"attempts": row.attempts}))))
            db.commit()
            continue
        now = db_now(db)
        claimed = db.execute(update(Scan).where(Scan.id == row.id, Scan.status == ScanStatus.QUEUED).values(
            status=ScanStatus.RUNNING, attempts=Scan.attempts + 1, worker_id=worker_id,
            lease_until=now + dt.timedelta(seconds=lease_s), started_at=now))
        if claimed.rowcount == 1:
            audit(db, None, "scan.start", f"scan:{row.id}", f"attempt {row.attempts + 1} on {worker_id}")
        db.commit()
        if claimed.rowcount == 1:
            return db.get(Scan, row.id, populate_existing=True)


def _held_by(scan_id: int, worker_id: str, attempt: int) -> Any:
    """The scan still runs under the claim `worker_id` made as attempt `attempt`. The attempt matters: a
    server whose lease ran out may claim the same scan again, and its first claim must not pass for the new one."""
    return ((Scan.id == scan_id) & (Scan.status == ScanStatus.RUNNING) & (Scan.worker_id == worker_id)
            & (Scan.attempts == attempt))


def renew_lease(db: Session, scan_id: int, worker_id: str, attempt: int, lease_s: float) -> bool:
    """Extend the lease of this server's claim (attempt `attempt`) on a running scan; False when the scan no
    longer runs under that claim."""
    until = db_now(db) + dt.timedelta(seconds=lease_s)
    renewed = db.execute(update(Scan).where(_held_by(scan_id, worker_id, attempt)).values(lease_until=until))
    return renewed.rowcount == 1


def take_for_finish(db: Session, scan_id: int, worker_id: str, attempt: int) -> Scan | None:
    """Start storing a scan's result: the scan, if `worker_id`'s claim `attempt` still holds it, else None (its
    lease ran out and the scan was claimed again, by another server or this one, whose result counts). The row
    stays locked (PostgreSQL) or the database write-locked (SQLite) until the caller commits, so no server can
    re-queue it meanwhile."""
    held = db.execute(update(Scan).where(_held_by(scan_id, worker_id, attempt)).values(lease_until=None))
    if held.rowcount != 1:
        return None
    return db.get(Scan, scan_id, populate_existing=True)


def failed_with(reason: str | Message) -> dict[str, Any]:
    """The columns of a failed scan's reason: its English text and the message it was written from."""
    if isinstance(reason, Message):
        return {"error": reason.english()[:1000], "error_message": reason.as_json()}
    return {"error": reason[:1000], "error_message": None}


def failure_reason(payload: dict[str, Any]) -> str | Message:
    """Why a scan child's (or the worker's) payload holds no report."""
    return from_json(payload.get("message")) or str(payload.get("error") or "") or Message("scan.error.no_report")


def fail_scan(db: Session, scan: Scan, reason: str | Message) -> None:
    columns = failed_with(reason)
    scan.status, scan.error, scan.error_message = ScanStatus.FAILED, columns["error"], columns["error_message"]
    scan.finished_at = utcnow()
    audit(db, None, "scan.failed", f"scan:{scan.id}", columns["error"][:200])


def finish_scan(db: Session, scan: Scan, payload: dict[str, Any]) -> None:
    """Store a scan child's result (``{"report": …}`` or ``{"error": …}``) and file it under its app, or its SDK
    when the report's `input.kind` says the upload was read as an SDK package."""
    if "report" not in payload:
        fail_scan(db, scan, failure_reason(payload))
        return
    try:
        report = Report.model_validate(payload["report"])
    except ValidationError as err:
        fail_scan(db, scan, Message("scan.error.invalid_report", {"errors": err.error_count()}))
        return
    report.input.path = scan.filename  # the server-side blob path is nobody's business
    scan.kind = report.input.kind
    scan.report_json = report.model_dump(mode="json")
    scan.status, scan.error, scan.error_message, scan.finished_at = ScanStatus.DONE, None, None, utcnow()
    audit(db, None, "scan.done", f"scan:{scan.id}", f"{len(report.findings)} findings")
    _file_version(db, scan, report)
    from hegui.platform.campaigns import after_campaign_scan

    after_campaign_scan(db, scan)  # a campaign's scan files its clues (campaigns.py)


# A JAR declares no package: hegui names it by the longest package all its classes share. Two labels or fewer
# ("com", "com.google") name an organisation, whose unrelated libraries would all be filed as one SDK.
MIN_JAR_PACKAGE_LABELS = 3


def filing_package(kind: str, package: str | None) -> tuple[str | None, Message | None]:
    """(package to file the scan under, else None; why not). An APK or AAR is filed under the package its
    manifest declares; a JAR under the package its classes share, if that names one product."""
    package = (package or "").strip()[:255]
    if kind == InputKind.JAR:
        if not package:
            return None, Message("scan.jar_no_package")
        if len(package.split(".")) < MIN_JAR_PACKAGE_LABELS:
            return None, Message("scan.jar_package_too_broad", {"package": package})
    if not package:
        return None, Message("scan.no_package")
    return package, None


def note_scan(scan: Scan, *notes: Message) -> None:
    """Set the scan's note: English text (what the API's `note` and older readers show) and the messages it was
    rendered from, which pages and the API render in the reader's language."""
    scan.note = "; ".join(n.english() for n in notes)[:4000] or None
    scan.note_messages = notes_json(notes) or None


def _insert_or_get(db: Session, row: App | AppVersion, existing: Select) -> Any:
    """Insert `row` unless a concurrent server inserted its unique key first; then return that one. On
    PostgreSQL the second insert waits for the first transaction and fails on the unique constraint."""
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
        return row
    except IntegrityError:
        found = db.scalar(existing)
        if found is None:
            raise
        return found


def _file_version(db: Session, scan: Scan, report: Report) -> None:
    from hegui.platform.workflow import after_new_version

    kind = scan.kind or InputKind.APK  # scans stored before kinds were recorded were APKs
    app_kind = AppKind.SDK if kind in SDK_PACKAGE_KINDS else AppKind.APP  # a quick app or HarmonyOS package is an app too
    package, why_not = filing_package(kind, report.app.package)
    if package is None:
        note_scan(scan, why_not)
        return
    uploader = db.get(User, scan.uploader_id)
    if uploader.role in access.OWNER_ROLE.values() and access.OWNER_ROLE[app_kind] != uploader.role:
        # Records are owned by who uploads first: a developer filing an SDK (whose package a JAR's class names
        # can forge) could squat a vendor's SDK and see its cases, and a vendor an app. Staff file anything.
        note_scan(scan, Message("scan.sdk_for_vendors" if app_kind == AppKind.SDK else "scan.app_for_developers"))
        return
    app = db.scalar(select(App).where(App.package == package))
    if app is None:
        owner = uploader.id if uploader.role in access.OWNER_ROLE.values() else None
        app = _insert_or_get(db, App(package=package, kind=app_kind, label=(report.app.label or "")[:255] or None,
                                     owner_id=owner), select(App).where(App.package == package))
    if app.kind != app_kind:
        note_scan(scan, Message("scan.registered_as_sdk" if app.kind == AppKind.SDK else "scan.registered_as_app",
                                {"package": package, "kind": kind.upper()}))
        return
    certs = signers.version_certs(report)
    if not signers.matches(app, certs):
        # Before the owner check: the genuine developer's upload to a squatted record reaches a regulator.
        signers.hold(db, scan, app, certs)
        return
    if uploader.role in access.OWNER_ROLE.values() and app.owner_id != uploader.id:
        # Attaching versions to someone else's app would let a developer tamper with its cases.
        note_scan(scan, Message("scan.other_account"))
        return
    if app.signing_certs is None and certs:
        app.signing_certs = certs  # the first signed version binds the record
    version_query = select(AppVersion).where(AppVersion.app_id == app.id, AppVersion.sha256 == scan.sha256)
    version = db.scalar(version_query)
    if version is None:
        version = _insert_or_get(db, AppVersion(app_id=app.id, sha256=scan.sha256, scan_id=scan.id), version_query)
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
    sdk_usage.record_version(db, app, version, scan.report_json or {})
    notes = after_new_version(db, app, version, {f.rule_id for f in report.findings})
    if notes:
        note_scan(scan, *notes)


def version_report(db: Session, version: AppVersion) -> dict[str, Any]:
    scan = db.get(Scan, version.scan_id)
    return scan.report_json or {}


# Media types of the report formats a scan can be downloaded as (hegui.report.render.FORMATS).
REPORT_MEDIA_TYPES = {
    "json": "application/json", "html": "text/html; charset=utf-8", "pdf": "application/pdf",
    "sarif": "application/sarif+json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ReportUnavailable(Refusal):
    """A report that cannot be rendered as asked: `status` is the HTTP answer, the message says why."""

    def __init__(self, status: int, message: Message) -> None:
        super().__init__(message)
        self.status = status


def report_download(scan: Scan, fmt: str) -> tuple[bytes, str, str]:
    """(body, media type, file name) of the scan's report in `fmt`, rendered by the scanner's own renderers.

    The file name is made from the content hash, never from the uploaded name (which the uploader chose)."""
    from hegui.errors import InputError
    from hegui.report.render import extension, render

    if fmt not in REPORT_MEDIA_TYPES:
        raise ReportUnavailable(404, Message("report.no_such_format", {"format": repr(fmt),
                                                                      "formats": ", ".join(REPORT_MEDIA_TYPES)}))
    if scan.report_json is None:
        raise ReportUnavailable(409, Message("report.not_yet"))
    try:
        body = render(Report.model_validate(scan.report_json), fmt)
    except InputError as err:  # a PDF on a server without WeasyPrint/Pango
        raise ReportUnavailable(501, Message("report.renderer_missing", {"reason": str(err)})) from None
    return body, REPORT_MEDIA_TYPES[fmt], f"hegui-{scan.sha256[:16]}.{extension(fmt)}"
