"""Evidence templates (``evidence.yaml``): one line of proof in Chinese and English from the facts it states.

Rendering is plain substitution: a fact never becomes part of a format string, so an attacker-controlled label or
class name is copied, never interpreted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

LANGS = ("zh", "en")
# [[fact|text]] is an optional clause; {fact} or {fact@vocab} a substitution.
_OPTIONAL = re.compile(r"\[\[([a-z_][a-z0-9_]*)\|(.*?)\]\]")
_FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)(?:@([a-z_][a-z0-9_]*))?\}")
# List facts: a call path reads entry first, joined by arrows; any other list is enumerated.
_PATH_FACTS = frozenset({"path"})

FactValue = str | tuple[str, ...]


class EvidenceTemplateError(ValueError):
    """evidence.yaml is malformed; the message names the template."""


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    text: Mapping[str, str]            # language → template text
    required: frozenset[str]           # facts outside optional clauses (both languages need the same
                                       # ones, except names in one language: *_zh, *_en)
    optional: frozenset[str]           # facts that only switch or fill an optional clause


def _facts_of(text: str) -> tuple[set[str], set[str]]:
    optional: set[str] = set()
    for m in _OPTIONAL.finditer(text):
        optional.add(m.group(1))
        optional.update(f.group(1) for f in _FIELD.finditer(m.group(2)))
    required = {f.group(1) for f in _FIELD.finditer(_OPTIONAL.sub("", text))}
    return required, optional - required


def _parse(raw: object, origin: str) -> tuple[dict[str, Template], dict[str, dict[str, dict[str, str]]]]:
    if not isinstance(raw, dict) or set(raw) != {"templates", "vocab"}:
        raise EvidenceTemplateError(f"{origin}: expected exactly the keys 'templates' and 'vocab'")
    vocab = raw["vocab"]
    templates: dict[str, Template] = {}
    for tid, entry in raw["templates"].items():
        if not isinstance(entry, dict) or set(entry) != set(LANGS) or not all(isinstance(entry[k], str) for k in LANGS):
            raise EvidenceTemplateError(f"{origin}: template {tid!r}: needs exactly the texts 'zh' and 'en'")
        req_zh, opt_zh = _facts_of(entry["zh"])
        req_en, opt_en = _facts_of(entry["en"])
        differ = {f for f in req_zh ^ req_en if not f.endswith(("_zh", "_en"))}  # a name may be one language's
        if differ:
            raise EvidenceTemplateError(f"{origin}: template {tid!r}: zh and en need different facts "
                                        f"({sorted(differ)})")
        for lang in LANGS:
            for f in _FIELD.finditer(entry[lang]):
                if f.group(2) and f.group(2) not in vocab:
                    raise EvidenceTemplateError(f"{origin}: template {tid!r}: unknown vocabulary {f.group(2)!r}")
        required = req_zh | req_en
        templates[tid] = Template(tid, {k: entry[k] for k in LANGS}, frozenset(required),
                                  frozenset((opt_zh | opt_en) - required))
    return templates, vocab


Catalog = tuple[dict[str, Template], dict[str, dict[str, dict[str, str]]]]
# The last evidence.yaml parsed, with the parsed data it came from (held, so its id cannot be reused). The file's
# load-time check (schema_detectors) is this parse; `_catalog` then finds the same data here instead of parsing
# the templates a second time.
_last: tuple[object, Catalog] | None = None


def parse_catalog(raw: object, origin: str) -> Catalog:
    """The templates and vocabularies of the parsed file `raw`, checked (`EvidenceTemplateError` names `origin` and
    the template). The load-time check of evidence.yaml and `hegui rules check` call this."""
    global _last
    if _last is not None and _last[0] is raw:
        return _last[1]
    catalog = _parse(raw, origin)
    _last = (raw, catalog)
    return catalog


@cache
def _catalog() -> Catalog:
    # read like every knowledge file: checked when it loads, and that check already parsed the templates
    from hegui.knowledge import load_yaml

    return parse_catalog(load_yaml("evidence.yaml"), "knowledge/evidence.yaml")


def templates() -> dict[str, Template]:
    return _catalog()[0]


def _value(name: str, value: FactValue) -> str:
    if isinstance(value, tuple):
        return (" → " if name in _PATH_FACTS else ", ").join(value)
    return value


def render(template_id: str, facts: Mapping[str, FactValue], lang: str) -> str:
    """The line in `lang`; a missing required fact is a programming error and raises KeyError."""
    catalog, vocab = _catalog()
    template = catalog[template_id]
    missing = template.required - facts.keys()
    if missing:
        raise KeyError(f"evidence template {template_id!r} needs {sorted(missing)}")

    def field(m: re.Match[str]) -> str:
        value = _value(m.group(1), facts[m.group(1)])
        table = m.group(2)
        return vocab[table].get(value, {}).get(lang, value) if table else value

    def optional(m: re.Match[str]) -> str:
        return _FIELD.sub(field, m.group(2)) if facts.get(m.group(1)) else ""

    text = template.text[lang]
    # Substitute in one pass over the template so a fact's own text is never scanned for placeholders.
    out: list[str] = []
    pos = 0
    for m in _OPTIONAL.finditer(text):
        out.append(_FIELD.sub(field, text[pos:m.start()]))
        out.append(optional(m))
        pos = m.end()
    out.append(_FIELD.sub(field, text[pos:]))
    return "".join(out)
