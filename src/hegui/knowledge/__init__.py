"""hegui's own knowledge files, as typed read-only views.

Data lives beside this module as YAML: adding a rule trigger, an SDK signature or an API is a data edit.
Readers (`hegui.apk`, `hegui.dex`) never import this package; detectors and the rule engine do.
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from hegui.knowledge import schema, schema_detectors
from hegui.knowledge.schema import KnowledgeError
from hegui.names import java_to_descriptor

_ROOT = resources.files(__package__)
_LOADED: dict[str, Any] = {}
_LOADING: dict[str, Any] = {}
_LOCK = threading.RLock()


def _load(name: str) -> Any:
    """Parsed knowledge file (`name` relative to this package, e.g. ``rules/static.yaml``), parsed and checked
    against its schema (`hegui.knowledge.schema`) once per process. Callers treat the result as read-only.

    Raises `KnowledgeError` naming the file and the entry when the file breaks its schema or names a rule,
    observation kind, attribute, PI type … that does not exist. Parsed bytes that already passed every check with
    the same checker are not checked again (`schema.validated_before`).
    """
    if name in _LOADED:
        return _LOADED[name]
    with _LOCK:  # re-entrant: the cross-checks load the files this one refers to
        if name in _LOADED:
            return _LOADED[name]
        data, blob_digest = schema.parse_blob(name, _ROOT.joinpath(name).read_text(encoding="utf-8"))
        checker = _checker()
        if not schema.validated_before(blob_digest, checker):
            schema.validate(name, data)
            _LOADING[name] = data  # visible to the cross-checks of files that refer back to this one
            try:
                problems = schema.run_cross_checks(name, data, _load_for_check)
            finally:
                del _LOADING[name]
            if problems:
                raise KnowledgeError(problems)
            schema.remember_validated(blob_digest, checker)
        _LOADED[name] = data
        return data


_CHECKERS: dict[str, str] = {}  # str(_ROOT) -> schema.checker_digest of it


def _checker() -> str:
    key = str(_ROOT)
    if key not in _CHECKERS:
        _CHECKERS[key] = schema.checker_digest(_ROOT)
    return _CHECKERS[key]


def _load_for_check(name: str) -> Any:
    return _LOADING[name] if name in _LOADING else _load(name)


@dataclass(frozen=True, slots=True)
class PiType:
    id: str
    name_zh: str
    name_en: str
    category: str
    sensitivity: str
    resettable: bool | None
    permissions: tuple[str, ...]
    apis: tuple[str, ...]
    strings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SourceClause:
    doc: str
    clause: str


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    title_zh: str
    title_en: str
    severity: str
    sources: tuple[SourceClause, ...]
    description: str
    remediation_en: str
    remediation_zh: str
    status: str | None = None
    applies_to: tuple[str, ...] = ()  # "app", "sdk", …: what a rule can judge (an SDK package has no launcher)


@dataclass(frozen=True, slots=True)
class PermissionInfo:
    name: str
    protection: str
    pi_types: tuple[str, ...]

    @property
    def dangerous(self) -> bool:
        return self.protection.startswith("dangerous")


@dataclass(frozen=True, slots=True)
class Trigger:
    """When a rule fires: a match on observations (see `hegui.rules.engine`)."""

    rule: str
    observation: str
    where: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None
    origin: str = ""


@cache
def pi_types() -> dict[str, PiType]:
    out: dict[str, PiType] = {}
    for e in _load("pi_types.yaml")["personal_info_types"]:
        out[e["id"]] = PiType(
            id=e["id"], name_zh=e["name_zh"], name_en=e["name_en"], category=e["category"],
            sensitivity=e["sensitivity"], resettable=e.get("resettable"),
            permissions=tuple(e.get("permissions") or ()), apis=tuple(e.get("apis") or ()),
            strings=tuple(e.get("strings") or ()),
        )
    return out


@cache
def rulebook() -> dict[str, RuleInfo]:
    out: dict[str, RuleInfo] = {}
    for e in _load("rulebook.yaml")["rules"]:
        out[e["id"]] = RuleInfo(
            id=e["id"], title_zh=e["title_zh"], title_en=e["title_en"], severity=e["severity"],
            sources=tuple(SourceClause(s["doc"], str(s["clause"])) for s in e["sources"]),
            description=e.get("description", ""), remediation_en=e["remediation_en"],
            remediation_zh=e.get("remediation_zh", ""), status=e.get("status"),
            applies_to=tuple(e.get("applies_to") or ()),
        )
    return out


TRIGGER_FILES = ("static.yaml", "policy.yaml", "trace.yaml", "listing.yaml", "miniapp.yaml")


@cache
def triggers() -> tuple[Trigger, ...]:
    out: list[Trigger] = []
    base = _ROOT.joinpath("rules")
    for name in TRIGGER_FILES:
        if not base.joinpath(name).is_file():
            continue
        for e in _load(f"rules/{name}").get("triggers") or []:
            out.append(Trigger(rule=e["rule"], observation=e["observation"], where=dict(e.get("where") or {}),
                               severity=e.get("severity"), origin=name))
    return tuple(out)


@cache
def permissions() -> dict[str, PermissionInfo]:
    return {
        e["name"]: PermissionInfo(e["name"], e["protection"], tuple(e.get("pi_types") or ()))
        for e in _load("permissions.yaml")["permissions"]
    }


@cache
def documents() -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in _load("documents.yaml")["documents"]}


@cache
def policy_clauses() -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in _load("policy_clauses.yaml")["policy_clauses"]}


@cache
def thresholds() -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in _load("thresholds.yaml")["thresholds"]}


@cache
def app_types() -> dict[int, dict[str, Any]]:
    return {d["id"]: d for d in _load("app_types.yaml")["app_types"]}


@cache
def static_signal_apis() -> tuple[str, ...]:
    """Every API static_signals.yaml lists for a detector to look up (its `ApiList` fields, see schema.py)."""
    return tuple(schema.api_lists(schema_detectors.StaticSignals, _load("static_signals.yaml")))


def load_yaml(name: str) -> Any:
    """Raw access for knowledge files owned by one detector (e.g. ``sdks.yaml``)."""
    return _load(name)


@cache
def framework_hierarchy_data() -> dict[str, Any]:
    """The Android framework's types (framework_hierarchy.json.gz, built by tools/build_framework_hierarchy.py
    from the API stubs): {"source": …, "classes": {descriptor: [superclass, [interfaces], "method names"]}}.

    gzip'd JSON rather than YAML: ~6000 types load in ~15 ms, once per process, and only when asked for.
    """
    raw = resources.files(__package__).joinpath("framework_hierarchy.json.gz").read_bytes()
    return json.loads(gzip.decompress(raw))


@dataclass(frozen=True, slots=True)
class StartupKnowledge:
    """startup.yaml: entry methods by kind of component, and the callbacks only a user's action fires."""

    entries: dict[str, tuple[str, ...]]
    user_callback_methods: frozenset[str]
    user_callback_types: frozenset[str]  # descriptors


@cache
def startup() -> StartupKnowledge:
    # checked at load (schema_detectors.Startup): every kind of entry present, names non-empty and distinct
    data = _load("startup.yaml")
    entries, user = data["entries"], data["user_callbacks"]
    return StartupKnowledge(
        entries={k: tuple(v) for k, v in entries.items()},
        user_callback_methods=frozenset(user["methods"]),
        user_callback_types=frozenset(java_to_descriptor(t) for t in user["types"]),
    )
