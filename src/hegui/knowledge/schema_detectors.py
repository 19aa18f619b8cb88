"""Models of the detectors' vocabularies: API context, consent guards, static signals, the policy lexicon, evidence
templates, mini-program APIs, startup entries, API semantics (see `hegui.knowledge.schema`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from hegui.knowledge.schema import (
    ApiList,
    Getter,
    Names,
    NameSet,
    Strict,
    Words,
    cross_check,
    schema,
)
from hegui.knowledge.schema_catalog import Sensitivity, pi_type_ids

Regex = Annotated[str, Field(min_length=1)]


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
    not_app_package_prefixes: Names
    two_part_package_roots: NameSet


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


# ``a.b.C#m`` (a DEX member: ``<init>`` for a constructor) and a Java class name, where a detector follows a
# value rather than looks up call sites
Member = Annotated[str, Field(pattern=r"^[A-Za-z_$][\w$.]*#(<init>|[\w$]+)$")]
JavaClass = Annotated[str, Field(pattern=r"^[A-Za-z_$][\w$.]*$")]


class Cleartext(Strict):
    ignore_url_prefixes: Words
    refused_by_default_from_target_sdk: Annotated[int, Field(ge=1)]
    # how a URL constant's use is followed (hegui.detect.url_flow); not call-site lookups, so not ApiList
    request_apis: Annotated[list[Member], Field(min_length=1)]
    not_requesting_apis: list[Member]
    propagating_classes: Annotated[list[JavaClass], Field(min_length=1)]
    accumulating_classes: list[JavaClass]

    @model_validator(mode="after")
    def _consistent(self) -> Cleartext:
        for name in ("request_apis", "not_requesting_apis", "propagating_classes", "accumulating_classes"):
            values = getattr(self, name)
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise ValueError(f"{name}: listed twice: {', '.join(twice)}")
        both = sorted(set(self.request_apis) & set(self.not_requesting_apis))
        if both:
            raise ValueError(f"both a request and not one: {', '.join(both)}")
        # a builder that takes the URL in must also hand it on (`sb.toString()`), or the URL would be lost
        missing = sorted(set(self.accumulating_classes) - set(self.propagating_classes))
        if missing:
            raise ValueError(f"accumulating_classes not in propagating_classes: {', '.join(missing)}")
        return self


@schema("static_signals.yaml")
class StaticSignals(Strict):
    self_start_actions: dict[str, Literal["high", "medium"]]
    # broadcast action -> the targetSdkVersion from which manifest receivers no longer get it
    manifest_broadcast_ends_at_target: dict[str, Annotated[int, Field(ge=1)]] = {}
    wakeup_apis: ApiList
    associated_start: AssociatedStart
    install: InstallSignals
    dynamic_code: DynamicCode
    uninstall: Uninstall
    cleartext: Cleartext
    plain_component_factories: NameSet
    sdk_consent_apis: ApiList
    permission_request_apis: ApiList


class Patterns(Strict):  # regular expressions, compiled by a deep check (`hegui rules check`)
    patterns: list[Regex]
    exclude: list[Regex] = []



class AlsoRequires(Patterns):
    name: str


class AfterPrevious(Strict):
    """A sentence that proves the element only right after one that matches `previous` (an opt-out after the
    personalisation it opts out of)."""
    patterns: list[Regex]
    previous: list[Regex]


class Element(Patterns):
    yields_to: Words = []
    also_requires: AlsoRequires | None = None
    section: list[Regex] = []            # headings of the section about the element (its body is cited first)
    outside_section: list[Regex] = []    # sections whose sentences do not prove it (an SDK list for PI inventory)
    prefer: list[Regex] = []             # sentences that say how (path, purpose, recipient), cited before others
    document_requires: list[AlsoRequires] = []  # facts the whole document must also state (legal name, contact)
    after_previous: AfterPrevious | None = None
    holds: list[Regex] = []              # sentences keeping the element whatever it yields to


class PatternPair(Strict):
    pattern: str
    conditional: str


class Negation(PatternPair):
    pattern_en: str | None = None        # the same in the English half of a bilingual policy
    conditional_en: str | None = None


class ExcerptQuality(Strict):
    """Sentences that are never the proof of an element (cited last, if at all)."""
    preamble: list[Regex]
    definition: list[Regex]
    metadata: list[Regex]
    list_item: Regex
    negation_weakens: list[Regex]
    lead_in: Regex | None = None         # words by which a line ending in a colon announces a list
    lead_in_weakens: list[Regex] | None = None  # elements a lead-in proves only through its items (None: all)
    metadata_proves: list[Regex] | None = None  # elements a metadata line may prove as a last resort (None: all)


class Traditional(Strict):
    """Reading a traditional-character page: character pairs and regional words, both converted one for one."""
    min_share: float
    dominance: float                     # share of traditional forms among the characters written differently
    characters: str                      # traditional/simplified pairs, one after the other
    phrases: dict[str, str] = {}         # regional word → mainland word of the same length


class Language(Strict):
    chinese_text_share: float            # share of a page's visible characters that makes it Chinese
    chinese_line_share: float            # share of a sentence's characters that makes it a Chinese sentence
    chinese_sentence_share: float        # share of Chinese body sentences that makes a bilingual page Chinese
    min_chinese_sentences: int
    numerals: dict[str, int]             # Chinese numerals below ten (handling times)
    traditional: Traditional | None = None


class PiTermContext(Strict):
    needs_context: Words
    context: str
    definition_collects: Regex           # a definition that defines what users give the operator declares PI


class SdkMention(Strict):
    context: str
    section: str | None = None           # headings of a section about third-party SDKs
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
    response_time: Regex                 # group 1 a number, group 2 its unit
    working_day_unit: str


class PolicySource(Strict):
    """Finding a policy in an APK or among its URLs."""
    file_name: Regex
    title_markers: Words
    body_markers: Words
    url_hint: Regex


@schema("policy_lexicon.yaml")
class PolicyLexicon(Strict):
    elements: dict[str, Element]
    topics: dict[str, Patterns]
    complaint_response: ComplaintResponse
    pi_terms: dict[str, Words]
    pi_term_context: PiTermContext
    negation: Negation
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
    pi_term_not_near: dict[str, Regex] = {}  # PI type → context that makes its term something else
    excerpt_quality: ExcerptQuality | None = None
    language: Language
    policy_source: PolicySource


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
    pis = pi_type_ids(get)
    for term in data["pi_terms"]:
        if term not in pis:
            yield f"pi_terms.{term}: unknown PI type (pi_types.yaml)"
    traditional = (data.get("language") or {}).get("traditional") or {}
    if len(traditional.get("characters") or "") % 2:
        yield "language.traditional.characters: not a sequence of traditional/simplified pairs (odd length)"
    for word, mainland in (traditional.get("phrases") or {}).items():
        if len(word) != len(mainland):
            yield f"language.traditional.phrases.{word}: {mainland!r} differs in length (excerpts map back by position)"
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
    for section, key in (("pi_term_context", "definition_collects"), ("complaint_response", "response_time"),
                         ("policy_source", "file_name"), ("policy_source", "url_hint")):
        if (problem := _bad_regex(data[section][key])) is not None:
            yield f"{section}.{key}: {problem}"
    response_time = data["complaint_response"]["response_time"]
    if _bad_regex(response_time) is None and re.compile(response_time).groups < 2:
        yield "complaint_response.response_time: needs two groups (the number, then its unit)"


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
    wechat_scopes_needing_desc: NameSet
    wechat_open_types: dict[str, MiniApi]
    quick_app: dict[str, MiniApi]
    harmony_user_grant: dict[str, str]  # permission → PI type
    harmony_modules: dict[str, str]     # module → PI type
    wechat_plugins: dict[str, WechatPlugin]


@cross_check("miniapp_apis.yaml")
def _miniapp_pi(data: Any, get: Getter) -> Iterator[str]:
    """Every PI type an interface, a HarmonyOS permission or module hands over is one of pi_types.yaml."""
    known = pi_type_ids(get)
    for table in ("wechat", "wechat_open_types", "quick_app"):
        for name, api in data[table].items():
            if api["pi_type"] not in known:
                yield f"{table}.{name}: unknown PI type {api['pi_type']!r} (pi_types.yaml)"
    for table in ("harmony_user_grant", "harmony_modules"):
        for name, pi in data[table].items():
            if pi not in known:
                yield f"{table}.{name}: unknown PI type {pi!r} (pi_types.yaml)"


@cross_check("miniapp_apis.yaml")
def _scopes_needing_desc(data: Any, get: Getter) -> Iterator[str]:
    scopes = {api.get("scope") for api in data["wechat"].values()}
    for i, scope in enumerate(data["wechat_scopes_needing_desc"]):
        if scope not in scopes:
            yield f"wechat_scopes_needing_desc[{i}]: {scope!r} is the scope of no API under wechat"


# ---- startup.yaml, api_semantics.yaml (arriving with the callgraph and semantics branches; checked against them) --

class UserCallbacks(Strict):
    methods: NameSet  # framework method names
    types: NameSet    # framework types (dotted) all of whose callbacks the user drives


class StartupEntries(Strict):
    """Entry methods by kind of component (`hegui.detect.startup` roots each kind's methods)."""

    application: NameSet
    provider: NameSet
    launcher: NameSet
    component_factory: NameSet
    startup_initializer: NameSet


@schema("startup.yaml")
class Startup(Strict):
    entries: StartupEntries
    user_callbacks: UserCallbacks


class PermissionChecks(Strict):
    names: Words
    descriptors: Words
    granted: int
    source: str


class SemanticRule(Strict):
    id: str
    kind: Literal["intent_query", "user_action", "requires_permission", "derived", "own_storage"]
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
    shared_roots: Words = []  # own_storage
    shared_paths: Words = []
    enumerations: Words = []


@schema("api_semantics.yaml")
class ApiSemantics(Strict):
    permission_checks: PermissionChecks
    rules: list[SemanticRule]
