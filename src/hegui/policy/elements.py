"""Phase 3 of reading a policy: each mandatory element's verdict and the sentence proving it (its excerpt)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hegui import knowledge
from hegui.policy.evidence import Sentence, choose_proof, is_chinese
from hegui.policy.lexicon import Lexicon, classify_sentence, lexicon

MAX_EXCERPT_CHARS = 300
AFTER_LOOKBACK = 6  # sentences before an opt-out searched for the personalisation it ends
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class ElementHit:
    present: bool
    excerpt: str | None = None


def excerpt(sentence: str) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= MAX_EXCERPT_CHARS else sentence[: MAX_EXCERPT_CHARS - 1] + "…"


def chinese_number(token: str, lex: Lexicon) -> int | None:
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    if "十" in token:
        tens, _, units = token.partition("十")
        return (lex.numerals.get(tens, 1) if tens else 1) * 10 + (lex.numerals.get(units, 0) if units else 0)
    return lex.numerals.get(token)


def _response_days(sentence: str, lex: Lexicon) -> tuple[int, str] | None:
    m = lex.response_time.search(sentence)
    if not m:
        return None
    n = chinese_number(m.group(1), lex)
    return (n, m.group(2)) if n is not None else None


def _within_limit(days: tuple[int, str], lex: Lexicon) -> bool:
    n, unit = days
    return n <= (lex.max_working_days if unit == lex.working_day_unit else lex.max_calendar_days)


def sentence_elements(sentence: str, lex: Lexicon | None = None) -> set[str]:
    """Element ids one sentence proves on its own (ignoring document-level requirements)."""
    return classify_sentence(sentence, lex or lexicon())


def element_hits(sentences: list[Sentence], lex: Lexicon) -> tuple[dict[str, ElementHit], tuple[int, str] | None]:
    """Each element's verdict and the sentence proving it (see `hegui.policy.evidence`), plus the complaint
    handling time the policy commits to. Every clause of the catalog gets a verdict."""
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
                    days = _response_days(t, lex)
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
    for eid in knowledge.policy_clauses():
        hits.setdefault(eid, ElementHit(False))
    return hits, complaint_days


def simplified_chinese_hit(sentences: list[Sentence], text: str, lex: Lexicon) -> ElementHit | None:
    """The simplified-Chinese-version element of a page in simplified characters: proved by its first Chinese
    body sentence when the page is Chinese (None: the verdict stays as the lexicon's patterns gave it)."""
    if not is_chinese(sentences, text, lex):
        return None
    first_cn = next((s.text for s in sentences if _CJK.search(s.text) and not s.is_heading and s.weak is None), None)
    return ElementHit(True, excerpt(first_cn) if first_cn else None)
