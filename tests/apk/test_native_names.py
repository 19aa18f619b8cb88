"""The JNI and dotted names of native libraries are found by a fast scan that gives exactly what the defining
pattern (`code_names._NATIVE_NAME`, a lookbehind at every byte) finds, on real libraries and on edge cases."""

from __future__ import annotations

import zipfile

import pytest

from hegui.apk import code_names

EDGE_CASES = [
    b"com/baidu/vi/VDeviceAPI\x00",  # at the very start of the data
    b"\x01\x02com/a/B\x00\x00org.x.y\x00",  # JNI name, then a dotted name
    b"xcom/a/B\x00",  # the run starts at 'x': "xcom/a/B" is the name
    b"\x07" + b"a" * 300 + b"/Z\x00",  # a run far longer than the first look back
    b"a/b.c\x00",  # '/' and '.' mixed: neither form
    b"Com.x\x00",  # a dotted name starts lower-case
    b"com/a/\x00",  # ends with a separator
    b"com/a/B",  # no NUL: not a C string
    b"/abs/path\x00",  # starts with a separator
    b"x9/y\x00\x00java.lang.String\x00",
]


@pytest.mark.parametrize("data", EDGE_CASES)
def test_edge_cases_are_found_as_the_pattern_finds_them(data):
    assert code_names.native_names_in(data) == code_names._NATIVE_NAME.findall(data)


def test_the_edge_cases_include_names_and_non_names():
    found = [code_names.native_names_in(d) for d in EDGE_CASES]
    assert found[:4] == [[b"com/baidu/vi/VDeviceAPI"], [b"com/a/B", b"org.x.y"], [b"xcom/a/B"], [b"a" * 300 + b"/Z"]]
    assert found[4:9] == [[], [], [], [], []]


@pytest.mark.corpus
def test_real_native_libraries_give_the_same_names(corpus):
    libs = 0
    for apk in sorted(corpus.glob("*/apks/*.apk"))[:400]:
        try:
            with zipfile.ZipFile(apk) as z:
                for name in z.namelist():
                    if name.startswith("lib/") and name.endswith(".so") and libs < 40:
                        data = z.read(name)
                        assert code_names.native_names_in(data) == code_names._NATIVE_NAME.findall(data), name
                        libs += 1
        except (zipfile.BadZipFile, OSError, ValueError):
            continue  # the corpus holds deliberately broken archives
    assert libs >= 10
