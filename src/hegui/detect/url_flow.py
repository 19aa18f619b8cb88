"""Whether the code that loads a plain-HTTP URL constant requests it (knowledge/static_signals.yaml `cleartext`).

A URL in the code is only a transmission when something requests it. Each URL a method loads (`const-string`)
is followed through the method's registers, in a may-analysis (a register holds every URL some path brings
to it): into values built from it (`propagating_classes`: concatenation, `Uri.parse`, `new URL(url)`), into
builders that take it in (`accumulating_classes`: `sb.append(url)`), into the readers of a field it is stored
in, and into the parameters of a defined method it is passed to by a static or direct call. A use reaching one
of `request_apis` is a request; a use in `not_requesting_apis` (a link handed to a share target, a log line,
a label) requests nothing, nor does a value nothing uses. Every other use (a value returned, passed to code
not followed, a field nobody is seen to read, code that cannot be decoded) cannot be settled and keeps the
URL: a URL is dropped only when every use of it was followed to its end.
"""

from __future__ import annotations

import struct
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hegui.detect.apis import class_descriptor
from hegui.dex import MethodInfo, opcodes
from hegui.dex.guards.bytecode import Code, CodeReader, Unsupported
from hegui.dex.guards.flow import (
    INVOKES,
    forward,
    invoke_registers,
    listed_registers,
    move_operands,
    parameter_registers,
    string_index,
    written_registers,
)
from hegui.dex.index import DexIndex
from hegui.dex.parser import DexFile, DexFormatError
from hegui.names import descriptor_to_java

# what decoding or walking malformed code raises: the uses are then not known
_UNREADABLE = (Unsupported, DexFormatError, struct.error, IndexError, KeyError, ValueError, RecursionError)
_MAX_DEPTH = 3  # fields and calls followed from the method that loads the URL
_MAX_WALKS = 4000  # methods walked per scan; past it every URL not yet settled is kept
_MAX_VISITS = 32  # worklist visits per instruction before a method is given up (kept)
_RESULT = -1  # pseudo register: what the last invoke (or filled-new-array) left for move-result

_CONST_STRING, _CONST_STRING_JUMBO = 0x1A, 0x1B
_MOVES = frozenset((0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09))
_MOVE_RESULTS = frozenset((0x0A, 0x0B, 0x0C))
_RETURN_OBJECT = 0x11
_FILLED_NEW_ARRAY = frozenset((0x24, 0x25))
_AGET_OBJECT, _APUT_OBJECT = 0x46, 0x4D
_IGET_OBJECT, _IPUT_OBJECT, _SGET_OBJECT, _SPUT_OBJECT = 0x54, 0x5B, 0x62, 0x69
_OTHER_INVOKES = frozenset((0xFA, 0xFB, 0xFC, 0xFD))  # polymorphic, custom: not modelled
_RANGE_OTHER = frozenset((0xFB, 0xFD))

Label = Hashable  # what a register carries: a URL string (the loading method) or a parameter index / "field"
_FIELD = "field"
_UNDER_WAY = object()


@dataclass(slots=True)
class Use:
    """What one URL (or followed value) reaches."""

    requests: set[str] = field(default_factory=set)  # the request APIs (``Class#member``)
    unsure: bool = False  # a use that could not be followed

    @property
    def supports(self) -> bool:
        return bool(self.requests) or self.unsure

    def add(self, other: Use) -> None:
        self.requests |= other.requests
        self.unsure = self.unsure or other.unsure


@dataclass(frozen=True, slots=True)
class UrlApis:
    request: frozenset[tuple[str, str]]  # (class descriptor, member)
    not_requesting: frozenset[tuple[str, str]]
    propagating: frozenset[str]  # class descriptors
    accumulating: frozenset[str]

    @classmethod
    def from_knowledge(cls, cfg: dict[str, Any]) -> UrlApis:
        def members(apis: Iterable[str]) -> frozenset[tuple[str, str]]:
            return frozenset((class_descriptor(a.partition("#")[0]), a.partition("#")[2]) for a in apis)

        return cls(members(cfg["request_apis"]), members(cfg["not_requesting_apis"]),
                   frozenset(map(class_descriptor, cfg["propagating_classes"])),
                   frozenset(map(class_descriptor, cfg["accumulating_classes"])))


_Seed = tuple[str, Any]  # ("urls", frozenset[str]) | ("params", frozenset[int]) | ("field", (cls, name))


class UrlFlow:
    """The uses of the URL constants of one scan's methods."""

    def __init__(self, index: DexIndex, apis: UrlApis) -> None:
        self.index = index
        self.apis = apis
        self.reader = CodeReader()
        self._memo: dict[tuple[int, _Seed], Any] = {}  # walk -> its uses, None (not followable) or _UNDER_WAY
        self._field_ids: dict[int, dict[tuple[str, str], int]] = {}  # id(dex) -> field key -> field_ids index
        self._walks = 0

    def uses(self, m: MethodInfo, urls: Iterable[str]) -> dict[str, Use]:
        """The use of each URL in `urls` that `m` loads; a URL not in the result is never used."""
        wanted = frozenset(urls)
        found = self._walk(m, ("urls", wanted), 0)
        if found is None:  # the method could not be followed: nothing is settled
            return {u: Use(unsure=True) for u in wanted}
        return {u: use for u, use in found.items() if isinstance(u, str)}

    # --- one method ----------------------------------------------------------------------------------------
    def _walk(self, m: MethodInfo, seed: _Seed, depth: int) -> dict[Label, Use] | None:
        """label -> use in `m` from `seed`; None when `m` cannot be followed (every seeded value unsure)."""
        key = (m.id, seed)
        if key in self._memo:
            got = self._memo[key]
            return None if got is _UNDER_WAY else got  # a walk still under way (recursion) is not settled
        self._walks += 1
        if self._walks > _MAX_WALKS:
            return None
        self._memo[key] = _UNDER_WAY
        try:
            got = self._follow(m, seed, depth)
        except _UNREADABLE:
            got = None
        self._memo[key] = got
        return got

    def _follow(self, m: MethodInfo, seed: _Seed, depth: int) -> dict[Label, Use]:
        code = self.reader.decode(m)
        n = len(code.pcs)
        uses: dict[Label, Use] = {}
        if not n:
            return uses
        kind, what = seed
        entry: dict[int, frozenset[Label]] = {}
        if kind == "params":
            entry = {reg: frozenset((j,)) for reg, j in code.params.items() if j in what}
        invoke_at = dict(code.invokes)

        def transfer(k: int, st: dict[int, frozenset[Label]]) -> dict[int, frozenset[Label]]:
            return self._transfer(m, code, k, st, invoke_at.get(k), seed, depth, uses)

        forward(code, entry, transfer, _merge, _union, _MAX_VISITS)
        return uses

    def _transfer(self, m: MethodInfo, code: Code, k: int, st: dict[int, frozenset[Label]], ref: int | None,
                  seed: _Seed, depth: int, uses: dict[Label, Use]) -> dict[int, frozenset[Label]]:
        units = code.units
        pc = code.start + code.pcs[k]
        u = units[pc]
        op = u & 0xFF
        out = dict(st)
        result = out.pop(_RESULT, None)
        kind, what = seed

        def unsure(labels: Iterable[Label]) -> None:
            for label in labels:
                uses.setdefault(label, Use()).unsure = True

        if op in INVOKES:
            regs = invoke_registers(op, u, units, pc)
            carried = frozenset().union(*(st.get(r, frozenset()) for r in regs))
            if carried and ref is not None:
                self._invoke(m.dex, ref, op, regs, st, out, carried, depth, uses)
            elif carried:
                unsure(carried)
            return out
        if op in _OTHER_INVOKES:
            regs = listed_registers(u, units, pc, ranged=op in _RANGE_OTHER)
            unsure(frozenset().union(*(st.get(r, frozenset()) for r in regs)))
            return out
        if op in _FILLED_NEW_ARRAY:
            regs = listed_registers(u, units, pc, ranged=op == 0x25)
            carried = frozenset().union(*(st.get(r, frozenset()) for r in regs))
            if carried:
                out[_RESULT] = carried
            return out
        if op in _MOVE_RESULTS:
            for w in written_registers(op, u, units, pc):  # both halves of a move-result-wide
                out.pop(w, None)
            _put(out, u >> 8, result)
            return out
        if op in _MOVES:
            dst, src = move_operands(op, u, units, pc)
            for w in written_registers(op, u, units, pc):
                out.pop(w, None)
            _put(out, dst, st.get(src))
            return out
        if op in (_CONST_STRING, _CONST_STRING_JUMBO):
            idx = string_index(op, units, pc)
            s = m.dex.strings[idx] if idx < len(m.dex.strings) else None
            _put(out, u >> 8, frozenset((s,)) if kind == "urls" and s in what else None)
            return out
        if op in (_SGET_OBJECT, _IGET_OBJECT):
            dst = u >> 8 if op == _SGET_OBJECT else (u >> 8) & 0xF
            refs = self.index.field_refs(m.dex)
            fidx = units[pc + 1]
            hit = kind == "field" and fidx < len(refs) and refs[fidx] == what
            _put(out, dst, frozenset((_FIELD,)) if hit else None)
            return out
        if op in (_SPUT_OBJECT, _IPUT_OBJECT):
            carried = st.get(u >> 8 if op == _SPUT_OBJECT else (u >> 8) & 0xF)
            if carried:
                refs = self.index.field_refs(m.dex)
                fidx = units[pc + 1]
                use = self._field_use(refs[fidx], depth) if fidx < len(refs) else None
                for label in carried:
                    if use is None:
                        uses.setdefault(label, Use()).unsure = True
                    else:
                        uses.setdefault(label, Use()).add(use)
            return out
        if op == _APUT_OBJECT:  # the array now holds the value: follow the array
            carried = st.get(u >> 8)
            array_reg = units[pc + 1] & 0xFF
            if carried:
                out[array_reg] = st.get(array_reg, frozenset()) | carried
            return out
        if op == _AGET_OBJECT:
            _put(out, u >> 8, st.get(units[pc + 1] & 0xFF))
            return out
        if op == _RETURN_OBJECT:  # the caller's use is not followed
            unsure(st.get(u >> 8, ()))
            return out
        for w in written_registers(op, u, units, pc):
            out.pop(w, None)
        return out

    def _invoke(self, dex: DexFile, ref: int, op: int, regs: list[int], st: dict[int, frozenset[Label]],
                out: dict[int, Any], carried: frozenset[Label], depth: int, uses: dict[Label, Use]) -> None:
        cls, name, proto = self.index.method_refs(dex)[ref]
        apis = self.apis
        if (cls, name) in apis.request:
            api = f"{descriptor_to_java(cls)}#{name}"
            for label in carried:
                uses.setdefault(label, Use()).requests.add(api)
            return
        if (cls, name) in apis.not_requesting:
            return
        if cls in apis.propagating:
            if proto.rpartition(")")[2][:1] in ("L", "["):  # a primitive result carries no URL
                out[_RESULT] = carried
            if regs and (name == "<init>" or cls in apis.accumulating) and op not in opcodes.INVOKE_STATIC:
                out[regs[0]] = st.get(regs[0], frozenset()) | carried
            return
        callee = self.index.resolve(cls, name, proto) if (op in opcodes.INVOKE_STATIC or op in opcodes.INVOKE_DIRECT) else None
        if callee is None or depth >= _MAX_DEPTH:
            for label in carried:
                uses.setdefault(label, Use()).unsure = True
            return
        # the declared parameters each argument register fills
        receiver = st.get(regs[0], frozenset()) if op not in opcodes.INVOKE_STATIC else frozenset()
        by_param = {j: st[reg] for j, (_ptype, reg) in enumerate(parameter_registers(op, regs, proto))
                    if reg is not None and st.get(reg)}
        for label in receiver:  # `this` of the callee is not followed
            uses.setdefault(label, Use()).unsure = True
        if not by_param:
            return
        found = self._walk(callee, ("params", frozenset(by_param)), depth + 1)
        for j, labels in by_param.items():
            use = found.get(j) if found is not None else Use(unsure=True)
            if use is None:
                continue  # the callee never uses that parameter
            for label in labels:
                uses.setdefault(label, Use()).add(use)

    # --- fields --------------------------------------------------------------------------------------------
    def _field_use(self, key: tuple[str, str], depth: int) -> Use | None:
        """What the readers of field `key` do with the value they read; None when it cannot be settled (no
        reader is seen: the field may be read by reflection, or through a subclass's name)."""
        if depth >= _MAX_DEPTH:
            return None
        wanted: dict[int, set[int]] = {}
        for dex in self.index.dex_files:
            ids = self._field_ids.get(id(dex))
            if ids is None:
                ids = self._field_ids[id(dex)] = {}
                for i, fkey in enumerate(self.index.field_refs(dex)):
                    ids.setdefault(fkey, i)
            if key in ids:
                wanted[id(dex)] = {ids[key]}
        readers = self.index.methods_referencing("fields", wanted) if wanted else []
        if not readers:
            return None
        total = Use()
        for reader in readers:
            found = self._walk(reader, ("field", key), depth + 1)
            if found is None:
                return None
            use = found.get(_FIELD)
            if use is not None:
                total.add(use)
        return total


def _put(state: dict[int, Any], reg: int, value: frozenset[Label] | None) -> None:
    if value:
        state[reg] = value
    else:
        state.pop(reg, None)


def _union(a: dict[int, frozenset[Label]], b: dict[int, frozenset[Label]]) -> dict[int, frozenset[Label]]:
    out = dict(a)
    for r, v in b.items():
        out[r] = out.get(r, frozenset()) | v
    return out


def _merge(states: list[dict[int, frozenset[Label]] | None], k: int, incoming: dict[int, frozenset[Label]]) -> bool:
    old = states[k]
    if old is None:
        states[k] = dict(incoming)
        return True
    changed = False
    for r, v in incoming.items():
        have = old.get(r)
        if have is None or not v <= have:
            old[r] = v if have is None else have | v
            changed = True
    return changed

