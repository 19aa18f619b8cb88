"""Observations on one store listing, alone and against the facts of the scanned APK."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from hegui.model import Observation, said

PHONE = re.compile(r"^\+?[0-9][0-9\- ]{5,19}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(slots=True)
class ListingInput:
    store: str
    version_name: str | None = None
    permissions: list[dict[str, str]] = field(default_factory=list)  # [{"name", "purpose"}]
    policy_url: str | None = None
    developer_name: str | None = None
    developer_contact: str | None = None


@dataclass(frozen=True, slots=True)
class ScannedFacts:
    """What the listing is compared with: the permissions the APK requests and its version name."""

    permissions: tuple[tuple[str, bool], ...]  # (name, dangerous)
    version_name: str | None
    described_as: str = "the scanned APK"  # the platform compares with "the latest scanned APK"


def listing_observations(listing: ListingInput, scanned: ScannedFacts | None) -> list[Observation]:
    obs: list[Observation] = []
    required = {"permissions": listing.permissions, "policy_url": listing.policy_url,
                "developer_name": listing.developer_name, "developer_contact": listing.developer_contact,
                "version": listing.version_name}
    for name, value in required.items():
        if not value:
            obs.append(Observation("listing_field_missing", attrs={"field": name},
                                   evidence=[said("listing", "listing_field_missing", store=listing.store, field=name)]))
    declared = {}
    for perm in listing.permissions:
        declared[perm["name"]] = perm.get("purpose", "")
        if not (perm.get("purpose") or "").strip():
            obs.append(Observation("listing_permission_no_purpose", attrs={"permission": perm["name"]},
                                   evidence=[said("listing", "listing_permission_no_purpose", store=listing.store,
                                                  permission=perm["name"])]))
    if listing.policy_url and urlsplit(listing.policy_url).scheme not in ("http", "https"):
        obs.append(Observation("listing_policy_url_invalid", attrs={"url": listing.policy_url},
                               evidence=[said("listing", "listing_policy_url_invalid", store=listing.store)]))
    contact = (listing.developer_contact or "").strip()
    if contact and not (PHONE.match(contact) or EMAIL.match(contact)):
        obs.append(Observation("listing_contact_invalid", attrs={"contact": contact},
                               evidence=[said("listing", "listing_contact_invalid", store=listing.store, contact=repr(contact))]))
    if scanned is None:
        return obs
    for name, dangerous in scanned.permissions:
        if name not in declared:
            obs.append(Observation("listing_permission_undeclared", attrs={"permission": name, "dangerous": dangerous},
                                   evidence=[said("listing", "listing_permission_undeclared", store=listing.store,
                                                  permission=name)]))
    if listing.version_name and scanned.version_name and listing.version_name != scanned.version_name:
        obs.append(Observation("listing_version_mismatch",
                               attrs={"listing_version": listing.version_name, "apk_version": scanned.version_name},
                               evidence=[said("listing", "listing_version_mismatch", store=listing.store,
                                              listing_version=listing.version_name, described_as=scanned.described_as,
                                              apk_version=scanned.version_name)]))
    return obs
