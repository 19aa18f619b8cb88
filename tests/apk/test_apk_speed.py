"""Opening an APK reads what describes it (manifest, resources, signers), never its bulk: a 20 MB APK of
assets costs no more than a small one. (Time is measured in benchmarks/, not here.)"""

from __future__ import annotations

import pytest

from hegui.apk import ApkArchive, open_apk

pytestmark = pytest.mark.apktool


def test_opening_a_twenty_megabyte_apk_reads_neither_its_assets_nor_its_dex(big_apk, monkeypatch):
    assert big_apk.stat().st_size > 20 * 10**6
    entries_read: list[str] = []
    real_read = ApkArchive.read

    def recording_read(self: ApkArchive, name: str, max_size: int | None = None) -> bytes:
        entries_read.append(name)
        return real_read(self, name, max_size)

    monkeypatch.setattr(ApkArchive, "read", recording_read)
    with open_apk(big_apk) as apk:
        assert apk.label == "演示商店" and [s.scheme for s in apk.signers] == ["v1", "v2", "v3"]
    assert "assets/blob.bin" not in entries_read
    assert not [name for name in entries_read if name.endswith(".dex")]
    assert "AndroidManifest.xml" in entries_read and "resources.arsc" in entries_read
