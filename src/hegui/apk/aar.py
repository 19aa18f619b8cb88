"""SDK packages: an AAR (Android library) or a JAR, read like an APK without extracting anything.

An AAR is a zip holding a text ``AndroidManifest.xml`` (merged into every host app's manifest at build
time: its permissions and components become the app's), ``classes.jar`` (the library's code), ``libs/*.jar``
(bundled libraries), ``jni/<abi>/*.so`` and ``assets/``. A JAR holds class files. `open_package` decides
what an input is from its entries, not its file name:

- ``classes*.dex`` or a binary manifest → an APK (`hegui.apk.apk`);
- ``classes.jar``, or a text manifest without DEX → an AAR;
- ``*.class`` entries → a JAR;
- anything else → read as an APK, which refuses it with today's one-line reason.

Nested JARs are read in memory through the same tolerant, bounded zip reader, sharing one byte budget;
entry names are data, only ever shown escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hegui.apk.apk import MANIFEST_NAME, MAX_MANIFEST_BYTES, Apk, read_apk
from hegui.apk.archive import DEFAULT_LIMITS, ApkArchive, ArchiveLimits, shown_name
from hegui.apk.axml import is_binary_xml
from hegui.apk.manifest import Manifest, parse_manifest
from hegui.errors import InputError

CLASSES_JAR = "classes.jar"
MAX_CLASS_ENTRY = 16 * 2**20  # one .class file
MAX_CODE_BYTES = 512 * 2**20  # all JARs and class files of one package together
_DEX = re.compile(r"classes\d*\.dex")
_LIB_JAR = re.compile(r"libs/[^/]+\.jar")
_JNI_LIB = re.compile(r"jni/[^/]+/[^/]+\.so")


@dataclass
class SdkPackage:
    """An AAR or JAR: `apk` is the container as the detectors see it (the AAR's manifest; a JAR has none,
    no resources, no signers); its code is read with `class_entries` for each of `jar_names`."""

    kind: str  # "aar" | "jar"
    apk: Apk
    jar_names: list[str] = field(default_factory=list)  # classes.jar, then libs/*.jar; for a JAR: its own name
    problems: list[str] = field(default_factory=list)  # reading the code: one line each, JAR-prefixed
    _budget: int = MAX_CODE_BYTES

    def close(self) -> None:
        self.apk.close()

    def class_entries(self, jar_name: str) -> Iterator[tuple[str, bytes]]:
        """(shown entry name, bytes) of each class file of one JAR, in the JAR's order. What cannot be read
        (a truncated JAR, a bomb, the byte budget spent) is recorded in `problems` and skipped."""
        archive = self.apk.archive
        if self.kind == "aar":
            try:
                data = archive.read(jar_name, max_size=self._budget)
            except InputError as exc:
                self.problems.append(f"{shown_name(jar_name)}: {exc}")
                return
            self._budget -= len(data)
            try:
                archive = _nested_archive(self.apk.path, jar_name, data, archive.limits)
            except InputError as exc:
                self.problems.append(f"{shown_name(jar_name)}: {exc}")
                return
        for name in class_file_names(archive.names):
            try:
                data = archive.read(name, max_size=min(MAX_CLASS_ENTRY, self._budget))
            except InputError as exc:
                self.problems.append(f"{shown_name(jar_name)}: {exc}")
                continue
            self._budget -= len(data)
            yield shown_name(name), data
        if archive is not self.apk.archive:  # the top-level archive's notes are reported with the container's
            self.problems.extend(f"{shown_name(jar_name)}: {p}" for p in archive.problems)
            archive.close()


def class_file_names(names: list[str]) -> list[str]:
    """Class entries a class loader sees: ``META-INF/`` (multi-release variants, signatures) left out."""
    return [n for n in names if n.endswith(".class") and not n.startswith("META-INF/")]


def _nested_archive(path: Path, name: str, data: bytes, limits: ArchiveLimits) -> ApkArchive:
    return ApkArchive.from_bytes(Path(f"{path}!{name}"), data, limits)


def package_kind(archive: ApkArchive) -> str:
    """"apk", "aar" or "jar", from the entries (see the module docstring)."""
    names = archive.names
    if any(_DEX.fullmatch(n) for n in names):
        return "apk"
    if MANIFEST_NAME in archive:
        try:
            head = archive.read(MANIFEST_NAME, max_size=MAX_MANIFEST_BYTES)
        except InputError:
            head = b""
        if is_binary_xml(head):
            return "apk"
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") or CLASSES_JAR in archive:
            return "aar"
    if CLASSES_JAR in archive:
        return "aar"
    if class_file_names(names):
        return "jar"
    return "apk"


def open_package(path: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> Apk | SdkPackage:
    """Open an APK, AAR or JAR. Raises InputError (one line) when nothing readable is in it."""
    path = Path(path)
    archive = ApkArchive.open(path, limits)
    try:
        kind = package_kind(archive)
        if kind == "apk":
            return read_apk(path, archive)
        return _sdk_package(path, archive, kind)
    except BaseException:
        archive.close()
        raise


def _sdk_package(path: Path, archive: ApkArchive, kind: str) -> SdkPackage:
    problems: list[str] = []
    manifest = Manifest()
    if kind == "aar":
        if MANIFEST_NAME not in archive:
            problems.append(f"manifest: {MANIFEST_NAME} missing")
        else:
            try:
                manifest = parse_manifest(archive.read(MANIFEST_NAME, max_size=MAX_MANIFEST_BYTES))
                problems.extend(f"manifest: {p}" for p in manifest.problems)
            except InputError as exc:
                problems.append(f"manifest: {exc}")
        jars = [CLASSES_JAR] if CLASSES_JAR in archive else []
        if not jars:
            problems.append(f"code: {CLASSES_JAR} missing")
        jars += sorted(n for n in archive.names if _LIB_JAR.fullmatch(n))
        native_libs = [n for n in archive.names if _JNI_LIB.fullmatch(n)]
    else:
        jars = [path.name]
        native_libs = []
    problems[:0] = [f"archive: {p}" for p in archive.problems]
    apk = Apk(path=path, archive=archive, manifest=manifest, resources=None, label=None, native_libs=native_libs,
              problems=problems)
    return SdkPackage(kind=kind, apk=apk, jar_names=jars)
