"""Which methods can run from a set of entry points: rapid type analysis over the DEX index.

Virtual and interface calls are resolved by class hierarchy, restricted to classes that reachable code
instantiates (RTA), which keeps "reachable at startup" close to what really runs. A class is instantiated by
allocation (`new-instance` followed by its constructor call), by the framework (the entry classes: manifest
components) or by reflection on a constant class name (the name in a method that loads classes by name or
calls into a class that does); `const-class` alone only names a class (a log tag, a
`FragmentFactory.isFragmentClass` check) and instantiates nothing. Static initialisers run when reachable code
first touches their class. The framework calls back into app objects (Thread.run, Handler callbacks, lifecycle
methods, listeners): when reachable code instantiates a class, its methods that override a method declared by
a framework supertype (per hegui.dex.framework's hierarchy) are reachable, except callbacks that need a user's
action (`user_methods`, `user_types`: clicks, menus, text selection, paste, gestures). Other methods of such a
class are reachable only if reachable code calls them. Methods a reflectively created object is called by
through `Method.invoke` with a constant name are reachable too (SDK hot-fix loaders and plugin frameworks
start that way).

With `guards` (hegui.dex.guards), what a method does only behind a check of a stored consent flag
(`if (sp.getBoolean("privacy_agreed", false)) init();`, `if (App.sAgreed) init();` for a field only ever
assigned such a check or the agree action's `true`) is not followed: on first launch that flag is false,
so those calls run after the user agreed, not as the process starts. The same code stays reachable through
any other, unguarded, path.

When the C extension read every method of the index (its MethodRecords), the fixpoint runs in C
(`_speedups.reachability`, see `Reachability._run_in_c`): the same steps in the same order over integer
ids, so `parent` (predecessors and order), `guarded` and `before_user` are identical to the Python methods
below, which run otherwise (HEGUI_PURE_PYTHON=1, no extension, methods read by hegui.jvm) and stay the
specification; tests/dex/test_callgraph_speedups.py compares both on real apps.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Iterable
from types import ModuleType
from typing import TypeVar
from weakref import WeakKeyDictionary

from hegui.dex import parser
from hegui.dex.framework import OBJECT, FrameworkHierarchy
from hegui.dex.guards import ConsentGuards, GuardedSites
from hegui.dex.index import DexIndex, MethodInfo
from hegui.dex.parser import ACC_STATIC, IdTable
from hegui.names import java_to_descriptor

T = TypeVar("T")
NOTHING_GUARDED = GuardedSites(frozenset(), frozenset(), frozenset(), frozenset())

# Calls that do not reach app code on their own even if they resolve there (all of java.lang.Object's).
_INVOKE_VIRTUAL_OPS = frozenset((0x6E, 0x72, 0x74, 0x78))  # invoke-virtual/interface (+/range)
_INVOKE_SUPER_OPS = frozenset((0x6F, 0x75))
# Reflective class loading: once startup code can load classes by name, the classes it names in string
# constants (possibly in another method: Tinker's application passes its delegate's name to a super
# constructor that loads it) count as instantiated.
_REFLECTIVE_LOADS = frozenset({("Ljava/lang/Class;", "forName"), ("Ljava/lang/ClassLoader;", "loadClass")})
# Reflective calls: a method that invokes `Method.invoke` names the methods it calls in its string constants
# (Tinker's application calls its delegate's "onCreate" that way). On classes instantiated by reflection,
# methods of those names are reachable.
_REFLECTIVE_INVOKE = ("Ljava/lang/reflect/Method;", "invoke")
_CLICK_PROTO = "(Landroid/view/View;)V"
_PACKED: WeakKeyDictionary[DexIndex, tuple[int, bool]] = WeakKeyDictionary()  # index -> (methods, read in C)
_PROGRAMS: WeakKeyDictionary[DexIndex, object] = WeakKeyDictionary()  # index -> _speedups.call_graph()
# Reachability._framework_types per hierarchy (a hierarchy never changes once built)
_FRAMEWORK_TYPES: WeakKeyDictionary[FrameworkHierarchy, dict[tuple[tuple[str, ...], frozenset[str]],
                                                             list[tuple[frozenset[str], bool]]]] = WeakKeyDictionary()
_LOADER_DEPTH = 2  # nested calls between a method handed a class name and the Class.forName that loads it


class Reachability:
    """Reachable methods from `entries`, with one predecessor per method for explaining the path."""

    def __init__(self, index: DexIndex, entries: Iterable[MethodInfo], entry_classes: Iterable[str] = (),
                 guards: ConsentGuards | None = None, *, hierarchy: FrameworkHierarchy | None = None,
                 user_methods: frozenset[str] = frozenset(), user_types: frozenset[str] = frozenset(),
                 callbacks_of_entries: bool = False, created_by_name: Iterable[str] = (),
                 click_handlers: frozenset[str] = frozenset(), const_class_creates: bool = False,
                 invoke_by_name_anywhere: bool = False, defer_user_callbacks: bool = False) -> None:
        self.index = index
        self.guards = guards
        # without a hierarchy no framework type is known to declare anything: no framework callbacks
        self.hierarchy = hierarchy if hierarchy is not None else FrameworkHierarchy({})
        self.user_methods = frozenset(user_methods)
        self.user_types = frozenset(user_types)
        # _callback_kind per class: its framework supertypes and their answers by method name, one table of
        # answers per distinct set of framework supertypes
        self._callback_kinds: dict[str, tuple[tuple[str, ...], dict[str, str | None]]] = {}
        self._kinds_by_supers: dict[tuple[str, ...], dict[str, str | None]] = {}
        self.parent: dict[int, int | None] = {}
        # reached methods with some code only behind a consent check: what of it was not followed
        self.guarded: dict[int, GuardedSites] = {}
        self._queue: deque[int] = deque()
        # instantiation order (a dict, not a set): `_reflective_call` walks it, and the order methods are
        # queued in decides their predecessors, so it must not depend on string hashing
        self._instantiated: dict[str, None] = {}
        self._inst_by_ancestor: dict[str, list[str]] = {}
        self._virtual_sites: dict[tuple[str, str], set[str]] = {}  # (name, proto) -> receiver types
        self._clinit_done: set[str] = set()
        self._ancestor_cache: dict[str, set[str]] = {}
        self._loader_classes: dict[str, bool] = {}  # defined class -> some method of it loads classes by name
        self._method_loader: dict[tuple[int, int], bool] = {}
        self._reflected: dict[str, int | None] = {}  # classes instantiated by reflection -> via
        self._reflective_names: dict[str, int] = {}  # method names given to Method.invoke -> via
        self.click_handlers = click_handlers
        self.const_class_creates = const_class_creates
        # liveness: a name handed to Method.invoke may name a method of any created object
        # (`getClass().getMethod("foo").invoke(this)`), static ones included
        self._invoke_anywhere = invoke_by_name_anywhere
        # methods of created classes (and their defined superclasses) by name, kept from the first
        # Method.invoke on: a name found later reaches the methods of classes created before it
        self._methods_by_name: dict[str, list[int]] | None = None
        self._by_name_classes: set[str] = set()
        # liveness: user callbacks (and layout click handlers) are followed only once everything else is,
        # so what was reached before them is what runs without a user's action (`reached_without_user`)
        self._defer_user = defer_user_callbacks
        self._deferred: list[tuple[int, int | None]] = []
        self._user_phase = False
        self.before_user: frozenset[int] | None = None
        fast = parser.speedups
        if fast is not None and _read_by_extension(fast, index):
            self._run_in_c(fast, entries, entry_classes, created_by_name, callbacks_of_entries)
            return
        # startup names the entry methods of each entry class; whole-program liveness takes all its callbacks
        for cls in entry_classes:
            self._instantiate(cls, None, callbacks=callbacks_of_entries)
        # classes the framework creates from a name in resources or the manifest (a View in a layout, a
        # Fragment, a meta-data initializer): created when anything is, with all their framework callbacks
        for cls in created_by_name:
            self._create_by_framework(cls, None)
        for m in entries:
            self._reach(m.id, None)
        self._run()
        if self._defer_user:
            self.before_user = frozenset(self.parent)
            self._user_phase = True
            for mid, via in self._deferred:
                self._reach(mid, via)
            self._deferred.clear()
            self._run()

    def _run_in_c(self, fast: ModuleType, entries: Iterable[MethodInfo], entry_classes: Iterable[str],
                  created_by_name: Iterable[str], callbacks_of_entries: bool) -> None:
        """The same fixpoint in the C extension (`_speedups.reachability`, which mirrors the methods below
        step by step), for an index whose methods it read: it fills `parent` and `guarded` in the same order.
        What is rare and intricate stays here and is called back: the consent guards, whether a method
        hands class names to a loader, and the framework types above a set of framework supertypes."""
        index = self.index
        dexes = [(dex, index.method_refs(dex), index.field_refs(dex), dex.types, dex.strings,
                  dex.methods.raw if isinstance(dex.methods, IdTable) else None,
                  dex.fields.raw if isinstance(dex.fields, IdTable) else None, dex.protos)
                 for dex in index.dex_files]
        guards = self.guards
        # The run's own containers are all freed before it returns (it leaves `parent`, `guarded` and the
        # callbacks' caches), so the cyclic collector is paused meanwhile: a full collection over an index's
        # million objects took longer than the run itself.
        paused = gc.isenabled()
        gc.disable()
        try:
            self.before_user = fast.reachability(
                index.methods, index.classes, dexes, list(entry_classes), list(created_by_name),
                [m.id for m in entries], callbacks_of_entries, self.const_class_creates, self._invoke_anywhere,
                self._defer_user, frozenset(self.click_handlers) if self.click_handlers else None,
                frozenset(self.user_methods),
                (guards.sites, guards.candidates, guards.direct_check) if guards is not None else None,
                self._framework_types, self._hands_names_of, self.guarded, self.parent, _program(fast, index))
        finally:
            if paused:
                gc.enable()

    def _framework_types(self, supers: tuple[str, ...]) -> list[tuple[frozenset[str], bool]]:
        """For the C path: the framework types at or above `supers` except java.lang.Object, each as (the
        method names it declares, whether it is a user type). `_callback_kind`'s answer for a name follows
        from them: None if none declares it, else "user" for a user method or when all that do are user
        types, else "framework". Kept per hierarchy: the startup and liveness runs of a scan (and every scan
        of a process) ask for mostly the same sets."""
        hierarchy = self.hierarchy
        cache = _FRAMEWORK_TYPES.setdefault(hierarchy, {})
        key = (supers, self.user_types)
        got = cache.get(key)
        if got is None:
            seen: dict[str, tuple[frozenset[str], bool]] = {}
            for s in supers:
                if s in hierarchy:
                    for t in hierarchy.supertypes(s):
                        if t != OBJECT and t not in seen:
                            seen[t] = (hierarchy.methods(t), t in self.user_types)
            got = cache[key] = list(seen.values())
        return got

    def _hands_names_of(self, mid: int) -> bool:
        """For the C path: `_hands_names_to_a_loader` of reached method `mid`'s calls outside its guards."""
        m = self.index.methods[mid]
        sites = self.guarded.get(mid)
        invokes = list(self.index.invokes(m)) if sites is None else _unguarded(self.index.invokes_at(m), sites.invokes)
        return self._hands_names_to_a_loader(invokes)

    def reached_without_user(self, method_id: int) -> bool:
        """Reached, and by some path that takes no user callback (a click, a menu, a list item): a method
        reached only through those runs because the user acted. Without `defer_user_callbacks`, any reached
        method."""
        if self.before_user is None:
            return method_id in self.parent
        return method_id in self.before_user

    def path_to(self, method_id: int, limit: int = 64) -> list[MethodInfo]:
        """Entry → … → method, for evidence. A path longer than `limit` keeps its entry point and the last calls
        before the method: evidence that starts mid-way would name a library method as where startup begins."""
        chain: list[MethodInfo] = []
        cur: int | None = method_id
        while cur is not None and len(chain) <= len(self.parent):  # the parents form a tree; the bound is a guard
            chain.append(self.index.methods[cur])
            cur = self.parent.get(cur)
        chain.reverse()
        return chain if len(chain) <= limit else [chain[0], *chain[-(limit - 1):]]

    def call_at_startup(self, m: MethodInfo, name: str, proto: str) -> bool:
        """Whether reached `m` makes a call to a `name(proto)` method outside any consent guard.

        Reachability is per method; a sensitive API called by a startup method inside `if (agreed) {…}`
        is not called before consent even though its caller runs at startup.
        """
        if m.id not in self.parent:
            return False
        sites = self.guarded.get(m.id)
        return sites is None or any(callee[1] == name and callee[2] == proto
                                    for callee, _op in _unguarded(self.index.invokes_at(m), sites.invokes))

    def field_read_at_startup(self, m: MethodInfo, cls: str, name: str) -> bool:
        """`call_at_startup` for a read of the static or instance field `cls.name` (`Build.SERIAL`)."""
        if m.id not in self.parent:
            return False
        sites = self.guarded.get(m.id)
        return sites is None or (cls, name) in _unguarded(self.index.field_reads_at(m), sites.fields)

    # --- internals -----------------------------------------------------------------------------------
    def _ancestors(self, cls: str) -> set[str]:
        got = self._ancestor_cache.get(cls)
        if got is None:
            got = self._ancestor_cache[cls] = self.index.ancestors(cls) | {cls}
        return got

    def _reach(self, mid: int, via: int | None) -> None:
        if mid not in self.parent:
            self.parent[mid] = via
            self._queue.append(mid)

    def _init_class(self, cls: str, via: int | None) -> None:
        if cls in self._clinit_done:  # most calls: the lineage starts with `cls`, so nothing to do
            return
        for c in self.index.lineage(cls):
            if c in self._clinit_done or c not in self.index.classes:
                return
            self._clinit_done.add(c)
            mid = self.index.classes[c].methods.get(("<clinit>", "()V"))
            if mid is not None:
                self._reach(mid, via)

    def _instantiate(self, cls: str, via: int | None, *, callbacks: bool = True) -> None:
        if cls in self._instantiated or cls not in self.index.classes:
            return
        self._instantiated[cls] = None
        self._init_class(cls, via)
        ancestors = self._ancestors(cls)
        for anc in ancestors:
            self._inst_by_ancestor.setdefault(anc, []).append(cls)
        # pending virtual call sites whose receiver type this class satisfies; only methods the class
        # chain defines can be targets, so look those up rather than scanning every call site
        named = self._reflective_names if self._invoke_anywhere else None
        index = self.index
        sites = self._virtual_sites
        for c in index.lineage(cls):
            info = index.classes.get(c)
            if info is None:
                break
            for key in info.methods:
                receivers = sites.get(key)
                if receivers and not receivers.isdisjoint(ancestors):
                    target = index.resolve(cls, *key)
                    if target is not None:
                        self._reach(target.id, via)
                if named:
                    caller = named.get(key[0])
                    if caller is not None:
                        self._reach(info.methods[key], caller)
        if self._methods_by_name is not None:
            self._add_by_name(cls)
        if callbacks:
            self._framework_callbacks(cls, via)
        if self.click_handlers:
            self._click_handlers(cls, via)

    def _create_by_framework(self, cls: str, via: int | None) -> None:
        """`cls` created by reflection (an inflater, a factory handed `X.class`): with its constructors, which
        no call instruction reaches."""
        if cls in self._instantiated or cls not in self.index.classes:
            return
        self._instantiate(cls, via)
        for (name, _proto), mid in self.index.classes[cls].methods.items():
            if name == "<init>":
                self._reach(mid, via)

    def _click_handlers(self, cls: str, via: int | None) -> None:
        """`android:onClick="name"` in a layout binds `public void name(View)` of the Activity inflating it."""
        for c in self.index.lineage(cls):
            info = self.index.classes.get(c)
            if info is None:
                break
            for (name, proto), mid in info.methods.items():
                if proto == _CLICK_PROTO and name in self.click_handlers:
                    self._user_callback(mid, via)

    def _framework_callbacks(self, cls: str, via: int | None) -> None:
        """Reach the methods of instantiated `cls` (and its defined superclasses) that the framework calls."""
        index = self.index
        kinds = self._callback_table(cls)[1]
        for c in index.lineage(cls):
            info = index.classes.get(c)
            if info is None:
                break
            for (name, _proto), mid in info.methods.items():
                if name.startswith("<") or index.methods[mid].access & ACC_STATIC:
                    continue
                kind = kinds[name] if name in kinds else self._callback_kind(cls, name)
                if kind == "framework":
                    self._reach(mid, via)
                elif kind == "user":
                    self._user_callback(mid, via)

    def _callback_kind(self, cls: str, name: str) -> str | None:
        """"framework" when a framework supertype of `cls` declares `name` (java.lang.Object's methods aside),
        "user" when that callback needs a user's action (`user_methods` by name; `user_types`: TextWatcher,
        ActionMode.Callback declare only user-driven ones), None for an ordinary method."""
        # The answer depends only on the framework supertypes and the name: classes with the same framework
        # supertypes (every Activity, every Runnable) share one table of answers.
        supers, kinds = self._callback_table(cls)
        if name in kinds:
            return kinds[name]
        declaring = [t for s in supers for t in self.hierarchy.declaring(s, name) if t != OBJECT]
        if not declaring:
            kind = None
        elif name in self.user_methods or all(t in self.user_types for t in declaring):
            kind = "user"
        else:
            kind = "framework"
        kinds[name] = kind
        return kind

    def _callback_table(self, cls: str) -> tuple[tuple[str, ...], dict[str, str | None]]:
        """`cls`'s framework supertypes and the answers of `_callback_kind` for them, by method name."""
        got = self._callback_kinds.get(cls)
        if got is None:
            supers = tuple(sorted(a for a in self._ancestors(cls) if a not in self.index.classes))
            got = self._callback_kinds[cls] = (supers, self._kinds_by_supers.setdefault(supers, {}))
        return got

    def _user_callback(self, mid: int, via: int | None) -> None:
        """Startup never follows a user callback; liveness follows it after everything else."""
        if self._user_phase:
            self._reach(mid, via)
        elif self._defer_user:
            self._deferred.append((mid, via))

    def _run(self) -> None:
        index = self.index
        queue = self._queue
        resolve, reach, init_class, virtual_call = index.resolve, self._reach, self._init_class, self._virtual_call
        virtual_sites, instantiated = self._virtual_sites, self._instantiated
        while queue:
            mid = queue.popleft()
            m = index.methods[mid]
            sites = self.guards.sites(m) if self.guards is not None else None
            if sites is not None:
                self.guarded[mid] = sites
            else:
                sites = NOTHING_GUARDED
            if sites is NOTHING_GUARDED:
                invokes, types, fields, strings = index.references(m)
            else:
                invokes = _unguarded(index.invokes_at(m), sites.invokes)
                types = _unguarded(index.types(m), sites.types)
                fields = _unguarded(index.field_reads_at(m), sites.fields)
                strings = _unguarded(index.strings_at(m), sites.strings)
            for (cls, name, proto), op in invokes:
                if op in _INVOKE_VIRTUAL_OPS:
                    receivers = virtual_sites.get((name, proto))
                    if receivers is None or cls not in receivers:  # a receiver type seen is already followed
                        virtual_call(cls, name, proto, mid)
                else:
                    if op not in _INVOKE_SUPER_OPS and name != "<init>":
                        init_class(cls, mid)
                    target = resolve(cls, name, proto)
                    if target is not None:
                        reach(target.id, mid)
            if types:
                # new-instance is followed by a call of the class's constructor; a const-class is not, but
                # liveness (`const_class_creates`) takes it as created: `X.class` handed to a factory that
                # creates by reflection (WorkManager, Gson, Room) may create it
                constructed = {c for (c, n, _p), _op in invokes if n == "<init>"}
                for t in types:
                    if t in constructed:
                        if t not in instantiated:
                            self._instantiate(t, mid)
                    elif self.const_class_creates:
                        self._create_by_framework(t, mid)
            for cls, _field in fields:
                init_class(cls, mid)
            if strings:
                if any((c, n) == _REFLECTIVE_INVOKE for (c, n, _p), _op in invokes):
                    self._reflective_call(strings, mid)
                named = [desc for s in strings if "." in s and " " not in s and len(s) < 200
                         and (desc := java_to_descriptor(s)) in index.classes]
                if named and self._hands_names_to_a_loader(invokes):
                    for desc in named:
                        self._instantiate_by_name(desc, mid)

    def _hands_names_to_a_loader(self, invokes: list[tuple[tuple[str, str, str], int]]) -> bool:
        """A method's class-name strings are loaded by reflection if it loads classes by name itself, calls a
        method that does (directly or a few calls deeper), or passes them to the constructor of a class that
        does (Tinker's application hands its delegate's name to TinkerApplication's constructor, whose
        createDelegate calls Class.forName on it). A name only compared or logged (a service looked up in the
        running-services list) creates nothing."""
        index = self.index
        for (c, n, p), _op in invokes:
            if (c, n) in _REFLECTIVE_LOADS:
                return True
            if c in index.classes:
                if n == "<init>":
                    if self._loads_by_name(c):
                        return True
                else:
                    target = index.resolve(c, n, p)
                    if target is not None and self._method_loads(target, _LOADER_DEPTH):
                        return True
        return False

    def _method_loads(self, m: MethodInfo, depth: int) -> bool:
        """`m` loads classes by name, itself or through up to `depth` nested calls of defined methods
        (MobTools' ReflectHelper.importClass(name) → importClass(name, alias) → Class.forName)."""
        key = (m.id, depth)
        got = self._method_loader.get(key)
        if got is None:
            self._method_loader[key] = False  # recursion guard
            index = self.index
            calls = list(index.invokes(m))
            got = any((c, n) in _REFLECTIVE_LOADS for (c, n, _p), _op in calls)
            if not got and depth > 0:
                for (c, n, p), _op in calls:
                    target = index.resolve(c, n, p) if c in index.classes else None
                    if target is not None and target.id != m.id and self._method_loads(target, depth - 1):
                        got = True
                        break
            self._method_loader[key] = got
        return got

    def _loads_by_name(self, cls: str) -> bool:
        """Some method of defined class `cls` loads classes by name."""
        got = self._loader_classes.get(cls)
        if got is None:
            index = self.index
            got = self._loader_classes[cls] = any(_calls_loader(index, index.methods[mid])
                                                  for mid in index.classes[cls].methods.values())
        return got

    def _instantiate_by_name(self, cls: str, via: int) -> None:
        if cls not in self._reflected:
            self._reflected[cls] = via
            self._instantiate(cls, via)
            self._reach_named(cls, self._reflective_names)

    def _reflective_call(self, strings: list[str], via: int) -> None:
        new = {s: via for s in strings if s.isidentifier() and s not in self._reflective_names}
        if new:
            self._reflective_names.update(new)
            for cls in self._reflected:
                self._reach_named(cls, new)
            if self._invoke_anywhere:
                if self._methods_by_name is None:
                    self._methods_by_name = {}
                    for cls in list(self._instantiated):
                        self._add_by_name(cls)
                for name in new:
                    for mid in self._methods_by_name.get(name, ()):
                        self._reach(mid, via)

    def _add_by_name(self, cls: str) -> None:
        by_name = self._methods_by_name
        assert by_name is not None
        for c in (cls, *self.index.superclasses(cls)):
            info = self.index.classes.get(c)
            if info is None or c in self._by_name_classes:
                break
            self._by_name_classes.add(c)
            for (name, _proto), mid in info.methods.items():
                if not name.startswith("<"):
                    by_name.setdefault(name, []).append(mid)

    def _reach_named(self, cls: str, names: dict[str, int]) -> None:
        """Methods of reflectively created `cls` (or its defined superclasses) called by name."""
        if not names:
            return
        for c in self.index.lineage(cls):
            info = self.index.classes.get(c)
            if info is None:
                break
            for (name, _proto), mid in info.methods.items():
                via = names.get(name)
                if via is not None and not self.index.methods[mid].access & ACC_STATIC:
                    self._reach(mid, via)

    def _virtual_call(self, cls: str, name: str, proto: str, via: int) -> None:
        key = (name, proto)
        receivers = self._virtual_sites.setdefault(key, set())
        if cls in receivers:
            return
        receivers.add(cls)
        # `_inst_by_ancestor[cls]` includes `cls` itself when it is instantiated (entry classes too)
        resolve = self.index.resolve
        for sub in self._inst_by_ancestor.get(cls, ()):
            target = resolve(sub, name, proto)
            if target is not None:
                self._reach(target.id, via)


def _program(fast: ModuleType, index: DexIndex) -> object:
    """The C fixpoint's tables for `index` (ids, superclass chains, each DEX's maps, resolved calls), kept
    with the index: a scan's liveness run reuses what its startup run made. The extension starts them
    afresh itself when the index has changed since."""
    got = _PROGRAMS.get(index)
    if got is None:
        got = _PROGRAMS[index] = fast.call_graph()
    return got


def _read_by_extension(fast: ModuleType, index: DexIndex) -> bool:
    """Whether the extension read every method of `index` (what its fixpoint walks), checked once per index
    and size: an index only grows, and a large APK has half a million methods to look at."""
    size = len(index.methods)
    known = _PACKED.get(index)
    if known is None or known[0] != size:
        known = _PACKED[index] = (size, fast.packed_index(index.methods))
    return known[1]


def _calls_loader(index: DexIndex, m: MethodInfo) -> bool:
    return any((c, n) in _REFLECTIVE_LOADS for (c, n, _p), _op in index.invokes(m))


def _unguarded(items: list[T | None], guarded: frozenset[int]) -> list[T]:
    """The entries of a method's reference list whose position is not guarded (bad references dropped)."""
    if not guarded:  # most methods: nothing to skip but references beyond the tables
        return [item for item in items if item is not None]
    return [item for pos, item in enumerate(items) if pos not in guarded and item is not None]


def methods_named(index: DexIndex, cls: str, names: Iterable[str]) -> list[MethodInfo]:
    """Methods of `cls` or its defined superclasses with one of `names` (any proto), most derived first."""
    wanted = set(names)
    out: list[MethodInfo] = []
    seen: set[tuple[str, str]] = set()
    for c in index.lineage(cls):
        info = index.classes.get(c)
        if info is None:
            break
        for (name, proto), mid in info.methods.items():
            if name in wanted and (name, proto) not in seen:
                seen.add((name, proto))
                out.append(index.methods[mid])
    return out
