"""The batch's crash-safe memory: ``index.json`` in the output directory, one JSON line per finished input.

Why JSON Lines appended with fsync rather than a database: a line is written only after the input's
report files are in place, so whatever is in the index is true; a crash can at worst leave one torn last
line, which readers ignore and the next writer cuts off before appending. The file stays readable by
``jq``, pandas or a regulator's own script without hegui.

Line fields: ``path`` (absolute), ``size``, ``mtime_ns``, ``sha256``, ``status`` (``done``/``failed``),
``error`` (failed only), ``findings``, ``max_severity`` (``low``…``critical`` or null), ``seconds``,
``report`` (file name inside the output directory, or null), ``reports`` (all formats), ``sdks`` (ids),
``rules`` (rule id → number of findings), ``duplicate_of`` (path whose identical content was scanned),
``finished_at`` (UTC, ISO 8601). When one path has several lines (a changed file rescanned, a failed
input retried), the last line wins.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

INDEX_NAME = "index.json"

Status = Literal["done", "failed"]


@dataclass(slots=True)
class IndexLine:
    path: str
    status: Status
    sha256: str | None = None
    size: int | None = None
    mtime_ns: int | None = None
    error: str | None = None
    findings: int = 0
    max_severity: str | None = None
    seconds: float = 0.0
    report: str | None = None
    reports: list[str] = field(default_factory=list)
    sdks: list[str] = field(default_factory=list)
    rules: dict[str, int] = field(default_factory=dict)
    duplicate_of: str | None = None
    finished_at: str | None = None

    def to_json(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v is not None or k in ("sha256", "report", "max_severity")}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexLine | None:
        """A line from disk, or None when it is not one of ours (wrong types, unknown status)."""
        path, status = data.get("path"), data.get("status")
        if not isinstance(path, str) or status not in ("done", "failed"):
            return None
        known = {name: data[name] for name in cls.__slots__ if name in data}
        try:
            return cls(**known)
        except TypeError:
            return None


class Prior(NamedTuple):
    """What the driver keeps per path: enough to plan a resume and to find the full line again.

    Kept small on purpose (not the whole line): a national batch has hundreds of thousands of them.
    """

    status: str
    size: int | None
    mtime_ns: int | None
    sha256: str | None
    report: str | None
    max_severity: str | None
    offset: int  # where its line starts in index.json

    @classmethod
    def of(cls, line: IndexLine, offset: int) -> Prior:
        return cls(line.status, line.size, line.mtime_ns, line.sha256, line.report, line.max_severity, offset)

    @classmethod
    def from_json(cls, chunk: bytes, offset: int) -> tuple[str, Prior] | None:
        """(path, prior) straight from a line's bytes (no full `IndexLine`: this runs once per input)."""
        try:
            data = json.loads(chunk)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict):
            return None
        path, status = data.get("path"), data.get("status")
        if not isinstance(path, str) or status not in ("done", "failed"):
            return None
        get = data.get
        return path, cls(status, get("size"), get("mtime_ns"), get("sha256"), get("report"), get("max_severity"),
                         offset)


@dataclass(slots=True)
class IndexState:
    """What earlier runs left: the latest line of every path, and what the file looked like."""

    by_path: dict[str, Prior] = field(default_factory=dict)
    lines: int = 0
    bad_lines: int = 0          # unparsable lines other than a torn tail (should never happen)
    torn_tail: bool = False     # the file ended in a partial line (a crash mid-write)


def _chunks(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """(offset, bytes, ends with a newline) for each line, streamed: the index may be hundreds of MB."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return
    with fh:
        offset = 0
        for chunk in fh:
            yield offset, chunk, chunk.endswith(b"\n")
            offset += len(chunk)


def read_index(path: Path) -> IndexState:
    state = IndexState()
    for offset, chunk, complete in _chunks(path):
        if not chunk.strip():
            continue
        parsed = Prior.from_json(chunk, offset)
        if not complete:
            # A crash mid-write. A complete JSON object that only lacks its newline is still a finished
            # line (the crash hit between the two writes); anything else in the tail is dropped.
            state.torn_tail = True
        if parsed is None:
            if complete:
                state.bad_lines += 1
            continue
        state.by_path[parsed[0]] = parsed[1]
        state.lines += 1
    return state


def latest_lines(path: Path, state: IndexState) -> Iterator[IndexLine]:
    """Each path's latest line, streamed in file order (what summaries count)."""
    for offset, chunk, _complete in _chunks(path):
        line = _parse(chunk) if chunk.strip() else None
        if line is not None:
            prior = state.by_path.get(line.path)
            if prior is not None and prior.offset == offset:
                yield line


def line_at(path: Path, offset: int) -> IndexLine | None:
    with path.open("rb") as fh:
        fh.seek(offset)
        return _parse(fh.readline())


def _parse(chunk: bytes) -> IndexLine | None:
    try:
        data = json.loads(chunk)
    except (ValueError, UnicodeDecodeError):
        return None
    return IndexLine.from_dict(data) if isinstance(data, dict) else None


class IndexWriter:
    """Appends lines durably: write, flush, fsync, one line at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None

    def __enter__(self) -> IndexWriter:
        self._fh = self.path.open("ab+")
        self._repair_tail(self._fh)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    @staticmethod
    def _repair_tail(fh: IO[bytes]) -> None:
        """Make the file end with a newline so the next line never glues onto a torn one."""
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        fh.seek(0)
        data = fh.read()
        last_newline = data.rfind(b"\n")
        tail = data[last_newline + 1:]
        if _parse(tail) is not None:
            fh.write(b"\n")           # a whole line that only missed its newline: keep it
        else:
            fh.truncate(last_newline + 1)
        fh.flush()
        os.fsync(fh.fileno())

    def append(self, line: IndexLine) -> int:
        """Write `line` durably; returns the offset where it starts."""
        assert self._fh is not None, "IndexWriter used outside its with-block"
        offset = self._fh.seek(0, os.SEEK_END)
        self._fh.write(line.to_json().encode("utf-8") + b"\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return offset
