"""What the overview's charts show, per role: findings by rule in the latest version of each visible app, the
SDKs embedded by most visible apps, and findings found per month. A developer's charts count only their own
apps (access.visible_apps); an SDK vendor's SDK chart covers their own SDKs across apps (access.sdk_scope)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hegui import knowledge
from hegui.platform import access, sdks
from hegui.platform.charts import Bar, bar_chart, column_chart
from hegui.platform.db import App, AppVersion, FindingRow, SdkUsage, User

TOP_RULES = 10
TOP_SDKS = 10
MONTHS = 12
CHART_CACHE_S = 60.0
CHART_CACHE_ENTRIES = 10_000  # bounded: expired entries are dropped when it fills


def latest_version_ids(apps: Select) -> Select:
    """The id of the latest version (workflow.latest_version's order) of each app `apps` selects."""
    ranked = (select(AppVersion.id, func.row_number().over(
        partition_by=AppVersion.app_id,
        order_by=(AppVersion.version_code.desc().nulls_last(), AppVersion.id.desc())).label("place"))
        .where(AppVersion.app_id.in_(apps.with_only_columns(App.id).order_by(None))).subquery())
    return select(ranked.c.id).where(ranked.c.place == 1)


def findings_by_rule(db: Session, user: User, top: int = TOP_RULES) -> list[tuple[str, int]]:
    """(rule id, findings) in the latest versions of the apps the user may see, most findings first."""
    count = func.count().label("n")
    rows = db.execute(select(FindingRow.rule_id, count)
                      .where(FindingRow.version_id.in_(latest_version_ids(access.visible_apps(user))))
                      .group_by(FindingRow.rule_id).order_by(count.desc(), FindingRow.rule_id).limit(top))
    return [(rule, n) for rule, n in rows]


def month_starts(today: dt.date, months: int = MONTHS) -> list[dt.date]:
    """The first days of the `months` months ending with today's, oldest first."""
    year, month = today.year, today.month
    out = []
    for _ in range(months):
        out.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def findings_per_month(db: Session, user: User, today: dt.date, months: int = MONTHS) -> list[tuple[str, int]]:
    """("YYYY-MM", findings in the versions filed that month) for the last `months` months (empty months
    count 0), over the apps the user may see."""
    starts = month_starts(today, months)
    since = dt.datetime.combine(starts[0], dt.time())
    until = dt.datetime.combine((starts[-1] + dt.timedelta(days=32)).replace(day=1), dt.time())  # next month
    if db.get_bind().dialect.name == "postgresql":
        month = func.to_char(AppVersion.created_at, "YYYY-MM")
    else:
        month = func.strftime("%Y-%m", AppVersion.created_at)
    visible = access.visible_apps(user).with_only_columns(App.id).order_by(None)
    # Findings counted per version first (an index-only scan), then summed per month: on 100,000 findings a
    # third of the time of grouping the joined rows by month.
    per_version = (select(FindingRow.version_id, func.count().label("n")).group_by(FindingRow.version_id)
                   .subquery())
    counts = dict(db.execute(select(month, func.sum(per_version.c.n))
                             .join_from(per_version, AppVersion, AppVersion.id == per_version.c.version_id)
                             .where(AppVersion.app_id.in_(visible), AppVersion.created_at >= since,
                                    AppVersion.created_at < until).group_by(month)).all())
    counts = {k: int(v) for k, v in counts.items()}
    return [(f"{s:%Y-%m}", counts.get(f"{s:%Y-%m}", 0)) for s in starts]


@dataclass(frozen=True, slots=True)
class ChartData:
    by_rule: list[tuple[str, int]]
    prevalence: list[sdks.SdkSummary]
    per_month: list[tuple[str, int]]


class ChartCache:
    """Chart data per audience for up to `ttl_s` seconds (one server's memory): the overview is the page everyone
    opens first, and its three aggregations over every finding cost more than the rest of the page. Staff share
    one entry (they see the same apps); every other account has its own. An entry also names the newest finding,
    version and SDK row it counted (three primary-key lookups), so a filing shows at once; what the TTL bounds is
    only what filing does not write (an app given to another account)."""

    def __init__(self, ttl_s: float = CHART_CACHE_S) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[tuple[Any, ...], tuple[float, ChartData]] = {}
        self._lock = threading.Lock()

    def get(self, db: Session, user: User, today: dt.date) -> ChartData:
        newest = db.execute(select(select(func.max(FindingRow.id)).scalar_subquery(),
                                   select(func.max(AppVersion.id)).scalar_subquery(),
                                   select(func.max(SdkUsage.id)).scalar_subquery())).one()
        key = ("staff" if access.sees_all(user) else user.id, today, *newest)
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        data = ChartData(findings_by_rule(db, user), sdks.sdk_prevalence(db, user, TOP_SDKS),
                         findings_per_month(db, user, today))
        with self._lock:
            if len(self._entries) >= CHART_CACHE_ENTRIES:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            self._entries[key] = (now + self.ttl_s, data)
        return data


@dataclass(frozen=True, slots=True)
class Charts:
    findings_by_rule: Markup | None  # None: nothing to draw (the page says so)
    sdk_prevalence: Markup | None
    findings_per_month: Markup


def charts(db: Session, user: User, today: dt.date, titles: dict[str, str], lang: str,
           cache: ChartCache | None = None) -> Charts:
    """The overview's three charts as inline SVG, titled in the page's language (data from `cache` if given)."""
    data = (cache or ChartCache(0)).get(db, user, today)
    rulebook = knowledge.rulebook()
    rules = [Bar(rule, n, detail=(rulebook[rule].title_zh if lang == "zh" else rulebook[rule].title_en)
                 if rule in rulebook else None) for rule, n in data.by_rule]
    embedded = [Bar(s.name, s.apps, href=f"/sdks/{quote(s.id, safe='')}", detail=s.id) for s in data.prevalence]
    months = [Bar(label, n) for label, n in data.per_month]
    return Charts(
        findings_by_rule=bar_chart("chart-findings-by-rule", titles["findings_by_rule"], rules) if rules else None,
        sdk_prevalence=bar_chart("chart-sdk-prevalence", titles["sdk_prevalence"], embedded) if embedded else None,
        findings_per_month=column_chart("chart-findings-per-month", titles["findings_per_month"], months))
