"""Consent guards: the parts of a method that run only after a stored "the user agreed" flag read true.

Apps that follow the 2021+ rules still start SDKs from `Application.onCreate`, but behind a check of the
flag their consent dialog stores:

    if (sp.getBoolean("privacy_agreed", false)) UMConfigure.init(…);     // guarded block
    if (!PrivacyHelper.isAgreed(this)) return;  …init…                   // early return
    if (App.sAgreed) init();                                              // flag kept in a field

On the first launch that flag is false, so those calls do not run before consent. `ConsentGuards.sites`
finds them, intra-procedurally, on the method's Dalvik bytecode:

1. a forward data-flow pass over the control-flow graph (branches, switches, exception handlers) tracks,
   per register, a string constant (a key), an int constant, a "consent" boolean (the result of a consent
   check) or its negation (`xor-int/lit8 v, v, 1`); a value survives a merge only if every incoming path
   agrees;
2. an `if-eqz`/`if-nez` on a consent value, or an `if-eq`/`if-ne` comparing it with a register holding
   0 or 1, has one "agreed" successor;
3. an instruction is guarded when the method's entry reaches it, but no longer once every "agreed" edge is
   removed: each path to it passes a check that consent was given.

A consent check is a call returning boolean that is either a keyed getter (`getBoolean`, MMKV `decodeBool`,
wrappers of the same name) with a consent-key string argument, a method whose name says "agreed"
(`isPrivacyAgreed`, Kotlin's `getAgreed`), a defined method whose every `return` returns such a check (one
level of summary), or a read of a consent field.

A boolean field is a consent field when every write to it anywhere in the program
(`iput-boolean`/`sput-boolean`, found by searching each DEX's bytes for the field's index and confirmed on
the decoded writer) stores a consent check, the constant false, or the constant true inside a click
callback (an instance `onClick` of a class with a framework supertype), behind a consent check, or in a method that also stores true under a consent key
(the "agree" handler); a write of a setter's parameter (Kotlin `var agreed` → `setAgreed(Z)V`) counts when
every call of the setter passes one of those, and the setter is called at all. At least one write must be able to make the field true, and a
static initial value must be false. Candidates are fields whose name says consent (`isAgreePrivacy`,
`mPrivacyAccepted`) and fields a method of their own class assigns a consent check to
(`a = sp.getBoolean("privacy_agreed", false)` in an obfuscated class); the byte search runs only for fields
an analysed method reads. Writes through reflection, JNI or serialisers are not visible: a field only ever
written that way (no write in the bytecode) is not a consent field.

The words are data (`ConsentLexicon`, from hegui's knowledge files); this module only knows bytecode.
Anything unclear keeps the code unguarded: values reassigned on some path, comparisons with anything but
0/1, a field with any other write (an unknown value, a negated check, a true from unrelated code), odexed
opcodes, malformed code, or a decoding that disagrees with the index.
"""

from __future__ import annotations

import re
import struct
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hegui.dex import opcodes
from hegui.dex.index import DexIndex, MethodInfo
from hegui.dex.parser import ACC_STATIC, DexFile, DexFormatError, class_data_methods, uleb128

_NORMALISE = re.compile(r"[^0-9a-z\u3400-\u9fff]")
_MAX_KEY = 200  # longer strings are text, not preference keys
_MAX_UNITS = 1 << 16  # methods larger than this are not analysed (kept unguarded)
_MAX_VISITS = 64  # worklist visits per instruction before giving up
_MAX_DEPTH = 4  # nested field/summary judgements (a field whose writer reads another field …) before giving up

CONSENT, NOT_CONSENT = 1, -1
_RESULT = -1  # pseudo register: the value the last invoke left for move-result

# Opcodes by what they do to registers.
_RETURNS = frozenset((0x0E, 0x0F, 0x10, 0x11))
_IF_Z = frozenset(range(0x38, 0x3E))
_IF_2 = frozenset(range(0x32, 0x38))
_GOTOS = {0x28, 0x29, 0x2A}
_SWITCHES = {0x2B, 0x2C}
_THROW = 0x27
_UNUSED = frozenset((*range(0x3E, 0x44), 0x73, 0x79, 0x7A, *range(0xE3, 0xFA)))
_INVOKES = frozenset((*range(0x6E, 0x73), *range(0x74, 0x79)))
_INVOKE_RANGE = frozenset(range(0x74, 0x79))
_INVOKE_STATIC = opcodes.INVOKE_STATIC
_DEST_A4 = frozenset((0x01, 0x04, 0x07, 0x12, 0x20, 0x21, 0x23, *range(0x52, 0x59), *range(0x7B, 0x90),
                      *range(0xB0, 0xD8)))
_DEST_A8 = frozenset((0x02, 0x05, 0x08, *range(0x0A, 0x0E), *range(0x13, 0x1D), 0x22, *range(0x2D, 0x32),
                      *range(0x44, 0x4B), *range(0x60, 0x67), *range(0x90, 0xB0), *range(0xD8, 0xE3), 0xFE, 0xFF))
_DEST_A16 = frozenset((0x03, 0x06, 0x09))
_WIDE_DEST = frozenset((0x04, 0x05, 0x06, 0x0B, *range(0x16, 0x1A), 0x45, 0x53, 0x61, 0x7D, 0x7E, 0x80, 0x81, 0x83,
                        0x86, 0x88, 0x89, 0x8B, *range(0x9B, 0xA6), *range(0xAB, 0xB0), *range(0xBB, 0xC6),
                        *range(0xCB, 0xD0)))
_MOVES = frozenset((0x01, 0x02, 0x03, 0x07, 0x08, 0x09))
_XOR_LIT8 = 0xDF
_SGET_OBJECT = 0x62
_IGET_BOOLEAN, _SGET_BOOLEAN = 0x55, 0x63
_IPUT_BOOLEAN, _SPUT_BOOLEAN = 0x5C, 0x6A  # the verifier accepts no other put for a boolean field
_IF_EQ, _IF_NE = 0x32, 0x33
_CONSTS = frozenset((0x12, 0x13, 0x14, 0x15))
_STRING = "Ljava/lang/String;"
FALSE, TRUE = ("int", 0), ("int", 1)


def normalise(text: str) -> str:
    """Lowercase letters, digits and CJK only: ``KEY_AGREE_PROTOCOL`` → ``keyagreeprotocol``."""
    return _NORMALISE.sub("", text.lower())


@dataclass(frozen=True, slots=True)
class ConsentLexicon:
    """The words that make a key or a method name a consent flag (see knowledge/consent_guards.yaml)."""

    getters: frozenset[str]
    consent_words: tuple[str, ...]
    topic_words: tuple[str, ...]
    veto_words: tuple[str, ...]
    predicate_prefixes: tuple[str, ...]
    approval_words: tuple[str, ...]
    setters: frozenset[str] = frozenset()
    agree_callbacks: frozenset[str] = frozenset()

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ConsentLexicon:
        def words(key: str) -> tuple[str, ...]:
            return tuple(normalise(str(w)) for w in data.get(key) or () if normalise(str(w)))

        return cls(getters=frozenset(str(g) for g in data.get("getters") or ()),
                   consent_words=words("consent_words"), topic_words=words("topic_words"),
                   veto_words=words("veto_words"), predicate_prefixes=words("predicate_prefixes"),
                   approval_words=words("approval_words"),
                   setters=frozenset(str(g) for g in data.get("setters") or ()),
                   agree_callbacks=frozenset(str(g) for g in data.get("agree_callbacks") or ()))

    def _vetoed(self, text: str) -> bool:
        return any(w in text for w in self.veto_words)

    def is_consent_key(self, key: str) -> bool:
        if len(key) > _MAX_KEY:
            return False
        text = normalise(key)
        return (bool(text) and not self._vetoed(text)
                and any(w in text for w in (*self.consent_words, *self.topic_words)))

    def is_consent_predicate(self, name: str) -> bool:
        text = normalise(name)
        if not text.startswith(self.predicate_prefixes) or self._vetoed(text):
            return False
        # "agreement" is a topic, not consent: `isBillingAgreement` says nothing about the user agreeing
        bare = text
        for topic in self.topic_words:
            bare = bare.replace(topic, "|")
        if any(w in bare for w in self.consent_words):
            return True
        return bare != text and any(w in bare for w in self.approval_words)


@dataclass(frozen=True, slots=True)
class GuardedSites:
    """Positions, in `MethodCode`'s lists, of the references that run only once consent was given."""

    invokes: frozenset[int]
    types: frozenset[int]
    fields: frozenset[int]
    strings: frozenset[int]

    def __bool__(self) -> bool:
        return bool(self.invokes or self.types or self.fields or self.strings)


class _Unsupported(Exception):
    """Code this analysis does not model: the method stays unguarded."""


def param_types(proto: str) -> list[str]:
    """``(ILjava/lang/String;[JZ)Z`` → ``['I', 'Ljava/lang/String;', '[J', 'Z']``."""
    params = proto[1:proto.index(")")] if proto.startswith("(") and ")" in proto else ""
    out: list[str] = []
    i = 0
    while i < len(params):
        j = i
        while j < len(params) and params[j] == "[":
            j += 1
        if j < len(params) and params[j] == "L":
            end = params.find(";", j)
            j = len(params) - 1 if end < 0 else end
        out.append(params[i:j + 1])
        i = j + 1
    return out


@dataclass(slots=True)
class _Code:
    """One method's instructions, decoded just enough for the control flow and the registers we track."""

    units: array
    start: int  # index of the first code unit in `units`
    pcs: list[int]  # instruction offsets (code units from `start`)
    at: dict[int, int]  # offset -> position in `pcs`
    succ: list[list[int]]  # normal successors (positions)
    exc: list[list[int]]  # exception-handler successors (positions)
    invokes: list[tuple[int, int]]  # (position, method_ids index), instruction order
    strings: list[tuple[int, int]]
    types: list[tuple[int, int]]
    fields: list[tuple[int, int]]
    params: dict[int, int] = field(default_factory=dict)  # register -> declared parameter index, at entry


class ConsentGuards:
    """Per-method guard analysis over a `DexIndex`, with the per-DEX tables it needs built on first use."""

    def __init__(self, index: DexIndex, lexicon: ConsentLexicon) -> None:
        self.index = index
        self.lexicon = lexicon
        self._checks: dict[int, dict[int, str]] = {}  # id(dex) -> method_ids index -> "getter" | "predicate"
        self._boolean_refs: dict[int, frozenset[int]] = {}  # id(dex) -> refs returning Z (candidate checks)
        self._summaries: dict[tuple[int, int], int | None] = {}  # (id(dex), ref) -> CONSENT | NOT_CONSENT | None
        self._class_defs: dict[int, dict[str, tuple[int, int]]] = {}  # id(dex) -> class -> (class_data_off, static_values_off)
        self._code_offs: dict[tuple[int, str], list[tuple[int, int]]] = {}
        self._predicate_names: dict[str, bool] = {}
        self._key_names: dict[str, bool] = {}
        # consent fields: (id(dex), field_ids index) -> (declaring class, name) when a candidate, else None
        self._field_decls: dict[tuple[int, int], tuple[str, str] | None] = {}
        self._verdicts: dict[tuple[str, str], bool | None] = {}  # (declaring class, name) -> consent field (None: being judged)
        self._class_writes: dict[str, frozenset[str] | None] = {}  # class -> fields its methods assign a check to
        self._boolean_fields: dict[int, dict[str, list[int]]] = {}  # id(dex) -> name -> boolean field_ids indices
        self._z_fields: dict[int, frozenset[int]] = {}  # id(dex) -> field_ids indices of boolean fields
        self._code_tables: dict[int, tuple[list[int], list[tuple[int, int, int]]]] = {}
        self._depth = 0

    # --- public -------------------------------------------------------------------------------------
    def sites(self, m: MethodInfo) -> GuardedSites | None:
        """What of `m` runs only behind a consent check; None when nothing does (or it is unclear)."""
        invokes, fields = m.code.invokes, m.code.fields
        if not invokes and not fields:
            return None
        dex = m.dex
        booleans = self._tables(dex)[1]
        if ((booleans.isdisjoint(invokes) or not any(self._check_kind(dex, idx) for idx in booleans.intersection(invokes)))
                and not self._reads_flag(dex, fields)):
            return None
        try:
            code = self._decode(m)
            guarded = self._guarded(code, self._flow(m, code, summaries=True))
        except (_Unsupported, DexFormatError, struct.error, IndexError, ValueError):  # hostile or unmodelled code: no guard
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

    # --- which calls may be consent checks ---------------------------------------------------------
    def _tables(self, dex: DexFile) -> tuple[dict[int, str], frozenset[int]]:
        checks = self._checks.get(id(dex))
        if checks is None:
            checks = {}
            booleans: set[int] = set()
            getters = self.lexicon.getters
            for idx, (_cls, name, proto) in enumerate(self.index.method_refs(dex)):
                if not proto.endswith(")Z"):
                    continue
                booleans.add(idx)
                if name in getters and _STRING in proto:
                    checks[idx] = "getter"
                elif self._is_predicate(name):
                    checks[idx] = "predicate"
            self._checks[id(dex)] = checks
            self._boolean_refs[id(dex)] = frozenset(booleans)
        return checks, self._boolean_refs[id(dex)]

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
        checks, booleans = self._tables(dex)
        kind = checks.get(ref)
        if kind is not None:
            return kind
        if ref in booleans and self._summary(dex, ref) is not None:
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
            checks = self._tables(target.dex)[0]
            if not checks.keys().isdisjoint(target.code.invokes) or self._reads_flag(target.dex, target.code.fields):
                try:
                    code = self._decode(target)
                    states = self._flow(target, code, summaries=False)
                except (_Unsupported, DexFormatError, struct.error, IndexError, ValueError):
                    states = None
                if states is not None:
                    result = self._returned(code, states)
        self._summaries[key] = result
        return result

    @staticmethod
    def _returned(code: _Code, states: list[dict[int, Any] | None]) -> int | None:
        seen: set[Any] = set()
        for k, pc in enumerate(code.pcs):
            u = code.units[code.start + pc]
            if u & 0xFF == 0x0F and states[k] is not None:  # return vAA (int-sized: booleans)
                seen.add(states[k].get(u >> 8))
        if len(seen) == 1:
            only = seen.pop()
            if only in (CONSENT, NOT_CONSENT):
                return only
        return None

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
            booleans = self._tables(m.dex)[1]
            if not booleans.isdisjoint(m.code.invokes) and self._may_check(m):
                names |= self._consent_puts(m)
        got = self._class_writes[cls] = frozenset(names)
        return got

    def _may_check(self, m: MethodInfo) -> bool:
        """Whether `m` may call a consent check: a predicate or helper, or a getter next to a consent key."""
        checks, booleans = self._tables(m.dex)
        kinds = {self._check_kind(m.dex, idx) for idx in booleans.intersection(m.code.invokes)}
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
            code = self._decode(m)
            states = self._flow(m, code, summaries=True)
        except (_Unsupported, DexFormatError, struct.error, IndexError, ValueError):
            return set()
        refs = self.index.field_refs(m.dex)
        out: set[str] = set()
        for k, pc in enumerate(code.pcs):
            u = code.units[code.start + pc]
            if u & 0xFF in (_IPUT_BOOLEAN, _SPUT_BOOLEAN) and _stored(code, states, k) == CONSENT:
                fidx = code.units[code.start + pc + 1]
                if fidx < len(refs):
                    out.add(refs[fidx][1])
        return out

    def _reads_flag(self, dex: DexFile, fields: Iterable[int]) -> bool:
        booleans = self._boolean_field_ids(dex)
        return not booleans.isdisjoint(fields) and any(self._flag_field(dex, f) for f in booleans.intersection(fields))

    def _boolean_field_ids(self, dex: DexFile) -> frozenset[int]:
        got = self._z_fields.get(id(dex))
        if got is None:
            got = self._z_fields[id(dex)] = frozenset(f for fids in self._boolean_field_table(dex).values() for f in fids)
        return got

    def _boolean_field_table(self, dex: DexFile) -> dict[str, list[int]]:
        table = self._boolean_fields.get(id(dex))
        if table is None:
            table = {}
            z = {i for i, t in enumerate(dex.types) if t == "Z"}
            strings = dex.strings
            for fidx, (_c, type_idx, name_idx) in enumerate(dex.fields):
                if type_idx in z and name_idx < len(strings):
                    table.setdefault(strings[name_idx], []).append(fidx)
            self._boolean_fields[id(dex)] = table
        return table

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
        name, cls = _string(dex, name_idx), dex.type_name(cls_idx)
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
            return self._declaring(cls, name), True
        except (_Unsupported, DexFormatError, struct.error, IndexError, ValueError):
            return None, True

    def _declaring(self, cls: str, name: str) -> tuple[str, str] | None:
        """The class declaring boolean field `name` as `cls` sees it; None if the APK does not declare it or
        gives it a static initial value other than false."""
        for c in (cls, *self.index.superclasses(cls)):
            info = self.index.classes.get(c)
            if info is None or not info.methods:
                return None
            dex = self.index.methods[next(iter(info.methods.values()))].dex
            class_data_off, static_values_off = self._class_table(dex).get(c, (0, 0))
            if not class_data_off:
                continue
            statics, instances = _class_fields(dex.data, class_data_off)
            if any(self._is_boolean_field(dex, f, name) for f in instances):
                return c, name
            for i, f in enumerate(statics):
                if self._is_boolean_field(dex, f, name):
                    return None if _static_value_set(dex.data, static_values_off, i) else (c, name)
        return None

    @staticmethod
    def _is_boolean_field(dex: DexFile, fidx: int, name: str) -> bool:
        if fidx >= len(dex.fields):
            return False
        _c, type_idx, name_idx = dex.fields[fidx]
        return _string(dex, name_idx) == name and dex.type_name(type_idx) == "Z"

    def _verdict(self, decl: tuple[str, str]) -> bool:
        if decl in self._verdicts:
            return self._verdicts[decl] is True
        if self._depth >= _MAX_DEPTH:
            return False
        self._verdicts[decl] = None  # being judged: a read of it while judging it counts as no flag
        self._depth += 1
        try:
            ok = self._only_consent_writes(*decl)
        except (_Unsupported, DexFormatError, struct.error, IndexError, ValueError, RecursionError):
            ok = False
        finally:
            self._depth -= 1
        self._verdicts[decl] = ok
        return ok

    def _only_consent_writes(self, desc: str, name: str) -> bool:
        """Every write to field `desc.name` keeps "true" meaning "the user agreed", and one can make it true."""
        can_be_true = False
        for dex in self.index.dex_files:
            if dex.classes and not self._class_table(dex):
                return False  # code we cannot search for writes (not Dalvik)
            writes: dict[int, list[int]] = {}  # writer method id -> unit offsets of its puts
            for fidx in self._field_ids(dex, desc, name):
                for mid, rel in self._sites(dex, fidx, (_IPUT_BOOLEAN, _SPUT_BOOLEAN)):
                    writes.setdefault(mid, []).append(rel)
            for mid, rels in writes.items():
                w = self.index.methods[mid]
                code = self._decode(w)
                real = [code.at[rel] for rel in rels if rel in code.at]  # others: bytes inside an instruction
                if not real:
                    continue
                states = self._flow(w, code, summaries=True)
                for k in real:
                    if states[k] is None:
                        continue  # no path reaches it
                    value = _stored(code, states, k)
                    if isinstance(value, tuple) and value[0] == "param":
                        true = self._passed(w, value[1])  # a setter: what do its callers pass?
                    else:
                        true = self._may_be_true(value, w, code, states, k)
                    if true is None:
                        return False
                    can_be_true = can_be_true or true
        return can_be_true

    def _may_be_true(self, value: Any, m: MethodInfo, code: _Code, states: list[dict[int, Any] | None],
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
                    for mid, rel in self._sites(dex, idx, _INVOKES):
                        calls.setdefault(mid, []).append(rel)
            for mid, rels in calls.items():
                caller = self.index.methods[mid]
                code = self._decode(caller)
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
                    args = _arguments(u & 0xFF, u, code.units, pc, setter.proto, st)
                    true = self._may_be_true(args[j][1] if j < len(args) else None, caller, code, states, k)
                    if true is None:
                        return None
                    can_be_true = can_be_true or true
                    called = True
        return can_be_true if called else None  # never called in bytecode: by reflection, JNI, a binder…

    def _agree_action(self, m: MethodInfo, code: _Code, states: list[dict[int, Any] | None], k: int) -> bool:
        """Whether position `k` of `m` runs only once the user agreed: in a click callback, behind a consent
        check, or in the method that stores true under a consent key."""
        return self._callback(m) or k in self._guarded(code, states) or self._stores_consent(m, code, states)

    def _callback(self, m: MethodInfo) -> bool:
        """Whether `m` is a framework's tap callback: named like one, and an instance method of a class with a
        framework supertype it can override (a listener interface, an Activity). A static `onClick()` of a
        plain helper class is just a method that startup code may call."""
        if m.name not in self.lexicon.agree_callbacks or m.access & ACC_STATIC:
            return False
        return any(sup not in self.index.classes and sup != "Ljava/lang/Object;" for sup in self.index.ancestors(m.cls))

    def _field_ids(self, dex: DexFile, desc: str, name: str) -> list[int]:
        """`dex`'s references to boolean field `name` that resolve to `desc` (or may: subclasses count)."""
        out = []
        for fidx in self._boolean_field_table(dex).get(name, ()):
            cls = dex.type_name(dex.fields[fidx][0])
            if cls == desc or desc in self.index.superclasses(cls):
                out.append(fidx)
        return out

    def _sites(self, dex: DexFile, idx: int, ops: Iterable[int]) -> list[tuple[int, int]]:
        """(method id, unit offset in its code) of every possible instruction with an opcode in `ops` and
        `idx` as its field or method index (`iput/sput-boolean`, `invoke-*`).

        A byte search: an instruction starts at an even offset with the opcode, the index two bytes later.
        Hits inside an instruction are sorted out by the caller on the decoded method; a hit in code no
        indexed method owns cannot be judged.
        """
        data = dex.data
        if idx > 0xFFFF:
            return []  # no instruction can name it
        lit = struct.pack("<H", idx)
        ops = frozenset(ops)
        starts, rows = self._code_table(dex)
        out: list[tuple[int, int]] = []
        p = data.find(lit, 2)
        while p >= 0:
            if not p & 1 and data[p - 2] in ops:
                at = p - 2
                i = bisect_right(starts, at) - 1
                begin = rows[i][0] if i >= 0 else 0
                while i >= 0 and rows[i][0] == begin:  # methods sharing one code item
                    _b, end, mid = rows[i]
                    if at < end:
                        if mid < 0:
                            raise _Unsupported
                        out.append((mid, (at - begin) // 2))
                    i -= 1
            p = data.find(lit, p + 1)
        return out

    def _code_table(self, dex: DexFile) -> tuple[list[int], list[tuple[int, int, int]]]:
        """Every code item of `dex` as (first byte, end byte, method id or -1), sorted; starts alone too."""
        got = self._code_tables.get(id(dex))
        if got is None:
            data = dex.data
            refs = self.index.method_refs(dex)
            methods = self.index.methods
            rows: list[tuple[int, int, int]] = []
            for desc in self._class_table(dex):
                info = self.index.classes.get(desc)
                for midx, code_off in self._methods_of(dex, desc):
                    if not code_off or code_off + 16 > len(data):
                        continue
                    insns, = struct.unpack_from("<I", data, code_off + 12)
                    mid = -1
                    if info is not None and midx < len(refs):
                        found = info.methods.get(refs[midx][1:])
                        if found is not None and methods[found].dex is dex and methods[found].code.method_idx == midx:
                            mid = found
                    rows.append((code_off + 16, code_off + 16 + 2 * insns, mid))
            rows.sort()
            got = self._code_tables[id(dex)] = ([r[0] for r in rows], rows)
        return got

    # --- decoding -----------------------------------------------------------------------------------
    def _class_table(self, dex: DexFile) -> dict[str, tuple[int, int]]:
        table = self._class_defs.get(id(dex))
        if table is None:
            table = {}
            data = dex.data
            count, off = struct.unpack_from("<II", data, 0x60)
            for i in range(count):
                if off + 32 * (i + 1) > len(data):
                    break
                cls_idx, _a, _s, _i, _src, _ann, class_data_off, static_values_off = struct.unpack_from(
                    "<8I", data, off + 32 * i)
                table.setdefault(dex.type_name(cls_idx), (class_data_off, static_values_off))
            self._class_defs[id(dex)] = table
        return table

    def _methods_of(self, dex: DexFile, desc: str) -> list[tuple[int, int]]:
        offs = self._code_offs.get((id(dex), desc))
        if offs is None:
            offs = self._code_offs[(id(dex), desc)] = _class_methods(dex.data, self._class_table(dex).get(desc, (0, 0))[0])
        return offs

    def _code_off(self, m: MethodInfo) -> int:
        for midx, code_off in self._methods_of(m.dex, m.cls):
            if midx == m.code.method_idx:
                return code_off
        raise _Unsupported

    def _decode(self, m: MethodInfo) -> _Code:
        data = m.dex.data
        code_off = self._code_off(m)
        if not code_off or code_off & 1 or code_off + 16 > len(data):
            raise _Unsupported
        registers, ins, _outs, tries_size = struct.unpack_from("<4H", data, code_off)
        insns_size, = struct.unpack_from("<I", data, code_off + 12)
        if insns_size > _MAX_UNITS or code_off + 16 + 2 * insns_size > len(data):
            raise _Unsupported
        units = array("H")
        units.frombytes(data[code_off + 16: code_off + 16 + 2 * insns_size])
        code = _linear(units, 0, insns_size)
        reg = registers - ins + (0 if m.access & ACC_STATIC else 1)  # arguments sit in the last registers
        for j, ptype in enumerate(param_types(m.proto)):
            code.params[reg] = j
            reg += 2 if ptype in ("J", "D") else 1
        # the index's sweep and this decoding must see the same references, in the same order
        if ([r for _p, r in code.invokes] != list(m.code.invokes) or [r for _p, r in code.strings] != list(m.code.strings)
                or [r for _p, r in code.types] != list(m.code.types) or [r for _p, r in code.fields] != list(m.code.fields)):
            raise _Unsupported
        _branches(code)
        if tries_size:
            _handlers(code, data, code_off + 16 + 2 * insns_size + (2 if insns_size & 1 else 0), tries_size)
        return code

    # --- data flow ----------------------------------------------------------------------------------
    def _flow(self, m: MethodInfo, code: _Code, *, summaries: bool) -> list[dict[int, Any] | None]:
        """In-state (register -> tracked value) of each reachable instruction; None when unreachable."""
        n = len(code.pcs)
        states: list[dict[int, Any] | None] = [None] * n
        if not n:
            return states
        dex = m.dex
        refs = self.index.method_refs(dex)
        invoke_at = dict(code.invokes)
        states[0] = {reg: ("param", j) for reg, j in code.params.items()}
        work = [0]
        budget = _MAX_VISITS * n
        units, start = code.units, code.start
        while work:
            budget -= 1
            if budget < 0:
                raise _Unsupported
            k = work.pop()
            st = states[k]
            assert st is not None
            pc = start + code.pcs[k]
            out = self._transfer(dex, refs, units, pc, st, invoke_at.get(k), summaries)
            for s in code.succ[k]:
                if _merge(states, s, out):
                    work.append(s)
            if code.exc[k]:
                both = _join(st, out)
                for s in code.exc[k]:
                    if _merge(states, s, both):
                        work.append(s)
        return states

    def _transfer(self, dex: DexFile, refs: list[tuple[str, str, str]], units: array, pc: int,
                  st: dict[int, Any], ref: int | None, summaries: bool) -> dict[int, Any]:
        u = units[pc]
        op = u & 0xFF
        out = dict(st)
        out.pop(_RESULT, None)
        if op in _INVOKES:
            if ref is not None:
                value = self._call_value(dex, refs, ref, op, u, units, pc, st, summaries)
                if value is not None:
                    out[_RESULT] = value
            return out
        if op == 0x0A:  # move-result
            value = st.get(_RESULT)
            if value is not None:
                out[u >> 8] = value
            else:
                out.pop(u >> 8, None)
            return out
        if op in _CONSTS:
            if op == 0x12:
                dst, lit = (u >> 8) & 0xF, (u >> 12) - 16 if u & 0x8000 else u >> 12
            elif op == 0x13:
                dst, lit = u >> 8, _s16(units[pc + 1])
            elif op == 0x14:
                dst, lit = u >> 8, _s32(units[pc + 1], units[pc + 2])
            else:  # const/high16
                dst, lit = u >> 8, _s32(0, units[pc + 1])
            out[dst] = ("int", lit)
            return out
        if op in (_SGET_BOOLEAN, _IGET_BOOLEAN):
            dst = u >> 8 if op == _SGET_BOOLEAN else (u >> 8) & 0xF
            _set(out, dst, CONSENT if self._flag_field(dex, units[pc + 1]) else None)
            return out
        if op == 0x1A:
            _set(out, u >> 8, ("key", _string(dex, units[pc + 1])))
            return out
        if op == 0x1B:
            _set(out, u >> 8, ("key", _string(dex, units[pc + 1] | (units[pc + 2] << 16))))
            return out
        if op == _SGET_OBJECT:
            fidx = units[pc + 1]
            value = None
            if fidx < len(dex.fields):
                _c, type_idx, name_idx = dex.fields[fidx]
                if dex.type_name(type_idx) == _STRING:
                    value = ("key", _string(dex, name_idx))
            _set(out, u >> 8, value)
            return out
        if op in _MOVES:
            if op == 0x01 or op == 0x07:
                dst, src = (u >> 8) & 0xF, u >> 12
            elif op == 0x02 or op == 0x08:
                dst, src = u >> 8, units[pc + 1]
            else:
                dst, src = units[pc + 1], units[pc + 2]
            _set(out, dst, st.get(src))
            return out
        if op == _XOR_LIT8:
            dst, src, lit = u >> 8, units[pc + 1] & 0xFF, units[pc + 1] >> 8
            value = st.get(src)
            _set(out, dst, -value if lit == 1 and value in (CONSENT, NOT_CONSENT) else None)
            return out
        if op in _DEST_A4:
            dst = (u >> 8) & 0xF
        elif op in _DEST_A8:
            dst = u >> 8
        elif op in _DEST_A16:
            dst = units[pc + 1]
        else:
            return out
        out.pop(dst, None)
        if op in _WIDE_DEST:
            out.pop(dst + 1, None)
        return out

    def _call_value(self, dex: DexFile, refs: list[tuple[str, str, str]], ref: int, op: int, u: int,
                    units: array, pc: int, st: dict[int, Any], summaries: bool) -> int | None:
        kind = self._check_kind(dex, ref) if summaries else self._tables(dex)[0].get(ref)
        if kind == "predicate":
            return CONSENT
        if kind == "summary":
            return self._summaries.get((id(dex), ref))
        if kind != "getter":
            return None
        _cls, _name, proto = refs[ref]
        args = _arguments(op, u, units, pc, proto, st)
        # getBoolean("privacy_agreed", true) reads true on the first launch, before anyone agreed: the default
        # (any boolean argument) must be a known false
        if any(ptype == "Z" and v != FALSE for ptype, v in args):
            return None
        if any(isinstance(v, tuple) and v[0] == "key" and self._is_key(v[1]) for ptype, v in args if ptype == _STRING):
            return CONSENT
        return None

    def _stores_consent(self, m: MethodInfo, code: _Code, states: list[dict[int, Any] | None]) -> bool:
        """Whether `m` stores true under a consent key (`putBoolean("privacy_agreed", true)`): the "agree" action."""
        refs = self.index.method_refs(m.dex)
        setters = self.lexicon.setters
        for k, ref in code.invokes:
            st = states[k]
            if st is None or ref >= len(refs) or refs[ref][1] not in setters:
                continue
            pc = code.start + code.pcs[k]
            u = code.units[pc]
            args = _arguments(u & 0xFF, u, code.units, pc, refs[ref][2], st)
            if (any(t == _STRING and isinstance(v, tuple) and v[0] == "key" and self._is_key(v[1]) for t, v in args)
                    and any(t == "Z" and v == TRUE for t, v in args)):
                return True
        return False

    @staticmethod
    def _guarded(code: _Code, states: list[dict[int, Any] | None]) -> set[int]:
        """Positions every path to which passes an "agreed" edge of a consent test."""
        agreed: dict[int, int] = {}  # if-instruction position -> its "agreed" successor position
        units, start = code.units, code.start
        for k, pc in enumerate(code.pcs):
            st = states[k]
            u = units[start + pc]
            op = u & 0xFF
            if st is None:
                continue
            if op in (0x38, 0x39):
                value = st.get(u >> 8)
                if value not in (CONSENT, NOT_CONSENT):
                    continue
                # if-eqz jumps when the register is 0: when consent is false (or, negated, when it is true)
                jumps_when_agreed = (op == 0x39) == (value == CONSENT)
            elif op in (_IF_EQ, _IF_NE):
                value, other = st.get((u >> 8) & 0xF), st.get(u >> 12)
                if value in (TRUE, FALSE):
                    value, other = other, value
                if value not in (CONSENT, NOT_CONSENT) or other not in (TRUE, FALSE):
                    continue
                # the registers are equal when consent was given iff the flag (or its negation) meets 1 (or 0)
                equal_when_agreed = (other == TRUE) == (value == CONSENT)
                jumps_when_agreed = (op == _IF_EQ) == equal_when_agreed
            else:
                continue
            fall, taken = code.succ[k]
            if fall == taken:
                continue  # both outcomes continue at the same place: nothing depends on the flag
            agreed[k] = taken if jumps_when_agreed else fall
        if not agreed:
            return set()
        full = _reach(code, {})
        unguarded = _reach(code, agreed)
        return full - unguarded



# --- helpers -------------------------------------------------------------------------------------------
def _string(dex: DexFile, idx: int) -> str:
    return dex.strings[idx] if idx < len(dex.strings) else ""


def _stored(code: _Code, states: list[dict[int, Any] | None], k: int) -> Any:
    """The value an `iput-boolean`/`sput-boolean` at position `k` stores."""
    st = states[k]
    if st is None:
        return None
    u = code.units[code.start + code.pcs[k]]
    return st.get(u >> 8 if u & 0xFF == _SPUT_BOOLEAN else (u >> 8) & 0xF)


def _arguments(op: int, u: int, units: array, pc: int, proto: str, st: Mapping[int, Any]) -> list[tuple[str, Any]]:
    """(parameter type, tracked value) of each declared parameter of the invoke at `pc`."""
    if op in _INVOKE_RANGE:
        args = list(range(units[pc + 2], units[pc + 2] + (u >> 8)))
    else:
        w = units[pc + 2]
        args = [w & 0xF, (w >> 4) & 0xF, (w >> 8) & 0xF, w >> 12, (u >> 8) & 0xF][: u >> 12]
    slot = 0 if op in _INVOKE_STATIC else 1
    out: list[tuple[str, Any]] = []
    for ptype in param_types(proto):
        out.append((ptype, st.get(args[slot]) if slot < len(args) else None))
        slot += 2 if ptype in ("J", "D") else 1
    return out


def _set(state: dict[int, Any], reg: int, value: Any) -> None:
    if value is None:
        state.pop(reg, None)
    else:
        state[reg] = value


def _join(a: dict[int, Any], b: dict[int, Any]) -> dict[int, Any]:
    return {r: v for r, v in a.items() if b.get(r) == v}


def _merge(states: list[dict[int, Any] | None], k: int, incoming: dict[int, Any]) -> bool:
    old = states[k]
    if old is None:
        states[k] = dict(incoming)
        return True
    new = _join(old, incoming)
    if len(new) != len(old):
        states[k] = new
        return True
    return False


def _reach(code: _Code, cut: Mapping[int, int]) -> set[int]:
    """Positions reachable from the entry, not following the edge k -> cut[k]."""
    seen = {0}
    stack = [0]
    while stack:
        k = stack.pop()
        skip = cut.get(k)
        for s in code.succ[k]:
            if s != skip and s not in seen:
                seen.add(s)
                stack.append(s)
        for s in code.exc[k]:
            if s not in seen:
                seen.add(s)
                stack.append(s)
    return seen


def _sleb(data: bytes, pos: int) -> tuple[int, int]:
    value, end = uleb128(data, pos)
    bits = 7 * (end - pos)
    if value & (1 << (bits - 1)):
        value -= 1 << bits
    return value, end


def _class_fields(data: bytes, pos: int) -> tuple[list[int], list[int]]:
    """(static, instance) field_ids indices a class_data_item declares, in declaration order."""
    sizes = []
    for _ in range(4):
        n, pos = uleb128(data, pos)
        sizes.append(n)
    out: tuple[list[int], list[int]] = ([], [])
    for kind in (0, 1):
        fidx = 0
        for _ in range(sizes[kind]):
            diff, pos = uleb128(data, pos)
            _access, pos = uleb128(data, pos)
            fidx += diff
            out[kind].append(fidx)
    return out


def _static_value_set(data: bytes, pos: int, i: int) -> bool:
    """Whether the `i`-th static field of a class has an initial value other than false (static_values)."""
    if not pos:
        return False
    size, pos = uleb128(data, pos)
    if i >= size:
        return False
    for _ in range(i):
        pos = _skip_value(data, pos, 0)
    header = data[pos]
    return header != 0x1F  # VALUE_BOOLEAN with value_arg 0


def _skip_value(data: bytes, pos: int, depth: int) -> int:
    """Past one encoded_value."""
    if depth > 16:
        raise _Unsupported
    header = data[pos]
    pos += 1
    kind, arg = header & 0x1F, header >> 5
    if kind in (0x1E, 0x1F):  # null, boolean: no bytes
        return pos
    if kind == 0x1C:  # array
        size, pos = uleb128(data, pos)
        for _ in range(size):
            pos = _skip_value(data, pos, depth + 1)
        return pos
    if kind == 0x1D:  # annotation
        _type, pos = uleb128(data, pos)
        size, pos = uleb128(data, pos)
        for _ in range(size):
            _name, pos = uleb128(data, pos)
            pos = _skip_value(data, pos, depth + 1)
        return pos
    return pos + arg + 1


def _class_methods(data: bytes, pos: int) -> list[tuple[int, int]]:
    """(method_idx, code_off) of a class_data_item's direct then virtual methods."""
    if not pos:
        return []
    try:
        return [(midx, code_off) for midx, _access, code_off in class_data_methods(data, pos)]
    except (IndexError, DexFormatError):
        return []


def _s16(v: int) -> int:
    return v - 0x10000 if v & 0x8000 else v


def _s32(lo: int, hi: int) -> int:
    v = lo | (hi << 16)
    return v - (1 << 32) if v & 0x80000000 else v


def _linear(units: array, start: int, end: int) -> _Code:
    """Instruction boundaries and references, walking the code the way the index's sweep does."""
    length, kind = opcodes.LENGTH, opcodes.KIND
    pcs: list[int] = []
    invokes: list[tuple[int, int]] = []
    strings: list[tuple[int, int]] = []
    types: list[tuple[int, int]] = []
    fields: list[tuple[int, int]] = []
    i = start
    while i < end:
        u = units[i]
        op = u & 0xFF
        if op == 0 and u in (0x0100, 0x0200, 0x0300):  # data payloads: not instructions
            if u == 0x0100:
                i += 4 + units[i + 1] * 2
            elif u == 0x0200:
                i += 2 + units[i + 1] * 4
            else:
                i += 4 + ((units[i + 2] | (units[i + 3] << 16)) * units[i + 1] + 1) // 2
            continue
        if op in _UNUSED:
            raise _Unsupported
        n = len(pcs)
        k = kind[op]
        if i + length[op] > end:
            raise _Unsupported
        if k == opcodes.METHOD:
            invokes.append((n, units[i + 1]))
        elif k == opcodes.STRING:
            strings.append((n, units[i + 1]))
        elif k == opcodes.STRING_JUMBO:
            strings.append((n, units[i + 1] | (units[i + 2] << 16)))
        elif k == opcodes.FIELD:
            fields.append((n, units[i + 1]))
        elif k == opcodes.TYPE:
            types.append((n, units[i + 1]))
        pcs.append(i - start)
        i += length[op]
    if i != end:
        raise _Unsupported
    return _Code(units, start, pcs, {pc: k for k, pc in enumerate(pcs)}, [], [[] for _ in pcs],
                 invokes, strings, types, fields)


def _branches(code: _Code) -> None:
    """Normal successors of every instruction; the fall-through successor comes first."""
    units, start, at = code.units, code.start, code.at
    end = len(code.pcs)

    def target(k: int, offset: int) -> int:
        got = at.get(code.pcs[k] + offset)
        if got is None:
            raise _Unsupported
        return got

    for k, pc in enumerate(code.pcs):
        i = start + pc
        u = units[i]
        op = u & 0xFF
        fall = [k + 1] if k + 1 < end else []
        if op in _RETURNS or op == _THROW or (op == 0 and not fall):  # a last nop pads before payloads
            code.succ.append([])
        elif op == 0x28:
            off = u >> 8
            code.succ.append([target(k, off - 0x100 if off & 0x80 else off)])
        elif op == 0x29:
            code.succ.append([target(k, _s16(units[i + 1]))])
        elif op == 0x2A:
            code.succ.append([target(k, _s32(units[i + 1], units[i + 2]))])
        elif op in _IF_Z or op in _IF_2:
            if not fall:
                raise _Unsupported
            code.succ.append([fall[0], target(k, _s16(units[i + 1]))])
        elif op in _SWITCHES:
            code.succ.append(fall + [target(k, off) for off in _switch_offsets(units, i, start + len(units))])
        else:
            if not fall:
                raise _Unsupported  # execution would run off the end
            code.succ.append(fall)


def _switch_offsets(units: array, i: int, limit: int) -> Iterable[int]:
    p = i + _s32(units[i + 1], units[i + 2])
    if p < 0 or p + 2 > limit:
        raise _Unsupported
    ident, size = units[p], units[p + 1]
    if ident == 0x0100:
        base = p + 4
    elif ident == 0x0200:
        base = p + 2 + 2 * size
    else:
        raise _Unsupported
    if base + 2 * size > limit:
        raise _Unsupported
    return [_s32(units[base + 2 * j], units[base + 2 * j + 1]) for j in range(size)]


def _handlers(code: _Code, data: bytes, tries_off: int, tries_size: int) -> None:
    """Exception edges: every instruction inside a try range may go to each of its handlers."""
    list_off = tries_off + 8 * tries_size
    if list_off > len(data):
        raise _Unsupported
    at = code.at
    try:
        for t in range(tries_size):
            start_addr, count, handler_off = struct.unpack_from("<IHH", data, tries_off + 8 * t)
            pos = list_off + handler_off
            size, pos = _sleb(data, pos)
            addrs: list[int] = []
            for _ in range(abs(size)):
                _type, pos = uleb128(data, pos)
                addr, pos = uleb128(data, pos)
                addrs.append(addr)
            if size <= 0:
                addr, pos = uleb128(data, pos)
                addrs.append(addr)
            handlers = []
            for addr in addrs:
                h = at.get(addr)
                if h is None:
                    raise _Unsupported
                handlers.append(h)
            for k in range(bisect_left(code.pcs, start_addr), bisect_left(code.pcs, start_addr + count)):
                exc = code.exc[k]
                for h in handlers:
                    if h not in exc:
                        exc.append(h)
    except (struct.error, IndexError) as exc:
        raise _Unsupported from exc
