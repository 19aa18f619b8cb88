"""The WeChat mini-program package (.wxapkg): the plain format and the PC client's "V1MMWX" encryption.

Plain layout (all integers big-endian), as the public unpackers (wxappUnpacker, unveilr) read it:

    0xBE | u32 reserved | u32 index_length | u32 data_length | 0xED | u32 file_count |
    file_count × (u32 name_length | name (UTF-8) | u32 offset | u32 size) | file data …

`offset` counts from the start of the file. Every length is checked against the bytes that are really there
before anything is sliced, and entry names are data, never paths.

The PC client stores packages as ``V1MMWX`` + 1024 bytes AES-256-CBC (key = PBKDF2-HMAC-SHA1(appid, "saltiest",
1000 rounds), iv = "the iv: 16 bytes") + the rest XOR-ed with one byte (the appid's second-to-last character).
The first 1023 decrypted bytes are the start of the plain package.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from hegui.errors import InputError

PC_MAGIC = b"V1MMWX"
_HEAD = struct.Struct(">BIIIBI")  # first mark, reserved, index length, data length, last mark, file count
FIRST_MARK, LAST_MARK = 0xBE, 0xED
MAX_FILES = 100_000
MAX_NAME = 4096
_ENTRY_MIN = 12  # name length + offset + size, with an empty name
APPID = re.compile(r"^wx[0-9a-f]{16}$")


@dataclass(frozen=True, slots=True)
class WxEntry:
    name: str  # without the leading "/"
    offset: int
    size: int


def unsafe_name(name: str) -> bool:
    """A name a hostile package uses to escape a folder: control characters, absolute, or with a '..' part."""
    if not name or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        return True
    if name.startswith("\\") or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in name.replace("\\", "/").split("/")


def shown(name: str) -> str:
    text = name.encode("unicode_escape").decode("ascii")
    return text if len(text) <= 80 else text[:77] + "..."


def decrypt_pc(data: bytes, appid: str) -> bytes:
    """The plain package inside a PC-encrypted ("V1MMWX") one. A wrong appid gives bytes without the 0xBE mark:
    the caller's `read_index` then refuses them."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    if not data.startswith(PC_MAGIC) or len(data) < len(PC_MAGIC) + 1024:
        raise InputError("not a PC-encrypted wxapkg (no V1MMWX header, or shorter than its 1024-byte block)")
    key = PBKDF2HMAC(algorithm=hashes.SHA1(), length=32, salt=b"saltiest", iterations=1000).derive(appid.encode())
    decryptor = Cipher(algorithms.AES(key), modes.CBC(b"the iv: 16 bytes")).decryptor()
    head = decryptor.update(data[6:1030]) + decryptor.finalize()
    xor_key = ord(appid[-2]) if len(appid) >= 2 else 0x66
    table = bytes(b ^ xor_key for b in range(256))  # translate: the XOR at C speed over megabytes
    tail = data[1030:].translate(table)
    return head[:1023] + tail


def read_index(data: bytes) -> tuple[list[WxEntry], list[str]]:
    """The entries of a plain package, and what was odd about it. Raises `InputError` when the header or the
    index cannot be trusted at all (a wrong mark, an index longer than the file, a count the index cannot hold,
    a name that escapes the package)."""
    if len(data) < _HEAD.size:
        raise InputError(f"too short for a wxapkg header ({len(data)} bytes)")
    if data.startswith(PC_MAGIC):
        raise InputError("PC-encrypted wxapkg (V1MMWX): give its appid with --appid to decrypt it")
    first, _reserved, index_len, data_len, last, count = _HEAD.unpack_from(data)
    if first != FIRST_MARK:
        raise InputError(f"not a wxapkg: first byte 0x{first:02x}, expected 0xbe")
    if last != LAST_MARK:
        raise InputError(f"not a wxapkg: header end byte 0x{last:02x}, expected 0xed")
    index_end = 14 + index_len
    if index_end > len(data):
        raise InputError(f"index of {index_len} bytes runs past the end of the file ({len(data)} bytes)")
    if count > MAX_FILES or count * _ENTRY_MIN > index_len:
        raise InputError(f"index claims {count} files, more than its {index_len} bytes can hold")
    problems: list[str] = []
    if index_end + data_len != len(data):
        problems.append(f"header says {index_end + data_len} bytes, the file has {len(data)}")
    entries: list[WxEntry] = []
    seen: set[str] = set()
    pos = 18
    for i in range(count):
        if pos + 4 > index_end:
            raise InputError(f"index truncated at entry {i} of {count}")
        (name_len,) = struct.unpack_from(">I", data, pos)
        if name_len > MAX_NAME or pos + 4 + name_len + 8 > index_end:
            raise InputError(f"entry {i}: name of {name_len} bytes runs past the index")
        raw = data[pos + 4:pos + 4 + name_len]
        offset, size = struct.unpack_from(">II", data, pos + 4 + name_len)
        pos += 12 + name_len
        name = raw.decode("utf-8", errors="replace").lstrip("/")
        if unsafe_name(name):
            raise InputError(f"entry name '{shown(raw.decode('utf-8', 'replace'))}' escapes the package")
        if offset < index_end or offset + size > len(data):
            problems.append(f"entry '{shown(name)}': {size} bytes at {offset} lie outside the file data, skipped")
            continue
        if name in seen:
            problems.append(f"entry '{shown(name)}' appears twice: the first one is read")
            continue
        seen.add(name)
        entries.append(WxEntry(name, offset, size))
    return entries, problems


def appid_in_path(parts: tuple[str, ...]) -> str | None:
    """The PC client keeps packages under …/Applet/<appid>/<version>/__APP__.wxapkg: the nearest folder named like
    an appid names it."""
    for part in reversed(parts):
        if APPID.match(part):
            return part
    return None
