"""Where a native library keeps its data: the byte ranges of an ELF file's sections that are not code.

JNI class names (``FindClass("com/x/Y")``) are C string literals, which compilers place in read-only data
(`.rodata`), never among instructions; a library's code (`.text`) is most of its bytes. Reading only the other
sections lets a string search skip it. Anything that does not parse as an ELF section table (not ELF, stripped
section headers, a table outside the file) answers None: the caller reads the whole file.
"""

from __future__ import annotations

import struct

_MAGIC = b"\x7fELF"
# sections of data (.rodata, .data, .data.rel.ro, …) and string tables (.dynstr); not symbol, hash, relocation or
# version tables (numbers), nor .bss (no bytes in the file)
_SHT_PROGBITS, _SHT_STRTAB = 1, 3
_SHF_EXECINSTR = 0x4
_UNWIND_TABLES = frozenset((b".eh_frame", b".eh_frame_hdr", b".gcc_except_table", b".ARM.exidx", b".ARM.extab"))
# ELF class (1: 32-bit, 2: 64-bit) -> (e_shoff, e_shentsize/e_shnum) header layout, section header layout
_LAYOUT = {
    1: ("I", 0x20, 0x2E, "IIIIII", 40),  # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size
    2: ("Q", 0x28, 0x3A, "IIQQQQ", 64),
}


def data_spans(data: bytes) -> list[tuple[int, int]] | None:
    """Sorted, merged (start, end) byte ranges of the data and string-table sections that are not executable."""
    if len(data) < 0x40 or not data.startswith(_MAGIC) or data[4] not in _LAYOUT or data[5] not in (1, 2):
        return None
    off_fmt, shoff_at, shent_at, section_fmt, min_entry = _LAYOUT[data[4]]
    order = "<" if data[5] == 1 else ">"
    (shoff,) = struct.unpack_from(order + off_fmt, data, shoff_at)
    entry_size, count = struct.unpack_from(order + "HH", data, shent_at)
    if not count or entry_size < min_entry or shoff + entry_size * count > len(data):
        return None
    (names_index,) = struct.unpack_from(order + "H", data, shent_at + 4)  # e_shstrndx
    headers = [struct.unpack_from(order + section_fmt, data, shoff + i * entry_size) for i in range(count)]
    names = headers[names_index][4] if names_index < count else None  # the section-name table's offset
    spans: list[tuple[int, int]] = []
    for name_at, kind, flags, _addr, offset, size in headers:
        if kind not in (_SHT_PROGBITS, _SHT_STRTAB) or flags & _SHF_EXECINSTR or not size or offset >= len(data):
            continue
        if names is not None and _name(data, names + name_at) in _UNWIND_TABLES:
            continue  # call-frame tables: numbers
        spans.append((offset, min(len(data), offset + size)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged or None


def _name(data: bytes, at: int) -> bytes:
    end = data.find(b"\x00", at, at + 64)
    return data[at:end] if at < len(data) and end >= 0 else b""
