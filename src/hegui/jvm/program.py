"""JVM classes in the form of a DEX file, so `hegui.dex.DexIndex` and everything after it read them unchanged.

`JvmProgram` holds the classes of one JAR in the tables a `DexFile` has (strings, types, protos, field and
method references, class definitions with per-method references) and the same descriptor forms. Instructions
are mapped to the Dalvik instructions d8 would emit for them:

- ``invokevirtual`` → invoke-virtual (0x6E), ``invokeinterface`` → invoke-interface (0x72), ``invokestatic`` →
  invoke-static (0x71); ``invokespecial`` → invoke-direct (0x70) for constructors and the class's own methods,
  invoke-super (0x6F) otherwise;
- the method handles an ``invokedynamic`` names (lambda bodies, method references) → the invoke of their kind;
  a constructor reference also instantiates its class (d8 desugars it into a ``new-instance``);
- ``new`` and ``ldc`` of a class → the type references of new-instance / const-class; ``ldc`` of a string →
  const-string; ``getfield``/``getstatic`` → the field reads of iget/sget (writes are not recorded, as in DEX).

There are no Dalvik code units: `data` is a DEX header declaring no class definitions, so a reader of Dalvik
code (hegui.dex.guards) finds none for these methods and keeps them as they are (unguarded).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from hegui.dex.parser import ClassDef, DexFile, MethodCode
from hegui.jvm.classfile import (
    GETFIELD,
    GETSTATIC,
    INVOKEINTERFACE,
    INVOKESPECIAL,
    INVOKESTATIC,
    INVOKEVIRTUAL,
    REF_INVOKE_INTERFACE,
    REF_INVOKE_SPECIAL,
    REF_INVOKE_STATIC,
    REF_INVOKE_VIRTUAL,
    REF_NEW_INVOKE_SPECIAL,
    ClassFile,
    ClassFormatError,
    MemberRef,
    parse_class,
)

K = TypeVar("K")

INVOKE_VIRTUAL, INVOKE_SUPER, INVOKE_DIRECT, INVOKE_STATIC, INVOKE_INTERFACE = 0x6E, 0x6F, 0x70, 0x71, 0x72
_BY_OPCODE = {INVOKEVIRTUAL: INVOKE_VIRTUAL, INVOKESTATIC: INVOKE_STATIC, INVOKEINTERFACE: INVOKE_INTERFACE}
_BY_HANDLE = {REF_INVOKE_VIRTUAL: INVOKE_VIRTUAL, REF_INVOKE_STATIC: INVOKE_STATIC, REF_INVOKE_SPECIAL: INVOKE_DIRECT,
              REF_NEW_INVOKE_SPECIAL: INVOKE_DIRECT, REF_INVOKE_INTERFACE: INVOKE_INTERFACE}
_NO_INDEX = 0xFFFFFFFF
NO_DALVIK_CODE = bytes(0x70)  # a DEX header with zero class definitions

# What one program may hold. A method costs about a kilobyte once indexed and can be 8 bytes of class file (an
# abstract one), a call 5 bytes and can be 3 bytes of code: a byte budget alone does not bound memory, these do.
# A large real SDK (guava: 2 040 classes, 16 461 methods) is far below them.
MAX_CLASSES = 40_000
MAX_METHODS = 100_000
MAX_REFERENCES = 6_000_000  # calls, constants, instantiations, field reads
CHECK_EVERY = 256  # classes between calls of Allowance.check
MAX_PROBLEMS = 100  # unreadable class files listed one per line; one more line says the rest are not


@dataclass
class Allowance:
    """The classes, methods and references programs may take, and the scan's budget check (called between
    classes with the stage name; it raises to stop the scan). One allowance shared by the programs of one
    package makes the limits hold for the package."""

    max_classes: int = MAX_CLASSES
    max_methods: int = MAX_METHODS
    max_references: int = MAX_REFERENCES
    check: Callable[[str], None] | None = None
    classes: int = 0  # taken so far
    methods: int = 0
    references: int = 0

    def take(self, cls: ClassFile) -> str | None:
        """Count `cls` in; what it would exceed, or None when it fits (then it is taken)."""
        references = sum(len(m.invokes) + len(m.dynamic) + len(m.strings) + len(m.types) + len(m.fields)
                         for m in cls.methods)
        for what, total, limit in (("classes", self.classes + 1, self.max_classes),
                                   ("methods", self.methods + len(cls.methods), self.max_methods),
                                   ("references", self.references + references, self.max_references)):
            if total > limit:
                return f"more than {limit} {what}"
        self.classes += 1
        self.methods += len(cls.methods)
        self.references += references
        return None


def dalvik_invoke(op: int, callee: MemberRef, caller_cls: str) -> int:
    """The Dalvik invoke opcode d8 emits for a JVM invoke instruction in a method of `caller_cls`."""
    if op == INVOKESPECIAL:
        return INVOKE_DIRECT if callee.name == "<init>" or callee.cls == caller_cls else INVOKE_SUPER
    return _BY_OPCODE[op]


class JvmProgram(DexFile):
    """The classes of one JAR as a `DexFile` (see the module docstring)."""

    def __init__(self, name: str, classes: Iterable[ClassFile], problems: Iterable[str] = ()) -> None:
        # DexFile.__init__ parses DEX bytes; there are none, so the tables are filled here instead.
        self.name = name
        self.problems = list(problems)
        self.data = NO_DALVIK_CODE
        self._sweep_budget = 0
        self._sweep_stopped = True
        self.strings: list[str] = []
        self.types: list[str] = []
        self.protos: list[str] = []
        self.fields: list[tuple[int, int, int]] = []  # (class_idx, type_idx, name_idx), as DexFile
        self.methods: list[tuple[int, int, int]] = []  # (class_idx, proto_idx, name_idx), as DexFile
        self.classes: list[ClassDef] = []
        self._string_ids: dict[str, int] = {}
        self._type_ids: dict[str, int] = {}
        self._proto_ids: dict[str, int] = {}
        self._field_ids: dict[tuple[int, int, int], int] = {}
        self._method_ids: dict[tuple[int, int, int], int] = {}
        for cls in classes:
            self._add_class(cls)

    # --- interning ----------------------------------------------------------------------------------
    def _intern(self, value: str) -> int:
        return _interned(self._string_ids, self.strings, value)

    def _type(self, desc: str) -> int:
        idx = _interned(self._type_ids, self.types, desc)
        self._intern(desc)  # a DEX type names its descriptor in the string table
        return idx

    def _method(self, ref: MemberRef) -> int:
        proto = _interned(self._proto_ids, self.protos, ref.desc)
        return _interned(self._method_ids, self.methods, (self._type(ref.cls), proto, self._intern(ref.name)))

    def _field(self, ref: MemberRef) -> int:
        return _interned(self._field_ids, self.fields, (self._type(ref.cls), self._type(ref.desc), self._intern(ref.name)))

    # --- classes ------------------------------------------------------------------------------------
    def _add_class(self, cls: ClassFile) -> None:
        self.problems.extend(f"{self.name}: {p}" for p in cls.problems)
        cdef = ClassDef(self._type(cls.name), cls.access,
                        self._type(cls.superclass) if cls.superclass else _NO_INDEX,
                        tuple(self._type(i) for i in cls.interfaces))
        for body in cls.methods:
            invokes, ops = array("I"), bytearray()
            strings, types, fields = array("I"), array("I"), array("I")
            for op, callee in body.invokes:
                invokes.append(self._method(callee))
                ops.append(dalvik_invoke(op, callee, cls.name))
            for kind, target in body.dynamic:
                invokes.append(self._method(target))
                ops.append(_BY_HANDLE[kind])
                if kind == REF_NEW_INVOKE_SPECIAL:
                    types.append(self._type(target.cls))
            strings.extend(self._intern(s) for s in body.strings)
            types.extend(self._type(t) for t in body.types)
            fields.extend(self._field(f) for op, f in body.fields if op in (GETFIELD, GETSTATIC))
            own = MemberRef(cls.name, body.name, body.desc)
            cdef.methods.append(MethodCode(self._method(own), body.access, invokes, bytes(ops), strings, types,
                                           fields))
        self.classes.append(cdef)


def read_program(name: str, entries: Iterable[tuple[str, bytes]], allowance: Allowance | None = None) -> JvmProgram:
    """The class files `entries` ((shown entry name, bytes), in the JAR's order) as one program.

    A class file that cannot be read becomes one problem line naming its entry (the first `MAX_PROBLEMS`);
    the others are kept. Module descriptors (module-info.class) define no class and are left out. Classes are
    added one at a time, a parsed class dropped once it is in DEX form; when `allowance` (by default this
    program's own) is spent, one problem line says so and the rest of the entries is not read.
    """
    allowance = allowance if allowance is not None else Allowance()
    program = JvmProgram(name, ())
    unreadable = 0

    def unreadable_class(line: str) -> None:
        nonlocal unreadable
        unreadable += 1
        if unreadable <= MAX_PROBLEMS:
            program.problems.append(line)
        elif unreadable == MAX_PROBLEMS + 1:
            program.problems.append(f"{name}: further unreadable class files are not listed (only the first "
                                    f"{MAX_PROBLEMS})")

    for n, (entry, data) in enumerate(entries, 1):
        if allowance.check is not None and n % CHECK_EVERY == 0:
            allowance.check(f"reading {name}")
        try:
            cls = parse_class(data)
        except ClassFormatError as exc:
            unreadable_class(f"{name}: {entry}: {exc}")
            continue
        except Exception as exc:  # a malformed table we did not foresee: keep the other classes
            unreadable_class(f"{name}: {entry}: unreadable class file ({type(exc).__name__}: {exc})")
            continue
        if cls.is_module:
            continue
        exceeded = allowance.take(cls)
        if exceeded:
            program.problems.append(f"{name}: {entry} and the class files after it not read: the code would hold "
                                    f"{exceeded}")
            break
        program._add_class(cls)
    return program


def _interned(ids: dict[K, int], table: list[K], value: K) -> int:
    """`value`'s index in `table`, appending it the first time (`ids` maps values to indices)."""
    idx = ids.get(value)
    if idx is None:
        idx = ids[value] = len(table)
        table.append(value)
    return idx
