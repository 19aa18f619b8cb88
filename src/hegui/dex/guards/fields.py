"""The program's boolean fields as the consent-field judgement needs them: which exist by name, which class
declares one and whether a static one starts false, and a byte search for the instructions that write a
field or call a method (each DEX's code items, mapped back to the index's methods)."""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections.abc import Iterable

from hegui.dex import parser
from hegui.dex.guards.bytecode import CodeReader, Unsupported, class_fields, dex_string, static_value_set
from hegui.dex.index import DexIndex
from hegui.dex.parser import DexFile, IdTable


class BooleanFields:
    """Boolean-field tables and write/call sites over a `DexIndex`, per DEX, built on first use."""

    def __init__(self, index: DexIndex, reader: CodeReader) -> None:
        self.index = index
        self._reader = reader
        self._boolean_fields: dict[int, dict[str, list[int]]] = {}  # id(dex) -> name -> boolean field_ids indices
        self._z_fields: dict[int, frozenset[int]] = {}  # id(dex) -> field_ids indices of boolean fields
        self._code_tables: dict[int, tuple[list[int], list[tuple[int, int, int]]]] = {}

    def ids(self, dex: DexFile) -> frozenset[int]:
        """field_ids indices of `dex`'s boolean fields."""
        got = self._z_fields.get(id(dex))
        if got is None:
            got = self._z_fields[id(dex)] = frozenset(f for fids in self.by_name(dex).values() for f in fids)
        return got

    def by_name(self, dex: DexFile) -> dict[str, list[int]]:
        """`dex`'s boolean fields: name -> field_ids indices."""
        table = self._boolean_fields.get(id(dex))
        if table is None:
            table = {}
            strings = dex.strings
            fast = parser.speedups
            if isinstance(dex.fields, IdTable) and fast is not None and isinstance(dex.types, list):  # in C
                fields = dex.fields
                for fidx in fast.id_entries(fields.raw, fast.string_mask(dex.types, "Z", True), len(strings)):
                    table.setdefault(strings[fields[fidx][2]], []).append(fidx)
            else:
                z = {i for i, t in enumerate(dex.types) if t == "Z"}
                for fidx, (_c, type_idx, name_idx) in enumerate(dex.fields):
                    if type_idx in z and name_idx < len(strings):
                        table.setdefault(strings[name_idx], []).append(fidx)
            self._boolean_fields[id(dex)] = table
        return table

    def declaring(self, cls: str, name: str) -> tuple[str, str] | None:
        """The class declaring boolean field `name` as `cls` sees it; None if the APK does not declare it or
        gives it a static initial value other than false."""
        for c in (cls, *self.index.superclasses(cls)):
            info = self.index.classes.get(c)
            if info is None or not info.methods:
                return None
            dex = self.index.methods[next(iter(info.methods.values()))].dex
            class_data_off, static_values_off = self._reader.class_table(dex).get(c, (0, 0))
            if not class_data_off:
                continue
            statics, instances = class_fields(dex.data, class_data_off)
            if any(self._is_boolean_field(dex, f, name) for f in instances):
                return c, name
            for i, f in enumerate(statics):
                if self._is_boolean_field(dex, f, name):
                    return None if static_value_set(dex.data, static_values_off, i) else (c, name)
        return None

    @staticmethod
    def _is_boolean_field(dex: DexFile, fidx: int, name: str) -> bool:
        if fidx >= len(dex.fields):
            return False
        _c, type_idx, name_idx = dex.fields[fidx]
        return dex_string(dex, name_idx) == name and dex.type_name(type_idx) == "Z"

    def field_ids(self, dex: DexFile, desc: str, name: str) -> list[int]:
        """`dex`'s references to boolean field `name` that resolve to `desc` (or may: subclasses count)."""
        out = []
        for fidx in self.by_name(dex).get(name, ()):
            cls = dex.type_name(dex.fields[fidx][0])
            if cls == desc or desc in self.index.superclasses(cls):
                out.append(fidx)
        return out

    def sites(self, dex: DexFile, idx: int, ops: Iterable[int]) -> list[tuple[int, int]]:
        """(method id, unit offset in its code) of every possible instruction with an opcode in `ops` and
        `idx` as its field or method index (`iput/sput-boolean`, `invoke-*`).

        A byte search: an instruction starts at an even offset with the opcode, the index two bytes later.
        Hits inside an instruction are sorted out by the caller on the decoded method; a hit in code no
        indexed method owns cannot be judged.
        """
        data = dex.data
        if idx > 0xFFFF:
            return []  # no instruction can name it
        lit = struct.pack("<H", idx)
        ops = frozenset(ops)
        starts, rows = self._code_table(dex)
        out: list[tuple[int, int]] = []
        p = data.find(lit, 2)
        while p >= 0:
            if not p & 1 and data[p - 2] in ops:
                at = p - 2
                i = bisect_right(starts, at) - 1
                begin = rows[i][0] if i >= 0 else 0
                while i >= 0 and rows[i][0] == begin:  # methods sharing one code item
                    _b, end, mid = rows[i]
                    if at < end:
                        if mid < 0:
                            raise Unsupported
                        out.append((mid, (at - begin) // 2))
                    i -= 1
            p = data.find(lit, p + 1)
        return out

    def _code_table(self, dex: DexFile) -> tuple[list[int], list[tuple[int, int, int]]]:
        """Every code item of `dex` as (first byte, end byte, method id or -1), sorted; starts alone too."""
        got = self._code_tables.get(id(dex))
        if got is None:
            data = dex.data
            refs = self.index.method_refs(dex)
            methods = self.index.methods
            rows: list[tuple[int, int, int]] = []
            for desc in self._reader.class_table(dex):
                info = self.index.classes.get(desc)
                for midx, code_off in self._reader.methods_of(dex, desc):
                    if not code_off or code_off + 16 > len(data):
                        continue
                    insns, = struct.unpack_from("<I", data, code_off + 12)
                    mid = -1
                    if info is not None and midx < len(refs):
                        found = info.methods.get(refs[midx][1:])
                        if found is not None and methods[found].dex is dex and methods[found].code.method_idx == midx:
                            mid = found
                    rows.append((code_off + 16, code_off + 16 + 2 * insns, mid))
            rows.sort()
            got = self._code_tables[id(dex)] = ([r[0] for r in rows], rows)
        return got
