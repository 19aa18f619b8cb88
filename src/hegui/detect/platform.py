"""Which platform library (AndroidX, support library, Kotlin, Material…) a class belongs to, and its version.

Platform libraries are a subject of their own (``platform:<id>``): their call sites are neither the app's code
nor a third-party SDK's. Third-party SDKs are matched first, so an SDK that happens to live under ``androidx``
(none today) would keep its own subject. The version comes from the ``META-INF/<group>_<artifact>.version``
files the Android Gradle plugin packs into the APK; class names and those files come from the APK and are only
compared, never used as paths.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from hegui.dex import descriptor_to_java
from hegui.errors import InputError
from hegui.knowledge.platform import PlatformLibrary, platform_libraries

MAX_VERSION_FILE_BYTES = 256
_RPARTITION_SLASH = operator.methodcaller("rpartition", "/")
_FIRST = operator.itemgetter(0)
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}")


class PlatformAttributor:
    """Maps a dotted class name to its platform library; the deepest matching prefix wins. A few dict lookups."""

    def __init__(self, libraries: dict[str, PlatformLibrary] | None = None) -> None:
        self.libraries = libraries if libraries is not None else platform_libraries()
        self._owner: dict[str, str] = {}
        for lib in self.libraries.values():
            for prefix in lib.prefixes:
                if self._owner.setdefault(prefix, lib.id) != lib.id:
                    raise ValueError(f"platform_libraries.yaml: prefix {prefix} belongs to two libraries")
        self._max_depth = max((p.count(".") + 1 for p in self._owner), default=0)
        self._cache: dict[str, str | None] = {}

    def library_of(self, class_name: str) -> str | None:
        """Library id of a class (``android.support.v7.widget.RecyclerView$Adapter`` → recyclerview), or None."""
        name = class_name.split("$", 1)[0]
        if name in self._owner:  # a full class name listed as a prefix
            return self._owner[name]
        package = name.rpartition(".")[0]
        if package not in self._cache:
            self._cache[package] = self._deepest(package)
        return self._cache[package]

    def package_library(self, package: str) -> str | None:
        """Library of a dotted package by prefix (classes listed by full name are not considered)."""
        if package not in self._cache:
            self._cache[package] = self._deepest(package)
        return self._cache[package]

    def class_level_packages(self) -> frozenset[str]:
        """Packages holding a class listed by full name (``android.support.v7.widget`` for RecyclerView):
        their classes can belong to different libraries."""
        return frozenset(p.rpartition(".")[0] for p in self._owner if p.rpartition(".")[2][:1].isupper())

    def _deepest(self, package: str) -> str | None:
        parts = package.split(".")
        for n in range(min(len(parts), self._max_depth), 0, -1):
            owner = self._owner.get(".".join(parts[:n]))
            if owner is not None:
                return owner
        return None

    def subject_of(self, class_name: str) -> str | None:
        lib = self.library_of(class_name)
        return self.libraries[lib].subject if lib is not None else None


@dataclass(slots=True)
class PlatformUse:
    """A platform library present in the APK: how many of its classes, and the versions of its artifacts."""

    id: str
    name: str
    classes: int = 0
    versions: dict[str, str] | None = None  # "group:artifact" -> version, from META-INF/*.version


def platform_uses(class_descriptors: Collection[str], entry_names: Iterable[str],
                  read: Callable[[str], bytes], attributor: PlatformAttributor | None = None) -> list[PlatformUse]:
    """Platform libraries whose classes the DEX defines (``Landroidx/core/app/ActivityCompat;``), sorted by id,
    with the versions the APK records.

    Classes are counted per package (one dict update per class: this runs over every class of the APK);
    only packages holding a class listed by full name are looked at class by class. ``entry_names``: the APK's
    file names; ``read(name)`` returns one entry's bytes (only the small ``META-INF/*.version`` files of
    present libraries are read)."""
    att = attributor or PlatformAttributor()
    # "Landroidx/core/app/ActivityCompat;" → "Landroidx/core/app", counted in C (map + Counter), no Python
    # bytecode per class
    per_package = Counter(map(_FIRST, map(_RPARTITION_SLASH, class_descriptors)))
    counts: dict[str, int] = {}
    by_class = att.class_level_packages()
    for package, n in per_package.items():
        dotted = package[1:].replace("/", ".")
        if dotted in by_class:
            continue
        lib = att.package_library(dotted)
        if lib is not None:
            counts[lib] = counts.get(lib, 0) + n
    if by_class.intersection(p[1:].replace("/", ".") for p in per_package):
        for desc in class_descriptors:
            dotted = descriptor_to_java(desc)
            if dotted.rpartition(".")[0] in by_class and (lib := att.library_of(dotted)) is not None:
                counts[lib] = counts.get(lib, 0) + 1
    by_file = {f"META-INF/{a.replace(':', '_')}.version": (lib.id, a)
               for lib in att.libraries.values() for a in lib.artifacts}
    versions: dict[str, dict[str, str]] = {}
    for entry in entry_names:
        hit = by_file.get(entry)
        if hit is None or hit[0] not in counts:
            continue
        try:
            text = read(entry)[:MAX_VERSION_FILE_BYTES].decode("utf-8", "replace").strip()
        except InputError:  # an unreadable version file only costs the version
            continue
        if _VERSION.fullmatch(text):
            versions.setdefault(hit[0], {})[hit[1]] = text
    return [PlatformUse(id=lib_id, name=att.libraries[lib_id].name, classes=n, versions=versions.get(lib_id))
            for lib_id, n in sorted(counts.items())]
