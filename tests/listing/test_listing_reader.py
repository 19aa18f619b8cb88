"""Reading a store-listing file: JSON or YAML, both permission shapes, and a one-line error for anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from hegui.errors import InputError
from hegui.listing import MAX_LISTING_BYTES, ListingInput, read_listing

YAML_LISTING = """\
store: 小米应用商店
version_name: 3.1
policy_url: https://www.example.com/privacy.html
developer_name: 示例科技有限公司
developer_contact: 400-000-0000
permissions:
  - {name: android.permission.CAMERA, purpose: 扫描二维码}
  - android.permission.INTERNET
"""


def _write(tmp_path: Path, data: str | bytes, name: str = "listing.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_a_yaml_listing_is_read_field_by_field(tmp_path):
    assert read_listing(_write(tmp_path, YAML_LISTING)) == ListingInput(
        store="小米应用商店", version_name="3.1", policy_url="https://www.example.com/privacy.html",
        developer_name="示例科技有限公司", developer_contact="400-000-0000",
        permissions=[{"name": "android.permission.CAMERA", "purpose": "扫描二维码"},
                     {"name": "android.permission.INTERNET", "purpose": ""}])


def test_a_json_listing_with_a_permission_mapping_is_read(tmp_path):
    text = '{"store": "华为应用市场", "permissions": {"android.permission.CAMERA": "扫码"}}'
    listing = read_listing(_write(tmp_path, text, "listing.json"))
    assert (listing.store, listing.permissions) == ("华为应用市场", [{"name": "android.permission.CAMERA", "purpose": "扫码"}])
    assert listing.version_name is None and listing.policy_url is None


def test_a_gb18030_listing_is_decoded(tmp_path):
    listing = read_listing(_write(tmp_path, "store: 应用宝\ndeveloper_name: 示例科技\n".encode("gb18030")))
    assert (listing.store, listing.developer_name) == ("应用宝", "示例科技")


def test_a_utf16_listing_with_its_bom_is_decoded(tmp_path):
    assert read_listing(_write(tmp_path, "store: 应用宝\n".encode("utf-16"))).store == "应用宝"


@pytest.mark.parametrize(("data", "message"), [
    (b"", "listing file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "listing looks like binary data, not text (it contains NUL bytes)"),
    (b"- just\n- a list\n", "listing must be a mapping of fields (store, version_name, permissions, …)"),
    (b"version_name: '1.0'\n", "listing has no 'store' (the app store whose page it records)"),
    (b"store: x\nprice: 0\n", "listing has unknown field 'price' (known: store, version_name, policy_url, "
                              "developer_name, developer_contact, permissions)"),
    (b"store: [a, b]\n", "listing field 'store' must be text"),
    (b"store: x\npermissions: 5\n", "listing field 'permissions' must be a list of {name, purpose} or a mapping"),
    (b"store: x\npermissions: [{purpose: p}]\n", "listing permission 1 has no name"),
    (b"store: x\npermissions: [{name: a, why: b}]\n", "listing permission 1 must have only 'name' and 'purpose'"),
    # hostile files: each is one line, never a crash
    (b"\xff\xfestore: x\n", "listing has a UTF-16 byte-order mark but is not UTF-16 text (truncated data at byte 10)"),
    (b'{"store": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "listing is nested too deeply to be a store page"),
    (b"store: " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "listing is nested too deeply to be a store page"),
    (b'{"store": NaN}', "listing holds a value that cannot be read (NaN is not a JSON value)"),
])
def test_a_bad_listing_is_one_line_naming_the_reason(tmp_path, data, message):
    with pytest.raises(InputError) as caught:
        read_listing(_write(tmp_path, data))
    assert str(caught.value) == message


def test_broken_yaml_is_one_line(tmp_path):
    with pytest.raises(InputError) as caught:
        read_listing(_write(tmp_path, "store: [unclosed\n"))
    assert str(caught.value).startswith("listing is neither valid JSON nor YAML (")
    assert "\n" not in str(caught.value)


def test_a_huge_listing_is_refused_before_it_is_parsed(tmp_path):
    path = _write(tmp_path, b"store: x\n" + b"#" * MAX_LISTING_BYTES)
    with pytest.raises(InputError) as caught:
        read_listing(path)
    assert str(caught.value) == "listing file is larger than 1024 KB"


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(InputError) as caught:
        read_listing(tmp_path / "nope.yaml")
    assert str(caught.value) == "cannot read the listing (No such file or directory)"


def test_an_integer_beyond_pythons_digit_limit_is_one_line(tmp_path):
    with pytest.raises(InputError) as caught:
        read_listing(_write(tmp_path, b"store: !!int " + b"9" * 5000 + b"\n"))
    assert str(caught.value).startswith("listing holds a value that cannot be read (Exceeds the limit (4300 digits)")
    assert "\n" not in str(caught.value)


# --- values stay the text the reviewer wrote --------------------------------------------------------------


def test_a_yaml_version_that_looks_like_a_number_keeps_its_digits(tmp_path):
    # YAML 1.1 would read 3.10 as the float 3.1, and 3.1 would then "mismatch" an APK at version 3.10
    assert read_listing(_write(tmp_path, "store: s\nversion_name: 3.10\n")).version_name == "3.10"


def test_a_json_version_written_as_a_number_keeps_its_digits(tmp_path):
    assert read_listing(_write(tmp_path, '{"store": "s", "version_name": 2.50}', "l.json")).version_name == "2.50"


def test_a_yaml_contact_that_looks_like_a_date_or_an_octal_stays_text(tmp_path):
    listing = read_listing(_write(tmp_path, "store: s\nversion_name: 2024-01-01\ndeveloper_contact: 0755-1234\n"))
    assert (listing.version_name, listing.developer_contact) == ("2024-01-01", "0755-1234")


def test_yaml_null_still_means_the_page_shows_nothing(tmp_path):
    assert read_listing(_write(tmp_path, "store: s\npolicy_url: null\nversion_name: ~\n")) == ListingInput(store="s")
