"""Decoding a method's Dalvik bytecode just enough for the guard analysis: instruction boundaries and
references (checked against the index), control flow (branches, switches, try/catch handlers), and the
class_data and static_values items that say which methods and fields a class declares."""

from __future__ import annotations

import struct
import threading
import weakref
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field

from hegui.dex import opcodes
from hegui.dex.index import MethodInfo
from hegui.dex.parser import ACC_STATIC, DexFile, DexFormatError, class_data_methods, uleb128

_MAX_UNITS = 1 << 16  # methods larger than this are not analysed (kept unguarded)

# Opcodes by what they do to the control flow.
_RETURNS = frozenset((0x0E, 0x0F, 0x10, 0x11))
_IF_Z = frozenset(range(0x38, 0x3E))
_IF_2 = frozenset(range(0x32, 0x38))
_GOTOS = {0x28, 0x29, 0x2A}
_SWITCHES = {0x2B, 0x2C}
_THROW = 0x27
_UNUSED = frozenset((*range(0x3E, 0x44), 0x73, 0x79, 0x7A, *range(0xE3, 0xFA)))
STRING = "Ljava/lang/String;"


class Unsupported(Exception):
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
class Code:
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


# class -> (class_data_off, static_values_off) per DEX file, shared by every reader of a scan (the consent
# guards, the API judge and the detectors each decode a few methods of the same DEX files); dropped with the DEX
_CLASS_TABLES: weakref.WeakKeyDictionary[DexFile, dict[str, tuple[int, int]]] = weakref.WeakKeyDictionary()
_CLASS_TABLES_LOCK = threading.Lock()


def _class_table(dex: DexFile) -> dict[str, tuple[int, int]]:
    table: dict[str, tuple[int, int]] = {}
    data = dex.data
    count, off = struct.unpack_from("<II", data, 0x60)
    for i in range(count):
        if off + 32 * (i + 1) > len(data):
            break
        cls_idx, _a, _s, _i, _src, _ann, class_data_off, static_values_off = struct.unpack_from(
            "<8I", data, off + 32 * i)
        table.setdefault(dex.type_name(cls_idx), (class_data_off, static_values_off))
    return table


class CodeReader:
    """Decodes methods of the DEX files it is shown, with the per-DEX class tables built on first use."""

    def __init__(self) -> None:
        self._code_offs: dict[tuple[int, str], list[tuple[int, int]]] = {}

    def class_table(self, dex: DexFile) -> dict[str, tuple[int, int]]:
        with _CLASS_TABLES_LOCK:
            table = _CLASS_TABLES.get(dex)
            if table is None:
                table = _CLASS_TABLES[dex] = _class_table(dex)
        return table

    def methods_of(self, dex: DexFile, desc: str) -> list[tuple[int, int]]:
        offs = self._code_offs.get((id(dex), desc))
        if offs is None:
            offs = self._code_offs[(id(dex), desc)] = _class_methods(dex.data, self.class_table(dex).get(desc, (0, 0))[0])
        return offs

    def _code_off(self, m: MethodInfo) -> int:
        for midx, code_off in self.methods_of(m.dex, m.cls):
            if midx == m.code.method_idx:
                return code_off
        raise Unsupported

    def decode(self, m: MethodInfo) -> Code:
        data = m.dex.data
        code_off = self._code_off(m)
        if not code_off or code_off & 1 or code_off + 16 > len(data):
            raise Unsupported
        registers, ins, _outs, tries_size = struct.unpack_from("<4H", data, code_off)
        insns_size, = struct.unpack_from("<I", data, code_off + 12)
        if insns_size > _MAX_UNITS or code_off + 16 + 2 * insns_size > len(data):
            raise Unsupported
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
            raise Unsupported
        _branches(code)
        if tries_size:
            _handlers(code, data, code_off + 16 + 2 * insns_size + (2 if insns_size & 1 else 0), tries_size)
        return code


def dex_string(dex: DexFile, idx: int) -> str:
    return dex.strings[idx] if idx < len(dex.strings) else ""


def _sleb(data: bytes, pos: int) -> tuple[int, int]:
    value, end = uleb128(data, pos)
    bits = 7 * (end - pos)
    if value & (1 << (bits - 1)):
        value -= 1 << bits
    return value, end


def class_fields(data: bytes, pos: int) -> tuple[list[int], list[int]]:
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


def static_value_set(data: bytes, pos: int, i: int) -> bool:
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
        raise Unsupported
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


def s16(v: int) -> int:
    return v - 0x10000 if v & 0x8000 else v


def s32(lo: int, hi: int) -> int:
    v = lo | (hi << 16)
    return v - (1 << 32) if v & 0x80000000 else v


def _linear(units: array, start: int, end: int) -> Code:
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
            raise Unsupported
        n = len(pcs)
        k = kind[op]
        if i + length[op] > end:
            raise Unsupported
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
        raise Unsupported
    return Code(units, start, pcs, {pc: k for k, pc in enumerate(pcs)}, [], [[] for _ in pcs],
                 invokes, strings, types, fields)


def _branches(code: Code) -> None:
    """Normal successors of every instruction; the fall-through successor comes first."""
    units, start, at = code.units, code.start, code.at
    end = len(code.pcs)

    def target(k: int, offset: int) -> int:
        got = at.get(code.pcs[k] + offset)
        if got is None:
            raise Unsupported
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
            code.succ.append([target(k, s16(units[i + 1]))])
        elif op == 0x2A:
            code.succ.append([target(k, s32(units[i + 1], units[i + 2]))])
        elif op in _IF_Z or op in _IF_2:
            if not fall:
                raise Unsupported
            code.succ.append([fall[0], target(k, s16(units[i + 1]))])
        elif op in _SWITCHES:
            code.succ.append(fall + [target(k, off) for off in _switch_offsets(units, i, start + len(units))])
        else:
            if not fall:
                raise Unsupported  # execution would run off the end
            code.succ.append(fall)


def _switch_offsets(units: array, i: int, limit: int) -> Iterable[int]:
    p = i + s32(units[i + 1], units[i + 2])
    if p < 0 or p + 2 > limit:
        raise Unsupported
    ident, size = units[p], units[p + 1]
    if ident == 0x0100:
        base = p + 4
    elif ident == 0x0200:
        base = p + 2 + 2 * size
    else:
        raise Unsupported
    if base + 2 * size > limit:
        raise Unsupported
    return [s32(units[base + 2 * j], units[base + 2 * j + 1]) for j in range(size)]


def _handlers(code: Code, data: bytes, tries_off: int, tries_size: int) -> None:
    """Exception edges: every instruction inside a try range may go to each of its handlers."""
    list_off = tries_off + 8 * tries_size
    if list_off > len(data):
        raise Unsupported
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
                    raise Unsupported
                handlers.append(h)
            for k in range(bisect_left(code.pcs, start_addr), bisect_left(code.pcs, start_addr + count)):
                exc = code.exc[k]
                for h in handlers:
                    if h not in exc:
                        exc.append(h)
    except (struct.error, IndexError) as exc:
        raise Unsupported from exc
