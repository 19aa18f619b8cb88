"""Get-or-404 for the REST API and the web pages: one implementation, each surface with its own 404 text.

An object the caller may not see answers exactly like one that does not exist (404, not 403), so that nobody
learns that someone else's app, scan or case exists."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.platform import access
from hegui.platform.db import App, AppVersion, Base, Case, Complaint, Scan, User

Row = TypeVar("Row", bound=Base)


class Lookup:
    """Finds the objects a request names; `detail(what)` is the surface's 404 text for a missing `what`."""

    def __init__(self, detail: Callable[[str], str]) -> None:
        self.detail = detail

    def missing(self, what: str) -> HTTPException:
        return HTTPException(404, self.detail(what))

    def _visible(self, db: Session, model: type[Row], ident: int, what: str,
                 visible: Callable[[Row], bool] = lambda _row: True) -> Row:
        row = db.get(model, ident)
        if row is None or not visible(row):
            raise self.missing(what)
        return row

    def app(self, db: Session, user: User, app_id: int) -> App:
        return self._visible(db, App, app_id, "app", lambda app: access.app_visible(user, app))

    def scan(self, db: Session, user: User, scan_id: int) -> Scan:
        return self._visible(db, Scan, scan_id, "scan", lambda scan: access.scan_visible(user, scan))

    def case(self, db: Session, user: User, case_id: int) -> Case:
        return self._visible(db, Case, case_id, "case", lambda case: access.case_visible(user, case))

    def complaint(self, db: Session, complaint_id: int) -> Complaint:
        """Complaints are staff-only as a whole (the routes check the role), so any existing one is visible."""
        return self._visible(db, Complaint, complaint_id, "complaint")

    def user_named(self, db: Session, name: str) -> User:
        user = db.scalar(select(User).where(User.name == name))
        if user is None:
            raise self.missing("user")
        return user

    def version_pair(self, db: Session, app: App, from_version: int,
                     to_version: int) -> tuple[AppVersion, AppVersion]:
        """Two versions of `app` to compare; a version of another app counts as missing."""
        old, new = db.get(AppVersion, from_version), db.get(AppVersion, to_version)
        if old is None or new is None or old.app_id != app.id or new.app_id != app.id:
            raise self.missing("version")
        return old, new
