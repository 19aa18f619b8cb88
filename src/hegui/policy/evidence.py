"""Which sentence proves an element: headings, tables of contents, preambles, definitions and metadata lines
mention a subject without saying anything about it, and a list inherits the polarity of the line that
introduces it ("我们不会收集以下信息：" governs the items under it).

A reviewer quotes the excerpt in a notice, so the excerpt must be the sentence that satisfies the element;
`choose_proof` ranks the candidates, and says when none of them proves anything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from hegui.policy.document import PolicyDocument
from hegui.policy.lexicon import Lexicon

# A row of a Markdown table ("| 权限名称 | 使用目的 |"); the row before the rule line (|---|---|) is the header
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$|\s\|\s")
# A short line without sentence punctuation: a heading, a table-of-contents entry or a label.
_HEADING_LIKE = re.compile(r"^[^。；;，,！!？?]{1,40}$")
_NUMBERING = re.compile(r"^[\s#*\-•·>]*(第[一二三四五六七八九十百零\d]+[章节条部分]|[一二三四五六七八九十]+[、.．]|"
                        r"[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}(\.\d{1,2}){0,3}[、.．\s]?)\s*")
_NOISE = re.compile(r"[\s*#_`>|【】\[\]（）()：:、.．\-—]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LABEL_CHARS = 16
_WORD = re.compile(r"[A-Za-z\u4e00-\u9fff]{2}")


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    index: int
    section: int
    is_heading: bool
    # why the sentence proves nothing on its own: "toc", "preamble", "definition", "metadata", "negated"
    weak: str | None
    # the line introducing the list this sentence belongs to denies what follows
    under_denial: bool = False


def _key(text: str) -> str:
    return _NOISE.sub("", _NUMBERING.sub("", text))


def _negated(text: str, lex: Lexicon) -> bool:
    if lex.negation_en.search(text):
        return True
    if lex.negation.search(text) and not lex.negation_conditional.search(text):
        return True
    return bool(lex.no_sharing.search(text) and not lex.no_sharing_conditional.search(text))


def _weakness(text: str, lex: Lexicon, heading_keys: set[str], is_heading: bool) -> str | None:
    q = lex.quality
    if not _WORD.search(text):
        return "empty"  # a table rule (|---|---|) or a line of punctuation
    if not is_heading and _HEADING_LIKE.match(text) and len(_key(text)) >= 2 and _key(text) in heading_keys:
        return "toc"  # the same words stand as a heading further on: this is the table of contents
    if q.metadata is not None and q.metadata.search(text):
        return "metadata"
    if q.definition is not None and q.definition.search(text):
        return "definition"
    if q.preamble is not None and q.preamble.search(text):
        return "preamble"
    if _negated(text, lex):
        return "negated"
    # a numbered label may end in a full stop ("1、存储期限。"); an unnumbered short sentence is a sentence
    bare = text.rstrip("：: *")
    if _NUMBERING.match(bare) and _NUMBERING.match(bare).end() > 0:
        bare = bare.rstrip("。")
    if not is_heading and not _TABLE_ROW.search(text) and _HEADING_LIKE.match(bare) and (
            len(text) <= _LABEL_CHARS or text.rstrip(" *").endswith(("：", ":")) and len(text) <= 30):
        return "label"  # "账户信息", "存储时长：": a label whose content is the next sentence
    if text.rstrip(" *").endswith(("：", ":")) and (q.lead_in is None or q.lead_in.search(text)):
        return "lead-in"  # "我们会收集以下信息：" announces a list; the items say what is collected
    return None


def document_sentences(doc: PolicyDocument, lex: Lexicon) -> list[Sentence]:
    """Every heading and sentence in document order, each with what it can prove."""
    heading_keys = {_key(sec.heading) for sec in doc.sections if sec.heading}
    out: list[Sentence] = []
    for si, sec in enumerate(doc.sections):
        if sec.heading:
            out.append(Sentence(sec.heading, len(out), si, True, _weakness(sec.heading, lex, set(), True)))
        governing: str | None = None  # weakness of the line introducing the current list
        for text in sec.sentences:
            weak = _weakness(text, lex, heading_keys, False)
            is_item = bool(lex.quality.list_item.match(text)) or bool(_HEADING_LIKE.match(text))
            inherited = governing if is_item else None
            if not is_item:
                governing = None
            if text.rstrip(" *").endswith(("：", ":")) and weak in ("negated", "definition"):
                governing = weak  # "我们不会收集以下信息：", "本政策涉及的个人信息包括：" govern the items below
            out.append(Sentence(text, len(out), si, False, weak or inherited, inherited == "negated"))
    # a table's header row names its columns ("| 权限信息 | 使用场景、目的 |"): a label of the rows below
    for i, sent in enumerate(out[:-1]):
        if out[i + 1].weak == "empty" and sent.weak is None and _TABLE_ROW.search(sent.text) \
                and "-" in out[i + 1].text:
            out[i] = Sentence(sent.text, sent.index, sent.section, sent.is_heading, "label", sent.under_denial)
    return out


def is_chinese(sentences: Sequence[Sentence], text: str, lex: Lexicon) -> bool:
    """A policy is Chinese when most of its characters are, or when a full Chinese text stands next to an English
    one (bilingual pages alternate a Chinese and an English paragraph; English sentences are longer)."""
    q = lex.quality
    visible = sum(1 for ch in text if not ch.isspace())
    if visible and len(_CJK.findall(text)) / visible >= q.chinese_text_share:
        return True
    body = [s.text for s in sentences if not s.is_heading and len(s.text) >= 8]
    chinese = [t for t in body if len(_CJK.findall(t)) >= q.chinese_line_share * len(t.replace(" ", ""))]
    return len(chinese) >= q.min_chinese_sentences and len(chinese) >= q.chinese_sentence_share * len(body)


def choose_proof(eid: str, candidates: Sequence[tuple[Sentence, int]], sentences: Sequence[Sentence],
                 affine_sections: set[int], lex: Lexicon, prefer: Sequence[re.Pattern[str]] = ()) -> Sentence | None:
    """The sentence to cite for `eid` among the sentences matching it (with how many elements each matches),
    or None when none of them proves the element.

    A body sentence beats a heading; a sentence of a section whose heading is about the element beats one
    elsewhere; a specific sentence (matching few elements) beats an overview; then document order. A heading
    proves its element only through its body, which is then cited. Metadata lines still count (an update date
    is part of the change-notice element) but only when nothing better exists."""
    weakens_negation = eid in lex.quality.negation_weakens
    # a lead-in stating a sharing or a right ("我们可能将您的个人信息与关联公司分享，用作下列用途：") proves it; only
    # inventories are in their items ("我们会收集以下信息：")
    weakens_lead_in = lex.quality.lead_in_weakens is None or eid in lex.quality.lead_in_weakens

    def weak(s: Sentence) -> bool:
        if s.weak == "negated":
            return weakens_negation
        return s.weak is not None and (s.weak != "lead-in" or weakens_lead_in)

    def rank(s: Sentence) -> int:
        return next((i for i, p in enumerate(prefer) if p.search(s.text)), len(prefer))

    body = [(s, n) for s, n in candidates if not s.is_heading]
    # boilerplate around a concrete way ("…我们将在修改生效前通过主页提示通知您，若您继续使用即表示同意") proves it
    strong = [(s, n) for s, n in body if not weak(s) or s.weak == "preamble" and rank(s) < len(prefer)]
    if strong:
        # the first `prefer` pattern names the best proof wherever it stands; then the element's own section
        return min(strong, key=lambda c: (c[0].section not in affine_sections, rank(c[0]), c[1], c[0].index))[0]
    for s, _n in sorted(candidates, key=lambda c: c[0].index):
        if s.is_heading or s.weak == "label" or s.weak == "lead-in" and weakens_lead_in:
            # a heading or label proves its element through what follows it in the same section
            following = [t for t in sentences if t.section == s.section and t.index > s.index and not t.is_heading]
            nxt = next((t for t in following if not weak(t)), None)
            if nxt is not None and (s.is_heading or nxt.index <= s.index + 3):
                return nxt
    # a date line set as a heading (**更新日期：2025年10月24日**) is still the only evidence of an update date
    if lex.quality.metadata_proves is not None and eid not in lex.quality.metadata_proves:
        return None
    metadata = [s for s, _n in sorted(candidates, key=lambda c: c[0].index) if s.weak == "metadata"]
    return metadata[0] if metadata else None
