"""Store listings recorded on the platform: the checks of `hegui.listing` against the app's latest report."""

from __future__ import annotations

from typing import Any

from hegui.listing import ListingInput, ScannedFacts, listing_observations
from hegui.rules.engine import evaluate

__all__ = ["ListingInput", "check_listing"]


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
