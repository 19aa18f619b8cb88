"""Store listings recorded on the platform: the checks of `hegui.listing` against the app's latest report, and
recording one (the REST API and the web form both do)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hegui.listing import ListingInput, ScannedFacts, listing_observations
from hegui.platform import workflow
from hegui.platform.accounts import audit
from hegui.platform.db import App, StoreListing, User
from hegui.platform.scans import version_report
from hegui.rules.engine import evaluate

__all__ = ["ListingInput", "check_listing", "record_listing"]


def check_listing(listing: ListingInput, report: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Findings (report format, JSON-ready) for one store listing against the app's latest report."""
    scanned = None
    if report:
        scanned = ScannedFacts(permissions=tuple((p["name"], bool(p.get("dangerous")))
                                                 for p in report.get("permissions", [])),
                               version_name=(report.get("app") or {}).get("version_name"),
                               described_as="the latest scanned APK")
    findings = evaluate(listing_observations(listing, scanned))
    return [f.model_dump(mode="json") for f in findings]


def record_listing(db: Session, user: User, app: App, data: ListingInput) -> StoreListing:
    """Store what a store page shows, with its findings against the app's latest version (audited)."""
    latest = workflow.latest_version(db, app)
    findings = check_listing(data, version_report(db, latest) if latest else None)
    row = StoreListing(app_id=app.id, store=data.store, version_name=data.version_name,
                       permissions=data.permissions, policy_url=data.policy_url, developer_name=data.developer_name,
                       developer_contact=data.developer_contact, findings=findings, created_by=user.id)
    db.add(row)
    db.flush()
    audit(db, user, "listing.record", f"listing:{row.id}", f"{app.package} {data.store}: {len(findings)} findings")
    return row
