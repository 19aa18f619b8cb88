"""Dalvik instruction lengths and the operand kinds the index cares about.

Lengths are in 16-bit code units, from the Dalvik bytecode format table (formats 10x … 51l). Unused
opcodes count as one unit, as the verifier would reject the method anyway and we only need to stay aligned.
"""

from __future__ import annotations

# Operand kinds of the instructions we record.
NONE, STRING, STRING_JUMBO, TYPE, FIELD, METHOD = 0, 1, 2, 3, 4, 5

_LENGTHS: dict[range | tuple[int, ...], int] = {
    range(0x00, 0x02): 1,
    (0x02, 0x05, 0x08): 2,
    (0x03, 0x06, 0x09): 3,
    (0x04, 0x07): 1,
    range(0x0A, 0x13): 1,
    (0x13, 0x15, 0x16, 0x19): 2,
    (0x14, 0x17): 3,
    (0x18,): 5,
    (0x1A, 0x1C): 2,
    (0x1B,): 3,
    (0x1D, 0x1E): 1,
    range(0x1F, 0x21): 2,
    (0x21,): 1,
    (0x22, 0x23): 2,
    range(0x24, 0x27): 3,
    (0x27, 0x28): 1,
    (0x29,): 2,
    (0x2A, 0x2B, 0x2C): 3,
    range(0x2D, 0x3E): 2,
    range(0x3E, 0x44): 1,
    range(0x44, 0x6E): 2,
    range(0x6E, 0x73): 3,
    (0x73,): 1,
    range(0x74, 0x79): 3,
    (0x79, 0x7A): 1,
    range(0x7B, 0x90): 1,
    range(0x90, 0xB0): 2,
    range(0xB0, 0xD0): 1,
    range(0xD0, 0xE3): 2,
    range(0xE3, 0xFA): 1,
    (0xFA, 0xFB): 4,
    (0xFC, 0xFD): 3,
    (0xFE, 0xFF): 2,
}


def _table() -> tuple[bytes, bytes]:
    lengths = bytearray(256)
    for ops, n in _LENGTHS.items():
        for op in ops:
            lengths[op] = n
    assert all(lengths), "every opcode needs a length"
    kinds = bytearray(256)
    kinds[0x1A] = STRING
    kinds[0x1B] = STRING_JUMBO
    kinds[0x1C] = TYPE  # const-class
    kinds[0x22] = TYPE  # new-instance
    for op in (*range(0x52, 0x59), *range(0x60, 0x67)):
        kinds[op] = FIELD  # iget*/sget*: reads only; writes are not collection
    for op in (*range(0x6E, 0x73), *range(0x74, 0x79)):
        kinds[op] = METHOD
    return bytes(lengths), bytes(kinds)


LENGTH, KIND = _table()

INVOKE_SUPER = frozenset((0x6F, 0x75))
INVOKE_STATIC = frozenset((0x71, 0x77))
INVOKE_DIRECT = frozenset((0x70, 0x76))
