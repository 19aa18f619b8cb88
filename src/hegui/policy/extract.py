"""Bytes of a policy (HTML, PDF or plain text, any common Chinese encoding) → `PolicyDocument`.

The format is sniffed from the content, never from the name: APKs ship policies as `.txt` that are HTML and
`.html` that are plain text. The encoding is detected (BOM, strict UTF-8, the HTML meta charset, then
charset-normalizer), never assumed. Everything here handles attacker-controlled input: no recursion on the
HTML tree, bounded sentence length, and a one-line `InputError` for anything that is not a readable policy.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re

from hegui.errors import InputError
from hegui.policy.document import PolicyDocument, Section, normalise_space, split_sentences

MAX_POLICY_BYTES = 20_000_000

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-]{2,20})""", re.I)
_HTML_SNIFF = re.compile(r"<\s*(!doctype\s+html|html|head|body|div|p|h[1-6]|table|span|meta|br|ul|ol|li|section|article)\b",
                         re.I)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_REPLACEMENT = "\ufffd"


def _strip_bom(data: bytes) -> tuple[bytes, str | None]:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom):], enc
    return data, None


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without BOM: ASCII-heavy text has NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    even_nul = sample[0::2].count(0) / (len(sample) / 2)
    odd_nul = sample[1::2].count(0) / (len(sample) / 2)
    if odd_nul > 0.3 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _plausibility(text: str) -> float:
    """Share of characters that belong in a policy (CJK, ASCII printable, CJK punctuation)."""
    if not text:
        return 0.0
    sample = text[:20000]
    good = sum(1 for ch in sample if ch.isascii() and (ch.isprintable() or ch in "\n\r\t")
               or "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
               or ch in "“”‘’—…·")
    return good / len(sample)


def _decode_allowing_cut_end(body: bytes, encoding: str) -> str:
    """Strict decoding, except that a character cut off by the end of the data (a size-capped download or
    resource) is dropped instead of failing the whole document."""
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start >= len(body) - 3 and "end of data" in exc.reason:
            return body[: exc.start].decode(encoding)
        raise


def decode_text(data: bytes) -> tuple[str, str]:
    """Detect the encoding and decode. Returns (text, encoding). Raises InputError when undecodable."""
    body, bom_encoding = _strip_bom(data)
    if not body.strip():
        raise InputError("policy document is empty")
    candidates: list[str] = []
    if bom_encoding:
        candidates.append(bom_encoding)
    else:
        utf16 = _looks_utf16(body)
        if utf16:
            candidates.append(utf16)
        elif b"\x00" in body[:4096]:
            raise InputError("policy looks like binary data, not text (it contains NUL bytes)")
        candidates.append("utf-8")
        meta = _META_CHARSET.search(body[:4096])
        if meta:
            declared = meta.group(1).decode("ascii", "replace").lower()
            with contextlib.suppress(LookupError):
                candidates.append(codecs.lookup(declared).name)
        from charset_normalizer import from_bytes

        best = from_bytes(body[:200_000]).best()
        if best is not None and best.encoding:
            candidates.append(best.encoding)
        # GB18030 is a superset of GBK/GB2312; charset-normalizer sometimes names a sibling CJK codec for
        # short Chinese texts, so the GB family is always tried and judged on plausibility like the rest.
        candidates.append("gb18030")
    best_text: tuple[float, str, str] | None = None
    for enc in dict.fromkeys(candidates):
        try:
            text = _decode_allowing_cut_end(body, enc)
        except (UnicodeDecodeError, LookupError):
            continue
        score = _plausibility(text)
        if best_text is None or score > best_text[0] + 0.02:
            best_text = (score, text, enc)
        if enc == bom_encoding or score > 0.97:
            break
    if best_text is None:
        raise InputError("policy text is in no encoding hegui can detect (tried UTF-8/16, GBK/GB18030 and others)")
    score, text, enc = best_text
    if score < 0.85:
        raise InputError(f"policy looks like binary data, not text ({enc} decodes only {score:.0%} readable characters)")
    return text, enc


def _check_not_binary(data: bytes) -> None:
    if not data or not data.strip():
        raise InputError("policy document is empty")
    if len(data) > MAX_POLICY_BYTES:
        raise InputError(f"policy document is larger than {MAX_POLICY_BYTES // 1_000_000} MB")
    head = data[:8]
    if head.startswith(b"PK\x03\x04"):
        raise InputError("policy is a ZIP container (e.g. DOCX/APK), not HTML, PDF or text")
    for magic, what in ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
                        (b"dex\n", "a DEX file"), (b"\x7fELF", "an ELF binary"), (b"\x03\x00\x08\x00", "binary XML")):
        if head.startswith(magic):
            raise InputError(f"policy is {what}, not HTML, PDF or text")


def extract_policy(data: bytes, name: str) -> PolicyDocument:
    """Parse a policy by sniffing its content. `name` is only recorded as the document's source."""
    _check_not_binary(data)
    if data.lstrip()[:5] == b"%PDF-":
        return _from_pdf(data, name)
    text, _encoding = decode_text(data)
    if _BAD_CONTROL.search(text[:4096]) and len(_BAD_CONTROL.findall(text[:4096])) > 8:
        raise InputError("policy looks like binary data: it contains control characters")
    if text.count(_REPLACEMENT) > max(8, len(text) // 100):
        raise InputError("policy text is damaged: too many undecodable characters")
    doc = _from_html(text, name) if _looks_html(text) else _from_plain_text(text, name)
    if not doc.text.strip():
        raise InputError("policy document contains no readable text")
    return doc


_MARKDOWN_HEADING_LINE = re.compile(r"^#{1,6}\s+\S", re.M)


def _looks_html(text: str) -> bool:
    """HTML, unless it is Markdown with a stray tag or two (a `<br>` in a Markdown policy must not turn its
    headings and tables into one run of text)."""
    head = text[:4096]
    if not _HTML_SNIFF.search(head):
        return False
    tags = len(_HTML_SNIFF.findall(text[:200_000]))
    return len(_MARKDOWN_HEADING_LINE.findall(text[:200_000])) <= tags


# --- plain text -------------------------------------------------------------------------------------------------

_HEADING = re.compile(
    r"^\s*(第[一二三四五六七八九十百零\d]+[章节条部分]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[)）]"
    r"|\d{1,2}(\.\d{1,2}){0,2}[、.．\s]|[【\[][^】\]]{2,20}[】\]]\s*$)")
_MAX_HEADING_CHARS = 40


_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+\S")
_EMPHASIS = re.compile(r"[*_]{2,}|\*")


def _is_heading(line: str) -> bool:
    if _MARKDOWN_HEADING.match(line):
        return len(line) <= 2 * _MAX_HEADING_CHARS
    plain = normalise_space(_EMPHASIS.sub("", line))
    if len(plain) > _MAX_HEADING_CHARS or plain.endswith(("。", "；", ";", "，", ",", "：", ":")) or not plain:
        return False
    # a short line set entirely in bold is a heading in Markdown (and in HTML converted to Markdown)
    if line.startswith("**") and line.endswith("**") and not re.search(r"[。；;，,]", plain):
        return True
    return bool(_HEADING.match(plain)) or plain.endswith(("？", "?"))


def _table_cells(line: str) -> list[str] | None:
    sep = "\t" if "\t" in line else "|" if line.count("|") >= 2 else None
    if sep is None:
        return None
    cells = [normalise_space(c) for c in line.split(sep)]
    cells = [c for c in cells if c]
    return cells if len(cells) >= 2 else None


def _build(source: str, blocks: list[tuple[str, str]], tables: list[list[list[str]]]) -> PolicyDocument:
    """blocks: ("heading" | "text", content) in document order."""
    sections: list[Section] = [Section(heading="")]
    lines: list[str] = []
    for kind, content in blocks:
        content = normalise_space(content)
        if not content:
            continue
        lines.append(content)
        if kind == "heading":
            sections.append(Section(heading=content[:200]))
        else:
            sections[-1].sentences.extend(split_sentences(content))
    sections = [s for s in sections if s.heading or s.sentences]
    return PolicyDocument(source=source, text="\n".join(lines), sections=sections, tables=tables)


_BR = re.compile(r"<br\s*/?>", re.I)


def _from_plain_text(text: str, source: str) -> PolicyDocument:
    text = _BR.sub("\n", text)  # Markdown policies use <br> for a line break
    blocks: list[tuple[str, str]] = []
    tables: list[list[list[str]]] = []
    current_table: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip() if "\t" in raw else normalise_space(raw)
        if not line:
            continue
        cells = _table_cells(line)
        if cells is not None:
            current_table.append(cells)
            blocks.append(("text", " | ".join(cells)))
            continue
        if current_table:
            tables.append(current_table)
            current_table = []
        blocks.append(("heading" if _is_heading(line) else "text", line))
    if current_table:
        tables.append(current_table)
    return _build(source, blocks, tables)


# --- HTML -------------------------------------------------------------------------------------------------------

# Not policy text: code, styling, and navigation chrome around the policy.
_DROP_TAGS = frozenset({"script", "style", "noscript", "template", "nav", "svg", "iframe", "object", "head",
                        "button", "select", "option", "canvas", "-comment"})
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCK_TAGS = frozenset({"p", "div", "li", "ul", "ol", "section", "article", "br", "dd", "dt", "dl", "blockquote",
                         "pre", "header", "footer", "main", "aside", "hr", "form", "address", "center", "body"})


def _is_navigation(node) -> bool:
    attrs = node.attributes or {}
    return (attrs.get("role") or "").lower() == "navigation" or (attrs.get("aria-hidden") or "").lower() == "true"


def _table_rows(table) -> list[list[str]]:
    rows: list[list[str]] = []
    for tr in table.css("tr"):
        cells = [normalise_space(td.text(separator=" ")) for td in tr.iter() if td.tag in ("td", "th")]
        if any(cells):
            rows.append(cells)
    return rows


def _from_html(text: str, source: str) -> PolicyDocument:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(text)
    root = tree.body or tree.root
    blocks: list[tuple[str, str]] = []
    tables: list[list[list[str]]] = []
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            blocks.append(("text", "".join(buffer)))
            buffer.clear()

    # Explicit stack instead of recursion: hostile HTML nests tens of thousands of elements deep.
    # An entry is (node, closing) where closing=True marks the end of a block element.
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            flush()
            continue
        if node.is_text_node:
            text_content = node.text_content or ""
            parent = node.parent
            if parent is not None and parent.tag not in ("body", "html", "pre"):
                # inside an element HTML collapses a line break to a space (<br> and blocks end lines); text
                # straight under <body> is Markdown or plain text with a stray tag, whose lines are kept
                text_content = text_content.replace("\r", " ").replace("\n", " ")
            buffer.append(text_content)
            continue
        tag = node.tag or ""
        if tag in _DROP_TAGS or (node.is_element_node and _is_navigation(node)):
            continue
        if tag in _HEADING_TAGS:
            flush()
            blocks.append(("heading", node.text(separator=" ")))
            continue
        if tag == "table":
            flush()
            rows = _table_rows(node)
            if rows:
                tables.append(rows)
                blocks.extend(("text", " | ".join(c for c in row if c)) for row in rows)
            continue
        if tag in ("td", "th", "tr", "tbody", "thead"):
            # a stray cell outside any table: treat as a block
            pass
        is_block = tag in _BLOCK_TAGS or tag in ("td", "th", "tr")
        if is_block:
            flush()
            stack.append((node, True))
        children = []
        child = node.child
        while child is not None:
            children.append(child)
            child = child.next
        stack.extend((c, False) for c in reversed(children))
    flush()
    return _build(source, blocks, tables)


# --- PDF --------------------------------------------------------------------------------------------------------

def _from_pdf(data: bytes, source: str) -> PolicyDocument:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # the `policy` extra is not installed
        raise InputError("PDF policies need the pypdf package (pip install 'hegui[policy]')") from exc
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as exc:
                raise InputError("PDF policy is encrypted") from exc
        pages = [page.extract_text() or "" for page in reader.pages[:500]]
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise InputError(f"PDF policy cannot be read: {str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__}") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise InputError("PDF policy has no extractable text (scanned images?)")
    return _from_plain_text(text, source)
