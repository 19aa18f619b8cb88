"""Best-effort app type (1..39 of the 2021 necessary-information rule) from the store label, package and policy.

`--category` always wins; this only fills the gap, and answers None rather than guess on thin evidence.
"""

from __future__ import annotations

import re

from hegui.policy.document import PolicyDocument
from hegui.policy.lexicon import app_type_hints

LABEL_WEIGHT = 3
PACKAGE_WEIGHT = 2
POLICY_WEIGHT = 1
POLICY_OPENING_CHARS = 3000


def _package_tokens(package: str) -> set[str]:
    return {t for t in re.split(r"[._\-]+", package.lower()) if t}


def app_category_scores(doc: PolicyDocument | None, label: str | None, package: str | None) -> dict[int, int]:
    hints_by_type, _min_score = app_type_hints()
    opening = doc.text[:POLICY_OPENING_CHARS] if doc is not None else ""
    tokens = _package_tokens(package) if package else set()
    scores: dict[int, int] = {}
    for type_id, hints in hints_by_type.items():
        score = 0
        for word in hints["zh"]:
            if label and word in label:
                score += LABEL_WEIGHT
            if opening and word in opening:
                score += POLICY_WEIGHT
        score += PACKAGE_WEIGHT * len(tokens & set(hints["pkg"]))
        if score:
            scores[type_id] = score
    return scores


def infer_app_category(doc: PolicyDocument | None, label: str | None, package: str | None) -> int | None:
    """The best-scoring app type, or None when the evidence is thin or two types tie."""
    scores = app_category_scores(doc, label, package)
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    best_id, best = ranked[0]
    if best < app_type_hints()[1]:
        return None
    if len(ranked) > 1 and ranked[1][1] == best:
        return None
    return best_id
