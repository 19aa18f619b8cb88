"""The case from both sides (issue 12): clues that come from an outside tip or a complaint, clues and cases about
an SDK and its vendor account, a developer's answer (rectification statement + the fixed build, whose scan is
the re-check), and the case's timeline read back from the audit trail and the case records."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui import knowledge
from hegui.platform import access, marks, sdks
from hegui.platform.accounts import audit
from hegui.platform.config import Settings
from hegui.platform.db import App, AppVersion, AuditEvent, Case, CaseAnswer, Clue, Complaint, Scan, User
from hegui.platform.messages import Message, from_json, render_json
from hegui.platform.scans import submit_scan
from hegui.platform.vocab import ANSWERABLE_CASE_STATUSES, CaseStatus, ClueSource, ClueStatus, Role
from hegui.platform.workdays import WorkCalendar
from hegui.platform.workflow import WorkflowError, latest_version, rectification_days


def _rule(rule_id: str) -> str:
    if rule_id not in knowledge.rulebook():
        raise WorkflowError(Message("refused.unknown_rule", {"rule": rule_id}))
    return rule_id


# --- clues from outside the scanner ------------------------------------------------------------------------

def clue_from_tip(db: Session, user: User, rule_id: str, note: str, *, app: App | None = None,
                  app_name: str = "") -> Clue:
    """A clue from an outside tip (a letter, a call, another authority's referral): about an app on the
    platform, or one named only (`app_name`) until it is uploaded. The tip's content is the note."""
    _rule(rule_id)
    app_name = app_name.strip()[:255]
    if app is None and not app_name:
        raise WorkflowError(Message("refused.tip_names_app"))
    if not note.strip():
        raise WorkflowError(Message("refused.tip_content"))
    version = latest_version(db, app) if app else None
    clue = Clue(app_id=app.id if app else None, app_name=None if app else app_name, rule_id=rule_id,
                source=ClueSource.TIP,
                version_id=version.id if version else None, note=note.strip()[:4000], created_by=user.id)
    db.add(clue)
    db.flush()
    audit(db, user, "clue.tip", f"clue:{clue.id}", f"{app.package if app else app_name} {rule_id}")
    return clue


def clue_from_complaint(db: Session, user: User, complaint: Complaint, rule_id: str, note: str = "") -> Clue:
    """A complaint becomes a clue (linked both ways: the clue names the complaint, the complaint's audit trail
    names the clue). A complaint gives one clue per rule."""
    _rule(rule_id)
    if db.scalar(select(Clue.id).where(Clue.complaint_id == complaint.id, Clue.rule_id == rule_id)) is not None:
        raise WorkflowError(Message("refused.complaint_has_clue", {"complaint": complaint.id, "rule": rule_id}))
    app = db.get(App, complaint.app_id) if complaint.app_id else None
    version = latest_version(db, app) if app else None
    text = (note.strip() + "\n" if note.strip() else "") + complaint.content
    clue = Clue(app_id=app.id if app else None, app_name=None if app else complaint.app_name, rule_id=rule_id,
                source=ClueSource.COMPLAINT, complaint_id=complaint.id, version_id=version.id if version else None,
                note=text[:4000], created_by=user.id)
    db.add(clue)
    db.flush()
    audit(db, user, "complaint.clue", f"complaint:{complaint.id}", f"clue:{clue.id} {rule_id}")
    audit(db, user, "clue.complaint", f"clue:{clue.id}", f"from complaint {complaint.id}: {complaint.app_name}")
    return clue


# --- SDK vendors as subjects ---------------------------------------------------------------------------------

def _staff_view(user: User) -> User:
    if not access.sees_all(user):
        raise WorkflowError(Message("refused.staff_only"))
    return user


def sdk_rule_ids(db: Session, user: User, sdk_id: str) -> set[str]:
    """The rules of the findings whose subject is `sdk_id` in the latest versions of the apps embedding it, except
    those a reviewer marked false positives in that app."""
    detail = sdks.sdk_detail(db, _staff_view(user), sdk_id)
    if detail is None:
        raise WorkflowError(Message("refused.sdk_not_embedded", {"sdk": sdk_id}))
    rules: set[str] = set()
    for f in detail.findings:
        version = db.get(AppVersion, f.version_id)
        if (f.rule_id, sdk_id) not in marks.false_positives(db, version):
            rules.add(f.rule_id)
    return rules


def _vendor(user: User) -> User:
    if user.role != Role.SDK_VENDOR:
        raise WorkflowError(Message("refused.not_vendor", {"user": user.name, "role": user.role}))
    return user


def vendor_record(db: Session, vendor: User, sdk_id: str) -> App | None:
    """The vendor's SDK record (an SDK package they uploaded, or one given to them) whose latest version's
    report names `sdk_id`: where a case about the SDK is filed and what the vendor's fixed package re-checks."""
    for record in db.scalars(access.owned_sdk_records(vendor).order_by(App.id)):
        version = latest_version(db, record)
        report = db.get(Scan, version.scan_id).report_json if version else None
        if report and any(s.get("id") == sdk_id for s in report.get("sdks", [])):
            return record
    return None


def sdk_clue(db: Session, user: User, sdk_id: str, vendor: User, rule_id: str, note: str = "") -> Clue:
    """A clue about an SDK (its findings across the apps embedding it), answered for by `vendor`."""
    _vendor(vendor)
    if _rule(rule_id) not in sdk_rule_ids(db, user, sdk_id):
        raise WorkflowError(Message("refused.not_sdk_finding", {"rule": rule_id, "sdk": sdk_id}))
    record = vendor_record(db, vendor, sdk_id)
    clue = Clue(app_id=record.id if record else None, rule_id=rule_id, source=ClueSource.FINDING, sdk_id=sdk_id[:120],
                subject=sdk_id[:120], vendor_id=vendor.id, note=note.strip()[:4000], created_by=user.id)
    db.add(clue)
    db.flush()
    audit(db, user, "clue.sdk", f"clue:{clue.id}", f"sdk {sdk_id} vendor {vendor.name} {rule_id}")
    return clue


def open_sdk_case(db: Session, user: User, sdk_id: str, vendor: User, rule_ids: Iterable[str], today: dt.date,
                  note: str = "", *, calendar: WorkCalendar) -> Case:
    """A rectification notice to an SDK vendor for findings about its SDK across apps. The case is filed on the
    vendor's SDK record, so the vendor sees it and its re-check is the next (newer) version of their package."""
    _vendor(vendor)
    wanted = sorted({_rule(r) for r in rule_ids})
    if not wanted:
        raise WorkflowError(Message("refused.choose_finding"))
    missing = [r for r in wanted if r not in sdk_rule_ids(db, user, sdk_id)]
    if missing:
        raise WorkflowError(Message("refused.not_sdk_findings", {"sdk": sdk_id, "rules": missing}))
    record = vendor_record(db, vendor, sdk_id)
    if record is None:
        raise WorkflowError(Message("refused.vendor_has_no_package", {"vendor": vendor.name, "sdk": sdk_id}))
    if db.scalar(select(Case.id).where(Case.app_id == record.id, Case.sdk_id == sdk_id,
                                       Case.status == CaseStatus.NOTICE_SENT)) is not None:
        raise WorkflowError(Message("refused.sdk_case_waiting", {"sdk": sdk_id}))
    version = latest_version(db, record)
    deadline, exact = calendar.add_working_days(today, rectification_days())
    case = Case(app_id=record.id, version_id=version.id, rule_ids=wanted, status=CaseStatus.NOTICE_SENT, notice_date=today,
                deadline=deadline, deadline_approximate=not exact, note=note.strip()[:4000], created_by=user.id,
                sdk_id=sdk_id[:120])
    db.add(case)
    db.flush()
    for clue in db.scalars(select(Clue).where(Clue.sdk_id == sdk_id, Clue.vendor_id == vendor.id,
                                              Clue.rule_id.in_(wanted), Clue.status == ClueStatus.OPEN)):
        clue.status = ClueStatus.IN_CASE
    audit(db, user, "case.open", f"case:{case.id}", message=Message(
        "case.opened_sdk", {"sdk": sdk_id, "vendor": vendor.name, "package": record.package,
                            "deadline": deadline.isoformat(), "rules": wanted}))
    return case


def sdk_case_findings(db: Session, case: Case) -> list[dict[str, Any]]:
    """The problems an SDK case's notice lists: one report finding per rule of the case, taken from an app whose
    latest version has it about the SDK (the apps are other accounts': their evidence lines are left out, only
    the number of apps is given)."""
    staff = User(role=Role.REGULATOR)  # every app counts, as for the regulator who opened the case
    detail = sdks.sdk_detail(db, staff, case.sdk_id or "")
    found: dict[str, dict[str, Any]] = {}
    apps: dict[str, set[int]] = {}
    for f in detail.findings if detail else []:
        if f.rule_id not in case.rule_ids:
            continue
        apps.setdefault(f.rule_id, set()).add(f.app_id)
        if f.rule_id not in found:
            report = db.get(Scan, db.get(AppVersion, f.version_id).scan_id).report_json or {}
            found[f.rule_id] = next(r for r in report.get("findings", [])
                                    if r["rule_id"] == f.rule_id and r["subject"] == case.sdk_id)
    return [{**found[r], "evidence": [], "apps": len(apps[r])} for r in case.rule_ids if r in found]


def sdk_cases(db: Session, user: User, sdk_id: str) -> list[Case]:
    """The cases about an SDK the user may see (a vendor: those filed on their own records)."""
    return list(db.scalars(access.visible_cases(user).where(Case.sdk_id == sdk_id)))


# --- the developer's answer ----------------------------------------------------------------------------------

def answer_case(db: Session, settings: Settings, user: User, case: Case, statement: str, upload: BinaryIO,
                filename: str | None) -> CaseAnswer:
    """The owner of the case's app (developer or SDK vendor) answers with a rectification statement and the fixed
    build. The build is queued as a scan of theirs; once filed, a build newer than the one the case was opened
    (or last re-checked) on is the case's re-check (workflow.after_new_version). Raises WorkflowError or
    storage.UploadRejected."""
    if case.app.owner_id != user.id:
        raise WorkflowError(Message("refused.answer_not_owner"))
    if case.status not in ANSWERABLE_CASE_STATUSES:  # an escalated or closed case takes none
        raise WorkflowError(Message("refused.case_takes_no_answers", {"status": case.status}))
    statement = statement.strip()
    if not statement:
        raise WorkflowError(Message("refused.statement_missing"))
    scan = submit_scan(db, settings, user, upload, filename)
    answer = CaseAnswer(case_id=case.id, user_id=user.id, statement=statement[:10000], scan_id=scan.id)
    db.add(answer)
    db.flush()
    audit(db, user, "case.answer", f"case:{case.id}",
          message=Message("case.answer", {"answer": answer.id, "scan": scan.id}))
    return answer


def case_answers(db: Session, case: Case) -> list[CaseAnswer]:
    return list(db.scalars(select(CaseAnswer).where(CaseAnswer.case_id == case.id).order_by(CaseAnswer.id)))


# --- the timeline --------------------------------------------------------------------------------------------

# Audit actions on `case:<id>` → the timeline's kind of event.
TIMELINE_KINDS = {
    "case.open": "opened", "case.answer": "answer", "case.recheck_failed": "recheck",
    "case.recheck_skipped": "recheck_skipped", "case.closed": "closed", "case.escalate": "escalation",
    "case.override": "override",
}
_ANSWER = re.compile(r"answer (\d+) with scan (\d+)")


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    at: dt.datetime
    kind: str  # opened | notice | answer | recheck | recheck_skipped | closed | escalation | override
    actor: str | None  # the account; None for the platform's own steps (re-checks)
    detail: str  # the audit's English text, or what a person typed (an answer's statement, an override reason)
    scan_id: int | None = None
    version_id: int | None = None
    # The platform's sentence behind `detail` (None: typed by a person, or an event logged before messages)
    message: Message | None = None

    def text(self, lang: str) -> str:
        """The detail as a reader of `lang` reads it: the platform's sentence in that language, a person's
        words as they were typed."""
        if self.message is None:
            return self.detail
        return render_json(self.message.as_json(), lang, self.detail) or self.detail


def timeline(db: Session, case: Case) -> list[TimelineEvent]:
    """Every event of the case in order: from the audit trail (who did what, when) and the case's records (the
    notice's date and deadline, the answers' statements, the re-checked version)."""
    answers = {a.id: a for a in case_answers(db, case)}
    events: list[TimelineEvent] = []
    rows = db.scalars(select(AuditEvent).where(AuditEvent.target == f"case:{case.id}").order_by(AuditEvent.id))
    for row in rows:
        kind = TIMELINE_KINDS.get(row.action)
        if kind is None:
            continue
        actor = row.user.name if row.user else None
        message = from_json(row.message)
        if kind == "opened":
            events.append(TimelineEvent(row.at, "opened", actor, row.detail, version_id=case.version_id,
                                        message=message))
            notice = Message("case.notice", {"notice_date": case.notice_date.isoformat(),
                                             "deadline": case.deadline.isoformat(), "rules": list(case.rule_ids)})
            events.append(TimelineEvent(row.at, "notice", actor, notice.english(), message=notice))
            continue
        if kind == "answer":
            found = _ANSWER.search(row.detail)
            answer = answers.get(int(found.group(1))) if found else None
            scan = db.get(Scan, answer.scan_id) if answer and answer.scan_id else None
            events.append(TimelineEvent(row.at, "answer", actor, answer.statement if answer else row.detail,
                                        scan_id=scan.id if scan else None,
                                        version_id=scan.version_id if scan else None,
                                        message=None if answer else message))  # the developer's own words
            continue
        events.append(TimelineEvent(row.at, kind, actor, row.detail, message=message))  # re-checks name their version
    return events
