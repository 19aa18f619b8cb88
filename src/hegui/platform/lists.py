"""Lists that scale: search, filters, sorting and paging for every list of the platform, shared by the REST API
and the web UI so both show the same rows for the same question.

A list never stops silently: the caller gets the total with the page (`X-Total-Count` and `Link` headers in the
API, a pager in the web UI). Sort keys and filters are named per list; an unknown one is refused (422), not ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, case, or_, select
from sqlalchemy.orm import Session

from hegui.platform import access, marks
from hegui.platform.db import (
    App,
    AuditEvent,
    Campaign,
    Case,
    Clue,
    Complaint,
    FindingRow,
    Scan,
    User,
    count_rows,
)
from hegui.platform.messages import Message, Refusal
from hegui.platform.vocab import (
    OPEN_CASE_STATUSES,
    AppKind,
    CaseStatus,
    ClueSource,
    ClueStatus,
    ComplaintStatus,
    InputKind,
    MarkVerdict,
    ScanStatus,
)
from hegui.report.model import SEVERITY_ORDER

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_QUERY_CHARS = 200
MAX_APP_IDS = 5000  # app ids a search passes as a list; a broader match is passed as a subquery


class ListRequestError(Refusal):
    """A list parameter the list does not know, or a value it cannot take (answered 422, the reason in the
    reader's language on a page)."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(Message(key, {k: str(v) for k, v in params.items()}))


@dataclass(frozen=True, slots=True)
class ListQuery:
    q: str | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: str | None = None
    filters: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: Mapping[str, str], allowed_filters: frozenset[str]) -> ListQuery:
        """From query parameters (`q`, `limit`, `offset`, `sort` and the list's filters); empty values are unset,
        a parameter the list does not know is refused (a misspelt filter would otherwise show every row)."""
        unknown = set(params) - allowed_filters - {"q", "limit", "offset", "sort", "lang"}  # lang: of the answer
        if unknown:
            raise ListRequestError("list.unknown_parameter", name=repr(sorted(unknown)[0]),
                                   accepted=", ".join(["q", "limit", "offset", "sort", *sorted(allowed_filters)]))
        def number(name: str, default: int, high: int) -> int:
            raw = params.get(name) or ""
            if not raw:
                return default
            if not raw.isdigit() or not (0 if name == "offset" else 1) <= int(raw) <= high:
                raise ListRequestError("list.number_up_to", name=name, high=high)
            return int(raw)

        q = (params.get("q") or "").strip()
        if len(q) > MAX_QUERY_CHARS:
            raise ListRequestError("list.query_too_long", name="q", max=MAX_QUERY_CHARS)
        filters = {k: v for k, v in params.items() if k in allowed_filters and v}
        return cls(q=q or None, limit=number("limit", DEFAULT_LIMIT, MAX_LIMIT), offset=number("offset", 0, 10**9),
                   sort=params.get("sort") or None, filters=filters)


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Any]
    total: int
    query: ListQuery

    @property
    def next_offset(self) -> int | None:
        end = self.query.offset + self.query.limit
        return end if end < self.total else None

    @property
    def prev_offset(self) -> int | None:
        return max(0, self.query.offset - self.query.limit) if self.query.offset else None

    def params(self, offset: int) -> str:
        """The query string of another page of the same list."""
        q = self.query
        values = {**q.filters, "q": q.q or "", "sort": q.sort or "", "limit": str(q.limit), "offset": str(offset)}
        return urlencode({k: v for k, v in values.items() if v})

    def link_header(self, base_url: str) -> str | None:
        links = [f'<{base_url}?{self.params(o)}>; rel="{rel}"'
                 for rel, o in (("next", self.next_offset), ("prev", self.prev_offset)) if o is not None]
        return ", ".join(links) or None


@dataclass(frozen=True, slots=True)
class ListSpec:
    """One list: its rows for a user, the columns `q` searches, its sort keys and its filters."""

    base: Callable[[User], Select]
    search: tuple[ColumnElement, ...]
    sorts: Mapping[str, ColumnElement]
    default_sort: str
    filters: Mapping[str, Callable[[Select, str], Select]]
    # `q` also finds the rows of apps whose package or name matches, through this column (an app id): the
    # matching app ids are looked up first, so each side can use its own (trigram) index, not one scan of a join
    app_column: ColumnElement | None = None

    def run(self, db: Session, user: User, query: ListQuery) -> Page:
        stmt = self.base(user)
        if query.q and self.search:
            pattern = "%" + query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            matches = [col.ilike(pattern, escape="\\") for col in self.search]
            if self.app_column is not None:
                apps = select(App.id).where(or_(App.package.ilike(pattern, escape="\\"),
                                                App.label.ilike(pattern, escape="\\")))
                ids = list(db.scalars(apps.limit(MAX_APP_IDS + 1)))
                matches.append(self.app_column.in_(ids if len(ids) <= MAX_APP_IDS else apps))
            stmt = stmt.where(or_(*matches))
        for name, value in query.filters.items():
            stmt = self.filters[name](stmt, value)
        total = count_rows(db, stmt)
        key = query.sort or self.default_sort
        column = self.sorts.get(key.removeprefix("-"))
        if column is None:
            raise ListRequestError("list.sort_one_of", name="sort", sorts=", ".join(sorted(self.sorts)))
        order = column.desc() if key.startswith("-") else column.asc()
        primary = stmt.column_descriptions[0]["entity"].id
        stmt = stmt.order_by(None).order_by(order, primary.desc()).limit(query.limit).offset(query.offset)
        return Page(rows=list(db.scalars(stmt)), total=total, query=query)

    @property
    def filter_names(self) -> frozenset[str]:
        return frozenset(self.filters)


def _int(name: str, value: str) -> int:
    if not value.isdigit():
        raise ListRequestError("list.number", name=name)
    return int(value)


def _date(name: str, value: str) -> dt.datetime:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
    except ValueError:
        raise ListRequestError("list.date", name=name) from None


def _one_of(name: str, value: str, allowed: frozenset[str]) -> str:
    if value not in allowed:
        raise ListRequestError("list.one_of", name=name, allowed=", ".join(sorted(allowed)))
    return value


def _date_range(column: ColumnElement) -> dict[str, Callable[[Select, str], Select]]:
    return {"since": lambda s, v: s.where(column >= _date("since", v)),
            "until": lambda s, v: s.where(column < _date("until", v) + dt.timedelta(days=1))}


SEVERITIES = frozenset(SEVERITY_ORDER)  # the report's vocabulary
SCAN_STATUSES = frozenset(ScanStatus)
CASE_STATUSES = frozenset(CaseStatus)
CLUE_STATUSES = frozenset(ClueStatus)
COMPLAINT_STATUSES = frozenset(ComplaintStatus)
# the kinds the scan list's `kind` filter accepts (not yet the mini-program, quick-app and HAP kinds)
SCAN_KINDS = frozenset({InputKind.APK, InputKind.AAR, InputKind.JAR})
CLUE_SOURCES = frozenset(ClueSource)
MARK_FILTERS = frozenset({*MarkVerdict, "none"})


def _owned_by(stmt: Select, name: str) -> Select:
    return stmt.where(App.owner_id.in_(select(User.id).where(User.name == name)))


APPS = ListSpec(
    base=lambda user: access.visible_apps(user).order_by(None),
    search=(App.package, App.label),
    sorts={"package": App.package, "label": App.label, "created": App.created_at, "id": App.id},
    default_sort="package",
    filters={"kind": lambda s, v: s.where(App.kind == _one_of("kind", v, frozenset(AppKind))),
             "owner": _owned_by,
             "repeat_offender": lambda s, v: s.where(App.repeat_offender.is_(v in ("1", "true", "yes"))),
             **_date_range(App.created_at)},
)

SCANS = ListSpec(
    base=lambda user: access.visible_scans(user).order_by(None),
    search=(Scan.filename, Scan.sha256),
    sorts={"id": Scan.id, "created": Scan.created_at, "status": Scan.status, "filename": Scan.filename},
    default_sort="-id",
    filters={"status": lambda s, v: s.where(Scan.status == _one_of("status", v, SCAN_STATUSES)),
             "kind": lambda s, v: s.where(Scan.kind == _one_of("kind", v, SCAN_KINDS)),
             **_date_range(Scan.created_at)},
)


def _visible_findings(user: User) -> Select:
    stmt = select(FindingRow).join(App, FindingRow.app_id == App.id)
    return stmt if access.sees_all(user) else stmt.where(App.owner_id == user.id)


FINDINGS = ListSpec(
    base=_visible_findings,
    search=(FindingRow.rule_id, FindingRow.subject, FindingRow.title_zh, FindingRow.title_en),
    app_column=FindingRow.app_id,  # and the app's package and name
    # by rank (low < medium < high < critical), not by the stored word (which sorts critical < high < low)
    sorts={"id": FindingRow.id, "rule": FindingRow.rule_id,
           "severity": case(SEVERITY_ORDER, value=FindingRow.severity, else_=0),
           "subject": FindingRow.subject, "package": App.package},
    default_sort="id",
    filters={"rule_id": lambda s, v: s.where(FindingRow.rule_id == v),
             "severity": lambda s, v: s.where(FindingRow.severity == _one_of("severity", v, SEVERITIES)),
             "subject": lambda s, v: s.where(FindingRow.subject == v),
             "app_id": lambda s, v: s.where(FindingRow.app_id == _int("app_id", v)),
             "version_id": lambda s, v: s.where(FindingRow.version_id == _int("version_id", v)),
             "after_id": lambda s, v: s.where(FindingRow.id > _int("after_id", v)),  # keyset paging, as before
             "owner": _owned_by,
             # a reviewer's verdict holding for the finding's version (marks.py); "none": no verdict
             "mark": lambda s, v: s.where(marks.holds_clause(
                 None if _one_of("mark", v, MARK_FILTERS) == "none" else v))},
)

CLUES = ListSpec(
    # An outer join: a clue from a tip or complaint may name an app not on the platform, an SDK's clue no app.
    base=lambda user: select(Clue).outerjoin(App, Clue.app_id == App.id),
    search=(Clue.rule_id, Clue.note, App.package, App.label, Clue.app_name, Clue.sdk_id),
    sorts={"id": Clue.id, "created": Clue.created_at, "rule": Clue.rule_id, "package": App.package},
    default_sort="-id",
    filters={"status": lambda s, v: s.where(Clue.status == _one_of("status", v, CLUE_STATUSES)),
             "rule_id": lambda s, v: s.where(Clue.rule_id == v),
             "app_id": lambda s, v: s.where(Clue.app_id == _int("app_id", v)),
             "source": lambda s, v: s.where(Clue.source == _one_of("source", v, CLUE_SOURCES)),
             "campaign_id": lambda s, v: s.where(Clue.campaign_id == _int("campaign_id", v)),
             "sdk_id": lambda s, v: s.where(Clue.sdk_id == v),
             **_date_range(Clue.created_at)},
)


def _visible_cases(user: User) -> Select:
    stmt = access.visible_cases(user).order_by(None)
    return stmt.join(App, Case.app_id == App.id) if access.sees_all(user) else stmt


CASES = ListSpec(
    base=_visible_cases,
    search=(Case.note, App.package, App.label),
    sorts={"id": Case.id, "deadline": Case.deadline, "notice_date": Case.notice_date, "status": Case.status,
           "package": App.package},
    default_sort="-id",
    filters={"status": lambda s, v: s.where(Case.status == _one_of("status", v, CASE_STATUSES)),
             "app_id": lambda s, v: s.where(Case.app_id == _int("app_id", v)),
             "deadline_before": lambda s, v: s.where(Case.deadline < _date("deadline_before", v).date()),
             "escalation": lambda s, v: s.where(Case.escalation == v),
             "open": lambda s, v: s.where(Case.status.in_(OPEN_CASE_STATUSES)) if v in ("1", "true", "yes") else s,
             "owner": _owned_by},
)

COMPLAINTS = ListSpec(
    base=lambda user: select(Complaint),
    search=(Complaint.app_name, Complaint.complainant, Complaint.content),
    sorts={"id": Complaint.id, "due": Complaint.due_on, "received": Complaint.received_on, "status": Complaint.status},
    default_sort="due",
    filters={"status": lambda s, v: s.where(Complaint.status == _one_of("status", v, COMPLAINT_STATUSES)),
             "open": lambda s, v: s.where(Complaint.status != ComplaintStatus.RESOLVED) if v in ("1", "true", "yes") else s,
             "app_id": lambda s, v: s.where(Complaint.app_id == _int("app_id", v)),
             "id": lambda s, v: s.where(Complaint.id == _int("id", v))},  # a clue's link to its complaint
)

AUDIT = ListSpec(
    base=lambda user: select(AuditEvent),
    search=(AuditEvent.action, AuditEvent.target, AuditEvent.detail),
    sorts={"id": AuditEvent.id, "at": AuditEvent.at, "action": AuditEvent.action},
    default_sort="-id",
    filters={"action": lambda s, v: s.where(AuditEvent.action == v),
             "user": lambda s, v: s.where(AuditEvent.user_id.in_(select(User.id).where(User.name == v))),
             **_date_range(AuditEvent.at)},
)

CAMPAIGNS = ListSpec(
    base=lambda user: select(Campaign),
    search=(Campaign.name,),
    sorts={"id": Campaign.id, "created": Campaign.created_at, "name": Campaign.name},
    default_sort="-id",
    filters={"min_severity": lambda s, v: s.where(Campaign.min_severity == _one_of("min_severity", v, SEVERITIES)),
             **_date_range(Campaign.created_at)},
)
