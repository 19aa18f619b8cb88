"""The supervision workflow: violation clues → rectification cases (notice, 5-working-day deadline,
automatic re-check of the next version, closing or escalation), repeat offenders, complaints, version diffs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui import knowledge
from hegui.platform import access, marks
from hegui.platform.access import OWNER_ROLE
from hegui.platform.accounts import audit
from hegui.platform.db import (
    App,
    AppVersion,
    Case,
    CaseAnswer,
    Clue,
    Complaint,
    FindingRow,
    RepeatOffence,
    Scan,
    User,
    count_rows,
    utcnow,
)
from hegui.platform.messages import Message, Refusal
from hegui.platform.vocab import (
    OPEN_CASE_STATUSES,
    AppKind,
    CaseStatus,
    ClueStatus,
    ComplaintStatus,
    Escalation,
)
from hegui.platform.workdays import WorkCalendar


class WorkflowError(Refusal):
    """A request the workflow refuses; `str(err)` is a one-line English reason, `err.reason(lang)` the reason in
    the reader's language."""


def rectification_days() -> int:
    return int(knowledge.thresholds()["rectification_working_days"]["value"])


def complaint_days() -> int:
    return int(knowledge.thresholds()["complaint_platform_resolution_days"]["value"])


def latest_version(db: Session, app: App) -> AppVersion | None:
    """The newest build by versionCode (what Android installs over), not the last upload: a rebuilt old version
    uploaded later is not the app's current state. Builds without a versionCode come last, newest upload first."""
    return db.scalar(select(AppVersion).where(AppVersion.app_id == app.id)
                     .order_by(AppVersion.version_code.desc().nulls_last(), AppVersion.id.desc()).limit(1))


def newer(version: AppVersion, than: AppVersion) -> bool:
    """Whether `version` supersedes `than`: a higher versionCode; without versionCodes, a later upload."""
    if version.version_code is not None and than.version_code is not None:
        return version.version_code > than.version_code
    return version.id > than.id


def changed_build_of(db: Session, version: AppVersion) -> AppVersion | None:
    """An earlier upload with the same versionCode but other bytes: the same version number shipping changed
    code, the "hot switch" the 2023 measures ask stores to catch."""
    if version.version_code is None:
        return None
    return db.scalar(select(AppVersion).where(AppVersion.app_id == version.app_id, AppVersion.id != version.id,
                                              AppVersion.version_code == version.version_code,
                                              AppVersion.sha256 != version.sha256)
                     .order_by(AppVersion.id).limit(1))


def version_rule_ids(db: Session, version: AppVersion) -> set[str]:
    return set(db.scalars(select(FindingRow.rule_id).where(FindingRow.version_id == version.id)))


# --- clues -------------------------------------------------------------------------------------------------

def create_clue(db: Session, user: User, app: App, rule_id: str, note: str = "") -> Clue:
    version = latest_version(db, app)
    if rule_id not in knowledge.rulebook():
        raise WorkflowError(Message("refused.unknown_rule", {"rule": rule_id}))
    if version is not None and rule_id in version_rule_ids(db, version) and not marks.live_rules(db, version, [rule_id]):
        raise WorkflowError(Message("refused.clue_marked_false_positive", {"rule": rule_id}))
    clue = Clue(app_id=app.id, rule_id=rule_id, version_id=version.id if version else None, note=note[:4000],
                created_by=user.id)
    db.add(clue)
    db.flush()
    audit(db, user, "clue.create", f"clue:{clue.id}", f"{app.package} {rule_id}")
    return clue


# --- cases -------------------------------------------------------------------------------------------------

def open_case(db: Session, user: User, app: App, rule_ids: Iterable[str], today: dt.date, note: str = "", *,
              calendar: WorkCalendar) -> Case:
    """Send a rectification notice for findings of the app's latest version; the deadline counts 5 working
    days on the Chinese calendar (`calendar`) from the notice date."""
    version = latest_version(db, app)
    if version is None:
        raise WorkflowError(Message("refused.no_scanned_version"))
    wanted = sorted(set(rule_ids))
    if not wanted:
        raise WorkflowError(Message("refused.choose_finding"))
    present = marks.live_rules(db, version)
    missing = [r for r in wanted if r not in present]
    if missing:
        raise WorkflowError(Message("refused.not_latest_findings", {"rules": missing}))
    if db.scalar(select(Case.id).where(Case.app_id == app.id, Case.status == CaseStatus.NOTICE_SENT)) is not None:
        raise WorkflowError(Message("refused.case_waiting"))
    deadline, exact = calendar.add_working_days(today, rectification_days())
    case = Case(app_id=app.id, version_id=version.id, rule_ids=wanted, status=CaseStatus.NOTICE_SENT, notice_date=today,
                deadline=deadline, deadline_approximate=not exact, note=note[:4000], created_by=user.id)
    db.add(case)
    db.flush()
    for clue in db.scalars(select(Clue).where(Clue.app_id == app.id, Clue.rule_id.in_(wanted), Clue.status == ClueStatus.OPEN)):
        clue.status = ClueStatus.IN_CASE
    audit(db, user, "case.open", f"case:{case.id}", message=Message(
        "case.opened", {"package": app.package, "deadline": deadline.isoformat(), "rules": wanted}))
    return case


def case_overdue(case: Case, today: dt.date) -> bool:
    return case.status == CaseStatus.NOTICE_SENT and today > case.deadline


def escalation_due(case: Case, today: dt.date) -> bool:
    """Escalation follows a failed re-check or a missed deadline (or a case already escalated one step)."""
    return case.status in (CaseStatus.RECHECK_FAILED, CaseStatus.ESCALATED) or case_overdue(case, today)


def escalate_case(db: Session, user: User, case: Case, escalation: str, note: str = "", *,
                  today: dt.date | None = None, override_reason: str = "") -> None:
    """Escalate a case. Before the deadline has passed (and without a failed re-check) the developer still has
    time to rectify: a regulator may escalate anyway only with a reason, which the audit log keeps."""
    if escalation not in tuple(Escalation):
        raise WorkflowError(Message("refused.unknown_escalation", {"escalation": escalation,
                                                                   "choices": [e.value for e in Escalation]}))
    if case.status not in OPEN_CASE_STATUSES:
        raise WorkflowError(Message("refused.case_not_open"))
    today = today or dt.date.today()
    override_reason = override_reason.strip()[:2000]
    due = escalation_due(case, today)
    if not due and not override_reason:
        raise WorkflowError(Message("refused.override_needs_reason", {"deadline": case.deadline.isoformat()}))
    case.status, case.escalation = CaseStatus.ESCALATED, escalation
    if note:
        case.note = (case.note + "\n" + note[:4000]).strip()
    message = (Message("case.escalated", {"escalation": escalation}) if due
               else Message("case.escalated_early", {"escalation": escalation, "reason": override_reason}))
    if not due:  # its own event, so the case's timeline shows the override apart from the escalation
        audit(db, user, "case.override", f"case:{case.id}", override_reason)  # the regulator's words, as typed
    audit(db, user, "case.escalate", f"case:{case.id}", message=message)


def after_new_version(db: Session, app: App, version: AppVersion, rule_ids: set[str]) -> list[Message]:
    """A new build was scanned: re-check the app's waiting cases against it when it supersedes the version each
    case was opened on, flag a changed build under a known versionCode, and look for returning problems.
    Returns notes for the scan (one sentence each)."""
    notes: list[Message] = []
    twin = changed_build_of(db, version)
    if twin is not None:
        note = Message("scan.changed_build", {"version_code": version.version_code, "sha256": twin.sha256[:12],
                                              "version": twin.version_name})
        notes.append(note)
        audit(db, None, "version.changed_build", f"app:{app.id}", message=note)
    link_named_clues(db, app, version)
    rule_ids = marks.live_rules(db, version, rule_ids)  # a finding marked a false positive keeps no case open
    # A failed re-check is tried again on a build the developer answered the case with (cases.answer_case).
    answered = set(db.scalars(select(CaseAnswer.case_id).where(CaseAnswer.scan_id == version.scan_id)))
    waiting = db.scalars(select(Case).where(Case.app_id == app.id, Case.version_id != version.id,
                                            (Case.status == CaseStatus.NOTICE_SENT)
                                            | ((Case.status == CaseStatus.RECHECK_FAILED)
                                               & Case.id.in_(answered or {-1})))
                         .order_by(Case.id))
    for case in waiting:
        opened_on = db.get(AppVersion, case.recheck_version_id or case.version_id)
        if opened_on is not None and (opened_on.id == version.id or not newer(version, opened_on)):
            notes.append(Message("case.recheck_skipped_rechecked" if case.recheck_version_id
                                 else "case.recheck_skipped_opened",
                                 {"case": case.id, "version_code": version.version_code,
                                  "old_code": opened_on.version_code, "old_version": opened_on.version_name}))
            audit(db, None, "case.recheck_skipped", f"case:{case.id}", message=notes[-1])
            continue
        remaining = sorted(set(case.rule_ids) & rule_ids)
        case.recheck_version_id, case.remaining_rule_ids = version.id, remaining
        if remaining:
            case.status = CaseStatus.RECHECK_FAILED
            audit(db, None, "case.recheck_failed", f"case:{case.id}", message=Message(
                "case.recheck_failed", {"version": version.version_name, "version_code": version.version_code,
                                        "rules": remaining}))
        else:
            case.status, case.closed_at = CaseStatus.CLOSED, utcnow()
            audit(db, None, "case.closed", f"case:{case.id}",
                  message=Message("case.closed_rectified", {"version": version.version_name}))
    closed = db.scalars(select(Case).where(Case.app_id == app.id, Case.status == CaseStatus.CLOSED,
                                           Case.recheck_version_id.is_not(None),
                                           Case.recheck_version_id < version.id))
    for case in closed:
        # A rule the re-check still found closed the case on a reviewer's false-positive verdict, not rectified:
        # finding it again (in a build the verdict does not cover) is no return.
        rechecked = db.get(AppVersion, case.recheck_version_id)
        unrectified = version_rule_ids(db, rechecked) if rechecked is not None else set()
        for rule_id in sorted(set(case.rule_ids) & rule_ids - unrectified):
            known = db.scalar(select(RepeatOffence.id).where(RepeatOffence.case_id == case.id,
                                                             RepeatOffence.rule_id == rule_id))
            if known is None:
                db.add(RepeatOffence(app_id=app.id, rule_id=rule_id, case_id=case.id, version_id=version.id))
                app.repeat_offender = True
                audit(db, None, "app.repeat_offender", f"app:{app.id}", f"{rule_id} returned after case {case.id}")
    return notes


def link_named_clues(db: Session, app: App, version: AppVersion) -> None:
    """Open clues from tips or complaints that named an app not yet on the platform, by its package or its name,
    are linked to it once a version of it is filed (they can then become a case)."""
    names = {app.package, *([app.label] if app.label else [])}
    for clue in db.scalars(select(Clue).where(Clue.app_id.is_(None), Clue.sdk_id.is_(None),
                                              Clue.status == ClueStatus.OPEN, Clue.app_name.in_(names))):
        clue.app_id, clue.version_id = app.id, version.id
        audit(db, None, "clue.linked", f"clue:{clue.id}", f"{clue.app_name} is {app.package}")


def reconsider_after_mark(db: Session, user: User, app: App) -> None:
    """A finding was marked a false positive: failed re-checks of the app that rested on it are counted again,
    and a case with nothing left is closed."""
    for case in db.scalars(select(Case).where(Case.app_id == app.id, Case.status == CaseStatus.RECHECK_FAILED,
                                              Case.recheck_version_id.is_not(None)).order_by(Case.id)):
        version = db.get(AppVersion, case.recheck_version_id)
        remaining = sorted(set(case.rule_ids) & marks.live_rules(db, version))
        if remaining == sorted(case.remaining_rule_ids or []):
            continue
        case.remaining_rule_ids = remaining
        if remaining:
            audit(db, user, "case.recheck_failed", f"case:{case.id}",
                  message=Message("case.recheck_failed_after_mark", {"rules": remaining}))
        else:
            case.status, case.closed_at = CaseStatus.CLOSED, utcnow()
            audit(db, user, "case.closed", f"case:{case.id}", message=Message("case.closed_false_positives"))


# --- complaints --------------------------------------------------------------------------------------------

def receive_complaint(db: Session, user: User, app_name: str, complainant: str, content: str, today: dt.date,
                      app: App | None = None) -> Complaint:
    if not app_name.strip() or not content.strip():
        raise WorkflowError(Message("refused.complaint_incomplete"))
    complaint = Complaint(app_id=app.id if app else None, app_name=app_name.strip()[:255],
                          complainant=complainant.strip()[:255], content=content.strip()[:10000],
                          received_on=today, due_on=today + dt.timedelta(days=complaint_days()),
                          status=ComplaintStatus.RECEIVED, created_by=user.id)
    db.add(complaint)
    db.flush()
    audit(db, user, "complaint.receive", f"complaint:{complaint.id}", complaint.app_name)
    return complaint


def assign_complaint(db: Session, user: User, complaint: Complaint, assignee: User) -> None:
    if assignee.role not in access.STAFF:
        raise WorkflowError(Message("refused.complaint_assignee"))
    if complaint.status == ComplaintStatus.RESOLVED:
        raise WorkflowError(Message("refused.complaint_resolved"))
    complaint.assignee_id, complaint.status = assignee.id, ComplaintStatus.ASSIGNED
    audit(db, user, "complaint.assign", f"complaint:{complaint.id}", assignee.name)


def resolve_complaint(db: Session, user: User, complaint: Complaint, resolution: str, today: dt.date) -> None:
    if complaint.status == ComplaintStatus.RESOLVED:
        raise WorkflowError(Message("refused.complaint_resolved"))
    if not resolution.strip():
        raise WorkflowError(Message("refused.complaint_resolution"))
    complaint.status, complaint.resolution, complaint.resolved_on = ComplaintStatus.RESOLVED, resolution.strip()[:10000], today
    audit(db, user, "complaint.resolve", f"complaint:{complaint.id}")


def complaint_overdue(complaint: Complaint, today: dt.date) -> bool:
    if complaint.status == ComplaintStatus.RESOLVED:
        return complaint.resolved_on is not None and complaint.resolved_on > complaint.due_on
    return today > complaint.due_on


# --- version diff ------------------------------------------------------------------------------------------

def diff_reports(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """What changed between two reports of one app: permissions, SDKs, sensitive APIs and findings.

    Capabilities that appear in a later version without a matching disclosure are how hot switches show
    up between store reviews."""
    def perms(r: dict[str, Any]) -> set[str]:
        return {p["name"] for p in r.get("permissions", [])}

    def sdks(r: dict[str, Any]) -> set[str]:
        return {s["id"] for s in r.get("sdks", [])}

    def apis(r: dict[str, Any]) -> set[tuple[str, str]]:
        return {(c["pi_type"], c["api"]) for c in r.get("sensitive_calls", [])}

    def findings(r: dict[str, Any]) -> set[tuple[str, str]]:
        return {(f["rule_id"], f["subject"]) for f in r.get("findings", [])}

    return {
        "new_permissions": sorted(perms(new) - perms(old)),
        "removed_permissions": sorted(perms(old) - perms(new)),
        "new_sdks": sorted(sdks(new) - sdks(old)),
        "removed_sdks": sorted(sdks(old) - sdks(new)),
        "new_sensitive_apis": [{"pi_type": p, "api": a} for p, a in sorted(apis(new) - apis(old))],
        "new_findings": [{"rule_id": r, "subject": s} for r, s in sorted(findings(new) - findings(old))],
        "resolved_findings": [{"rule_id": r, "subject": s} for r, s in sorted(findings(old) - findings(new))],
    }


def transfer_ownership(db: Session, actor: User, app: App, new_owner: User) -> None:
    """A regulator gives an app or SDK record to another account (records are owned by whoever filed them
    first; a squatted or sold one is handed to its real developer or vendor). Only an account of the role that
    owns such records can receive it."""
    wanted = OWNER_ROLE[app.kind]
    if new_owner.role != wanted:
        raise WorkflowError(Message("refused.owner_role_sdk" if app.kind == AppKind.SDK else "refused.owner_role_app",
                                    {"user": new_owner.name, "role": new_owner.role, "wanted": wanted}))
    previous = app.owner.name if app.owner else "nobody"
    app.owner_id = new_owner.id
    db.flush()
    db.refresh(app)
    audit(db, actor, "app.owner", f"app:{app.id}", f"{app.package}: {previous} -> {new_owner.name}")


def overview_counts(db: Session, user: User, today: dt.date, calendar: WorkCalendar) -> dict[str, int]:
    """The numbers a role's overview starts with; a developer's count only their own apps and cases."""
    month_start = dt.datetime.combine(today.replace(day=1), dt.time())
    soon, _ = calendar.add_working_days(today, 2)
    cases = access.visible_cases(user)
    counts = {
        "apps": count_rows(db, access.visible_apps(user)),
        "scans_this_month": count_rows(db, access.visible_scans(user).where(Scan.created_at >= month_start)),
        "open_cases": count_rows(db, cases.where(Case.status.in_(OPEN_CASE_STATUSES))),
        "overdue_cases": count_rows(db, cases.where(Case.status == CaseStatus.NOTICE_SENT, Case.deadline < today)),
        "due_within_2_days": count_rows(db, cases.where(Case.status == CaseStatus.NOTICE_SENT, Case.deadline >= today,
                                                        Case.deadline <= soon)),
    }
    if access.sees_all(user):
        counts["open_clues"] = count_rows(db, select(Clue).where(Clue.status == ClueStatus.OPEN))
        counts["open_complaints"] = count_rows(db, select(Complaint).where(Complaint.status != ComplaintStatus.RESOLVED))
    return counts
