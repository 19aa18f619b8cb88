"""The SDK-by-version table (`sdk_usages`): one row per third-party SDK in each filed version, written when a
scan is filed, so the SDK pages, the SDK API and the dashboard read counts instead of every stored report.

`usage_rows` is a pure function of a report (JSON, as stored): migration 0005 backfills existing versions with
it, and filing (`record_version`) uses the same function, so both give the same rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hegui.platform.db import App, AppVersion, SdkUsage
from hegui.platform.vocab import AppKind
from hegui.report.model import SEVERITY_ORDER

# Findings that say the SDK collects before the user consents (the rulebook's ids; test_platform_sdk_usage
# checks they exist there). The SDK pages count them apart: they are what a regulator acts on first.
BEFORE_CONSENT_RULES = frozenset({"PI-COLLECT-BEFORE-CONSENT", "PI-SDK-COLLECT-BEFORE-CONSENT"})


def usage_rows(report: Mapping[str, Any], sdk_version: str | None = None) -> list[dict[str, Any]]:
    """The rows of one version: per SDK id its name, the findings whose subject it is (all, before consent,
    worst severity) and its PI call sites (all, at startup, the distinct (pi_type, api, at_startup))."""
    rows: dict[str, dict[str, Any]] = {}
    for sdk in report.get("sdks") or []:
        rows.setdefault(sdk["id"], {"sdk_id": sdk["id"][:120], "sdk_name": (sdk.get("name") or sdk["id"])[:255],
                                    "sdk_version": sdk_version, "findings": 0, "before_consent_findings": 0,
                                    "worst_rank": 0, "pi_call_sites": 0, "startup_call_sites": 0, "calls": []})
    for finding in report.get("findings") or []:
        row = rows.get(finding.get("subject"))
        if row is None:
            continue
        row["findings"] += 1
        row["before_consent_findings"] += finding.get("rule_id") in BEFORE_CONSENT_RULES
        row["worst_rank"] = max(row["worst_rank"], SEVERITY_ORDER.get(finding.get("severity"), 0))
    for call in report.get("sensitive_calls") or []:
        row = rows.get(call.get("sdk"))
        if row is None:
            continue
        row["pi_call_sites"] += 1
        row["startup_call_sites"] += bool(call.get("at_startup"))
        site = [call["pi_type"], call["api"], bool(call.get("at_startup"))]
        if site not in row["calls"]:
            row["calls"].append(site)
    for row in rows.values():
        row["calls"].sort()
    return list(rows.values())


def latest_version_id(versions: Iterable[tuple[int, int | None]]) -> int | None:
    """Of (version id, versionCode) pairs, the latest version as workflow.latest_version orders them: the highest
    versionCode, builds without one last, the newest upload first among equals."""
    ordered = sorted(versions, key=lambda v: (v[1] is not None, v[1] or 0, v[0]), reverse=True)
    return ordered[0][0] if ordered else None


def refresh_latest(db: Session, app_id: int) -> None:
    """Mark the rows of the app's latest version as the ones that count (a rebuilt older version uploaded later
    does not take the mark from the newer one)."""
    latest = latest_version_id(db.execute(select(AppVersion.id, AppVersion.version_code)
                                          .where(AppVersion.app_id == app_id)).all())
    db.execute(update(SdkUsage).where(SdkUsage.app_id == app_id)
               .values(latest=SdkUsage.version_id == latest if latest is not None else False))


def record_version(db: Session, app: App, version: AppVersion, report: Mapping[str, Any]) -> None:
    """(Re)write the SDK rows of a version being filed and re-mark the app's latest version. An SDK's own
    package (an SDK record) gives its version name as the SDK version; an app does not state its SDKs' versions."""
    db.execute(delete(SdkUsage).where(SdkUsage.version_id == version.id))
    sdk_version = version.version_name if app.kind == AppKind.SDK else None
    db.add_all(SdkUsage(app_id=app.id, version_id=version.id, **row) for row in usage_rows(report, sdk_version))
    db.flush()
    refresh_latest(db, app.id)
