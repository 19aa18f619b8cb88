"""Code of Activities, Services and ContentProviders the manifest does not declare: it never runs.

The system creates an Activity, a Service or a ContentProvider only for a class the manifest declares (starting
an undeclared Activity throws ActivityNotFoundException). An SDK bundled as a jar without its manifest entries
ships such screens: liveness keeps them (a `const-class` naming them may be handed to a factory), yet unless
code `new`s one itself no instance of them ever exists, so their instance methods never run; nor do those
of a class nested in one that only the component's instance code creates (its Handler, a dialog's listener).
A class is live as a component when the manifest names it, or a subclass of it, or it is an activity-alias's
target. Nothing is ruled out without an app manifest, or when the manifest names an AppComponentFactory other than the support library's (one that
creates the named class; knowledge/static_signals.yaml `plain_component_factories`): it may instantiate
any class for a declared name. Receivers are not concerned: code may register any receiver at run time.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from hegui import knowledge
from hegui.detect.startup import framework_hierarchy
from hegui.dex import MethodInfo, java_to_descriptor
from hegui.dex.parser import ACC_STATIC

if TYPE_CHECKING:  # the context asks this module (StaticContext.may_run)
    from hegui.detect.context import StaticContext

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
        self._memo: dict[str, bool] = {}  # class -> its instances never exist
        self._inits: dict[int, dict[str, list[int]]] | None = None  # id(dex) -> class -> method_ids of its <init>s

    def never_runs(self, m: MethodInfo) -> bool:
        """`m` is an instance method of an undeclared Activity, Service or ContentProvider (nor a superclass of
        a declared one), or of a class nested in one that only the component's own instance code creates (its
        Handler, its dialog's listener): no instance of the class is ever created."""
        if not self.active or m.access & ACC_STATIC:
            return False
        return self._never_created(m.cls)

    def _never_created(self, cls: str) -> bool:
        got = self._memo.get(cls)
        if got is None:
            self._memo[cls] = False  # a class creating itself (or a cycle) keeps it alive
            got = self._memo[cls] = self._decide(cls)
        return got

    def _decide(self, cls: str) -> bool:
        if cls in self.live:
            return False
        if self._system_created(cls):
            # the system never creates it; code may still `new` one (and call its methods) itself
            return all(self.never_runs(c) for c in self._creators(cls))
        outer = cls.partition("$")[0] + ";" if "$" in cls else cls
        if outer == cls or outer in self.live or not self._system_created(outer):
            return False
        # nested in an undeclared component: dead when every `new` of it is in code that never runs
        creators = self._creators(cls)
        return bool(creators) and all(self.never_runs(c) for c in creators)

    def _creators(self, cls: str) -> list[MethodInfo]:
        """The methods that call a constructor of `cls`, less its own constructors (`this(…)` chains)."""
        if self._inits is None:
            self._inits = {}
            for dex in self.index.dex_files:
                by_class: dict[str, list[int]] = {}
                for i, (c, name, _proto) in enumerate(self.index.method_refs(dex)):
                    if name == "<init>":
                        by_class.setdefault(c, []).append(i)
                self._inits[id(dex)] = by_class
        wanted = {d: refs[cls] for d, refs in self._inits.items() if cls in refs}
        found = self.index.methods_referencing("invokes", wanted) if wanted else []
        return [c for c in found if not (c.cls == cls and c.name == "<init>")]

    def _system_created(self, cls: str) -> bool:
        if cls not in self.index.classes:
            return False
        hierarchy = framework_hierarchy()
        for sup in self.index.ancestors(cls):
            if sup in SYSTEM_CREATED:
                return True
            # the first framework class above the APK's own (android.app.ListActivity) and its supertypes
            if sup not in self.index.classes and not SYSTEM_CREATED.isdisjoint(hierarchy.supertypes(sup)):
                return True
        return False
