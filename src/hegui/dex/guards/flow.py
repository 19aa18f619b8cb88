"""The register data-flow of the guard analysis: per instruction, which registers hold a string constant
(a key), an int constant, a consent check's result or its negation (set, join, merge), and from that which
instructions every path reaches only through an "agreed" edge of a consent test (reach), what a method
returns, what an invoke passes (arguments) and what a boolean put stores. Which calls and field reads are
consent checks is the caller's to say (`CallValue`, `FlagRead`)."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from hegui.dex import opcodes
from hegui.dex.guards.bytecode import STRING, Code, Unsupported, dex_string, param_types, s16, s32
from hegui.dex.parser import DexFile

_MAX_VISITS = 64  # worklist visits per instruction before giving up

CONSENT, NOT_CONSENT = 1, -1
_RESULT = -1  # pseudo register: the value the last invoke left for move-result

# Opcodes by what they do to registers.
INVOKES = frozenset((*range(0x6E, 0x73), *range(0x74, 0x79)))
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
IPUT_BOOLEAN, SPUT_BOOLEAN = 0x5C, 0x6A  # the verifier accepts no other put for a boolean field
_IF_EQ, _IF_NE = 0x32, 0x33
_CONSTS = frozenset((0x12, 0x13, 0x14, 0x15))
FALSE, TRUE = ("int", 0), ("int", 1)

# (method_ids index, opcode, first code unit, code units, pc, in-state) of an invoke -> CONSENT, NOT_CONSENT or None
CallValue = Callable[[int, int, int, array, int, dict[int, Any]], int | None]
FlagRead = Callable[[int], bool]  # field_ids index -> whether reading it reads a consent field


def flow(code: Code, dex: DexFile, call_value: CallValue, flag_field: FlagRead) -> list[dict[int, Any] | None]:
    """In-state (register -> tracked value) of each reachable instruction; None when unreachable."""
    invoke_at = dict(code.invokes)
    units, start, pcs = code.units, code.start, code.pcs

    def transfer(k: int, st: dict[int, Any]) -> dict[int, Any]:
        return _transfer(dex, units, start + pcs[k], st, invoke_at.get(k), call_value, flag_field)

    return forward(code, {reg: ("param", j) for reg, j in code.params.items()}, transfer, _merge, _join, _MAX_VISITS)


S = TypeVar("S")


def forward(code: Code, entry: S, transfer: Callable[[int, S], S], merge: Callable[[list[S | None], int, S], bool],
            join: Callable[[S, S], S], max_visits: int) -> list[S | None]:
    """A forward data flow over `code`'s instructions, to a fixpoint: the in-state of each reachable instruction
    (None when unreachable). `transfer` gives the out-state of position k; `merge` folds a state into a
    successor's and says whether it changed; an exception handler receives `join`(in, out), since the throwing
    instruction may or may not have written its register. More than `max_visits` visits per instruction on
    average raise Unsupported (a hostile method must not loop for long)."""
    n = len(code.pcs)
    states: list[S | None] = [None] * n
    if not n:
        return states
    states[0] = entry
    work = [0]
    budget = max_visits * n
    while work:
        budget -= 1
        if budget < 0:
            raise Unsupported
        k = work.pop()
        st = states[k]
        assert st is not None
        out = transfer(k, st)
        for s in code.succ[k]:
            if merge(states, s, out):
                work.append(s)
        if code.exc[k]:
            both = join(st, out)
            for s in code.exc[k]:
                if merge(states, s, both):
                    work.append(s)
    return states


def _transfer(dex: DexFile, units: array, pc: int, st: dict[int, Any], ref: int | None, call_value: CallValue,
              flag_field: FlagRead) -> dict[int, Any]:
    u = units[pc]
    op = u & 0xFF
    out = dict(st)
    out.pop(_RESULT, None)
    if op in INVOKES:
        if ref is not None:
            value = call_value(ref, op, u, units, pc, st)
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
            dst, lit = u >> 8, s16(units[pc + 1])
        elif op == 0x14:
            dst, lit = u >> 8, s32(units[pc + 1], units[pc + 2])
        else:  # const/high16
            dst, lit = u >> 8, s32(0, units[pc + 1])
        out[dst] = ("int", lit)
        return out
    if op in (_SGET_BOOLEAN, _IGET_BOOLEAN):
        dst = u >> 8 if op == _SGET_BOOLEAN else (u >> 8) & 0xF
        set_register(out, dst, CONSENT if flag_field(units[pc + 1]) else None)
        return out
    if op in (0x1A, 0x1B):
        set_register(out, u >> 8, ("key", dex_string(dex, string_index(op, units, pc))))
        return out
    if op == _SGET_OBJECT:
        fidx = units[pc + 1]
        value = None
        if fidx < len(dex.fields):
            _c, type_idx, name_idx = dex.fields[fidx]
            if dex.type_name(type_idx) == STRING:
                value = ("key", dex_string(dex, name_idx))
        set_register(out, u >> 8, value)
        return out
    if op in _MOVES:
        dst, src = move_operands(op, u, units, pc)
        set_register(out, dst, st.get(src))
        return out
    if op == _XOR_LIT8:
        dst, src, lit = u >> 8, units[pc + 1] & 0xFF, units[pc + 1] >> 8
        value = st.get(src)
        set_register(out, dst, -value if lit == 1 and value in (CONSENT, NOT_CONSENT) else None)
        return out
    for dst in written_registers(op, u, units, pc):
        out.pop(dst, None)
    return out


def guarded_positions(code: Code, states: list[dict[int, Any] | None]) -> set[int]:
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


def returned(code: Code, states: list[dict[int, Any] | None]) -> int | None:
    """CONSENT or NOT_CONSENT when every reachable `return` of the method returns that; else None."""
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


def stored(code: Code, states: list[dict[int, Any] | None], k: int) -> Any:
    """The value an `iput-boolean`/`sput-boolean` at position `k` stores."""
    st = states[k]
    if st is None:
        return None
    u = code.units[code.start + code.pcs[k]]
    return st.get(u >> 8 if u & 0xFF == SPUT_BOOLEAN else (u >> 8) & 0xF)


def written_registers(op: int, u: int, units: array, pc: int) -> tuple[int, ...]:
    """The registers the instruction at `pc` writes (both halves of a wide value); () when it writes none. A
    move-result writes its register; an invoke writes none (its result waits for the move-result)."""
    if op in _DEST_A4:
        dst = (u >> 8) & 0xF
    elif op in _DEST_A8:
        dst = u >> 8
    elif op in _DEST_A16:
        dst = units[pc + 1]
    else:
        return ()
    return (dst, dst + 1) if op in _WIDE_DEST else (dst,)


def invoke_registers(op: int, u: int, units: array, pc: int) -> list[int]:
    """The argument registers of the invoke at `pc` (format 35c or 3rc), receiver first."""
    return listed_registers(u, units, pc, ranged=op in _INVOKE_RANGE)


def listed_registers(u: int, units: array, pc: int, *, ranged: bool) -> list[int]:
    """The registers an instruction of format 35c (up to five named) or 3rc (a range) lists: an invoke's
    arguments, filled-new-array's elements."""
    if ranged:
        return list(range(units[pc + 2], units[pc + 2] + (u >> 8)))
    w = units[pc + 2]
    return [w & 0xF, (w >> 4) & 0xF, (w >> 8) & 0xF, w >> 12, (u >> 8) & 0xF][: u >> 12]


def move_operands(op: int, u: int, units: array, pc: int) -> tuple[int, int]:
    """(destination, source) of a move, move-wide or move-object (formats 12x, 22x, 32x)."""
    if op in (0x01, 0x04, 0x07):
        return (u >> 8) & 0xF, u >> 12
    if op in (0x02, 0x05, 0x08):
        return u >> 8, units[pc + 1]
    return units[pc + 1], units[pc + 2]


def string_index(op: int, units: array, pc: int) -> int:
    """The string_ids index a const-string (0x1A) or const-string/jumbo (0x1B) loads."""
    return units[pc + 1] if op == 0x1A else units[pc + 1] | (units[pc + 2] << 16)


def arguments(op: int, u: int, units: array, pc: int, proto: str, st: Mapping[int, Any]) -> list[tuple[str, Any]]:
    """(parameter type, tracked value) of each declared parameter of the invoke at `pc`."""
    return [(ptype, st.get(reg) if reg is not None else None)
            for ptype, reg in parameter_registers(op, invoke_registers(op, u, units, pc), proto)]


def parameter_registers(op: int, regs: Sequence[int], proto: str) -> list[tuple[str, int | None]]:
    """(parameter type, the register holding it) of each declared parameter of an invoke whose argument
    registers are `regs`: after the receiver unless static, a wide parameter taking two; None past `regs`."""
    slot = 0 if op in _INVOKE_STATIC else 1
    out: list[tuple[str, int | None]] = []
    for ptype in param_types(proto):
        out.append((ptype, regs[slot] if slot < len(regs) else None))
        slot += 2 if ptype in ("J", "D") else 1
    return out


def set_register(state: dict[int, Any], reg: int, value: Any) -> None:
    """Track `value` in `reg`, or forget what `reg` held when the value is not tracked (None)."""
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


def _reach(code: Code, cut: Mapping[int, int]) -> set[int]:
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
