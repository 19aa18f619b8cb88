"""Files the platform hands out, the same from the REST API and the web pages: a scan's report in each of the
scanner's formats, and the announcement batch of escalated cases."""

from __future__ import annotations

import datetime as dt

from fastapi import Response
from sqlalchemy.orm import Session

from hegui.platform import cluereport, export
from hegui.platform.accounts import audit
from hegui.platform.db import Scan, User
from hegui.platform.deps import refusal
from hegui.platform.messages import Message, Refusal
from hegui.platform.scans import ReportUnavailable, report_download
from hegui.platform.vocab import AnnouncementFormat

# An attachment, and a sandbox if a browser opens it anyway: the HTML report holds the APK's own strings.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def report_file(scan: Scan, fmt: str) -> Response:
    """The scan's report as a file: ``json``, ``html``, ``pdf``, ``xlsx`` or ``sarif`` (the scanner's renderers).
    Refused as scans.report_download says: 404 an unknown format, 409 no report yet, 501 no PDF renderer."""
    try:
        body, media_type, filename = report_download(scan, fmt)
    except ReportUnavailable as err:
        raise refusal(err.status, err) from None
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Content-Security-Policy": REPORT_CSP})


def announcement_response(db: Session, user: User, fmt: str, escalation: str | None,
                          skip_incomplete: bool = False) -> Response:
    """Rows without a recorded developer are refused (409 naming the apps); `skip_incomplete` exports the rest and
    the audit log names what was left out. Commits the audit event."""
    rows = export.announcement_rows(db, escalation)
    incomplete = [r.app for r in rows if not r.developer]
    if incomplete and not skip_incomplete:
        key = "refused.announcement_incomplete" + ("_more" if len(incomplete) > 20 else "")
        raise refusal(409, Refusal(Message(key, {"apps": incomplete[:20]})))
    rows = [r for r in rows if r.developer]
    audit(db, user, "announcement.export", fmt, f"{len(rows)} rows"
          + (f"; left out, no developer recorded: {', '.join(incomplete)}"[:2000] if incomplete else ""))
    db.commit()
    stamp = dt.date.today().isoformat()
    if fmt == AnnouncementFormat.CSV:
        return Response(export.rows_to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="announcement-{stamp}.csv"'})
    return Response(export.rows_to_xlsx(rows),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="announcement-{stamp}.xlsx"'})


def clue_report_response(db: Session, user: User, month: str) -> Response:
    """The month's clue report as an xlsx download (its export audited; 422 for a malformed month)."""
    try:
        body, filename = cluereport.report_file(db, user, month)
    except Refusal as err:
        raise refusal(422, err) from None
    db.commit()
    return Response(body, media_type=cluereport.XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
