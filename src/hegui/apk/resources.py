"""resources.arsc: enough of the resource table to resolve labels, icons and string resources.

Layout per androidfw/ResourceTypes.h. Every offset is checked against its chunk; entries are decoded on
demand (a big table is only indexed, not expanded). Understands sparse and 16-bit-offset type chunks and
compact entries (Android 14 toolchains). Reference chains are followed with a fixed bound.
"""

from __future__ import annotations

import struct
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from hegui.apk.axml import TYPE_DYNAMIC_REFERENCE, TYPE_INT_BOOLEAN, TYPE_INT_DEC, TYPE_REFERENCE, TYPE_STRING
from hegui.apk.stringpool import CHUNK_STRING_POOL, StringPool
from hegui.errors import InputError

CHUNK_TABLE = 0x0002
CHUNK_PACKAGE = 0x0200
CHUNK_TYPE = 0x0201
_CHUNK = struct.Struct("<HHI")
_FLAG_SPARSE = 0x01
_FLAG_OFFSET16 = 0x02
_ENTRY_COMPLEX = 0x0001
_ENTRY_COMPACT = 0x0008
_NO_ENTRY32 = 0xFFFFFFFF
_NO_ENTRY16 = 0xFFFF
MAX_REFERENCE_DEPTH = 8
MAX_CHUNKS = 500_000


@dataclass(frozen=True)
class _TypeChunk:
    offset: int
    entries_at: int  # absolute start of entry data
    offsets_at: int  # absolute start of the offset table
    count: int
    flags: int
    end: int
    locale: str  # "" default, "en", "zh-rCN", "b+sr+Latn"
    qualifiers: int  # number of non-locale qualifiers set (0 = plain)


@dataclass
class _Package:
    package_id: int
    type_names: StringPool
    keys: StringPool
    type_id_offset: int
    chunks: dict[int, list[_TypeChunk]]


def _unpack_locale_part(raw: bytes, base: str) -> str:
    if raw[0] & 0x80:
        # Packed three-letter code (ISO 639-2 language / UN M.49 region)
        first = raw[1] & 0x1F
        second = ((raw[1] & 0xE0) >> 5) + ((raw[0] & 0x03) << 3)
        third = (raw[0] & 0x7C) >> 2
        return "".join(chr(ord(base) + v) for v in (first, second, third))
    if raw[0]:
        return bytes(raw[:2]).decode("ascii", errors="replace").rstrip("\x00")
    return ""


def _config(data: memoryview, at: int, limit: int) -> tuple[str, int]:
    """(locale key, count of other qualifiers) of a ResTable_config at `at`."""
    if at + 4 > limit:
        return "", 0
    (size,) = struct.unpack_from("<I", data, at)
    size = min(size, limit - at)
    raw = bytes(data[at:at + size]).ljust(48, b"\x00")
    language = _unpack_locale_part(raw[8:10], "a")
    country = _unpack_locale_part(raw[10:12], "0")
    script = raw[36:40].rstrip(b"\x00").decode("ascii", errors="replace")
    if not language:
        locale = ""
    elif script:
        locale = "+".join(["b", language, script] + ([country] if country else []))
    else:
        locale = language + (f"-r{country}" if country else "")
    others = raw[4:8] + raw[12:36] + raw[48:]
    qualifiers = sum(1 for i in range(0, len(others), 2) if others[i:i + 2] != b"\x00\x00")
    return locale, qualifiers


def parse_reference(ref: int | str) -> int | None:
    """0x7f0b0001, "@0x7f0b0001", "@7f0b0001" or "0x7f0b0001" -> int; anything else -> None."""
    if isinstance(ref, int):
        return ref if 0 <= ref <= 0xFFFFFFFF else None
    text = ref.strip().lstrip("@")
    if text.lower().startswith("0x"):
        text = text[2:]
    if not text or len(text) > 8:
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None


class ResourceTable:
    """Parsed resources.arsc. Construct with `ResourceTable.parse(data)`."""

    def __init__(self, data: bytes, problems: list[str]) -> None:
        self._data = memoryview(data)
        self.problems = problems
        self.strings: StringPool | None = None
        self.packages: dict[int, _Package] = {}

    @classmethod
    def parse(cls, data: bytes) -> ResourceTable:
        table = cls(data, [])
        table._index()
        return table

    # ------------------------------------------------------------- indexing
    def _index(self) -> None:
        data = self._data
        if len(data) < 12:
            raise InputError("resources.arsc too short")
        kind, header_size, size = _CHUNK.unpack_from(data, 0)
        if kind != CHUNK_TABLE:
            raise InputError(f"resources.arsc starts with chunk type 0x{kind:04x}, not a resource table")
        end = len(data)
        if size > end or size < 12:
            self.problems.append(f"resources: table declares {size} bytes, data holds {end}")
        else:
            end = size
        start = header_size if 12 <= header_size <= end else 12
        for pos, kind, header_size, size in self._chunks(start, end, ": rest of the table ignored"):
            if kind == CHUNK_STRING_POOL and self.strings is None:
                self.strings = StringPool(data, pos, self.problems, "resources")
            elif kind == CHUNK_PACKAGE:
                self._index_package(pos, header_size, pos + size)
        if self.strings is None:
            raise InputError("resources.arsc has no global string pool")

    def _index_package(self, start: int, header_size: int, end: int) -> None:
        data = self._data
        if start + 284 > end:
            self.problems.append("resources: package header truncated")
            return
        (package_id,) = struct.unpack_from("<I", data, start + 8)
        type_strings, _last_type, key_strings, _last_key = struct.unpack_from("<IIII", data, start + 268)
        type_id_offset = struct.unpack_from("<I", data, start + 284)[0] if header_size >= 288 else 0
        if not (0 < type_strings < end - start and 0 < key_strings < end - start):
            self.problems.append(f"resources: package 0x{package_id:02x} string pools out of range")
            return
        package = _Package(
            package_id=package_id & 0xFF,
            type_names=StringPool(data, start + type_strings, self.problems, "resources types"),
            keys=StringPool(data, start + key_strings, self.problems, "resources keys"),
            type_id_offset=type_id_offset,
            chunks={},
        )
        if package.package_id in self.packages:
            self.problems.append(f"resources: package 0x{package.package_id:02x} appears twice (first kept)")
            return
        self.packages[package.package_id] = package
        for pos, kind, chunk_header, size in self._chunks(start + header_size, end, " in package: rest ignored"):
            if kind == CHUNK_TYPE and chunk_header >= 20:
                type_id, flags, _reserved, count, entries_start = struct.unpack_from("<BBHII", data, pos + 8)
                locale, qualifiers = _config(data, pos + 20, pos + chunk_header)
                chunk = _TypeChunk(pos, pos + entries_start, pos + chunk_header, count, flags, pos + size,
                                   locale, qualifiers)
                package.chunks.setdefault(type_id, []).append(chunk)

    def _chunks(self, pos: int, end: int, on_bad: str) -> Iterator[tuple[int, int, int, int]]:
        """(offset, type, header size, size) of the chunks from `pos` to `end`; a chunk whose sizes do not fit
        ends the walk with the problem line "bad chunk at offset N" + `on_bad`; at most MAX_CHUNKS are read."""
        seen = 0
        while pos + 8 <= end and seen < MAX_CHUNKS:
            seen += 1
            kind, header_size, size = _CHUNK.unpack_from(self._data, pos)
            if header_size < 8 or size < header_size or pos + size > end:
                self.problems.append(f"resources: bad chunk at offset {pos}{on_bad}")
                return
            yield pos, kind, header_size, size
            pos += size

    # ------------------------------------------------------------- lookups
    def _entry_offset(self, chunk: _TypeChunk, index: int) -> int | None:
        data = self._data
        if chunk.flags & _FLAG_SPARSE:
            # Sorted (index, offset/4) pairs: binary search.
            low, high = 0, chunk.count - 1
            while low <= high:
                mid = (low + high) // 2
                at = chunk.offsets_at + 4 * mid
                if at + 4 > chunk.end:
                    return None
                idx, off = struct.unpack_from("<HH", data, at)
                if idx == index:
                    return off * 4
                if idx < index:
                    low = mid + 1
                else:
                    high = mid - 1
            return None
        if index >= chunk.count:
            return None
        if chunk.flags & _FLAG_OFFSET16:
            at = chunk.offsets_at + 2 * index
            if at + 2 > chunk.end:
                return None
            (off,) = struct.unpack_from("<H", data, at)
            return None if off == _NO_ENTRY16 else off * 4
        at = chunk.offsets_at + 4 * index
        if at + 4 > chunk.end:
            return None
        (off,) = struct.unpack_from("<I", data, at)
        return None if off == _NO_ENTRY32 else off

    def _entry(self, chunk: _TypeChunk, index: int) -> tuple[int, int, int] | None:
        """(key index, value type, value data) of a simple entry; None for bags and missing entries."""
        offset = self._entry_offset(chunk, index)
        if offset is None:
            return None
        at = chunk.entries_at + offset
        if at + 8 > chunk.end:
            return None
        size, flags, key = struct.unpack_from("<HHI", self._data, at)
        if flags & _ENTRY_COMPACT:
            # Compact entry: {u16 key; u16 flags (type in the high byte); u32 data}
            return size, flags >> 8, key
        if flags & _ENTRY_COMPLEX or size < 8 or at + size + 8 > chunk.end:
            return None
        _vsize, _res0, value_type, value = struct.unpack_from("<HBBI", self._data, at + size)
        return key, value_type, value

    def _chunks_for(self, res_id: int) -> tuple[_Package, list[_TypeChunk], int] | None:
        package = self.packages.get(res_id >> 24)
        if package is None:
            return None
        chunks = package.chunks.get((res_id >> 16) & 0xFF)
        if not chunks:
            return None
        return package, chunks, res_id & 0xFFFF

    def _values(self, res_id: int) -> list[tuple[_TypeChunk, int, int]]:
        """(config chunk, value type, data) for every config defining `res_id`, plainest configs first."""
        found = self._chunks_for(res_id)
        if found is None:
            return []
        _, chunks, index = found
        values = []
        for chunk in chunks:
            entry = self._entry(chunk, index)
            if entry is not None:
                values.append((chunk, entry[1], entry[2]))
        values.sort(key=lambda item: item[0].qualifiers)
        return values

    def _text(self, value_type: int, data: int) -> str | None:
        if value_type == TYPE_STRING:
            return self.strings.get(data) if self.strings else None
        if value_type == TYPE_INT_DEC:
            return str(data - (1 << 32) if data & 0x80000000 else data)
        if value_type == TYPE_INT_BOOLEAN:
            return "true" if data else "false"
        return None

    def _by_locale(self, res_id: int, depth: int, memo: dict[tuple[int, int], dict[str, str]] | None = None
                   ) -> dict[str, str]:
        # Memoised per lookup: a value defined in c configs, each referring on, would otherwise cost
        # c ** MAX_REFERENCE_DEPTH steps.
        memo = {} if memo is None else memo
        known = memo.get((res_id, depth))
        if known is not None:
            return known
        result: dict[str, str] = {}
        memo[(res_id, depth)] = result
        if depth > MAX_REFERENCE_DEPTH:
            return result
        for chunk, value_type, data in self._values(res_id):
            if chunk.locale in result:
                continue  # a plainer config of this locale was already taken
            if value_type in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE):
                target = self._by_locale(data, depth + 1, memo)
                text = target.get(chunk.locale, target.get(""))
                if text is None and target:
                    text = next(iter(target.values()))
            else:
                text = self._text(value_type, data)
            if text is not None:
                result[chunk.locale] = text
        return result

    def resolve_strings_all(self, ref: int | str) -> dict[str, str]:
        """locale ("" = default, "en", "zh-rCN") -> value of a string resource, references followed."""
        res_id = parse_reference(ref)
        return {} if res_id is None else self._by_locale(res_id, 0)

    def resolve_string(self, ref: int | str, prefer: tuple[str, ...] = ("", "zh-rCN", "zh", "en")) -> str | None:
        values = self.resolve_strings_all(ref)
        for locale in prefer:
            if locale in values:
                return values[locale]
        return next(iter(values.values()), None)

    def resolve_files(self, ref: int | str) -> list[str]:
        """Every file path a resource id points to, over all configs (icons: every density)."""
        res_id = parse_reference(ref)
        files: list[str] = []
        pending = [(res_id, 0)] if res_id is not None else []
        visited: set[int] = set()
        while pending:
            current, depth = pending.pop(0)
            if current in visited or depth > MAX_REFERENCE_DEPTH:
                continue
            visited.add(current)
            for _chunk, value_type, data in self._values(current):
                if value_type in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE):
                    pending.append((data, depth + 1))
                elif value_type == TYPE_STRING and self.strings is not None:
                    path = self.strings.get(data)
                    if path and path.startswith("res/") and path not in files:
                        files.append(path)
        return files

    def name_of(self, ref: int | str) -> str | None:
        """"type/key" of a resource id, e.g. "string/app_name"."""
        res_id = parse_reference(ref)
        found = self._chunks_for(res_id) if res_id is not None else None
        if found is None:
            return None
        package, chunks, index = found
        type_name = package.type_names.get(((res_id >> 16) & 0xFF) - 1 - package.type_id_offset)
        for chunk in chunks:
            entry = self._entry(chunk, index)
            if entry is not None:
                return f"{type_name}/{package.keys.get(entry[0])}"
        return None

    def string_values(self, only: Collection[int] | None = None) -> Iterable[tuple[str, str]]:
        """(resource name, value) of every string resource in every config; with `only`, of those whose value is
        one of these indices of the string pool (`StringPool.long_or_holding`: the others are not decoded)."""
        return self._iter_strings(only)

    def _iter_strings(self, only: Collection[int] | None) -> Iterator[tuple[str, str]]:
        if only is not None and not only:
            return
        for package in self.packages.values():
            for type_id, chunks in package.chunks.items():
                if package.type_names.get(type_id - 1 - package.type_id_offset) != "string":
                    continue
                for chunk in chunks:
                    sparse = chunk.flags & _FLAG_SPARSE
                    for index in self._sparse_ids(chunk) if sparse else range(self._dense_count(chunk)):
                        entry = self._entry(chunk, index)
                        if entry is None or entry[1] != TYPE_STRING or (only is not None and entry[2] not in only):
                            continue
                        name = package.keys.get(entry[0])
                        text = self.strings.get(entry[2]) if self.strings else None
                        if name is not None and text is not None:
                            yield name, text

    @staticmethod
    def _dense_count(chunk: _TypeChunk) -> int:
        """Entries of a dense chunk that its offset table can hold (its declared count is not trusted)."""
        width = 2 if chunk.flags & _FLAG_OFFSET16 else 4
        return max(0, min(chunk.count, 0x10000, (chunk.end - chunk.offsets_at) // width))

    def _sparse_ids(self, chunk: _TypeChunk) -> Iterator[int]:
        for i in range(chunk.count):
            at = chunk.offsets_at + 4 * i
            if at + 4 > chunk.end:
                return
            yield struct.unpack_from("<H", self._data, at)[0]
