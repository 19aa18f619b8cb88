"""Store-listing checks: what an app store page shows versus the rules (PI-STORE-LISTING-INCOMPLETE) and
versus the scanned APK (undeclared permissions, version, developer contact → PI-STORE-REVIEW-LAX).

The checks emit observations; the rule engine judges them with the triggers in
``hegui/knowledge/rules/listing.yaml`` (data, like every other rule)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from hegui import knowledge
from hegui.knowledge import Trigger
from hegui.model import Evidence, Observation
from hegui.rules.engine import evaluate

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


@cache
def listing_triggers() -> tuple[Trigger, ...]:
    entries = knowledge.load_yaml("rules/listing.yaml")["triggers"]
    return tuple(Trigger(rule=e["rule"], observation=e["observation"], where=dict(e.get("where") or {}),
                         severity=e.get("severity"), origin="listing.yaml") for e in entries)


def _ev(detail: str) -> list[Evidence]:
    return [Evidence("listing", detail)]


def listing_observations(listing: ListingInput, report: dict[str, Any] | None) -> list[Observation]:
    obs: list[Observation] = []
    required = {"permissions": listing.permissions, "policy_url": listing.policy_url,
                "developer_name": listing.developer_name, "developer_contact": listing.developer_contact,
                "version": listing.version_name}
    for name, value in required.items():
        if not value:
            obs.append(Observation("listing_field_missing", attrs={"field": name},
                                   evidence=_ev(f"{listing.store}: the page shows no {name.replace('_', ' ')}")))
    declared = {}
    for perm in listing.permissions:
        declared[perm["name"]] = perm.get("purpose", "")
        if not (perm.get("purpose") or "").strip():
            obs.append(Observation("listing_permission_no_purpose", attrs={"permission": perm["name"]},
                                   evidence=_ev(f"{listing.store}: {perm['name']} is listed without a purpose")))
    if listing.policy_url and urlsplit(listing.policy_url).scheme not in ("http", "https"):
        obs.append(Observation("listing_policy_url_invalid", attrs={"url": listing.policy_url},
                               evidence=_ev(f"{listing.store}: privacy policy link is not a web address")))
    contact = (listing.developer_contact or "").strip()
    if contact and not (PHONE.match(contact) or EMAIL.match(contact)):
        obs.append(Observation("listing_contact_invalid", attrs={"contact": contact},
                               evidence=_ev(f"{listing.store}: developer contact {contact!r} is neither a phone "
                                            "number nor an e-mail address")))
    if report:
        for perm in report.get("permissions", []):
            if perm["name"] not in declared:
                obs.append(Observation("listing_permission_undeclared",
                                       attrs={"permission": perm["name"], "dangerous": bool(perm.get("dangerous"))},
                                       evidence=_ev(f"the APK requests {perm['name']}; the {listing.store} page "
                                                    "does not list it")))
        apk_version = (report.get("app") or {}).get("version_name")
        if listing.version_name and apk_version and listing.version_name != apk_version:
            obs.append(Observation("listing_version_mismatch",
                                   attrs={"listing_version": listing.version_name, "apk_version": apk_version},
                                   evidence=_ev(f"{listing.store} shows version {listing.version_name}; the "
                                                f"latest scanned APK is {apk_version}")))
    return obs


def check_listing(listing: ListingInput, report: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Findings (report format, JSON-ready) for one store listing against the app's latest report."""
    findings = evaluate(listing_observations(listing, report), trigger_set=listing_triggers())
    return [f.model_dump(mode="json") for f in findings]
