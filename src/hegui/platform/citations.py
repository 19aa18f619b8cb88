"""How the rectification notice cites its legal basis, per language.

The knowledge files cite a clause as `{doc, clause}`, where the clause often carries hegui's own English gloss
("三.5 (purpose not told in time)", or a description instead of a number for a draft or a practice without
numbered clauses), and a few documents' Chinese titles carry an English note on where the document is found
("(dev.mi.com documentation pId=2157)"). Those glosses help an English reader of hegui; they are not the
documents' wording, and a Chinese notice cites a document by its number or title and the clause by its number
only. So in Chinese the English glosses are left out (never translated: that would put words in the document's
mouth); in English the citation is the report's (report.render.clause_text).
"""

from __future__ import annotations

import re
from typing import Any

from hegui import knowledge

# A word with lower-case letters: English, not an acronym (SDK, APP), a document number (GB/T, T/TAF) or a list
# item letter ("3.1 b)").
_ENGLISH_WORD = re.compile(r"[A-Za-z]*[a-z]{2,}[A-Za-z]*")
# Latin words official Chinese titles use as they are (GB/T 41391-2022 "…应用程序(App)…", 小米 HyperOS)
NAMES_IN_CHINESE_TITLES = frozenset({"App", "HyperOS"})
_PARENTHESIS = re.compile(r"(\s*)([(（])([^()（）]*)([)）])")
_PART = re.compile(r"\s*[,;，；]\s*")


def english_words(text: str) -> list[str]:
    """The English words of `text` (names official Chinese titles use aside)."""
    return [w for w in _ENGLISH_WORD.findall(text) if w not in NAMES_IN_CHINESE_TITLES]


def without_english_glosses(text: str) -> str:
    """`text` without its English glosses: in a parenthesis, the English parts are dropped (the parenthesis too
    when nothing is left); "(不给权限APP退出或关闭, incl. refusing registration/login)" keeps its Chinese part."""
    def keep(match: re.Match[str]) -> str:
        space, opening, inside, closing = match.groups()
        parts = [p for p in _PART.split(inside) if p and not english_words(p)]
        return f"{space}{opening}{', '.join(parts)}{closing}" if parts else ""
    return _PARENTHESIS.sub(keep, text).strip()


def chinese_title(doc: dict[str, Any]) -> str:
    return without_english_glosses(str(doc["title_zh"]))


def chinese_number(doc: dict[str, Any]) -> str | None:
    """The document's number without an English note ("YD/T 2407-2021 (replaces YD/T 2407-2013)")."""
    return without_english_glosses(str(doc["number"])) if doc.get("number") else None


def chinese_clause(clause: str) -> str:
    """The clause's number (and Chinese notes); "" when the clause is an English description, not a number."""
    clause = without_english_glosses(clause)
    return "" if english_words(clause) else clause


def legal_basis(source: dict[str, Any], lang: str) -> str:
    """One cited clause of a finding (`{"doc", "clause"}` of the report) as the notice prints it: by the
    document's number, or its title in 《》, and the clause."""
    from hegui.report.model import SourceRef
    from hegui.report.render import clause_text

    doc_id, clause = str(source.get("doc", "")), str(source.get("clause", ""))
    doc = knowledge.documents().get(doc_id)
    if lang != "zh" or doc is None:
        return clause_text(SourceRef(doc=doc_id, clause=clause))
    cited = chinese_number(doc) or f"《{chinese_title(doc)}》"
    return f"{cited} {chinese_clause(clause)}".strip()
