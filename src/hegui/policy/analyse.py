"""What a policy says: mandatory elements, declared PI types, permissions and SDKs, "no sharing" claims."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from hegui import knowledge
from hegui.policy.document import PolicyDocument
from hegui.policy.evidence import Sentence, choose_proof, document_sentences, is_chinese
from hegui.policy.lexicon import (
    Lexicon,
    SdkMatcher,
    SdkRef,
    bounded,
    build_sdk_matcher,
    classify_sentence,
    default_sdk_matcher,
    lexicon,
    sdk_catalog,
)
from hegui.policy.script import Restorer, is_traditional, simplified_document

MAX_EXCERPT_CHARS = 300
PI_WINDOW = 25  # characters either side of a PI term searched by `pi_term_not_near`
AFTER_LOOKBACK = 6  # sentences before an opt-out searched for the personalisation it ends
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DEFINES_COLLECTED = re.compile(r"提供给|向我们提供|我们(会|将|所)?(收集|获取|采集)")
_DAYS = re.compile(r"(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*个?(工作日|自然日|日|天)")


@dataclass(frozen=True, slots=True)
class ElementHit:
    present: bool
    excerpt: str | None = None


@dataclass(slots=True)
class PolicyAnalysis:
    elements: dict[str, ElementHit]
    declared_pi_types: list[str]
    declared_permissions: list[str]
    declared_sdks: list[str]
    unmatched_sdk_names: list[str]
    says_no_sharing: bool
    no_sharing_excerpt: str | None = None
    pi_excerpts: dict[str, str] = field(default_factory=dict)          # PI type -> sentence declaring it
    denied_pi_types: dict[str, str] = field(default_factory=dict)      # PI type -> sentence denying collection
    permission_purposes: dict[str, str] = field(default_factory=dict)  # permission -> sentence with a purpose
    sdk_excerpts: dict[str, str] = field(default_factory=dict)         # SDK id -> sentence or row naming it
    complaint_days: tuple[int, str] | None = None                      # (days, unit) the policy commits to


def excerpt(sentence: str) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= MAX_EXCERPT_CHARS else sentence[: MAX_EXCERPT_CHARS - 1] + "…"


def chinese_number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    if "十" in token:
        tens, _, units = token.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(units, 0) if units else 0)
    return _CN_DIGITS.get(token)


def _response_days(sentence: str) -> tuple[int, str] | None:
    m = _DAYS.search(sentence)
    if not m:
        return None
    n = chinese_number(m.group(1))
    return (n, m.group(2)) if n is not None else None


def _within_limit(days: tuple[int, str], lex: Lexicon) -> bool:
    n, unit = days
    return n <= (lex.max_working_days if unit == "工作日" else lex.max_calendar_days)


def _pi_mentions(sentence: str, lex: Lexicon) -> list[tuple[int, str]]:
    """(offset, term) of PI-type terms in one sentence; ambiguous terms need a data/collection context word."""
    out: list[tuple[int, str]] = []
    context: bool | None = None
    for m in lex.pi_term_regex.finditer(sentence):
        if not bounded(sentence, m.start(), m.end()):
            continue
        term = m.group(0).lower()
        if term in lex.needs_context:
            if context is None:
                context = bool(lex.pi_context.search(sentence))
            if not context:
                continue
        out.append((m.start(), term))
    return out


def mention_types(sentence: str, pos: int, term: str, lex: Lexicon) -> frozenset[str]:
    """The PI types one mention names: a term's types minus those its surroundings rule out ("网络类型（Wi-Fi/4G）"
    is a connection type, not Wi-Fi data; "向您发送短信验证码" reads no SMS)."""
    types = lex.pi_types_by_term.get(term, frozenset())
    if not lex.pi_not_near or not types & lex.pi_not_near.keys():
        return types
    window = sentence[max(0, pos - PI_WINDOW): pos + len(term) + PI_WINDOW]
    return frozenset(t for t in types if t not in lex.pi_not_near or not lex.pi_not_near[t].search(window))


def sentence_pi_types(sentence: str, lex: Lexicon | None = None) -> set[str]:
    """PI types a single sentence names (used by the benchmark and by the analysis below)."""
    lex = lex or lexicon()
    found: set[str] = set()
    for pos, term in _pi_mentions(sentence, lex):
        found |= mention_types(sentence, pos, term, lex)
    return found


def sentence_permissions(sentence: str, lex: Lexicon | None = None) -> set[str]:
    """Android permissions a single sentence names as permissions (a term plus a permission word)."""
    lex = lex or lexicon()
    if not lex.permission_mention.search(sentence):
        return set()
    found: set[str] = set()
    for m in lex.permission_term_regex.finditer(sentence):
        if bounded(sentence, m.start(), m.end()):
            found |= lex.permissions_by_term.get(m.group(0).lower(), frozenset())
    return found


def sentence_elements(sentence: str, lex: Lexicon | None = None) -> set[str]:
    """Element ids one sentence proves on its own (ignoring document-level requirements)."""
    return classify_sentence(sentence, lex or lexicon())


def _denial_start(sentence: str, lex: Lexicon) -> int | None:
    m = lex.negation.search(sentence)
    if m is not None and not lex.negation_conditional.search(sentence):
        return m.end()
    en = lex.negation_en.search(sentence)  # the English half of a bilingual policy ("We do not collect …")
    return en.end() if en is not None and not lex.negation_en_conditional.search(sentence) else None


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _sdk_mention_counts(text: str, start: int, end: int, term: str, lex: Lexicon, in_sdk_list: bool) -> bool:
    if not bounded(text, start, end):
        return False
    if "." in term:
        return True
    if start > 0 and text[start - 1] in "/.@" or text[end:end + 1] == "." and text[end + 1:end + 2].isalnum():
        return False  # part of a URL or e-mail address (docs.jiguang.cn)
    glued_right = _is_cjk(term[-1]) and end < len(text) and _is_cjk(text[end])
    if glued_right and len(term) <= 4 and not lex.sdk_continuation.match(text, end):
        return False  # the first characters of a longer name (腾讯云 in 腾讯云慧眼人脸核身SDK)
    if in_sdk_list or "sdk" in term.lower():
        return True
    if len(term) <= 2 and _is_cjk(term[0]) and start > 0 and _is_cjk(text[start - 1]) \
            and not lex.sdk_continuation.match(text, end):
        return False
    # running text: a partner named for paying or logging in is not an embedded SDK unless the policy says so
    window = text[max(0, start - lex.sdk_window): end + lex.sdk_window]
    return bool(lex.sdk_context.search(window))


def _match_sdks(text: str, matcher: SdkMatcher, lex: Lexicon, *, in_sdk_list: bool = False) -> dict[str, str]:
    """SDK ids named in `text` (by name, alias, package prefix, or a single-SDK company) -> the matched words.

    `in_sdk_list`: the text is a row of an SDK table or a "SDK名称：…" value, so no context word is needed."""
    found: dict[str, str] = {}
    if matcher.regex is None:
        return found
    for m in matcher.regex.finditer(text):
        term = m.group(0)
        if not _sdk_mention_counts(text, m.start(), m.end(), term, lex, in_sdk_list):
            continue
        for sdk_id in matcher.ids_by_term.get(term.lower(), frozenset()):
            found.setdefault(sdk_id, term)
    return found


def sentences_text(marked: list[Sentence]) -> list[str]:
    return [m.text for m in marked]


def _operator_sdks(texts: list[str], lex: Lexicon, catalog_override: Sequence[SdkRef] | None) -> frozenset[str]:
    """SDKs run by the policy's own operator: its legal name (the operator-identity requirement) is their company."""
    requirement = next((r for r in lex.elements["operator_identity"].document_requires if r.name == "legal_name"), None)
    if requirement is None or requirement.include is None:
        return frozenset()
    names = {m.group(0) for t in texts if requirement.matches(t) for m in requirement.include.finditer(t)}
    if not names:
        return frozenset()
    catalog = sdk_catalog() if catalog_override is None else tuple(catalog_override)
    return frozenset(ref.id for ref in catalog if ref.company and any(ref.company in n or n in ref.company for n in names))


def _sdk_names_in_tables(doc: PolicyDocument, lex: Lexicon) -> list[tuple[str, str]]:
    """(SDK name, the whole row) from SDK tables and "SDK名称：…" labels; the row lets a package or company
    cell identify an SDK whose name cell is generic ("推送服务")."""
    found: list[tuple[str, str]] = []
    for table in doc.tables:
        if not table:
            continue
        header = table[0]
        column = next((i for i, cell in enumerate(header) if lex.sdk_name_header.search(cell or "")), None)
        if column is None:
            # SDK lists laid out as key/value rows: "SDK名称 | 友盟统计"
            found.extend((row[1], row[1]) for row in table
                         if len(row) >= 2 and lex.sdk_name_header.search(row[0] or "") and "SDK" in row[0].upper())
            continue
        header_text = " ".join(header)
        if "SDK" not in header_text.upper() and not any(lex.sdk_name_like.search(r[column] or "") for r in table[1:]
                                                         if len(r) > column):
            continue
        found.extend((row[column], " | ".join(row)) for row in table[1:] if len(row) > column and row[column])
    for m in lex.sdk_name_in_text.finditer(doc.text):
        found.append((m.group(2), m.group(2)))
    # one entry per row: a company name cell repeats across the rows of its SDKs
    seen: dict[str, str] = {}
    for name, row in found:
        name = name.strip()
        if name and len(name) <= 60 and row not in seen:
            seen[row] = name
    return [(name, row) for row, name in seen.items()]


def _element_hits(sentences: list[Sentence], lex: Lexicon) -> tuple[dict[str, ElementHit], tuple[int, str] | None]:
    """Each element's verdict and the sentence proving it (see `hegui.policy.evidence`)."""
    hits: dict[str, ElementHit] = {}
    complaint_days: tuple[int, str] | None = None
    # Each sentence's elements, computed once. An overview sentence ("本政策将帮助您了解：收集、共享、存储、
    # 您的权利…") matches many elements; the sentence matching the fewest is the most specific proof.
    per_sentence = [classify_sentence(s.text, lex) for s in sentences]
    texts = [s.text for s in sentences]
    outside: dict[str, set[int]] = {}
    for eid, matcher in lex.elements.items():
        candidates = [(s, len(found)) for s, found in zip(sentences, per_sentence, strict=True) if eid in found
                      and (matcher.outside_section is None or s.section not in outside.setdefault(eid, {
                          t.section for t in sentences if t.is_heading and matcher.outside_section.search(t.text)}))]
        if matcher.after is not None and matcher.after_previous is not None:
            # the opt-out may come a few sentences after the personalisation it ends, in the same section
            candidates += [(s, 1) for s in sentences
                           if not s.is_heading and eid not in per_sentence[s.index] and matcher.after.search(s.text)
                           and any(t.section == s.section and matcher.after_previous.search(t.text)
                                   for t in sentences[max(0, s.index - AFTER_LOOKBACK):s.index])]
        affine = {s.section for s, found in zip(sentences, per_sentence, strict=True)
                  if s.is_heading and (eid in found or (matcher.section is not None and matcher.section.search(s.text)))}
        if candidates and matcher.prefer:
            # under a heading about the element, the sentence saying how ("会在网页中显著的位置予以发布" under
            # "8 修订") proves it even without the element's own words; it never makes a verdict, only a proof
            listed = {c[0].index for c in candidates}
            candidates += [(s, 1) for s in sentences if s.section in affine and not s.is_heading
                           and s.index not in listed and s.weak is None and matcher.prefer[0].search(s.text)
                           and not (matcher.exclude is not None and matcher.exclude.search(s.text))
                           and not any(t in lex.topics and lex.topics[t].matches(s.text) for t in matcher.yields_to)]
        proof = choose_proof(eid, candidates, sentences, affine, lex, matcher.prefer)
        if proof is None:
            hits[eid] = ElementHit(False)
            continue
        first = proof.text
        if matcher.document_requires:
            found_req = [next((t for t in texts if r.matches(t)), None) for r in matcher.document_requires]
            if any(t is None for t in found_req):
                hits[eid] = ElementHit(False)
                continue
            parts = list(dict.fromkeys(t for t in found_req if t is not None))
            hits[eid] = ElementHit(True, " … ".join(excerpt(t) for t in parts))
            continue
        if matcher.requires is not None:
            timed = None
            # the handling time of a complaint, before a time promised for something else (an access request)
            about = [t for t in texts if matcher.matches(t)]
            for t in about + [t for t in texts if not matcher.matches(t)]:
                if matcher.requires.search(t):
                    days = _response_days(t)
                    if days is None or _within_limit(days, lex):
                        timed = t
                        complaint_days = days
                        break
                    complaint_days = complaint_days or days
            if timed is None:
                hits[eid] = ElementHit(False, excerpt(first))
                continue
            joined = excerpt(first) if timed == first else f"{excerpt(first)} … {excerpt(timed)}"
            hits[eid] = ElementHit(True, joined)
            continue
        hits[eid] = ElementHit(True, excerpt(first))
    return hits, complaint_days


def analyse_policy(doc: PolicyDocument, *, sdk_catalog_override: Sequence[SdkRef] | None = None) -> PolicyAnalysis:
    """What `doc` says. A traditional-character page is read in simplified characters (the lexicon's) and quoted
    in its own; it is Chinese, but not the simplified-Chinese version of the rules."""
    if not is_traditional(doc.text):
        return _analyse(doc, sdk_catalog_override, simplified=True)
    converted = simplified_document(doc)
    analysis = _analyse(converted, sdk_catalog_override, simplified=False)
    restore = Restorer(doc, converted, excerpt)
    analysis.elements = {k: ElementHit(h.present, restore(h.excerpt)) for k, h in analysis.elements.items()}
    analysis.no_sharing_excerpt = restore(analysis.no_sharing_excerpt)
    for table in (analysis.pi_excerpts, analysis.denied_pi_types, analysis.permission_purposes, analysis.sdk_excerpts):
        for key, text in table.items():
            table[key] = restore(text) or text
    analysis.unmatched_sdk_names = [restore(n) or n for n in analysis.unmatched_sdk_names]
    return analysis


def _analyse(doc: PolicyDocument, sdk_catalog_override: Sequence[SdkRef] | None, *, simplified: bool) -> PolicyAnalysis:
    lex = lexicon()
    sdk_matcher = default_sdk_matcher() if sdk_catalog_override is None else build_sdk_matcher(tuple(sdk_catalog_override))
    marked = document_sentences(doc, lex)

    hits, complaint_days = _element_hits(marked, lex)
    for eid in knowledge.policy_clauses():
        hits.setdefault(eid, ElementHit(False))
    if simplified and is_chinese(marked, doc.text, lex):
        first_cn = next((s.text for s in marked if _CJK.search(s.text) and not s.is_heading and s.weak is None), None)
        hits["language_simplified_chinese"] = ElementHit(True, excerpt(first_cn) if first_cn else None)

    pi_excerpts: dict[str, str] = {}
    denied: dict[str, str] = {}
    permission_purposes: dict[str, str] = {}
    mentioned_permissions: set[str] = set()
    says_no_sharing = False
    no_sharing_excerpt: str | None = None
    for mark in marked:
        s = mark.text
        # a definition ("个人敏感信息是指…，包括身份证件号码、银行账号…") explains a word and collects nothing,
        # unless it defines what users give the operator ("“隐私”是指用户…提供给第七大道的个人资料，包括…")
        defines_only = mark.weak == "definition" and not _DEFINES_COLLECTED.search(s)
        mentions = _pi_mentions(s, lex) if not defines_only else []
        if mentions:
            denial_at = 0 if mark.under_denial else _denial_start(s, lex)
            for pos, term in mentions:
                for pi in mention_types(s, pos, term, lex):
                    if denial_at is not None and pos >= denial_at:
                        denied.setdefault(pi, excerpt(s))
                    else:
                        pi_excerpts.setdefault(pi, excerpt(s))
        permissions_here = sentence_permissions(s, lex)
        if permissions_here:
            has_purpose = bool(lex.purpose_words.search(s))
            for perm in permissions_here:
                mentioned_permissions.add(perm)
                if has_purpose:
                    permission_purposes.setdefault(perm, excerpt(s))
        if not says_no_sharing and lex.no_sharing.search(s) and not lex.no_sharing_conditional.search(s):
            says_no_sharing = True
            no_sharing_excerpt = excerpt(s)

    # Sentence by sentence: inside a section about third-party SDKs every line is an entry of the list; elsewhere a
    # name needs an embedding word nearby. A sentence denying any SDK ("我们未集成任何第三方SDK") declares none.
    sdk_excerpts: dict[str, str] = {}
    own_sdks = _operator_sdks(sentences_text(marked), lex, sdk_catalog_override)
    sdk_sections = {m.section for m in marked if m.is_heading and lex.sdk_section.search(m.text)}
    list_opened_in: int | None = None  # the section where "第三方SDK目录如下：" opened a list without a heading
    for mark in marked:
        if mark.is_heading or mark.section != list_opened_in:
            list_opened_in = None
        if not mark.is_heading and mark.weak in ("lead-in", "label") and mark.text.rstrip(" *").endswith(("：", ":")) \
                and lex.sdk_section.search(mark.text):
            list_opened_in = mark.section
            continue
        if mark.weak == "negated":
            continue  # (a heading counts: SDK lists often give each SDK a heading of its own)
        # an English sentence in such a section is prose ("… to display advertisements"), not a list entry
        listed = (mark.section in sdk_sections or mark.section == list_opened_in) and bool(_CJK.search(mark.text))
        # a table row names its SDK in its first cells; its purpose and data cells name other things (实人认证, OAID)
        cells = mark.text.split(" | ")[:2] if " | " in mark.text else [mark.text]
        for cell in cells:
            for sdk_id in _match_sdks(cell, sdk_matcher, lex, in_sdk_list=listed):
                if not listed and sdk_id in own_sdks:
                    continue  # the operator naming its own product in running text (支付宝 in Alipay's policy)
                sdk_excerpts.setdefault(sdk_id, excerpt(mark.text))
    unmatched: list[str] = []
    for name, row in _sdk_names_in_tables(doc, lex):
        # the name cell first: the purpose and data cells of a row name other things (实人认证, OAID)
        listed = next((hit for cell in (name, *row.split(" | ")[:1], row)
                       if (hit := _match_sdks(cell, sdk_matcher, lex, in_sdk_list=True))), {})
        if not listed and name not in unmatched:
            unmatched.append(name)
        for sdk_id in listed:
            sdk_excerpts.setdefault(sdk_id, excerpt(row))

    first_listed = next(iter(sdk_excerpts.values()), None)
    if first_listed and hits.get("sdk_list") and hits["sdk_list"].present:
        hits["sdk_list"] = ElementHit(True, first_listed)  # an entry of the list proves the list
    return PolicyAnalysis(
        elements=hits,
        declared_pi_types=sorted(pi_excerpts),
        declared_permissions=sorted(mentioned_permissions),
        declared_sdks=sorted(sdk_excerpts),
        unmatched_sdk_names=unmatched,
        says_no_sharing=says_no_sharing,
        no_sharing_excerpt=no_sharing_excerpt,
        pi_excerpts=pi_excerpts,
        denied_pi_types={k: v for k, v in denied.items() if k not in pi_excerpts},
        permission_purposes=permission_purposes,
        sdk_excerpts=sdk_excerpts,
        complaint_days=complaint_days,
    )
