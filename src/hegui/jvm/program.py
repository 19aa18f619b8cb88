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
from collections.abc import Iterable

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

INVOKE_VIRTUAL, INVOKE_SUPER, INVOKE_DIRECT, INVOKE_STATIC, INVOKE_INTERFACE = 0x6E, 0x6F, 0x70, 0x71, 0x72
_BY_OPCODE = {INVOKEVIRTUAL: INVOKE_VIRTUAL, INVOKESTATIC: INVOKE_STATIC, INVOKEINTERFACE: INVOKE_INTERFACE}
_BY_HANDLE = {REF_INVOKE_VIRTUAL: INVOKE_VIRTUAL, REF_INVOKE_STATIC: INVOKE_STATIC, REF_INVOKE_SPECIAL: INVOKE_DIRECT,
              REF_NEW_INVOKE_SPECIAL: INVOKE_DIRECT, REF_INVOKE_INTERFACE: INVOKE_INTERFACE}
_NO_INDEX = 0xFFFFFFFF
NO_DALVIK_CODE = bytes(0x70)  # a DEX header with zero class definitions


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
        idx = self._string_ids.get(value)
        if idx is None:
            idx = self._string_ids[value] = len(self.strings)
            self.strings.append(value)
        return idx

    def _type(self, desc: str) -> int:
        idx = self._type_ids.get(desc)
        if idx is None:
            idx = self._type_ids[desc] = len(self.types)
            self.types.append(desc)
            self._intern(desc)
        return idx

    def _method(self, ref: MemberRef) -> int:
        proto = self._proto_ids.get(ref.desc)
        if proto is None:
            proto = self._proto_ids[ref.desc] = len(self.protos)
            self.protos.append(ref.desc)
        key = (self._type(ref.cls), proto, self._intern(ref.name))
        idx = self._method_ids.get(key)
        if idx is None:
            idx = self._method_ids[key] = len(self.methods)
            self.methods.append(key)
        return idx

    def _field(self, ref: MemberRef) -> int:
        key = (self._type(ref.cls), self._type(ref.desc), self._intern(ref.name))
        idx = self._field_ids.get(key)
        if idx is None:
            idx = self._field_ids[key] = len(self.fields)
            self.fields.append(key)
        return idx

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


def read_program(name: str, entries: Iterable[tuple[str, bytes]]) -> JvmProgram:
    """The class files `entries` ((shown entry name, bytes), in the JAR's order) as one program.

    A class file that cannot be read becomes one problem line naming its entry; the others are kept.
    Module descriptors (module-info.class) define no class and are left out.
    """
    classes: list[ClassFile] = []
    problems: list[str] = []
    for entry, data in entries:
        try:
            cls = parse_class(data)
        except ClassFormatError as exc:
            problems.append(f"{name}: {entry}: {exc}")
            continue
        except Exception as exc:  # a malformed table we did not foresee: keep the other classes
            problems.append(f"{name}: {entry}: unreadable class file ({type(exc).__name__}: {exc})")
            continue
        if not cls.is_module:
            classes.append(cls)
    return JvmProgram(name, classes, problems)
