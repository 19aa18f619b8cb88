"""HarmonyOS `resources.index` (the compiled resource table of a HAP), enough to resolve `$string:` references.

Layout (little-endian), as restool writes it:

    128-byte version string | u32 file size | u32 config count |
    config count × ("KEYS" | u32 offset of its id set | u32 key count | key count × (u32 type, u32 value)) |
    at each offset: "IDSS" | u32 count | count × (u32 id, u32 offset of the record) |
    record: u32 size | u32 type | u32 id | u16 value length | value (NUL-ended) | u16 name length | name

The config with no keys is the default one (resources/base); others are qualifiers (zh_CN, en_US, dark …).
Every offset and length is checked against the bytes; a broken table resolves nothing rather than guessing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

MAX_CONFIGS = 1024
MAX_IDS = 200_000
MAX_KEYS = 64


@dataclass(slots=True)
class ResourceTable:
    default: dict[int, tuple[str, str]] = field(default_factory=dict)  # id → (name, value)
    others: list[dict[int, tuple[str, str]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def resolve(self, rid: int | None) -> tuple[str, str] | None:
        """(name, value) of a resource id: the default config's, else the first qualified config's."""
        if rid is None:
            return None
        if rid in self.default:
            return self.default[rid]
        for table in self.others:
            if rid in table:
                return table[rid]
        return None

    def by_name(self, name: str) -> str | None:
        for table in (self.default, *self.others):
            for res_name, value in table.values():
                if res_name == name:
                    return value
        return None


def _cstr(data: bytes, pos: int, end: int) -> tuple[str, int] | None:
    if pos + 2 > end:
        return None
    (n,) = struct.unpack_from("<H", data, pos)
    if pos + 2 + n > end:
        return None
    return data[pos + 2:pos + 2 + n].split(b"\0", 1)[0].decode("utf-8", errors="replace"), pos + 2 + n


def read_resource_table(data: bytes) -> ResourceTable:
    table = ResourceTable()
    if len(data) < 136:
        table.problems.append(f"resources.index too short ({len(data)} bytes)")
        return table
    (count,) = struct.unpack_from("<I", data, 132)
    if count > MAX_CONFIGS:
        table.problems.append(f"resources.index claims {count} configurations")
        return table
    pos = 136
    for _ in range(count):
        if pos + 12 > len(data) or data[pos:pos + 4] != b"KEYS":
            table.problems.append("resources.index: configuration list broken")
            return table
        ids_offset, keys = struct.unpack_from("<II", data, pos + 4)
        if keys > MAX_KEYS:
            table.problems.append("resources.index: configuration with too many keys")
            return table
        pos += 12 + 8 * keys
        entries = _id_set(data, ids_offset, table.problems)
        if keys == 0 and not table.default:
            table.default = entries
        else:
            table.others.append(entries)
    return table


def _id_set(data: bytes, offset: int, problems: list[str]) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    if offset + 8 > len(data) or data[offset:offset + 4] != b"IDSS":
        problems.append(f"resources.index: no id set at {offset}")
        return out
    (count,) = struct.unpack_from("<I", data, offset + 4)
    if count > MAX_IDS or offset + 8 + 8 * count > len(data):
        problems.append(f"resources.index: id set at {offset} claims {count} ids")
        return out
    for i in range(count):
        rid, rec = struct.unpack_from("<II", data, offset + 8 + 8 * i)
        if rec + 14 > len(data):
            continue
        size, _type, rec_id = struct.unpack_from("<III", data, rec)
        end = min(len(data), rec + 4 + size)
        value = _cstr(data, rec + 12, end)
        if value is None:
            continue
        name = _cstr(data, value[1], end)
        if name is not None and rec_id == rid:
            out[rid] = (name[0], value[0])
    return out
