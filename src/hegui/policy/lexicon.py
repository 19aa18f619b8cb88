"""The policy lexicon (`knowledge/policy_lexicon.yaml`) and the SDK catalog, compiled once for matching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from hegui import knowledge


def _alternation(patterns: list[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def _trie_pattern(terms: list[str]) -> str:
    """A regex equivalent to the alternation of `terms` (lowercase), shaped as a prefix trie.

    Python's `re` tries alternatives one by one at every position; with ~3,000 SDK names and ~400 PI terms a flat
    alternation costs about a second on a 300 KB policy, the trie a few milliseconds. Longer terms win because
    the end-of-term option is tried last.
    """
    trie: dict = {}
    for term in terms:
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return "(?:" + body + ")?"
        return body

    return build(trie)


def _literal_alternation(terms: list[str]) -> re.Pattern[str]:
    """Terms as literals, case-insensitive, longest first (callers check Latin word boundaries: `bounded`)."""
    lowered = sorted({t.lower() for t in terms if t})
    return re.compile(_trie_pattern(lowered), re.IGNORECASE)


def bounded(text: str, start: int, end: int) -> bool:
    """A Latin term may not touch other Latin letters (IP is not in VIP or zip)."""
    if start > 0 and text[start].isascii() and text[start].isalnum() and text[start - 1].isascii() \
            and text[start - 1].isalpha():
        return False
    return not (end < len(text) and text[end - 1].isascii() and text[end - 1].isalnum()
                and text[end].isascii() and text[end].isalpha())


@dataclass(frozen=True, slots=True)
class Requirement:
    """Something the whole document must say somewhere (the operator's legal name, a contact)."""

    name: str
    include: re.Pattern[str] | None
    exclude: re.Pattern[str] | None

    def matches(self, sentence: str) -> bool:
        if self.include is None or not self.include.search(sentence):
            return False
        return not (self.exclude is not None and self.exclude.search(sentence))


@dataclass(frozen=True, slots=True)
class ElementMatcher:
    id: str
    include: re.Pattern[str] | None
    exclude: re.Pattern[str] | None
    requires_name: str | None = None
    requires: re.Pattern[str] | None = None
    yields_to: tuple[str, ...] = ()
    document_requires: tuple[Requirement, ...] = ()
    # a sentence matching `after` proves the element when the sentence before it matches `after_previous`
    # ("如您不希望接收上述信息，可退订" right after a sentence about personalised recommendations)
    after: re.Pattern[str] | None = None
    after_previous: re.Pattern[str] | None = None
    # among proving sentences, those saying how (a path, a way to act) are cited first, in the order of the list
    prefer: tuple[re.Pattern[str], ...] = ()
    # a section whose heading matches this is about the element: its sentences are cited first
    section: re.Pattern[str] | None = None
    # sentences of a section whose heading matches this never prove the element (an SDK's purpose is not an
    # inventory of the app's own functions)
    outside_section: re.Pattern[str] | None = None
    # a sentence matching this keeps the element even when it is also about what the element yields to
    # ("可以通过查询、复制、更正、删除、撤回授权等方式管理您的个人信息" states the rights and the withdrawal)
    holds: re.Pattern[str] | None = None

    def matches(self, sentence: str) -> bool:
        if self.include is None or not self.include.search(sentence):
            return False
        return not (self.exclude is not None and self.exclude.search(sentence))


@dataclass(frozen=True, slots=True)
class Lexicon:
    elements: dict[str, ElementMatcher]
    topics: dict[str, ElementMatcher]
    pi_term_regex: re.Pattern[str]
    pi_types_by_term: dict[str, frozenset[str]]
    needs_context: frozenset[str]
    pi_context: re.Pattern[str]
    negation: re.Pattern[str]
    negation_conditional: re.Pattern[str]
    no_sharing: re.Pattern[str]
    no_sharing_conditional: re.Pattern[str]
    permission_term_regex: re.Pattern[str]
    permissions_by_term: dict[str, frozenset[str]]
    permission_mention: re.Pattern[str]
    purpose_words: re.Pattern[str]
    push_or_ads_categories: frozenset[str]
    sdk_name_header: re.Pattern[str]
    sdk_name_in_text: re.Pattern[str]
    sdk_name_like: re.Pattern[str]
    sdk_context: re.Pattern[str]
    sdk_section: re.Pattern[str]
    sdk_continuation: re.Pattern[str]
    sdk_window: int
    max_working_days: int
    max_calendar_days: int
    response_time: re.Pattern[str]        # group 1 a number, group 2 its unit
    working_day_unit: str
    numerals: dict[str, int]
    definition_collects: re.Pattern[str]  # a definition of what users give the operator declares PI
    source: PolicySourceWords
    necessity_sensitivities: frozenset[str]
    app_type_hints: dict[int, dict[str, tuple[str, ...]]]
    app_type_min_score: int
    quality: ExcerptQuality
    negation_en: re.Pattern[str]
    negation_en_conditional: re.Pattern[str]
    pi_not_near: dict[str, re.Pattern[str]]


def _by_term(mapping: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for target, terms in mapping.items():
        for term in terms:
            out.setdefault(term.lower(), set()).add(target)
    return {k: frozenset(v) for k, v in out.items()}


def _matcher(name: str, spec: dict[str, Any]) -> ElementMatcher:
    req = spec.get("also_requires") or {}
    after = spec.get("after_previous") or {}
    return ElementMatcher(
        id=name, include=_alternation(spec.get("patterns") or []), exclude=_alternation(spec.get("exclude") or []),
        requires_name=req.get("name"), requires=_alternation(req.get("patterns") or []),
        yields_to=tuple(spec.get("yields_to") or ()),
        document_requires=tuple(Requirement(r["name"], _alternation(r.get("patterns") or []),
                                            _alternation(r.get("exclude") or []))
                                for r in spec.get("document_requires") or ()),
        after=_alternation(after.get("patterns") or []), after_previous=_alternation(after.get("previous") or []),
        prefer=tuple(re.compile(p, re.IGNORECASE) for p in spec.get("prefer") or ()), section=_alternation(spec.get("section") or []),
        outside_section=_alternation(spec.get("outside_section") or []),
        holds=_alternation(spec.get("holds") or []),
    )


@dataclass(frozen=True, slots=True)
class ExcerptQuality:
    """Sentences that mention a subject without proving it: a preamble, a definition, a metadata line."""

    preamble: re.Pattern[str] | None
    definition: re.Pattern[str] | None
    metadata: re.Pattern[str] | None
    list_item: re.Pattern[str]
    negation_weakens: frozenset[str]
    lead_in: re.Pattern[str] | None
    lead_in_weakens: frozenset[str] | None
    metadata_proves: frozenset[str] | None
    chinese_text_share: float
    chinese_line_share: float
    chinese_sentence_share: float
    min_chinese_sentences: int


@dataclass(frozen=True, slots=True)
class PolicySourceWords:
    """Words by which a file, resource or URL looks like a privacy policy (`hegui.policy.source`)."""

    file_name: re.Pattern[str]
    title_markers: tuple[str, ...]
    body_markers: tuple[str, ...]
    url_hint: re.Pattern[str]


def classify_sentence(sentence: str, lex: Lexicon) -> set[str]:
    """Element ids one sentence proves: each element's own patterns, then precedence between subjects.

    A sentence about one subject often borrows another's words (a retention sentence says 收集的信息, a
    security sentence says 访问权限); an element that `yields_to` a topic or another element is dropped when
    the sentence is about that one too. Topics are judged first, then elements against the elements that
    survived their topics, so the outcome never depends on the order of the lexicon.
    """
    raw = {eid for eid, m in lex.elements.items() if m.matches(sentence)}
    if not raw:
        return raw
    topic_hits: dict[str, bool] = {}

    def topic(name: str) -> bool:
        if name not in topic_hits:
            topic_hits[name] = lex.topics[name].matches(sentence)
        return topic_hits[name]

    held = {eid for eid in raw if lex.elements[eid].holds is not None and lex.elements[eid].holds.search(sentence)}
    kept = {eid for eid in raw
            if eid in held or not any(topic(t) for t in lex.elements[eid].yields_to if t in lex.topics)}
    return {eid for eid in kept if eid in held or not any(other in kept for other in lex.elements[eid].yields_to)}


@cache
def app_type_hints() -> tuple[dict[int, dict[str, tuple[str, ...]]], int]:
    """policy_lexicon.yaml's app-type hints and minimum score: all that app-category inference reads, without
    compiling the lexicon's ~200 patterns (a tenth of the scan of an APK that has no policy)."""
    raw: dict[str, Any] = knowledge.load_yaml("policy_lexicon.yaml")
    hints = {int(k): {"zh": tuple(str(w) for w in v.get("zh") or ()), "pkg": tuple(str(w) for w in v.get("pkg") or ())}
             for k, v in raw["app_type_hints"].items()}
    return hints, int(raw["app_type_min_score"])


@cache
def source_words() -> PolicySourceWords:
    """The words by which a file, resource or URL looks like a privacy policy: all that locating a policy inside an
    APK (hegui.policy.locate, run by every scan) needs, without compiling the rest of the lexicon."""
    raw: dict[str, Any] = knowledge.load_yaml("policy_lexicon.yaml")["policy_source"]
    return PolicySourceWords(
        file_name=re.compile(raw["file_name"], re.I),
        title_markers=tuple(str(w) for w in raw["title_markers"]),
        body_markers=tuple(str(w) for w in raw["body_markers"]),
        url_hint=re.compile(raw["url_hint"], re.I),
    )


@cache
def lexicon() -> Lexicon:
    raw: dict[str, Any] = knowledge.load_yaml("policy_lexicon.yaml")
    clause_ids = set(knowledge.policy_clauses())
    elements: dict[str, ElementMatcher] = {}
    for element_id, spec in raw["elements"].items():
        if element_id not in clause_ids:
            raise ValueError(f"policy_lexicon.yaml names unknown policy clause {element_id!r}")
        elements[element_id] = _matcher(element_id, spec)
    topics = {tid: _matcher(tid, spec) for tid, spec in (raw.get("topics") or {}).items()}
    clash = set(topics) & set(elements)
    if clash:
        raise ValueError(f"policy_lexicon.yaml topics reuse element ids {sorted(clash)}")
    for m in (*elements.values(), *topics.values()):
        unknown_names = set(m.yields_to) - set(elements) - set(topics)
        if unknown_names:
            raise ValueError(f"policy_lexicon.yaml: {m.id} yields to unknown {sorted(unknown_names)}")
    pi_ids = set(knowledge.pi_types())
    unknown = set(raw["pi_terms"]) - pi_ids
    if unknown:
        raise ValueError(f"policy_lexicon.yaml names unknown PI types {sorted(unknown)}")
    pi_by_term = _by_term(raw["pi_terms"])
    perm_by_term = _by_term(raw["permission_terms"])
    hints, min_score = app_type_hints()
    return Lexicon(
        elements=elements,
        topics=topics,
        pi_term_regex=_literal_alternation([t for ts in raw["pi_terms"].values() for t in ts]),
        pi_types_by_term=pi_by_term,
        needs_context=frozenset(t.lower() for t in raw["pi_term_context"]["needs_context"]),
        pi_context=re.compile(raw["pi_term_context"]["context"], re.I),
        negation=re.compile(raw["negation"]["pattern"]),
        negation_conditional=re.compile(raw["negation"]["conditional"]),
        no_sharing=re.compile(raw["no_sharing"]["pattern"]),
        no_sharing_conditional=re.compile(raw["no_sharing"]["conditional"]),
        permission_term_regex=_literal_alternation([t for ts in raw["permission_terms"].values() for t in ts]),
        permissions_by_term=perm_by_term,
        permission_mention=re.compile(raw["permission_mention"], re.I),
        purpose_words=re.compile(raw["purpose_words"], re.I),
        push_or_ads_categories=frozenset(raw["push_or_ads_sdk_categories"]),
        sdk_name_header=re.compile(raw["sdk_table"]["name_header"], re.I),
        sdk_name_in_text=re.compile(raw["sdk_table"]["name_in_text"]),
        sdk_name_like=re.compile(raw["sdk_table"]["name_like_sdk"]),
        sdk_context=re.compile(raw["sdk_mention"]["context"], re.I),
        sdk_section=re.compile(raw["sdk_mention"]["section"], re.I),
        sdk_continuation=re.compile(raw["sdk_mention"]["continuation"]),
        sdk_window=int(raw["sdk_mention"]["window"]),
        max_working_days=int(raw["complaint_response"]["max_working_days"]),
        max_calendar_days=int(raw["complaint_response"]["max_calendar_days"]),
        response_time=re.compile(raw["complaint_response"]["response_time"]),
        working_day_unit=str(raw["complaint_response"]["working_day_unit"]),
        numerals={str(k): int(v) for k, v in raw["language"]["numerals"].items()},
        definition_collects=re.compile(raw["pi_term_context"]["definition_collects"]),
        source=source_words(),
        necessity_sensitivities=frozenset(raw["necessity"]["sensitivities"]),
        app_type_hints=hints,
        app_type_min_score=min_score,
        quality=ExcerptQuality(
            preamble=_alternation(raw["excerpt_quality"]["preamble"]),
            definition=_alternation(raw["excerpt_quality"]["definition"]),
            metadata=_alternation(raw["excerpt_quality"]["metadata"]),
            list_item=re.compile(raw["excerpt_quality"]["list_item"]),
            negation_weakens=frozenset(raw["excerpt_quality"]["negation_weakens"]),
            lead_in=re.compile(raw["excerpt_quality"]["lead_in"]) if raw["excerpt_quality"].get("lead_in") else None,
            lead_in_weakens=frozenset(raw["excerpt_quality"]["lead_in_weakens"])
            if raw["excerpt_quality"].get("lead_in_weakens") is not None else None,
            metadata_proves=frozenset(raw["excerpt_quality"]["metadata_proves"])
            if raw["excerpt_quality"].get("metadata_proves") is not None else None,
            chinese_text_share=float(raw["language"]["chinese_text_share"]),
            chinese_line_share=float(raw["language"]["chinese_line_share"]),
            chinese_sentence_share=float(raw["language"]["chinese_sentence_share"]),
            min_chinese_sentences=int(raw["language"]["min_chinese_sentences"]),
        ),
        negation_en=re.compile(raw["negation"]["pattern_en"], re.I),
        negation_en_conditional=re.compile(raw["negation"]["conditional_en"], re.I),
        pi_not_near={str(k): re.compile(v, re.I) for k, v in (raw.get("pi_term_not_near") or {}).items()},
    )


# --- SDK catalog (knowledge/sdks.yaml, owned by the SDK detector) -------------------------------------------------

@dataclass(frozen=True, slots=True)
class SdkRef:
    id: str
    name: str
    names: tuple[str, ...]          # every way a policy may name it: aliases, name_zh, name_en
    company: str
    packages: tuple[str, ...]
    category: str


MIN_LATIN_NAME = 3
MIN_CJK_NAME = 2


def _usable_name(name: str) -> bool:
    name = name.strip()
    if not name:
        return False
    if name.isascii():
        return len(name) >= MIN_LATIN_NAME
    return len(name) >= MIN_CJK_NAME


def sdk_refs_from_entries(entries: list[dict[str, Any]]) -> tuple[SdkRef, ...]:
    out: list[SdkRef] = []
    for e in entries:
        # development libraries (Glide, OkHttp…) are never reported as third-party SDKs, so never matched either
        if not isinstance(e, dict) or not e.get("id") or e.get("library"):
            continue
        names = [str(n) for n in (e.get("aliases") or [])]
        names += [str(e[k]) for k in ("name_zh", "name_en", "name") if e.get(k)]
        packages = tuple(str(p) for p in (e.get("packages") or []) if p)
        display = str(e.get("name_zh") or e.get("name") or e.get("name_en") or e["id"])
        out.append(SdkRef(id=str(e["id"]), name=display,
                          names=tuple(dict.fromkeys(n.strip() for n in names if _usable_name(n))),
                          company=str(e.get("company") or ""), packages=packages,
                          category=str(e.get("category") or "")))
    return tuple(out)


@cache
def sdk_catalog() -> tuple[SdkRef, ...]:
    """The SDK knowledge file, or nothing while it does not exist yet (declared SDKs then stay empty)."""
    try:
        raw = knowledge.load_yaml("sdks.yaml")
    except FileNotFoundError:
        return ()
    entries = raw.get("sdks") if isinstance(raw, dict) else raw
    return sdk_refs_from_entries(list(entries or []))


@dataclass(frozen=True, slots=True)
class SdkMatcher:
    """One regex over every SDK name, alias and package of a catalog; Latin names must stand as whole words."""

    regex: re.Pattern[str] | None
    ids_by_term: dict[str, frozenset[str]]


MIN_PACKAGE_CHARS = 5
_SDK_SUFFIX = re.compile(r"\s*(SDK|sdk|Sdk)$")
_VENDOR_IN_PARENS = re.compile(r"^(.+?)\s*[（(]([^（）()]+)[)）]$")
_SCRIPT_BOUNDARY = re.compile(r"(?<=[A-Za-z0-9])(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])(?=[A-Za-z0-9])")


def _long_enough(name: str) -> bool:
    """A shortened name must still be distinctive: 3 Chinese characters, or 5 Latin ones that are not an acronym
    (the "OAID" of "OAID SDK" is a device identifier, not the SDK)."""
    if name.isascii():
        return len(name) >= 5 and not name.isupper()
    return len(name) >= 3


def name_variants(name: str) -> list[str]:
    """The ways a policy writes an SDK name: with or without spaces and the word SDK ("友盟统计 SDK",
    "友盟统计SDK", "友盟统计"), "X推送" as "X PUSH", an English name with its vendor in parentheses
    ("JPush (极光)") as the name alone, and parentheses of either width ("神策网络科技(北京)有限公司")."""
    out = [name]
    parens = _VENDOR_IN_PARENS.match(name)
    if parens and _long_enough(parens.group(1)):
        out.append(parens.group(1))
    for n in list(out):
        out += [n.replace(" ", ""), _SCRIPT_BOUNDARY.sub(" ", n)]
    for n in list(out):
        base = _SDK_SUFFIX.sub("", n)
        if base != n and _long_enough(base):
            out.append(base)
        if base == n:
            out += [n + "SDK", n + " SDK"]
        if base.endswith("推送") and len(base) > 2:
            out += [base[:-2] + " PUSH", base[:-2] + "PUSH"]
    out += [_half_width(n) for n in out] + [_full_width(n) for n in out]  # 神策网络科技(北京)有限公司
    return list(dict.fromkeys(v.strip() for v in out if v.strip()))


def _half_width(name: str) -> str:
    return name.replace("（", "(").replace("）", ")")


def _full_width(name: str) -> str:
    return name.replace("(", "（").replace(")", "）")


def build_sdk_matcher(catalog: tuple[SdkRef, ...]) -> SdkMatcher:
    mapping: dict[str, list[str]] = {}
    company_count: dict[str, int] = {}
    for ref in catalog:
        if ref.company:
            company_count[ref.company] = company_count.get(ref.company, 0) + 1
    for ref in catalog:
        terms = [v for n in ref.names for v in name_variants(n)] + [p for p in ref.packages if len(p) >= MIN_PACKAGE_CHARS]
        # a company names its SDK only when it runs a single one (Tencent runs dozens)
        if ref.company and company_count[ref.company] == 1 and len(ref.company) >= 4:
            terms += list(dict.fromkeys((ref.company, _half_width(ref.company), _full_width(ref.company))))
        for term in terms:
            mapping.setdefault(term, []).append(ref.id)
    if not mapping:
        return SdkMatcher(None, {})
    by_term: dict[str, set[str]] = {}
    for term, ids in mapping.items():
        by_term.setdefault(term.lower(), set()).update(ids)
    return SdkMatcher(_literal_alternation(list(mapping)), {k: frozenset(v) for k, v in by_term.items()})


@cache
def default_sdk_matcher() -> SdkMatcher:
    return build_sdk_matcher(sdk_catalog())
