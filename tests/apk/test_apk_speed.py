"""Opening a 20 MB APK (manifest, resources, signers; no DEX) takes well under a second."""

from __future__ import annotations

import time

import pytest

from hegui.apk import open_apk

pytestmark = pytest.mark.apktool


def test_twenty_megabyte_apk_opens_well_under_a_second(big_apk):
    assert big_apk.stat().st_size > 20 * 10**6
    open_apk(big_apk).close()  # warm the page cache: the budget is for parsing, not the disk
    start = time.monotonic()
    with open_apk(big_apk) as apk:
        elapsed = time.monotonic() - start
        assert apk.label == "演示商店" and [s.scheme for s in apk.signers] == ["v1", "v2", "v3"]
    assert elapsed < 0.5, elapsed
