"""Binary XML and string pools cost memory proportional to their bytes, whatever their offsets and
references claim: many CDATA chunks naming one long string, or many pool offsets naming one string."""

from __future__ import annotations

import struct
import time
from pathlib import Path

from apk_testkit import _chunk, axml_end, axml_start

from hegui.apk.archive import ApkArchive
from hegui.apk.axml import parse_axml
from hegui.apk.stringpool import StringPool


def utf16_pool(strings: list[str], offsets: list[int] | None = None) -> bytes:
    """A UTF-16 ResStringPool chunk; `offsets` (string indices) makes entry i name strings[offsets[i]]."""
    starts, blob = [], bytearray()
    for text in strings:
        starts.append(len(blob))
        n = len(text)
        blob += struct.pack("<HH", 0x8000 | (n >> 16), n & 0xFFFF) if n > 0x7FFF else struct.pack("<H", n)
        blob += text.encode("utf-16-le") + b"\0\0"
    while len(blob) % 4:
        blob.append(0)
    table = [starts[i] for i in (offsets if offsets is not None else range(len(strings)))]
    header = struct.pack("<IIIII", len(table), 0, 0, 28 + 4 * len(table), 0)
    return _chunk(0x0001, header, struct.pack(f"<{len(table)}I", *table) + bytes(blob))


def cdata(index: int) -> bytes:
    return _chunk(0x0104, struct.pack("<II", 1, 0xFFFFFFFF), struct.pack("<IHBBI", index, 8, 0, 3, index))


def test_text_of_many_cdata_chunks_naming_one_long_string_is_bounded_by_the_document(tmp_path):
    # 4,000 chunks naming one 100,000-character string would be 400 million characters (and quadratic
    # appends); the document is about 330 kB, so its text is too.
    long_text = "x" * 100_000
    body = utf16_pool(["manifest", long_text]) + axml_start(0) + cdata(1) * 4000 + axml_end(0)
    data = struct.pack("<HHI", 0x0003, 8, 8 + len(body)) + body
    problems: list[str] = []
    start = time.monotonic()
    root = parse_axml(data, problems)
    assert time.monotonic() - start < 5
    copies = len(data) // len(long_text)
    assert root.tag == "manifest"
    assert root.text == long_text * copies
    assert problems == [f"binary XML text beyond {len(data)} characters ignored"]


def test_pool_offsets_naming_one_string_decode_it_only_as_often_as_the_pool_holds_bytes():
    # 5,000 offsets naming one 30,000-character string: 150 million characters if each were decoded.
    long_text = "y" * 30_000
    chunk = utf16_pool([long_text], offsets=[0] * 5000)
    problems: list[str] = []
    pool = StringPool(chunk, 0, problems, "binary XML")
    strings = [pool.get(i) for i in range(5000)]
    room = len(chunk) - 28 - 4 * 5000  # bytes of string data
    read = room // len(long_text)
    assert strings == [long_text] * read + [None] * (5000 - read)
    assert problems == [f"binary XML: string pool offsets overlap: strings past {room} characters not read"]


def test_recovering_many_local_headers_without_a_central_directory_is_linear():
    # 60,000 entries whose sizes are in (absent) data descriptors and no central directory: each entry's
    # data runs to the next header, which used to be searched from every entry to the end of the file.
    parts = []
    for i in range(60000):
        name = f"f{i:05d}".encode()
        parts.append(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x08, 0, 0, 0, 0, 0, 0, len(name), 0)
                     + name + b"x" * 8)
    start = time.monotonic()
    archive = ApkArchive.from_bytes(Path("many.apk"), b"".join(parts))
    assert time.monotonic() - start < 10
    assert archive.names == [f"f{i:05d}" for i in range(60000)]
    assert archive.problems == ["end-of-central-directory record missing: entries recovered from local headers"]
    assert archive.read("f00007") == b"x" * 8
