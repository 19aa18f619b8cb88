"""What the static detectors share: the read APK, the DEX index, SDK attribution and reachability."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from hegui.apk import Apk, Manifest
from hegui.apk.code_names import native_class_names, resource_code_names
from hegui.detect.startup import live_reachability
from hegui.detect.undeclared import UndeclaredComponents
from hegui.dex import DexIndex, MethodInfo, descriptor_to_java
from hegui.dex.callgraph import Reachability
from hegui.dex.framework import call_owners
from hegui.names import java_to_descriptor

if TYPE_CHECKING:
    from hegui.detect.sdks import SdkInfo

SdkOf = Callable[[str], "str | None"]


@dataclass(slots=True)
class CallSite:
    """A call from a defined method to an API (framework or SDK), hierarchy-resolved to its declaring type."""

    caller: MethodInfo
    api_cls: str  # descriptor of the class the API is declared on (after walking up defined superclasses)
    name: str
    proto: str


@dataclass
class StaticContext:
    apk: Apk
    index: DexIndex
    sdk_of: SdkOf
    startup: Reachability
    sdk_info: dict[str, SdkInfo] = field(default_factory=dict)  # identified SDKs, by id
    wanted_calls: frozenset[tuple[str, str]] = frozenset()  # (class descriptor, method) the detectors ask about
    # the manifest is the app's own (an APK): its permissions are all the code can hold. An SDK package's
    # manifest is not: the host app declares the permissions.
    app_manifest: bool = True

    @property
    def manifest(self) -> Manifest:
        return self.apk.manifest

    def subject_of(self, method: MethodInfo) -> str:
        return self.sdk_of(descriptor_to_java(method.cls)) or "app"

    def subject_of_class(self, java_name: str) -> str:
        return self.sdk_of(java_name) or "app"

    @cached_property
    def live(self) -> Reachability:
        """What can run at all (every manifest component and what it reaches); computed when first asked."""
        return live_reachability(self.manifest, self.index, resource_code_names(self.apk.archive), self._native_names)

    @cached_property
    def _native_names(self) -> frozenset[str]:
        return native_class_names(self.apk.archive, self.apk.native_libs)

    def only_on_user_action(self, method: MethodInfo) -> bool:
        """Every path that reaches `method` goes through a user callback (a click, a menu, a list item):
        it runs because the user acted. False for code liveness does not reach at all (not known)."""
        return method.id in self.live.parent and not self.live.reached_without_user(method.id)

    def may_run(self, method: MethodInfo) -> bool:
        """A finding on a call site in `method` may stand: the method is live, or liveness cannot rule it out.

        In an SDK package every public method is the host app's to call. In an APK, code the call graph does
        not reach may still run when its class is loaded by a name built at run time: the class's name (or a
        package prefix of it) is a string of live code, or most declared components are not in the DEX at
        all (a packer or plugin framework loads the real code). Those stay; only code that nothing names is
        dead (`dead_sensitive_calls` in the stats), and so is instance code of an Activity, Service or
        ContentProvider the manifest does not declare: the system never creates one (hegui.detect.undeclared)."""
        if not self.app_manifest:
            return True
        if self._undeclared.never_runs(method):  # no instance of its class ever exists (hegui.detect.undeclared)
            return False
        if method.id in self.live.parent or self._liveness_unsure:
            return True
        return self._named_in_live_code(method.cls)

    @cached_property
    def _undeclared(self) -> UndeclaredComponents:
        return UndeclaredComponents(self)

    @cached_property
    def _liveness_unsure(self) -> bool:
        declared = [c.name for c in self.manifest.components]
        if self.manifest.application_class:
            declared.append(self.manifest.application_class)
        defined = sum(1 for name in declared if java_to_descriptor(name) in self.index.classes)
        return defined * 2 < len(declared) or not defined

    @cached_property
    def _live_names(self) -> frozenset[str]:
        """Dotted names and package prefixes (``com.x.plugin.``) that live code holds as strings; slashes
        (JNI and resource paths) read as dots."""
        index = self.index
        names: set[str] = set()
        for mid in self.live.parent:
            for s in index.strings(index.methods[mid]):
                if len(s) < 200 and ("." in s or "/" in s) and " " not in s:
                    names.add(s.replace("/", "."))
        return frozenset(names)

    @cached_property
    def _named_memo(self) -> dict[str, bool]:
        return {}

    def _named_in_live_code(self, cls: str) -> bool:
        """The class's name, or a package prefix of it, is a string of live code (``"com.x.plugin."`` + a
        computed suffix) or of a native library (``"com.x"``, where it looks classes up or patches them)."""
        got = self._named_memo.get(cls)
        if got is None:
            got = self._named_memo[cls] = self._named(cls)
        return got

    def _named(self, cls: str) -> bool:
        outer = descriptor_to_java(cls).partition("$")[0]
        names, native = self._live_names, self._native_names
        if outer in names or outer in native:
            return True
        parts = outer.split(".")
        return any((package := ".".join(parts[:i])) + "." in names or package in native
                   for i in range(2, len(parts)))

    def at_startup(self, method: MethodInfo) -> bool:
        return method.id in self.startup.parent

    def site_at_startup(self, site: CallSite) -> bool:
        """The call itself runs before consent: its caller is reached and the call is outside a consent guard
        (`if (agreed) tm.getDeviceId()` inside `onCreate` is not)."""
        return self.startup.call_at_startup(site.caller, site.name, site.proto)

    def field_read_at_startup(self, method: MethodInfo, cls: str, name: str) -> bool:
        return self.startup.field_read_at_startup(method, cls, name)

    @cached_property
    def call_sites(self) -> dict[tuple[str, str], list[CallSite]]:
        """Call instructions to the APIs in `wanted_calls`, keyed by (declaring class descriptor, name).

        A call on an app subclass (``MainActivity->startService``) that the APK does not define is keyed by
        the first class up the chain that the APK does not define and by every framework type above it that
        declares the method (``Context#startService``; hegui.dex.framework), which is where catalog APIs are
        named; a call on a framework class (``Activity->startService``) likewise. Each DEX's method reference
        table is resolved once; only methods that reference a wanted API are looked at further.
        """
        index = self.index
        hierarchy = self.startup.hierarchy
        wanted = self.wanted_calls
        names = {name for _cls, name in wanted}
        hits_by_dex: dict[int, dict[int, tuple[str, ...]]] = {}
        resolved: dict[tuple[str, str, str], tuple[str, ...]] = {}  # the DEX files of a multidex APK share refs
        for dex in index.dex_files:
            hits: dict[int, tuple[str, ...]] = {}
            for idx, ref in enumerate(index.method_refs(dex)):
                cls, name, proto = ref
                if name not in names:
                    continue
                found = resolved.get(ref)
                if found is None:
                    owners = [cls] if (cls, name) in wanted else []
                    for owner in call_owners(index, hierarchy, cls, name, proto):
                        if owner != cls and (owner, name) in wanted:
                            owners.append(owner)
                    found = resolved[ref] = tuple(owners)
                if found:
                    hits[idx] = found
            hits_by_dex[id(dex)] = hits
        out: dict[tuple[str, str], list[CallSite]] = {}
        for m in index.methods_referencing("invokes", {d: hits.keys() for d, hits in hits_by_dex.items()}):
            hits = hits_by_dex[id(m.dex)]
            refs = index.method_refs(m.dex)
            for idx in m.code.invokes:
                owners = hits.get(idx)
                if owners:
                    _cls, name, proto = refs[idx]
                    for owner in owners:
                        out.setdefault((owner, name), []).append(CallSite(m, owner, name, proto))
        return out

    def calls_to(self, java_api: str) -> list[CallSite]:
        cls, _, name = java_api.partition("#")
        return self.call_sites.get((java_to_descriptor(cls), name), [])

