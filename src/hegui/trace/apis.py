"""Which personal information a traced API call reads, and which methods the Frida agent hooks.

Both come from the catalog (`knowledge/pi_types.yaml`, notation ``a.b.C#m``, ``a.b.C#m(int)``, fields
``a.b.C.F``) plus the trace section of `knowledge/rules/trace.yaml` — there is no second API list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hegui import knowledge


@dataclass(frozen=True, slots=True)
class TraceKnowledge:
    framework_prefixes: tuple[str, ...]
    argument_context: frozenset[str]
    own_package_lookups: frozenset[str]
    receiver_as_first_arg: frozenset[str]
    associated_start_apis: frozenset[str]
    placeholder_values: frozenset[str]
    min_value_length: int
    frequency_foreground_categories: frozenset[str]
    permission_group: dict[str, str]
    consent_texts: tuple[str, ...]
    refusal_texts: tuple[str, ...]
    second_level_labels: frozenset[str]


@cache
def trace_knowledge() -> TraceKnowledge:
    section: dict[str, Any] = knowledge.load_yaml("rules/trace.yaml")["trace"]
    group_of = {perm: group for group, perms in section["permission_groups"].items() for perm in perms}
    return TraceKnowledge(
        framework_prefixes=tuple(section["framework_prefixes"]),
        argument_context=frozenset(section["argument_context"]),
        own_package_lookups=frozenset(section["own_package_lookups"]),
        receiver_as_first_arg=frozenset(section["receiver_as_first_arg"]),
        associated_start_apis=frozenset(section["associated_start_apis"]),
        placeholder_values=frozenset(str(v) for v in section["placeholder_values"]),
        min_value_length=int(section["min_value_length"]),
        frequency_foreground_categories=frozenset(section["frequency_foreground_categories"]),
        permission_group=group_of,
        consent_texts=tuple(section["consent_texts"]),
        refusal_texts=tuple(section["refusal_texts"]),
        second_level_labels=frozenset(section["second_level_labels"]),
    )


def base_api(api: str) -> str:
    """``a.b.C#m(int)`` → ``a.b.C#m``: traces name methods, overloads only narrow static matching."""
    return api.split("(", 1)[0].strip()


@dataclass(slots=True)
class ApiIndex:
    """Catalog method APIs by base name → the PI types they reach (and each type's context strings)."""

    pi_types_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    context_strings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fields: tuple[str, ...] = ()

    def resolve(self, api: str, args: Sequence[str], app_package: str | None) -> tuple[str, ...]:
        """PI types one call reads, judged by its arguments where the API alone does not tell."""
        name = base_api(api)
        candidates = self.pi_types_of.get(name, ())
        if not candidates:
            return ()
        tk = trace_knowledge()
        if name in tk.own_package_lookups and app_package and args and args[0] == app_package:
            return ()
        if name in tk.argument_context:
            return tuple(
                pi for pi in candidates
                if any(s in arg for arg in args for s in self.context_strings.get(pi, ()))
            )
        return candidates


@cache
def api_index() -> ApiIndex:
    index = ApiIndex()
    pi_of: dict[str, list[str]] = {}
    fields: list[str] = []
    for pi in knowledge.pi_types().values():
        # Short strings ("gps", "wlan0"…) are fine as exact context but too loose for substring checks.
        index.context_strings[pi.id] = tuple(s for s in pi.strings if len(s) >= 5 or s.startswith("content://"))
        for api in pi.apis:
            if "#" not in api:
                fields.append(api)
                continue
            lst = pi_of.setdefault(base_api(api), [])
            if pi.id not in lst:
                lst.append(pi.id)
    index.pi_types_of = {k: tuple(v) for k, v in pi_of.items()}
    index.fields = tuple(fields)
    return index


def hook_specs() -> list[dict[str, Any]]:
    """The agent's hook list, generated from the catalog at capture time.

    One entry per hookable method (every overload): ``{"api", "class", "method", "pi_types", "context",
    "own_package_lookup", "receiver_as_first_arg"}``. ``context`` lists the strings an argument must contain
    for the call to count (ContentResolver#query…); own-package lookups of the app itself are not reported.
    Field reads (``android.os.Build.SERIAL``) cannot be hooked and are left out.
    """
    index = api_index()
    tk = trace_knowledge()
    specs: list[dict[str, Any]] = []
    for api, pis in sorted(index.pi_types_of.items()):
        cls, _, method = api.partition("#")
        context = sorted({s for pi in pis for s in index.context_strings.get(pi, ())}) \
            if api in tk.argument_context else []
        specs.append({
            "api": api, "class": cls, "method": "$init" if method == "<init>" else method,
            "pi_types": list(pis), "context": context,
            "own_package_lookup": api in tk.own_package_lookups,
            "receiver_as_first_arg": api in tk.receiver_as_first_arg,
        })
    return specs


def unhookable_apis() -> tuple[str, ...]:
    """Catalog field APIs the agent cannot observe (reads of static fields are not calls)."""
    return api_index().fields
