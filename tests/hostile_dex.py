"""A small, real DEX built byte by byte, and the hostile edits the bounds tests make to it.

`build_dex(n)` writes classes ``Lcom/demo/C0;`` … ``Lcom/demo/C{n-1};``, each ``implements
Ljava/lang/Runnable;`` with ``run()V`` calling ``Landroid/os/Build;->getSerial()`` and a static
``pick(ILjava/lang/String;)V``, laid out as d8 would (sorted tables, a map list, checksum and signature),
so that Debian's dexdump reads it. The edits then overwrite one field with a hostile value and fix the
checksum again, so that a parser sees exactly the one fault a test means.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass

HEADER_SIZE = 0x70
NO_INDEX = 0xFFFFFFFF


def uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _align(blob: bytearray, n: int = 4) -> None:
    blob.extend(b"\0" * (-len(blob) % n))


@dataclass(frozen=True)
class Layout:
    """Where the parts of a built DEX are (file offsets), for the edits."""

    string_ids: int
    type_ids: int
    proto_ids: int
    method_ids: int
    class_defs: int
    interface_list: int  # the one type_list every class's interfaces_off names
    parameter_list: int  # the (ILjava/lang/String;) type_list of pick's proto
    class_data: list[int]


def build_dex(n_classes: int = 1, extra_strings: tuple[str, ...] = ()) -> tuple[bytes, Layout]:
    classes = [f"Lcom/demo/C{i};" for i in range(n_classes)]
    types = sorted({"I", "V", "Ljava/lang/Object;", "Ljava/lang/Runnable;", "Ljava/lang/String;",
                    "Landroid/os/Build;", *classes})
    strings = sorted({*types, "V", "L", "VIL", "run", "pick", "getSerial", *extra_strings})
    sidx = {s: i for i, s in enumerate(strings)}
    tidx = {t: i for i, t in enumerate(types)}
    # (shorty, return, parameters), sorted by return type then parameters as the format requires
    protos = sorted([("V", "V", ()), ("L", "Ljava/lang/String;", ()), ("VIL", "V", ("I", "Ljava/lang/String;"))],
                    key=lambda p: (tidx[p[1]], [tidx[t] for t in p[2]]))
    pidx = {p[1:]: i for i, p in enumerate(protos)}
    methods = sorted([("Landroid/os/Build;", "getSerial", ("Ljava/lang/String;", ()))]
                     + [(c, name, proto) for c in classes
                        for name, proto in (("pick", ("V", ("I", "Ljava/lang/String;"))), ("run", ("V", ())))],
                     key=lambda m: (tidx[m[0]], sidx[m[1]], pidx[m[2]]))
    midx = {(m[0], m[1]): i for i, m in enumerate(methods)}

    string_ids = HEADER_SIZE
    type_ids = string_ids + 4 * len(strings)
    proto_ids = type_ids + 4 * len(types)
    method_ids = proto_ids + 12 * len(protos)
    class_defs = method_ids + 8 * len(methods)
    data_off = class_defs + 32 * n_classes

    data = bytearray()

    def at() -> int:
        return data_off + len(data)

    # code items: run() { invoke-static {}, getSerial; return-void } and pick() { return-void }
    code_run, code_pick = [], []
    for _ in classes:
        _align(data)
        code_run.append(at())
        insns = [0x0071, midx[("Landroid/os/Build;", "getSerial")], 0x0000, 0x000E]
        data += struct.pack("<HHHHII", 1, 1, 0, 0, 0, len(insns)) + struct.pack(f"<{len(insns)}H", *insns)
        _align(data)
        code_pick.append(at())
        data += struct.pack("<HHHHII", 2, 2, 0, 0, 0, 1) + struct.pack("<H", 0x000E)
    _align(data)
    interface_list = at()
    data += struct.pack("<IH", 1, tidx["Ljava/lang/Runnable;"])
    _align(data)
    parameter_list = at()
    data += struct.pack("<IHH", 2, tidx["I"], tidx["Ljava/lang/String;"])
    string_data = []
    for s in strings:
        string_data.append(at())
        data += uleb(len(s)) + s.encode() + b"\0"
    class_data = []
    for i, c in enumerate(classes):
        class_data.append(at())
        data += uleb(0) + uleb(0) + uleb(1) + uleb(1)
        data += uleb(midx[(c, "pick")]) + uleb(0x9) + uleb(code_pick[i])  # public static
        data += uleb(midx[(c, "run")]) + uleb(0x1) + uleb(code_run[i])  # public
    _align(data)
    map_off = at()
    items = [(0x0000, 1, 0), (0x0001, len(strings), string_ids), (0x0002, len(types), type_ids),
             (0x0003, len(protos), proto_ids), (0x0005, len(methods), method_ids),
             (0x0006, n_classes, class_defs), (0x2001, 2 * n_classes, code_run[0]),
             (0x1001, 2, interface_list), (0x2002, len(strings), string_data[0]),
             (0x2000, n_classes, class_data[0]), (0x1000, 1, map_off)]
    data += struct.pack("<I", len(items)) + b"".join(struct.pack("<HHII", t, 0, n, o) for t, n, o in items)

    tables = bytearray()
    tables += b"".join(struct.pack("<I", o) for o in string_data)
    tables += b"".join(struct.pack("<I", sidx[t]) for t in types)
    for shorty, ret, params in protos:
        tables += struct.pack("<III", sidx[shorty], tidx[ret], parameter_list if params else 0)
    for cls, name, proto in methods:
        tables += struct.pack("<HHI", tidx[cls], pidx[proto], sidx[name])
    for i, c in enumerate(classes):
        tables += struct.pack("<8I", tidx[c], 0x1, tidx["Ljava/lang/Object;"], interface_list, NO_INDEX, 0,
                              class_data[i], 0)
    body = bytes(tables) + bytes(data)
    size = HEADER_SIZE + len(body)
    header = bytearray(HEADER_SIZE)
    header[0:8] = b"dex\n035\0"
    struct.pack_into("<II", header, 32, size, HEADER_SIZE)
    struct.pack_into("<I", header, 40, 0x12345678)
    struct.pack_into("<III", header, 44, 0, 0, map_off)
    struct.pack_into("<14I", header, 56, len(strings), string_ids, len(types), type_ids, len(protos), proto_ids,
                     0, 0, len(methods), method_ids, n_classes, class_defs, len(data), data_off)
    dex = fix_checksum(bytes(header) + body)
    return dex, Layout(string_ids, type_ids, proto_ids, method_ids, class_defs, interface_list, parameter_list,
                       class_data)


def fix_checksum(dex: bytes) -> bytes:
    """The SHA-1 signature and Adler-32 checksum of `dex` recomputed (as after a legitimate build)."""
    blob = bytearray(dex)
    blob[12:32] = hashlib.sha1(blob[32:]).digest()
    struct.pack_into("<I", blob, 8, zlib.adler32(bytes(blob[12:])))
    return bytes(blob)


def with_u32(dex: bytes, offset: int, value: int) -> bytes:
    """`dex` with the 32-bit field at `offset` set to `value`, checksums fixed."""
    blob = bytearray(dex)
    struct.pack_into("<I", blob, offset, value)
    return fix_checksum(bytes(blob))


def class_def_field(layout: Layout, class_no: int, field_no: int) -> int:
    """Offset of field `field_no` (0 class_idx … 3 interfaces_off … 6 class_data_off) of a class_def."""
    return layout.class_defs + 32 * class_no + 4 * field_no
