"""One mini-program, quick app or HarmonyOS module as a set of named files, whatever container it came in.

Forms (`kind`): ``wxapkg`` (WeChat package, plain or PC-encrypted), ``miniapp_dir`` (a folder of unpacked or source
mini-program files), ``rpk`` (quick app, a ZIP), ``hap`` (HarmonyOS module, a ZIP). Names use "/" and have no
leading "/". Nothing here writes files; a name is never turned into a path except under the folder the user named,
after it was checked not to leave it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hegui.apk.archive import ApkArchive, ArchiveLimits
from hegui.errors import InputError
from hegui.miniapp import wxapkg

MAX_PACKAGE_BYTES = 256 * 2**20  # a wxapkg is read whole; WeChat caps a main package at 2 MiB, all at 20–30 MiB
MAX_ENTRY_BYTES = 32 * 2**20
MAX_DIR_FILES = 20_000
MAX_DIR_BYTES = 512 * 2**20
KINDS = ("wxapkg", "miniapp_dir", "rpk", "hap")
SUFFIX_KIND = {".wxapkg": "wxapkg", ".rpk": "rpk", ".hap": "hap"}
DIR_MARKERS = ("app.json", "app-config.json", "game.json", "project.config.json")  # WeChat source trees
_SKIP_DIRS = {"node_modules", ".git", "miniprogram_npm"}


@dataclass(slots=True)
class MiniPackage:
    kind: str
    path: Path
    names: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    decrypted: bool = False  # a PC-encrypted wxapkg read with its appid
    appid: str | None = None
    _blob: bytes = b""
    _entries: dict[str, wxapkg.WxEntry] = field(default_factory=dict)
    _archive: ApkArchive | None = None
    _files: dict[str, Path] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self._entries or name in self._files or (self._archive is not None and name in self._archive)

    def size_of(self, name: str) -> int | None:
        if name in self._entries:
            return self._entries[name].size
        if name in self._files:
            return self._files[name].stat().st_size
        return self._archive.size_of(name) if self._archive is not None else None

    def read(self, name: str, max_size: int = MAX_ENTRY_BYTES) -> bytes:
        """The bytes of one file. Raises `InputError` (one line) for a missing or oversized one."""
        if name in self._entries:
            e = self._entries[name]
            if e.size > max_size:
                raise InputError(f"'{wxapkg.shown(name)}' has {e.size} bytes, above the limit of {max_size}")
            return self._blob[e.offset:e.offset + e.size]
        if name in self._files:
            p = self._files[name]
            size = p.stat().st_size
            if size > max_size:
                raise InputError(f"'{wxapkg.shown(name)}' has {size} bytes, above the limit of {max_size}")
            return p.read_bytes()
        if self._archive is not None:
            return self._archive.read(name, max_size=max_size)
        raise InputError(f"no file '{wxapkg.shown(name)}' in the package")

    def text(self, name: str) -> str | None:
        """A file decoded as UTF-8 (BOM dropped), None when absent or unreadable (the reason goes to problems)."""
        if name not in self:
            return None
        try:
            return self.read(name).decode("utf-8-sig", errors="replace")
        except InputError as exc:
            self.problems.append(str(exc))
            return None

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()


def kind_of(path: Path) -> str | None:
    """The form a path names, from its suffix or (a folder) its marker files; None for anything else."""
    if path.is_dir():
        return "miniapp_dir" if any((path / m).is_file() for m in DIR_MARKERS) else None
    return SUFFIX_KIND.get(path.suffix.lower())


def open_miniapp(path: Path, appid: str | None = None) -> MiniPackage:
    kind = kind_of(path)
    if kind is None:
        raise InputError("not a mini-program, quick app or HarmonyOS package")
    if kind == "miniapp_dir":
        return _open_dir(path)
    if kind == "wxapkg":
        return _open_wxapkg(path, appid)
    archive = ApkArchive.open(path, ArchiveLimits(max_entries=MAX_DIR_FILES, max_total_read=MAX_DIR_BYTES))
    pkg = MiniPackage(kind=kind, path=path, names=list(archive.names), problems=list(archive.problems),
                      _archive=archive)
    marker = "manifest.json" if kind == "rpk" else "module.json"
    if marker not in archive:
        archive.close()
        raise InputError(f"no {marker} in the archive: not a {'quick app' if kind == 'rpk' else 'HarmonyOS'} package")
    return pkg


def _open_wxapkg(path: Path, appid: str | None) -> MiniPackage:
    try:
        size = path.stat().st_size
        if size > MAX_PACKAGE_BYTES:
            raise InputError(f"{size} bytes, above the limit of {MAX_PACKAGE_BYTES} for a wxapkg")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}") from None
    decrypted = False
    if data.startswith(wxapkg.PC_MAGIC):
        appid = appid or wxapkg.appid_in_path(path.resolve().parts[:-1])
        if appid is None:
            raise InputError("PC-encrypted wxapkg (V1MMWX): give its appid with --appid to decrypt it")
        data = wxapkg.decrypt_pc(data, appid)
        if data[:1] != bytes([wxapkg.FIRST_MARK]):
            raise InputError(f"PC-encrypted wxapkg (V1MMWX) does not decrypt with appid {appid}: wrong appid?")
        decrypted = True
    entries, problems = wxapkg.read_index(data)
    return MiniPackage(kind="wxapkg", path=path, names=[e.name for e in entries], problems=problems,
                       decrypted=decrypted, appid=appid if decrypted else None, _blob=data,
                       _entries={e.name: e for e in entries})


def _open_dir(root: Path) -> MiniPackage:
    pkg = MiniPackage(kind="miniapp_dir", path=root)
    total = 0
    base = root.resolve()
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for fn in sorted(filenames):
            p = Path(dirpath, fn)
            if p.is_symlink() or not p.is_file():
                continue  # a link could point outside the folder the user named
            name = p.relative_to(base).as_posix()
            if len(pkg._files) >= MAX_DIR_FILES:
                pkg.problems.append(f"more than {MAX_DIR_FILES} files: the rest are not read")
                pkg.names = list(pkg._files)
                return pkg
            size = p.stat().st_size
            total += size
            if total > MAX_DIR_BYTES:
                pkg.problems.append(f"more than {MAX_DIR_BYTES} bytes of files: the rest are not read")
                pkg.names = list(pkg._files)
                return pkg
            pkg._files[name] = p
    pkg.names = list(pkg._files)
    return pkg
