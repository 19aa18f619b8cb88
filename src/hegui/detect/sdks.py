"""Third-party SDK identification from DEX class names, manifest components, meta-data keys and native libraries.

The signatures are data (``hegui/knowledge/sdks.yaml``); this module only indexes them and matches.

Class attribution picks the *longest* SDK package prefix on whole package segments (``com.umeng`` matches
``com.umeng.x.Y`` but not ``com.umengfoo.Y``), so a specific SDK nested in a vendor namespace wins
(``com.tencent.mm.opensdk`` → WeChat OpenSDK, other ``com.tencent.mm`` classes → WeChat). Classes of the app's
own code namespaces are never attributed to an SDK whose prefix is as short as or shorter than the namespace
(the app ``cn.jiguang.jmlinkdemo`` is not the Jiguang SDK), unless a longer SDK prefix lies inside it. The code
namespace may differ from the manifest package (Gradle ``namespace`` vs ``applicationId``): the Jiguang demo's
package is ``com.jiguang.jmlinkdemo`` while its classes live in ``cn.jiguang.jmlinkdemo``, so callers pass the
extra namespaces found by `app_code_namespaces`.

Everything matched here comes from an APK and is attacker-controlled: it is only compared, never used as a path.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hegui.knowledge import load_yaml

MAX_EVIDENCE = 5
# an obfuscator's package names: one or two lowercase letters (com.facebook.a.a, com.huawei.b)
_OBFUSCATED_SEGMENT = re.compile(r"[a-z]{1,2}")
DECLARED_ONLY_EVIDENCE = "declared only: the manifest names its components but no class of the SDK is in the DEX"


@dataclass(frozen=True, slots=True)
class SdkInfo:
    id: str
    name_zh: str
    name_en: str
    company: str | None
    category: str
    packages: tuple[str, ...]
    components: tuple[str, ...]
    meta_data: tuple[str, ...]
    native_libs: tuple[str, ...]
    keep_alive: bool
    hot_update: bool
    collects: tuple[str, ...]
    aliases: tuple[str, ...]
    policy_url: str | None
    parents: tuple[str, ...] = ()
    library: bool = False  # open-source development library: identified only when asked for
    obfuscated_in: tuple[str, ...] = ()  # vendor namespaces whose obfuscated subpackages are this SDK's

    @property
    def name(self) -> str:
        """Display name for reports: ``友盟+ 统计 (Umeng Analytics)``."""
        if self.name_en and self.name_en != self.name_zh:
            return f"{self.name_zh} ({self.name_en})"
        return self.name_zh


def _tuple(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _sdk_info(entry: Mapping[str, Any]) -> SdkInfo:
    """One ``sdks.yaml`` entry → `SdkInfo`. The loader has already checked the entry against its schema
    (`hegui.knowledge.schema_catalog.SdkEntry`: keys, id pattern, types, non-empty names; category and parents
    against the other files), so nothing is checked again here."""
    return SdkInfo(
        id=entry["id"], name_zh=entry["name_zh"], name_en=entry["name_en"],
        company=entry["company"], category=entry["category"],
        packages=_tuple(entry.get("packages")), components=_tuple(entry.get("components")),
        meta_data=_tuple(entry.get("meta_data")), native_libs=_tuple(entry.get("native_libs")),
        keep_alive=entry.get("keep_alive", False), hot_update=entry.get("hot_update", False),
        collects=_tuple(entry.get("collects")), aliases=_tuple(entry.get("aliases")),
        policy_url=entry.get("policy_url"), parents=_tuple(entry.get("parent")),
        library=entry.get("library", False), obfuscated_in=_tuple(entry.get("obfuscated_in")),
    )


@cache
def sdk_catalog() -> dict[str, SdkInfo]:
    """All SDKs of ``sdks.yaml`` by id (cached; treat as read-only)."""
    return {entry["id"]: _sdk_info(entry) for entry in load_yaml("sdks.yaml")["sdks"]}  # ids: unique (schema)


def ancestors(sdk_id: str, catalog: dict[str, SdkInfo] | None = None) -> tuple[str, ...]:
    """Parents, grandparents… of an SDK, nearest first (``umeng_push`` → ``("umeng",)``)."""
    cat = catalog if catalog is not None else sdk_catalog()
    out: list[str] = []
    todo = list(cat[sdk_id].parents)
    while todo:
        parent = todo.pop(0)
        if parent not in out and parent in cat:
            out.append(parent)
            todo.extend(cat[parent].parents)
    return tuple(out)


def _outer_class(class_name: str) -> str:
    # "a.b.C$Inner" is attributed like "a.b.C" (class-name signatures name the outer class)
    return class_name.split("$", 1)[0]


def app_code_namespaces(app_package: str | None, entry_classes: Iterable[str | None],
                        class_names: Iterable[str]) -> tuple[str, ...]:
    """Packages holding the app's own code: the manifest package, plus the package of each entry class
    (``Application`` subclass, launcher activity) that is a module root, i.e. defines ``R`` or ``BuildConfig``.

    The module-root check keeps an SDK class used directly as the Application (Tinker's ``TinkerApplication``,
    ``MultiDexApplication``) from making its SDK look like app code.
    """
    defined = set(class_names)
    out = [app_package] if app_package else []
    for entry in entry_classes:
        if not entry:
            continue
        package = _outer_class(entry).rpartition(".")[0]
        if package and package not in out and (f"{package}.R" in defined or f"{package}.BuildConfig" in defined):
            out.append(package)
    return tuple(out)


class SdkAttributor:
    """Maps a class name to the SDK it belongs to. Built once per APK; `sdk_of` is a few dict lookups."""

    def __init__(self, catalog: dict[str, SdkInfo] | None = None, app_package: str | None = None,
                 *, app_namespaces: Iterable[str] = (), include_libraries: bool = False) -> None:
        self.catalog = catalog if catalog is not None else sdk_catalog()
        self.include_libraries = include_libraries
        self.app_package = app_package or None
        # each app namespace with its depth in segments
        self._app_spaces = [(ns, ns.count(".") + 1) for ns in dict.fromkeys([app_package or "", *app_namespaces]) if ns]
        self._prefix_owner: dict[str, str] = {}
        for info in self.catalog.values():
            for prefix in info.packages:
                self._prefix_owner.setdefault(prefix, info.id)
        self._max_depth = max((p.count(".") + 1 for p in self._prefix_owner), default=0)
        self._obfuscated_owner: dict[str, str] = {}
        for info in self.catalog.values():
            for vendor in info.obfuscated_in:
                self._obfuscated_owner.setdefault(vendor, info.id)
        self._package_cache: dict[str, tuple[str, str] | None] = {}

    def _longest_prefix(self, dotted: str) -> tuple[str, str] | None:
        parts = dotted.split(".")
        for n in range(min(len(parts), self._max_depth), 0, -1):
            prefix = ".".join(parts[:n])
            owner = self._prefix_owner.get(prefix)
            if owner is not None:
                return owner, prefix
        return self._obfuscated_in_vendor(parts)

    def _obfuscated_in_vendor(self, parts: list[str]) -> tuple[str, str] | None:
        """``com.facebook.a.a`` → the SDK that claims ``com.facebook``'s obfuscated subpackages: everything below
        the vendor namespace is obfuscator output, so it cannot be another product of that vendor by name."""
        for n in range(len(parts) - 1, 1, -1):
            vendor = ".".join(parts[:n])
            owner = self._obfuscated_owner.get(vendor)
            if owner is not None:
                if all(_OBFUSCATED_SEGMENT.fullmatch(s) for s in parts[n:]):
                    return owner, vendor
                return None
        return None

    def _app_depth(self, name: str) -> int:
        """Depth of the deepest app namespace holding ``name`` (0 when none does)."""
        return max((depth for ns, depth in self._app_spaces if name == ns or name.startswith(ns + ".")), default=0)

    def match(self, class_name: str) -> tuple[str, str] | None:
        """(sdk id, matched prefix) for a dotted class name, or None for app or unknown code."""
        name = _outer_class(class_name)
        package, _, _ = name.rpartition(".")
        found = None
        if name in self._prefix_owner:  # a full class name listed as a signature
            found = self._prefix_owner[name], name
        else:
            if package not in self._package_cache:
                self._package_cache[package] = self._longest_prefix(package) if package else None
            found = self._package_cache[package]
        if found is None:
            return None
        sdk_id, prefix = found
        if self._app_spaces and prefix.count(".") + 1 <= self._app_depth(name):
            return None  # the app's own code, even when its package starts like an SDK's
        if not self.include_libraries and self.catalog[sdk_id].library:
            return None
        return found

    def sdk_of(self, class_name: str) -> str | None:
        found = self.match(class_name)
        return found[0] if found else None


@dataclass
class SdkMatch:
    id: str
    packages: list[str] = field(default_factory=list)   # prefixes that matched
    evidence: list[str] = field(default_factory=list)   # at most MAX_EVIDENCE lines, most specific first
    # components/meta-data declared, yet none of the SDK's code is in the APK (no class, no native library):
    # a leftover of a removed SDK or a copied manifest; it cannot run, so no behaviour is judged for it
    declared_only: bool = False


@dataclass
class _Found:
    prefixes: dict[str, str] = field(default_factory=dict)  # prefix → smallest class seen under it
    has_code: bool = False  # a defined class (or a declared component whose class is defined) is the SDK's
    components: list[str] = field(default_factory=list)
    meta_data: list[str] = field(default_factory=list)
    native_libs: list[str] = field(default_factory=list)


class _SideIndex:
    """Exact, prefix and suffix component names, meta-data keys and native-library names of the catalog."""

    def __init__(self, catalog: dict[str, SdkInfo]) -> None:
        self.component_exact: dict[str, str] = {}
        self.component_prefix: list[tuple[str, str]] = []
        self.component_suffix: list[tuple[str, str]] = []
        self.meta: dict[str, str] = {}
        self.lib_exact: dict[str, str] = {}
        self.lib_glob: list[tuple[str, str]] = []
        for info in catalog.values():
            for c in info.components:
                if c.startswith("."):
                    self.component_suffix.append((c, info.id))
                elif c.endswith("."):
                    self.component_prefix.append((c, info.id))
                else:
                    self.component_exact.setdefault(c, info.id)
            for key in info.meta_data:
                self.meta.setdefault(key, info.id)
            for lib in info.native_libs:
                if "*" in lib:
                    self.lib_glob.append((lib, info.id))
                else:
                    self.lib_exact.setdefault(lib, info.id)
        # longest patterns first, so the most specific one wins
        self.component_prefix.sort(key=lambda t: -len(t[0]))
        self.component_suffix.sort(key=lambda t: -len(t[0]))
        self.lib_glob.sort(key=lambda t: -len(t[0]))

    def app_side(self, name: str) -> bool:
        """The component matched only a suffix signature: a class the app writes in its own package (the WeChat
        callback ``<package>.wxapi.WXEntryActivity``), so its presence in the DEX is not the SDK's code."""
        return (name not in self.component_exact and not any(name.startswith(p) for p, _ in self.component_prefix)
                and any(name.endswith(s) for s, _ in self.component_suffix))

    def component(self, name: str) -> str | None:
        if name in self.component_exact:
            return self.component_exact[name]
        for prefix, sdk_id in self.component_prefix:
            if name.startswith(prefix):
                return sdk_id
        for suffix, sdk_id in self.component_suffix:
            if name.endswith(suffix):
                return sdk_id
        return None

    def native_lib(self, file_name: str) -> str | None:
        if file_name in self.lib_exact:
            return self.lib_exact[file_name]
        for pattern, sdk_id in self.lib_glob:
            if fnmatch.fnmatchcase(file_name, pattern):
                return sdk_id
        return None


@cache
def _side_index_of_default() -> _SideIndex:
    return _SideIndex(sdk_catalog())


def _component_item(item: str | tuple[str, str]) -> tuple[str, str]:
    if isinstance(item, tuple):
        kind, name = item
        return str(kind), str(name)
    return "component", str(item)


def identify_sdks(class_names: Iterable[str], *, app_package: str | None, app_namespaces: Iterable[str] = (),
                  component_names: Iterable[str | tuple[str, str]] = (), meta_data_keys: Iterable[str] = (),
                  native_libs: Iterable[str] = (), catalog: dict[str, SdkInfo] | None = None,
                  include_libraries: bool = False) -> list[SdkMatch]:
    """SDKs present in an APK, sorted by id.

    ``class_names``: dotted names of classes *defined* in the APK's DEX. ``component_names``: manifest
    component class names, or ``(kind, name)`` pairs (kind = activity/service/receiver/provider) for nicer
    evidence. ``native_libs``: ``lib/<abi>/libX.so`` paths or bare file names. Obfuscated apps are still
    recognised by components, meta-data and native libraries. ``app_namespaces``: extra packages of the app's
    own code (see `app_code_namespaces`). Development libraries (``library: true``) are
    left out unless ``include_libraries``.
    """
    cat = catalog if catalog is not None else sdk_catalog()
    side = _side_index_of_default() if catalog is None else _SideIndex(cat)
    attributor = SdkAttributor(cat, app_package, app_namespaces=app_namespaces, include_libraries=include_libraries)
    found = _Findings(cat, include_libraries)
    defined = found.classes(class_names, attributor)
    found.components(component_names, side, attributor, defined)
    found.side_signals(meta_data_keys, native_libs, side)
    return [_to_match(sdk_id, f) for sdk_id, f in sorted(found.by_id.items())]


class _Findings:
    """What each signal says of which SDK, gathered signal by signal (`identify_sdks`)."""

    def __init__(self, catalog: dict[str, SdkInfo], include_libraries: bool) -> None:
        self.catalog = catalog
        self.include_libraries = include_libraries
        self.by_id: dict[str, _Found] = {}

    def slot(self, sdk_id: str) -> _Found | None:
        """The SDK's record, None for a development library not asked for (its class prefixes are never
        matched then either: the attributor skips them)."""
        if not self.include_libraries and self.catalog[sdk_id].library:
            return None
        return self.by_id.setdefault(sdk_id, _Found())

    def classes(self, class_names: Iterable[str], attributor: SdkAttributor) -> set[str]:
        """Defined classes under an SDK's package prefix (the smallest class per prefix is the evidence);
        returns every defined class name."""
        defined: set[str] = set()
        for class_name in class_names:
            defined.add(class_name)
            hit = attributor.match(class_name)
            if hit is None:
                continue
            sdk_id, prefix = hit
            f = self.by_id.setdefault(sdk_id, _Found())
            f.has_code = True
            seen = f.prefixes.get(prefix)
            if seen is None or class_name < seen:
                f.prefixes[prefix] = class_name
        return defined

    def components(self, component_names: Iterable[str | tuple[str, str]], side: _SideIndex,
                   attributor: SdkAttributor, defined: set[str]) -> None:
        """Manifest components named by an SDK's component signatures, or under its package prefixes."""
        for item in component_names:
            kind, name = _component_item(item)
            sdk_id = side.component(name)
            prefix = None
            if sdk_id is None:
                hit = attributor.match(name)
                if hit is None:
                    continue
                sdk_id, prefix = hit
            f = self.slot(sdk_id)
            if f is None:
                continue
            f.components.append(f"manifest {kind} {name}")
            if name in defined and not side.app_side(name):  # component classes keep their names in obfuscated APKs
                f.has_code = True
            if prefix is not None:
                f.prefixes.setdefault(prefix, name)

    def side_signals(self, meta_data_keys: Iterable[str], native_libs: Iterable[str], side: _SideIndex) -> None:
        """Meta-data keys and native libraries (a native library is code: the SDK is present, not declared only)."""
        for key in meta_data_keys:
            sdk_id = side.meta.get(key)
            if sdk_id is not None and (f := self.slot(sdk_id)) is not None:
                f.meta_data.append(f"meta-data {key}")
        for path in native_libs:
            sdk_id = side.native_lib(posixpath.basename(path))
            if sdk_id is not None and (f := self.slot(sdk_id)) is not None:
                f.native_libs.append(f"native lib {path}")
                f.has_code = True


def _to_match(sdk_id: str, f: _Found) -> SdkMatch:
    # one example class per matched prefix, the longest (most specific) prefix first
    prefixes = sorted(f.prefixes, key=lambda p: (-p.count("."), p))
    classes = [f"class {f.prefixes[p]}" for p in prefixes if f.prefixes[p] and not _is_component(f, f.prefixes[p])]
    kinds = [classes, sorted(set(f.components)), sorted(set(f.meta_data)), sorted(set(f.native_libs))]
    declared_only = _declared_only(f)
    evidence: list[str] = [DECLARED_ONLY_EVIDENCE] if declared_only else []
    # each kind of evidence gets a place before any kind gets a second line
    for depth in range(MAX_EVIDENCE):
        for lines in kinds:
            if depth < len(lines) and len(evidence) < MAX_EVIDENCE:
                evidence.append(lines[depth])
    return SdkMatch(id=sdk_id, packages=sorted(f.prefixes), evidence=evidence, declared_only=declared_only)


def _declared_only(f: _Found) -> bool:
    """Components are declared, yet no class of the SDK is defined. Reliable because obfuscators keep the
    names of manifest components; meta-data alone says nothing (the SDK's other classes may all be renamed)."""
    return bool(f.components) and not f.has_code


def _is_component(f: _Found, name: str) -> bool:
    return any(line.endswith(" " + name) for line in f.components)
