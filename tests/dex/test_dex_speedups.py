"""The C accelerator (hegui.dex._speedups) reads every DEX exactly as the pure-Python parser does.

Each comparison parses the same bytes twice in one process, once with the extension and once with
`parser.speedups = None` (the Python path), and requires identical results: the string table, every class,
method, invoke, invoke opcode, string, type and field reference, the method and field keys, what
`DexIndex.invokes_at` / `strings_at` / `types` / `field_reads_at` give for every method, and every problem
line, on real APKs, on an apktool build with switch/array payloads, and on truncated, bit-flipped and
hand-corrupted DEX bytes.
"""

from __future__ import annotations

import gc
import os
import random
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from apkbuild import build_apk, manifest, smali_class
from hegui.dex import DexIndex, parser
from hostile_dex import build_dex, fix_checksum
from hostile_dex import uleb as _uleb

needs_extension = pytest.mark.skipif(
    parser.speedups is None, reason="hegui.dex._speedups is not built (pip install -e . with a C compiler)"
)

PAYLOADS = """
.field public static counter:I

.method public static pick(I)Ljava/lang/String;
    .registers 4
    packed-switch p0, :pswitch
    sparse-switch p0, :sswitch
    const/4 v0, 0x3
    new-array v0, v0, [I
    fill-array-data v0, :ints
    const/4 v0, 0x2
    new-array v0, v0, [J
    fill-array-data v0, :longs
    const/4 v0, 0x3
    new-array v0, v0, [B
    fill-array-data v0, :bytes
    const-string v1, "before-payloads"
    invoke-static {v1}, Landroid/util/Log;->isLoggable(Ljava/lang/String;I)Z
    const-string/jumbo v1, "jumbo-string"
    const-class v2, Landroid/telephony/TelephonyManager;
    new-instance v2, Ljava/lang/StringBuilder;
    invoke-direct {v2}, Ljava/lang/StringBuilder;-><init>()V
    invoke-virtual/range {v2 .. v2}, Ljava/lang/StringBuilder;->toString()Ljava/lang/String;
    invoke-static {}, Landroid/os/Build;->getSerial()Ljava/lang/String;
    sget-object v1, Landroid/os/Build;->SERIAL:Ljava/lang/String;
    sget v3, Lcom/demo/dex/Payloads;->counter:I
    sput v3, Lcom/demo/dex/Payloads;->counter:I
    return-object v1
    :pswitch
    .packed-switch 0x1
        :a
        :b
    .end packed-switch
    :sswitch
    .sparse-switch
        0x5 -> :a
        0x50 -> :b
    .end sparse-switch
    :ints
    .array-data 4
        0x1
        0x2
        0x3
    .end array-data
    :longs
    .array-data 8
        0x1L
        0x2L
    .end array-data
    :bytes
    .array-data 1
        0x1t
        0x2t
        0x3t
    .end array-data
    :a
    invoke-static {}, Ljava/lang/System;->currentTimeMillis()J
    :b
    const/4 v1, 0x0
    return-object v1
.end method

.method public native secret()Ljava/lang/String;
.end method

.method public describe()Ljava/lang/String;
    .registers 2
    invoke-virtual {p0}, Lcom/demo/dex/Payloads;->secret()Ljava/lang/String;
    move-result-object v0
    return-object v0
.end method
"""

LISTENER = """
.method public abstract onEvent(Ljava/lang/String;)V
.end method
"""

# Ten corpus APKs of different kinds: real apps, SDK demos, a multidex build, benchmark apps.
CORPUS_APKS = [
    "exodus-core/apks/instapaper.apk",
    "exodus-core/apks/blooddonation.apk",
    "androguard/apks/app-prod-debug.apk",
    "weibo-sdk-demo/apks/weibosdkdemo_app-release.apk",
    "bugly-demo/apks/BuglyHotfixDemo_tinker1.9.14.apk",
    "jiguang-demo/apks/jmlink-demo_app-debug.apk",
    "ghera/apks/OpenSocket-InformationLeak-Lean/Malicious.apk",
    "ubcbench/apks/ReflectionDynamic.apk",
    "icc-bench/apks/IccTargetFinding/icc_dynregister1.apk",
    "droidbench/apks/DynamicLoading/DynamicBoth1.apk",
]


# --- helpers --------------------------------------------------------------------------------------------
def _dex_blobs(apk: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(apk) as z:
        return [(n, z.read(n)) for n in z.namelist() if n.startswith("classes") and n.endswith(".dex")]


def _snapshot(index: DexIndex) -> tuple:
    """Everything the index holds that the parser decides, in comparable form (the C path's code records are
    `PackedCode`, the Python path's `MethodCode`: compared by what they say, `parser.code_facts`)."""
    return (
        index.problems,
        [(dex.name, dex.problems, dex.strings, dex.types, dex.protos, list(dex.methods), list(dex.fields),
          [(c.type_idx, c.access, c.superclass_idx, c.interface_idxs, [parser.code_facts(m) for m in c.methods])
           for c in dex.classes])
         for dex in index.dex_files],
        [(m.id, m.cls, m.name, m.proto, m.access, parser.code_facts(m.code)) for m in index.methods],
        {desc: (c.superclass, c.interfaces, c.access, c.methods, c.dex_name) for desc, c in index.classes.items()},
        [(index.method_refs(dex), index.field_refs(dex)) for dex in index.dex_files],
        [(index.invokes_at(m), index.strings_at(m), index.types(m), index.field_reads_at(m), index.references(m))
         for m in index.methods],
    )


def _build(blobs: list[tuple[str, bytes]], *, accelerated: bool) -> DexIndex:
    saved = parser.speedups
    parser.speedups = saved if accelerated else None
    try:
        return DexIndex.build(blobs)
    finally:
        parser.speedups = saved


def _both(blobs: list[tuple[str, bytes]]) -> tuple[DexIndex, DexIndex]:
    return _build(blobs, accelerated=True), _build(blobs, accelerated=False)


@pytest.fixture(scope="module")
def payload_dex(tmp_path_factory) -> bytes:
    tmp = tmp_path_factory.mktemp("speedups")
    smali = {
        "com.demo.dex.Payloads": smali_class("com.demo.dex.Payloads", PAYLOADS),
        "com.demo.dex.Listener": smali_class("com.demo.dex.Listener", LISTENER, super_="Ljava/lang/Object;")
        .replace(".class public", ".class public abstract", 1),
    }
    apk = build_apk(tmp, manifest("com.demo.dex", ""), smali)
    with zipfile.ZipFile(apk) as z:
        return z.read("classes.dex")


def _class_def_slot(data: bytes, descriptor: str) -> int:
    """File offset of the class_def_item of `descriptor`."""
    dex = parser.DexFile(data)
    count, off = struct.unpack_from("<II", data, 0x60)
    for i in range(count):
        (type_idx,) = struct.unpack_from("<I", data, off + 32 * i)
        if dex.type_name(type_idx) == descriptor:
            return off + 32 * i
    raise AssertionError(f"{descriptor} not defined")


def _with_class_data(data: bytes, class_data: bytes, code: bytes = b"") -> bytes:
    """`data` with Payloads' class_data_item replaced by `class_data` appended at the end, then `code`.

    `class_data` may be a function of the offset `code` will be at (code items are 4-aligned and last, so
    that a code item can end exactly at the end of the file).
    """
    slot = _class_def_slot(data, "Lcom/demo/dex/Payloads;")
    blob = bytearray(data)
    blob += b"\0" * (-len(blob) % 4)
    class_data_at = len(blob)
    code_at = class_data_at
    for _ in range(3):  # the uleb128 of code_at changes the class_data length: settle it
        item = class_data(code_at) if callable(class_data) else class_data
        code_at = class_data_at + len(item) + (-(class_data_at + len(item)) % 4)
    blob += item + b"\0" * (code_at - class_data_at - len(item)) + code
    struct.pack_into("<I", blob, slot + 24, class_data_at)
    return bytes(blob)


def _one_method(method_idx: int, code_off: int, access: int = 0x9) -> bytes:
    return _uleb(0) + _uleb(0) + _uleb(1) + _uleb(0) + _uleb(method_idx) + _uleb(access) + _uleb(code_off)


def _code_item(insns: list[int], insns_size: int | None = None) -> bytes:
    size = len(insns) if insns_size is None else insns_size
    return struct.pack("<HHHHII", 4, 1, 1, 0, 0, size) + struct.pack(f"<{len(insns)}H", *insns)


def _method_idx(data: bytes, cls: str, name: str) -> int:
    dex = parser.DexFile(data)
    return next(i for i in range(len(dex.methods)) if dex.method_ref(i)[:2] == (cls, name))


# --- the extension is there and can be turned off ---------------------------------------------------------
@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None, reason="no C compiler here")
@pytest.mark.skipif(os.environ.get("HEGUI_PURE_PYTHON", "") not in ("", "0"), reason="HEGUI_PURE_PYTHON is set")
def test_the_extension_is_built_and_used_where_a_c_compiler_exists():
    assert parser.speedups is not None
    assert parser.speedups.__name__ == "hegui.dex._speedups"


@needs_extension
def test_hegui_pure_python_forces_the_python_path():
    probe = "import hegui.dex.parser as p; print(p.speedups is None)"
    env = {**os.environ, "HEGUI_PURE_PYTHON": "1"}
    forced = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    env["HEGUI_PURE_PYTHON"] = "0"
    default = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert (forced.stdout.strip(), default.stdout.strip()) == ("True", "False")


# --- identical results on well-formed DEX files ------------------------------------------------------------
@needs_extension
@pytest.mark.corpus
@pytest.mark.parametrize("apk", CORPUS_APKS)
def test_corpus_apks_are_indexed_identically_by_c_and_python(corpus, apk):
    fast, slow = _both(_dex_blobs(corpus / apk))
    assert fast.methods, "the APK has code"
    assert _snapshot(fast) == _snapshot(slow)


@needs_extension
@pytest.mark.apktool
def test_payload_dex_is_indexed_identically_and_references_are_exact(payload_dex):
    fast, slow = _both([("classes.dex", payload_dex)])
    assert _snapshot(fast) == _snapshot(slow)
    info = fast.classes["Lcom/demo/dex/Payloads;"]
    pick = fast.methods[info.methods[("pick", "(I)Ljava/lang/String;")]]
    assert [f"{c}->{n}" for (c, n, _p), _op in fast.invokes(pick)] == [
        "Landroid/util/Log;->isLoggable", "Ljava/lang/StringBuilder;-><init>", "Ljava/lang/StringBuilder;->toString",
        "Landroid/os/Build;->getSerial", "Ljava/lang/System;->currentTimeMillis",
    ]
    assert list(pick.code.invoke_ops) == [0x71, 0x70, 0x74, 0x71, 0x71]
    assert fast.strings(pick) == ["before-payloads", "jumbo-string"]
    assert fast.types(pick) == ["Landroid/telephony/TelephonyManager;", "Ljava/lang/StringBuilder;"]
    assert fast.field_reads(pick) == [("Landroid/os/Build;", "SERIAL"), ("Lcom/demo/dex/Payloads;", "counter")]


@needs_extension
@pytest.mark.apktool
def test_c_path_gives_the_same_types_as_the_python_path(payload_dex):
    fast, slow = _both([("classes.dex", payload_dex)])
    for path, index in (("c", fast), ("python", slow)):
        assert {type(m.code).__name__ for m in index.methods} == {"c": {"PackedCode"}, "python": {"MethodCode"}}[path]
        for m in index.methods:
            refs = (m.code.method_idx, m.code.access, m.code.invokes, m.code.invoke_ops, m.code.strings,
                    m.code.types, m.code.fields)
            assert [type(r) for r in refs] == [int, int, tuple, bytes, tuple, tuple, tuple]
            assert all(type(i) is int for r in (m.code.invokes, m.code.strings, m.code.types, m.code.fields) for i in r)
        native = index.methods[index.classes["Lcom/demo/dex/Payloads;"].methods[("secret", "()Ljava/lang/String;")]]
        assert native.code.invokes == () and native.access & parser.ACC_NATIVE


@needs_extension
@pytest.mark.apktool
def test_c_code_records_are_read_only(payload_dex):
    fast, _slow = _both([("classes.dex", payload_dex)])
    code = fast.methods[0].code
    for attr in ("method_idx", "access", "invokes", "invoke_ops", "strings", "types", "fields"):
        with pytest.raises(AttributeError):
            setattr(code, attr, ())


# --- identical results on hostile bytes ----------------------------------------------------------------------
@needs_extension
@pytest.mark.apktool
def test_truncation_at_every_third_offset_gives_identical_results(payload_dex):
    (data_off,) = struct.unpack_from("<I", payload_dex, 0x6C)
    cuts = range(data_off - 64, len(payload_dex), 3)
    assert len(cuts) > 200
    for cut in cuts:
        blobs = [("classes.dex", payload_dex[:cut])]
        fast, slow = _both(blobs)
        assert _snapshot(fast) == _snapshot(slow), f"cut at {cut}"


@needs_extension
@pytest.mark.apktool
def test_four_hundred_random_byte_flips_give_identical_results(payload_dex):
    rng = random.Random(20241123)
    (data_off,) = struct.unpack_from("<I", payload_dex, 0x6C)
    outcomes = set()
    for case in range(400):
        blob = bytearray(payload_dex)
        # Mostly the data section (class data, code, payloads), sometimes anywhere after the magic.
        low = data_off if case % 4 else 8
        for _ in range(rng.randint(1, 4)):
            blob[rng.randrange(low, len(blob))] = rng.randrange(256)
        fast, slow = _both([("classes.dex", bytes(blob))])
        assert _snapshot(fast) == _snapshot(slow), f"case {case}"
        outcomes.update(p.split(" ", 2)[-1][:12] for p in fast.problems)
    assert len(outcomes) > 3  # the flips reached several different failure modes


@needs_extension
@pytest.mark.corpus
@pytest.mark.parametrize("cut", [0.2, 0.45, 0.7, 0.95])
def test_a_truncated_real_dex_gives_identical_results(corpus, cut):
    (name, data), = _dex_blobs(corpus / "icc-bench/apks/IccTargetFinding/icc_dynregister1.apk")
    fast, slow = _both([(name, data[: int(len(data) * cut)])])
    assert fast.problems
    assert _snapshot(fast) == _snapshot(slow)


def _hostile_case(payload_dex: bytes, case: str) -> bytes:
    pick = _method_idx(payload_dex, "Lcom/demo/dex/Payloads;", "pick")
    invoke = 0x71  # invoke-static {}, method@pick

    def method_with(code: bytes) -> bytes:
        return _with_class_data(payload_dex, lambda code_at: _one_method(pick, code_at), code)

    if case == "uleb too long":
        return _with_class_data(payload_dex, b"\x80" * 6 + b"\x01")
    if case == "six-byte uleb":
        return _with_class_data(payload_dex, _one_method(pick, 0, access=1 << 35))
    if case == "method index out of range":
        return _with_class_data(payload_dex, _one_method(len(parser.DexFile(payload_dex).methods), 0))
    if case == "class data past the end":
        blob = bytearray(payload_dex)
        struct.pack_into("<I", blob, _class_def_slot(payload_dex, "Lcom/demo/dex/Payloads;") + 24, len(blob) + 5)
        return bytes(blob)
    if case == "class data cut in a method":
        cut_item = _one_method(pick, 0)[:-1] + b"\x80"  # the code_off uleb128 says "more bytes follow"
        data = _with_class_data(payload_dex, cut_item)
        return data[: data.rindex(cut_item) + len(cut_item)]  # ... and the file ends there
    if case == "odd code offset":
        return _with_class_data(payload_dex, _one_method(pick, 0x71))
    if case == "code offset past the end":
        return _with_class_data(payload_dex, _one_method(pick, len(payload_dex) + 0x1000))
    if case == "code runs past the end":
        return method_with(_code_item([invoke, pick, 0], insns_size=0x7FFFFFFF))
    if case == "code one unit too long":
        return method_with(_code_item([invoke, pick, 0], insns_size=4))
    if case == "ends inside an instruction":
        # An invoke, then a const-string/jumbo whose second operand unit would lie past the file's end.
        return method_with(_code_item([invoke, pick, 0, 0x1B, 0x0000]))
    if case == "huge payloads":
        # fill-array-data, packed- and sparse-switch payloads that claim ~2**47 code units.
        return method_with(_code_item([0x0300, 0xFFFF, 0xFFFF, 0xFFFF, 0x0100, 0xFFFF, 0x0200, 0xFFFF, invoke, pick, 0]))
    if case == "methods sharing one code item":
        # Both classes list the same 10 methods (all pick()), all pointing at one code item of 34 invokes:
        # 2,040 code units to sweep in a file of ~1,500 bytes. Once the file's length in code units is
        # spent, sweeping stops, part way through the second class.
        code = _code_item([invoke, pick, 0] * 34)
        blob = bytearray(_with_class_data(
            payload_dex,
            lambda code_at: _uleb(0) + _uleb(0) + _uleb(10) + _uleb(0)
            + b"".join(_uleb(pick if i == 0 else 0) + _uleb(0x9) + _uleb(code_at) for i in range(10)),
            code,
        ))
        payloads = _class_def_slot(payload_dex, "Lcom/demo/dex/Payloads;") + 24
        shared = blob[payloads : payloads + 4]
        listener = _class_def_slot(payload_dex, "Lcom/demo/dex/Listener;") + 24
        blob[listener : listener + 4] = shared
        return bytes(blob)
    if case in STRING_BYTES:
        return _with_string(payload_dex, STRING_BYTES[case])
    if case == "string without a NUL in reach":
        # The parser gives up on a string after 4 * 65536 * 3 bytes (the longest a MUTF-8 string can be).
        blob = bytearray(payload_dex)
        struct.pack_into("<I", blob, _string_id_slot(payload_dex, "before-payloads"), len(blob))
        return bytes(blob) + _uleb(5) + b"a" * (4 * 65536 * 3) + b"\0"
    if case == "string offset past the end":
        blob = bytearray(payload_dex)
        struct.pack_into("<I", blob, _string_id_slot(payload_dex, "before-payloads"), len(blob) + 3)
        return bytes(blob)
    raise AssertionError(case)


def _string_id_slot(data: bytes, text: str) -> int:
    count, off = struct.unpack_from("<II", data, 0x38)
    index = parser.DexFile(data).strings.index(text)
    assert index < count
    return off + 4 * index


def _with_string(data: bytes, raw: bytes) -> bytes:
    """`data` with the 15 bytes of "before-payloads" overwritten by `raw` (same length, so nothing moves)."""
    assert len(raw) == len(b"before-payloads")
    at = data.index(b"\x0fbefore-payloads\x00") + 1
    return data[:at] + raw + data[at + len(raw):]


STRING_BYTES = {
    "string with a modified-UTF-8 NUL": b"before\xc0\x80payload",
    "string with a CESU-8 surrogate pair": b"before\xed\xa0\xbd\xed\xb8\x80pay",
    "string that is not UTF-8 at all": b"before\xffpayloads",
}

HOSTILE = {
    "uleb too long": "class Lcom/demo/dex/Payloads; unreadable (uleb128 value too long)",
    "six-byte uleb": None,
    "method index out of range": "class Lcom/demo/dex/Payloads; unreadable (method index out of range)",
    "class data past the end": "class Lcom/demo/dex/Payloads; unreadable (index out of range)",
    "class data cut in a method": "class Lcom/demo/dex/Payloads; unreadable (index out of range)",
    "odd code offset": "Lcom/demo/dex/Payloads;->pick(I)Ljava/lang/String; has code outside the file",
    "code offset past the end": "Lcom/demo/dex/Payloads;->pick(I)Ljava/lang/String; has code outside the file",
    "code runs past the end": "Lcom/demo/dex/Payloads;->pick(I)Ljava/lang/String; code runs past the file end",
    "code one unit too long": "Lcom/demo/dex/Payloads;->pick(I)Ljava/lang/String; code runs past the file end",
    "ends inside an instruction": "Lcom/demo/dex/Payloads;->pick(I)Ljava/lang/String; ends inside an instruction",
    "huge payloads": None,
    "methods sharing one code item": "Lcom/demo/dex/Payloads;->pick(I)Ljava/lang/String; and later methods not swept "
                                     "(methods share code: {size} code units read already)",
    "string with a modified-UTF-8 NUL": None,
    "string with a CESU-8 surrogate pair": None,
    "string that is not UTF-8 at all": "1 unreadable string(s)",
    "string offset past the end": "1 unreadable string(s)",
    "string without a NUL in reach": "1 unreadable string(s)",
}


@needs_extension
@pytest.mark.apktool
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hand_corrupted_class_data_and_code_give_the_same_problem_lines(payload_dex, case):
    data = _hostile_case(payload_dex, case)
    fast, slow = _both([("classes.dex", data)])
    assert _snapshot(fast) == _snapshot(slow)
    problems = [p.removeprefix("classes.dex: ") for p in fast.problems]
    assert problems[0] == "checksum mismatch (modified after build)"
    expected = HOSTILE[case]
    assert problems[1:] == ([expected.format(size=len(data))] if expected else [])


@needs_extension
@pytest.mark.apktool
def test_sweeping_stops_once_shared_code_was_read_as_often_as_the_file_is_long(payload_dex):
    data = _hostile_case(payload_dex, "methods sharing one code item")
    fast, slow = _both([("classes.dex", data)])
    def invokes_per_method(index: DexIndex) -> list[int]:
        return [len(code.invokes) for cdef in index.dex_files[0].classes for code in cdef.methods]

    swept = len(data) // 102  # the budget is len(data) code units; each method's code is 102 units
    assert 10 < swept < 20  # the budget runs out in the second class
    assert invokes_per_method(fast) == invokes_per_method(slow) == [34] * swept + [0] * (20 - swept)


@needs_extension
@pytest.mark.apktool
def test_references_read_before_a_cut_instruction_are_kept(payload_dex):
    fast, _slow = _both([("classes.dex", _hostile_case(payload_dex, "ends inside an instruction"))])
    pick = fast.methods[fast.classes["Lcom/demo/dex/Payloads;"].methods[("pick", "(I)Ljava/lang/String;")]]
    assert [n for (_c, n, _p), _op in fast.invokes(pick)] == ["pick"]
    assert pick.code.strings == ()


@needs_extension
@pytest.mark.apktool
def test_a_six_byte_uleb128_access_flag_is_read_as_python_reads_it(payload_dex):
    fast, _slow = _both([("classes.dex", _hostile_case(payload_dex, "six-byte uleb"))])
    pick = fast.methods[fast.classes["Lcom/demo/dex/Payloads;"].methods[("pick", "(I)Ljava/lang/String;")]]
    assert pick.access == 1 << 35


@needs_extension
@pytest.mark.apktool
def test_method_code_from_c_is_left_out_of_cycle_collection(payload_dex):
    """Millions of these hold no references that could form a cycle; traversing them cost a third of a scan."""
    fast, _slow = _both([("classes.dex", payload_dex)])
    codes = [m.code for m in fast.methods]
    assert codes and not any(gc.is_tracked(c) for c in codes)


@needs_extension
@pytest.mark.apktool
@pytest.mark.parametrize(("case", "text"), [
    ("string with a modified-UTF-8 NUL", "before\x00payload"),
    ("string with a CESU-8 surrogate pair", "before\U0001F600pay"),
    ("string that is not UTF-8 at all", ""),
])
def test_modified_utf8_strings_decode_as_in_python(payload_dex, case, text):
    fast, _slow = _both([("classes.dex", _hostile_case(payload_dex, case))])
    pick = fast.methods[fast.classes["Lcom/demo/dex/Payloads;"].methods[("pick", "(I)Ljava/lang/String;")]]
    assert pick.code.strings[0] == fast.dex_files[0].strings.index(text)


@needs_extension
@pytest.mark.apktool
def test_references_beyond_the_tables_are_looked_up_as_none_and_unknown_type_by_both_paths(payload_dex):
    pick = _method_idx(payload_dex, "Lcom/demo/dex/Payloads;", "pick")
    code = _code_item([0x0071, 0xFFFF, 0,  # invoke-static {}, method@0xffff
                       0x001A, 0xFFFF,  # const-string v0, string@0xffff
                       0x0022, 0xFFFF,  # new-instance v0, type@0xffff
                       0x0060, 0xFFFF,  # sget v0, field@0xffff
                       0x0071, pick, 0,  # invoke-static {}, pick (a reference inside the table)
                       0x000E])  # return-void
    data = _with_class_data(payload_dex, lambda code_at: _one_method(pick, code_at), code)
    for index in _both([("classes.dex", data)]):
        m = index.methods[index.classes["Lcom/demo/dex/Payloads;"].methods[("pick", "(I)Ljava/lang/String;")]]
        pick_key = ("Lcom/demo/dex/Payloads;", "pick", "(I)Ljava/lang/String;")
        assert (index.invokes_at(m), index.strings_at(m), index.types(m), index.field_reads_at(m)) == (
            [None, (pick_key, 0x71)], [None], ["L?;"], [None])
        assert (list(index.invokes(m)), index.strings(m), index.field_reads(m)) == ([(pick_key, 0x71)], [], [])
        assert index.references(m) == ([(pick_key, 0x71)], ["L?;"], [], [])


@needs_extension
@pytest.mark.apktool
def test_methods_read_in_c_answer_as_the_python_method_info_does(payload_dex):
    fast, slow = _both([("classes.dex", payload_dex)])
    assert ({type(m).__name__ for m in fast.methods}, {type(m).__name__ for m in slow.methods}) == (
        {"MethodRecord"}, {"MethodInfo"})
    assert [(m.key, m.java(), type(m.id), type(m.access)) for m in fast.methods] == [
        (m.key, m.java(), int, int) for m in slow.methods]
    pick = fast.methods[fast.classes["Lcom/demo/dex/Payloads;"].methods[("pick", "(I)Ljava/lang/String;")]]
    assert (pick.java(), pick.dex is fast.dex_files[0], fast.resolve(*pick.key) is pick) == (
        "com.demo.dex.Payloads#pick", True, True)
    with pytest.raises(AttributeError):
        pick.name = "other"
    assert not gc.is_tracked(pick)


@needs_extension
def test_protos_past_the_descriptor_budget_are_unnamed_alike_by_both_paths():
    # Protos sharing one list of 255 parameters of the longest type: more descriptor characters than the budget
    # of 16 per byte + 1 MiB from a file of a few kB; the original protos stay first (methods name them).
    data, _layout = build_dex(1)
    longest = max(range(len(parser.DexFile(data).types)), key=lambda i: len(parser.DexFile(data).types[i]))
    per_proto = 255 * len(parser.DexFile(data).types[longest])
    extra = (1 << 20) // per_proto + 100
    (count, table) = struct.unpack_from("<II", data, 0x48)
    blob = bytearray(data)
    blob += b"\0" * (-len(blob) % 4)
    params_at = len(blob)
    blob += struct.pack("<I", 255) + struct.pack("<H", longest) * 255 + b"\0\0"
    table_at = len(blob)
    blob += data[table : table + 12 * count] + struct.pack("<III", 0, 0, params_at) * extra
    struct.pack_into("<II", blob, 0x48, count + extra, table_at)
    struct.pack_into("<I", blob, 32, len(blob))
    fast, slow = _both([("classes.dex", fix_checksum(bytes(blob)))])
    assert _snapshot(fast) == _snapshot(slow)
    protos = fast.dex_files[0].protos
    first_unnamed = protos.index("(?)V")
    assert count < first_unnamed < count + extra and set(protos[first_unnamed:]) == {"(?)V"}
    assert fast.problems == [f"classes.dex: proto {first_unnamed} and later protos not named "
                             "(descriptors longer than the file allows)"]


@needs_extension
@pytest.mark.corpus
def test_methods_referencing_wanted_entries_are_the_same_by_both_paths(corpus):
    fast, slow = _both(_dex_blobs(corpus / CORPUS_APKS[0]))
    for kind, table in (("invokes", DexIndex.method_refs), ("fields", DexIndex.field_refs),
                        ("strings", lambda _index, dex: dex.strings), ("types", lambda _index, dex: dex.types)):
        # every 13th entry of each DEX's table, and one index past its end (wanted, but never referenced)
        wanted = {id(dex): set(range(0, len(table(fast, dex)), 13)) | {len(table(fast, dex))} for dex in fast.dex_files}
        found = [m.id for m in fast.methods_referencing(kind, wanted)]
        by_python = [m.id for m in slow.methods_referencing(
            kind, {id(s): wanted[id(f)] for f, s in zip(fast.dex_files, slow.dex_files, strict=True)})]
        by_definition = [m.id for m in fast.methods if set(getattr(m.code, kind)) & wanted[id(m.dex)]]
        assert found == by_python == by_definition and found
