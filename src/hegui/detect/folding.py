"""Method names a method hands to a reflective call, as constants or as constants it concatenates.

SDKs hide the name of a sensitive getter from string searches by building it: MobTools' DeviceHelper#getIMEI
appends "ge", "tD", "ev", "ic", "eI", "d" to a StringBuilder and hands the result to its own reflection helper
(`ReflectHelper.invokeInstanceMethod(phone, name, args)`). The concatenation is folded in straight-line code
only (the values are forgotten at every branch target, so no path is mixed with another), through
`StringBuilder`/`StringBuffer` `<init>`, `append` of a string or char constant, `toString`, and `String#concat`.
A call is shaped like reflection when it takes the name in a String parameter and an object or a class
besides (a `java.lang.Object` or `java.lang.Class` parameter, or a `java.lang.Class` receiver).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from hegui.dex import MethodInfo, opcodes
from hegui.dex.guards.bytecode import STRING, CodeReader, Unsupported, param_types, s16, s32
from hegui.dex.guards.flow import (
    INVOKES,
    invoke_registers,
    move_operands,
    parameter_registers,
    set_register,
    string_index,
    written_registers,
)
from hegui.dex.index import DexIndex
from hegui.dex.parser import DexFormatError

_UNREADABLE = (Unsupported, DexFormatError, struct.error, IndexError, KeyError, ValueError)
_BUILDERS = frozenset(("Ljava/lang/StringBuilder;", "Ljava/lang/StringBuffer;"))
_OBJECT, _CLASS = "Ljava/lang/Object;", "Ljava/lang/Class;"
_APPENDABLE = frozenset((f"({STRING})", "(Ljava/lang/CharSequence;)", f"({_OBJECT})", "(C)"))
_CONST_STRING, _CONST_STRING_JUMBO, _NEW_INSTANCE = 0x1A, 0x1B, 0x22
_CONST4, _CONST16, _CONST, _MOVE_RESULT_OBJECT = 0x12, 0x13, 0x14, 0x0C
_MOVE_OBJECTS = frozenset((0x07, 0x08, 0x09))


class _Builder:
    """A StringBuilder object: its text so far, None once something not constant went in."""

    __slots__ = ("text",)

    def __init__(self, text: str | None = "") -> None:
        self.text = text


def may_name(strings: Iterable[str], names: Iterable[str]) -> bool:
    """Cheap pre-check on a method's string constants: one of `names` is among them, or one starts with a piece
    of them (a concatenation has to begin somewhere)."""
    pool = [s for s in strings if s]
    return any(name in pool or any(name.startswith(s) for s in pool) for name in names)


def reflected_names(index: DexIndex, reader: CodeReader, m: MethodInfo, names: frozenset[str]) -> set[str]:
    """The names in `names` that `m` passes to a call shaped like reflection (module docstring); empty when the
    method cannot be decoded."""
    try:
        code = reader.decode(m)
    except _UNREADABLE:
        return set()
    n = len(code.pcs)
    joins = {s for k in range(n) for s in code.succ[k] if s != k + 1} | {s for k in range(n) for s in code.exc[k]}
    refs = index.method_refs(m.dex)
    invoke_at = dict(code.invokes)
    units, start = code.units, code.start
    regs: dict[int, object] = {}  # register -> str, int (a constant) or _Builder
    pending: object = None  # what the last invoke returns
    found: set[str] = set()
    try:
        for k, rel in enumerate(code.pcs):
            if k in joins:
                regs.clear()
                pending = None
            pc = start + rel
            u = units[pc]
            op = u & 0xFF
            result, pending = pending, None
            if op in INVOKES:
                ref = invoke_at.get(k)
                if ref is None:
                    regs.clear()
                    continue
                pending = _invoke(refs[ref], op, invoke_registers(op, u, units, pc), regs, names, found)
            elif op == _MOVE_RESULT_OBJECT:
                set_register(regs, u >> 8, result)
            elif op in (_CONST_STRING, _CONST_STRING_JUMBO):
                idx = string_index(op, units, pc)
                set_register(regs, u >> 8, m.dex.strings[idx] if idx < len(m.dex.strings) else None)
            elif op == _NEW_INSTANCE:
                set_register(regs, u >> 8, _Builder() if m.dex.type_name(units[pc + 1]) in _BUILDERS else None)
            elif op in (_CONST4, _CONST16, _CONST):
                if op == _CONST4:
                    dst, lit = (u >> 8) & 0xF, (u >> 12) - 16 if u & 0x8000 else u >> 12
                else:
                    dst, lit = u >> 8, s16(units[pc + 1]) if op == _CONST16 else s32(units[pc + 1], units[pc + 2])
                set_register(regs, dst, lit)
            elif op in _MOVE_OBJECTS:
                dst, src = move_operands(op, u, units, pc)
                set_register(regs, dst, regs.get(src))
            else:
                for w in written_registers(op, u, units, pc):
                    regs.pop(w, None)
    except _UNREADABLE:
        return found
    return found


def _invoke(ref: tuple[str, str, str], op: int, args: list[int], regs: dict[int, object], names: frozenset[str],
            found: set[str]) -> object:
    """Models the call; returns what a move-result-object after it gets."""
    cls, name, proto = ref
    values = [regs.get(r) for r in args]
    params = param_types(proto)
    static = op in opcodes.INVOKE_STATIC
    declared = values if static else values[1:]
    if cls in _BUILDERS and not static and isinstance(values[0], _Builder):
        builder = values[0]
        sig = proto[:proto.index(")") + 1]
        if name == "<init>":
            builder.text = "" if sig == "()" else declared[0] if sig == f"({STRING})" and isinstance(declared[0], str) else None
            return None
        if name == "append":
            arg = declared[0] if declared else None
            if sig == "(C)" and isinstance(arg, int) and 0 <= arg < 0x110000:
                arg = chr(arg)
            builder.text = (builder.text + arg if sig in _APPENDABLE and isinstance(arg, str) and builder.text is not None
                            else None)
            return builder
        if name == "toString":
            return builder.text
    if cls == STRING and name == "concat" and isinstance(values[0], str) and isinstance(declared[0], str):
        return values[0] + declared[0]
    # a builder handed to other code may be changed there
    for v in values:
        if isinstance(v, _Builder):
            v.text = None
    reflective = cls == _CLASS or any(p in (_OBJECT, _CLASS) for p in params)
    if reflective:
        for ptype, reg in parameter_registers(op, args, proto):
            value = regs.get(reg) if reg is not None else None
            if ptype == STRING and isinstance(value, str) and value in names:
                found.add(value)
    return None
