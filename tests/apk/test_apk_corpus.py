"""Every valid APK of the corpus agrees with aapt (the CSV holds aapt's values; a sample runs aapt live).

Where aapt and Android differ we follow Android; each exception is written down here:
- aapt counts the permissions it *implies* (targetSdkVersion < 4 -> WRITE_EXTERNAL_STORAGE and
  READ_PHONE_STATE; WRITE without READ_EXTERNAL_STORAGE -> READ_EXTERNAL_STORAGE) as `uses-permission`
  lines, repeats duplicated elements and does not count `uses-permission-sdk-23`;
  `Manifest.uses_permissions` is what the app declares (both tags, deduplicated). The comparison applies aapt's rules to our list.
- janus.apk (a DEX glued before the ZIP) and the NUL-in-entry-name APK: aapt reads nothing, Android
  installs them (the ZIP is located from its end) -- we read them like Android.
"""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pytest

from hegui.apk import open_apk, parse_axml
from workplace import CORPUS, corpus_params

pytestmark = pytest.mark.corpus

WRITE = "android.permission.WRITE_EXTERNAL_STORAGE"
READ = "android.permission.READ_EXTERNAL_STORAGE"
PHONE = "android.permission.READ_PHONE_STATE"

ANDROID_NOT_AAPT = {
    "fdroidserver/apks/janus.apk": ("com.example", 1, "1.0", 4, 15),
    "androguard/apks_edgecases/apksig-v1-only-with-nul-in-entry-name.apk":
        ("android.appsecurity.cts.tinyapp", 10, "1.0", 23, 23),
}


def _inventory() -> list[dict[str, str]]:
    path = CORPUS / "apk_inventory.csv"
    if not path.is_file():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["valid_apk"] == "True"]


VALID = _inventory()


def _aapt_permission_count(apk) -> int:
    """How many `uses-permission:` lines aapt prints for this manifest (see module docstring)."""
    root = parse_axml(apk.archive.read("AndroidManifest.xml"))
    # aapt prints one line per <uses-permission> element, duplicates included
    plain = [c.android("name") for c in root.children if c.tag == "uses-permission" and c.android("name")]
    target = apk.manifest.target_sdk if apk.manifest.target_sdk is not None else (apk.manifest.min_sdk or 1)
    implied = {WRITE, PHONE} if target < 4 else set()
    if WRITE in implied | set(plain):
        implied.add(READ)
    return len(plain) + len(implied - set(plain))


def _text(value) -> str:
    return "" if value is None else str(value)


def test_inventory_has_the_322_valid_apks():
    assert len(VALID) == 322


@pytest.mark.parametrize("row", corpus_params(lambda: VALID), ids=lambda r: r["path"] if r else "corpus-missing")
def test_manifest_header_agrees_with_aapt(corpus, row):
    with open_apk(corpus / row["path"]) as apk:
        manifest = apk.manifest
        got = (manifest.package, manifest.version_code, manifest.version_name, manifest.min_sdk,
               manifest.target_sdk)
        if row["path"] in ANDROID_NOT_AAPT:
            assert row["aapt_ok"] == "False" or row["package"] == ""
            assert got == ANDROID_NOT_AAPT[row["path"]]
            return
        assert tuple(_text(v) for v in got) == (
            row["package"], row["version_code"], row["version_name"], row["min_sdk"], row["target_sdk"])
        assert _aapt_permission_count(apk) == int(row["n_permissions"])


SAMPLE = [r for r in VALID if r["path"] not in ANDROID_NOT_AAPT][::8]


def _badging(path: Path) -> str:
    return subprocess.run(["aapt", "dump", "badging", str(path)], capture_output=True, text=True,
                          timeout=60).stdout


def test_live_sample_is_about_forty():
    assert 38 <= len(SAMPLE) <= 42


@pytest.mark.parametrize("row", corpus_params(lambda: SAMPLE), ids=lambda r: r["path"] if r else "corpus-missing")
def test_permissions_label_and_icons_agree_with_live_aapt(corpus, row):
    path = corpus / row["path"]
    out = _badging(path)
    implied = set(re.findall(r"^uses-implied-permission: name='([^']*)'", out, re.M))
    listed = re.findall(r"^uses-permission(?:-sdk-23)?: name='([^']*)'", out, re.M)
    declared = list(dict.fromkeys(p for p in listed if p not in implied))
    label = re.search(r"^application-label:'(.*)'$", out, re.M)
    icons = set(re.findall(r"^application-icon-\d+:'([^']*)'", out, re.M))
    with open_apk(path) as apk:
        # aapt prints sdk-23 permissions after the plain ones; compare as sets, and the order of plain ones
        assert set(apk.manifest.uses_permissions) == set(declared)
        assert len(apk.manifest.uses_permissions) == len(declared)
        assert apk.label == (label.group(1) if label else None)
        assert icons <= set(apk.icon_files)
