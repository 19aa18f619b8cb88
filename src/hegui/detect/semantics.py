"""What a catalog API call means at its call site (`knowledge/api_semantics.yaml`): does it collect?

The catalog says which APIs can read personal information; whether one call does depends on its arguments
and surroundings. `judge_hits` gives every `SensitiveHit` a verdict (`collects`, see the knowledge file):

* an intent query (`PackageManager#queryIntentActivities` …) lists installed apps only for a broad intent;
  the intent's construction in the caller is followed (`new Intent(action)`, `setAction`, `addCategory`,
  `setPackage`/`setComponent`/…; one level into a defined method that returns it), in instruction order;
* a clipboard read inside the framework's paste path is the user's action;
* the storage root or a directory listing is the user's files only where the class enumerates shared storage
  (names its root and lists a directory); a cache or log kept there is the app's own storage;
* an API needing a permission the manifest does not declare returns nothing;
* a call that only runs after a "permission granted" check of a runtime permission the API needs (in its
  method, or at every call of that method) does not run on a first launch.

Only the methods that hold a catalog call are decoded, and only when a rule concerns their API.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from hegui import knowledge
from hegui.detect.apis import class_descriptor
from hegui.detect.context import StaticContext
from hegui.dex import MethodInfo
from hegui.dex.guards.bytecode import Code, CodeReader, Unsupported, param_types
from hegui.dex.guards.flow import NOT_CONSENT, arguments, flow, guarded_positions, invoke_registers
from hegui.dex.parser import ACC_STATIC, DexFormatError

YES, NO_PERMISSION, GUARDED, NOT_BROAD, INTENT_UNKNOWN, USER_ACTION, OWN_STORAGE = (
    "yes", "no_permission", "guarded", "not_broad", "intent_unknown", "user_action", "own_storage")
VERDICTS = (YES, NO_PERMISSION, GUARDED, NOT_BROAD, INTENT_UNKNOWN, USER_ACTION, OWN_STORAGE)
# Verdicts under which the data is really read (a guarded call does, once the user granted the permission).
COLLECTING = frozenset((YES, GUARDED))
_KINDS = ("intent_query", "user_action", "requires_permission", "derived", "own_storage")
_INTENT = "Landroid/content/Intent;"
ACC_PRIVATE = 0x2  # access_flags of a private method (DEX format)
_RUNTIME_PERMISSIONS_SINCE = 23  # Android 6: dangerous permissions are granted at run time, not at install


# what decoding or walking malformed code raises: the call is then judged as if nothing were known
_UNREADABLE = (Unsupported, DexFormatError, struct.error, IndexError, KeyError, ValueError)


class SemanticsError(ValueError):
    """api_semantics.yaml does not have the shape this module reads."""


@dataclass(frozen=True, slots=True)
class Reason:
    en: str
    zh: str


@dataclass(frozen=True, slots=True)
class SemanticRule:
    id: str
    kind: str
    apis: frozenset[str]
    reason: Reason
    source: str
    pi_types: frozenset[str] | None = None  # None: every PI type the API is listed under
    any_of: tuple[str, ...] = ()  # requires_permission
    callers: frozenset[str] = frozenset()  # user_action
    caller_types: frozenset[str] = frozenset()  # user_action, descriptors
    broad_action: str = ""  # intent_query
    broad_categories: frozenset[str] = frozenset()
    targeting: frozenset[str] = frozenset()
    data: frozenset[str] = frozenset()
    unknown_reason: Reason | None = None
    sources: frozenset[str] = frozenset()  # derived
    shared_roots: frozenset[tuple[str, str]] = frozenset()  # own_storage: (class descriptor, method)
    shared_paths: tuple[str, ...] = ()  # own_storage: path prefixes of shared storage
    enumerations: frozenset[tuple[str, str]] = frozenset()  # own_storage: listing a directory

    def applies(self, api: str, pi_type: str) -> bool:
        return api in self.apis and (self.pi_types is None or pi_type in self.pi_types)


@dataclass(frozen=True, slots=True)
class ApiSemantics:
    rules: tuple[SemanticRule, ...]
    check_names: frozenset[str]
    granted: int
    check_descriptors: frozenset[str] = frozenset()

    def rule(self, kind: str, api: str, pi_type: str) -> SemanticRule | None:
        return next((r for r in self.rules if r.kind == kind and r.applies(api, pi_type)), None)


@dataclass(frozen=True, slots=True)
class Verdict:
    collects: str
    rule: str | None = None
    reason: Reason | None = None


COUNTED = Verdict(YES)


def _strings(entry: dict[str, Any], key: str, *, required: bool = True) -> list[str]:
    value = entry.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise SemanticsError(f"rule {entry.get('id')!r}: {key!r} must be a non-empty list of strings")
    return value


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SemanticsError(f"rule {entry.get('id')!r}: {key!r} must be a non-empty string")
    return value


def _member_keys(apis: list[str]) -> list[tuple[str, str]]:
    """``a.b.C#m`` → (``La/b/C;``, ``m``), as DEX method references name them."""
    return [(class_descriptor(a.partition("#")[0]), a.partition("#")[2]) for a in apis]


def parse_semantics(data: Any) -> ApiSemantics:
    """The knowledge file's rules, checked: every rule has an id, a known kind, APIs in `Class#member` form,
    a zh and en reason and a source, plus what its kind needs."""
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise SemanticsError("api_semantics.yaml needs a `rules` list")
    checks = data.get("permission_checks")
    if not isinstance(checks, dict) or not isinstance(checks.get("granted"), int):
        raise SemanticsError("permission_checks needs `names` and an int `granted`")
    rules: list[SemanticRule] = []
    seen: set[str] = set()
    for entry in data["rules"]:
        if not isinstance(entry, dict):
            raise SemanticsError(f"rule {entry!r} is not a mapping")
        rid, kind = _text(entry, "id"), _text(entry, "kind")
        if rid in seen:
            raise SemanticsError(f"rule {rid!r} is listed twice")
        seen.add(rid)
        if kind not in _KINDS:
            raise SemanticsError(f"rule {rid!r}: kind {kind!r} is not one of {_KINDS}")
        apis = _strings(entry, "apis")
        bad = [a for a in apis if a.count("#") != 1 or a.startswith("#") or a.endswith("#")]
        if bad:
            raise SemanticsError(f"rule {rid!r}: APIs not in `Class#member` form: {bad}")
        pi_types = _strings(entry, "pi_types", required=False)
        unknown = [p for p in pi_types if p not in knowledge.pi_types()]
        if unknown:
            raise SemanticsError(f"rule {rid!r}: unknown PI types {unknown}")
        rule = SemanticRule(
            id=rid, kind=kind, apis=frozenset(apis), reason=Reason(_text(entry, "reason_en"), _text(entry, "reason_zh")),
            source=_text(entry, "source"), pi_types=frozenset(pi_types) if pi_types else None,
        )
        if kind == "requires_permission":
            rule = replace(rule, any_of=tuple(_strings(entry, "any_of")))
        elif kind == "derived":
            rule = replace(rule, sources=frozenset(_strings(entry, "sources")))
        elif kind == "own_storage":
            rule = replace(rule, shared_roots=frozenset(_member_keys(_strings(entry, "shared_roots"))),
                           shared_paths=tuple(_strings(entry, "shared_paths")),
                           enumerations=frozenset(_member_keys(_strings(entry, "enumerations"))))
        elif kind == "user_action":
            rule = replace(rule, callers=frozenset(_strings(entry, "callers")),
                           caller_types=frozenset(class_descriptor(t) for t in _strings(entry, "caller_types")))
        else:
            rule = replace(
                rule, broad_action=_text(entry, "broad_action"),
                broad_categories=frozenset(_strings(entry, "broad_categories")),
                targeting=frozenset(_strings(entry, "targeting_methods")), data=frozenset(_strings(entry, "data_methods")),
                unknown_reason=Reason(_text(entry, "reason_unknown_en"), _text(entry, "reason_unknown_zh")),
            )
        rules.append(rule)
    return ApiSemantics(tuple(rules), frozenset(_strings(checks, "names")), checks["granted"],
                        frozenset(_strings(checks, "descriptors", required=False)))


@cache
def api_semantics() -> ApiSemantics:
    return parse_semantics(knowledge.load_yaml("api_semantics.yaml"))


class Callers:
    """The callers of a private method: the methods of its own class that invoke it (no other code can).

    Only private methods are followed to their callers: their callers are found in their class, without a
    sweep of the whole APK (which would cost as much as indexing the call sites again)."""

    def __init__(self, ctx: StaticContext) -> None:
        self.index = ctx.index
        self._found: dict[int, list[tuple[MethodInfo, frozenset[int]]]] = {}  # method id -> (caller, refs to it)

    def of(self, m: MethodInfo) -> list[tuple[MethodInfo, frozenset[int]]]:
        """(caller, the method_ids indices of the caller's DEX that name `m`) for each caller; [] when `m`
        is not private or nothing calls it."""
        got = self._found.get(m.id)
        if got is None:
            got = self._found[m.id] = self._search(m)
        return got

    def _search(self, m: MethodInfo) -> list[tuple[MethodInfo, frozenset[int]]]:
        info = self.index.classes.get(m.cls)
        if not m.access & ACC_PRIVATE or info is None:
            return []
        refs = self.index.method_refs(m.dex)
        out = []
        for mid in info.methods.values():
            c = self.index.methods[mid]
            if c.dex is not m.dex:
                continue
            hits = frozenset(i for i in c.code.invokes if refs[i] == m.key)
            if hits and c is not m:
                out.append((c, hits))
        return out


# --- the intent a query resolves -------------------------------------------------------------------------

@dataclass(slots=True)
class _IntentValue:
    """What is known of an Intent object built in the method: None fields are unset, "?" not a constant."""

    action: str | None = None
    categories: set[str] = field(default_factory=set)
    targeted: bool = False
    data: bool = False
    known: bool = True  # False: it comes from outside (a field, a parameter, an unknown call)

    def copy(self) -> _IntentValue:
        return _IntentValue(self.action, set(self.categories), self.targeted, self.data, self.known)


_UNKNOWN_INTENT = _IntentValue(known=False)


@dataclass(frozen=True, slots=True)
class _Param:
    """The value of the method's `index`-th declared parameter, at entry."""

    index: int
_CONST_STRING, _CONST_STRING_JUMBO, _NEW_INSTANCE = 0x1A, 0x1B, 0x22
_MOVE_OBJECTS = {0x07: "12x", 0x08: "22x", 0x09: "32x"}
_MOVE_RESULT_OBJECT, _RETURN_OBJECT = 0x0C, 0x11


def _written_register(op: int, u: int, units: array, pc: int) -> int | None:
    """The register an instruction that writes an object reference writes (enough to forget stale values)."""
    if op in (0x0C, 0x0D, 0x1A, 0x1B, 0x1C, 0x22, 0x23, 0x46, 0x62):  # move-result/exception, const-*, new-*, aget/sget
        return u >> 8
    if op in (0x07, 0x54, 0x1F):  # move-object, iget-object (check-cast keeps the value: handled by the caller)
        return (u >> 8) & 0xF
    if op == 0x08:
        return u >> 8
    if op == 0x09:
        return units[pc + 1]
    if op in (0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19):  # numeric constants
        return (u >> 8) & 0xF if op == 0x12 else u >> 8
    return None


class IntentReader:
    """The intents a method passes to the intent queries, from its decoded bytecode."""

    def __init__(self, ctx: StaticContext, rule: SemanticRule, reader: CodeReader, callers: Callers) -> None:
        self.ctx = ctx
        self.rule = rule
        self.reader = reader
        self.callers = callers
        self._returned: dict[int, _IntentValue] = {}

    def query_intents(self, m: MethodInfo, api_name: str) -> list[_IntentValue]:
        """The intent of each call of `api_name` in `m` (unknown when the method cannot be decoded)."""
        found: list[Any] = []
        try:
            self._walk(m, self.reader.decode(m), api_name, found, depth=0)
        except _UNREADABLE:  # hostile or unmodelled code: nothing is known of the intent
            return [_UNKNOWN_INTENT]
        out: list[_IntentValue] = []
        for value in found or [_UNKNOWN_INTENT]:
            if isinstance(value, _Param):  # `query(intent)` on a parameter: what every caller passes (one level)
                out.extend(self._passed(m, value.index))
            else:
                out.append(value if isinstance(value, _IntentValue) else _UNKNOWN_INTENT)
        return out

    def _passed(self, m: MethodInfo, j: int) -> list[_IntentValue]:
        callers = [c for c, _refs in self.callers.of(m)]
        if not callers:
            return [_UNKNOWN_INTENT]
        slot = (0 if m.access & ACC_STATIC else 1) + sum(2 if t in ("J", "D") else 1 for t in param_types(m.proto)[:j])
        out: list[_IntentValue] = []
        for caller in callers:
            passed: list[Any] = []
            try:
                self._walk(caller, self.reader.decode(caller), None, passed, depth=1, target=(m, slot))
            except _UNREADABLE:
                return [_UNKNOWN_INTENT]
            if not passed:
                return [_UNKNOWN_INTENT]
            out.extend(v if isinstance(v, _IntentValue) else _UNKNOWN_INTENT for v in passed)
        return out

    def _walk(self, m: MethodInfo, code: Code, api_name: str | None, found: list[Any], *,
              depth: int, target: tuple[MethodInfo, int] | None = None) -> list[_IntentValue]:
        """Follows the method in instruction order, adding to `found` the intent passed to each call of
        `api_name` (or, with `target`, the value in argument slot of each call of that method); returns the
        intents the method returns (`return-object`)."""
        index = self.ctx.index
        refs = index.method_refs(m.dex)
        invoke_at = dict(code.invokes)
        strings = m.dex.strings
        regs: dict[int, Any] = {reg: _Param(j) for reg, j in code.params.items()} if depth == 0 else {}
        last: Any = None  # what the previous invoke returned, for move-result-object
        returned: list[_IntentValue] = []
        units, start = code.units, code.start
        for k, rel in enumerate(code.pcs):
            pc = start + rel
            u = units[pc]
            op = u & 0xFF
            result, last = last, None
            if op in (_CONST_STRING, _CONST_STRING_JUMBO):
                idx = units[pc + 1] if op == _CONST_STRING else units[pc + 1] | (units[pc + 2] << 16)
                regs[u >> 8] = strings[idx] if idx < len(strings) else None
                continue
            if op == _NEW_INSTANCE:
                tidx = units[pc + 1]
                regs[u >> 8] = _IntentValue() if m.dex.type_name(tidx) == _INTENT else None
                continue
            if op in _MOVE_OBJECTS:
                dst, src = ((u >> 8) & 0xF, u >> 12) if op == 0x07 else (u >> 8, units[pc + 1]) if op == 0x08 \
                    else (units[pc + 1], units[pc + 2])
                regs[dst] = regs.get(src)
                continue
            if op == _MOVE_RESULT_OBJECT:
                regs[u >> 8] = result
                continue
            if op == 0x1F:  # check-cast: same object
                continue
            if op == _RETURN_OBJECT:
                value = regs.get(u >> 8)
                returned.append(value if isinstance(value, _IntentValue) else _UNKNOWN_INTENT)
                continue
            ref = invoke_at.get(k)
            if ref is not None:
                cls, name, proto = refs[ref]
                args = [regs.get(r) for r in invoke_registers(op, u, units, pc)]
                last = self._invoke(cls, name, proto, op, args, depth)
                if api_name is not None and name == api_name and _INTENT in proto:
                    found.append(next((a for a in args[1:] if isinstance(a, _IntentValue | _Param)), _UNKNOWN_INTENT))
                elif target is not None and name == target[0].name and proto == target[0].proto and (
                        cls == target[0].cls or index.resolve(cls, name, proto) is target[0]):
                    found.append(args[target[1]] if target[1] < len(args) else None)
                continue
            dst = _written_register(op, u, units, pc)
            if dst is not None:
                regs.pop(dst, None)
                if op == 0x54 or op == 0x62:  # a field read: an Intent from a field is not known here
                    regs[dst] = _UNKNOWN_INTENT
        return returned

    def _invoke(self, cls: str, name: str, proto: str, op: int, args: list[Any], depth: int) -> Any:
        rule = self.rule
        receiver = args[0] if args else None
        if cls == _INTENT and isinstance(receiver, _IntentValue) and op not in (0x71, 0x77):
            if name == "<init>":
                self._construct(receiver, proto, args[1:])
                return None
            value = args[1] if len(args) > 1 else None
            if name == "setAction":
                receiver.action = value if isinstance(value, str) else "?"
            elif name == "addCategory":
                receiver.categories.add(value if isinstance(value, str) else "?")
            elif name in rule.targeting:
                receiver.targeted = True
            elif name in rule.data:
                receiver.data = True
            return receiver if proto.endswith(_INTENT) else None  # the builder returns the same intent
        if proto.endswith(")" + _INTENT):
            if depth == 0:
                target = self.ctx.index.resolve(cls, name, proto)
                if target is not None:
                    return self._returned_by(target)
            return _UNKNOWN_INTENT
        return None

    def _construct(self, intent: _IntentValue, proto: str, params: list[Any]) -> None:
        if proto == "()V":
            return
        if proto == f"({_INTENT})V":  # copy constructor
            src = params[0] if params else None
            if isinstance(src, _IntentValue):
                intent.action, intent.categories = src.action, set(src.categories)
                intent.targeted, intent.data, intent.known = src.targeted, src.data, src.known
            else:
                intent.known = False
            return
        if proto.startswith("(Ljava/lang/String;"):
            action = params[0] if params else None
            intent.action = action if isinstance(action, str) else "?"
        if "Landroid/net/Uri;" in proto:
            intent.data = True
        if "Ljava/lang/Class;" in proto:
            intent.targeted = True
        if not proto.startswith("(Ljava/lang/String;") and "Ljava/lang/Class;" not in proto:
            intent.known = False  # a constructor this reader does not model

    def _returned_by(self, m: MethodInfo) -> _IntentValue:
        got = self._returned.get(m.id)
        if got is None:
            got = _UNKNOWN_INTENT
            try:
                code = self.reader.decode(m)
                returned = self._walk(m, code, None, [], depth=1)
                shapes = {(i.action, frozenset(i.categories), i.targeted, i.data, i.known) for i in returned}
                if len(shapes) == 1:
                    got = returned[0].copy()
            except _UNREADABLE:
                pass
            self._returned[m.id] = got
        return got.copy()


def intent_verdict(rule: SemanticRule, intents: Iterable[_IntentValue]) -> Verdict:
    """Broad when any call's intent is broad; else unknown when any intent is not known; else not broad."""
    unknown = False
    for intent in intents:
        if not intent.known or intent.action == "?":
            unknown = True
            continue
        if intent.targeted or intent.data:
            continue
        # MAIN with a category computed at run time (obfuscated strings) is taken as the launcher query: the
        # catalog of entry points is what MAIN asks for, and no constant shows it narrowed
        if intent.action is None or (intent.action == rule.broad_action
                                     and intent.categories - {"?"} <= rule.broad_categories):
            return COUNTED
    if unknown:
        return Verdict(INTENT_UNKNOWN, rule.id, rule.unknown_reason)
    return Verdict(NOT_BROAD, rule.id, rule.reason)


# --- permission checks ------------------------------------------------------------------------------------

class PermissionGuards:
    """Which calls of a method run only after a check that one of some permissions is granted."""

    def __init__(self, ctx: StaticContext, semantics: ApiSemantics, reader: CodeReader, callers: Callers) -> None:
        self.ctx = ctx
        self.semantics = semantics
        self.reader = reader
        self.callers = callers

    def _guarded(self, m: MethodInfo, permissions: frozenset[str], wanted: frozenset[int] | None,
                 names: frozenset[str]) -> bool | None:
        """Whether every call in `m` to a method named in `names` (or, with `wanted`, to those method_ids
        indices) is dominated by a granted check of one of `permissions`; None when `m` has no such call."""
        refs = self.ctx.index.method_refs(m.dex)
        sem = self.semantics
        if not any(refs[i][2].endswith(")I") and (refs[i][1] in sem.check_names or refs[i][2] in sem.check_descriptors)
                   for i in m.code.invokes):
            # no permission check at all: nothing to decode
            return None if not any((i in wanted) if wanted is not None else refs[i][1] in names
                                   for i in m.code.invokes) else False
        try:
            code = self.reader.decode(m)
        except _UNREADABLE:
            return False
        sites = [pos for pos, ref in code.invokes
                 if (ref in wanted if wanted is not None else refs[ref][1] in names)]
        if not sites:
            return None
        checks = self.semantics.check_names
        descriptors = self.semantics.check_descriptors
        granted = self.semantics.granted

        def call_value(ref: int, op: int, u: int, units: array, pc: int, st: dict[int, Any]) -> int | None:
            _cls, name, proto = refs[ref]
            if not proto.endswith(")I") or (name not in checks and proto not in descriptors):
                return None
            args = arguments(op, u, units, pc, proto, st)
            named = {v[1] for t, v in args if t == "Ljava/lang/String;" and isinstance(v, tuple) and v[0] == "key"}
            if name not in checks and not all(p.startswith("android.permission.") for p in named):
                return None
            # result == granted (0) is the "agreed" value: the register reads as a negated consent check
            return NOT_CONSENT if granted == 0 and named and named <= permissions else None

        try:
            states = flow(code, m.dex, call_value, lambda _f: False)
            guarded = guarded_positions(code, states)
        except _UNREADABLE:
            return False
        return all(pos in guarded for pos in sites)

    def call_guarded(self, m: MethodInfo, api_names: frozenset[str], permissions: frozenset[str]) -> bool:
        """The calls of the API in `m` run only after a granted check: in `m` itself, or at every call of
        `m` anywhere in the APK (one level: `if (granted) getLastKnownLocationForProvider(…)`)."""
        own = self._guarded(m, permissions, None, api_names)
        if own:
            return True
        callers = self.callers.of(m)
        if not callers:
            return False
        return all(self._guarded(caller, permissions, refs, frozenset()) for caller, refs in callers)


# --- judging ---------------------------------------------------------------------------------------------

class StorageUse:
    """Whether a class enumerates shared storage: one of its methods (or of the classes nested with it: a
    dialog and its Builder) both names a shared-storage root (an `Environment` getter, a ``/sdcard`` path) and
    lists a directory. A cache, a log file or a download kept under the storage root is the app's own file."""

    def __init__(self, ctx: StaticContext) -> None:
        self.index = ctx.index
        self._family: dict[str, list[str]] | None = None
        self._memo: dict[tuple[str, str], bool] = {}

    def browses_shared_storage(self, caller: MethodInfo, rule: SemanticRule) -> bool:
        outer = caller.cls.partition("$")[0].removesuffix(";")
        key = (outer, rule.id)
        got = self._memo.get(key)
        if got is None:
            got = self._memo[key] = self._browses(outer, rule)
        return got

    def _browses(self, outer: str, rule: SemanticRule) -> bool:
        index = self.index
        if self._family is None:
            family: dict[str, list[str]] = {}
            for desc in index.classes:
                family.setdefault(desc.partition("$")[0].removesuffix(";"), []).append(desc)
            self._family = family
        roots = lists = False
        for desc in self._family.get(outer, ()):
            for mid in index.classes[desc].methods.values():
                m = index.methods[mid]
                for (c, n, _p), _op in index.invokes(m):
                    roots = roots or (c, n) in rule.shared_roots
                    lists = lists or (c, n) in rule.enumerations
                if not roots and m.code.strings:
                    roots = any(s.startswith(rule.shared_paths) for s in index.strings(m))
                if roots and lists:
                    return True
        return False


class Judge:
    """Verdicts for the sensitive calls of one scan."""

    def __init__(self, ctx: StaticContext, semantics: ApiSemantics | None = None) -> None:
        self.ctx = ctx
        self.semantics = semantics or api_semantics()
        self.reader = CodeReader()
        self.callers = Callers(ctx)
        self.guards = PermissionGuards(ctx, self.semantics, self.reader, self.callers)
        self._intents: dict[str, IntentReader] = {}
        self.storage = StorageUse(ctx)
        manifest = ctx.manifest
        self.declared = frozenset(manifest.uses_permissions)
        target = manifest.target_sdk or manifest.min_sdk or 1
        self.runtime_grants = target >= _RUNTIME_PERMISSIONS_SINCE
        self.dangerous = frozenset(n for n, p in knowledge.permissions().items() if p.protection == "dangerous")

    def verdict(self, pi_type: str, api: str, caller: MethodInfo, *, direct_call: bool) -> Verdict:
        sem = self.semantics
        perm = sem.rule("requires_permission", api, pi_type)
        if perm is not None and self.ctx.app_manifest and self.declared.isdisjoint(perm.any_of):
            return Verdict(NO_PERMISSION, perm.id, perm.reason)
        if direct_call:
            query = sem.rule("intent_query", api, pi_type)
            if query is not None:
                reader = self._intents.get(query.id)
                if reader is None:
                    reader = self._intents[query.id] = IntentReader(self.ctx, query, self.reader, self.callers)
                verdict = intent_verdict(query, reader.query_intents(caller, api.partition("#")[2]))
                if verdict.collects != YES:
                    return verdict
            store = sem.rule("own_storage", api, pi_type)
            if store is not None and not self.storage.browses_shared_storage(caller, store):
                return Verdict(OWN_STORAGE, store.id, store.reason)
            paste = sem.rule("user_action", api, pi_type)
            if paste is not None and caller.name in paste.callers and self._is_a(caller.cls, paste.caller_types):
                return Verdict(USER_ACTION, paste.id, paste.reason)
            if perm is not None and self.runtime_grants:
                runtime = frozenset(p for p in perm.any_of if p in self.dangerous and p in self.declared)
                if runtime and self.guards.call_guarded(caller, frozenset({api.partition("#")[2]}), runtime):
                    return Verdict(GUARDED, perm.id, Reason(
                        f"the call runs only after a check that {', '.join(sorted(runtime))} was granted at run time",
                        f"该调用仅在检查到 {', '.join(sorted(runtime))} 运行时权限已授予后执行"))
        return COUNTED

    def _is_a(self, cls: str, types: frozenset[str]) -> bool:
        return cls in types or not types.isdisjoint(self.ctx.index.ancestors(cls))


def judge_hits(ctx: StaticContext, hits: list[Any]) -> list[Any]:
    """The hits with their verdicts (`SensitiveHit.collects`, `.semantic_rule`, `.reason`)."""
    if not hits:
        return hits
    judge = Judge(ctx)
    out = []
    for h in hits:
        v = judge.verdict(h.pi_type, h.api, h.caller, direct_call=not h.via_reflection and h.direct)
        out.append(h if v.collects == YES else replace(h, collects=v.collects, semantic_rule=v.rule, reason=v.reason))
    return _derived(judge.semantics, out)


def _derived(sem: ApiSemantics, hits: list[Any]) -> list[Any]:
    """Getters judged like the calls of their class that obtained the object (`derived` rules)."""
    rules = [r for r in sem.rules if r.kind == "derived"]
    if not rules:
        return hits
    out = []
    for h in hits:
        rule = next((r for r in rules if h.collects == YES and r.applies(h.api, h.pi_type)), None)
        if rule is not None:
            found = {s.collects for s in hits if s.api in rule.sources and s.caller.cls == h.caller.cls}
            if found == {GUARDED}:  # (a source without the permission already made the getter no_permission)
                h = replace(h, collects=GUARDED, semantic_rule=rule.id, reason=rule.reason)
        out.append(h)
    return out
