"""Matching DEX references against the catalog's personal-information APIs (`knowledge/pi_types.yaml`).

API notation (pi_types.yaml): ``a.b.C#m`` every overload, ``a.b.C#m(int)`` one overload, ``a.b.C.F`` a field.
Context rules (`knowledge/api_context.yaml`) say which calls need a URI/key string beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from hegui import knowledge
from hegui.dex import java_to_descriptor

_PRIMITIVES = {"int": "I", "long": "J", "boolean": "Z", "byte": "B", "char": "C", "short": "S", "float": "F",
               "double": "D", "void": "V"}


def java_type_to_descriptor(t: str) -> str:
    t = t.strip()
    dims = 0
    while t.endswith("[]"):
        dims += 1
        t = t[:-2]
    base = _PRIMITIVES.get(t) or java_to_descriptor(t)
    return "[" * dims + base


# the one Java name → descriptor conversion lives in hegui.dex; this module's callers know it by this name
class_descriptor = java_to_descriptor


@dataclass(frozen=True, slots=True)
class ApiSpec:
    pi_type: str
    api: str  # report form "a.b.C#m" (overload narrowing dropped)
    params: str | None  # descriptor of the parameter list, e.g. "(I)", or None for every overload
    needs_context: bool


@dataclass(slots=True)
class ApiMatcher:
    methods: dict[tuple[str, str], list[ApiSpec]] = field(default_factory=dict)  # (class desc, name)
    fields: dict[tuple[str, str], ApiSpec] = field(default_factory=dict)  # (class desc, field name)
    context_strings: dict[str, frozenset[str]] = field(default_factory=dict)  # pi_type -> strings
    context_fields: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)
    reflection: dict[str, dict[str, list[ApiSpec]]] = field(default_factory=dict)  # java class -> method -> specs
    reflection_calls: frozenset[tuple[str, str]] = frozenset()

    def method_specs(self, cls: str, name: str, proto: str) -> list[ApiSpec]:
        specs = self.methods.get((cls, name))
        if not specs:
            return []
        return [s for s in specs if s.params is None or proto.startswith(s.params)]

    def context_ok(self, spec: ApiSpec, strings: set[str], fields: set[tuple[str, str]]) -> bool:
        if not spec.needs_context:
            return True
        wanted = self.context_strings.get(spec.pi_type, frozenset())
        if any(s in wanted or any(s.startswith(w) for w in wanted if w.startswith("content://")) for s in strings):
            return True
        return bool(fields & self.context_fields.get(spec.pi_type, frozenset()))


@cache
def api_matcher() -> ApiMatcher:
    ctx = knowledge.load_yaml("api_context.yaml")
    needs_context = set(ctx["needs_context"])
    ignored = set(ctx["ignore_static"])
    matcher = ApiMatcher(reflection_calls=frozenset(
        (class_descriptor(a.split("#")[0]), a.split("#")[1]) for a in ctx["reflection_calls"]
    ))
    for pi in knowledge.pi_types().values():
        matcher.context_strings[pi.id] = frozenset(s for s in pi.strings if len(s) >= 4)
        ctx_fields: set[tuple[str, str]] = set()
        for api in pi.apis:
            if "#" not in api:
                cls, _, fname = api.rpartition(".")
                key = (class_descriptor(cls), fname)
                ctx_fields.add(key)
                # report form `Class#FIELD`: the contract's `api` is always `class#member`
                matcher.fields.setdefault(key, ApiSpec(pi.id, f"{cls}#{fname}", None, False))
                continue
            cls, _, rest = api.partition("#")
            name, _, params = rest.partition("(")
            base = f"{cls}#{name}"
            if base in ignored:
                continue
            param_desc = None
            if params:
                inner = params.rstrip(")")
                param_desc = "(" + "".join(java_type_to_descriptor(p) for p in inner.split(",") if p.strip()) + ")"
            key = (class_descriptor(cls), name)
            existing = matcher.methods.setdefault(key, [])
            spec = ApiSpec(pi.id, base, param_desc, base in needs_context)
            # An unambiguous API listed under several PI types (getDeviceId: IMEI and MEID) reports the first.
            if spec.needs_context or not any(s.params == param_desc and not s.needs_context for s in existing):
                existing.append(spec)
                if not spec.needs_context:
                    matcher.reflection.setdefault(cls, {}).setdefault(name, []).append(spec)
        matcher.context_fields[pi.id] = frozenset(ctx_fields)
    return matcher
