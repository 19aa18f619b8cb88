"""A privacy policy as hegui reads it: plain text, sections with their headings, and table rows.

Every later step (element detection, declarations, consistency) works on this structure, never on the raw
bytes, so HTML, PDF and plain-text policies are judged the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Sentence ends in Chinese and Western punctuation; a semicolon ends a clause that policies use like a sentence
# ("…用于登录；…用于支付；"), and each clause may prove a different element.
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|\n+")
# A sentence longer than this is cut: hostile or badly converted input may have no punctuation at all, and an
# excerpt in a report must stay readable.
MAX_SENTENCE_CHARS = 600


@dataclass(slots=True)
class Section:
    """A heading and the sentences under it (the heading itself is not repeated in `sentences`)."""

    heading: str
    sentences: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PolicyDocument:
    source: str
    text: str
    sections: list[Section]
    tables: list[list[list[str]]]

    def sentences(self) -> list[tuple[str, str]]:
        """(heading, sentence) pairs in document order, headings included as sentences of their own."""
        out: list[tuple[str, str]] = []
        for sec in self.sections:
            if sec.heading:
                out.append((sec.heading, sec.heading))
            out.extend((sec.heading, s) for s in sec.sentences)
        return out


def split_sentences(text: str) -> list[str]:
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        piece = piece.strip()
        while len(piece) > MAX_SENTENCE_CHARS:
            out.append(piece[:MAX_SENTENCE_CHARS])
            piece = piece[MAX_SENTENCE_CHARS:].strip()
        if piece:
            out.append(piece)
    return out


def normalise_space(text: str) -> str:
    # NBSP, ideographic space and zero-width characters are common in policies exported from word processors.
    text = text.replace("\u00a0", " ").replace("\u3000", " ")
    text = re.sub(r"[\u200b-\u200d\ufeff]", "", text)
    return re.sub(r"[ \t\r\f\v]+", " ", text).strip()
