"""The Android framework's class hierarchy, and what it says about calls and overrides in an APK.

An APK defines its own classes and the libraries it bundles; everything above them (android.*, java.*) is the
framework, which the DEX index cannot see. `FrameworkHierarchy` holds the framework's types as data (built by
tools/build_framework_hierarchy.py from the API stubs, shipped in hegui.knowledge, handed in by the detect
layer: readers do not import knowledge). With it:

- a call `LMainActivity;->startService(…)` that no class of the APK defines is keyed on every framework type
  that declares `startService` up the chain (ContextWrapper, Context), not only on the first framework
  class (Activity), so a catalog API named `android.content.Context#startService` matches it;
- a method of an app class is a framework callback only if a framework supertype declares a method of that
  name (`onCreate` of an Activity subclass is, its helper `loadAds` is not).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence

from hegui.dex.index import DexIndex

OBJECT = "Ljava/lang/Object;"


class FrameworkHierarchy:
    """Framework types by descriptor: superclass, interfaces, declared method names."""

    def __init__(self, classes: Mapping[str, Sequence[object]], source: str = "") -> None:
        # descriptor -> [superclass | None, [interfaces], "space separated method names"]; method names are
        # split on first use: most of the ~6000 types are never asked about in a scan
        self._raw = classes
        self.source = source
        self._methods: dict[str, frozenset[str]] = {}
        self._declaring: dict[tuple[str, str], tuple[str, ...]] = {}
        self._supertypes: dict[str, tuple[str, ...]] = {}  # declaring() walks them once per (type, name)

    @classmethod
    def from_data(cls, doc: Mapping[str, object]) -> FrameworkHierarchy:
        classes = doc.get("classes")
        if not isinstance(classes, dict):
            raise ValueError("framework hierarchy: 'classes' must be a mapping")
        return cls(classes, str(doc.get("source", "")))

    def __contains__(self, desc: object) -> bool:
        return desc in self._raw

    def __len__(self) -> int:
        return len(self._raw)

    def superclass(self, desc: str) -> str | None:
        entry = self._raw.get(desc)
        return entry[0] if entry else None  # type: ignore[return-value]

    def interfaces(self, desc: str) -> tuple[str, ...]:
        entry = self._raw.get(desc)
        return tuple(entry[1]) if entry else ()  # type: ignore[arg-type]

    def methods(self, desc: str) -> frozenset[str]:
        got = self._methods.get(desc)
        if got is None:
            entry = self._raw.get(desc)
            got = self._methods[desc] = frozenset(str(entry[2]).split()) if entry else frozenset()
        return got

    def superclasses(self, desc: str) -> Iterator[str]:
        """`desc`'s superclass chain up to java.lang.Object (`desc` excluded)."""
        seen = {desc}
        cur = self.superclass(desc)
        while cur and cur not in seen:
            seen.add(cur)
            yield cur
            cur = self.superclass(cur)

    def supertypes(self, desc: str) -> Iterator[str]:
        """`desc` and all its known supertypes, nearest first (breadth first)."""
        seen = {desc}
        queue = deque([desc])
        while queue:
            cur = queue.popleft()
            yield cur
            sup = self.superclass(cur)
            for nxt in (sup, *self.interfaces(cur)) if sup else self.interfaces(cur):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)

    def declaring(self, desc: str, name: str) -> tuple[str, ...]:
        """The types at or above framework type `desc` that declare a method `name`, nearest first.

        Empty when `desc` is not known (a hidden API, a library the APK does not bundle).
        """
        key = (desc, name)
        got = self._declaring.get(key)
        if got is None:
            got = ()
            if desc in self._raw:
                chain = self._supertypes.get(desc)
                if chain is None:
                    chain = self._supertypes[desc] = tuple(self.supertypes(desc))
                got = tuple(t for t in chain if name in self.methods(t))
            self._declaring[key] = got
        return got


def framework_supertypes(index: DexIndex, cls: str) -> list[str]:
    """The framework types directly above `cls`'s defined part: the first undefined superclass and the
    undefined interfaces of `cls` and its defined supertypes (`cls` itself if the APK does not define it)."""
    if cls not in index.classes:
        return [cls]
    out: list[str] = []
    for anc in sorted(index.ancestors(cls)):
        if anc not in index.classes:
            out.append(anc)
    return out


def call_owners(index: DexIndex, hierarchy: FrameworkHierarchy, cls: str, name: str, proto: str) -> tuple[str, ...]:
    """The types a call `cls->name(proto)` is keyed on, most specific first.

    If the APK defines the method on `cls` or a defined superclass, the call lands in the APK: that class. Else
    the framework types that declare `name` above the APK's part of the chain (nearest first), after the first
    undefined superclass, which is where a call was keyed before the hierarchy was known and where a type
    missing from the hierarchy (hidden API, unbundled library) still is.
    """
    info = index.classes.get(cls)
    if info is not None and (name, proto) in info.methods:
        return (cls,)  # most calls (every constructor call of an app class): no chain to walk
    first_framework = cls
    for c in (cls, *index.superclasses(cls)):
        info = index.classes.get(c)
        if info is None:
            first_framework = c
            break
        if (name, proto) in info.methods:
            return (c,)
    owners: list[str] = [first_framework]
    for start in framework_supertypes(index, cls) if cls in index.classes else [cls]:
        for t in hierarchy.declaring(start, name):
            if t not in owners:
                owners.append(t)
    return tuple(owners)
