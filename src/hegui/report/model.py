"""The JSON report of ../shared/CONTRACT.md (schema_version "1") as pydantic models.

These models are the boundary other tools rely on: add fields, never rename or drop one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"

Severity = Literal["low", "medium", "high", "critical"]
SEVERITY_ORDER: dict[str, int] = {"low": 1, "medium": 2, "high": 3, "critical": 4}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tool(_Model):
    name: Literal["hegui"] = "hegui"
    version: str


class InputInfo(_Model):
    path: str
    sha256: str
    size: int
    kind: Literal["apk", "aar", "jar"] | None = None  # what the scanner read the file as (from its entries)


class Signer(_Model):
    sha256: str
    subject: str = ""
    scheme: str | None = None  # "v1", "v2", "v3" — an addition to the contract


class AppInfo(_Model):
    package: str | None = None
    version_name: str | None = None
    version_code: int | None = None
    label: str | None = None
    min_sdk: int | None = None
    target_sdk: int | None = None
    signers: list[Signer] = Field(default_factory=list)
    # addition to the contract: the 2021 necessary-PI app type (1-39) judged against, and whether the user gave it
    # (`--category`) or the scan inferred it from the policy, label and package; None when neither
    app_type: int | None = None
    app_type_source: Literal["option", "inferred"] | None = None


class Permission(_Model):
    name: str
    dangerous: bool


class Sdk(_Model):
    id: str
    name: str
    company: str | None = None
    category: str | None = None
    packages: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)


class SensitiveCall(_Model):
    pi_type: str
    api: str
    caller: str
    sdk: str | None
    at_startup: bool
    via_reflection: bool
    # addition to the contract: whether the call collects (detect/semantics.py): yes | no_permission |
    # guarded | not_broad | intent_unknown | user_action
    collects: str = "yes"
    collects_reason: str | None = None  # addition: why it does not collect, "English / 中文"; None when it does


class PolicyElement(_Model):
    """Why an element counts as present: the sentence that proves it (addition to the contract)."""

    present: bool
    excerpt: str | None = None


class Policy(_Model):
    found: bool
    source: str | None = None
    elements: dict[str, bool] = Field(default_factory=dict)
    excerpts: dict[str, str] = Field(default_factory=dict)  # element -> the sentence that proves it (addition)
    declared_pi_types: list[str] = Field(default_factory=list)
    declared_sdks: list[str] = Field(default_factory=list)
    declared_permissions: list[str] = Field(default_factory=list)


class SourceRef(_Model):
    doc: str
    clause: str


class EvidenceItem(_Model):
    kind: Literal["call", "manifest", "policy", "trace", "listing", "resource", "string", "sdk"]
    detail: str


class Remediation(_Model):
    zh: str
    en: str


class Finding(_Model):
    rule_id: str
    severity: Severity
    title_zh: str
    title_en: str
    sources: list[SourceRef]
    subject: str
    evidence: list[EvidenceItem]
    remediation: Remediation | str


class ErrorItem(_Model):
    stage: str
    message: str


class Report(_Model):
    schema_version: Literal["1"] = SCHEMA_VERSION
    tool: Tool
    input: InputInfo
    app: AppInfo = Field(default_factory=AppInfo)
    permissions: list[Permission] = Field(default_factory=list)
    sdks: list[Sdk] = Field(default_factory=list)
    sensitive_calls: list[SensitiveCall] = Field(default_factory=list)
    policy: Policy = Field(default_factory=lambda: Policy(found=False))
    findings: list[Finding] = Field(default_factory=list)
    errors: list[ErrorItem] = Field(default_factory=list)

    def max_severity(self) -> int:
        return max((SEVERITY_ORDER[f.severity] for f in self.findings), default=0)
