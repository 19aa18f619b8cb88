"""What a policy says: mandatory elements, declared PI types, permissions and SDKs, "no sharing" claims.

Reading runs by phase, each in its own module: the text is decoded and segmented (`extract`, `document`), its
sentences marked (`evidence.document_sentences`), the elements judged with their proving excerpts (`elements`),
declared SDKs (`sdk_declarations`) and declared PI types and permissions (`pi_declarations`) collected, then
gathered into one `PolicyAnalysis` here. A traditional-character page runs the same phases on its simplified
reading and is quoted back in its own characters (`script`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hegui.policy.document import PolicyDocument
from hegui.policy.elements import ElementHit, element_hits, excerpt, sentence_elements, simplified_chinese_hit
from hegui.policy.evidence import document_sentences
from hegui.policy.lexicon import Lexicon, SdkMatcher, SdkRef, build_sdk_matcher, default_sdk_matcher, lexicon
from hegui.policy.pi_declarations import (
    _pi_mentions,
    declared_pi,
    mention_types,
    no_sharing_claim,
    sentence_permissions,
    sentence_pi_types,
)
from hegui.policy.script import Restorer, is_traditional, simplified_document
from hegui.policy.sdk_declarations import declared_sdks

# the sentence-level readers, for the benchmark and tests
__all__ = ["ElementHit", "PolicyAnalysis", "_pi_mentions", "analyse_policy", "mention_types", "sentence_elements",
           "sentence_permissions", "sentence_pi_types"]


@dataclass(slots=True)
class PolicyAnalysis:
    elements: dict[str, ElementHit]
    declared_pi_types: list[str]
    declared_permissions: list[str]
    declared_sdks: list[str]
    unmatched_sdk_names: list[str]
    says_no_sharing: bool
    no_sharing_excerpt: str | None = None
    pi_excerpts: dict[str, str] = field(default_factory=dict)          # PI type -> sentence declaring it
    denied_pi_types: dict[str, str] = field(default_factory=dict)      # PI type -> sentence denying collection
    permission_purposes: dict[str, str] = field(default_factory=dict)  # permission -> sentence with a purpose
    sdk_excerpts: dict[str, str] = field(default_factory=dict)         # SDK id -> sentence or row naming it
    complaint_days: tuple[int, str] | None = None                      # (days, unit) the policy commits to


def analyse_policy(doc: PolicyDocument, *, sdk_catalog_override: Sequence[SdkRef] | None = None) -> PolicyAnalysis:
    """What `doc` says. A traditional-character page is read in simplified characters (the lexicon's) and quoted
    in its own; it is Chinese, but not the simplified-Chinese version of the rules."""
    if not is_traditional(doc.text):
        return _analyse(doc, sdk_catalog_override, simplified=True)
    converted = simplified_document(doc)
    return _quoted_in_original(_analyse(converted, sdk_catalog_override, simplified=False), doc, converted)


def _quoted_in_original(analysis: PolicyAnalysis, doc: PolicyDocument, converted: PolicyDocument) -> PolicyAnalysis:
    """Every excerpt of an analysis of `converted` (the simplified reading of `doc`) in `doc`'s own characters."""
    restore = Restorer(doc, converted, excerpt)
    analysis.elements = {k: ElementHit(h.present, restore(h.excerpt)) for k, h in analysis.elements.items()}
    analysis.no_sharing_excerpt = restore(analysis.no_sharing_excerpt)
    for table in (analysis.pi_excerpts, analysis.denied_pi_types, analysis.permission_purposes, analysis.sdk_excerpts):
        for key, text in table.items():
            table[key] = restore(text) or text
    analysis.unmatched_sdk_names = [restore(n) or n for n in analysis.unmatched_sdk_names]
    return analysis


def _sdk_matcher(sdk_catalog_override: Sequence[SdkRef] | None) -> SdkMatcher:
    return default_sdk_matcher() if sdk_catalog_override is None else build_sdk_matcher(tuple(sdk_catalog_override))


def _analyse(doc: PolicyDocument, sdk_catalog_override: Sequence[SdkRef] | None, *, simplified: bool) -> PolicyAnalysis:
    lex: Lexicon = lexicon()
    marked = document_sentences(doc, lex)                                      # segment and mark
    hits, complaint_days = element_hits(marked, lex)                           # elements and their excerpts
    if simplified and (language := simplified_chinese_hit(marked, doc.text, lex)) is not None:
        hits["language_simplified_chinese"] = language
    sdk_excerpts, unmatched = declared_sdks(doc, marked, _sdk_matcher(sdk_catalog_override), lex,
                                            sdk_catalog_override)             # declared SDKs
    first_listed = next(iter(sdk_excerpts.values()), None)
    if first_listed and hits.get("sdk_list") and hits["sdk_list"].present:
        hits["sdk_list"] = ElementHit(True, first_listed)  # an entry of the list proves the list
    pi = declared_pi(marked, lex)                                              # declared PI types, permissions
    no_sharing = no_sharing_claim(marked, lex)
    return PolicyAnalysis(                                                     # the report
        elements=hits,
        declared_pi_types=sorted(pi.pi_excerpts),
        declared_permissions=sorted(pi.permissions),
        declared_sdks=sorted(sdk_excerpts),
        unmatched_sdk_names=unmatched,
        says_no_sharing=no_sharing is not None,
        no_sharing_excerpt=no_sharing,
        pi_excerpts=pi.pi_excerpts,
        denied_pi_types={k: v for k, v in pi.denied.items() if k not in pi.pi_excerpts},
        permission_purposes=pi.permission_purposes,
        sdk_excerpts=sdk_excerpts,
        complaint_days=complaint_days,
    )
