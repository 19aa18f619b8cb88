"""Test helper: names of the classes *defined* in an APK's DEX files, read with `struct` only.

Reads header → class_defs → type_ids → string_ids; enough to feed SDK identification in tests without
depending on hegui's own DEX reader.
"""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

_DEX_NAME = re.compile(r"classes\d*\.dex")


def _uleb128(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def dex_class_names(dex: bytes) -> list[str]:
    """Dotted Java names of the classes a DEX file defines."""
    if dex[:4] != b"dex\n":
        raise ValueError("not a DEX file")
    string_ids_off, type_ids_off = struct.unpack_from("<I", dex, 0x3C)[0], struct.unpack_from("<I", dex, 0x44)[0]
    class_defs_size, class_defs_off = struct.unpack_from("<II", dex, 0x60)
    names = []
    for i in range(class_defs_size):
        (type_idx,) = struct.unpack_from("<I", dex, class_defs_off + 32 * i)
        (string_idx,) = struct.unpack_from("<I", dex, type_ids_off + 4 * type_idx)
        (data_off,) = struct.unpack_from("<I", dex, string_ids_off + 4 * string_idx)
        length, start = _uleb128(dex, data_off)
        raw = dex[start:dex.index(b"\0", start)]
        descriptor = raw.decode("utf-8", errors="replace")  # MUTF-8 ≈ UTF-8 for class names
        if descriptor.startswith("L") and descriptor.endswith(";"):
            names.append(descriptor[1:-1].replace("/", "."))
    return names


def apk_class_names(apk: Path) -> list[str]:
    with zipfile.ZipFile(apk) as zf:
        return [name for entry in zf.namelist() if _DEX_NAME.fullmatch(entry)
                for name in dex_class_names(zf.read(entry))]


def apk_native_libs(apk: Path) -> list[str]:
    with zipfile.ZipFile(apk) as zf:
        return [e for e in zf.namelist() if e.startswith("lib/") and e.endswith(".so")]
