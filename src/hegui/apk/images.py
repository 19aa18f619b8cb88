"""Is a launcher icon blank? A bounded, pure-Python PNG check (no image library, hostile input).

Only what the blank-icon check needs: "fully transparent, or 1x1" is blank. WebP, vector/adaptive XML
drawables, interlaced or oversized PNGs are undecidable here and answer None.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_MAX_PIXELS = 1024 * 1024  # launcher icons are at most 512x512; bigger is not an icon we decode
_MAX_CHUNKS = 10_000
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel


def icon_is_blank(data: bytes, name: str) -> bool | None:
    """True when the image is fully transparent or 1x1, False when it visibly shows something,
    None when undecidable (not a PNG, XML drawable / adaptive icon, WebP, corrupt, interlaced, huge)."""
    del name  # the bytes decide; the name (".png", ".xml", ".webp") can lie
    if not data.startswith(_PNG_MAGIC):
        return None
    try:
        return _png_blank(data)
    except (ValueError, struct.error, zlib.error):
        return None


def _png_blank(data: bytes) -> bool | None:
    header: tuple[int, int, int, int, int] | None = None
    palette_alpha: bytes | None = None
    transparent_key: bytes | None = None
    idat: list[bytes] = []
    pos = len(_PNG_MAGIC)
    for _ in range(_MAX_CHUNKS):
        if pos + 8 > len(data):
            break
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            return None
        if kind == b"IHDR":
            width, height, depth, colour, _comp, _filter, interlace = struct.unpack(">IIBBBBB", body[:13])
            if interlace or colour not in _CHANNELS or width == 0 or height == 0:
                return None
            header = (width, height, depth, colour, _CHANNELS[colour])
        elif kind == b"tRNS":
            if header and header[3] == 3:
                palette_alpha = body
            else:
                transparent_key = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None or not idat:
        return None
    width, height, depth, colour, channels = header
    if width * height == 1:
        return True
    if width * height > _MAX_PIXELS:
        return None
    has_alpha = colour in (4, 6) or palette_alpha is not None or transparent_key is not None
    if not has_alpha:
        return False  # every pixel is opaque: something is drawn
    bits_per_pixel = depth * channels
    stride = (width * bits_per_pixel + 7) // 8
    expected = (stride + 1) * height
    inflater = zlib.decompressobj()
    raw = inflater.decompress(b"".join(idat), expected + 1)
    if len(raw) < expected:
        return None
    # rows are unfiltered one at a time: the first one that shows something answers (a real icon's
    # opaque middle comes long before its last row, and Python's per-byte unfiltering is the cost here)
    # (a row with a filter PNG does not define raises ValueError: undecidable)
    return all(_row_transparent(row, width, depth, colour, palette_alpha, transparent_key)
               for row in _unfilter(raw, stride, height, max(1, bits_per_pixel // 8)))


def _unfilter(raw: bytes, stride: int, height: int, bpp: int) -> Iterator[bytes]:
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = previous[i]
                c = previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + predictor) & 0xFF
        elif kind != 0:
            raise ValueError(f"PNG filter type {kind}")
        yield bytes(line)
        previous = line


def _row_transparent(row: bytes, width: int, depth: int, colour: int,
                     palette_alpha: bytes | None, key: bytes | None) -> bool:
    if colour == 6 and depth == 8:
        return not any(row[3::4])
    if colour == 6 and depth == 16:
        return not any(row[6::8]) and not any(row[7::8])
    if colour == 4 and depth == 8:
        return not any(row[1::2])
    if colour == 4 and depth == 16:
        return not any(row[2::4]) and not any(row[3::4])
    if colour == 3 and palette_alpha is not None:
        indices = _samples(row, width, depth)
        return all(i < len(palette_alpha) and palette_alpha[i] == 0 for i in indices)
    if colour in (0, 2) and key is not None:
        channels = 1 if colour == 0 else 3
        if depth == 8:
            wanted = bytes(key[i * 2 + 1] for i in range(channels)) if len(key) >= 2 * channels else None
            return wanted is not None and all(row[i:i + channels] == wanted for i in range(0, len(row), channels))
        if depth == 16:
            wanted = key[:2 * channels]
            step = 2 * channels
            return all(row[i:i + step] == wanted for i in range(0, len(row), step))
        if colour == 0:
            (gray,) = struct.unpack(">H", key[:2])
            return all(s == gray for s in _samples(row, width, depth))
    return False


def _samples(row: bytes, width: int, depth: int) -> list[int]:
    if depth == 8:
        return list(row[:width])
    per_byte = 8 // depth
    mask = (1 << depth) - 1
    values = []
    for i in range(width):
        byte = row[i // per_byte]
        shift = 8 - depth * (i % per_byte + 1)
        values.append((byte >> shift) & mask)
    return values
