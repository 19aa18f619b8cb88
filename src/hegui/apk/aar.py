"""SDK packages: an AAR (Android library) or a JAR, read like an APK without extracting anything.

An AAR is a zip holding a text ``AndroidManifest.xml`` (merged into every host app's manifest at build
time: its permissions and components become the app's), ``classes.jar`` (the library's code), ``libs/*.jar``
(bundled libraries), ``jni/<abi>/*.so`` and ``assets/``. A JAR holds class files. `open_package` decides
what an input is from its entries, not its file name:

- ``classes*.dex`` or a binary manifest → an APK (`hegui.apk.apk`);
- ``classes.jar``, or a text manifest without DEX → an AAR;
- ``*.class`` entries → a JAR;
- anything else → read as an APK, which refuses it with today's one-line reason.

Nested JARs are read in memory through the same tolerant, bounded zip reader; entry names are data, only ever
shown escaped. The work one package may cause is bounded here by what the code reader cannot see across JARs:
how many JARs are read, their bytes, and the class-file bytes of all of them together (the reader of each JAR
bounds its classes, methods and references, `hegui.jvm.program.Allowance`). Once a bound is reached one
problem line says so and nothing more is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hegui.apk.apk import MANIFEST_NAME, MAX_MANIFEST_BYTES, Apk, read_apk
from hegui.apk.archive import DEFAULT_LIMITS, ApkArchive, ArchiveLimits, EntryTooLargeError, shown_name
from hegui.apk.axml import is_binary_xml
from hegui.apk.manifest import Manifest, parse_manifest
from hegui.errors import InputError

CLASSES_JAR = "classes.jar"
MAX_CLASS_ENTRY = 16 * 2**20  # one .class file
# Class files are swept by Python at 1.5 to 5 MB/s (calls are the slow case): 32 MiB of them keep one package
# well inside the 60 s scan budget, and hold the largest real SDKs (a fat 15 MB classes.jar).
MAX_CLASS_BYTES = 32 * 2**20  # all class files of one package together
MAX_JAR_BYTES = 256 * 2**20  # all nested JARs of one AAR together (each is held in memory while read)
MAX_JARS = 4  # classes.jar and libs/*.jar: each may hold the JVM reader's per-program limits
MAX_PROBLEMS = 100  # lines about reading the code; one more line says the rest are not listed
MAX_AAR_MANIFEST_BYTES = 2**20  # a text manifest is parsed by Python; real ones are a few KB
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
    _class_bytes: int = field(default_factory=lambda: MAX_CLASS_BYTES)  # left to read
    _jar_bytes: int = field(default_factory=lambda: MAX_JAR_BYTES)
    _stopped: bool = False  # a package-wide bound was reached: nothing more is read

    def close(self) -> None:
        self.apk.close()

    def class_entries(self, jar_name: str) -> Iterator[tuple[str, bytes]]:
        """(shown entry name, bytes) of each class file of one JAR, in the JAR's order. What cannot be read
        (a truncated JAR, a bomb, a package-wide bound reached) is recorded in `problems` and skipped."""
        if self._stopped:
            return
        archive = self.apk.archive
        if self.kind == "aar":
            try:
                data = archive.read(jar_name, max_size=self._jar_bytes)
                archive = _nested_archive(self.apk.path, jar_name, data, archive.limits)
            except EntryTooLargeError as exc:
                self._too_large(jar_name, exc, self._jar_bytes < archive.limits.max_entry_size,
                                f"the nested JARs of one package may hold {MAX_JAR_BYTES} bytes together")
                return
            except InputError as exc:
                self._problem(f"{shown_name(jar_name)}: {exc}")
                return
            self._jar_bytes -= len(data)
        try:
            for name in class_file_names(archive.names):
                try:
                    data = archive.read(name, max_size=min(MAX_CLASS_ENTRY, self._class_bytes))
                except EntryTooLargeError as exc:
                    if self._too_large(jar_name, exc, self._class_bytes < MAX_CLASS_ENTRY,
                                       f"the class files of one package may hold {MAX_CLASS_BYTES} bytes together"):
                        return
                    continue
                except InputError as exc:
                    self._problem(f"{shown_name(jar_name)}: {exc}")
                    continue
                self._class_bytes -= len(data)
                yield shown_name(name), data
        finally:
            if archive is not self.apk.archive:  # the top-level archive's notes are reported with the container's
                for p in archive.problems:
                    self._problem(f"{shown_name(jar_name)}: {p}")
                archive.close()

    def _too_large(self, jar_name: str, exc: EntryTooLargeError, budget_was_the_limit: bool, budget: str) -> bool:
        """An entry refused for its size: when the package-wide budget (smaller than the per-entry limit) was
        what refused it, nothing more is read (returns True); else only this entry is skipped."""
        if budget_was_the_limit:
            self._stop(f"{shown_name(jar_name)}: {exc}; no more code is read ({budget})")
        else:
            self._problem(f"{shown_name(jar_name)}: {exc}")
        return budget_was_the_limit

    def _problem(self, line: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(line)
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append(f"further problems reading the code are not listed (only the first {MAX_PROBLEMS})")

    def _stop(self, line: str) -> None:
        self._stopped = True
        self.problems.append(line)


JAR_MANIFEST = "META-INF/MANIFEST.MF"


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
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
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
        if kind == "apk" and JAR_MANIFEST in archive and MANIFEST_NAME not in archive:
            raise InputError("a JAR without class files: nothing to scan")
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
                manifest = parse_manifest(archive.read(MANIFEST_NAME, max_size=MAX_AAR_MANIFEST_BYTES))
                problems.extend(f"manifest: {p}" for p in manifest.problems)
            except InputError as exc:
                problems.append(f"manifest: {exc}")
        jars = [CLASSES_JAR] if CLASSES_JAR in archive else []
        if not jars:
            problems.append(f"code: {CLASSES_JAR} missing")
        jars += sorted(n for n in archive.names if _LIB_JAR.fullmatch(n))
        if len(jars) > MAX_JARS:
            problems.append(f"code: {len(jars) - MAX_JARS} of {len(jars)} JARs not read ({', '.join(map(shown_name, jars[MAX_JARS:MAX_JARS + 3]))}"
                            f"{', …' if len(jars) > MAX_JARS + 3 else ''}): one package is read for at most {MAX_JARS}")
            jars = jars[:MAX_JARS]
        native_libs = [n for n in archive.names if _JNI_LIB.fullmatch(n)]
    else:
        jars = [path.name]
        native_libs = []
    problems[:0] = [f"archive: {p}" for p in archive.problems]
    apk = Apk(path=path, archive=archive, manifest=manifest, resources=None, label=None, native_libs=native_libs,
              problems=problems)
    return SdkPackage(kind=kind, apk=apk, jar_names=jars)
