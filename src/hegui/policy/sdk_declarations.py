"""Phase 4 of reading a policy: the third-party SDKs it declares (SDK sections, lists opened by a lead-in, SDK
tables, "SDK名称：…" labels) and the listed names the catalog does not know."""

from __future__ import annotations

import re
from collections.abc import Sequence

from hegui.policy.document import PolicyDocument
from hegui.policy.elements import excerpt
from hegui.policy.evidence import Sentence
from hegui.policy.lexicon import Lexicon, SdkMatcher, SdkRef, bounded, sdk_catalog

_CJK = re.compile(r"[\u4e00-\u9fff]")


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


def _sdks_in_sentences(marked: list[Sentence], matcher: SdkMatcher, lex: Lexicon,
                       own_sdks: frozenset[str]) -> dict[str, str]:
    """Sentence by sentence: inside a section about third-party SDKs every line is an entry of the list; elsewhere
    a name needs an embedding word nearby. A sentence denying any SDK ("我们未集成任何第三方SDK") declares none."""
    sdk_excerpts: dict[str, str] = {}
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
            for sdk_id in _match_sdks(cell, matcher, lex, in_sdk_list=listed):
                if not listed and sdk_id in own_sdks:
                    continue  # the operator naming its own product in running text (支付宝 in Alipay's policy)
                sdk_excerpts.setdefault(sdk_id, excerpt(mark.text))
    return sdk_excerpts


def declared_sdks(doc: PolicyDocument, marked: list[Sentence], matcher: SdkMatcher, lex: Lexicon,
                  catalog_override: Sequence[SdkRef] | None) -> tuple[dict[str, str], list[str]]:
    """(SDK id -> the sentence or row naming it, names listed in SDK tables that no catalog entry matches)."""
    own_sdks = _operator_sdks([m.text for m in marked], lex, catalog_override)
    sdk_excerpts = _sdks_in_sentences(marked, matcher, lex, own_sdks)
    unmatched: list[str] = []
    for name, row in _sdk_names_in_tables(doc, lex):
        # the name cell first: the purpose and data cells of a row name other things (实人认证, OAID)
        listed = next((hit for cell in (name, *row.split(" | ")[:1], row)
                       if (hit := _match_sdks(cell, matcher, lex, in_sdk_list=True))), {})
        if not listed and name not in unmatched:
            unmatched.append(name)
        for sdk_id in listed:
            sdk_excerpts.setdefault(sdk_id, excerpt(row))
    return sdk_excerpts, unmatched
