"""The JVM class-file reader (hegui.jvm), checked against javap and against damaged class files."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from javabuild import compile_classes, javap_invokes  # noqa: E402

from hegui.dex import DexIndex  # noqa: E402
from hegui.jvm import ClassFormatError, parse_class, read_program  # noqa: E402
from hegui.jvm.classfile import INVOKEINTERFACE, INVOKESPECIAL, INVOKESTATIC, INVOKEVIRTUAL  # noqa: E402

_OPNAMES = {INVOKEVIRTUAL: "invokevirtual", INVOKESPECIAL: "invokespecial", INVOKESTATIC: "invokestatic",
            INVOKEINTERFACE: "invokeinterface"}

# Every construct whose encoding the sweep must step over correctly: switches with padding, `wide`
# (more than 256 locals), long/double constants (two pool slots), lambdas and method references
# (invokedynamic), string concatenation (invokedynamic on Java 9+), interface and super calls, nested classes.
_WIDE_LOCALS = "".join(f"int v{i} = {i};" for i in range(300))
SOURCES = {
    "com.example.fixture.Shapes": """
        import android.content.Context;
        import android.telephony.TelephonyManager;
        import java.util.ArrayList;
        import java.util.List;
        import java.util.function.Supplier;
        public class Shapes extends ArrayList<String> implements Runnable {
            static final long BIG = 1234567890123L;
            static double ratio = 2.5;
            private int count;
            public interface Visitor { void visit(String s); }
            enum Kind { ROUND, SQUARE }  // values() clones an array: an invoke on an array type
            byte[] copy(byte[] b) { return b.clone(); }
            static class Inner { String hello() { return "inner" + System.nanoTime(); } }
            public void run() { count++; }
            @Override public boolean add(String s) { return super.add(s); }
            int table(int k) {
                switch (k) { case 1: return 10; case 2: return 20; case 3: return 30; case 4: return 40; default: return -1; }
            }
            int lookup(int k) {
                switch (k) { case 7: return 1; case 1000: return 2; case -50000: return 3; default: return 0; }
            }
            int wide() { """ + _WIDE_LOCALS + """ v299 += 7; return v299 + v0; }
            String ids(Context c) {
                TelephonyManager tm = (TelephonyManager) c.getSystemService(Context.TELEPHONY_SERVICE);
                Supplier<String> s = tm::getDeviceId;
                Runnable r = () -> new Inner().hello();
                r.run();
                List<String> names = new ArrayList<>();
                names.add("x" + BIG + ratio);
                names.forEach(System.out::println);
                return s.get() + Shapes.class.getName() + count;
            }
            void visit(Visitor v) { v.visit("shape"); }
        }""",
}


@pytest.fixture(scope="module")
def classes(tmp_path_factory) -> dict[str, bytes]:
    return compile_classes(tmp_path_factory.mktemp("classfile"), SOURCES)


def _reader_invokes(classes: dict[str, bytes]) -> list[tuple[str, str, str, str, str]]:
    out = []
    for data in classes.values():
        cls = parse_class(data)
        java = cls.name[1:-1].replace("/", ".")
        for m in cls.methods:
            for op, ref in m.invokes:
                owner = ref.cls[1:-1] if ref.cls.startswith("L") else ref.cls
                out.append((java, _OPNAMES[op], owner, ref.name, ref.desc))
    return out


def test_every_invoke_agrees_with_javap(classes, tmp_path):
    expected = javap_invokes(tmp_path, classes)
    assert len(expected) > 15
    assert sorted(_reader_invokes(classes)) == sorted(expected)


def test_invokes_keep_instruction_order_within_a_method(classes):
    cls = parse_class(classes["com/example/fixture/Shapes.class"])
    ids = next(m for m in cls.methods if m.name == "ids")
    names = [ref.name for _op, ref in ids.invokes]
    assert names.index("getSystemService") < names.index("run") < names.index("forEach") < names.index("get")


def test_lambda_and_method_reference_targets_are_recorded_from_the_bootstrap_arguments(classes):
    cls = parse_class(classes["com/example/fixture/Shapes.class"])
    ids = next(m for m in cls.methods if m.name == "ids")
    targets = {(ref.cls, ref.name) for _kind, ref in ids.dynamic}
    assert ("Landroid/telephony/TelephonyManager;", "getDeviceId") in targets
    assert ("Ljava/io/PrintStream;", "println") in targets
    assert any(name.startswith("lambda$ids$") for _cls, name in targets)


def test_constants_instantiations_and_field_accesses_are_recorded(classes):
    cls = parse_class(classes["com/example/fixture/Shapes.class"])
    ids = next(m for m in cls.methods if m.name == "ids")
    assert "phone" in ids.strings  # Context.TELEPHONY_SERVICE, inlined by javac
    assert "Lcom/example/fixture/Shapes;" in ids.types  # Shapes.class
    assert "Ljava/util/ArrayList;" in ids.types  # new ArrayList
    assert ("Lcom/example/fixture/Shapes;", "count") in {(f.cls, f.name) for _op, f in ids.fields}
    run = next(m for m in cls.methods if m.name == "run")
    assert [(op, f.name) for op, f in run.fields] == [(0xB4, "count"), (0xB5, "count")]  # getfield, putfield


def test_switches_and_wide_leave_the_sweep_aligned(classes):
    cls = parse_class(classes["com/example/fixture/Shapes.class"])
    assert cls.problems == []
    for name in ("table", "lookup", "wide"):
        assert next(m for m in cls.methods if m.name == name).invokes == []


def test_class_header_names_hierarchy_in_descriptor_form(classes):
    cls = parse_class(classes["com/example/fixture/Shapes.class"])
    assert (cls.name, cls.superclass, cls.interfaces) == (
        "Lcom/example/fixture/Shapes;", "Ljava/util/ArrayList;", ("Ljava/lang/Runnable;",))
    inner = parse_class(classes["com/example/fixture/Shapes$Inner.class"])
    assert inner.name == "Lcom/example/fixture/Shapes$Inner;"


def test_index_sees_jvm_invokes_as_their_dalvik_opcodes(classes):
    index = DexIndex()
    index.add_parsed(read_program("classes.jar", classes.items()))
    shapes = index.classes["Lcom/example/fixture/Shapes;"]
    add = index.methods[shapes.methods[("add", "(Ljava/lang/String;)Z")]]
    ids = index.methods[shapes.methods[("ids", "(Landroid/content/Context;)Ljava/lang/String;")]]
    calls = {(key[1], op) for key, op in index.invokes(ids)}
    assert (("Ljava/util/ArrayList;", "add", "(Ljava/lang/Object;)Z"), 0x6F) in set(index.invokes(add))  # super.add
    assert ("getSystemService", 0x6E) in calls  # invokevirtual
    assert ("<init>", 0x70) in calls  # constructor → invoke-direct
    assert ("run", 0x72) in calls  # Runnable.run → invoke-interface
    assert ("getDeviceId", 0x6E) in calls  # method reference → its handle's kind
    assert "phone" in index.strings(ids)


def test_methods_have_no_dalvik_code_for_code_readers(classes):
    program = read_program("classes.jar", classes.items())
    assert program.data == bytes(0x70)  # a DEX header declaring no class definitions


def test_bad_magic_is_a_format_error():
    with pytest.raises(ClassFormatError, match="bad magic"):
        parse_class(b"PK\x03\x04 not a class")


def test_truncated_class_is_a_format_error_not_a_crash(classes):
    data = classes["com/example/fixture/Shapes.class"]
    for cut in (8, 10, len(data) // 3, len(data) - 3):
        with pytest.raises(ClassFormatError, match="truncated"):
            parse_class(data[:cut])


def test_unknown_constant_pool_tag_names_the_entry():
    data = b"\xca\xfe\xba\xbe\x00\x00\x00\x34\x00\x03\x63"
    with pytest.raises(ClassFormatError, match="constant pool entry 1 has unknown tag 99"):
        parse_class(data)


def test_a_constant_that_is_not_modified_utf8_names_the_entry():
    data = b"\xca\xfe\xba\xbe\x00\x00\x00\x34\x00\x03" + b"\x01\x00\x02\xff\xfe"
    with pytest.raises(ClassFormatError) as caught:
        parse_class(data)
    assert str(caught.value) == "constant pool entry 1 is not modified UTF-8"


def _class_with_code(code: bytes) -> bytes:
    """A class `T` with one static method `m()V` whose bytecode is `code`. Pool: #9 = Methodref T.m()V,
    #11 = String "hello", #2 = Class T."""
    def utf8(text: str) -> bytes:
        return b"\x01" + struct.pack(">H", len(text)) + text.encode()

    pool = [utf8("T"), b"\x07\x00\x01", utf8("java/lang/Object"), b"\x07\x00\x03", utf8("m"), utf8("()V"),
            utf8("Code"), b"\x0c\x00\x05\x00\x06", b"\x0a\x00\x02\x00\x08", utf8("hello"), b"\x08\x00\x0a"]
    attribute = struct.pack(">HHI", 4, 4, len(code)) + code + struct.pack(">HH", 0, 0)
    method = struct.pack(">HHHH", 0x9, 5, 6, 1) + struct.pack(">HI", 7, len(attribute)) + attribute
    return (b"\xca\xfe\xba\xbe" + struct.pack(">HHH", 0, 52, len(pool) + 1) + b"".join(pool)
            + struct.pack(">HHHHHH", 0x21, 2, 4, 0, 0, 1) + method + struct.pack(">H", 0))


INVOKE_M = b"\xb8\x00\x09"  # invokestatic #9 (T.m)
RETURN = b"\xb1"


def _only_method(data: bytes):
    cls = parse_class(data)
    return cls, cls.methods[0]


def test_an_invalid_opcode_ends_the_sweep_of_its_method_with_one_problem_line():
    cls, m = _only_method(_class_with_code(INVOKE_M + b"\x12\x0b" + b"\xfe" + INVOKE_M + RETURN))
    assert [(op, ref.name) for op, ref in m.invokes] == [(INVOKESTATIC, "m")]
    assert m.strings == ["hello"]
    assert cls.problems == ["LT;->m()V: invalid opcode 0xfe at 5"]


@pytest.mark.parametrize("lead", [0, 1, 2, 3])
def test_tableswitch_padding_depends_on_its_offset(lead):
    switch = b"\xaa" + bytes(-(lead + 1) % 4) + struct.pack(">iii", 0, 1, 2) + struct.pack(">ii", 0, 0)
    cls, m = _only_method(_class_with_code(b"\x00" * lead + switch + INVOKE_M + RETURN))
    assert cls.problems == []
    assert [ref.name for _op, ref in m.invokes] == ["m"]


def test_lookupswitch_and_wide_iinc_are_stepped_over():
    lookup = b"\xab" + bytes(3) + struct.pack(">ii", 0, 2) + struct.pack(">iiii", 1, 0, 9, 0)
    wide_iinc = b"\xc4\x84\x01\x00\x00\x05"
    wide_iload = b"\xc4\x15\x01\x00"
    cls, m = _only_method(_class_with_code(lookup + wide_iinc + wide_iload + INVOKE_M + RETURN))
    assert cls.problems == []
    assert [ref.name for _op, ref in m.invokes] == ["m"]


def test_a_switch_with_a_negative_size_is_a_problem_not_a_loop():
    cls, _m = _only_method(_class_with_code(b"\xab" + bytes(3) + struct.pack(">ii", 0, -5) + RETURN))
    assert cls.problems == ["LT;->m()V: lookupswitch at 0 has -5 pairs"]


def test_an_instruction_naming_a_wrong_pool_entry_is_counted_and_skipped():
    cls, m = _only_method(_class_with_code(b"\xb8\x00\x0b" + INVOKE_M + RETURN))  # invokestatic #11 (a String)
    assert [ref.name for _op, ref in m.invokes] == ["m"]
    assert cls.problems == ["LT;->m()V: 1 instruction(s) name a wrong constant pool entry"]


def test_an_instruction_cut_by_the_code_end_is_a_problem():
    cls, m = _only_method(_class_with_code(INVOKE_M + b"\xb8\x00"))
    assert [ref.name for _op, ref in m.invokes] == ["m"]
    assert cls.problems == ["LT;->m()V: instruction at 3 runs past the code end"]


def test_a_malformed_class_is_one_problem_line_and_the_others_are_kept(classes):
    entries = [("com/bad/Broken.class", b"\xca\xfe\xba\xbe\x00"), *classes.items()]
    program = read_program("classes.jar", entries)
    assert program.problems == ["classes.jar: com/bad/Broken.class: truncated at byte 4"]
    assert len(program.classes) == len(classes)


APKSIG = Path("/usr/share/java/apksig.jar")  # Debian's apksigner library: real classes from another compiler


@pytest.mark.skipif(not APKSIG.is_file(), reason="apksigner (Debian) not installed")
def test_every_invoke_of_a_real_library_agrees_with_javap(tmp_path):
    from hegui.apk.aar import class_file_names
    from hegui.apk.archive import ApkArchive

    with ApkArchive.open(APKSIG.resolve()) as jar:
        classes = {name: jar.read(name) for name in class_file_names(jar.names)}
    expected = javap_invokes(tmp_path, classes)
    assert len(expected) > 1000
    assert sorted(_reader_invokes(classes)) == sorted(expected)
