"""The ResStringPool chunk shared by binary XML and resources.arsc (bounds-checked, decoded lazily)."""

from __future__ import annotations

import struct
from bisect import bisect_right

CHUNK_STRING_POOL = 0x0001
_UTF8_FLAG = 1 << 8
_HEADER = struct.Struct("<HHIIIIII")  # type, header size, size, strings, styles, flags, strings start, styles start
MAX_STRING_CHARS = 1 << 20  # one string longer than this is garbage, not text


class StringPool:
    """Strings of one pool chunk starting at `offset` in `data`. Unreadable strings come back as None."""

    def __init__(self, data: bytes | memoryview, offset: int, problems: list[str], where: str) -> None:
        self._data = data
        self._cache: dict[int, str | None] = {}
        self.count = 0
        self.utf8 = False
        self._offsets_at = 0
        self._strings_at = 0
        self._end = 0
        self._problems = problems
        self._where = where
        # Characters decoded, at most what the pool's bytes hold: strings of a well-formed pool do not
        # overlap, while a hostile pool can point every offset at its longest string.
        self._budget = 0
        if offset + _HEADER.size > len(data):
            problems.append(f"{where}: string pool header truncated")
            return
        _, header_size, size, count, _styles, flags, strings_start, _styles_start = _HEADER.unpack_from(data, offset)
        end = offset + size
        if end > len(data) or size < _HEADER.size:
            problems.append(f"{where}: string pool size {size} does not fit the data; clipped")
            end = len(data)
        header_size = header_size if _HEADER.size <= header_size <= end - offset else _HEADER.size
        offsets_at = offset + header_size
        strings_at = offset + strings_start if 0 < strings_start <= end - offset else offsets_at + 4 * count
        # A tampered count larger than the offset table that fits is clipped to what the chunk can hold
        # (Android refuses such pools; a manifest that installs never has one, a hostile one must not crash us).
        room = max(0, (min(strings_at, end) - offsets_at) // 4)
        if count > room:
            problems.append(f"{where}: string pool declares {count} strings, room for {room}; clipped")
            count = room
        self.count = count
        self.utf8 = bool(flags & _UTF8_FLAG)
        self._offsets_at = offsets_at
        self._strings_at = strings_at
        self._end = end
        self._budget = max(0, end - strings_at)

    def __len__(self) -> int:
        return self.count

    def get(self, index: int) -> str | None:
        if index < 0 or index >= self.count:
            return None
        if index not in self._cache:
            text = self._decode(index)
            if text is not None:
                if len(text) > self._budget:
                    if self._budget >= 0:
                        self._problems.append(f"{self._where}: string pool offsets overlap: strings past "
                                              f"{self._end - self._strings_at} characters not read")
                    self._budget = -1
                    text = None
                else:
                    self._budget -= len(text)
            self._cache[index] = text
        return self._cache[index]

    def long_or_holding(self, min_chars: int, needle: str) -> frozenset[int]:
        """Indices of the strings that may be at least `min_chars` long or hold the ASCII `needle`, found from
        the pool's bytes without decoding the others: a superset (a string's encoded length bounds its
        characters from above; `needle` is searched in the pool's encoding), so a caller that checks the decoded
        text finds exactly what it would in every string."""
        if not self.count:
            return frozenset()
        data, end = self._data, self._end
        starts: dict[int, list[int]] = {}  # string offset -> indices (a pool may share one string)
        out: set[int] = set()
        for index, (rel,) in enumerate(struct.iter_unpack("<I", data[self._offsets_at:self._offsets_at + 4 * self.count])):
            pos = self._strings_at + rel
            starts.setdefault(pos, []).append(index)
            if self._encoded_length(pos) >= min_chars:
                out.add(index)
        order = sorted(starts)
        pattern = needle.encode("ascii") if self.utf8 else needle.encode("utf-16-le")
        haystack = data if isinstance(data, bytes) else bytes(data)
        hit = haystack.find(pattern, self._strings_at, end) if pattern else -1
        while hit >= 0:
            at = bisect_right(order, hit) - 1  # the string starting last before the hit holds it, if any does
            if at >= 0:
                out.update(starts[order[at]])
            hit = haystack.find(pattern, hit + 1, end)
        return frozenset(out)

    def _encoded_length(self, pos: int) -> int:
        """The bytes (UTF-8) or code units (UTF-16) the string at `pos` declares; 0 when its length is unreadable
        (then it decodes to None too)."""
        extent = self._extent(pos)
        return extent[0] if extent is not None else 0

    def _extent(self, pos: int) -> tuple[int, int] | None:
        """(declared length in bytes (UTF-8) or code units (UTF-16), where its text starts) of the string whose
        length prefix is at `pos`; None when the prefix lies outside the pool."""
        data, end = self._data, self._end
        try:
            if self.utf8:
                _, pos = _utf8_length(data, pos, end)  # UTF-16 length, unused
                return _utf8_length(data, pos, end)
            if pos + 2 > end:
                return None
            (length,) = struct.unpack_from("<H", data, pos)
            pos += 2
            if length & 0x8000:
                if pos + 2 > end:
                    return None
                (low,) = struct.unpack_from("<H", data, pos)
                length = ((length & 0x7FFF) << 16) | low
                pos += 2
            return length, pos
        except (struct.error, IndexError):
            return None

    def _decode(self, index: int) -> str | None:
        data = self._data
        (rel,) = struct.unpack_from("<I", data, self._offsets_at + 4 * index)
        extent = self._extent(self._strings_at + rel)
        if extent is None:
            return None
        length, pos = extent
        width = 1 if self.utf8 else 2
        if length > MAX_STRING_CHARS or pos + width * length > self._end:
            return None
        return bytes(data[pos:pos + width * length]).decode("utf-8" if self.utf8 else "utf-16-le", errors="replace")


def _utf8_length(data: bytes | memoryview, pos: int, end: int) -> tuple[int, int]:
    if pos + 1 > end:
        raise IndexError("string length outside pool")
    first = data[pos]
    if first & 0x80:
        if pos + 2 > end:
            raise IndexError("string length outside pool")
        return ((first & 0x7F) << 8) | data[pos + 1], pos + 2
    return first, pos + 1
