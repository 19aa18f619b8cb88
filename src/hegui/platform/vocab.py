"""The platform's status vocabularies, one `StrEnum` each.

Every place that writes or compares a status names a member, so a misspelt status fails at import time instead
of silently matching nothing. Members are `str`s: the database columns stay plain strings (no migration), JSON
answers and templates see the values, and the values are also the i18n keys of the web pages."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal


class Role(StrEnum):
    REGULATOR = "regulator"
    REVIEWER = "reviewer"
    DEVELOPER = "developer"
    SDK_VENDOR = "sdk_vendor"


class ScanStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class InputKind(StrEnum):
    """What the scanner read an upload as (the report's input.kind)."""
    APK = "apk"
    AAR = "aar"
    JAR = "jar"
    WXAPKG = "wxapkg"
    RPK = "rpk"
    HAP = "hap"
    MINIAPP_DIR = "miniapp_dir"


class AppKind(StrEnum):
    """An app record is filed from APKs, an SDK record from AARs and JARs."""
    APP = "app"
    SDK = "sdk"


class Review(StrEnum):
    """Scan.review: a version signed by none of its app record's certificates (signers.py)."""
    HELD = "held"
    COUNTERFEIT = "counterfeit"
    GENUINE = "genuine"


class HeldDecision(StrEnum):
    """What a regulator decides about a held scan (the reviews that end the hold)."""
    COUNTERFEIT = "counterfeit"
    GENUINE = "genuine"


class ClueStatus(StrEnum):
    OPEN = "open"
    IN_CASE = "in_case"


class CaseStatus(StrEnum):
    NOTICE_SENT = "notice_sent"
    RECHECK_FAILED = "recheck_failed"
    CLOSED = "closed"
    ESCALATED = "escalated"


class Escalation(StrEnum):
    PUBLIC_NOTICE = "public_notice"
    REMOVAL = "removal"
    PENALTY = "penalty"
    BAD_LIST = "bad_list"


class ComplaintStatus(StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class AnnouncementFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


# Groups the workflow and the access rules are written in.
STAFF_ROLES = frozenset({Role.REGULATOR, Role.REVIEWER})  # see every app, scan and case
OPEN_CASE_STATUSES = (CaseStatus.NOTICE_SENT, CaseStatus.RECHECK_FAILED, CaseStatus.ESCALATED)
SDK_PACKAGE_KINDS = (InputKind.AAR, InputKind.JAR)  # the uploads filed as SDK records


class ClueSource(StrEnum):
    """Where a clue came from (cases.py, campaigns.py)."""
    FINDING = "finding"
    TIP = "tip"
    COMPLAINT = "complaint"
    CAMPAIGN = "campaign"


class MarkVerdict(StrEnum):
    """A reviewer's verdict on a finding (marks.py)."""
    FALSE_POSITIVE = "false_positive"
    ACCEPTED = "accepted"


class CampaignSource(StrEnum):
    """How a campaign's input reached the platform (campaigns.py)."""
    UPLOAD = "upload"
    URL = "url"
    FOLDER = "folder"


ANSWERABLE_CASE_STATUSES = (CaseStatus.NOTICE_SENT, CaseStatus.RECHECK_FAILED)  # an answer is still awaited


def values_of(vocabulary: type[StrEnum]) -> Any:
    """``Literal[...]`` of the vocabulary's values, for API models and query parameters: validated, refused (422)
    and documented in OpenAPI exactly as a hand-written Literal, from the one list of members."""
    return Literal[tuple(member.value for member in vocabulary)]
