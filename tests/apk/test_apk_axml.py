"""Binary/text XML and manifest parsing on hostile input: tampering Android tolerates, garbage it doesn't."""

from __future__ import annotations

import random

import pytest
from apk_testkit import axml_document, axml_end, axml_start

from hegui.apk import Manifest, open_apk, parse_axml, parse_manifest
from hegui.apk.android_attrs import ANDROID_NS
from hegui.errors import InputError

NS = 0  # index of the android namespace URI in the pools below
TYPE_STRING, TYPE_INT, TYPE_BOOL = 0x03, 0x10, 0x12


def _minimal_manifest(name_strings: dict[str, str] | None = None, *, with_map: bool = True) -> bytes:
    """<manifest package versionCode><uses-sdk minSdkVersion/><application><activity name exported/>."""
    names = {"versionCode": "versionCode", "minSdkVersion": "minSdkVersion", "name": "name",
             "exported": "exported"} | (name_strings or {})
    strings = [names["versionCode"], names["minSdkVersion"], names["name"], names["exported"],
               ANDROID_NS, "manifest", "package", "com.tamper.demo", "uses-sdk", "application", "activity",
               ".Main"]
    ids = [0x0101021B, 0x0101020C, 0x01010003, 0x01010010] if with_map else []
    android = 4
    nodes = [
        axml_start(5, [(0xFFFFFFFF, 6, TYPE_STRING, 7), (android, 0, TYPE_INT, 42)]),
        axml_start(8, [(android, 1, TYPE_INT, 23)]), axml_end(8),
        axml_start(9),
        axml_start(10, [(android, 2, TYPE_STRING, 11), (android, 3, TYPE_BOOL, 0xFFFFFFFF)]), axml_end(10),
        axml_end(9),
        axml_end(5),
    ]
    return axml_document(strings, ids, nodes)


def test_hand_built_manifest_reads_back():
    manifest = parse_manifest(_minimal_manifest())
    assert (manifest.package, manifest.version_code, manifest.min_sdk) == ("com.tamper.demo", 42, 23)
    assert [(c.name, c.exported) for c in manifest.components] == [("com.tamper.demo.Main", True)]
    assert manifest.problems == []


def test_attribute_names_stripped_of_their_strings_are_named_by_resource_id():
    blanked = {"versionCode": "", "minSdkVersion": "", "name": "", "exported": ""}
    manifest = parse_manifest(_minimal_manifest(blanked))
    assert (manifest.version_code, manifest.min_sdk) == (42, 23)
    assert [(c.name, c.exported) for c in manifest.components] == [("com.tamper.demo.Main", True)]


def test_attribute_names_garbled_to_other_words_still_follow_the_resource_id():
    garbled = {"versionCode": "minSdkVersion", "minSdkVersion": "versionCode", "name": "zz", "exported": "qq"}
    manifest = parse_manifest(_minimal_manifest(garbled))
    assert (manifest.version_code, manifest.min_sdk) == (42, 23)
    assert manifest.components[0].exported is True


def test_android_attributes_without_resource_ids_are_ignored_like_android_does():
    manifest = parse_manifest(_minimal_manifest(with_map=False))
    assert (manifest.package, manifest.version_code, manifest.min_sdk, manifest.components) == (
        "com.tamper.demo", None, None, [])
    assert "<manifest> attribute android:versionCode has no resource id (Android ignores it)" in manifest.problems


def test_unknown_chunks_between_nodes_are_skipped():
    data = _minimal_manifest()
    junk = bytes.fromhex("7777 0800 10000000") + bytes(8)  # type 0x7777, 16 bytes
    first_end = data.index(axml_end(8))
    tampered = data[:first_end] + junk + data[first_end:]
    tampered = tampered[:4] + len(tampered).to_bytes(4, "little") + tampered[8:]
    manifest = parse_manifest(tampered)
    assert (manifest.version_code, manifest.min_sdk, len(manifest.components)) == (42, 23, 1)
    assert any("unknown chunk type 0x7777" in p for p in manifest.problems)


def test_deep_nesting_is_bounded_without_recursion():
    depth = 5000
    nodes = [axml_start(0)] + [axml_start(1)] * depth + [axml_end(1)] * depth + [axml_end(0)]
    root = parse_axml(axml_document(["manifest", "x"], [], nodes), problems := [])
    depth_seen, node = 0, root
    while node.children:
        node, depth_seen = node.children[0], depth_seen + 1
    assert depth_seen == 255
    assert "XML nested deeper than 256: deeper elements ignored" in problems


def test_string_count_larger_than_the_pool_is_clipped():
    data = bytearray(_minimal_manifest())
    data[16:20] = (10_000_000).to_bytes(4, "little")  # string pool stringCount
    manifest = parse_manifest(bytes(data))
    assert manifest.version_code == 42
    assert any("string pool declares 10000000 strings" in p for p in manifest.problems)


@pytest.mark.parametrize("data, reason", [
    (b"", "AndroidManifest.xml is neither binary nor text XML"),
    (b"\x7fELF" + bytes(60), "AndroidManifest.xml is neither binary nor text XML"),
    (b"\x03\x00\x08\x00\x10\x00\x00\x00" + bytes(8), "binary XML holds no element"),
    (b"<?xml version='1.0'?><manifest package='a'", "text XML is malformed (unclosed token at line 1)"),
    (b"<!DOCTYPE lol [<!ENTITY a 'aaaa'>]><manifest/>", "text XML with a DOCTYPE/entity declaration refused"),
    (b"<resources/>", "AndroidManifest.xml root element is <resources>, not <manifest>"),
])
def test_garbage_manifests_raise_one_line_reasons(data, reason):
    with pytest.raises(InputError) as caught:
        parse_manifest(data)
    assert str(caught.value) == reason


def test_every_truncation_and_random_corruption_gives_a_manifest_or_an_input_error():
    data = _minimal_manifest()
    rng = random.Random(20240601)
    candidates = [data[:cut] for cut in range(len(data))]
    for _ in range(400):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        candidates.append(bytes(mutated))
    outcomes = {"manifest": 0, "error": 0}
    for candidate in candidates:
        try:
            result = parse_manifest(candidate)
        except InputError as exc:
            assert "\n" not in str(exc)
            outcomes["error"] += 1
        else:
            assert isinstance(result, Manifest)
            outcomes["manifest"] += 1
    assert outcomes["manifest"] > 0 and outcomes["error"] > 0


def test_text_manifest_attributes_are_typed_on_demand():
    text = (b'<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="t.x" '
            b'android:versionCode="0x10"><uses-sdk android:minSdkVersion="19" android:targetSdkVersion="Q"/>'
            b'<application android:debuggable="TRUE"><service android:name=".S" android:exported="false"/>'
            b'</application></manifest>')
    manifest = parse_manifest(text)
    assert (manifest.version_code, manifest.min_sdk, manifest.target_sdk) == (16, 19, None)
    assert manifest.debuggable is True
    assert [(c.name, c.exported) for c in manifest.components] == [("t.x.S", False)]


@pytest.mark.apktool
def test_built_manifest_survives_every_truncation(demo_apk):
    data = open_apk(demo_apk).archive.read("AndroidManifest.xml")
    for cut in range(0, len(data), 13):
        try:
            parse_manifest(data[:cut])
        except InputError as exc:
            assert "\n" not in str(exc)
