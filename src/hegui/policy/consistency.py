"""Policy versus behaviour: observations for what the app does but its policy does not tell the user.

Observation kinds emitted here (the rule file `knowledge/rules/policy.yaml` maps them to rules):
- ``policy_absent``                       no policy found and none given
- ``policy_element_missing``              attrs ``element`` (policy_clauses id), ``push_or_ads_sdk``, ``has_sdks``,
                                          ``has_dangerous_permissions`` (bools)
- ``pi_undeclared``                       subject app/SDK, attrs ``pi_type``, ``sensitivity``
- ``pi_contradicts_policy``               subject app/SDK, attr ``pi_type``: the policy says it does not collect it
- ``sdk_undeclared``                      subject SDK id, attr ``category``
- ``permission_no_purpose``               attr ``permission``
- ``policy_denies_sharing_but_sdk_collects``  subject SDK id, attr ``pi_types``
- ``pi_beyond_necessary_scope``           attrs ``pi_type``, ``app_type`` (id), ``app_type_name``
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hegui import knowledge
from hegui.model import APP_SUBJECT, Evidence, Observation, is_platform_subject, is_sdk_subject, said
from hegui.policy.lexicon import SdkRef, lexicon, sdk_catalog

if TYPE_CHECKING:  # a scan without a policy compares nothing and never loads the analyser
    from hegui.policy.analyse import PolicyAnalysis


@dataclass(slots=True)
class BehaviourFacts:
    """What the static scan (and later the runtime trace) saw."""

    pi_types_by_subject: dict[str, set[str]] = field(default_factory=dict)  # "app" or SDK id -> PI types
    sdk_ids: set[str] = field(default_factory=set)
    sdk_categories: dict[str, str] = field(default_factory=dict)
    dangerous_permissions: set[str] = field(default_factory=set)
    app_category: int | None = None                                        # 1..39 app type id


def _pi_names(pi_type: str) -> dict[str, str]:
    """The PI type's facts for an evidence template: its id and names (the id when the catalog lacks it)."""
    info = knowledge.pi_types().get(pi_type)
    return {"pi_type": pi_type, "pi_name_zh": info.name_zh if info else pi_type,
            "pi_name_en": info.name_en if info else pi_type}


def _sdk_label(sdk_id: str, refs: dict[str, SdkRef]) -> str:
    ref = refs.get(sdk_id)
    if ref is None:
        return sdk_id
    packages = ", ".join(ref.packages[:3])
    company = f", {ref.company}" if ref.company else ""
    return f"{ref.name} ({sdk_id}{company}; packages {packages})" if packages else f"{ref.name} ({sdk_id}{company})"


def _behaviour_evidence(subject: str, pi_type: str, refs: dict[str, SdkRef]) -> Evidence:
    if subject == APP_SUBJECT:
        return said("call", "own_code_collects", **_pi_names(pi_type))
    if is_platform_subject(subject):
        return said("call", "platform_library_collects", library=subject.partition(":")[2], **_pi_names(pi_type))
    return said("sdk", "sdk_collects", sdk=subject, sdk_label=_sdk_label(subject, refs), **_pi_names(pi_type))


def consistency_observations(analysis: PolicyAnalysis | None, facts: BehaviourFacts, policy_source: str | None,
                             *, sdk_catalog_override: Sequence[SdkRef] | None = None) -> list[Observation]:
    """Observations comparing the policy with behaviour.

    With no analysis: ``policy_absent`` when no policy source exists at all; when a source exists but could not
    be analysed (a URL not fetched during the scan, an unreadable file) nothing is claimed about its content.
    """
    if analysis is None:
        if policy_source is not None:
            return []
        return [Observation("policy_absent", APP_SUBJECT, [said("policy", "policy_absent")])]
    catalog = sdk_catalog() if sdk_catalog_override is None else tuple(sdk_catalog_override)
    refs = {r.id: r for r in catalog}
    lex = lexicon()
    source = policy_source or "policy"
    return [
        *_missing_elements(analysis, facts, source, refs, lex.push_or_ads_categories),
        *_undeclared_pi(analysis, facts, source, refs),
        *_undeclared_sdks(analysis, facts, source, refs),
        *_permissions_without_purpose(analysis, facts, source),
        *_sharing_denied(analysis, facts, source, refs),
        *necessity_observations(facts, lex.necessity_sensitivities),
    ]


def _missing_elements(analysis: PolicyAnalysis, facts: BehaviourFacts, source: str, refs: dict[str, SdkRef],
                      push_or_ads_categories: frozenset[str]) -> list[Observation]:
    """An element the policy lacks (policy_clauses.yaml), with what the app has that makes it matter."""
    out: list[Observation] = []
    push_or_ads = any((facts.sdk_categories.get(s) or (refs[s].category if s in refs else "")) in
                      push_or_ads_categories for s in facts.sdk_ids)
    clauses = knowledge.policy_clauses()
    for element, hit in analysis.elements.items():
        if hit.present:
            continue
        name_zh = clauses.get(element, {}).get("name_zh", element)
        # hit.excerpt: e.g. a complaint channel without a committed response time
        evidence = said("policy", "policy_element_missing", source=source, element=element, element_zh=name_zh,
                        excerpt=hit.excerpt or None)
        out.append(Observation("policy_element_missing", APP_SUBJECT, [evidence],
                               {"element": element, "push_or_ads_sdk": push_or_ads, "has_sdks": bool(facts.sdk_ids),
                                "has_dangerous_permissions": bool(facts.dangerous_permissions)}))
    return out


def _undeclared_pi(analysis: PolicyAnalysis, facts: BehaviourFacts, source: str,
                   refs: dict[str, SdkRef]) -> list[Observation]:
    """PI a subject collects that the policy denies collecting, or never names."""
    out: list[Observation] = []
    declared = set(analysis.declared_pi_types)
    pi_info = knowledge.pi_types()
    for subject in sorted(facts.pi_types_by_subject):
        for pi_type in sorted(facts.pi_types_by_subject[subject]):
            behaviour = _behaviour_evidence(subject, pi_type, refs)
            if pi_type in analysis.denied_pi_types:
                out.append(Observation("pi_contradicts_policy", subject, [
                    said("policy", "policy_says", source=source, excerpt=analysis.denied_pi_types[pi_type]), behaviour],
                    {"pi_type": pi_type}))
            elif pi_type not in declared:
                out.append(Observation("pi_undeclared", subject, [
                    said("policy", "policy_never_names", source=source, **_pi_names(pi_type)), behaviour],
                    {"pi_type": pi_type, "sensitivity": pi_info[pi_type].sensitivity if pi_type in pi_info else None}))
    return out


def _undeclared_sdks(analysis: PolicyAnalysis, facts: BehaviourFacts, source: str,
                     refs: dict[str, SdkRef]) -> list[Observation]:
    out: list[Observation] = []
    declared_sdks = set(analysis.declared_sdks)
    for sdk_id in sorted(facts.sdk_ids - declared_sdks):
        out.append(Observation("sdk_undeclared", sdk_id, [
            said("sdk", "sdk_not_in_policy_list", sdk=sdk_id, sdk_label=_sdk_label(sdk_id, refs)),
            said("policy", "policy_no_mention", source=source, sdk_name=refs[sdk_id].name if sdk_id in refs else sdk_id)],
            {"category": facts.sdk_categories.get(sdk_id) or (refs[sdk_id].category if sdk_id in refs else None)}))
    return out


def _permissions_without_purpose(analysis: PolicyAnalysis, facts: BehaviourFacts, source: str) -> list[Observation]:
    return [
        Observation("permission_no_purpose", APP_SUBJECT, [
            said("manifest", "requests_permission", permission=permission),
            said("policy", "policy_no_purpose", source=source, permission=permission)], {"permission": permission})
        for permission in sorted(facts.dangerous_permissions - set(analysis.permission_purposes))
    ]


def _sharing_denied(analysis: PolicyAnalysis, facts: BehaviourFacts, source: str,
                    refs: dict[str, SdkRef]) -> list[Observation]:
    """The policy says PI is not shared with third parties, yet an SDK collects some."""
    if not analysis.says_no_sharing:
        return []
    out: list[Observation] = []
    for subject in sorted(facts.pi_types_by_subject):
        collected = sorted(facts.pi_types_by_subject[subject])
        if not is_sdk_subject(subject) or not collected:
            continue
        out.append(Observation("policy_denies_sharing_but_sdk_collects", subject, [
            said("policy", "policy_says", source=source, excerpt=analysis.no_sharing_excerpt),
            said("sdk", "third_party_collects", sdk=subject, sdk_label=_sdk_label(subject, refs),
                 pi_types=collected)],
            {"pi_types": collected}))
    return out


def necessity_observations(facts: BehaviourFacts, sensitivities: frozenset[str]) -> list[Observation]:
    """Sensitive PI outside the necessary scope of the app's type (2021 necessary-information rule)."""
    if facts.app_category is None:
        return []
    app_type = knowledge.app_types().get(facts.app_category)
    if app_type is None:
        return []
    necessary = set(app_type.get("pi_type_refs") or ())
    pi_info = knowledge.pi_types()
    type_name = f"{app_type['id']} {app_type['name_zh']} ({app_type['name_en']})"
    necessary_zh = "、".join(app_type.get("necessary_pi_zh") or ()) or "无"
    out: list[Observation] = []
    collectors: dict[str, list[str]] = {}
    for subject, types in facts.pi_types_by_subject.items():
        for pi_type in types:
            collectors.setdefault(pi_type, []).append(subject)
    for pi_type in sorted(collectors):
        info = pi_info.get(pi_type)
        if info is None or info.sensitivity not in sensitivities or pi_type in necessary:
            continue
        who = ", ".join(sorted(collectors[pi_type]))
        out.append(Observation("pi_beyond_necessary_scope", APP_SUBJECT, [
            said("call", "subjects_collect", who=who, **_pi_names(pi_type)),
            said("listing", "necessary_pi_of_type", app_type=type_name, necessary_zh=necessary_zh)],
            {"pi_type": pi_type, "app_type": app_type["id"], "app_type_name": app_type["name_zh"]}))
    return out
