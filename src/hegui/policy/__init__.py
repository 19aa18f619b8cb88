"""Privacy-policy analysis: locate and extract a policy, read what it declares, compare it with behaviour.

Public entry points (called by the scan pipeline):
`extract_policy`, `load_policy_source`, `find_policy_in_apk`, `analyse_policy`, `consistency_observations`,
`infer_app_category`.
"""

from __future__ import annotations

from hegui.policy.analyse import ElementHit, PolicyAnalysis, analyse_policy
from hegui.policy.category import infer_app_category
from hegui.policy.consistency import BehaviourFacts, consistency_observations
from hegui.policy.document import PolicyDocument, Section
from hegui.policy.extract import extract_policy
from hegui.policy.source import PolicyCandidate, fetch_found_policy, find_policy_in_apk, load_policy_source

__all__ = [
    "BehaviourFacts", "ElementHit", "PolicyAnalysis", "PolicyCandidate", "PolicyDocument", "Section", "analyse_policy",
    "consistency_observations", "extract_policy", "fetch_found_policy", "find_policy_in_apk", "infer_app_category", "load_policy_source",
]
