"""Store listings: what an app store page shows, read from a file (`hegui scan --listing`) or recorded on the
platform, and checked against the rules (PI-STORE-LISTING-INCOMPLETE) and against the scanned APK
(undeclared permissions, version, developer contact → PI-STORE-REVIEW-LAX).

The checks emit observations; the rule engine judges them with the triggers in
``hegui/knowledge/rules/listing.yaml`` (data, like every other rule)."""

from hegui.listing.checks import ListingInput, ScannedFacts, listing_observations
from hegui.listing.reader import MAX_LISTING_BYTES, read_listing

__all__ = ["MAX_LISTING_BYTES", "ListingInput", "ScannedFacts", "listing_observations", "read_listing"]
