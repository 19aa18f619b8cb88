"""SDKs as regulated objects (issue 12): which apps embed each third-party SDK, the findings whose subject it is
and its personal-information call sites, derived from the latest version of each app and its stored report.

An SDK has no table of its own: it is the `sdks[].id` a report names. Only the latest version of an app counts
(what users install now); an SDK an app dropped in a later build is no longer "embedded" by it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import null, select
from sqlalchemy.orm import Session

from hegui.platform import access, lists
from hegui.platform.db import App, AppVersion, FindingRow, Scan, User
from hegui.report.model import SEVERITY_ORDER


@dataclass(frozen=True, slots=True)
class SdkSummary:
    id: str
    name: str
    apps: int
    findings: int
    worst_severity: str | None


@dataclass(frozen=True, slots=True)
class EmbeddingApp:
    id: int
    package: str
    version_id: int
    version_name: str | None


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


@dataclass(frozen=True, slots=True)
class _Latest:
    app: App
    version: AppVersion
    report: dict[str, Any]


def _latest_versions(db: Session, apps: Iterable[App], with_calls: bool = False) -> list[_Latest]:
    """The latest version of each app (workflow.latest_version's order, in one query) with the parts of its
    report the SDK views read: `sdks` (and `sensitive_calls` with `with_calls`), extracted by the database so a
    list over thousands of apps does not load whole reports."""
    by_id = {a.id: a for a in apps}
    if not by_id:
        return []
    calls = Scan.report_json["sensitive_calls"] if with_calls else null()
    rows = db.execute(select(AppVersion, Scan.report_json["sdks"], calls).join(Scan, Scan.id == AppVersion.scan_id)
                      .where(AppVersion.app_id.in_(by_id))
                      .order_by(AppVersion.app_id, AppVersion.version_code.desc().nulls_last(),
                                AppVersion.id.desc())).all()
    out: dict[int, _Latest] = {}
    for version, sdks, sensitive_calls in rows:
        if version.app_id not in out:
            out[version.app_id] = _Latest(by_id[version.app_id], version,
                                          {"sdks": sdks or [], "sensitive_calls": sensitive_calls or []})
    return [out[k] for k in sorted(out, key=lambda k: by_id[k].package)]


def _sdk_names(latest: Iterable[_Latest]) -> dict[str, str]:
    """SDK id → name, as the reports name them (the first report naming an id wins, apps in package order)."""
    names: dict[str, str] = {}
    for entry in latest:
        for sdk in entry.report.get("sdks", []):
            names.setdefault(sdk["id"], sdk["name"])
    return names


def _scope(db: Session, user: User, with_calls: bool = False) -> tuple[list[_Latest], set[str] | None]:
    """The app versions whose SDKs the user may see, and the SDK ids they are limited to (None: every SDK in
    those versions). See access.sdk_scope for who sees what."""
    apps, vendor = access.sdk_scope(user)
    latest = _latest_versions(db, db.scalars(apps), with_calls)
    if not vendor:
        return latest, None
    own = _sdk_names(_latest_versions(db, db.scalars(access.owned_sdk_records(user))))
    uploads = db.scalars(access.vendor_sdk_uploads(user).with_only_columns(Scan.report_json["sdks"]))
    ids = set(own) | {s["id"] for sdks in uploads for s in sdks or []}
    return latest, ids


def _findings(db: Session, latest: list[_Latest], sdk_ids: Iterable[str]) -> list[FindingRow]:
    ids = list(set(sdk_ids))
    if not latest or not ids:
        return []
    version_ids = [e.version.id for e in latest]
    found: list[FindingRow] = []
    for start in range(0, len(version_ids), 500):  # keep IN lists within every database's parameter limit
        found += db.scalars(select(FindingRow).where(FindingRow.version_id.in_(version_ids[start:start + 500]),
                                                     FindingRow.subject.in_(ids)).order_by(FindingRow.id))
    return found


def _summaries(db: Session, user: User) -> list[SdkSummary]:
    latest, limit = _scope(db, user)
    names = _sdk_names(latest)
    embedding: dict[str, int] = {}
    for entry in latest:
        for sdk_id in {s["id"] for s in entry.report.get("sdks", [])}:
            if limit is None or sdk_id in limit:
                embedding[sdk_id] = embedding.get(sdk_id, 0) + 1
    counts: dict[str, int] = {}
    worst: dict[str, str] = {}
    for f in _findings(db, latest, embedding):
        counts[f.subject] = counts.get(f.subject, 0) + 1
        if SEVERITY_ORDER.get(f.severity, 0) > SEVERITY_ORDER.get(worst.get(f.subject, ""), 0):
            worst[f.subject] = f.severity
    return [SdkSummary(id=i, name=names[i], apps=n, findings=counts.get(i, 0), worst_severity=worst.get(i))
            for i, n in embedding.items()]


SORTS = {"id": lambda s: s.id, "name": lambda s: s.name.casefold(), "apps": lambda s: s.apps,
         "findings": lambda s: s.findings,
         "severity": lambda s: SEVERITY_ORDER.get(s.worst_severity or "", 0)}


def sdk_page(db: Session, user: User, params: Any) -> lists.Page:
    """One page of the SDKs the user may see: `q` searches id and name, `sort` by id, name, apps, findings or
    severity (prefix - for descending; ties by id). Raises lists.ListRequestError like the other lists."""
    query = lists.ListQuery.from_params(params, frozenset())
    key = query.sort or "id"
    sort = SORTS.get(key.removeprefix("-"))
    if sort is None:
        raise lists.ListRequestError(f"sort must be one of {', '.join(sorted(SORTS))} (prefix - for descending)")
    rows = _summaries(db, user)
    if query.q:
        needle = query.q.casefold()
        rows = [s for s in rows if needle in s.id.casefold() or needle in s.name.casefold()]
    rows.sort(key=lambda s: s.id)
    rows.sort(key=sort, reverse=key.startswith("-"))
    return lists.Page(rows=rows[query.offset:query.offset + query.limit], total=len(rows), query=query)


def sdk_detail(db: Session, user: User, sdk_id: str) -> SdkDetail | None:
    """What the user may know about one SDK; None when no app they may see embeds it (answered 404)."""
    latest, limit = _scope(db, user, with_calls=True)
    if limit is not None and sdk_id not in limit:
        return None
    embedding = [e for e in latest if any(s["id"] == sdk_id for s in e.report.get("sdks", []))]
    if not embedding:
        return None
    detail = SdkDetail(id=sdk_id, name=_sdk_names(embedding)[sdk_id])
    named = {e.app.id for e in embedding if access.sdk_app_named(user, e.app)}
    by_version = {e.version.id: e for e in embedding}
    for e in embedding:
        if e.app.id in named:
            detail.apps.append(EmbeddingApp(e.app.id, e.app.package, e.version.id, e.version.version_name))
        else:
            detail.hidden_apps += 1
    for f in _findings(db, embedding, [sdk_id]):
        e = by_version[f.version_id]
        shown = e.app.id in named
        detail.findings.append(SdkFinding(
            rule_id=f.rule_id, severity=f.severity, title_zh=f.title_zh, title_en=f.title_en,
            app_id=e.app.id if shown else None, package=e.app.package if shown else None,
            version_id=e.version.id if shown else None, version_name=e.version.version_name if shown else None))
    sites: dict[tuple[str, str], tuple[set[int], set[int]]] = {}
    for e in embedding:
        for call in e.report.get("sensitive_calls", []):
            if call.get("sdk") == sdk_id:
                apps, startup = sites.setdefault((call["pi_type"], call["api"]), (set(), set()))
                apps.add(e.app.id)
                if call.get("at_startup"):
                    startup.add(e.app.id)
    detail.call_sites = [CallSite(pi, api, len(apps), len(startup))
                         for (pi, api), (apps, startup) in sorted(sites.items())]
    return detail
