"""Anti-squatting: an app record is bound to the certificates its first signed version was signed with.

A later version signed by none of them is a possible counterfeit (the 26 measures ask stores to detect
counterfeit apps) — or the record was squatted by an account that filed the package first with its own key.
Either way it is never filed under the record: the scan is "held" for a regulator, who decides "counterfeit"
(it stays unfiled) or "genuine" (the version is filed; unless an earlier decision already re-bound the record to
its certificates, the record is re-bound to them and its owner becomes the uploader if that is an owner account
— a developer for apps, a vendor for SDKs — and nobody otherwise, for a regulator to assign). The record's owner never
sees a held scan: scans are visible to their uploader and to staff only.

The scanner reads which certificates an APK claims (apk/signing.py) without verifying the signatures, so the
binding stops an account signing with its own key, not one that copies the genuine certificate into a forged
signing block. One shared certificate is enough to match, so a key rotation (v3 lineage: old certificate in the
v1/v2 blocks, new in v3) is not taken for a counterfeit.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.platform import access
from hegui.platform.accounts import audit
from hegui.platform.db import App, Scan, User
from hegui.platform.messages import Message, Refusal
from hegui.platform.vocab import HeldDecision, Review
from hegui.report.model import Report


class DecisionError(Refusal):
    """A decision about a held scan the platform refuses (English `str(err)`, `err.reason(lang)`)."""


def version_certs(report: Report) -> list[str]:
    return sorted({s.sha256.lower() for s in report.app.signers if s.sha256})


def matches(app: App, certs: list[str]) -> bool:
    return app.signing_certs is None or bool(set(app.signing_certs) & set(certs))


def hold(db: Session, scan: Scan, app: App, certs: list[str]) -> None:
    scan.review, scan.held_app_id = Review.HELD, app.id
    from hegui.platform.scans import note_scan

    signed = f"signed by {', '.join(c[:16] for c in certs)}" if certs else "unsigned"
    note_scan(scan, Message("scan.held_signed", {"package": app.package, "certs": [c[:16] for c in certs]}) if certs
              else Message("scan.held_unsigned", {"package": app.package}))
    audit(db, None, "scan.held", f"scan:{scan.id}", f"app:{app.id} {signed}")


def held_scans(db: Session) -> list[Scan]:
    return list(db.scalars(select(Scan).where(Scan.review == Review.HELD).order_by(Scan.id)))


def decide(db: Session, regulator: User, scan: Scan, decision: str, reason: str) -> None:
    """A regulator's decision about a held scan. Raises DecisionError (one line) when it cannot be taken."""
    from hegui.platform.scans import _file_version, note_scan

    if decision not in tuple(HeldDecision):
        raise DecisionError(Message("refused.unknown_decision", {"choices": [d.value for d in HeldDecision]}))
    if scan.review != Review.HELD:
        raise DecisionError(Message("refused.not_held", {"scan": scan.id}))
    if not reason.strip():
        raise DecisionError(Message("refused.decision_reason"))
    app = db.get(App, scan.held_app_id) if scan.held_app_id else None
    if app is None:
        raise DecisionError(Message("refused.held_app_gone"))
    audit(db, regulator, f"scan.{decision}", f"scan:{scan.id}", f"app:{app.id}: {reason.strip()[:1800]}")
    if decision == HeldDecision.COUNTERFEIT:
        scan.review = Review.COUNTERFEIT
        note_scan(scan, Message("scan.counterfeit", {"package": app.package}))
        return
    report = Report.model_validate(scan.report_json)
    certs = version_certs(report)
    if not matches(app, certs):  # not re-bound meanwhile by another decision: the owner signed with another key
        uploader = db.get(User, scan.uploader_id)
        previous = app.owner_id
        app.signing_certs = certs or None
        app.owner_id = uploader.id if uploader.role == access.OWNER_ROLE[app.kind] else None
        if previous != app.owner_id:
            audit(db, regulator, "app.owner", f"app:{app.id}", f"{previous} -> {app.owner_id} (genuine version)")
    scan.review, scan.note, scan.note_messages = Review.GENUINE, None, None
    _file_version(db, scan, report)
