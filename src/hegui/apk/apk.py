"""`open_apk`: one call that reads everything hegui needs from an APK container (not the DEX code).

Each stage (archive, manifest, resources, signing, dex) records what went wrong as a one-line,
stage-prefixed problem; only an input with nothing APK-like in it raises InputError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from hegui.apk.archive import DEFAULT_LIMITS, ApkArchive, ArchiveLimits, shown_name
from hegui.apk.manifest import Manifest, parse_manifest
from hegui.apk.resources import ResourceTable
from hegui.apk.signing import SignerCert, read_signers
from hegui.errors import InputError

MANIFEST_NAME = "AndroidManifest.xml"
RESOURCES_NAME = "resources.arsc"
MAX_MANIFEST_BYTES = 16 * 2**20
_MAX_RESOURCES = 128 * 2**20
_NATIVE_LIB = re.compile(r"lib/[^/]+/[^/]+\.so")
_DEX = re.compile(r"classes(\d*)\.dex")


@dataclass
class Apk:
    path: Path
    archive: ApkArchive
    manifest: Manifest
    resources: ResourceTable | None
    label: str | None  # resolved app label (default locale; the raw literal if literal)
    labels: dict[str, str] = field(default_factory=dict)  # locale -> label
    icon_files: list[str] = field(default_factory=list)  # launcher/app icon entries, every density
    signers: list[SignerCert] = field(default_factory=list)
    dex_names: list[str] = field(default_factory=list)  # Android load order: classes.dex, classes2.dex, ...
    native_libs: list[str] = field(default_factory=list)  # lib/<abi>/*.so entries
    problems: list[str] = field(default_factory=list)  # one line each, stage-prefixed ("manifest: ...")

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> Apk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def dex_load_order(names: list[str]) -> tuple[list[str], list[str]]:
    """(dex entries Android loads, in order; problems). ART loads classes.dex, classes2.dex, ... and stops
    at the first missing number, so a dex after a gap is never loaded."""
    present = set(names)
    loaded: list[str] = []
    index = 1
    while True:
        name = "classes.dex" if index == 1 else f"classes{index}.dex"
        if name not in present:
            break
        loaded.append(name)
        index += 1
    problems = [f"dex: {shown_name(n)} is never loaded by Android (classes{index if index > 1 else ''}.dex "
                "is missing)" for n in names if _DEX.fullmatch(n) and n not in loaded]
    return loaded, problems


def _read_manifest(archive: ApkArchive, problems: list[str]) -> tuple[Manifest, bool]:
    if MANIFEST_NAME not in archive:
        problems.append(f"manifest: {MANIFEST_NAME} missing")
        return Manifest(), False
    try:
        manifest = parse_manifest(archive.read(MANIFEST_NAME, max_size=MAX_MANIFEST_BYTES))
    except InputError as exc:
        problems.append(f"manifest: {exc}")
        return Manifest(), False
    problems.extend(f"manifest: {p}" for p in manifest.problems)
    return manifest, True


def _read_resources(archive: ApkArchive, problems: list[str]) -> ResourceTable | None:
    if RESOURCES_NAME not in archive:
        return None
    try:
        table = ResourceTable.parse(archive.read(RESOURCES_NAME, max_size=_MAX_RESOURCES))
    except InputError as exc:
        problems.append(f"resources: {exc}")
        return None
    problems.extend(p if p.startswith("resources") else f"resources: {p}" for p in table.problems)
    return table


def _resolve_texts(manifest: Manifest, resources: ResourceTable | None,
                   problems: list[str]) -> tuple[str | None, dict[str, str]]:
    raw = manifest.label
    labels: dict[str, str] = {}
    label: str | None = raw
    if raw is not None and raw.startswith("@"):
        labels = resources.resolve_strings_all(raw) if resources else {}
        label = resources.resolve_string(raw) if resources else None
        if label is None:
            where = "not found" if resources else f"unresolvable (no readable {RESOURCES_NAME})"
            problems.append(f"resources: app label {raw} {where}")
    elif raw is not None:
        labels = {"": raw}
    version = manifest.version_name
    if version is not None and version.startswith("@") and resources is not None:
        # The package manager (and aapt) show the referenced string, not the id.
        resolved = resources.resolve_string(version)
        if resolved is not None:
            manifest.version_name = resolved
    return label, labels


def open_apk(path: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> Apk:
    """Open and read an APK. Raises InputError (one line) when nothing APK-like can be read."""
    path = Path(path)
    archive = ApkArchive.open(path, limits)
    try:
        return read_apk(path, archive)
    except BaseException:
        archive.close()
        raise


def read_apk(path: Path, archive: ApkArchive) -> Apk:
    """The APK in an opened archive (manifest, resources, DEX names, signers). Raises InputError when the
    archive holds neither a manifest nor DEX."""
    problems: list[str] = []
    manifest, manifest_ok = _read_manifest(archive, problems)
    dex_names, dex_problems = dex_load_order(archive.names)
    if not manifest_ok and not dex_names:
        reason = problems[-1].removeprefix("manifest: ") if problems else "no manifest"
        raise InputError(f"not an APK: {reason} and no classes.dex")
    resources = _read_resources(archive, problems)
    label, labels = _resolve_texts(manifest, resources, problems)
    icon_files: list[str] = []
    if manifest.icon and manifest.icon.startswith("@") and resources is not None:
        icon_files = [f for f in resources.resolve_files(manifest.icon) if f in archive]
    signers, signing_problems = read_signers(archive, path)
    problems.extend(f"signing: {p}" for p in signing_problems)
    problems.extend(dex_problems)
    native_libs = [n for n in archive.names if _NATIVE_LIB.fullmatch(n)]
    # Archive notes last: reads above may have added some (unknown methods, size mismatches).
    problems[:0] = [f"archive: {p}" for p in archive.problems]
    return Apk(path=path, archive=archive, manifest=manifest, resources=resources, label=label,
               labels=labels, icon_files=icon_files, signers=signers, dex_names=dex_names,
               native_libs=native_libs, problems=problems)
