"""The JSON report of ../shared/CONTRACT.md (schema_version "1") as pydantic models.

These models are the boundary other tools rely on: add fields, never rename or drop one.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

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
    # what the scanner read the file as (from its entries); wxapkg/miniapp_dir/rpk/hap: an addition to the contract
    kind: Literal["apk", "aar", "jar", "wxapkg", "miniapp_dir", "rpk", "hap"] | None = None


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
    # addition: manifest components/meta-data are declared but no code of the SDK is in the APK; no behaviour
    # finding is raised for it
    declared_only: bool = False


class PlatformLibraryUse(_Model):
    """A platform library (AndroidX, support library, Kotlin, Material…) in the APK (addition to the contract).
    Findings on its call sites have the subject `subject` ("platform:<id>")."""

    id: str
    name: str
    subject: str
    classes: int
    versions: dict[str, str] = Field(default_factory=dict)  # "group:artifact" -> version from META-INF/*.version


class SensitiveCall(_Model):
    pi_type: str
    api: str
    caller: str
    sdk: str | None
    at_startup: bool
    via_reflection: bool
    platform_library: str | None = None  # addition: platform library id of the caller (then sdk is null)
    # addition to the contract: whether the call collects (detect/semantics.py): yes | no_permission |
    # guarded | not_broad | intent_unknown | user_action | own_storage
    collects: str = "yes"
    collects_reason: str | None = None  # addition: why it does not collect, "English / 中文"; None when it does


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
    detail: str  # the English line, as before
    # Contract addition: the same line in Chinese, the template it was written from, and the facts it states,
    # so a tool reads the API or the caller without parsing the English.
    zh: str | None = None
    template: str | None = None
    pi_type: str | None = None
    api: str | None = None
    caller: str | None = None
    sdk: str | None = None
    path: list[str] | None = None  # a call chain from a startup entry point, entry first
    component: str | None = None
    permission: str | None = None
    file: str | None = None
    excerpt: str | None = None

    @model_serializer(mode="wrap")
    def _facts_given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A fact the line does not state is left out, not null: `"sdk": null` would read as "the app's own code".
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None or k in ("kind", "detail")}


class Remediation(_Model):
    zh: str
    en: str


class Finding(_Model):
    rule_id: str
    severity: Severity
    title_zh: str
    title_en: str
    sources: list[SourceRef]
    # "app", an SDK id, or (addition) "platform:<id>" for a platform library (AndroidX, support library, Kotlin,
    # Material: report.platform_libraries names it and its version)
    subject: str
    evidence: list[EvidenceItem]
    remediation: Remediation | str


class Stats(_Model):
    """The size of what was analysed (contract addition): DEX methods indexed, how many of them can run as
    the process starts (the startup call graph, CONTRACT.md `at_startup`) and how many can run at all."""

    methods: int
    startup_reachable_methods: int
    # of an APK (not an SDK package, whose every public method the host may call): the methods some manifest
    # component, resource-named class or native library can reach, and the sensitive calls outside them
    # (dead code: never a finding)
    live_methods: int | None = None
    dead_sensitive_calls: int | None = None


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
    platform_libraries: list[PlatformLibraryUse] = Field(default_factory=list)  # addition
    sensitive_calls: list[SensitiveCall] = Field(default_factory=list)
    policy: Policy = Field(default_factory=lambda: Policy(found=False))
    findings: list[Finding] = Field(default_factory=list)
    errors: list[ErrorItem] = Field(default_factory=list)
    stats: Stats | None = None  # absent when no call graph was built (an unreadable input)

    def max_severity(self) -> int:
        return max((SEVERITY_ORDER[f.severity] for f in self.findings), default=0)
