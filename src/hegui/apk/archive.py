"""A tolerant, bounded ZIP reader for APKs (hostile input).

Why not `zipfile`: tampered APKs that Android installs break it (unknown compression methods, garbage
between the central directory and the end record, truncated central directories, corrupt extra fields),
and it has no inflate budget. This reader follows what Android's own reader (libziparchive) does:

- the end-of-central-directory record (EOCD) is searched backwards over the last 64 KiB + 22 bytes; its
  central-directory offset is trusted as written (no "prepended data" guessing), so bytes between the
  central directory and the EOCD are tolerated and noted;
- the central directory gives method, sizes and CRC; the local header only gives the data offset;
- a compression method other than STORED (0) or DEFLATED (8): Android < 9 tried to inflate, Android >= 9
  reads the data as stored (apkInspector's findings, the SoumniBot/"a.apk" evasion) -- we try to inflate
  and fall back to stored, and note it;
- a central directory that is missing or truncated: entries are recovered by walking local headers.

Nothing here writes files; entry names are data, never paths.
"""

from __future__ import annotations

import mmap
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from hegui.errors import InputError

_EOCD_SIG = b"PK\x05\x06"
_CDH_SIG = b"PK\x01\x02"
_LFH_SIG = b"PK\x03\x04"
_EOCD = struct.Struct("<4sHHHHIIH")  # sig, disk, cd disk, entries here, entries total, cd size, cd offset, comment len
_CDH = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LFH = struct.Struct("<4sHHHHHIIIHH")
_MAX_EOCD_SEARCH = 0xFFFF + _EOCD.size
_INFLATE_CHUNK = 64 * 1024
_MIB = 2**20

STORED = 0
DEFLATED = 8


class ArchiveEntryError(InputError):
    """One entry cannot be read (bomb, too big, bad method, CRC mismatch, truncated). One-line reason."""


class EntryTooLargeError(ArchiveEntryError):
    """The entry would inflate past a limit (size, ratio, declared size, archive budget)."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 65_536
    max_entry_size: int = 256 * _MIB  # uncompressed bytes of one entry we agree to inflate
    max_total_read: int = 1024 * _MIB  # total inflated bytes per archive
    max_ratio: int = 200  # inflate ratio above which an entry is a bomb (when size > 1 MiB)


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class _Entry:
    name: str
    method: int
    flags: int
    crc: int
    compressed_size: int
    uncompressed_size: int
    header_offset: int  # offset of the local file header
    from_local_header: bool = False  # recovered by walking local headers (no central directory record)


def _decode_name(raw: bytes) -> str:
    # Android treats names as UTF-8 bytes whatever the flag says; undecodable bytes stay visible as U+FFFD.
    return raw.decode("utf-8", errors="replace")


def shown_name(name: str) -> str:
    """An entry name fit for a one-line message: control characters escaped, length bounded."""
    text = name.encode("unicode_escape").decode("ascii")
    return text if len(text) <= 120 else text[:117] + "..."


class ApkArchive:
    """Read-only view of a ZIP/APK file. Use `ApkArchive.open(path)`; also a context manager."""

    def __init__(self, path: Path, data: mmap.mmap | bytes, limits: ArchiveLimits) -> None:
        self.path = path
        self.limits = limits
        self.names: list[str] = []
        self.problems: list[str] = []
        self.central_directory_offset: int | None = None  # where the APK Signing Block must end
        self.eocd_offset: int | None = None
        self._data = data
        self._entries: dict[str, _Entry] = {}
        self._total_read = 0

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, path: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> ApkArchive:
        path = Path(path)
        try:
            with open(path, "rb") as handle:
                size = handle.seek(0, 2)
                if size == 0:
                    raise InputError("empty file (0 bytes)")
                data: mmap.mmap | bytes = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except InputError:
            raise
        except IsADirectoryError:
            raise InputError("is a directory, not an APK file") from None
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror or exc}") from None
        archive = cls(path, data, limits)
        try:
            archive._index()
        except BaseException:
            archive.close()
            raise
        return archive

    @classmethod
    def from_bytes(cls, path: Path, data: bytes, limits: ArchiveLimits = DEFAULT_LIMITS) -> ApkArchive:
        """An archive held in memory (a jar inside an AAR); `path` only names it in messages."""
        archive = cls(path, data, limits)
        archive._index()
        return archive

    def close(self) -> None:
        if isinstance(self._data, mmap.mmap) and not self._data.closed:
            self._data.close()

    def __enter__(self) -> ApkArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def view(self, start: int, end: int) -> bytes:
        """Raw bytes of the file in [start, end) (clipped to the file); used by the signing-block reader."""
        start = max(0, start)
        end = min(len(self._data), end)
        return bytes(self._data[start:end]) if end > start else b""

    # ---------------------------------------------------------------- indexing
    def _index(self) -> None:
        eocd = self._find_eocd()
        if eocd is None:
            if self._data[:4] != _LFH_SIG and self._data.find(_LFH_SIG, 0, 1 << 16) < 0:
                raise InputError("not a ZIP/APK archive (no end-of-central-directory record, no local headers)")
            self.problems.append("end-of-central-directory record missing: entries recovered from local headers")
            self._recover_from_local_headers()
        else:
            self._read_central_directory(eocd)
        if not self.names:
            raise InputError("archive has no readable entries")

    def _find_eocd(self) -> tuple[int, int, int, int] | None:
        """(eocd offset, declared entry count, cd size, cd offset) of the last plausible EOCD record."""
        data = self._data
        size = len(data)
        floor = max(0, size - _MAX_EOCD_SEARCH)
        pos = size - _EOCD.size
        while pos >= floor:
            pos = data.rfind(_EOCD_SIG, floor, pos + 4)
            if pos < 0:
                return None
            if pos + _EOCD.size <= size:
                _, _, _, _, total, cd_size, cd_offset, comment_len = _EOCD.unpack_from(data, pos)
                # Android rejects a comment that runs past the end of the file; such a match is a false hit
                # inside the comment or data, so keep searching backwards.
                if pos + _EOCD.size + comment_len <= size:
                    return pos, total, cd_size, cd_offset
            pos -= 1
        return None

    def _read_central_directory(self, eocd: tuple[int, int, int, int]) -> None:
        eocd_offset, declared, cd_size, cd_offset = eocd
        self.eocd_offset = eocd_offset
        data = self._data
        if eocd_offset + _EOCD.size + struct.unpack_from("<H", data, eocd_offset + 20)[0] < len(data):
            self.problems.append("bytes after the end-of-central-directory comment")
        zip64 = declared == 0xFFFF or cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF
        if zip64:
            found = self._zip64_eocd(eocd_offset)
            if found is not None:
                declared, cd_size, cd_offset = found
        if cd_offset >= eocd_offset or data[cd_offset:cd_offset + 4] != _CDH_SIG:
            if declared == 0 and cd_size == 0 and not zip64:
                raise InputError("empty archive (no entries)")
            self.problems.append("central directory missing or truncated: entries recovered from local headers")
            self._recover_from_local_headers()
            return
        self.central_directory_offset = cd_offset
        if cd_offset + cd_size < eocd_offset and not zip64:
            self.problems.append(
                f"{eocd_offset - cd_offset - cd_size} bytes between central directory and end record")
        pos = cd_offset
        read = 0
        limit = self.limits.max_entries
        while pos + _CDH.size <= eocd_offset:
            if data[pos:pos + 4] != _CDH_SIG:
                # A record whose lengths disagree with its bytes (apkInspector's "SIZE_ExtraField"): resync on
                # the next record signature instead of dropping the rest of the directory.
                resync = data.find(_CDH_SIG, pos, eocd_offset)
                if resync < 0:
                    break
                self._note(f"central directory record lengths inconsistent: skipped {resync - pos} bytes")
                pos = resync
            if read >= limit:
                self.problems.append(f"more than {limit} entries: only the first {limit} are listed")
                break
            entry, pos = self._parse_cd_record(pos, eocd_offset)
            if entry is None:
                break
            self._add(entry)
            read += 1
        if read < declared and read < limit and not zip64:
            self.problems.append(f"central directory truncated: {read} of {declared} declared entries readable; "
                                 "entries recovered from local headers")
            self._recover_from_local_headers()
        elif read != declared and not zip64 and read < limit:
            self.problems.append(f"end record declares {declared} entries, central directory holds {read}")

    def _zip64_eocd(self, eocd_offset: int) -> tuple[int, int, int] | None:
        locator = eocd_offset - 20
        if locator < 0 or self._data[locator:locator + 4] != b"PK\x06\x07":
            return None
        (record_offset,) = struct.unpack_from("<Q", self._data, locator + 8)
        if record_offset + 56 > locator or self._data[record_offset:record_offset + 4] != b"PK\x06\x06":
            self.problems.append("zip64 end record unreadable")
            return None
        total, cd_size, cd_offset = struct.unpack_from("<QQQ", self._data, record_offset + 32)
        return total, cd_size, cd_offset

    def _parse_cd_record(self, pos: int, end: int) -> tuple[_Entry | None, int]:
        fields = _CDH.unpack_from(self._data, pos)
        flags, method, crc, csize, usize = fields[3], fields[4], fields[7], fields[8], fields[9]
        name_len, extra_len, comment_len = fields[10], fields[11], fields[12]
        offset = fields[16]
        name_start = pos + _CDH.size
        record_end = name_start + name_len + extra_len + comment_len
        if record_end > end:
            self.problems.append("central directory truncated inside a record")
            return None, end
        name = _decode_name(bytes(self._data[name_start:name_start + name_len]))
        if 0xFFFFFFFF in (csize, usize, offset):
            extra = bytes(self._data[name_start + name_len:name_start + name_len + extra_len])
            usize, csize, offset = _zip64_extra(extra, usize, csize, offset)
        entry = _Entry(name, method, flags, crc, csize, usize, offset)
        return entry, record_end

    def _add(self, entry: _Entry) -> None:
        if entry.name in self._entries:
            if entry.from_local_header:
                return  # already known from the central directory
            # Android refuses archives with duplicate names (the Janus-era fix); we keep the first one so a
            # later copy cannot shadow what a first-match reader sees, and say so.
            self.problems.append(f"duplicate entry '{shown_name(entry.name)}' (first one kept)")
            return
        self._entries[entry.name] = entry
        self.names.append(entry.name)
        if _unsafe_name(entry.name):
            self._note(f"suspicious entry name '{shown_name(entry.name)}' (control character, absolute or "
                       "parent path); listed, never used as a path")

    def _recover_from_local_headers(self) -> None:
        """Walk local file headers from the start of the file (central directory unusable)."""
        data = self._data
        size = len(data)
        pos = data.find(_LFH_SIG, 0)
        limit = self.limits.max_entries
        next_header = _HeaderFinder(data)
        while pos >= 0 and pos + _LFH.size <= size:
            if len(self._entries) >= limit:
                self.problems.append(f"more than {limit} entries: only the first {limit} are listed")
                return
            fields = _LFH.unpack_from(data, pos)
            flags, method, crc, csize, usize, name_len, extra_len = (
                fields[2], fields[3], fields[6], fields[7], fields[8], fields[9], fields[10])
            data_start = pos + _LFH.size + name_len + extra_len
            if data_start > size:
                break
            name = _decode_name(bytes(data[pos + _LFH.size:pos + _LFH.size + name_len]))
            if csize and not (flags & 0x08) and data_start + csize <= size:
                next_pos = data_start + csize
            else:
                # Sizes live in a trailing data descriptor (or are wrong): the data runs to the next header.
                next_pos = next_header(data_start)
                csize = (next_pos if next_pos >= 0 else size) - data_start
                descriptor = data_start + csize - 16
                if flags & 0x08 and csize >= 16 and data[descriptor:descriptor + 4] == b"PK\x07\x08":
                    crc, csize, usize = struct.unpack_from("<III", data, descriptor + 4)
                else:
                    crc = usize = -1  # unknown: no CRC or size check possible
            if name:
                self._add(_Entry(name, method, flags, crc, csize, usize, pos, from_local_header=True))
            if next_pos < 0 or next_pos >= size:
                break
            nxt = data.find(_LFH_SIG, next_pos)
            if nxt < 0:
                break
            pos = nxt

    # ----------------------------------------------------------------- reading
    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def size_of(self, name: str) -> int | None:
        """Declared uncompressed size; None for a missing entry or an unknown size."""
        entry = self._entries.get(name)
        return entry.uncompressed_size if entry and entry.uncompressed_size >= 0 else None

    def read(self, name: str, max_size: int | None = None) -> bytes:
        entry = self._entries.get(name)
        shown = shown_name(name)
        if entry is None:
            raise ArchiveEntryError(f"no entry '{shown}' in archive")
        limit = self.limits.max_entry_size if max_size is None else min(max_size, self.limits.max_entry_size)
        budget = self.limits.max_total_read - self._total_read
        if budget <= 0:
            raise EntryTooLargeError(f"read budget of {self.limits.max_total_read} bytes per archive exhausted")
        if entry.uncompressed_size > limit:
            raise EntryTooLargeError(
                f"entry '{shown}' declares {entry.uncompressed_size} bytes, above the limit of {limit}")
        start = self._data_start(entry, shown)
        end = start + entry.compressed_size
        if end > len(self._data):
            raise ArchiveEntryError(f"entry '{shown}' truncated: data runs past the end of the file")
        cap = min(limit, budget)
        try:
            if entry.method == STORED:
                out = self._stored(entry, start, cap, shown)
            elif entry.method == DEFLATED:
                out = self._inflate(entry, start, end, cap, shown)
            else:
                out = self._unknown_method(entry, start, end, cap, shown)
        finally:
            self._release(start, end)
        self._total_read += len(out)
        if entry.crc >= 0 and (zlib.crc32(out) & 0xFFFFFFFF) != entry.crc and entry.method in (STORED, DEFLATED):
            raise ArchiveEntryError(f"CRC mismatch in '{shown}'")
        return out

    def _release(self, start: int, end: int) -> None:
        """Hand back the mapped pages of a large entry once it is read. They are the APK file's (in the page
        cache, read again on demand) but count in the process's memory while mapped: for a 24 MB APK of DEX
        files, 23 MB of a scan's peak."""
        if isinstance(self._data, mmap.mmap) and end - start >= _MIB and hasattr(mmap, "MADV_DONTNEED"):
            first = start - start % mmap.PAGESIZE
            self._data.madvise(mmap.MADV_DONTNEED, first, end - first)

    def _data_start(self, entry: _Entry, shown: str) -> int:
        pos = entry.header_offset
        if pos + _LFH.size > len(self._data) or self._data[pos:pos + 4] != _LFH_SIG:
            raise ArchiveEntryError(f"local header of '{shown}' missing or outside the file")
        name_len, extra_len = struct.unpack_from("<HH", self._data, pos + 26)
        return pos + _LFH.size + name_len + extra_len

    def _stored(self, entry: _Entry, start: int, cap: int, shown: str) -> bytes:
        length = entry.compressed_size
        if length > cap:
            raise EntryTooLargeError(f"entry '{shown}' holds {length} bytes, above the limit of {cap}")
        if 0 <= entry.uncompressed_size != length:
            self._note(f"stored entry '{shown}' declares {entry.uncompressed_size} bytes but holds {length}")
        return bytes(self._data[start:start + length])

    def _inflate(self, entry: _Entry, start: int, end: int, cap: int, shown: str) -> bytes:
        declared, packed = entry.uncompressed_size, end - start
        if 0 <= declared <= cap and (declared <= _MIB or declared <= self.limits.max_ratio * max(packed, 1)):
            # An entry whose declared size is within the limits and a plausible ratio of its compressed size is
            # inflated in one call into a buffer of that size (a DEX file: one copy instead of a hundred pieces
            # joined); anything else, or an entry that does not end exactly there, takes the guarded way below.
            inflater = zlib.decompressobj(-15)
            try:
                out = inflater.decompress(self._data[start:end], declared + 1)
            except zlib.error:
                out = None
            if out is not None and inflater.eof and len(out) == declared:
                return out
        return self._inflate_guarded(entry, start, end, cap, shown)

    def _inflate_guarded(self, entry: _Entry, start: int, end: int, cap: int, shown: str) -> bytes:
        """Inflate in small steps, refusing a bomb, an entry past `cap` or far past its declared size early."""
        inflater = zlib.decompressobj(-15)
        parts: list[bytes] = []
        produced = 0
        pos = start
        pending = b""
        while True:
            if not pending:
                if pos >= end:
                    break
                pending = bytes(self._data[pos:min(end, pos + _INFLATE_CHUNK)])
                pos += len(pending)
            try:
                # Small output steps keep memory flat and let the ratio check stop a bomb early.
                chunk = inflater.decompress(pending, min(cap + 1 - produced, _MIB))
            except zlib.error as exc:
                raise ArchiveEntryError(f"entry '{shown}' is not valid deflate data ({exc})") from None
            pending = inflater.unconsumed_tail
            produced += len(chunk)
            parts.append(chunk)
            consumed = pos - start - len(pending)
            if produced > cap:
                raise EntryTooLargeError(f"entry '{shown}' inflates beyond the limit of {cap} bytes")
            if produced > _MIB and produced > self.limits.max_ratio * max(consumed, 1):
                raise EntryTooLargeError(
                    f"entry '{shown}' looks like a zip bomb (inflate ratio above {self.limits.max_ratio}:1)")
            if entry.uncompressed_size >= 0 and produced > entry.uncompressed_size + _MIB:
                # Far past its declared size: a lie worth refusing before it costs memory.
                raise EntryTooLargeError(
                    f"entry '{shown}' inflates far beyond its declared {entry.uncompressed_size} bytes")
            if inflater.eof:
                break
        if not inflater.eof:
            raise ArchiveEntryError(f"entry '{shown}' truncated: deflate stream ends early")
        out = b"".join(parts)
        if 0 <= entry.uncompressed_size != len(out):
            self._note(f"entry '{shown}' declares {entry.uncompressed_size} bytes but inflates to {len(out)}")
        return out

    def _unknown_method(self, entry: _Entry, start: int, end: int, cap: int, shown: str) -> bytes:
        # Mirror Android: before 9 it inflated whatever the method said; since 9 anything that is not
        # DEFLATED is read as STORED. Trying both keeps tampered manifests readable either way.
        try:
            out = self._inflate(entry, start, end, cap, shown)
            how = "inflated"
        except EntryTooLargeError:
            raise
        except ArchiveEntryError:
            out = self._stored(entry, start, cap, shown)
            how = "read as stored"
        self._note(f"unsupported compression method {entry.method} in '{shown}' ({how}, as Android does)")
        return out

    def _note(self, problem: str) -> None:
        if problem not in self.problems and len(self.problems) < 1000:
            self.problems.append(problem)


_CONTROL_CHAR = re.compile("[\x00-\x1f\x7f]")


def _unsafe_name(name: str) -> bool:
    if _CONTROL_CHAR.search(name):
        return True
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in name.replace("\\", "/").split("/")


class _HeaderFinder:
    """The next local or central header at or after an offset, for offsets that only grow.

    Each signature's last hit is remembered: searching afresh from every entry would rescan the rest of the
    file once per entry (an archive of 60,000 entries without central directory: minutes).
    """

    def __init__(self, data: mmap.mmap | bytes) -> None:
        self._data = data
        self._hits = {_LFH_SIG: (0, -2), _CDH_SIG: (0, -2)}  # signature -> (searched from, hit or -1)

    def _find(self, sig: bytes, start: int) -> int:
        searched_from, hit = self._hits[sig]
        if hit == -2 or start < searched_from or (hit != -1 and hit < start):
            hit = self._data.find(sig, start)
            self._hits[sig] = (start, hit)
        return hit

    def __call__(self, start: int) -> int:
        hits = [h for h in (self._find(_LFH_SIG, start), self._find(_CDH_SIG, start)) if h >= 0]
        return min(hits) if hits else -1


def _zip64_extra(extra: bytes, usize: int, csize: int, offset: int) -> tuple[int, int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4:pos + 4 + length]
        if tag == 0x0001:
            values = [struct.unpack_from("<Q", body, i)[0] for i in range(0, len(body) - 7, 8)]
            if usize == 0xFFFFFFFF and values:
                usize = values.pop(0)
            if csize == 0xFFFFFFFF and values:
                csize = values.pop(0)
            if offset == 0xFFFFFFFF and values:
                offset = values.pop(0)
            break
        pos += 4 + length
    return usize, csize, offset
