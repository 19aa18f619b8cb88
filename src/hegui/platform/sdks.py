"""SDKs as regulated objects (issue 12): which apps embed each third-party SDK, the findings whose subject it is
and its personal-information call sites, read from the SDK-by-version table (`sdk_usages`, sdk_usage.py) that
filing writes, not from every stored report on each request.

An SDK has no record of its own: it is the `sdks[].id` a report names. Only the latest version of an app counts
(what users install now; the table's `latest` rows); an SDK an app dropped in a later build is no longer
"embedded" by it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from hegui.platform import access, lists
from hegui.platform.db import App, AppVersion, FindingRow, Scan, SdkUsage, User
from hegui.report.model import SEVERITY_ORDER

SEVERITY_BY_RANK = {rank: name for name, rank in SEVERITY_ORDER.items()}


@dataclass(frozen=True, slots=True)
class SdkSummary:
    id: str
    name: str
    apps: int
    findings: int
    worst_severity: str | None
    before_consent_findings: int  # findings about the SDK of a before-consent rule (sdk_usage.BEFORE_CONSENT_RULES)
    pi_call_sites: int  # the SDK's PI call sites, summed over the apps


@dataclass(frozen=True, slots=True)
class EmbeddingApp:
    id: int
    package: str
    version_id: int
    version_name: str | None
    sdk_version: str | None  # None: the app does not state which version of the SDK it embeds


@dataclass(frozen=True, slots=True)
class SdkFinding:
    rule_id: str
    severity: str
    title_zh: str
    title_en: str
    app_id: int | None  # None: an app of another account, withheld from an SDK vendor
    package: str | None
    version_id: int | None
    version_name: str | None


@dataclass(frozen=True, slots=True)
class CallSite:
    pi_type: str
    api: str
    apps: int
    at_startup: int  # how many of those apps make the call at startup


@dataclass(slots=True)
class SdkDetail:
    id: str
    name: str
    apps: list[EmbeddingApp] = field(default_factory=list)
    hidden_apps: int = 0  # apps of other accounts embedding it, counted but not named (an SDK vendor's view)
    findings: list[SdkFinding] = field(default_factory=list)
    call_sites: list[CallSite] = field(default_factory=list)



def _scope(db: Session, user: User) -> tuple[Select, set[str] | None]:
    """The latest-version SDK rows the user may see, and the SDK ids they are limited to (None: every SDK in
    those rows). See access.sdk_scope for who sees what."""
    apps, vendor = access.sdk_scope(user)
    rows = select(SdkUsage).where(SdkUsage.latest.is_(True),
                                  SdkUsage.app_id.in_(apps.with_only_columns(App.id).order_by(None)))
    if not vendor:
        return rows, None
    owned = access.owned_sdk_records(user).with_only_columns(App.id).order_by(None)
    ids = set(db.scalars(select(SdkUsage.sdk_id).where(SdkUsage.latest.is_(True), SdkUsage.app_id.in_(owned))))
    uploads = db.scalars(access.vendor_sdk_uploads(user).with_only_columns(Scan.report_json["sdks"]))
    ids |= {s["id"] for sdks in uploads for s in sdks or []}
    return rows.where(SdkUsage.sdk_id.in_(ids)), ids


def _summary_query(rows: Select) -> Select:
    """Per SDK id over `rows`: the apps embedding it, the findings about it, the worst severity, … ; its name
    is the smallest the reports gave (reports name SDKs from one catalog, so they agree)."""
    usage = rows.subquery()
    return select(usage.c.sdk_id.label("id"), func.min(usage.c.sdk_name).label("name"),
                  func.count(func.distinct(usage.c.app_id)).label("apps"),
                  func.sum(usage.c.findings).label("findings"), func.max(usage.c.worst_rank).label("worst_rank"),
                  func.sum(usage.c.before_consent_findings).label("before_consent_findings"),
                  func.sum(usage.c.pi_call_sites).label("pi_call_sites")).group_by(usage.c.sdk_id)


def _summary(row: Any) -> SdkSummary:
    return SdkSummary(id=row.id, name=row.name, apps=row.apps, findings=int(row.findings or 0),
                      worst_severity=SEVERITY_BY_RANK.get(row.worst_rank or 0),
                      before_consent_findings=int(row.before_consent_findings or 0),
                      pi_call_sites=int(row.pi_call_sites or 0))


SORTS = ("id", "name", "apps", "findings", "severity", "before_consent", "call_sites")
_SORT_COLUMN = {"id": "id", "name": "name", "apps": "apps", "findings": "findings", "severity": "worst_rank",
                "before_consent": "before_consent_findings", "call_sites": "pi_call_sites"}


def sdk_page(db: Session, user: User, params: Any) -> lists.Page:
    """One page of the SDKs the user may see: `q` searches id and name, `sort` by id, name, apps, findings,
    severity, before_consent or call_sites (prefix - for descending; ties by id). Counted, sorted and paged by
    the database. Raises lists.ListRequestError like the other lists."""
    query = lists.ListQuery.from_params(params, frozenset())
    key = query.sort or "id"
    if key.removeprefix("-") not in _SORT_COLUMN:
        raise lists.ListRequestError("list.sort_one_of", name="sort", sorts=", ".join(sorted(SORTS)))
    rows, _limit = _scope(db, user)
    if query.q:
        pattern = "%" + query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = rows.where(or_(SdkUsage.sdk_id.ilike(pattern, escape="\\"),
                              SdkUsage.sdk_name.ilike(pattern, escape="\\")))
    summary = _summary_query(rows).subquery()
    total = db.scalar(select(func.count()).select_from(summary)) or 0
    column: ColumnElement = summary.c[_SORT_COLUMN[key.removeprefix("-")]]
    if key.removeprefix("-") == "name":
        column = func.lower(column)
    order = column.desc() if key.startswith("-") else column.asc()
    page = db.execute(select(summary).order_by(order, summary.c.id).limit(query.limit).offset(query.offset))
    return lists.Page(rows=[_summary(r) for r in page], total=total, query=query)


def sdk_prevalence(db: Session, user: User, top: int) -> list[SdkSummary]:
    """The `top` SDKs embedded by most of the user's visible apps (the dashboard chart), most apps first."""
    rows, _limit = _scope(db, user)
    summary = _summary_query(rows).subquery()
    return [_summary(r) for r in db.execute(select(summary).order_by(summary.c.apps.desc(), summary.c.id)
                                            .limit(top))]


def _findings(db: Session, version_ids: Iterable[int], sdk_id: str) -> list[FindingRow]:
    ids = list(version_ids)
    found: list[FindingRow] = []
    for start in range(0, len(ids), 500):  # keep IN lists within every database's parameter limit
        found += db.scalars(select(FindingRow).where(FindingRow.version_id.in_(ids[start:start + 500]),
                                                     FindingRow.subject == sdk_id).order_by(FindingRow.id))
    return found


def sdk_detail(db: Session, user: User, sdk_id: str) -> SdkDetail | None:
    """What the user may know about one SDK; None when no app they may see embeds it (answered 404)."""
    rows, limit = _scope(db, user)
    if limit is not None and sdk_id not in limit:
        return None
    embedding = db.execute(rows.where(SdkUsage.sdk_id == sdk_id).with_only_columns(SdkUsage, App, AppVersion)
                           .join(App, App.id == SdkUsage.app_id).join(AppVersion, AppVersion.id == SdkUsage.version_id)
                           .order_by(App.package)).all()
    if not embedding:
        return None
    detail = SdkDetail(id=sdk_id, name=min(u.sdk_name for u, _a, _v in embedding))
    named = {a.id for _u, a, _v in embedding if access.sdk_app_named(user, a)}
    by_version = {v.id: (a, v) for _u, a, v in embedding}
    for usage, app, version in embedding:
        if app.id in named:
            detail.apps.append(EmbeddingApp(app.id, app.package, version.id, version.version_name, usage.sdk_version))
        else:
            detail.hidden_apps += 1
    for f in _findings(db, by_version, sdk_id):
        app, version = by_version[f.version_id]
        shown = app.id in named
        detail.findings.append(SdkFinding(
            rule_id=f.rule_id, severity=f.severity, title_zh=f.title_zh, title_en=f.title_en,
            app_id=app.id if shown else None, package=app.package if shown else None,
            version_id=version.id if shown else None, version_name=version.version_name if shown else None))
    sites: dict[tuple[str, str], tuple[set[int], set[int]]] = {}
    for usage, app, _version in embedding:
        for pi_type, api, at_startup in usage.calls:
            apps, startup = sites.setdefault((pi_type, api), (set(), set()))
            apps.add(app.id)
            if at_startup:
                startup.add(app.id)
    detail.call_sites = [CallSite(pi, api, len(apps), len(startup))
                         for (pi, api), (apps, startup) in sorted(sites.items())]
    return detail
