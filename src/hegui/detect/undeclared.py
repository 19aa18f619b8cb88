"""Code of Activities, Services and ContentProviders the manifest does not declare: it never runs.

The system creates an Activity, a Service or a ContentProvider only for a class the manifest declares (starting
an undeclared Activity throws ActivityNotFoundException). An SDK bundled as a jar without its manifest entries
ships such screens: liveness keeps them (a `const-class` naming them may be handed to a factory), yet no
instance of them ever exists, so their instance methods never run. A class is live as a component when the
manifest names it, or a subclass of it, or it is an activity-alias's target. Nothing is ruled out without an
app manifest, or when the manifest names an AppComponentFactory other than the support library's (one that
creates the named class; knowledge/static_signals.yaml `plain_component_factories`): it may instantiate
any class for a declared name. Receivers are not concerned: code may register any receiver at run time.
"""

from __future__ import annotations

from functools import cache

from hegui import knowledge
from hegui.detect.context import StaticContext
from hegui.detect.startup import framework_hierarchy
from hegui.dex import MethodInfo, java_to_descriptor
from hegui.dex.parser import ACC_STATIC

# framework types whose instances only the system creates, for a class the manifest declares
SYSTEM_CREATED = frozenset(("Landroid/app/Activity;", "Landroid/app/Service;", "Landroid/content/ContentProvider;"))


@cache
def plain_factories() -> frozenset[str]:
    return frozenset(knowledge.load_yaml("static_signals.yaml")["plain_component_factories"])


class UndeclaredComponents:
    def __init__(self, ctx: StaticContext) -> None:
        manifest = ctx.manifest
        self.index = ctx.index
        factory = manifest.app_component_factory
        self.active = ctx.app_manifest and (not factory or factory in plain_factories())
        declared = {java_to_descriptor(n) for c in manifest.components for n in (c.name, c.target_activity) if n}
        self.live = declared.union(*(self.index.ancestors(d) for d in declared))
        self._memo: dict[str, bool] = {}

    def never_runs(self, m: MethodInfo) -> bool:
        """`m` is an instance method of an undeclared Activity, Service or ContentProvider (nor a superclass of
        a declared one): no instance of its class is ever created."""
        if not self.active or m.access & ACC_STATIC or m.cls in self.live:
            return False
        got = self._memo.get(m.cls)
        if got is None:
            got = self._memo[m.cls] = self._system_created(m.cls)
        return got

    def _system_created(self, cls: str) -> bool:
        hierarchy = framework_hierarchy()
        for sup in self.index.ancestors(cls):
            if sup in SYSTEM_CREATED:
                return True
            # the first framework class above the APK's own (android.app.ListActivity) and its supertypes
            if sup not in self.index.classes and not SYSTEM_CREATED.isdisjoint(hierarchy.supertypes(sup)):
                return True
        return False
