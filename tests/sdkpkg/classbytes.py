"""Class files assembled byte by byte, for the shapes javac never emits (hostile sizes and counts)."""

from __future__ import annotations

import struct

INVOKE_SELF = b"\xb8\x00\x09"  # invokestatic #9: the class's own m()V
RETURN = b"\xb1"


def _utf8(text: str) -> bytes:
    return b"\x01" + struct.pack(">H", len(text)) + text.encode()


def class_file(name: str, methods: list[bytes | None]) -> bytes:
    """Class `name` (internal form) with one static `m()V` per item of `methods`: its bytecode, or None for an
    abstract method without code. Pool: #2 = Class name, #9 = Methodref name.m()V."""
    pool = [_utf8(name), b"\x07\x00\x01", _utf8("java/lang/Object"), b"\x07\x00\x03", _utf8("m"), _utf8("()V"),
            _utf8("Code"), b"\x0c\x00\x05\x00\x06", b"\x0a\x00\x02\x00\x08"]
    out = [b"\xca\xfe\xba\xbe", struct.pack(">HHH", 0, 52, len(pool) + 1), *pool,
           struct.pack(">HHHHHH", 0x421, 2, 4, 0, 0, len(methods))]
    for code in methods:
        if code is None:
            out.append(struct.pack(">HHHH", 0x401, 5, 6, 0))
            continue
        attribute = struct.pack(">HHI", 4, 4, len(code)) + code + struct.pack(">HH", 0, 0)
        out.append(struct.pack(">HHHH", 0x9, 5, 6, 1) + struct.pack(">HI", 7, len(attribute)) + attribute)
    out.append(struct.pack(">H", 0))
    return b"".join(out)
