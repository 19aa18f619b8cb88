"""All DEX files of an APK as one program: defined classes, methods, their references, the hierarchy.

Android loads classes.dex, classes2.dex, … in order and the first definition of a class wins; the index
follows that. Names stay in DEX descriptor form (``Lcom/a/B;``) internally; `descriptor_to_java` gives the
report form (both in hegui/names.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from hegui.dex.parser import ACC_ABSTRACT, DexFile, DexFormatError, MethodCode
from hegui.names import descriptor_to_java  # the one conversion, shared with knowledge (hegui/names.py)

MethodKey = tuple[str, str, str]  # (class descriptor, name, proto descriptor)


@dataclass(slots=True)
class MethodInfo:
    id: int
    cls: str  # descriptor
    name: str
    proto: str
    access: int
    dex: DexFile
    code: MethodCode

    @property
    def key(self) -> MethodKey:
        return (self.cls, self.name, self.proto)

    def java(self) -> str:
        return f"{descriptor_to_java(self.cls)}#{self.name}"


@dataclass(slots=True)
class ClassInfo:
    desc: str
    superclass: str | None
    interfaces: tuple[str, ...]
    access: int
    methods: dict[tuple[str, str], int]  # (name, proto) -> MethodInfo.id
    dex_name: str


class DexIndex:
    def __init__(self) -> None:
        self.classes: dict[str, ClassInfo] = {}
        self.methods: list[MethodInfo] = []
        self.problems: list[str] = []
        self.dex_files: list[DexFile] = []
        self._refs: dict[int, list[MethodKey]] = {}  # id(dex) -> method_ids as keys
        self._field_refs: dict[int, list[tuple[str, str]]] = {}
        self._subtypes: dict[str, list[str]] | None = None

    @classmethod
    def build(cls, blobs: Iterable[tuple[str, bytes]]) -> DexIndex:
        # Hundreds of thousands of small objects, none in a reference cycle: the cyclic collector would
        # traverse them again and again while they are made (a fifth of a large scan), so pause it.
        paused = gc.isenabled()
        gc.disable()
        try:
            index = cls()
            for name, data in blobs:
                index.add(name, data)
            return index
        finally:
            if paused:
                gc.enable()

    def add(self, name: str, data: bytes) -> None:
        try:
            dex = DexFile(data, name)
        except DexFormatError as exc:
            self.problems.append(f"{name}: {exc}")
            return
        except Exception as exc:  # a malformed table we did not foresee: keep the other DEX files
            self.problems.append(f"{name}: unreadable DEX ({type(exc).__name__}: {exc})")
            return
        self.add_parsed(dex)

    def add_parsed(self, dex: DexFile) -> None:
        """Add an already parsed program: a DEX file, or JVM classes in DEX form (hegui.jvm)."""
        self.problems.extend(dex.problems)
        self.dex_files.append(dex)
        self._refs[id(dex)] = [dex.method_ref(i) for i in range(len(dex.methods))]
        self._field_refs[id(dex)] = [dex.field_ref(i) for i in range(len(dex.fields))]
        for cdef in dex.classes:
            desc = dex.type_name(cdef.type_idx)
            if desc in self.classes:
                continue  # first definition wins, as in Android's class loader
            sup = dex.type_name(cdef.superclass_idx) if cdef.superclass_idx != 0xFFFFFFFF else None
            info = ClassInfo(desc, sup, tuple(dex.type_name(t) for t in cdef.interface_idxs), cdef.access, {},
                             dex.name)
            for mc in cdef.methods:
                _, mname, proto = self._refs[id(dex)][mc.method_idx]
                mid = len(self.methods)
                self.methods.append(MethodInfo(mid, desc, mname, proto, mc.access, dex, mc))
                info.methods[(mname, proto)] = mid
            self.classes[desc] = info
        self._subtypes = None

    # --- references of a method ---------------------------------------------------------------------
    def method_refs(self, dex: DexFile) -> list[MethodKey]:
        """`dex`'s method_ids table as keys; `MethodInfo.code.invokes` index into it."""
        return self._refs[id(dex)]

    def field_refs(self, dex: DexFile) -> list[tuple[str, str]]:
        return self._field_refs[id(dex)]

    def invokes(self, m: MethodInfo) -> Iterator[tuple[MethodKey, int]]:
        """(callee key, invoke opcode) for every call instruction of `m`."""
        return (call for call in self.invokes_at(m) if call is not None)

    def strings(self, m: MethodInfo) -> list[str]:
        return [s for s in self.strings_at(m) if s is not None]

    def types(self, m: MethodInfo) -> list[str]:
        return [m.dex.type_name(i) for i in m.code.types]

    def field_reads(self, m: MethodInfo) -> list[tuple[str, str]]:
        return [f for f in self.field_reads_at(m) if f is not None]

    # One entry per position of `m.code`'s lists, None where an instruction names an entry beyond its DEX's
    # table: the consent-guard analysis names the instructions it guards by these positions.
    def invokes_at(self, m: MethodInfo) -> list[tuple[MethodKey, int] | None]:
        refs = self._refs[id(m.dex)]
        n = len(refs)
        return [(refs[idx], op) if idx < n else None for idx, op in zip(m.code.invokes, m.code.invoke_ops, strict=True)]

    def strings_at(self, m: MethodInfo) -> list[str | None]:
        table = m.dex.strings
        return [table[i] if i < len(table) else None for i in m.code.strings]

    def field_reads_at(self, m: MethodInfo) -> list[tuple[str, str] | None]:
        refs = self._field_refs[id(m.dex)]
        return [refs[i] if i < len(refs) else None for i in m.code.fields]

    def all_strings(self) -> Iterator[str]:
        for dex in self.dex_files:
            yield from dex.strings

    # --- hierarchy ----------------------------------------------------------------------------------
    def superclasses(self, desc: str) -> Iterator[str]:
        """`desc`'s superclass chain, ending with the first class not defined in the APK (or None)."""
        seen = {desc}
        cur = self.classes.get(desc)
        while cur is not None and cur.superclass and cur.superclass not in seen:
            seen.add(cur.superclass)
            yield cur.superclass
            cur = self.classes.get(cur.superclass)

    def ancestors(self, desc: str) -> set[str]:
        """All supertypes (classes and interfaces, defined or framework) of `desc`, `desc` excluded."""
        out: set[str] = set()
        stack = [desc]
        while stack:
            info = self.classes.get(stack.pop())
            if info is None:
                continue
            for sup in (info.superclass, *info.interfaces):
                if sup and sup not in out and sup != desc:
                    out.add(sup)
                    stack.append(sup)
        return out

    def resolve(self, cls: str, name: str, proto: str) -> MethodInfo | None:
        """The defined method a call to cls->name(proto) lands on, walking up defined superclasses."""
        for c in (cls, *self.superclasses(cls)):
            info = self.classes.get(c)
            if info is None:
                return None
            mid = info.methods.get((name, proto))
            if mid is not None and not self.methods[mid].access & ACC_ABSTRACT:
                return self.methods[mid]
        return None

    def framework_owner(self, cls: str) -> str:
        """The first class in `cls`'s superclass chain that the APK does not define (`cls` if undefined)."""
        if cls not in self.classes:
            return cls
        last = cls
        for c in self.superclasses(cls):
            last = c
            if c not in self.classes:
                return c
        return last
