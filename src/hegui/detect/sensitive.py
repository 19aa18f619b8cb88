"""Call sites of the catalog's personal-information APIs, attributed to the app or an SDK."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hegui import knowledge
from hegui.detect.apis import ApiSpec, api_matcher
from hegui.detect.context import StaticContext
from hegui.detect.semantics import GUARDED, YES, Reason, judge_hits
from hegui.dex import MethodInfo, descriptor_to_java
from hegui.model import Observation, said

_NOT_JAVA_NAME = re.compile(r"[^\w.$<>]")


def java_member(cls_desc: str, name: str) -> str:
    """`a.b.C#m`, with characters the report schema does not allow (obfuscators use them) replaced."""
    return _NOT_JAVA_NAME.sub("_", descriptor_to_java(cls_desc)) + "#" + _NOT_JAVA_NAME.sub("_", name)


@dataclass(frozen=True, slots=True)
class SensitiveHit:
    pi_type: str
    api: str
    caller: MethodInfo
    subject: str
    at_startup: bool
    via_reflection: bool
    direct: bool = True  # a call instruction (False: a field read or a reflective call)
    # what the call means (detect/semantics.py): "yes" it collects, else why it does not
    collects: str = YES
    semantic_rule: str | None = None
    reason: Reason | None = None


def find_sensitive_calls(ctx: StaticContext) -> list[SensitiveHit]:
    matcher = api_matcher()
    index = ctx.index
    hits: dict[tuple[str, str, int], SensitiveHit] = {}

    def record(spec: ApiSpec, m: MethodInfo, reflective: bool, at_startup: bool, direct: bool = True) -> None:
        key = (spec.pi_type, spec.api, m.id)
        known = hits.get(key)
        if known is None or (at_startup and not known.at_startup):  # one unguarded site makes it before consent
            hits[key] = SensitiveHit(spec.pi_type, spec.api, m, ctx.subject_of(m), at_startup, reflective,
                                     direct and (known is None or known.direct))

    for (cls, name), sites in ctx.call_sites.items():
        if (cls, name) not in matcher.methods:
            continue
        for site in sites:
            specs = matcher.method_specs(cls, name, site.proto)
            if not specs:
                continue
            m = site.caller
            strings = fields = None
            for spec in specs:
                if spec.needs_context:
                    if strings is None:
                        strings, fields = set(index.strings(m)), set(index.field_reads(m))
                    if not matcher.context_ok(spec, strings, fields):
                        continue
                record(spec, m, False, ctx.site_at_startup(site))

    field_hits = {id(dex): {i: spec for i, key in enumerate(index.field_refs(dex))
                            if (spec := matcher.fields.get(key)) is not None} for dex in index.dex_files}
    for m in index.methods_referencing("fields", {d: wanted.keys() for d, wanted in field_hits.items()}):
        wanted_fields = field_hits[id(m.dex)]
        for fidx in m.code.fields:
            spec = wanted_fields.get(fidx)
            if spec is not None:
                record(spec, m, False, ctx.field_read_at_startup(m, *index.field_refs(m.dex)[fidx]), False)

    reflective_callers = {site.caller.id: site.caller for key in matcher.reflection_calls
                          for site in ctx.call_sites.get(key, ())}
    for m in reflective_callers.values():
        strings = index.strings(m)
        names = set(strings)
        for s in strings:
            if "." not in s:
                continue
            for api_name, specs in matcher.reflection.get(s.replace("/", "."), {}).items():
                if api_name in names:
                    for spec in specs:
                        record(spec, m, True, ctx.at_startup(m), False)  # the reflective call is not one call site
    ordered = sorted(hits.values(), key=lambda h: (h.pi_type, h.api, h.caller.cls, h.caller.name))
    return judge_hits(ctx, ordered)


def sensitive_observations(ctx: StaticContext, hits: list[SensitiveHit]) -> list[Observation]:
    pi_types = knowledge.pi_types()
    out: list[Observation] = []
    for h in hits:
        pi = pi_types.get(h.pi_type)
        caller = java_member(h.caller.cls, h.caller.name)
        evidence = [said("call", "call_from_reflection" if h.via_reflection else "call_from", api=h.api, caller=caller,
                         pi_type=h.pi_type, pi_name_zh=pi.name_zh if pi else None)]
        if h.reason is not None and h.collects == GUARDED:  # it reads, but never before the user granted it
            evidence.append(said("call", "not_before_grant", reason_en=h.reason.en, reason_zh=h.reason.zh))
        elif h.reason is not None:  # the call does not count as collection, and the report says why
            evidence.append(said("call", "not_counted_as_collection", collects=h.collects, reason_en=h.reason.en,
                                 reason_zh=h.reason.zh))
        if h.at_startup:
            path = ctx.startup.path_to(h.caller.id)
            if len(path) > 1:
                evidence.append(said("call", "runs_at_startup", path=[java_member(p.cls, p.name) for p in path]))
            else:
                evidence.append(said("call", "startup_entry", caller=caller))
        sdk = ctx.sdk_info.get(h.subject)
        out.append(Observation(
            kind="sensitive_call", subject=h.subject, evidence=evidence,
            attrs={
                "pi_type": h.pi_type, "api": h.api, "at_startup": h.at_startup, "via_reflection": h.via_reflection,
                "sensitivity": pi.sensitivity if pi else None, "resettable": pi.resettable if pi else None,
                "category": pi.category if pi else None,
                "sdk_category": sdk.category if sdk else None,
                "collects": h.collects, "semantic_rule": h.semantic_rule,
            },
        ))
    return out
