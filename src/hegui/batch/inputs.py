"""Which files a batch scans: the paths a user named, and the APKs found under the directories they named;
http(s) URLs (fetched inside each scan, `hegui.batch.download`); and the lines of ``@LIST`` files.

A list file (``hegui scan @urls.txt``) holds one URL or path per line; blank lines and lines starting
with ``#`` are skipped, a relative path is taken relative to the list file's folder, and a line is never
itself expanded as ``@LIST``. (A file whose name starts with ``@`` is named as ``./@name``.)

Symlinks: a directory tree handed to hegui may come from a third party (an app-store drop, an unpacked
upload), so walking it must not leak out of it. Symlinked *directories* are never descended (which also
makes link loops harmless); a symlinked *file* is taken only when its target lies inside the directory
tree being walked. A path named explicitly on the command line is taken as given: the user chose it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from hegui.batch.download import UrlInput, is_url
from hegui.batch.runner import BatchError

# Package kinds scanned when walking a directory (lower-case suffixes): apps and Android SDK packages. JARs are
# left out of walks (a tree of builds or tools holds many that are no Android SDK); a file named explicitly, or
# in an @LIST file, is scanned whatever its suffix. Mini-programs, quick apps and HarmonyOS modules too (issue 13).
INPUT_SUFFIXES: tuple[str, ...] = (".apk", ".aar", ".wxapkg", ".rpk", ".hap")


def _inside(target: Path, roots: list[Path]) -> bool:
    return any(target == root or target.is_relative_to(root) for root in roots)


def _walk(root: Path) -> list[Path]:
    resolved_root = root.resolve()
    found: list[Path] = []
    # followlinks=False: symlinked directories are listed but never entered, so loops cannot occur.
    for dirpath, _dirnames, filenames in os.walk(root, followlinks=False):
        for name in filenames:
            if not name.lower().endswith(INPUT_SUFFIXES):
                continue
            candidate = Path(dirpath) / name
            if candidate.is_symlink():
                try:
                    target = candidate.resolve(strict=True)
                except (OSError, RuntimeError):  # dangling link or a loop of file links
                    continue
                if not (target.is_file() and _inside(target, [resolved_root])):
                    continue
            elif not candidate.is_file():
                continue
            found.append(candidate)
    return found


def _list_file_lines(list_file: Path) -> list[str]:
    try:
        text = list_file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or type(err).__name__
        raise BatchError(f"cannot read input list {list_file}: {reason}") from None
    entries: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        entries.append(line if is_url(line) else str(list_file.parent / line))
    return entries


def expand_arguments(arguments: Iterable[str]) -> list[str]:
    """Command-line inputs with every ``@LIST`` replaced by its lines. Raises `BatchError` (one line)
    when a list file cannot be read."""
    expanded: list[str] = []
    for argument in arguments:
        if argument.startswith("@") and len(argument) > 1:
            expanded.extend(_list_file_lines(Path(argument[1:])))
        else:
            expanded.append(argument)
    return expanded


def collect_inputs(paths: Iterable[Path | str | UrlInput]) -> list[Path | UrlInput]:
    """Files named in `paths` as given, every ``*.apk`` and ``*.aar`` under each directory (recursively), and URLs.

    A string that starts with ``http://`` or ``https://`` is a URL, any other a path. Sorted by index key
    (absolute path or redacted URL), each input once even if named twice or reached through two roots
    (URLs differing only in their query string are one object). A named path that does not exist is
    kept: the batch records it as failed with its reason rather than silently dropping what the user
    asked for.
    """
    seen: dict[str, Path | UrlInput] = {}
    for given in paths:
        if isinstance(given, str) and is_url(given):
            given = UrlInput(given.strip())
        if isinstance(given, UrlInput):
            seen.setdefault(given.key, given)
            continue
        given = Path(given)
        found = _walk(given) if given.is_dir() else [given]
        for path in found:
            seen.setdefault(os.path.abspath(path), path)
    return [seen[key] for key in sorted(seen)]
