"""One scan, end to end: read the APK (or SDK package: AAR, JAR), detect, judge, assemble the report.

`scan_path` is the single entry point used by the CLI, the batch executor and the platform's worker.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from hegui import __version__
from hegui.errors import InputError
from hegui.options import ScanOptions
from hegui.report.model import InputInfo, Report, Tool


def file_digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def scan_path(path: Path, options: ScanOptions | None = None) -> Report:
    """Scan one input. Raises `InputError` (one-line reason) when nothing at all can be read."""
    options = options or ScanOptions()
    if not path.exists():
        raise InputError("no such file")
    from hegui.miniapp import kind_of

    if kind_of(path) is not None:  # mini-program (.wxapkg or folder), quick app (.rpk), HarmonyOS module (.hap)
        return _scan_miniapp(path, options)
    if not path.is_file():
        raise InputError("not a regular file")
    sha256, size = file_digest(path)
    report = Report(tool=Tool(version=__version__), input=InputInfo(path=str(path), sha256=sha256, size=size))
    # the static pipeline; imported late to keep the CLI start fast
    from hegui.analysis import analyse_package

    analyse_package(path, report, options)
    return report


def is_miniapp_dir(path: Path) -> bool:
    """A folder that is one mini-program (scanned as one input), not a folder of APKs."""
    from hegui.miniapp import kind_of

    return path.is_dir() and kind_of(path) == "miniapp_dir"


def _folder_digest(path: Path) -> tuple[str, int]:
    """sha256 over the sorted relative names and contents of a folder's regular files (links not followed)."""
    h = hashlib.sha256()
    size = 0
    for p in sorted(q for q in path.rglob("*") if q.is_file() and not q.is_symlink()):
        h.update(p.relative_to(path).as_posix().encode() + b"\0")
        d, n = file_digest(p)
        h.update(d.encode())
        size += n
    return h.hexdigest(), size


def _scan_miniapp(path: Path, options: ScanOptions) -> Report:
    from hegui.miniapp_analysis import analyse_miniapp

    sha256, size = _folder_digest(path) if path.is_dir() else file_digest(path)
    report = Report(tool=Tool(version=__version__), input=InputInfo(path=str(path), sha256=sha256, size=size))
    analyse_miniapp(path, report, options)
    return report
