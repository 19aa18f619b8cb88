"""`StringPool.long_or_holding` lets a caller read only the string resources that can matter to it (the policy
locator: long ones and URLs) without decoding the rest, and it never loses one of them."""

from __future__ import annotations

import struct

import pytest

from hegui.apk import open_apk
from hegui.apk.stringpool import StringPool

MIN_CHARS, NEEDLE = 800, "http"


def _matters(value: str) -> bool:
    return len(value) >= MIN_CHARS or NEEDLE in value


def _pool(strings: list[str], *, utf8: bool) -> bytes:
    """A ResStringPool chunk holding `strings` (UTF-8 or UTF-16), no styles."""
    body = b""
    offsets = []
    for s in strings:
        offsets.append(len(body))
        if utf8:
            raw = s.encode("utf-8")
            assert len(s) < 0x80 and len(raw) < 0x80
            body += bytes([len(s), len(raw)]) + raw + b"\x00"
        else:
            raw = s.encode("utf-16-le")
            units = len(raw) // 2
            body += (struct.pack("<HH", 0x8000 | (units >> 16), units & 0xFFFF) if units > 0x7FFF
                     else struct.pack("<H", units)) + raw + b"\x00\x00"
    body += b"\x00" * (-len(body) % 4)
    header = 28
    strings_start = header + 4 * len(strings)
    size = strings_start + len(body)
    return struct.pack("<HHIIIIII", 0x0001, header, size, len(strings), 0, 0x100 if utf8 else 0, strings_start, 0) \
        + b"".join(struct.pack("<I", o) for o in offsets) + body


@pytest.mark.parametrize("utf8", [True, False])
def test_the_strings_holding_the_needle_are_found_and_no_other(utf8):
    strings = ["app_name", "see https://a.cn/privacy", "hello", "http", "ftp://x", "xhttp", "Http://upper"]
    pool = StringPool(_pool(strings, utf8=utf8), 0, [], "test")
    assert pool.long_or_holding(MIN_CHARS, NEEDLE) == {1, 3, 5}


def test_a_long_string_is_found_by_its_declared_length():
    strings = ["short", "长" * 900, "x" * 799]
    pool = StringPool(_pool(strings, utf8=False), 0, [], "test")
    assert pool.long_or_holding(MIN_CHARS, NEEDLE) == {1}


def test_offsets_pointing_outside_the_pool_name_nothing():
    data = bytearray(_pool(["https://a.cn", "b"], utf8=True))
    struct.pack_into("<I", data, 28 + 4, 0xFFFFFF)  # the second string's offset far past the chunk
    pool = StringPool(bytes(data), 0, [], "test")
    assert pool.long_or_holding(MIN_CHARS, NEEDLE) == {0}


@pytest.mark.corpus
def test_on_real_apps_the_filtered_string_resources_are_exactly_those_that_matter(corpus):
    encodings = set()
    apks = sorted((corpus / "github-cn-apks" / "apks").glob("*.apk"))
    assert len(apks) == 20
    apks.append(corpus / "androguard" / "apks" / "com.teleca.jamendo_35.apk")  # a UTF-16 pool (old aapt)
    for path in apks:
        apk = open_apk(path)
        table = apk.resources
        assert table is not None and table.strings is not None, path.name
        encodings.add(table.strings.utf8)
        wanted = table.strings.long_or_holding(MIN_CHARS, NEEDLE)
        every = [(n, v) for n, v in table.string_values() if _matters(v)]
        assert [(n, v) for n, v in table.string_values(wanted) if _matters(v)] == every, path.name
        apk.close()
    assert encodings == {True, False}  # both pool encodings were exercised
