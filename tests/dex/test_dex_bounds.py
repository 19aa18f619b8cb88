"""Every count a DEX declares is checked against the format's limits and the bytes that could hold it
before anything is read, and parts that many items may share are read under a per-file budget.

Each case edits one field of a real small DEX (tests/hostile_dex.py, which Debian's dexdump reads) and
runs with the C accelerator and with the pure-Python parser: same outcome, a problem line naming the
part and the reason, memory and time proportional to the file.
"""

from __future__ import annotations

import struct
import time
import tracemalloc

import pytest

from hegui.dex import parser
from hegui.dex.parser import DexFile
from hostile_dex import build_dex, class_def_field, fix_checksum, uleb, with_u32

MiB = 1 << 20


@pytest.fixture(params=["c", "python"])
def path(request, monkeypatch):
    """Run the test with the C accelerator, then with the pure-Python parser."""
    if request.param == "c" and parser.speedups is None:
        pytest.skip("hegui.dex._speedups is not built")
    if request.param == "python":
        monkeypatch.setattr(parser, "speedups", None)
    return request.param


def appended(dex: bytes, blob: bytes) -> tuple[bytes, int]:
    """`dex` with `blob` appended (4-aligned) and its file size and checksums fixed; and the blob's offset."""
    pad = -len(dex) % 4
    at = len(dex) + pad
    grown = bytearray(dex + b"\0" * pad + blob)
    struct.pack_into("<I", grown, 32, len(grown))
    return fix_checksum(bytes(grown)), at


def set_for_classes(dex: bytes, layout, field_no: int, offsets) -> bytes:
    blob = bytearray(dex)
    for i, off in enumerate(offsets):
        struct.pack_into("<I", blob, class_def_field(layout, i, field_no), off)
    return fix_checksum(bytes(blob))


def snapshot(dex: DexFile):
    return ([(c.type_idx, c.interface_idxs, [(m.method_idx, list(m.invokes)) for m in c.methods])
             for c in dex.classes], dex.protos, dex.problems)


def test_the_built_dex_reads_without_problems(path):
    dex = DexFile(build_dex(2)[0])
    assert dex.problems == []
    assert dex.protos == ["()Ljava/lang/String;", "()V", "(ILjava/lang/String;)V"]
    assert [(dex.type_name(c.type_idx), tuple(dex.type_name(t) for t in c.interface_idxs)) for c in dex.classes] == [
        ("Lcom/demo/C0;", ("Ljava/lang/Runnable;",)), ("Lcom/demo/C1;", ("Ljava/lang/Runnable;",))]
    run = dex.classes[0].methods[1]
    assert dex.method_name(run.method_idx) == "Lcom/demo/C0;->run()V"
    assert [dex.method_name(i) for i in run.invokes] == ["Landroid/os/Build;->getSerial()Ljava/lang/String;"]


@pytest.mark.parametrize(("size", "reason"), [
    (0xFFFFFFFF, "4294967295 interfaces declared, at most 65535"),
    (65536, "65536 interfaces declared, at most 65535"),
    (1000, "1000 interfaces declared, the file ends first"),
])
def test_an_interface_list_larger_than_its_limit_or_the_file_is_not_read(path, size, reason):
    data, layout = build_dex(1)
    dex = DexFile(with_u32(data, layout.interface_list, size))
    assert dex.problems == [f"classes.dex: class Lcom/demo/C0; has a bad interface list ({reason})"]
    [cls] = dex.classes
    assert cls.interface_idxs == ()
    assert [dex.method_name(m.method_idx) for m in cls.methods] == [  # the rest of the class is still read
        "Lcom/demo/C0;->pick(ILjava/lang/String;)V", "Lcom/demo/C0;->run()V"]


@pytest.mark.parametrize(("size", "reason"), [
    (0xFFFFFFFF, "4294967295 parameters declared, at most 255"),
    (256, "256 parameters declared, at most 255"),
    (200, "200 parameters declared, the file ends first"),
])
def test_a_parameter_list_larger_than_its_limit_or_the_file_is_not_read(path, size, reason):
    data, layout = build_dex(1)
    dex = DexFile(with_u32(data, layout.parameter_list, size))
    assert dex.problems == [f"classes.dex: proto 2 has a bad parameter list ({reason})"]
    assert dex.protos == ["()Ljava/lang/String;", "()V", "()V"]


def test_classes_sharing_one_large_interface_list_get_it_while_the_file_could_hold_that_many(path):
    # 2,000 classes naming one list of 60,000 interfaces: a shared list is legal (d8 shares equal type
    # lists), but 2,000 * 60,000 names in the index would be 960 MB from a 300 kB file.
    data, layout = build_dex(2000)
    data, big = appended(data, struct.pack("<I", 60000) + struct.pack("<H", 6) * 60000)
    data = set_for_classes(data, layout, 3, [big] * 2000)
    tracemalloc.start()
    try:
        dex = DexFile(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    named = len(data) // 2 // 60000  # the budget: interfaces named by all classes, half the file's bytes
    assert [len(c.interface_idxs) for c in dex.classes] == [60000] * named + [0] * (2000 - named)
    refused = [f"classes.dex: class Lcom/demo/C{i}; has a bad interface list (classes name more interfaces "
               f"than the file could hold: budget of {len(data) // 2} spent)" for i in range(named, 2000)]
    assert dex.problems == refused[:parser.MAX_PROBLEMS] + [
        f"classes.dex: {len(refused) - parser.MAX_PROBLEMS} more problem(s) not listed"]
    assert peak < 32 * MiB, peak


def test_overlapping_interface_lists_are_read_up_to_the_size_of_the_file(path):
    # Class i names the list at big + 4i; every u32 there says 60,000, so each is another 60,000-entry list.
    data, layout = build_dex(2000)
    data, big = appended(data, struct.pack("<I", 60000) * (30000 + 2000))
    data = set_for_classes(data, layout, 3, [big + 4 * i for i in range(2000)])
    tracemalloc.start()
    try:
        dex = DexFile(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    named = len(data) // 2 // 60000
    assert [len(c.interface_idxs) for c in dex.classes] == [60000] * named + [0] * (2000 - named)
    refused = [f"classes.dex: class Lcom/demo/C{i}; has a bad interface list (classes name more interfaces "
               f"than the file could hold: budget of {len(data) // 2} spent)" for i in range(named, 2000)]
    assert dex.problems == refused[:parser.MAX_PROBLEMS] + [
        f"classes.dex: {len(refused) - parser.MAX_PROBLEMS} more problem(s) not listed"]
    assert peak < 32 * MiB, peak


def test_classes_sharing_a_small_interface_list_all_get_it(path):
    # What d8 writes: every Runnable shares one list. 3,000 classes name 3,000 interfaces in all.
    dex = DexFile(build_dex(3000)[0])
    assert dex.problems == []
    assert {c.interface_idxs for c in dex.classes} == {(dex.types.index("Ljava/lang/Runnable;"),)}


def test_string_ids_all_naming_one_long_string_decode_it_once_per_file_length(path):
    # 3,000 string ids naming one 200,000-byte string would decode 600 MB of text.
    long_text = "a" * 200_000
    data, layout = build_dex(1, extra_strings=(long_text, *(f"s{i:04d}" for i in range(3000))))
    strings = DexFile(data).strings
    slot = layout.string_ids + 4 * strings.index(long_text)
    (target,) = struct.unpack_from("<I", data, slot)
    blob = bytearray(data)
    for i in range(len(strings)):
        struct.pack_into("<I", blob, layout.string_ids + 4 * i, target)
    data = fix_checksum(bytes(blob))
    tracemalloc.start()
    try:
        dex = DexFile(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    read = len(data) // len(long_text)
    assert dex.strings == [long_text] * read + [""] * (len(strings) - read)
    assert dex.problems == [f"classes.dex: {len(strings) - read} string(s) not read (string ids overlap: "
                            f"budget of {len(data)} bytes of string data spent)"]
    assert peak < 32 * MiB, peak


def test_classes_sharing_class_data_walk_it_up_to_the_size_of_the_file(path):
    # Every class points at one class_data_item of 50,000 fields (100 kB): 3,000 classes would walk 300 MB.
    data, layout = build_dex(3000)
    item = uleb(50000) + uleb(0) + uleb(0) + uleb(0) + b"\0\0" * 50000
    data, shared = appended(data, item)
    data = set_for_classes(data, layout, 6, [shared] * 3000)
    start = time.monotonic()
    dex = DexFile(data)
    seconds = time.monotonic() - start
    read = len(data) // len(item)
    assert [len(c.methods) for c in dex.classes] == [0] * 3000
    refused = [f"classes.dex: class Lcom/demo/C{i}; unreadable (class data overlaps other classes' "
               "(budget of class data bytes spent))" for i in range(read, 3000)]
    assert dex.problems == refused[:parser.MAX_PROBLEMS] + [
        f"classes.dex: {len(refused) - parser.MAX_PROBLEMS} more problem(s) not listed"]
    assert seconds < 10, seconds


def test_both_parsers_agree_on_every_hostile_edit(monkeypatch):
    if parser.speedups is None:
        pytest.skip("hegui.dex._speedups is not built")
    data, layout = build_dex(3)
    item = uleb(4) + uleb(0) + uleb(0) + uleb(0) + b"\0\0" * 4
    cases = [with_u32(data, layout.interface_list, 0xFFFFFFFF), with_u32(data, layout.parameter_list, 999)]
    grown, at = appended(data, item)
    cases += [set_for_classes(grown, layout, 6, [at] * 3), set_for_classes(grown, layout, 6, [at + 1] * 3)]
    for case in cases:
        fast = snapshot(DexFile(case))
        monkeypatch.setattr(parser, "speedups", None)
        slow = snapshot(DexFile(case))
        monkeypatch.undo()
        assert fast == slow


def test_a_class_listing_one_method_300000_times_is_refused_in_small_memory(path):
    # Three bytes per repeated method (index difference 0) would be ~480 bytes each in memory: 143 MB
    # from a 900 kB file. A DEX defines each of its method ids once at most, and d8 writes at most 65,536.
    data, layout = build_dex(1)
    item = uleb(0) + uleb(0) + uleb(300000) + uleb(0) + (uleb(0) + uleb(1) + uleb(0)) * 300000
    data, at = appended(data, item)
    data = set_for_classes(data, layout, 6, [at])
    tracemalloc.start()
    try:
        dex = DexFile(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert dex.classes[0].methods == []
    assert dex.problems == ["classes.dex: class Lcom/demo/C0; unreadable (more methods than the file has method ids)"]
    assert peak < 48 * MiB, peak
