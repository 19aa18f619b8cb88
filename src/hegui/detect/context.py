"""What the static detectors share: the read APK, the DEX index, SDK attribution and reachability."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from hegui.apk import Apk, Manifest
from hegui.detect.startup import live_reachability
from hegui.dex import DexIndex, MethodInfo, descriptor_to_java
from hegui.dex.callgraph import Reachability
from hegui.dex.framework import call_owners

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
        return live_reachability(self.manifest, self.index)

    def is_live(self, method: MethodInfo) -> bool:
        """Some component can reach `method`: code reached from nothing raises nothing."""
        return method.id in self.live.parent

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
        for m in index.methods:
            hits = hits_by_dex.get(id(m.dex))
            invokes = m.code.invokes
            if not hits or not invokes or hits.keys().isdisjoint(invokes):
                continue
            refs = index.method_refs(m.dex)
            for idx in invokes:
                owners = hits.get(idx)
                if owners:
                    _cls, name, proto = refs[idx]
                    for owner in owners:
                        out.setdefault((owner, name), []).append(CallSite(m, owner, name, proto))
        return out

    def calls_to(self, java_api: str) -> list[CallSite]:
        cls, _, name = java_api.partition("#")
        return self.call_sites.get(("L" + cls.replace(".", "/") + ";", name), [])

