"""A bounded reader for JVM class files: the code of SDK JARs and AARs (JVMS chapter 4).

It reads hostile bytes. Every count and index is checked against the data; a class file that cannot be
read raises `ClassFormatError` (one line) and a method whose code is malformed keeps what was read before the
fault and records one problem line. Work is linear in the size of the file: code is swept once, and an
``invokedynamic`` looks at most `MAX_HANDLES_PER_BOOTSTRAP` method handles of its bootstrap method, resolved
once per bootstrap method.

Like the DEX reader, it does not disassemble: for each method it records the calls
(``invokevirtual/special/static/interface``), the string and class constants (``ldc``/``ldc_w``), the
instantiated classes (``new``) and the field accesses (``get/putfield``, ``get/putstatic``). An
``invokedynamic`` is not a call of a known method; what it runs is named by the method handles among its
bootstrap arguments (the lambda body, the method reference target), which are recorded in `dynamic`.
Names are given in DEX descriptor form (``Lcom/a/B;``, ``(ILjava/lang/String;)V``), as `hegui.dex` uses them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from hegui.dex.parser import mutf8
from hegui.errors import InputError

MAGIC = b"\xca\xfe\xba\xbe"
MAX_CLASS_BYTES = 16 * 2**20
MAX_CODE_BYTES = 65535  # JVMS 4.7.3: code_length < 65536
MAX_HANDLES_PER_BOOTSTRAP = 16
ACC_INTERFACE = 0x0200
ACC_MODULE = 0x8000

# Constant pool tags (JVMS 4.4)
UTF8, INTEGER, FLOAT, LONG, DOUBLE, CLASS, STRING = 1, 3, 4, 5, 6, 7, 8
FIELDREF, METHODREF, INTERFACE_METHODREF, NAME_AND_TYPE = 9, 10, 11, 12
METHOD_HANDLE, METHOD_TYPE, DYNAMIC, INVOKE_DYNAMIC, MODULE, PACKAGE = 15, 16, 17, 18, 19, 20
_CP_SIZES = {INTEGER: 4, FLOAT: 4, LONG: 8, DOUBLE: 8, CLASS: 2, STRING: 2, FIELDREF: 4, METHODREF: 4,
             INTERFACE_METHODREF: 4, NAME_AND_TYPE: 4, METHOD_HANDLE: 3, METHOD_TYPE: 2, DYNAMIC: 4,
             INVOKE_DYNAMIC: 4, MODULE: 2, PACKAGE: 2}

# Opcodes recorded by the sweep
LDC, LDC_W = 0x12, 0x13
GETSTATIC, PUTSTATIC, GETFIELD, PUTFIELD = 0xB2, 0xB3, 0xB4, 0xB5
INVOKEVIRTUAL, INVOKESPECIAL, INVOKESTATIC, INVOKEINTERFACE, INVOKEDYNAMIC = 0xB6, 0xB7, 0xB8, 0xB9, 0xBA
NEW = 0xBB
TABLESWITCH, LOOKUPSWITCH, WIDE, IINC = 0xAA, 0xAB, 0xC4, 0x84

# Method handle kinds that name a method (JVMS 4.4.8): invokeVirtual … invokeInterface
REF_INVOKE_VIRTUAL, REF_INVOKE_STATIC, REF_INVOKE_SPECIAL, REF_NEW_INVOKE_SPECIAL, REF_INVOKE_INTERFACE = 5, 6, 7, 8, 9


def _lengths() -> bytes:
    """Instruction length in bytes by opcode (0 = variable or not a valid opcode)."""
    table = bytearray(256)
    spans = {
        (0x00, 0x0F): 1, (0x10, 0x10): 2, (0x11, 0x11): 3, (0x12, 0x12): 2, (0x13, 0x14): 3,
        (0x15, 0x19): 2, (0x1A, 0x35): 1, (0x36, 0x3A): 2, (0x3B, 0x83): 1, (0x84, 0x84): 3,
        (0x85, 0x98): 1, (0x99, 0xA8): 3, (0xA9, 0xA9): 2, (0xAC, 0xB1): 1, (0xB2, 0xB8): 3,
        (0xB9, 0xBA): 5, (0xBB, 0xBB): 3, (0xBC, 0xBC): 2, (0xBD, 0xBD): 3, (0xBE, 0xBF): 1,
        (0xC0, 0xC1): 3, (0xC2, 0xC3): 1, (0xC5, 0xC5): 4, (0xC6, 0xC7): 3, (0xC8, 0xC9): 5,
    }
    for (first, last), n in spans.items():
        for op in range(first, last + 1):
            table[op] = n
    return bytes(table)


LENGTH = _lengths()


class ClassFormatError(InputError):
    """The bytes are not a class file we can read (bad magic, truncated tables, bad constant pool)."""


@dataclass(frozen=True, slots=True)
class MemberRef:
    cls: str  # descriptor of the class named by the reference
    name: str
    desc: str  # method proto or field type descriptor


@dataclass(slots=True)
class MethodBody:
    name: str
    desc: str
    access: int
    invokes: list[tuple[int, MemberRef]] = field(default_factory=list)  # (JVM opcode, callee), instruction order
    dynamic: list[tuple[int, MemberRef]] = field(default_factory=list)  # (handle kind, target) of invokedynamic
    strings: list[str] = field(default_factory=list)  # ldc of a String constant
    types: list[str] = field(default_factory=list)  # new, ldc of a Class constant
    fields: list[tuple[int, MemberRef]] = field(default_factory=list)  # (JVM opcode, field)


@dataclass(slots=True)
class ClassFile:
    name: str  # descriptor
    access: int
    superclass: str | None  # None only for java.lang.Object (and module-info)
    interfaces: tuple[str, ...]
    methods: list[MethodBody]
    version: tuple[int, int]  # (major, minor)
    problems: list[str] = field(default_factory=list)  # methods whose code could be read only in part

    @property
    def is_module(self) -> bool:
        return bool(self.access & ACC_MODULE)


def class_descriptor(internal: str) -> str:
    """``com/a/B`` → ``Lcom/a/B;``; array class names (``[I``) are descriptors already."""
    return internal if internal.startswith("[") else f"L{internal};"


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def u1(self) -> int:
        if self.pos + 1 > len(self.data):
            raise ClassFormatError(f"truncated at byte {self.pos}")
        self.pos += 1
        return self.data[self.pos - 1]

    def u2(self) -> int:
        if self.pos + 2 > len(self.data):
            raise ClassFormatError(f"truncated at byte {self.pos}")
        self.pos += 2
        return (self.data[self.pos - 2] << 8) | self.data[self.pos - 1]

    def u4(self) -> int:
        if self.pos + 4 > len(self.data):
            raise ClassFormatError(f"truncated at byte {self.pos}")
        (value,) = struct.unpack_from(">I", self.data, self.pos)
        self.pos += 4
        return value

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ClassFormatError(f"truncated at byte {self.pos} ({n} bytes declared)")
        self.pos += n
        return self.data[self.pos - n:self.pos]


class _Pool:
    """The constant pool: tag and raw operands per index, names resolved on demand."""

    def __init__(self, r: _Reader) -> None:
        count = r.u2()
        self.tags = bytearray(count)
        self.values: list[object] = [None] * count
        # Resolved names, one object per pool entry: a method may name the same entry at every instruction,
        # and a new object per instruction would make memory grow with the code instead of with the pool.
        self._classes: dict[int, str] = {}
        self._members: dict[int, MemberRef] = {}
        self._uses: dict[int, tuple[int, MemberRef]] = {}
        i = 1
        while i < count:
            tag = r.u1()
            self.tags[i] = tag
            if tag == UTF8:
                try:
                    self.values[i] = mutf8(r.take(r.u2()))
                except UnicodeDecodeError:
                    raise ClassFormatError(f"constant pool entry {i} is not modified UTF-8") from None
            elif tag in (CLASS, STRING, METHOD_TYPE, MODULE, PACKAGE):
                self.values[i] = r.u2()
            elif tag in (FIELDREF, METHODREF, INTERFACE_METHODREF, NAME_AND_TYPE, DYNAMIC, INVOKE_DYNAMIC):
                self.values[i] = (r.u2(), r.u2())
            elif tag == METHOD_HANDLE:
                self.values[i] = (r.u1(), r.u2())
            elif tag in _CP_SIZES:
                r.take(_CP_SIZES[tag])
            else:
                raise ClassFormatError(f"constant pool entry {i} has unknown tag {tag}")
            i += 2 if tag in (LONG, DOUBLE) else 1  # 8-byte constants take two slots (JVMS 4.4.5)

    def _get(self, i: int, *tags: int) -> object:
        if not 0 < i < len(self.tags) or self.tags[i] not in tags:
            raise ClassFormatError(f"constant pool index {i} is not a {'/'.join(map(str, tags))} entry")
        return self.values[i]

    def utf8(self, i: int) -> str:
        value = self._get(i, UTF8)
        assert isinstance(value, str)
        return value

    def class_name(self, i: int) -> str:
        value = self._get(i, CLASS)
        name = self._classes.get(i)
        if name is None:
            assert isinstance(value, int)
            name = self._classes[i] = class_descriptor(self.utf8(value))
        return name

    def string(self, i: int) -> str:
        value = self._get(i, STRING)
        assert isinstance(value, int)
        return self.utf8(value)

    def name_and_type(self, i: int) -> tuple[str, str]:
        value = self._get(i, NAME_AND_TYPE)
        assert isinstance(value, tuple)
        return self.utf8(value[0]), self.utf8(value[1])

    def member(self, i: int, *tags: int) -> MemberRef:
        value = self._get(i, *tags)
        ref = self._members.get(i)
        if ref is None:
            assert isinstance(value, tuple)
            name, desc = self.name_and_type(value[1])
            ref = self._members[i] = MemberRef(self.class_name(value[0]), name, desc)
        return ref

    def use(self, op: int, i: int, *tags: int) -> tuple[int, MemberRef]:
        """(op, member i), one tuple per distinct pair, for the per-method lists of calls and field accesses."""
        ref = self.member(i, *tags)
        key = op << 16 | i
        pair = self._uses.get(key)
        if pair is None:
            pair = self._uses[key] = (op, ref)
        return pair

    def bootstrap_index(self, i: int) -> int:
        value = self._get(i, INVOKE_DYNAMIC)
        assert isinstance(value, tuple)
        return value[0]

    def tag(self, i: int) -> int:
        return self.tags[i] if 0 < i < len(self.tags) else 0


def parse_class(data: bytes) -> ClassFile:
    """Read one class file. Raises ClassFormatError when its header, pool or member tables are unreadable."""
    if len(data) > MAX_CLASS_BYTES:
        raise ClassFormatError(f"class file of {len(data)} bytes is above the limit of {MAX_CLASS_BYTES}")
    if not data.startswith(MAGIC):
        raise ClassFormatError("not a class file (bad magic)")
    r = _Reader(data)
    r.pos = 4
    minor, major = r.u2(), r.u2()
    pool = _Pool(r)
    access = r.u2()
    name = pool.class_name(r.u2())
    super_idx = r.u2()
    superclass = pool.class_name(super_idx) if super_idx else None
    interfaces = tuple(pool.class_name(r.u2()) for _ in range(r.u2()))
    for _ in range(r.u2()):  # fields: only their attributes' lengths matter here
        r.take(6)
        _skip_attributes(r)
    raw_methods: list[tuple[int, str, str, bytes | None]] = []
    for _ in range(r.u2()):
        m_access, m_name, m_desc = r.u2(), pool.utf8(r.u2()), pool.utf8(r.u2())
        code = None
        for _ in range(r.u2()):
            attr_name, length = pool.utf8(r.u2()), r.u4()
            body = r.take(length)
            if attr_name == "Code" and code is None:
                code = body
        raw_methods.append((m_access, m_name, m_desc, code))
    bootstrap: list[tuple[int, list[int]]] = []
    for _ in range(r.u2()):
        attr_name, length = pool.utf8(r.u2()), r.u4()
        body = r.take(length)
        if attr_name == "BootstrapMethods":
            bootstrap = _bootstrap_methods(body)
    cls = ClassFile(name, access, superclass, interfaces, [], (major, minor))
    handles: dict[int, list[tuple[int, MemberRef]]] = {}
    for m_access, m_name, m_desc, code in raw_methods:
        body = MethodBody(m_name, m_desc, m_access)
        if code is not None:
            problem = _sweep_code(code, pool, bootstrap, handles, body)
            if problem:
                cls.problems.append(f"{name}->{m_name}{m_desc}: {problem}")
        cls.methods.append(body)
    return cls


def _skip_attributes(r: _Reader) -> None:
    for _ in range(r.u2()):
        r.take(2)
        r.take(r.u4())


def _bootstrap_methods(body: bytes) -> list[tuple[int, list[int]]]:
    r = _Reader(body)
    out: list[tuple[int, list[int]]] = []
    for _ in range(r.u2()):
        ref = r.u2()
        out.append((ref, [r.u2() for _ in range(r.u2())]))
    return out


def _code_bytes(code: bytes) -> bytes:
    """The bytecode of a Code attribute (max_stack, max_locals, code_length, code, …)."""
    r = _Reader(code)
    r.take(4)
    length = r.u4()
    if length > MAX_CODE_BYTES:
        raise ClassFormatError(f"code of {length} bytes is above the JVM limit of {MAX_CODE_BYTES}")
    return r.take(length)


def _handles_of(pool: _Pool, bootstrap: list[tuple[int, list[int]]], index: int,
                cache: dict[int, list[tuple[int, MemberRef]]]) -> list[tuple[int, MemberRef]]:
    """Method handles among the arguments of bootstrap method `index` (what an invokedynamic runs)."""
    got = cache.get(index)
    if got is None:
        got = []
        if index < len(bootstrap):
            for arg in bootstrap[index][1]:
                if len(got) >= MAX_HANDLES_PER_BOOTSTRAP:
                    break
                if pool.tag(arg) != METHOD_HANDLE:
                    continue
                kind, ref = pool.values[arg]  # type: ignore[misc]
                if REF_INVOKE_VIRTUAL <= kind <= REF_INVOKE_INTERFACE:
                    got.append((kind, pool.member(ref, METHODREF, INTERFACE_METHODREF)))
        cache[index] = got
    return got


def _sweep_code(code: bytes, pool: _Pool, bootstrap: list[tuple[int, list[int]]],
                handles: dict[int, list[tuple[int, MemberRef]]], body: MethodBody) -> str | None:
    """Record the references of one method's bytecode; a one-line problem when it is malformed."""
    try:
        insns = _code_bytes(code)
    except ClassFormatError as exc:
        return f"Code attribute unreadable ({exc})"
    n = len(insns)
    pc = 0
    bad_refs = 0
    while pc < n:
        op = insns[pc]
        length = LENGTH[op]
        try:
            if op in (TABLESWITCH, LOOKUPSWITCH):
                base = pc + 1 + (-(pc + 1) % 4)  # operands start at a multiple of 4 from the code start
                if base + (12 if op == TABLESWITCH else 8) > n:
                    return f"switch at {pc} runs past the code end"
                if op == TABLESWITCH:
                    _default, low, high = struct.unpack_from(">iii", insns, base)
                    if high < low:
                        return f"tableswitch at {pc} has high {high} below low {low}"
                    length = base + 12 + 4 * (high - low + 1) - pc
                else:
                    _default, pairs = struct.unpack_from(">ii", insns, base)
                    if pairs < 0:
                        return f"lookupswitch at {pc} has {pairs} pairs"
                    length = base + 8 + 8 * pairs - pc
            elif op == WIDE:
                length = 6 if pc + 1 < n and insns[pc + 1] == IINC else 4
            elif length == 0:
                return f"invalid opcode 0x{op:02x} at {pc}"
            if pc + length > n:
                return f"instruction at {pc} runs past the code end"
            if INVOKEVIRTUAL <= op <= INVOKEINTERFACE or op in (GETSTATIC, PUTSTATIC, GETFIELD, PUTFIELD, NEW, LDC_W):
                index = (insns[pc + 1] << 8) | insns[pc + 2]
            elif op == LDC:
                index = insns[pc + 1]
            elif op == INVOKEDYNAMIC:
                index = (insns[pc + 1] << 8) | insns[pc + 2]
            else:
                pc += length
                continue
            try:
                _record(op, index, pool, bootstrap, handles, body)
            except ClassFormatError:
                bad_refs += 1  # the instruction names a wrong pool entry: the verifier would refuse it
        except struct.error:
            return f"instruction at {pc} runs past the code end"
        pc += length
    if bad_refs:
        return f"{bad_refs} instruction(s) name a wrong constant pool entry"
    return None


def _record(op: int, index: int, pool: _Pool, bootstrap: list[tuple[int, list[int]]],
            handles: dict[int, list[tuple[int, MemberRef]]], body: MethodBody) -> None:
    if INVOKEVIRTUAL <= op <= INVOKESTATIC:
        body.invokes.append(pool.use(op, index, METHODREF, INTERFACE_METHODREF))
    elif op == INVOKEINTERFACE:
        body.invokes.append(pool.use(op, index, INTERFACE_METHODREF))
    elif op == INVOKEDYNAMIC:
        body.dynamic.extend(_handles_of(pool, bootstrap, pool.bootstrap_index(index), handles))
    elif op in (GETSTATIC, PUTSTATIC, GETFIELD, PUTFIELD):
        body.fields.append(pool.use(op, index, FIELDREF))
    elif op == NEW:
        body.types.append(pool.class_name(index))
    else:  # ldc / ldc_w: only String and Class constants are references of interest
        tag = pool.tag(index)
        if tag == STRING:
            body.strings.append(pool.string(index))
        elif tag == CLASS:
            body.types.append(pool.class_name(index))
