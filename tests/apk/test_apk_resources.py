"""ResourceTable: string/file resolution on a built APK, and hostile resources.arsc bytes."""

from __future__ import annotations

import random

import pytest

from hegui.apk import ResourceTable, open_apk
from hegui.errors import InputError


@pytest.fixture(scope="module")
def demo(demo_apk):
    apk = open_apk(demo_apk)
    yield apk
    apk.close()


def _id(apk, name: str) -> int:
    """Resource id of "type/name" found by scanning the demo package (no public.xml in the APK)."""
    table = apk.resources
    for package in table.packages.values():
        for type_id in package.chunks:
            for entry in range(64):
                res_id = (package.package_id << 24) | (type_id << 16) | entry
                if table.name_of(res_id) == name:
                    return res_id
    raise AssertionError(name)


@pytest.mark.apktool
class TestBuiltTable:
    def test_reference_forms_are_equivalent(self, demo):
        res_id = _id(demo, "string/app_name")
        forms = [res_id, f"@0x{res_id:08x}", f"@{res_id:08x}", f"0x{res_id:08X}"]
        assert {demo.resources.resolve_string(form) for form in forms} == {"演示商店"}

    def test_prefer_picks_a_locale_when_asked(self, demo):
        assert demo.resources.resolve_string(_id(demo, "string/app_name"), prefer=("en",)) == "Demo Shop"

    def test_string_defined_as_a_reference_is_followed(self, demo):
        assert demo.resources.resolve_strings_all(_id(demo, "string/store_name")) == {"": "演示商店"}

    @pytest.mark.timeout(30)  # a loop that is not cut hangs: the timeout turns that into a failure
    def test_reference_loop_ends_without_a_value(self, demo):
        assert demo.resources.resolve_string(_id(demo, "string/loop_a")) is None

    def test_non_string_values_are_rendered(self, demo):
        assert demo.resources.resolve_string(_id(demo, "integer/retries")) == "3"

    def test_unknown_and_malformed_references_resolve_to_nothing(self, demo):
        for ref in (0x7F7F0001, 0x01040000, "@string/app_name", "", "@0xZZ", -1, 2**40):
            assert demo.resources.resolve_string(ref) is None
            assert demo.resources.resolve_files(ref) == []

    def test_files_of_a_non_file_resource_are_empty(self, demo):
        assert demo.resources.resolve_files(_id(demo, "string/app_name")) == []

    def test_every_truncation_and_random_corruption_gives_a_table_or_an_input_error(self, demo):
        data = demo.archive.read("resources.arsc")
        label = demo.manifest.label
        rng = random.Random(77)
        candidates = [data[:cut] for cut in range(0, len(data), 5)]
        for _ in range(300):
            mutated = bytearray(data)
            for _ in range(rng.randint(1, 6)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            candidates.append(bytes(mutated))
        for candidate in candidates:
            try:
                table = ResourceTable.parse(candidate)
            except InputError as exc:
                assert "\n" not in str(exc)
                continue
            table.resolve_strings_all(label)
            table.resolve_files(demo.manifest.icon)
            list(table.string_values())


@pytest.mark.parametrize("data, reason", [
    (b"", "resources.arsc too short"),
    (b"\x03\x00\x08\x00" + bytes(12), "resources.arsc starts with chunk type 0x0003, not a resource table"),
    (b"\x02\x00\x0c\x00\x0c\x00\x00\x00\x01\x00\x00\x00", "resources.arsc has no global string pool"),
])
def test_garbage_tables_raise_one_line_reasons(data, reason):
    with pytest.raises(InputError) as caught:
        ResourceTable.parse(data)
    assert str(caught.value) == reason


@pytest.mark.corpus
def test_compact_entries_resolve(corpus):
    # Android 14 toolchains write compact entries; old aapt cannot read this table.
    apk = open_apk(corpus / "androguard/apks_edgecases/axml-compact-entry.apk")
    assert apk.label == "erev0s.com-CompactEntry"
    assert list(apk.resources.string_values()) == [("app_name", "erev0s.com-CompactEntry")]
