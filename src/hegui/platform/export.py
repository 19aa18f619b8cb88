"""Announcement batches (xlsx and csv, laid out like MIIT / provincial 通报 tables) and the printable
rectification notice's data."""

from __future__ import annotations

import csv
import fnmatch
import io
from dataclasses import dataclass
from functools import cache

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui import knowledge
from hegui.platform.citations import chinese_number, chinese_title
from hegui.platform.db import App, AppVersion, Case, StoreListing
from hegui.platform.vocab import CaseStatus
from hegui.report.cells import neutralise_formula

HEADERS_ZH = ("序号", "应用名称", "应用开发者", "应用版本", "应用来源", "所涉问题")
HEADERS_EN = ("No.", "App", "Developer", "Version", "Store", "Problems")


@dataclass(frozen=True, slots=True)
class AnnouncementRow:
    app: str
    developer: str | None  # the operator as recorded on a store listing; None: not recorded, the row cannot go out
    version: str
    store: str
    problems: str


@cache
def _categories() -> tuple[tuple[str, tuple[str, ...]], ...]:
    data = knowledge.load_yaml("notice_categories.yaml")["notice_categories"]
    return tuple((c["category_zh"], tuple(c["rules"])) for c in data)


def notice_category(rule_id: str) -> str:
    """The 通报 problem category of a rule; the rule's own Chinese title when no category covers it."""
    for category, patterns in _categories():
        if any(fnmatch.fnmatchcase(rule_id, p) for p in patterns):
            return category
    rule = knowledge.rulebook().get(rule_id)
    return rule.title_zh if rule else rule_id


def notice_documents(findings: list[dict]) -> list[dict]:
    """The documents a notice's findings cite, each once by its full name (and number), in the order cited; the
    Chinese title without hegui's English notes on where the document is found (citations.py)."""
    known = knowledge.documents()
    seen: dict[str, dict] = {}
    for finding in findings:
        for source in finding.get("sources", []):
            doc = known.get(str(source.get("doc", "")))
            if doc is not None and doc["id"] not in seen:
                seen[doc["id"]] = {**doc, "title_zh": chinese_title(doc), "number": chinese_number(doc)}
    return list(seen.values())


def problems_text(rule_ids: list[str]) -> str:
    seen: list[str] = []
    for rule_id in rule_ids:
        category = notice_category(rule_id)
        if category not in seen:
            seen.append(category)
    return "；".join(seen)


def announcement_rows(db: Session, escalation: str | None = None) -> list[AnnouncementRow]:
    """One row per escalated or failed-recheck case (optionally only one kind of escalation)."""
    query = select(Case).where(Case.status.in_((CaseStatus.ESCALATED, CaseStatus.RECHECK_FAILED))).order_by(Case.id)
    if escalation:
        query = query.where(Case.escalation == escalation)
    rows: list[AnnouncementRow] = []
    for case in db.scalars(query):
        app: App = case.app
        version = db.get(AppVersion, case.recheck_version_id or case.version_id)
        listing = db.scalar(select(StoreListing).where(StoreListing.app_id == app.id)
                            .order_by(StoreListing.id.desc()).limit(1))
        # A public announcement names the operator. The signing certificate's subject is whatever the developer
        # typed into keytool (often "Android Debug"), so only a developer recorded on a store listing is used.
        developer = listing.developer_name if listing and listing.developer_name else None
        rules = case.remaining_rule_ids or case.rule_ids
        rows.append(AnnouncementRow(app=app.label or app.package, developer=developer,
                                    version=version.version_name or "", store=listing.store if listing else "",
                                    problems=problems_text(list(rules))))
    return rows


def rows_to_csv(rows: list[AnnouncementRow]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADERS_ZH)
    for n, row in enumerate(rows, 1):
        writer.writerow([n, *(neutralise_formula(v) for v in (row.app, row.developer, row.version, row.store, row.problems))])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese correctly


def rows_to_xlsx(rows: list[AnnouncementRow], title: str = "通报") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(HEADERS_ZH))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for n, row in enumerate(rows, 1):
        ws.append([n, *(neutralise_formula(v) for v in (row.app, row.developer, row.version, row.store, row.problems))])
    for column, width in zip("ABCDEF", (6, 28, 32, 14, 16, 48), strict=True):
        ws.column_dimensions[column].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
