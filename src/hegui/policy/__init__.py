"""Privacy-policy analysis: locate and extract a policy, read what it declares, compare it with behaviour.

Public entry points (called by the scan pipeline):
`extract_policy`, `load_policy_source`, `find_policy_in_apk`, `analyse_policy`, `consistency_observations`,
`infer_app_category`.

They are imported when first asked for: every scan looks for a policy inside the APK (`locate`), but only a scan
that has one needs the extractor, the analyser and its compiled lexicon, and only a fetch needs the network code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> the module of this package that defines it
_EXPORTS = {
    "ElementHit": "elements", "PolicyAnalysis": "analyse", "analyse_policy": "analyse",
    "infer_app_category": "category",
    "BehaviourFacts": "consistency", "consistency_observations": "consistency",
    "PolicyDocument": "document", "Section": "document",
    "extract_policy": "extract",
    "PolicyCandidate": "locate", "find_policy_in_apk": "locate",
    "fetch_found_policy": "source", "load_policy_source": "source",
}

if TYPE_CHECKING:
    from hegui.policy.analyse import PolicyAnalysis, analyse_policy
    from hegui.policy.category import infer_app_category
    from hegui.policy.consistency import BehaviourFacts, consistency_observations
    from hegui.policy.document import PolicyDocument, Section
    from hegui.policy.elements import ElementHit
    from hegui.policy.extract import extract_policy
    from hegui.policy.locate import PolicyCandidate, find_policy_in_apk
    from hegui.policy.source import fetch_found_policy, load_policy_source

__all__ = [
    "BehaviourFacts", "ElementHit", "PolicyAnalysis", "PolicyCandidate", "PolicyDocument", "Section", "analyse_policy",
    "consistency_observations", "extract_policy", "fetch_found_policy", "find_policy_in_apk", "infer_app_category",
    "load_policy_source",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hegui.policy' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"hegui.policy.{module}"), name)
    globals()[name] = value
    return value
