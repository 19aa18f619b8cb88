"""All DEX files of an APK as one program: defined classes, methods, their references, the hierarchy.

Android loads classes.dex, classes2.dex, … in order and the first definition of a class wins; the index
follows that. Names stay in DEX descriptor form (``Lcom/a/B;``) internally; `descriptor_to_java` gives the
report form (both in hegui/names.py).
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from hegui.dex import parser
from hegui.dex.parser import ACC_ABSTRACT, CodeRefs, DexFile, DexFormatError, IdTable
from hegui.names import descriptor_to_java  # the one conversion, shared with knowledge (hegui/names.py)

MethodKey = tuple[str, str, str]  # (class descriptor, name, proto descriptor)
# The C extension's code record type (None without the extension): its references are looked up in C.
_KINDS = {"invokes": 0, "strings": 1, "types": 2, "fields": 3}  # PackedCode's reference kinds
_PACKED: type | None = parser.speedups.PackedCode if parser.speedups is not None else None
_RECORD: type | None = parser.speedups.MethodRecord if parser.speedups is not None else None


@dataclass(slots=True)
class MethodInfo:
    """One defined method. Methods the C extension read are `_speedups.MethodRecord` objects instead: the same
    attributes (and `key`, `java()`), read-only, at 72 bytes rather than this class's ~140."""

    id: int
    cls: str  # descriptor
    name: str
    proto: str
    access: int
    dex: DexFile
    code: CodeRefs

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
        self._pairs: dict[tuple[str, str], tuple[str, str]] = {}
        self._lineages: dict[str, tuple[str, ...]] = {}
        self._resolved: dict[tuple[str, str, str], MethodInfo | None] = {}
        self._ranges: dict[int, tuple[int, int]] = {}  # id(dex) -> its methods' positions in `methods`

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
            index._pairs = {}  # only needed while adding; the pairs stay shared by the classes' method tables
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
        first = len(self.methods)
        try:
            self._add_parsed(dex)
        finally:
            self._ranges[id(dex)] = (first, len(self.methods))

    def _add_parsed(self, dex: DexFile) -> None:
        self.problems.extend(dex.problems)
        self.dex_files.append(dex)
        self._refs[id(dex)], self._field_refs[id(dex)] = _member_keys(dex)
        refs = self._refs[id(dex)]
        # (name, proto) pairs repeat across classes (<init>()V, run()V, …): one tuple per pair, not per method
        pairs = self._pairs
        classes, methods, name = self.classes, self.methods, dex.name
        type_name = dex.type_name
        add_methods = parser.speedups.add_methods if parser.speedups is not None else None
        for cdef in dex.classes:  # ~13,000 classes in a 24 MB app: the loop body is kept lean
            desc = type_name(cdef.type_idx)
            if desc in classes:
                continue  # first definition wins, as in Android's class loader
            sup = type_name(cdef.superclass_idx) if cdef.superclass_idx != 0xFFFFFFFF else None
            ifaces = tuple(map(type_name, cdef.interface_idxs)) if cdef.interface_idxs else ()
            info = ClassInfo(desc, sup, ifaces, cdef.access, {}, name)
            codes = cdef.methods
            if codes and add_methods is not None and type(codes[0]) is _PACKED:
                add_methods(codes, refs, desc, dex, methods, info.methods, pairs)  # its MethodInfo records made in C
            else:
                for mc in codes:
                    _, mname, proto = refs[mc.method_idx]
                    mid = len(methods)
                    methods.append(MethodInfo(mid, desc, mname, proto, mc.access, dex, mc))
                    pair = (mname, proto)
                    info.methods[pairs.setdefault(pair, pair)] = mid
            classes[desc] = info
        self._subtypes = None
        self._lineages = {}
        self._resolved = {}

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
        if type(m.code) is _PACKED:
            return m.code.type_names(m.dex.types)
        return [m.dex.type_name(i) for i in m.code.types]

    def field_reads(self, m: MethodInfo) -> list[tuple[str, str]]:
        return [f for f in self.field_reads_at(m) if f is not None]

    def references(self, m: MethodInfo) -> tuple[list[tuple[MethodKey, int]], list[str], list[tuple[str, str]],
                                                  list[str]]:
        """(list(invokes(m)), types(m), field_reads(m), strings(m)) in one step: what the call graph reads of
        every method it reaches."""
        if type(m.code) is _PACKED:
            return m.code.references(self._refs[id(m.dex)], m.dex.strings, m.dex.types, self._field_refs[id(m.dex)])
        return list(self.invokes(m)), self.types(m), self.field_reads(m), self.strings(m)

    # One entry per position of `m.code`'s lists, None where an instruction names an entry beyond its DEX's
    # table: the consent-guard analysis names the instructions it guards by these positions. The C code
    # records look their references up themselves (no int object per reference); the results are the same.
    def invokes_at(self, m: MethodInfo) -> list[tuple[MethodKey, int] | None]:
        refs = self._refs[id(m.dex)]
        if type(m.code) is _PACKED:
            return m.code.invokes_at(refs)
        n = len(refs)
        return [(refs[idx], op) if idx < n else None for idx, op in zip(m.code.invokes, m.code.invoke_ops, strict=True)]

    def strings_at(self, m: MethodInfo) -> list[str | None]:
        table = m.dex.strings
        if type(m.code) is _PACKED:
            return m.code.strings_at(table)
        return [table[i] if i < len(table) else None for i in m.code.strings]

    def field_reads_at(self, m: MethodInfo) -> list[tuple[str, str] | None]:
        refs = self._field_refs[id(m.dex)]
        if type(m.code) is _PACKED:
            return m.code.fields_at(refs)
        return [refs[i] if i < len(refs) else None for i in m.code.fields]

    def methods_referencing(self, kind: str, wanted: dict[int, Collection[int]]) -> list[MethodInfo]:
        """The methods, in index order, with a `kind` reference ("invokes": method_ids, "strings": string_ids,
        "types": type_ids, "fields": field_ids indices) in wanted[id(their DEX)]: what a detector looking for a
        few APIs or strings among all methods needs, without a list of references made per method (in C for the
        methods the extension read)."""
        out: list[MethodInfo] = []
        for dex in self.dex_files:
            targets = wanted.get(id(dex))
            start, end = self._ranges[id(dex)]
            if not targets or start == end:
                continue
            if type(self.methods[start]) is _RECORD:
                mask = bytearray(max(targets) + 1)
                for t in targets:
                    mask[t] = 1
                out.extend(parser.speedups.referencing(self.methods, start, end, _KINDS[kind], bytes(mask)))  # type: ignore[union-attr]
            else:
                wanted_set = targets if isinstance(targets, (set, frozenset)) else set(targets)
                out.extend(m for m in self.methods[start:end]
                           if not wanted_set.isdisjoint(getattr(m.code, kind)))
        return out

    def all_strings(self) -> Iterator[str]:
        for dex in self.dex_files:
            yield from dex.strings

    # --- hierarchy ----------------------------------------------------------------------------------
    def superclasses(self, desc: str) -> tuple[str, ...]:
        """`desc`'s superclass chain, ending with the first class not defined in the APK (or None)."""
        return self.lineage(desc)[1:]

    def lineage(self, desc: str) -> tuple[str, ...]:
        """`desc` and its superclass chain. Asked hundreds of thousands of times by the call graph for a few
        thousand classes, so each chain is walked once (the index does not change once built)."""
        got = self._lineages.get(desc)
        if got is None:
            chain = [desc]
            seen = {desc}
            cur = self.classes.get(desc)
            while cur is not None and cur.superclass and cur.superclass not in seen:
                seen.add(cur.superclass)
                chain.append(cur.superclass)
                cur = self.classes.get(cur.superclass)
            got = self._lineages[desc] = tuple(chain)
        return got

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
        """The defined method a call to cls->name(proto) lands on, walking up defined superclasses. The call
        graph asks the same call tens of thousands of times, so each answer is kept until the next `add`."""
        ckey = (cls, name, proto)
        resolved = self._resolved
        if ckey in resolved:
            return resolved[ckey]
        got = resolved[ckey] = self._resolve(cls, (name, proto))
        return got

    def _resolve(self, cls: str, key: tuple[str, str]) -> MethodInfo | None:
        classes = self.classes
        for c in self.lineage(cls):
            info = classes.get(c)
            if info is None:
                return None
            mid = info.methods.get(key)
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


def _member_keys(dex: DexFile) -> tuple[list[MethodKey], list[tuple[str, str]]]:
    """`dex.method_ref` and `dex.field_ref` of every method_ids and field_ids entry (in C when built)."""
    fast = parser.speedups
    if fast is not None and isinstance(dex.methods, IdTable) and isinstance(dex.fields, IdTable):
        return (fast.member_keys(dex.methods.raw, dex.types, dex.strings, dex.protos),
                fast.member_keys(dex.fields.raw, dex.types, dex.strings, None))
    return [dex.method_ref(i) for i in range(len(dex.methods))], [dex.field_ref(i) for i in range(len(dex.fields))]
