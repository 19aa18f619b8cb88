"""A small, fast DEX reader: the tables hegui needs and a linear sweep over every method's bytecode.

It reads hostile bytes: every offset and count is bounds-checked, and a malformed part of a file is
recorded in `problems` while the rest is still read. It does not disassemble: for each method with code
it records the method, string, type and field-read references of its instructions, which is what call
graphs, API matching and string evidence need.

The per-class work (class_data_item decoding and the bytecode sweep, most of a scan's time), the string and
proto tables run in the optional C extension `hegui.dex._speedups` when it was compiled at install time; it
gives results identical to the Python code below, which is used when the extension is missing or
`HEGUI_PURE_PYTHON=1`. The extension's code records are its compact `PackedCode` objects (see `CodeRefs`).
"""

from __future__ import annotations

import os
import struct
import zlib
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Protocol

from hegui.dex import opcodes

_HEADER = struct.Struct("<8s I 20s 20I")
_ID_ITEM = struct.Struct("<HHI")  # field_id_item and method_id_item
_NO_INDEX = 0xFFFFFFFF
ACC_STATIC = 0x8
ACC_ABSTRACT = 0x400
ACC_INTERFACE = 0x200
ACC_NATIVE = 0x100
# Limits of the format that bound what a count read from the file may ask for. A count is also checked
# against the bytes that could hold it before anything is unpacked.
MAX_PARAMETERS = 255  # a Dalvik method has at most 255 argument registers (invoke/range), so no proto more
MAX_INTERFACES = 65535  # interfaces_count of the class file a DEX class comes from is a u2
# Problem lines kept per file: a hostile file can make every method faulty, and a line per method
# would turn a few bytes each into a few hundred bytes each.
MAX_PROBLEMS = 1000
MAX_METHODS = 65536  # method ids d8 writes into one DEX at most (invoke names a method in 16 bits)


def _load_speedups() -> ModuleType | None:
    """The C accelerator, unless it was not built or HEGUI_PURE_PYTHON=1 asks for the Python path."""
    if os.environ.get("HEGUI_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from hegui.dex import _speedups
    except ImportError:
        return None
    return _speedups


# Module attribute rather than a constant so that tests can compare both paths in one process.
speedups: ModuleType | None = _load_speedups()

# What the C extension's per-method events mean, in parser.py's own wording.
_EVENT_TEXT = ("has code outside the file", "code runs past the file end", "ends inside an instruction")
_EVENT_BUDGET = 3  # the sweep budget ran out at this method


class DexFormatError(ValueError):
    """The file is not a DEX we can read at all (bad magic, header beyond the data)."""


class CodeRefs(Protocol):
    """References made by one method's instructions, as indices into its DexFile's tables (read-only).

    The C extension gives its own compact type (`_speedups.PackedCode`), the Python path and hegui.jvm give
    `MethodCode`; both have these attributes (the DEX reader's references are tuples of ints).
    """

    @property
    def method_idx(self) -> int: ...
    @property
    def access(self) -> int: ...
    @property
    def invokes(self) -> Sequence[int]: ...  # method_ids indices, in instruction order
    @property
    def invoke_ops(self) -> bytes: ...  # the opcode of each entry of `invokes`
    @property
    def strings(self) -> Sequence[int]: ...  # string_ids indices (const-string)
    @property
    def types(self) -> Sequence[int]: ...  # type_ids indices (new-instance / const-class)
    @property
    def fields(self) -> Sequence[int]: ...  # field_ids indices (iget*/sget*)


@dataclass(slots=True)
class MethodCode:
    """`CodeRefs` as Python objects (the pure-Python path; hegui.jvm). Treat as read-only."""

    method_idx: int
    access: int
    invokes: Sequence[int]
    invoke_ops: bytes
    strings: Sequence[int]
    types: Sequence[int]
    fields: Sequence[int]


def code_facts(code: CodeRefs) -> tuple[int, int, tuple[int, ...], bytes, tuple[int, ...], tuple[int, ...],
                                        tuple[int, ...]]:
    """Everything a `CodeRefs` says, comparable whichever type holds it (the C and Python paths' are equal)."""
    return (code.method_idx, code.access, tuple(code.invokes), bytes(code.invoke_ops), tuple(code.strings),
            tuple(code.types), tuple(code.fields))


@dataclass(slots=True)
class ClassDef:
    type_idx: int
    access: int
    superclass_idx: int  # _NO_INDEX for java.lang.Object
    interface_idxs: tuple[int, ...]
    methods: list[CodeRefs] = field(default_factory=list)  # direct then virtual; abstract/native included


def uleb128(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 35:
            raise DexFormatError("uleb128 value too long")


class ClassDataWalk:
    """Where a class_data_item walk may go (`limit`) and where it got to (`pos`)."""

    __slots__ = ("limit", "pos")

    def __init__(self, pos: int, limit: int) -> None:
        self.pos = pos
        self.limit = limit


def class_data_methods(data: bytes, pos: int, walk: ClassDataWalk | None = None) -> Iterator[tuple[int, int, int]]:
    """(method_idx, access_flags, code_off) of a class_data_item's direct then virtual methods; fields skipped.

    With `walk`, no uleb128 may end past `walk.limit` (DexFormatError, the per-file budget of class data
    bytes) and `walk.pos` follows the position read up to.
    """
    limit = len(data) if walk is None else walk.limit

    def read(at: int) -> tuple[int, int]:
        value, after = uleb128(data, at)
        if after > limit:
            raise DexFormatError("class data overlaps other classes' (budget of class data bytes spent)")
        if walk is not None:
            walk.pos = after
        return value, after

    sfields, pos = read(pos)
    ifields, pos = read(pos)
    direct, pos = read(pos)
    virtual, pos = read(pos)
    for _ in range(sfields + ifields):
        _, pos = read(pos)
        _, pos = read(pos)
    for count in (direct, virtual):
        midx = 0
        for _ in range(count):
            diff, pos = read(pos)
            access, pos = read(pos)
            code_off, pos = read(pos)
            midx += diff
            yield midx, access, code_off


def mutf8(raw: bytes) -> str:
    """Decode DEX / class-file string bytes (modified UTF-8). Raises UnicodeDecodeError (a ValueError) when the
    bytes are not even that; callers count such a string as unreadable."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Modified UTF-8: NUL as C0 80 and supplementary characters as surrogate pairs (CESU-8).
        text = raw.replace(b"\xc0\x80", b"\x00").decode("utf-8", "surrogatepass")
        try:
            return text.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            return text.encode("utf-8", "replace").decode("utf-8", "replace")


class DexFile:
    """One parsed classes*.dex."""

    def __init__(self, data: bytes, name: str = "classes.dex") -> None:
        self.name = name
        self.problems: list[str] = []
        if len(data) < _HEADER.size or not data.startswith(b"dex\n"):
            raise DexFormatError("not a DEX file (bad magic)")
        h = _HEADER.unpack_from(data, 0)
        (
            _file_size, _header_size, endian, _link_size, _link_off, _map_off,
            string_ids_size, string_ids_off, type_ids_size, type_ids_off, proto_ids_size, proto_ids_off,
            field_ids_size, field_ids_off, method_ids_size, method_ids_off, class_defs_size, class_defs_off,
            _data_size, _data_off,
        ) = h[3:]
        if endian != 0x12345678:
            raise DexFormatError("unsupported endianness tag")
        n = len(data)
        if n < _file_size:
            self.problems.append(f"{name}: truncated ({n} of {_file_size} bytes)")
        elif zlib.adler32(data[12:_file_size]) != h[1]:
            self.problems.append(f"{name}: checksum mismatch (modified after build)")
        for what, off, count, width in (
            ("string_ids", string_ids_off, string_ids_size, 4), ("type_ids", type_ids_off, type_ids_size, 4),
            ("proto_ids", proto_ids_off, proto_ids_size, 12), ("field_ids", field_ids_off, field_ids_size, 8),
            ("method_ids", method_ids_off, method_ids_size, 8), ("class_defs", class_defs_off, class_defs_size, 32),
        ):
            if count and (off + count * width > n or off < 0x70):
                raise DexFormatError(f"{what} table lies outside the file")
        self.data = data
        self._problems_dropped = 0
        # Tables that several items may share (strings, parameter and interface lists, class data) are read
        # under a budget proportional to the file: a well-formed file reads each such part once, a hostile
        # one could point every item at one large part and multiply memory by the number of items.
        self._string_budget = n  # bytes of string data decoded
        # Interfaces named by all classes together (a shared list counts once per class: every class's
        # interfaces become names in the index). Real classes name a few each, in 32-byte class_defs.
        self._interface_budget = n // 2
        self._text_budget = 16 * n + (1 << 20)  # characters of proto descriptors built
        # Code units the sweep may still read. Well-formed files hold at most len(data) // 2 in all, each
        # swept once; a hostile file can point many methods at one large code item instead, which would
        # multiply the work (and the references kept) without bound.
        self._sweep_budget = len(data)
        self._sweep_stopped = False
        self.strings = self._read_strings(string_ids_off, string_ids_size)
        self.types = [self._string(i) for i in array_from(data, type_ids_off, type_ids_size)]
        self.protos = self._read_protos(proto_ids_off, proto_ids_size)
        self.fields: Sequence[tuple[int, int, int]] = IdTable(data[field_ids_off : field_ids_off + 8 * field_ids_size])
        # (class_idx, type_idx, name_idx)
        self.methods: Sequence[tuple[int, int, int]] = IdTable(
            data[method_ids_off : method_ids_off + 8 * method_ids_size])
        # (class_idx, proto_idx, name_idx)
        # Bytes of class_data_items walked: each is walked once in a well-formed file, while classes pointing
        # at one item would otherwise multiply its methods (memory) and fields (time) by the number of classes.
        # It also bounds the methods read to a third of the file (three uleb128 bytes at least each).
        self._class_data_budget = n
        # Methods read: each method_ids entry is defined by one class at most, and d8 writes at most 65,536
        # method ids per DEX. (Duplicated method indices cost 3 bytes each but a few hundred in memory.)
        self._method_budget = max(len(self.methods), MAX_METHODS)
        self.classes = self._read_classes(class_defs_off, class_defs_size)
        if self._problems_dropped:
            self.problems.append(f"{name}: {self._problems_dropped} more problem(s) not listed")

    def _problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self._problems_dropped += 1

    # --- tables -------------------------------------------------------------------------------------
    def _read_strings(self, off: int, count: int) -> list[str]:
        data = self.data
        if speedups is not None:
            out, bad, over, self._string_budget = speedups.read_strings(data, off, count, mutf8, self._string_budget)
        else:
            out, bad, over = self._read_strings_py(off, count)
        if bad:
            self._problem(f"{self.name}: {bad} unreadable string(s)")
        if over:
            self._problem(f"{self.name}: {over} string(s) not read (string ids overlap: "
                          f"budget of {len(data)} bytes of string data spent)")
        return out

    def _read_strings_py(self, off: int, count: int) -> tuple[list[str], int, int]:
        """_read_strings without the C extension: (strings, unreadable, over budget)."""
        data = self.data
        n = len(data)
        out: list[str] = []
        bad = over = 0
        for str_off in array_from(data, off, count):
            try:
                _, pos = uleb128(data, str_off)
                end = data.index(b"\x00", pos, min(n, pos + 4 * 65536 * 3))
            except (IndexError, ValueError):
                out.append("")
                bad += 1
                continue
            if end - pos > self._string_budget:
                out.append("")
                over += 1
                continue
            self._string_budget -= end - pos
            try:
                out.append(mutf8(data[pos:end]))
            except ValueError:
                out.append("")
                bad += 1
        return out, bad, over

    def _string(self, idx: int) -> str:
        return self.strings[idx] if idx < len(self.strings) else ""

    def _read_protos(self, off: int, count: int) -> list[str]:
        if speedups is not None:
            out, problems, self._text_budget = speedups.read_protos(self.data, off, count, self.types,
                                                                    self._text_budget)
            for i, why in problems:
                if why is None:
                    self._problem(f"{self.name}: proto {i} and later protos not named "
                                  f"(descriptors longer than the file allows)")
                else:
                    self._problem(f"{self.name}: proto {i} has a bad parameter list ({why})")
            return out
        return self._read_protos_py(off, count)

    def _read_protos_py(self, off: int, count: int) -> list[str]:
        """_read_protos without the C extension."""
        data = self.data
        out: list[str] = []
        lists: dict[int, str] = {}  # parameter text by list offset: protos may share a list
        for i in range(count):
            _shorty, ret_idx, params_off = struct.unpack_from("<III", data, off + 12 * i)
            params = ""
            if params_off:
                cached = lists.get(params_off)
                if cached is None:
                    idxs, why = self._type_list(params_off, MAX_PARAMETERS, "parameters", 1 << 32)
                    if why:
                        self._problem(f"{self.name}: proto {i} has a bad parameter list ({why})")
                    cached = lists[params_off] = "".join(self.type_name(t) for t in idxs)
                params = cached
            text = f"({params}){self.type_name(ret_idx)}"
            if len(text) > self._text_budget:
                if self._text_budget >= 0:
                    self._problem(f"{self.name}: proto {i} and later protos not named "
                                  f"(descriptors longer than the file allows)")
                self._text_budget = -1
                text = "(?)V"
            else:
                self._text_budget -= len(text)
            out.append(text)
        return out

    def _type_list(self, off: int, limit: int, what: str, budget: int) -> tuple[tuple[int, ...], str | None]:
        """The type indices of the type_list at `off`, or () and why not. The declared size is checked
        against the format's `limit`, the bytes after it and `budget` before anything is read."""
        data = self.data
        if off + 4 > len(data):
            return (), "outside the file"
        (size,) = struct.unpack_from("<I", data, off)
        if size > limit:
            return (), f"{size} {what} declared, at most {limit}"
        if off + 4 + 2 * size > len(data):
            return (), f"{size} {what} declared, the file ends first"
        if size > budget:
            return (), f"classes name more {what} than the file could hold: budget of {len(data) // 2} spent"
        return struct.unpack_from(f"<{size}H", data, off + 4), None

    def type_name(self, idx: int) -> str:
        return self.types[idx] if idx < len(self.types) else "L?;"

    def _read_classes(self, off: int, count: int) -> list[ClassDef]:
        data = self.data
        out: list[ClassDef] = []
        accelerated = speedups
        units = array("H")
        if accelerated is None:
            units.frombytes(data[: len(data) & ~1])
        interfaces: dict[int, tuple[int, ...]] = {}  # by list offset: classes may share a list
        for i in range(count):
            cls_idx, access, super_idx, ifaces_off, _src, _ann, class_data_off, _static = struct.unpack_from(
                "<8I", data, off + 32 * i
            )
            ifaces: tuple[int, ...] = ()
            if ifaces_off:
                cached = interfaces.get(ifaces_off)
                if cached is not None and len(cached) <= self._interface_budget:
                    ifaces = cached
                else:
                    ifaces, why = self._type_list(ifaces_off, MAX_INTERFACES, "interfaces", self._interface_budget)
                    if why:
                        self._problem(f"{self.name}: class {self.type_name(cls_idx)} has a bad interface list ({why})")
                    elif cached is None:
                        interfaces[ifaces_off] = ifaces
                self._interface_budget -= len(ifaces)
            cdef = ClassDef(cls_idx, access, super_idx, ifaces)
            if class_data_off:
                try:
                    if accelerated is None:
                        self._read_class_data(cdef, class_data_off, units)
                    else:
                        self._read_class_data_c(accelerated, cdef, class_data_off)
                except (struct.error, IndexError, DexFormatError) as exc:
                    self._problem(f"{self.name}: class {self.type_name(cls_idx)} unreadable ({exc})")
                    cdef = ClassDef(cls_idx, access, super_idx, ifaces)
            out.append(cdef)
        return out

    def _read_class_data(self, cdef: ClassDef, pos: int, units: array) -> None:
        n_methods = len(self.methods)
        walk = ClassDataWalk(pos, min(len(self.data), pos + self._class_data_budget))
        try:
            for midx, access, code_off in class_data_methods(self.data, pos, walk):
                if midx >= n_methods:
                    raise DexFormatError("method index out of range")
                if len(cdef.methods) >= self._method_budget:
                    raise DexFormatError("more methods than the file has method ids")
                cdef.methods.append(self._scan_code(midx, access, code_off, units))
        finally:
            self._class_data_budget -= walk.pos - pos
        self._method_budget -= len(cdef.methods)

    def _read_class_data_c(self, accelerated: ModuleType, cdef: ClassDef, pos: int) -> None:
        """`_read_class_data` in C: same methods, same problem lines, same failure text."""
        methods, events, error, self._sweep_budget, walked = accelerated.read_class_data(
            self.data, pos, len(self.methods), opcodes.LENGTH, opcodes.KIND, self._sweep_budget,
            self._class_data_budget, self._method_budget,
        )
        self._class_data_budget -= walked
        for event, midx in events:
            if event == _EVENT_BUDGET:
                self._stop_sweeping(midx)
            else:
                self._problem(f"{self.name}: {self.method_name(midx)} {_EVENT_TEXT[event]}")
        if error is not None:
            raise DexFormatError(error)
        cdef.methods = methods
        self._method_budget -= len(methods)

    # --- bytecode sweep -----------------------------------------------------------------------------
    def _scan_code(self, midx: int, access: int, code_off: int, units: array) -> CodeRefs:
        invokes = array("I")
        ops = bytearray()
        strings = array("I")
        types = array("I")
        fields = array("I")
        if code_off:
            if code_off + 16 > len(self.data) or code_off & 1:
                self._problem(f"{self.name}: {self.method_name(midx)} has code outside the file")
            else:
                (insns_size,) = struct.unpack_from("<I", self.data, code_off + 12)
                start = (code_off + 16) >> 1
                end = start + insns_size
                if end > len(units):
                    self._problem(f"{self.name}: {self.method_name(midx)} code runs past the file end")
                    end = len(units)
                if end - start > self._sweep_budget:
                    self._stop_sweeping(midx)
                else:
                    self._sweep_budget -= end - start
                    try:
                        _sweep(units, start, end, invokes, ops, strings, types, fields)
                    except IndexError:
                        self._problem(f"{self.name}: {self.method_name(midx)} ends inside an instruction")
        return MethodCode(midx, access, tuple(invokes), bytes(ops), tuple(strings), tuple(types), tuple(fields))

    def _stop_sweeping(self, midx: int) -> None:
        """From method `midx` on, methods keep no references: their code was already read many times over."""
        self._sweep_budget = 0
        if not self._sweep_stopped:
            self._sweep_stopped = True
            self._problem(
                f"{self.name}: {self.method_name(midx)} and later methods not swept "
                f"(methods share code: {len(self.data)} code units read already)"
            )

    # --- names --------------------------------------------------------------------------------------
    def method_name(self, midx: int) -> str:
        cls, proto, name = self.methods[midx]
        return f"{self.type_name(cls)}->{self._string(name)}{self.protos[proto] if proto < len(self.protos) else '()V'}"

    def method_ref(self, midx: int) -> tuple[str, str, str]:
        """(class descriptor, method name, proto descriptor) of a method_ids entry."""
        cls, proto, name = self.methods[midx]
        return self.type_name(cls), self._string(name), self.protos[proto] if proto < len(self.protos) else "()V"

    def field_ref(self, fidx: int) -> tuple[str, str]:
        cls, _type, name = self.fields[fidx]
        return self.type_name(cls), self._string(name)


class IdTable(Sequence[tuple[int, int, int]]):
    """A field_ids or method_ids table as (class_idx, type or proto idx, name_idx) tuples, kept as its 8-byte
    entries: a tuple of three ints per entry was a fifth of a large APK's index (half a million entries)."""

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = raw[: len(raw) - len(raw) % 8]

    def __len__(self) -> int:
        return len(self.raw) >> 3

    def __getitem__(self, i):  # type: ignore[override]  # ints only: no caller slices an id table
        n = len(self.raw) >> 3
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("id table index out of range")
        return _ID_ITEM.unpack_from(self.raw, 8 * i)

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        return _ID_ITEM.iter_unpack(self.raw)


def array_from(data: bytes, off: int, count: int) -> array:
    a = array("I")
    a.frombytes(data[off : off + 4 * count])
    return a


def _sweep(units: array, i: int, end: int, invokes: array, ops: bytearray, strings: array,
           types: array, fields: array) -> None:
    """Walk instructions from unit `i` to `end`, collecting the references of interest.

    Kept as one flat loop with local names: it runs once per instruction of the whole APK.
    """
    length, kind = opcodes.LENGTH, opcodes.KIND
    method_k, string_k, field_k, type_k = opcodes.METHOD, opcodes.STRING, opcodes.FIELD, opcodes.TYPE
    add_invoke, add_op, add_string, add_type, add_field = (
        invokes.append, ops.append, strings.append, types.append, fields.append,
    )
    while i < end:
        u = units[i]
        op = u & 0xFF
        k = kind[op]
        if k:
            if k == method_k:
                add_invoke(units[i + 1])
                add_op(op)
            elif k == string_k:
                add_string(units[i + 1])
            elif k == field_k:
                add_field(units[i + 1])
            elif k == type_k:
                add_type(units[i + 1])
            else:  # const-string/jumbo
                add_string(units[i + 1] | (units[i + 2] << 16))
            i += length[op]
        elif op == 0 and u:
            if u == 0x0100:  # packed-switch-payload
                i += 4 + units[i + 1] * 2
            elif u == 0x0200:  # sparse-switch-payload
                i += 2 + units[i + 1] * 4
            elif u == 0x0300:  # fill-array-data-payload
                width = units[i + 1]
                size = units[i + 2] | (units[i + 3] << 16)
                i += 4 + (size * width + 1) // 2
            else:
                i += 1
        else:
            i += length[op]
