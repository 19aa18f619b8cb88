"""`ConsentGuards`: which references of a method run only behind a consent check. It decides which calls
are consent checks (keyed getters, predicates, one-level helper summaries) and which boolean fields are
consent flags (every write stores a check, false, or the agree action's true; setters judged by their
callers), and asks the data-flow which instructions only an "agreed" edge leads to."""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hegui.dex import parser
from hegui.dex.guards.bytecode import STRING, Code, CodeReader, Unsupported, dex_string
from hegui.dex.guards.fields import BooleanFields
from hegui.dex.guards.flow import (
    CONSENT,
    FALSE,
    INVOKES,
    IPUT_BOOLEAN,
    SPUT_BOOLEAN,
    TRUE,
    arguments,
    flow,
    guarded_positions,
    returned,
    stored,
)
from hegui.dex.guards.lexicon import ConsentLexicon
from hegui.dex.index import DexIndex, MethodInfo
from hegui.dex.parser import ACC_STATIC, DexFile, DexFormatError, IdTable

_MAX_DEPTH = 4  # nested field/summary judgements (a field whose writer reads another field …) before giving up


@dataclass(frozen=True, slots=True)
class GuardedSites:
    """Positions, in `MethodCode`'s lists, of the references that run only once consent was given."""

    invokes: frozenset[int]
    types: frozenset[int]
    fields: frozenset[int]
    strings: frozenset[int]

    def __bool__(self) -> bool:
        return bool(self.invokes or self.types or self.fields or self.strings)


def _boolean_refs(dex: DexFile) -> frozenset[int]:
    """The method_ids entries that return a boolean (what a consent check calls), picked by proto index: in C
    from the table's raw entries when the extension is there (a string test per entry of a 65,000-entry table
    cost twenty times as much), else entry by entry."""
    fast = parser.speedups
    if isinstance(dex.methods, IdTable) and fast is not None and isinstance(dex.protos, list):
        return frozenset(fast.id_entries(dex.methods.raw, fast.string_mask(dex.protos, ")Z", False), 1 << 32))
    returns_boolean = [proto.endswith(")Z") for proto in dex.protos]
    n = len(returns_boolean)
    return frozenset(i for i, (_cls, proto, _name) in enumerate(dex.methods) if proto < n and returns_boolean[proto])


class ConsentGuards:
    """Per-method guard analysis over a `DexIndex`, with the per-DEX tables it needs built on first use."""

    def __init__(self, index: DexIndex, lexicon: ConsentLexicon) -> None:
        self.index = index
        self.lexicon = lexicon
        # (id(dex), method_ids index) -> "getter" | "predicate" | None, decided on first use: most boolean
        # references are never asked about, and deciding all of them was a tenth of a scan's call graph
        self._checks: dict[tuple[int, int], str | None] = {}
        self._boolean_refs: dict[int, frozenset[int]] = {}  # id(dex) -> refs returning Z (candidate checks)
        self._summaries: dict[tuple[int, int], int | None] = {}  # (id(dex), ref) -> CONSENT | NOT_CONSENT | None
        self._predicate_names: dict[str, bool] = {}
        self._key_names: dict[str, bool] = {}
        # consent fields: (id(dex), field_ids index) -> (declaring class, name) when a candidate, else None
        self._field_decls: dict[tuple[int, int], tuple[str, str] | None] = {}
        self._verdicts: dict[tuple[str, str], bool | None] = {}  # (declaring class, name) -> consent field (None: being judged)
        self._class_writes: dict[str, frozenset[str] | None] = {}  # class -> fields its methods assign a check to
        self._reader = CodeReader()
        self._fields = BooleanFields(index, self._reader)
        self._depth = 0

    # --- public -------------------------------------------------------------------------------------
    def sites(self, m: MethodInfo) -> GuardedSites | None:
        """What of `m` runs only behind a consent check; None when nothing does (or it is unclear)."""
        invokes, fields = m.code.invokes, m.code.fields
        if not invokes and not fields:
            return None
        dex = m.dex
        booleans = self._booleans(dex)
        if ((booleans.isdisjoint(invokes) or not any(self._check_kind(dex, idx) for idx in booleans.intersection(invokes)))
                and not self._reads_flag(dex, fields)):
            return None
        try:
            code = self._reader.decode(m)
            guarded = guarded_positions(code, self._flow(m, code, summaries=True))
        except (Unsupported, DexFormatError, struct.error, IndexError, ValueError):  # hostile or unmodelled code: no guard
            return None
        if not guarded:
            return None
        out = GuardedSites(
            invokes=frozenset(i for i, (pos, _r) in enumerate(code.invokes) if pos in guarded),
            types=frozenset(i for i, (pos, _r) in enumerate(code.types) if pos in guarded),
            fields=frozenset(i for i, (pos, _r) in enumerate(code.fields) if pos in guarded),
            strings=frozenset(i for i, (pos, _r) in enumerate(code.strings) if pos in guarded),
        )
        return out or None

    def candidates(self, dex: DexFile) -> tuple[frozenset[int], frozenset[int]]:
        """`dex`'s method_ids indices of calls returning boolean and field_ids indices of boolean fields: a
        method with neither among its references has no guard (`sites` is None without asking anything)."""
        return self._booleans(dex), self._fields.ids(dex)

    def direct_check(self, dex: DexFile, ref: int) -> str | None:
        """Whether call `ref` of `dex` is a keyed getter ("getter") or named for consent ("predicate"). A call
        of a class the APK does not define is a consent check only then (a summary needs a defined target)."""
        return self._direct(dex, ref)

    # --- which calls may be consent checks ---------------------------------------------------------
    def _booleans(self, dex: DexFile) -> frozenset[int]:
        """`dex`'s method_ids indices of calls returning boolean: the candidate checks."""
        got = self._boolean_refs.get(id(dex))
        if got is None:
            got = self._boolean_refs[id(dex)] = _boolean_refs(dex)
        return got

    def _direct(self, dex: DexFile, ref: int) -> str | None:
        """"getter" for a call of a keyed getter taking a String (`getBoolean(key, false)`), "predicate" for a
        boolean method named for consent, None for any other reference."""
        key = (id(dex), ref)
        if key in self._checks:
            return self._checks[key]
        kind = None
        if ref in self._booleans(dex):
            _cls, name, proto = self.index.method_refs(dex)[ref]
            if name in self.lexicon.getters and STRING in proto:
                kind = "getter"
            elif self._is_predicate(name):
                kind = "predicate"
        self._checks[key] = kind
        return kind

    def _is_predicate(self, name: str) -> bool:
        got = self._predicate_names.get(name)
        if got is None:
            got = self._predicate_names[name] = self.lexicon.is_consent_predicate(name)
        return got

    def _is_key(self, text: str) -> bool:
        got = self._key_names.get(text)
        if got is None:
            got = self._key_names[text] = self.lexicon.is_consent_key(text)
        return got

    def _check_kind(self, dex: DexFile, ref: int) -> str | None:
        kind = self._direct(dex, ref)
        if kind is not None:
            return kind
        if ref in self._booleans(dex) and self._summary(dex, ref) is not None:
            return "summary"
        return None

    def _summary(self, dex: DexFile, ref: int) -> int | None:
        """A defined boolean method whose every return returns the same consent check (one level deep)."""
        key = (id(dex), ref)
        if key in self._summaries:
            return self._summaries[key]
        self._summaries[key] = None  # also stops recursion through itself
        cls, name, proto = self.index.method_refs(dex)[ref]
        target = self.index.resolve(cls, name, proto) if cls in self.index.classes else None
        result = None
        if target is not None and (target.code.invokes or target.code.fields):
            calls = self._booleans(target.dex).intersection(target.code.invokes)
            if any(self._direct(target.dex, idx) for idx in calls) or self._reads_flag(target.dex, target.code.fields):
                try:
                    code = self._reader.decode(target)
                    states = self._flow(target, code, summaries=False)
                except (Unsupported, DexFormatError, struct.error, IndexError, ValueError):
                    states = None
                if states is not None:
                    result = returned(code, states)
        self._summaries[key] = result
        return result

    # --- consent fields -----------------------------------------------------------------------------
    def _assigned_checks(self, cls: str) -> frozenset[str] | None:
        """Names of the boolean fields methods of `cls` assign a consent check to; None while being found."""
        if cls in self._class_writes:
            return self._class_writes[cls]
        self._class_writes[cls] = None
        names: set[str] = set()
        info = self.index.classes.get(cls)
        for mid in info.methods.values() if info is not None else ():
            m = self.index.methods[mid]
            booleans = self._booleans(m.dex)
            if not booleans.isdisjoint(m.code.invokes) and self._may_check(m):
                names |= self._consent_puts(m)
        got = self._class_writes[cls] = frozenset(names)
        return got

    def _may_check(self, m: MethodInfo) -> bool:
        """Whether `m` may call a consent check: a predicate or helper, or a getter next to a consent key."""
        kinds = {self._check_kind(m.dex, idx) for idx in self._booleans(m.dex).intersection(m.code.invokes)}
        if "predicate" in kinds or "summary" in kinds:
            return True
        if "getter" not in kinds:
            return False
        if any(self._is_key(s) for s in self.index.strings(m)):
            return True
        refs = self.index.field_refs(m.dex)
        return any(self._is_key(refs[f][1]) for f in m.code.fields if f < len(refs))

    def _consent_puts(self, m: MethodInfo) -> set[str]:
        """Names of the boolean fields `m` assigns a consent check to."""
        try:
            code = self._reader.decode(m)
            states = self._flow(m, code, summaries=True)
        except (Unsupported, DexFormatError, struct.error, IndexError, ValueError):
            return set()
        refs = self.index.field_refs(m.dex)
        out: set[str] = set()
        for k, pc in enumerate(code.pcs):
            u = code.units[code.start + pc]
            if u & 0xFF in (IPUT_BOOLEAN, SPUT_BOOLEAN) and stored(code, states, k) == CONSENT:
                fidx = code.units[code.start + pc + 1]
                if fidx < len(refs):
                    out.add(refs[fidx][1])
        return out

    def _reads_flag(self, dex: DexFile, fields: Iterable[int]) -> bool:
        booleans = self._fields.ids(dex)
        return not booleans.isdisjoint(fields) and any(self._flag_field(dex, f) for f in booleans.intersection(fields))

    def _flag_field(self, dex: DexFile, fidx: int) -> bool:
        """Whether reading field `fidx` of `dex` reads a consent field."""
        key = (id(dex), fidx)
        if key in self._field_decls:
            decl = self._field_decls[key]
        else:
            decl, final = self._candidate(dex, fidx)
            if final:
                self._field_decls[key] = decl
        return decl is not None and self._verdict(decl)

    def _candidate(self, dex: DexFile, fidx: int) -> tuple[tuple[str, str] | None, bool]:
        """(declaring class, name) of a boolean field named for consent or assigned a consent check by a
        method of its class (or a superclass); and whether that answer is final (no class half-searched)."""
        if fidx >= len(dex.fields):
            return None, True
        cls_idx, type_idx, name_idx = dex.fields[fidx]
        if dex.type_name(type_idx) != "Z":
            return None, True
        name, cls = dex_string(dex, name_idx), dex.type_name(cls_idx)
        if not self._is_key(name):
            for c in (cls, *self.index.superclasses(cls)):
                if c not in self.index.classes:
                    return None, True
                names = self._assigned_checks(c)
                if names is None:
                    return None, False
                if name in names:
                    break
            else:
                return None, True
        try:
            return self._fields.declaring(cls, name), True
        except (Unsupported, DexFormatError, struct.error, IndexError, ValueError):
            return None, True

    def _verdict(self, decl: tuple[str, str]) -> bool:
        if decl in self._verdicts:
            return self._verdicts[decl] is True
        if self._depth >= _MAX_DEPTH:
            return False
        self._verdicts[decl] = None  # being judged: a read of it while judging it counts as no flag
        self._depth += 1
        try:
            ok = self._only_consent_writes(*decl)
        except (Unsupported, DexFormatError, struct.error, IndexError, ValueError, RecursionError):
            ok = False
        finally:
            self._depth -= 1
        self._verdicts[decl] = ok
        return ok

    def _only_consent_writes(self, desc: str, name: str) -> bool:
        """Every write to field `desc.name` keeps "true" meaning "the user agreed", and one can make it true."""
        can_be_true = False
        for dex in self.index.dex_files:
            if dex.classes and not self._reader.class_table(dex):
                return False  # code we cannot search for writes (not Dalvik)
            writes: dict[int, list[int]] = {}  # writer method id -> unit offsets of its puts
            for fidx in self._fields.field_ids(dex, desc, name):
                for mid, rel in self._fields.sites(dex, fidx, (IPUT_BOOLEAN, SPUT_BOOLEAN)):
                    writes.setdefault(mid, []).append(rel)
            for mid, rels in writes.items():
                w = self.index.methods[mid]
                code = self._reader.decode(w)
                real = [code.at[rel] for rel in rels if rel in code.at]  # others: bytes inside an instruction
                if not real:
                    continue
                states = self._flow(w, code, summaries=True)
                for k in real:
                    if states[k] is None:
                        continue  # no path reaches it
                    value = stored(code, states, k)
                    if isinstance(value, tuple) and value[0] == "param":
                        true = self._passed(w, value[1])  # a setter: what do its callers pass?
                    else:
                        true = self._may_be_true(value, w, code, states, k)
                    if true is None:
                        return False
                    can_be_true = can_be_true or true
        return can_be_true

    def _may_be_true(self, value: Any, m: MethodInfo, code: Code, states: list[dict[int, Any] | None],
                     k: int) -> bool | None:
        """Whether `value`, stored or passed at position `k` of `m`, may be true: True for a consent check or
        the agree action's true, False for false, None for anything else (the field is no consent flag)."""
        if value == CONSENT:
            return True
        if value == FALSE:
            return False
        if value == TRUE and self._agree_action(m, code, states, k):
            return True
        return None

    def _passed(self, setter: MethodInfo, j: int) -> bool | None:
        """What every call of `setter` passes as parameter `j`: None if anything but a consent check, false
        or the agree action's true; else whether some call can pass true."""
        can_be_true = called = False
        # A call may land on the setter through its class, a subclass, a supertype it overrides, or a supertype
        # of a subclass that inherits it (`class Sub extends Store implements Consent`: Consent.setAgreed).
        related = self.index.ancestors(setter.cls) | {setter.cls}
        for sub in self.index.classes:
            if setter.cls in self.index.superclasses(sub):
                related |= self.index.ancestors(sub)
        for dex in self.index.dex_files:
            calls: dict[int, list[int]] = {}
            for idx, (cls, name, proto) in enumerate(self.index.method_refs(dex)):
                if (name == setter.name and proto == setter.proto
                        and (cls in related or setter.cls in self.index.superclasses(cls))):
                    for mid, rel in self._fields.sites(dex, idx, INVOKES):
                        calls.setdefault(mid, []).append(rel)
            for mid, rels in calls.items():
                caller = self.index.methods[mid]
                code = self._reader.decode(caller)
                real = [code.at[rel] for rel in rels if rel in code.at]
                if not real:
                    continue
                states = self._flow(caller, code, summaries=True)
                for k in real:
                    st = states[k]
                    if st is None:
                        continue  # no path reaches it
                    pc = code.start + code.pcs[k]
                    u = code.units[pc]
                    args = arguments(u & 0xFF, u, code.units, pc, setter.proto, st)
                    true = self._may_be_true(args[j][1] if j < len(args) else None, caller, code, states, k)
                    if true is None:
                        return None
                    can_be_true = can_be_true or true
                    called = True
        return can_be_true if called else None  # never called in bytecode: by reflection, JNI, a binder…

    def _agree_action(self, m: MethodInfo, code: Code, states: list[dict[int, Any] | None], k: int) -> bool:
        """Whether position `k` of `m` runs only once the user agreed: in a click callback, behind a consent
        check, or in the method that stores true under a consent key."""
        return self._callback(m) or k in guarded_positions(code, states) or self._stores_consent(m, code, states)

    def _callback(self, m: MethodInfo) -> bool:
        """Whether `m` is a framework's tap callback: named like one, and an instance method of a class with a
        framework supertype it can override (a listener interface, an Activity). A static `onClick()` of a
        plain helper class is just a method that startup code may call."""
        if m.name not in self.lexicon.agree_callbacks or m.access & ACC_STATIC:
            return False
        return any(sup not in self.index.classes and sup != "Ljava/lang/Object;" for sup in self.index.ancestors(m.cls))

    # --- data flow ----------------------------------------------------------------------------------
    def _flow(self, m: MethodInfo, code: Code, *, summaries: bool) -> list[dict[int, Any] | None]:
        """In-state (register -> tracked value) of each reachable instruction; None when unreachable."""
        if not code.pcs:
            return []
        dex = m.dex
        refs = self.index.method_refs(dex)

        def call_value(ref: int, op: int, u: int, units: array, pc: int, st: dict[int, Any]) -> int | None:
            return self._call_value(dex, refs, ref, op, u, units, pc, st, summaries)

        return flow(code, dex, call_value, lambda fidx: self._flag_field(dex, fidx))

    def _call_value(self, dex: DexFile, refs: list[tuple[str, str, str]], ref: int, op: int, u: int,
                    units: array, pc: int, st: dict[int, Any], summaries: bool) -> int | None:
        kind = self._check_kind(dex, ref) if summaries else self._direct(dex, ref)
        if kind == "predicate":
            return CONSENT
        if kind == "summary":
            return self._summaries.get((id(dex), ref))
        if kind != "getter":
            return None
        _cls, _name, proto = refs[ref]
        args = arguments(op, u, units, pc, proto, st)
        # getBoolean("privacy_agreed", true) reads true on the first launch, before anyone agreed: the default
        # (any boolean argument) must be a known false
        if any(ptype == "Z" and v != FALSE for ptype, v in args):
            return None
        if any(isinstance(v, tuple) and v[0] == "key" and self._is_key(v[1]) for ptype, v in args if ptype == STRING):
            return CONSENT
        return None

    def _stores_consent(self, m: MethodInfo, code: Code, states: list[dict[int, Any] | None]) -> bool:
        """Whether `m` stores true under a consent key (`putBoolean("privacy_agreed", true)`): the "agree" action."""
        refs = self.index.method_refs(m.dex)
        setters = self.lexicon.setters
        for k, ref in code.invokes:
            st = states[k]
            if st is None or ref >= len(refs) or refs[ref][1] not in setters:
                continue
            pc = code.start + code.pcs[k]
            u = code.units[pc]
            args = arguments(u & 0xFF, u, code.units, pc, refs[ref][2], st)
            if (any(t == STRING and isinstance(v, tuple) and v[0] == "key" and self._is_key(v[1]) for t, v in args)
                    and any(t == "Z" and v == TRUE for t, v in args)):
                return True
        return False
