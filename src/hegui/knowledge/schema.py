"""What a knowledge file may contain, checked when it loads.

A typo in a knowledge file is a rule silently turned off (or on): issue 15 measured `wher:` for `where:` making
PI-CLIPBOARD-READ fire for every SDK. So every file has a model here (pydantic, unknown keys forbidden) and,
where it names things defined elsewhere (rule ids, observation kinds and attributes, PI types, documents), a
cross-check against those files. `KnowledgeError` names the file and the entry.

Adding a knowledge file: write one model (subclass `Strict`) and register it with ``@schema("name.yaml")``;
references to other files go in a function registered with ``@cross_check("name.yaml")`` that receives the
validated data and a ``get(name)`` giving any other file's data, and yields error strings
("entry: message"). `hegui rules check` and tests/knowledge run every registered check.
"""

from __future__ import annotations

import fnmatch
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Getter = Callable[[str], Any]
CrossCheck = Callable[[Any, Getter], Iterable[str]]

SCHEMAS: dict[str, type[BaseModel]] = {}
CROSS_CHECKS: dict[str, list[CrossCheck]] = {}
DEEP_CHECKS: dict[str, list[CrossCheck]] = {}  # too slow for every load (compiling ~500 regexes): `check` only


class KnowledgeError(ValueError):
    """A knowledge file breaks its schema; one message per problem, each naming the file and the entry."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def schema(name: str) -> Callable[[type[BaseModel]], type[BaseModel]]:
    """Register the model of the knowledge file `name` (a path relative to hegui/knowledge/, or a glob such as
    ``rules/*.yaml``; an exact name wins over a glob)."""

    def register(model: type[BaseModel]) -> type[BaseModel]:
        SCHEMAS[name] = model
        return model

    return register


def cross_check(*names: str, deep: bool = False) -> Callable[[CrossCheck], CrossCheck]:
    """Register a check of references from `names` to other files; ``deep`` ones run in `check` only."""

    def register(fn: CrossCheck) -> CrossCheck:
        for name in names:
            (DEEP_CHECKS if deep else CROSS_CHECKS).setdefault(name, []).append(fn)
        return fn

    return register


class Strict(BaseModel):
    """Base of every knowledge model: an unknown key is an error, never ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Severity = Literal["low", "medium", "high", "critical"]
Words = list[str]


class _ApiListMarker:
    """Metadata of a field listing APIs (``a.b.C#m``) whose call sites a detector looks up."""


API_LIST = _ApiListMarker()
ApiList = Annotated[list[str], API_LIST]


def api_lists(model: type[BaseModel], data: dict[str, Any]) -> list[str]:
    """Every API in the `ApiList` fields of `model` (nested models included), read from `data`: the call sites the
    static scan must index for these detectors (`hegui.detect.behaviours.wanted_call_keys`)."""
    out: list[str] = []
    for name, info in model.model_fields.items():
        if name not in data:
            continue
        if any(m is API_LIST for m in info.metadata):
            out.extend(data[name])
        elif isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            out.extend(api_lists(info.annotation, data[name]))
    return out


Regex = Annotated[str, Field(min_length=1)]


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
        _no_duplicates(r.id for r in self.rules)
        return self


def _no_duplicates(ids: Iterable[object]) -> None:
    seen: set[object] = set()
    dup = [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]
    if dup:
        raise ValueError(f"duplicate ids: {', '.join(map(str, dup))}")


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

PiCategory = Literal["app_usage", "behaviour", "biometric", "communication", "contacts_accounts", "device_attribute",
                     "device_identifier", "financial", "identity_document", "location", "location_derived", "media",
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
        _no_duplicates(p.id for p in self.personal_info_types)
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


def _pi_ids(get: Getter) -> set[str]:
    return {p["id"] for p in get("pi_types.yaml")["personal_info_types"]}


@cross_check("permissions.yaml")
def _permission_pi(data: Any, get: Getter) -> Iterator[str]:
    yield from _pi_refs(data["permissions"], "permissions", "pi_types", "name", _pi_ids(get))


@cross_check("app_types.yaml")
def _app_type_pi(data: Any, get: Getter) -> Iterator[str]:
    yield from _pi_refs(data["app_types"], "app_types", "pi_type_refs", "key", _pi_ids(get))


# ---- sdks.yaml, sdk_categories.yaml ---------------------------------------------------------------------------

class SdkCategory(Strict):
    name_zh: str
    name_en: str


@schema("sdk_categories.yaml")
class SdkCategories(Strict):
    sdk_categories: dict[str, SdkCategory]


class SdkEntry(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
    name_zh: str
    name_en: str
    company: str | None
    category: str
    packages: Words = []
    library: bool = False
    parent: str | list[str] | None = None
    native_libs: Words = []
    aliases: Words = []
    collects: Words = []
    policy_url: str | None = None
    keep_alive: bool = False
    hot_update: bool = False
    components: Words = []
    meta_data: Words = []


@schema("sdks.yaml")
class Sdks(Strict):
    sdks: list[SdkEntry]

    @model_validator(mode="after")
    def _unique(self) -> Sdks:
        _no_duplicates(s.id for s in self.sdks)
        return self


@cross_check("sdks.yaml")
def _sdk_refs(data: Any, get: Getter) -> Iterator[str]:
    categories = set(get("sdk_categories.yaml")["sdk_categories"])
    ids = {s["id"] for s in data["sdks"]}
    pis = _pi_ids(get)
    for i, s in enumerate(data["sdks"]):
        if s["category"] not in categories:
            yield f"sdks[{i}] ({s['id']}): unknown category {s['category']!r} (sdk_categories.yaml)"
        parents = s.get("parent") or []
        for p in [parents] if isinstance(parents, str) else parents:
            if p not in ids:
                yield f"sdks[{i}] ({s['id']}): unknown parent SDK {p!r}"
    yield from _pi_refs(data["sdks"], "sdks", "collects", "id", pis)


# ---- detector vocabularies: api_context, consent_guards, static_signals, policy_lexicon ----------------------

@schema("api_context.yaml")
class ApiContext(Strict):
    needs_context: Words
    ignore_static: Words
    reflection_calls: Words


@schema("consent_guards.yaml")
class ConsentGuards(Strict):
    getters: Words
    consent_words: Words
    topic_words: Words
    veto_words: Words
    predicate_prefixes: Words
    approval_words: Words
    setters: Words
    agree_callbacks: Words


class AssociatedStart(Strict):
    start_apis: ApiList
    target_apis: ApiList
    wake_actions_prefixes: Words


class InstallSignals(Strict):
    permissions: Words
    apis: ApiList
    strings: Words
    download_apis: ApiList


class DynamicCode(Strict):
    apis: ApiList


class Uninstall(Strict):
    device_admin_permission: str
    hide_apis: ApiList
    invisible_label_chars: Words


class Cleartext(Strict):
    ignore_url_prefixes: Words


@schema("static_signals.yaml")
class StaticSignals(Strict):
    self_start_actions: dict[str, Literal["high", "medium"]]
    wakeup_apis: ApiList
    associated_start: AssociatedStart
    install: InstallSignals
    dynamic_code: DynamicCode
    uninstall: Uninstall
    cleartext: Cleartext
    sdk_consent_apis: ApiList
    permission_request_apis: ApiList


class Patterns(Strict):  # regular expressions, compiled by a deep check (`hegui rules check`)
    patterns: list[Regex]
    exclude: list[Regex] = []



class AlsoRequires(Patterns):
    name: str


class Element(Patterns):
    yields_to: Words = []
    also_requires: AlsoRequires | None = None


class PatternPair(Strict):
    pattern: str
    conditional: str


class PiTermContext(Strict):
    needs_context: Words
    context: str


class SdkMention(Strict):
    context: str
    continuation: str
    window: int


class SdkTable(Strict):
    name_header: str
    name_in_text: str
    name_like_sdk: str


class Necessity(Strict):
    sensitivities: list[Sensitivity]


class AppTypeHint(Strict):
    zh: Words
    pkg: Words


class ComplaintResponse(Strict):
    max_working_days: int
    max_calendar_days: int


@schema("policy_lexicon.yaml")
class PolicyLexicon(Strict):
    elements: dict[str, Element]
    topics: dict[str, Patterns]
    complaint_response: ComplaintResponse
    pi_terms: dict[str, Words]
    pi_term_context: PiTermContext
    negation: PatternPair
    no_sharing: PatternPair
    permission_terms: dict[str, Words]
    permission_mention: str
    purpose_words: str
    push_or_ads_sdk_categories: Words
    sdk_mention: SdkMention
    sdk_table: SdkTable
    necessity: Necessity
    app_type_hints: dict[int, AppTypeHint]
    app_type_min_score: int


@cross_check("policy_lexicon.yaml")
def _lexicon_refs(data: Any, get: Getter) -> Iterator[str]:
    clauses = {c["id"] for c in get("policy_clauses.yaml")["policy_clauses"]}
    names = set(data["elements"]) | set(data["topics"])
    for element, e in data["elements"].items():
        if element not in clauses:
            yield f"elements.{element}: not a policy_clauses.yaml id"
        for other in e.get("yields_to") or ():
            if other not in names:
                yield f"elements.{element}: yields_to names unknown element or topic {other!r}"
    pis = _pi_ids(get)
    for term in data["pi_terms"]:
        if term not in pis:
            yield f"pi_terms.{term}: unknown PI type (pi_types.yaml)"
    types_ = {t["id"] for t in get("app_types.yaml")["app_types"]}
    for t in data["app_type_hints"]:
        if t not in types_:
            yield f"app_type_hints.{t}: unknown app type (app_types.yaml)"


def _bad_regex(value: str) -> str | None:
    try:
        re.compile(value)
    except re.error as exc:
        return f"not a regular expression ({exc}): {value!r}"
    return None


@cross_check("policy_lexicon.yaml", deep=True)
def _lexicon_regexes(data: Any, get: Getter) -> Iterator[str]:
    for section in ("elements", "topics"):
        for name, entry in data[section].items():
            for key in ("patterns", "exclude"):
                for p in entry.get(key) or ():
                    if (problem := _bad_regex(p)) is not None:
                        yield f"{section}.{name}.{key}: {problem}"
            also = entry.get("also_requires") or {}
            for p in also.get("patterns") or ():
                if (problem := _bad_regex(p)) is not None:
                    yield f"{section}.{name}.also_requires.patterns: {problem}"
    for section in ("negation", "no_sharing"):
        for key in ("pattern", "conditional"):
            if (problem := _bad_regex(data[section][key])) is not None:
                yield f"{section}.{key}: {problem}"
    for key in ("permission_mention", "purpose_words"):
        if (problem := _bad_regex(data[key])) is not None:
            yield f"{key}: {problem}"


# ---- evidence.yaml (templates of evidence lines), miniapp_apis.yaml ------------------------------------------

class EvidenceText(Strict):
    zh: str
    en: str


@schema("evidence.yaml")
class EvidenceTemplates(Strict):
    templates: dict[str, EvidenceText]
    vocab: dict[str, dict[str, EvidenceText]]  # table → value → its words


@cross_check("evidence.yaml")
def _evidence_facts(data: Any, get: Getter) -> Iterator[str]:
    """Both languages need the same facts, vocabularies exist: the template reader's own checks."""
    from hegui.knowledge.evidence import EvidenceTemplateError, parse_catalog

    try:
        parse_catalog(data, "")
    except EvidenceTemplateError as exc:
        yield str(exc).removeprefix(": ")


class MiniApi(Strict):
    pi_type: str
    privacy: bool = False
    private_info: bool = False
    scope: str | None = None
    background: bool = False
    collects: bool = True
    zh: str
    en: str


class WechatPlugin(Strict):
    name: str
    names: Words


@schema("miniapp_apis.yaml")
class MiniappApis(Strict):
    wechat: dict[str, MiniApi]
    wechat_privacy_flow: Words
    wechat_open_types: dict[str, MiniApi]
    quick_app: dict[str, MiniApi]
    harmony_user_grant: dict[str, str]  # permission → PI type
    harmony_modules: dict[str, str]     # module → PI type
    wechat_plugins: dict[str, WechatPlugin]


# No PI-type cross-check yet: miniapp_apis.yaml names address, profile and invoice, which pi_types.yaml lacks.


# ---- startup.yaml, api_semantics.yaml (arriving with the callgraph and semantics branches; checked against them) --

class UserCallbacks(Strict):
    methods: Words
    types: Words


@schema("startup.yaml")
class Startup(Strict):
    entries: dict[Literal["application", "provider", "launcher", "component_factory", "startup_initializer"], Words]
    user_callbacks: UserCallbacks


class PermissionChecks(Strict):
    names: Words
    descriptors: Words
    granted: int
    source: str


class SemanticRule(Strict):
    id: str
    kind: Literal["intent_query", "user_action", "requires_permission", "derived"]
    apis: Words
    source: str
    reason_en: str
    reason_zh: str
    any_of: Words = []
    pi_types: Words = []
    broad_action: str | None = None
    broad_categories: Words = []
    targeting_methods: Words = []
    data_methods: Words = []
    reason_unknown_en: str | None = None
    reason_unknown_zh: str | None = None
    callers: Words = []
    caller_types: Words = []
    sources: Words = []


@schema("api_semantics.yaml")
class ApiSemantics(Strict):
    permission_checks: PermissionChecks
    rules: list[SemanticRule]


# ---- observations.yaml and the trigger files rules/*.yaml -----------------------------------------------------

AttrType = Literal["bool", "int", "number", "str", "str_list", "int_list"]
Vocabulary = Literal["pi_types", "pi_categories", "sensitivities", "policy_clauses", "sdk_categories"]


class Attribute(Strict):
    type: AttrType
    nullable: bool = False
    values: Words | None = None
    values_from: Vocabulary | None = None


class ObservationKind(Strict):
    producer: Annotated[str, Field(pattern=r"^hegui(\.[a-z_]+)+$")]
    description: str
    attrs: dict[str, Attribute] = {}


@schema("observations.yaml")
class Observations(Strict):
    observations: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], ObservationKind]


OPERATORS = ("in", "not_in", "gte", "lte", "exists", "not")


class TriggerEntry(Strict):
    rule: str
    observation: str
    where: dict[str, Any] = {}
    severity: Severity | None = None


@schema("rules/*.yaml")  # every trigger file; rules/trace.yaml adds its trace section below
class TriggerFile(Strict):
    triggers: list[TriggerEntry]


class TraceKnowledge(Strict):
    framework_prefixes: Words
    argument_context: Words
    receiver_as_first_arg: Words
    own_package_lookups: Words
    associated_start_apis: Words
    placeholder_values: Words
    min_value_length: int
    frequency_foreground_categories: list[PiCategory]
    permission_groups: dict[str, Words]
    consent_texts: Words
    refusal_texts: Words


@schema("rules/trace.yaml")
class TraceTriggerFile(TriggerFile):
    trace: TraceKnowledge


def vocabulary(name: str, get: Getter) -> set[str]:
    if name == "pi_types":
        return _pi_ids(get)
    if name == "pi_categories":
        return set(typing.get_args(PiCategory))
    if name == "sensitivities":
        return set(typing.get_args(Sensitivity))
    if name == "policy_clauses":
        return {c["id"] for c in get("policy_clauses.yaml")["policy_clauses"]}
    return set(get("sdk_categories.yaml")["sdk_categories"])


SCALAR_TYPES: dict[str, tuple[type, ...]] = {"bool": (bool,), "int": (int,), "number": (int, float), "str": (str,)}


def _value_problems(attr: str, spec: dict[str, Any], expected: Any, allowed: set[str] | None) -> Iterator[str]:
    """Why `expected` (a trigger's `where` value for `attr`) can never be a sensible match, if it cannot."""
    item = spec["type"].removesuffix("_list")
    if isinstance(expected, dict):
        for op, arg in expected.items():
            if op not in OPERATORS:
                yield f"where.{attr}: unknown operator {op!r} (expected: {', '.join(OPERATORS)})"
            elif op in ("gte", "lte"):
                if item not in ("int", "number") or isinstance(arg, bool) or not isinstance(arg, int | float):
                    yield f"where.{attr}: {op} needs a number attribute and a number (attribute is {spec['type']})"
            elif op == "exists":
                if not isinstance(arg, bool):
                    yield f"where.{attr}: exists takes true or false, not {arg!r}"
            elif op in ("in", "not_in"):
                if not isinstance(arg, list):
                    yield f"where.{attr}: {op} takes a list, not {arg!r}"
                else:
                    for a in arg:
                        yield from _value_problems(attr, spec, a, allowed)
            else:  # not
                yield from _value_problems(attr, spec, arg, allowed)
        return
    if isinstance(expected, list):
        for a in expected:
            if isinstance(a, list | dict):
                yield f"where.{attr}: a list of values may not nest {a!r}"
            else:
                yield from _value_problems(attr, spec, a, allowed)
        return
    if expected is None:
        if not spec.get("nullable"):
            yield f"where.{attr}: null never matches (attribute is {spec['type']}); use exists: false"
        return
    types_ = SCALAR_TYPES[item]
    if not isinstance(expected, types_) or (item != "bool" and isinstance(expected, bool)):
        yield f"where.{attr}: {expected!r} is not a {item} (attribute is {spec['type']})"
    elif allowed is not None and expected not in allowed:
        yield f"where.{attr}: unknown value {expected!r} (expected one of: {', '.join(sorted(allowed)[:12])}" + (
            ", …)" if len(allowed) > 12 else ")")


def _subject_problems(expected: Any, sdk_ids: set[str]) -> Iterator[str]:
    for value in expected if isinstance(expected, list) else [expected]:
        if not isinstance(value, str) or (value not in ("app", "sdk") and value not in sdk_ids):
            yield f"where.subject: {value!r} is neither app, sdk nor an SDK id of sdks.yaml"


@cross_check("rules/*.yaml")
def _trigger_refs(data: Any, get: Getter) -> Iterator[str]:
    rules = {r["id"] for r in get("rulebook.yaml")["rules"]}
    kinds: dict[str, Any] = get("observations.yaml")["observations"]
    sdk_ids: set[str] | None = None
    vocab: dict[str, set[str]] = {}
    for i, t in enumerate(data["triggers"]):
        label = f"triggers[{i}] ({t['rule']})"
        if t["rule"] not in rules:
            yield f"{label}: unknown rule id {t['rule']!r} (rulebook.yaml)"
        kind = kinds.get(t["observation"])
        if kind is None:
            yield f"{label}: unknown observation kind {t['observation']!r} (observations.yaml){_near(t['observation'], kinds)}"
            continue
        attrs: dict[str, Any] = kind.get("attrs") or {}
        for attr, expected in (t.get("where") or {}).items():
            if attr == "subject":
                if sdk_ids is None:
                    sdk_ids = {s["id"] for s in get("sdks.yaml")["sdks"]}
                problems: Iterable[str] = _subject_problems(expected, sdk_ids)
            elif attr not in attrs:
                known = ", ".join(["subject", *attrs])
                problems = [f"where: {t['observation']} has no attribute {attr!r} (expected: {known})"]
            else:
                spec = attrs[attr]
                allowed = set(spec["values"]) if spec.get("values") else None
                if spec.get("values_from"):
                    if spec["values_from"] not in vocab:
                        vocab[spec["values_from"]] = vocabulary(spec["values_from"], get)
                    allowed = vocab[spec["values_from"]]
                problems = _value_problems(attr, spec, expected, allowed)
            for p in problems:
                yield f"{label}: {p}"


def _near(word: str, known: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


# libyaml's parser when PyYAML was built with it: the knowledge files are ~1 MB and load on every scan.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(name: str, text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader (CSafeLoader/SafeLoader)
    except yaml.YAMLError as exc:
        raise KnowledgeError([f"knowledge/{name}: not YAML: {' '.join(str(exc).split())}"]) from None


# ---- validation and messages --------------------------------------------------------------------------------

def _registered(table: dict[str, Any], name: str) -> Any:
    if name in table:
        return table[name]
    for pattern, value in table.items():
        if "*" in pattern and fnmatch.fnmatchcase(name, pattern):
            return value
    return None


def schema_for(name: str) -> type[BaseModel] | None:
    return _registered(SCHEMAS, name)


def validate(name: str, data: Any) -> None:
    """Raise `KnowledgeError` when `data` (file `name`, parsed) breaks its registered model."""
    model = schema_for(name)
    if model is None:
        return
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise KnowledgeError([f"knowledge/{name}: {m}" for m in _messages(model, data, exc)]) from None


def run_cross_checks(name: str, data: Any, get: Getter, *, deep: bool = False) -> list[str]:
    tables = (CROSS_CHECKS, DEEP_CHECKS) if deep else (CROSS_CHECKS,)
    checks = [fn for table in tables for pattern, fns in table.items()
              if pattern == name or ("*" in pattern and fnmatch.fnmatchcase(name, pattern)) for fn in fns]
    return [f"knowledge/{name}: {m}" for fn in checks for m in fn(data, get)]


def _messages(model: type[BaseModel], data: Any, exc: ValidationError) -> list[str]:
    out: list[str] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        where = _describe(data, loc[:-1] if err["type"] == "extra_forbidden" else loc)
        if err["type"] == "extra_forbidden":
            expected = _fields_at(model, loc[:-1])
            hint = f" (expected: {', '.join(expected)})" if expected else ""
            out.append(f"{where}: unknown key {loc[-1]!r}{hint}")
        elif err["type"] == "missing":
            out.append(f"{where}: missing")
        elif err["type"] == "value_error":  # our own validators: the message says it all
            out.append(f"{where}: {err['ctx']['error']}")
        else:
            out.append(f"{where}: {err['msg']} (got {_short(err.get('input'))})")
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _describe(data: Any, loc: tuple[Any, ...]) -> str:
    """`triggers[5] (PI-CLIPBOARD-READ).where` — list indexes labelled with the entry's id, rule or name."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int) and isinstance(node, list):
            node = node[step] if step < len(node) else None
            label = ""
            if isinstance(node, dict):
                for key in ("id", "rule", "name", "key"):
                    if isinstance(node.get(key), str | int):
                        label = f" ({node[key]})"
                        break
            parts.append(f"[{step}]{label}")
            continue
        if isinstance(step, str) and (step == "[key]" or step.endswith("-key]")):
            continue  # pydantic's marker for a bad mapping key, after the key itself
        node = node.get(step) if isinstance(node, dict) else None
        parts.append(("." if parts else "") + str(step))
    return "".join(parts) or "top level"


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed where `loc` points (walking list items, mapping values and optional types)."""
    current: Any = model
    for step in loc:
        current = _unwrap(current, step)
        if current is None:
            return []
    current = _unwrap(current, None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return []


def _unwrap(tp: Any, step: Any) -> Any:
    """One step down a type: a model's field by name, a list's item, a dict's value; Optional unwrapped."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _unwrap(typing.get_args(tp)[0], step)
    if origin in (Union, types.UnionType):
        for arg in typing.get_args(tp):
            if arg is not type(None):
                found = _unwrap(arg, step)
                if found is not None:
                    return found
        return None
    if step is None:
        return tp
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(step) if isinstance(step, str) else None
        return field.annotation if field else None
    if origin is list and isinstance(step, int):
        return typing.get_args(tp)[0]
    if origin is dict:
        return typing.get_args(tp)[1]
    return None


def knowledge_files(root: Path) -> list[str]:
    """Every YAML file under `root`, as names relative to it (``rules/static.yaml``)."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.yaml"))


def check(root: Path | None = None) -> list[str]:
    """Every problem of the knowledge folder `root` (default: the package's own), one message each.

    A file missing from `root` is taken from the package, so a folder holding only an edited copy of, say,
    ``rules/static.yaml`` and ``rulebook.yaml`` is checked against the rest of hegui's knowledge.
    """
    package = Path(__file__).resolve().parent
    root = package if root is None else root
    problems: list[str] = []
    parsed: dict[str, Any] = {}
    broken: set[str] = set()

    def get(name: str) -> Any:
        if name not in parsed:
            path = root / name if (root / name).is_file() else package / name
            try:
                parsed[name] = parse(name, path.read_text(encoding="utf-8"))
                validate(name, parsed[name])
            except KnowledgeError as exc:
                broken.add(name)
                problems.extend(exc.messages)
        if name in broken:
            raise _Broken(name)
        return parsed[name]

    names = knowledge_files(root)
    for name in names:
        if schema_for(name) is None:
            problems.append(f"knowledge/{name}: no schema registered for this file (hegui.knowledge.schema)")
    for name in names:
        if schema_for(name) is None:
            continue
        try:
            data = get(name)
            problems.extend(run_cross_checks(name, data, get, deep=True))
        except _Broken:
            continue  # its own or a referenced file's schema errors are already listed
    return problems


class _Broken(Exception):
    """A file a cross-check needs failed its own schema; the cross-check is skipped."""
