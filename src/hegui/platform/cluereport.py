"""The monthly clue report (月度线索报送): the clues entered in the month's reporting period — from the 16th of the
previous month to the 15th of this month (Beijing days), the day the report is due — as an xlsx with Chinese
headers."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui import knowledge
from hegui.platform.accounts import audit
from hegui.platform.db import App, AppVersion, Campaign, Clue, User
from hegui.platform.export import notice_category
from hegui.platform.messages import Message, Refusal
from hegui.report.cells import neutralise_formula

CUTOFF_DAY = 15
# The reporting days are Beijing's: a clue entered at 07:00 on the 16th in Beijing (23:00 UTC on the 15th) belongs to
# the next report. Times are stored as naive UTC (db.utcnow).
BEIJING = dt.timedelta(hours=8)
HEADERS = ("序号", "线索编号", "录入日期", "线索来源", "应用名称", "包名", "版本", "涉及SDK", "问题类型", "规则编号",
           "风险等级", "所属专项", "状态", "说明")
SOURCES_ZH = {"finding": "检测发现", "tip": "外部举报线索", "complaint": "投诉转线索", "campaign": "专项检测"}
STATUS_ZH = {"open": "待处理", "in_case": "已立案"}
SEVERITY_ZH = {"critical": "严重", "high": "高", "medium": "中", "low": "低"}


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date  # first day counted
    end: dt.date    # last day counted (the 15th)

    @classmethod
    def of_month(cls, year: int, month: int) -> Period:
        end = dt.date(year, month, CUTOFF_DAY)
        previous = dt.date(year - 1, 12, 1) if month == 1 else dt.date(year, month - 1, 1)
        return cls(start=previous.replace(day=CUTOFF_DAY + 1), end=end)


MONTH = re.compile(r"(\d{4})-(\d{2})")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def month_period(month: str) -> Period:
    """The reporting period of ``YYYY-MM``; a Refusal (a ValueError) otherwise."""
    found = MONTH.fullmatch(month.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or not int(found.group(1)):
        raise Refusal(Message("clues.month_format"))
    return Period.of_month(int(found.group(1)), int(found.group(2)))


def report_file(db: Session, user: User, month: str) -> tuple[bytes, str]:
    """(xlsx, file name) of the month's clue report, its export audited (the caller commits); a Refusal for a
    malformed month."""
    period = month_period(month)
    body = report_xlsx(db, period)
    audit(db, user, "clue_report.export", f"{period.end:%Y-%m}",
          f"{len(period_clues(db, period))} clues entered {period.start} to {period.end}")
    return body, f"clues-{period.end:%Y-%m}.xlsx"


def period_clues(db: Session, period: Period) -> list[Clue]:
    since = dt.datetime.combine(period.start, dt.time()) - BEIJING
    until = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time()) - BEIJING
    return list(db.scalars(select(Clue).where(Clue.created_at >= since, Clue.created_at < until).order_by(Clue.id)))


def report_rows(db: Session, period: Period) -> list[list[object]]:
    rulebook = knowledge.rulebook()
    rows: list[list[object]] = []
    for n, clue in enumerate(period_clues(db, period), 1):
        app = db.get(App, clue.app_id) if clue.app_id else None
        version = db.get(AppVersion, clue.version_id) if clue.version_id else None
        campaign = db.get(Campaign, clue.campaign_id) if clue.campaign_id else None
        vendor = db.get(User, clue.vendor_id) if clue.vendor_id else None
        rule = rulebook.get(clue.rule_id)
        sdk = f"{clue.sdk_id}（{vendor.name}）" if clue.sdk_id and vendor else (clue.sdk_id or "")
        rows.append([n, clue.id, (clue.created_at + BEIJING).date().isoformat(), SOURCES_ZH.get(clue.source, clue.source),
                     (app.label or app.package) if app else (clue.app_name or ""), app.package if app else "",
                     version.version_name or "" if version else "", sdk, notice_category(clue.rule_id),
                     clue.rule_id, SEVERITY_ZH.get(rule.severity, rule.severity) if rule else "",
                     campaign.name if campaign else "", STATUS_ZH.get(clue.status, clue.status), clue.note])
    return rows


def report_xlsx(db: Session, period: Period) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"线索 {period.end:%Y-%m}"
    ws.append(list(HEADERS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in report_rows(db, period):
        ws.append([neutralise_formula(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
