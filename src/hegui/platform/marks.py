"""A reviewer's verdict on a finding: "false_positive" (the scanner was wrong about this rule and subject in this
app) or "accepted" (confirmed). A verdict holds for the version it was given on and every newer build
(workflow.newer), so a re-check and clue filing on later versions respect it: a false positive neither keeps a
case open nor files the same rule + subject as a clue again. Marking again replaces the verdict (audited)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from hegui.platform.accounts import audit
from hegui.platform.db import App, AppVersion, FindingMark, FindingRow, User
from hegui.platform.messages import Message, Refusal
from hegui.platform.vocab import MarkVerdict


class MarkError(Refusal):
    """A mark the platform refuses; `str(err)` is a one-line reason."""


def _covers(db: Session, mark: FindingMark, version: AppVersion) -> bool:
    from hegui.platform.workflow import newer

    if mark.version_id == version.id:
        return True
    marked_on = db.get(AppVersion, mark.version_id)
    return marked_on is not None and newer(version, marked_on)


def marks_for(db: Session, version: AppVersion) -> dict[tuple[str, str], FindingMark]:
    """(rule, subject) → the verdict that holds for `version`."""
    rows = db.scalars(select(FindingMark).where(FindingMark.app_id == version.app_id))
    return {(m.rule_id, m.subject): m for m in rows if _covers(db, m, version)}


def false_positives(db: Session, version: AppVersion) -> set[tuple[str, str]]:
    return {key for key, m in marks_for(db, version).items() if m.verdict == MarkVerdict.FALSE_POSITIVE}


def live_rules(db: Session, version: AppVersion, rule_ids: Iterable[str] | None = None) -> set[str]:
    """The rules of `version` (limited to `rule_ids` if given) with at least one finding not marked a false
    positive: the problems a re-check, a case or a clue may still rest on."""
    wanted = set(rule_ids) if rule_ids is not None else None
    fp = false_positives(db, version)
    found = db.execute(select(FindingRow.rule_id, FindingRow.subject).where(FindingRow.version_id == version.id))
    return {r for r, s in found if (wanted is None or r in wanted) and (r, s) not in fp}


def verdicts(db: Session, findings: Iterable[FindingRow]) -> dict[int, str]:
    """finding id → the verdict that holds for it (findings without one are left out), for a page of a list."""
    rows = list(findings)
    by_app: dict[int, dict[tuple[str, str], FindingMark]] = {}
    for mark in db.scalars(select(FindingMark).where(FindingMark.app_id.in_({f.app_id for f in rows}))):
        by_app.setdefault(mark.app_id, {})[(mark.rule_id, mark.subject)] = mark
    out: dict[int, str] = {}
    for f in rows:
        mark = by_app.get(f.app_id, {}).get((f.rule_id, f.subject))
        if mark is not None and _covers(db, mark, db.get(AppVersion, f.version_id)):
            out[f.id] = mark.verdict
    return out


def holds_clause(verdict: str | None) -> ColumnElement[bool]:
    """SQL for the finding lists' `mark` filter: the FindingRow has a verdict `verdict` holding for its version
    (None: no verdict holds). The same coverage as `_covers`, in the database, so a filtered page is counted
    and paged there."""
    marked_on, version = aliased(AppVersion), aliased(AppVersion)
    covers = ((marked_on.id == version.id)
              | (marked_on.version_code.is_not(None) & version.version_code.is_not(None)
                 & (version.version_code > marked_on.version_code))
              | ((marked_on.version_code.is_(None) | version.version_code.is_(None)) & (version.id > marked_on.id)))
    holding = (select(FindingMark.id).join(marked_on, marked_on.id == FindingMark.version_id)
               .join(version, version.id == FindingRow.version_id)
               .where(FindingMark.app_id == FindingRow.app_id, FindingMark.rule_id == FindingRow.rule_id,
                      FindingMark.subject == FindingRow.subject, covers))
    if verdict is None:
        return ~holding.exists()
    return holding.where(FindingMark.verdict == verdict).exists()


def mark_finding(db: Session, user: User, finding: FindingRow, verdict: str, reason: str) -> FindingMark:
    """Give a verdict on `finding` (its rule + subject in its app, from its version on)."""
    if verdict not in {v.value for v in MarkVerdict}:
        raise MarkError(Message("refused.unknown_verdict", {"choices": [v.value for v in MarkVerdict]}))
    reason = reason.strip()
    if not reason:
        raise MarkError(Message("refused.verdict_reason"))
    mark = db.scalar(select(FindingMark).where(FindingMark.app_id == finding.app_id,
                                               FindingMark.rule_id == finding.rule_id,
                                               FindingMark.subject == finding.subject))
    previous = mark.verdict if mark else None
    if mark is None:
        mark = FindingMark(app_id=finding.app_id, rule_id=finding.rule_id, subject=finding.subject)
        db.add(mark)
    mark.verdict, mark.reason, mark.version_id, mark.created_by = verdict, reason[:4000], finding.version_id, user.id
    db.flush()
    app = db.get(App, finding.app_id)
    audit(db, user, f"finding.{verdict}", f"app:{finding.app_id}",
          f"{app.package} {finding.rule_id} subject={finding.subject} version={finding.version_id}"
          + (f" (was {previous})" if previous else "") + f": {reason[:1500]}")
    if verdict == MarkVerdict.FALSE_POSITIVE:
        from hegui.platform.workflow import reconsider_after_mark

        reconsider_after_mark(db, user, app)
    return mark
