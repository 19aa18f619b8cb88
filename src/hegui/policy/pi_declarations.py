"""Phase 5 of reading a policy: the PI types and permissions it declares, those it denies collecting, and
whether it promises not to share."""

from __future__ import annotations

from dataclasses import dataclass, field

from hegui.policy.elements import excerpt
from hegui.policy.evidence import Sentence
from hegui.policy.lexicon import Lexicon, bounded, lexicon

PI_WINDOW = 25  # characters either side of a PI term searched by `pi_term_not_near`


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


def _denial_start(sentence: str, lex: Lexicon) -> int | None:
    m = lex.negation.search(sentence)
    if m is not None and not lex.negation_conditional.search(sentence):
        return m.end()
    en = lex.negation_en.search(sentence)  # the English half of a bilingual policy ("We do not collect …")
    return en.end() if en is not None and not lex.negation_en_conditional.search(sentence) else None


@dataclass(slots=True)
class PiDeclarations:
    pi_excerpts: dict[str, str] = field(default_factory=dict)          # PI type -> sentence declaring it
    denied: dict[str, str] = field(default_factory=dict)               # PI type -> sentence denying collection
    permissions: set[str] = field(default_factory=set)                 # permissions named as permissions
    permission_purposes: dict[str, str] = field(default_factory=dict)  # permission -> sentence with a purpose


def declared_pi(marked: list[Sentence], lex: Lexicon) -> PiDeclarations:
    """The PI types each sentence declares or denies (a negated lead-in denies its items) and the permissions
    it names, each with the first sentence saying so."""
    out = PiDeclarations()
    for mark in marked:
        s = mark.text
        # a definition ("个人敏感信息是指…，包括身份证件号码、银行账号…") explains a word and collects nothing,
        # unless it defines what users give the operator (`pi_term_context.definition_collects`)
        defines_only = mark.weak == "definition" and not lex.definition_collects.search(s)
        mentions = _pi_mentions(s, lex) if not defines_only else []
        if mentions:
            denial_at = 0 if mark.under_denial else _denial_start(s, lex)
            for pos, term in mentions:
                for pi in mention_types(s, pos, term, lex):
                    if denial_at is not None and pos >= denial_at:
                        out.denied.setdefault(pi, excerpt(s))
                    else:
                        out.pi_excerpts.setdefault(pi, excerpt(s))
        permissions_here = sentence_permissions(s, lex)
        if permissions_here:
            has_purpose = bool(lex.purpose_words.search(s))
            for perm in permissions_here:
                out.permissions.add(perm)
                if has_purpose:
                    out.permission_purposes.setdefault(perm, excerpt(s))
    return out


def no_sharing_claim(marked: list[Sentence], lex: Lexicon) -> str | None:
    """The first sentence promising no sharing without a condition, as an excerpt (None: no such promise)."""
    for mark in marked:
        if lex.no_sharing.search(mark.text) and not lex.no_sharing_conditional.search(mark.text):
            return excerpt(mark.text)
    return None
