"""Traditional-character policies (Hong Kong, Macao, Taiwan): recognised, and read as simplified text.

A page in traditional characters is Chinese but not the simplified-Chinese version the rules require. The lexicon
is written in simplified characters, so such a page is converted before it is read, one character for one
character (regional words too, each to a mainland word of the same length). Sentences keep their length and
order, so every excerpt is quoted from the original page (`Restorer`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from hegui import knowledge
from hegui.policy.document import PolicyDocument, Section

_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class Script:
    min_share: float
    dominance: float                   # share of traditional forms among the characters written differently
    characters: dict[str, str]         # traditional → simplified character
    simplified_only: frozenset[str]
    phrases: re.Pattern[str] | None    # regional words (in simplified characters), longest first
    mainland: dict[str, str]


@cache
def script() -> Script:
    raw = (knowledge.load_yaml("policy_lexicon.yaml").get("language") or {}).get("traditional") or {}
    pairs = str(raw.get("characters") or "")
    phrases = {str(k): str(v) for k, v in (raw.get("phrases") or {}).items()}
    pattern = re.compile("|".join(re.escape(w) for w in sorted(phrases, key=len, reverse=True))) if phrases else None
    characters = {pairs[i]: pairs[i + 1] for i in range(0, len(pairs) - 1, 2)}
    return Script(float(raw.get("min_share", 1.0)), float(raw.get("dominance", 1.0)), characters,
                  frozenset(characters.values()) - frozenset(characters), pattern, phrases)


def is_traditional(text: str, sc: Script | None = None) -> bool:
    """Most Chinese characters exist in one form only; a page is traditional when enough of them are traditional
    forms (a simplified page quoting a Hong Kong company name is not) and they outnumber the simplified forms (a
    page with a simplified text next to a traditional one has the simplified version)."""
    sc = sc or script()
    cjk = _CJK.findall(text)
    if not cjk or not sc.characters:
        return False
    traditional = sum(1 for ch in cjk if ch in sc.characters)
    simplified = sum(1 for ch in cjk if ch in sc.simplified_only)
    return traditional >= sc.min_share * len(cjk) and traditional >= sc.dominance * (traditional + simplified)


def to_simplified(text: str, sc: Script | None = None) -> str:
    sc = sc or script()
    out = "".join(sc.characters.get(ch, ch) for ch in text)
    return sc.phrases.sub(lambda m: sc.mainland[m.group(0)], out) if sc.phrases is not None else out


def simplified_document(doc: PolicyDocument, sc: Script | None = None) -> PolicyDocument:
    """The same document in simplified characters: same sections, sentences and cells, each of the same length."""
    sc = sc or script()
    return PolicyDocument(
        source=doc.source, text=to_simplified(doc.text, sc),
        sections=[Section(to_simplified(s.heading, sc), [to_simplified(t, sc) for t in s.sentences])
                  for s in doc.sections],
        tables=[[[to_simplified(c, sc) for c in row] for row in table] for table in doc.tables])


class Restorer:
    """Maps an excerpt of the converted document back to the original words (same positions, same length)."""

    def __init__(self, original: PolicyDocument, converted: PolicyDocument, quote: Callable[[str], str]) -> None:
        self._map: dict[str, str] = {}
        for o_sec, c_sec in zip(original.sections, converted.sections, strict=True):
            self._add(quote, o_sec.heading, c_sec.heading)
            for o, c in zip(o_sec.sentences, c_sec.sentences, strict=True):
                self._add(quote, o, c)
        for o_table, c_table in zip(original.tables, converted.tables, strict=True):
            for o_row, c_row in zip(o_table, c_table, strict=True):
                self._add(quote, " | ".join(o_row), " | ".join(c_row))
                for o, c in zip(o_row, c_row, strict=True):
                    self._add(quote, o, c)

    def _add(self, quote: Callable[[str], str], original: str, converted: str) -> None:
        if original:
            self._map.setdefault(quote(converted), quote(original))

    def __call__(self, text: str | None) -> str | None:
        if not text:
            return text
        if text in self._map:
            return self._map[text]
        return " … ".join(self._map.get(part, part) for part in text.split(" … "))
