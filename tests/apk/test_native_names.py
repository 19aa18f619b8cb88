"""The names a native library holds are read from its data sections, not its code (hegui.apk.elf), and the
whole library when it has no readable section table."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from hegui.apk import code_names, open_apk
from hegui.apk.archive import ApkArchive
from hegui.apk.code_names import native_class_names
from hegui.apk.elf import data_spans
from hegui.dex import DexIndex
from hegui.names import descriptor_to_java

TEXT = b"\x00com/fake/InCode\x00" + b"\x1f" * 64
RODATA = b"\x00com/real/Bridge\x00com.real.pkg\x00"
SHSTRTAB = b"\x00.text\x00.rodata\x00.shstrtab\x00"


def _elf64(*, sections: bool = True, shoff_past_end: bool = False) -> bytes:
    """A little-endian ELF64 shared object: .text (executable), .rodata, .shstrtab and their section table."""
    header_size = 64
    text_at = header_size
    rodata_at = text_at + len(TEXT)
    names_at = rodata_at + len(RODATA)
    shoff = names_at + len(SHSTRTAB)
    shoff += -shoff % 8
    table = b"\x00" * 64  # the null section
    for name, kind, flags, at, size in ((1, 1, 0x6, text_at, len(TEXT)), (7, 1, 0x2, rodata_at, len(RODATA)),
                                        (15, 3, 0, names_at, len(SHSTRTAB))):
        table += struct.pack("<IIQQQQIIQQ", name, kind, flags, 0, at, size, 0, 0, 1, 0)
    count = 4 if sections else 0
    header = (b"\x7fELF" + bytes([2, 1, 1]) + b"\x00" * 9
              + struct.pack("<HHIQQQIHHHHHH", 3, 183, 1, 0, 0, shoff + (1 << 20 if shoff_past_end else 0), 0,
                            header_size, 0, 0, 64, count, 3))
    body = header + TEXT + RODATA + SHSTRTAB
    return body + b"\x00" * (shoff - len(body)) + table


def _apk_with(tmp_path: Path, lib: bytes) -> ApkArchive:
    path = tmp_path / "native.apk"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("lib/arm64-v8a/libbridge.so", lib)
    return ApkArchive.open(path)


def test_the_sections_of_code_are_not_read():
    spans = data_spans(_elf64())
    text_at = 64
    assert spans == [(text_at + len(TEXT), text_at + len(TEXT) + len(RODATA) + len(SHSTRTAB))]


def test_names_in_code_bytes_are_not_names_the_library_holds(tmp_path):
    archive = _apk_with(tmp_path, _elf64())
    assert native_class_names(archive, ["lib/arm64-v8a/libbridge.so"]) == {"com.real.Bridge", "com.real.pkg"}


@pytest.mark.parametrize("broken", [{"sections": False}, {"shoff_past_end": True}])
def test_without_a_readable_section_table_the_whole_library_is_read(tmp_path, broken):
    lib = _elf64(**broken)
    assert data_spans(lib) is None
    archive = _apk_with(tmp_path, lib)
    assert native_class_names(archive, ["lib/arm64-v8a/libbridge.so"]) == {
        "com.fake.InCode", "com.real.Bridge", "com.real.pkg"}


def test_a_file_that_is_not_elf_has_no_sections():
    assert data_spans(b"MZ" + b"\x00" * 200) is None


@pytest.mark.corpus
def test_on_real_apps_no_name_of_the_apps_classes_or_packages_is_lost(corpus, monkeypatch):
    """Reading whole files also finds chance byte runs in machine code ("d.B"); none of those lost names a class
    or package of the app, and nothing is found that a whole read does not find."""
    checked = 0
    for path in sorted((corpus / "github-cn-apks" / "apks").glob("*.apk")):
        apk = open_apk(path)
        libs = apk.native_libs
        if libs:
            checked += 1
            by_sections = native_class_names(apk.archive, libs)
            with monkeypatch.context() as patch:
                patch.setattr(code_names, "_native_strings", code_names._NATIVE_STRING.findall)
                whole = native_class_names(apk.archive, libs)
            index = DexIndex.build((name, apk.archive.read(name)) for name in apk.dex_names)
            classes = {descriptor_to_java(d).partition("$")[0] for d in index.classes}
            packages = {c.rsplit(".", i)[0] for c in classes for i in range(1, c.count(".") + 1)}
            assert by_sections <= whole, path.name
            assert (whole - by_sections) & (classes | packages) == set(), path.name
        apk.close()
    assert checked >= 5
