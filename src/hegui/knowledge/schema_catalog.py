"""Models of the catalog files: rules and their sources, documents, thresholds, PI types, permissions, app types,
SDKs (see `hegui.knowledge.schema` for the mechanism)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from hegui.knowledge.schema import (
    Getter,
    Name,
    Names,
    NameSet,
    Severity,
    Strict,
    Words,
    cross_check,
    no_duplicates,
    schema,
)


class SourceClause(Strict):
    doc: str
    clause: str | int | float  # YAML reads 1.3 as a number; the loader keeps it as text


# ---- rulebook.yaml -------------------------------------------------------------------------------------------

class Rule(Strict):
    id: Annotated[str, Field(pattern=r"^PI-[A-Z0-9-]+$")]
    title_zh: str
    title_en: str
    severity: Severity
    sources: list[SourceClause]
    applies_to: list[Literal["app", "sdk", "mini-program", "quick-app", "harmony-app", "store", "terminal"]]
    detection: list[Literal["static_apk", "dynamic_trace", "ui_trace", "privacy_policy_text", "policy_vs_behavior",
                            "store_listing", "manual"]]
    description: str
    remediation_en: str
    remediation_zh: str
    thresholds: list[str] = []
    status: Literal["draft_basis"] | None = None


@schema("rulebook.yaml")
class Rulebook(Strict):
    rules: list[Rule]

    @model_validator(mode="after")
    def _unique(self) -> Rulebook:
        no_duplicates(r.id for r in self.rules)
        return self


@cross_check("rulebook.yaml")
def _rulebook_refs(data: Any, get: Getter) -> Iterator[str]:
    docs = {d["id"] for d in get("documents.yaml")["documents"]}
    limits = {t["id"] for t in get("thresholds.yaml")["thresholds"]}
    for i, r in enumerate(data["rules"]):
        for s in r["sources"]:
            if s["doc"] not in docs:
                yield f"rules[{i}] ({r['id']}): unknown document {s['doc']!r} (documents.yaml)"
        for t in r.get("thresholds") or ():
            if t not in limits:
                yield f"rules[{i}] ({r['id']}): unknown threshold {t!r} (thresholds.yaml)"


# ---- documents.yaml, thresholds.yaml, policy_clauses.yaml, notice_categories.yaml --------------------------

class Document(Strict):
    id: str
    title_zh: str
    title_en: str
    number: str | None = None
    issuer: str | None = None
    kind: str


@schema("documents.yaml")
class Documents(Strict):
    documents: list[Document]


class Threshold(Strict):
    id: str
    value: int | float | dict[str, int | float]
    unit: str | None = None
    meaning: str
    basis: Literal["regulation", "national_standard", "group_standard", "app_store_policy", "platform_default"]
    sources: list[SourceClause]
    notes: str | None = None
    comparator: Literal["<", "<=", ">", ">="] | None = None
    max_prompts: int | None = None


@schema("thresholds.yaml")
class Thresholds(Strict):
    thresholds: list[Threshold]


class PolicyClause(Strict):
    id: str
    name_zh: str
    meaning: str
    keywords_zh: Words
    sources: list[SourceClause]


@schema("policy_clauses.yaml")
class PolicyClauses(Strict):
    policy_clauses: list[PolicyClause]


@cross_check("thresholds.yaml", "policy_clauses.yaml")
def _cited_documents(data: Any, get: Getter) -> Iterator[str]:
    docs = {d["id"] for d in get("documents.yaml")["documents"]}
    key, entries = next(iter(data.items()))
    for i, e in enumerate(entries):
        for s in e["sources"]:
            if s["doc"] not in docs:
                yield f"{key}[{i}] ({e['id']}): unknown document {s['doc']!r} (documents.yaml)"


class NoticeCategory(Strict):
    category_zh: str
    category_en: str
    rules: Words  # rule ids or fnmatch patterns (PI-POLICY-*)


@schema("notice_categories.yaml")
class NoticeCategories(Strict):
    notice_categories: list[NoticeCategory]


@cross_check("notice_categories.yaml")
def _notice_rules(data: Any, get: Getter) -> Iterator[str]:
    ids = [r["id"] for r in get("rulebook.yaml")["rules"]]
    for i, c in enumerate(data["notice_categories"]):
        for pattern in c["rules"]:
            if not fnmatch.filter(ids, pattern):
                yield f"notice_categories[{i}] ({c['category_en']}): {pattern!r} names no rule of rulebook.yaml"


# ---- pi_types.yaml, permissions.yaml, app_types.yaml ----------------------------------------------------------

# basic_profile (个人基本资料): what a user types or picks in a form (mini-program address, nickname, invoice title)
PiCategory = Literal["app_usage", "basic_profile", "behaviour", "biometric", "communication", "contacts_accounts",
                     "device_attribute", "device_identifier", "financial", "identity_document", "location", "location_derived", "media",
                     "media_capture", "network_identifier", "personal_data_store", "screen_content", "sensor"]
Sensitivity = Literal["low", "personal", "sensitive"]


class PiTypeEntry(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name_zh: str
    name_en: str
    category: PiCategory
    sensitivity: Sensitivity
    resettable: bool | None = None
    permissions: Words
    apis: Words
    strings: Words
    manifest: Words = []
    sensor_types: dict[str, int] = {}
    sdk_markers: Words = []


@schema("pi_types.yaml")
class PiTypes(Strict):
    personal_info_types: list[PiTypeEntry]

    @model_validator(mode="after")
    def _unique(self) -> PiTypes:
        no_duplicates(p.id for p in self.personal_info_types)
        return self


class Permission(Strict):
    name: str
    protection: str
    pi_types: Words


@schema("permissions.yaml")
class Permissions(Strict):
    permissions: list[Permission]


class AppType(Strict):
    id: int
    key: str
    name_zh: str
    name_en: str
    basic_function_zh: str
    basic_function_en: str
    necessary_pi_zh: Words
    necessary_pi_en: Words
    pi_type_refs: Words
    implied_permissions: Words
    verification: str
    verification_note: str | None = None
    notes: str | None = None
    no_pi_required: bool = False


@schema("app_types.yaml")
class AppTypes(Strict):
    app_types: list[AppType]


def _pi_refs(entries: list[dict[str, Any]], key: str, field: str, label: str, known: set[str]) -> Iterator[str]:
    for i, e in enumerate(entries):
        for p in e.get(field) or ():
            if p not in known:
                yield f"{key}[{i}] ({e[label]}): unknown PI type {p!r} in {field} (pi_types.yaml)"


def pi_type_ids(get: Getter) -> set[str]:
    return {p["id"] for p in get("pi_types.yaml")["personal_info_types"]}


@cross_check("permissions.yaml")
def _permission_pi(data: Any, get: Getter) -> Iterator[str]:
    yield from _pi_refs(data["permissions"], "permissions", "pi_types", "name", pi_type_ids(get))


@cross_check("app_types.yaml")
def _app_type_pi(data: Any, get: Getter) -> Iterator[str]:
    yield from _pi_refs(data["app_types"], "app_types", "pi_type_refs", "key", pi_type_ids(get))


# ---- platform_libraries.yaml -------------------------------------------------------------------------------------

class PlatformLibrary(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
    name: str
    prefixes: Annotated[list[str], Field(min_length=1)]
    artifacts: Words = []
    upgrade_zh: str
    upgrade_en: str
    severity_cap: Literal["low", "medium", "high", "critical"] | None = None


@schema("platform_libraries.yaml")
class PlatformLibraries(Strict):
    severity_cap: Literal["low", "medium", "high", "critical"]
    api_namespaces: NameSet  # dotted prefixes: an evidence line's method there is the API called
    platform_libraries: list[PlatformLibrary]

    @model_validator(mode="after")
    def _unique(self) -> PlatformLibraries:
        no_duplicates(p.id for p in self.platform_libraries)
        return self


# ---- sdks.yaml, sdk_categories.yaml ---------------------------------------------------------------------------

class SdkCategory(Strict):
    name_zh: str
    name_en: str


@schema("sdk_categories.yaml")
class SdkCategories(Strict):
    sdk_categories: dict[str, SdkCategory]


class SdkEntry(Strict):
    """One SDK (`hegui.detect.sdks.SdkInfo` is built from it without further checks)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
    name_zh: Name
    name_en: Name
    company: str | None
    category: str  # an id of sdk_categories.yaml (cross-checked)
    packages: Names = []
    library: bool = False
    parent: Name | Names | None = None
    native_libs: Names = []
    aliases: Names = []
    collects: Names = []
    policy_url: str | None = None
    keep_alive: bool = False
    hot_update: bool = False
    components: Names = []
    meta_data: Names = []
    obfuscated_in: Names = []  # vendor namespaces whose one- or two-letter subpackages are this SDK's


@schema("sdks.yaml")
class Sdks(Strict):
    sdks: list[SdkEntry]

    @model_validator(mode="after")
    def _unique(self) -> Sdks:
        no_duplicates(s.id for s in self.sdks)
        return self


@cross_check("sdks.yaml")
def _sdk_refs(data: Any, get: Getter) -> Iterator[str]:
    categories = set(get("sdk_categories.yaml")["sdk_categories"])
    ids = {s["id"] for s in data["sdks"]}
    pis = pi_type_ids(get)
    for i, s in enumerate(data["sdks"]):
        if s["category"] not in categories:
            yield f"sdks[{i}] ({s['id']}): unknown category {s['category']!r} (sdk_categories.yaml)"
        parents = s.get("parent") or []
        for p in [parents] if isinstance(parents, str) else parents:
            if p not in ids:
                yield f"sdks[{i}] ({s['id']}): unknown parent SDK {p!r}"
    yield from _pi_refs(data["sdks"], "sdks", "collects", "id", pis)
