"""The words that make a preference key or a method name a consent flag: `ConsentLexicon`, built from hegui's
knowledge files (knowledge/consent_guards.yaml), and the normalisation that compares them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_NORMALISE = re.compile(r"[^0-9a-z\u3400-\u9fff]")
_MAX_KEY = 200  # longer strings are text, not preference keys


def normalise(text: str) -> str:
    """Lowercase letters, digits and CJK only: ``KEY_AGREE_PROTOCOL`` → ``keyagreeprotocol``."""
    return _NORMALISE.sub("", text.lower())


@dataclass(frozen=True, slots=True)
class ConsentLexicon:
    """The words that make a key or a method name a consent flag (see knowledge/consent_guards.yaml)."""

    getters: frozenset[str]
    consent_words: tuple[str, ...]
    topic_words: tuple[str, ...]
    veto_words: tuple[str, ...]
    predicate_prefixes: tuple[str, ...]
    approval_words: tuple[str, ...]
    setters: frozenset[str] = frozenset()
    agree_callbacks: frozenset[str] = frozenset()

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ConsentLexicon:
        def words(key: str) -> tuple[str, ...]:
            return tuple(normalise(str(w)) for w in data.get(key) or () if normalise(str(w)))

        return cls(getters=frozenset(str(g) for g in data.get("getters") or ()),
                   consent_words=words("consent_words"), topic_words=words("topic_words"),
                   veto_words=words("veto_words"), predicate_prefixes=words("predicate_prefixes"),
                   approval_words=words("approval_words"),
                   setters=frozenset(str(g) for g in data.get("setters") or ()),
                   agree_callbacks=frozenset(str(g) for g in data.get("agree_callbacks") or ()))

    def _vetoed(self, text: str) -> bool:
        return any(w in text for w in self.veto_words)

    def is_consent_key(self, key: str) -> bool:
        if len(key) > _MAX_KEY:
            return False
        text = normalise(key)
        return (bool(text) and not self._vetoed(text)
                and any(w in text for w in (*self.consent_words, *self.topic_words)))

    def is_consent_predicate(self, name: str) -> bool:
        text = normalise(name)
        if not text.startswith(self.predicate_prefixes) or self._vetoed(text):
            return False
        # "agreement" is a topic, not consent: `isBillingAgreement` says nothing about the user agreeing
        bare = text
        for topic in self.topic_words:
            bare = bare.replace(topic, "|")
        if any(w in bare for w in self.consent_words):
            return True
        return bare != text and any(w in bare for w in self.approval_words)
