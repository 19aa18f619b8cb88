"""ApkArchive on hostile ZIPs: bombs, lies, traversal names, garbage, truncation, huge entry counts."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from apk_testkit import deflated, raw_zip, zeros_deflate_stream

from hegui.apk import ApkArchive, ArchiveEntryError, ArchiveLimits, EntryTooLargeError, open_apk
from hegui.errors import InputError

SRC = Path(__file__).resolve().parents[2] / "src"
GIB = 2**30


def _write(tmp_path: Path, data: bytes, name: str = "x.apk") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _bomb(tmp_path: Path, declared: int) -> Path:
    stream = zeros_deflate_stream(1100)  # 1.1 GiB of zeros in ~1.1 MB
    return _write(tmp_path, raw_zip([(b"classes.dex", stream, 8, 0, declared)]), "bomb.apk")


def _measure_read(path: Path) -> tuple[str, int]:
    """Read the bomb in a fresh interpreter (within the hostile-input budget of 60 s): (error message, peak RSS
    in KiB). A peak far below the inflated size proves the entry was refused, not inflated and dropped."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from hegui.apk import ApkArchive, ArchiveEntryError\n"
        "archive = ApkArchive.open(Path(sys.argv[1]))\n"
        "try:\n"
        "    archive.read('classes.dex')\n"
        "    message = 'read everything'\n"
        "except ArchiveEntryError as exc:\n"
        "    message = str(exc)\n"
        "print(message)\n"
        # VmHWM: this program's peak. ru_maxrss would also count the pytest process it was forked from (Linux
        # keeps the parent's RSS at fork as the child's floor), which after the DEX tests is above the bound.
        "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env,
                         timeout=60, check=True).stdout.splitlines()
    return out[0], int(out[1])


def test_bomb_declaring_its_real_size_is_refused_before_inflating(tmp_path):
    message, rss_kib = _measure_read(_bomb(tmp_path, declared=1100 * 2**20))
    assert message == f"entry 'classes.dex' declares {1100 * 2**20} bytes, above the limit of {256 * 2**20}"
    assert rss_kib < 200 * 1024


def test_bomb_lying_about_its_size_stops_at_the_ratio_limit(tmp_path):
    message, rss_kib = _measure_read(_bomb(tmp_path, declared=4096))
    assert message == "entry 'classes.dex' looks like a zip bomb (inflate ratio above 200:1)"
    assert rss_kib < 200 * 1024


def test_with_the_ratio_check_off_the_declared_size_still_stops_a_lying_bomb(tmp_path):
    archive = ApkArchive.open(_bomb(tmp_path, declared=4096), ArchiveLimits(max_ratio=10**9))
    with pytest.raises(EntryTooLargeError, match="inflates far beyond its declared 4096 bytes"):
        archive.read("classes.dex")


def test_per_call_max_size_is_enforced(tmp_path):
    path = _write(tmp_path, raw_zip([(b"a.txt", deflated(b"A" * 5000), 8, zlib.crc32(b"A" * 5000), 5000)]))
    archive = ApkArchive.open(path)
    with pytest.raises(EntryTooLargeError, match="declares 5000 bytes, above the limit of 100"):
        archive.read("a.txt", max_size=100)
    assert archive.read("a.txt") == b"A" * 5000


def test_total_read_budget_is_per_archive(tmp_path):
    data = b"B" * 3000
    path = _write(tmp_path, raw_zip([(b"a", data, 0, zlib.crc32(data), 3000), (b"b", data, 0, zlib.crc32(data), 3000)]))
    archive = ApkArchive.open(path, ArchiveLimits(max_total_read=4000))
    assert archive.read("a") == data
    with pytest.raises(EntryTooLargeError):
        archive.read("b")


def test_traversal_names_are_listed_and_never_written(tmp_path, monkeypatch):
    names = ["../../evil.so", "/etc/passwd", "C:\\Windows\\x.dll", "lib/../../../x", "a\x00b.txt"]
    crc = zlib.crc32(b"payload")
    path = _write(tmp_path, raw_zip([(n.encode(), b"payload", 0, crc, 7) for n in names]), "names.apk")
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    archive = ApkArchive.open(path)
    assert archive.names == names
    assert [archive.read(n) for n in names] == [b"payload"] * len(names)
    assert sum("suspicious entry name" in p for p in archive.problems) == len(names)
    assert list(work.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "names.apk"]


def test_duplicate_names_keep_the_first_entry(tmp_path):
    first, second = b"first", b"second"
    path = _write(tmp_path, raw_zip([(b"AndroidManifest.xml", first, 0, zlib.crc32(first), 5),
                                     (b"AndroidManifest.xml", second, 0, zlib.crc32(second), 6)]))
    archive = ApkArchive.open(path)
    assert archive.names == ["AndroidManifest.xml"]
    assert archive.read("AndroidManifest.xml") == b"first"
    assert archive.problems == ["duplicate entry 'AndroidManifest.xml' (first one kept)"]


def test_unknown_method_over_stored_bytes_is_read_as_stored(tmp_path):
    data = b"plain bytes"
    archive = ApkArchive.open(_write(tmp_path, raw_zip([(b"m.xml", data, 99, zlib.crc32(data), len(data))])))
    assert archive.read("m.xml") == data
    assert archive.problems == ["unsupported compression method 99 in 'm.xml' (read as stored, as Android does)"]


def test_unknown_method_over_deflated_bytes_is_inflated(tmp_path):
    data = b"deflated bytes " * 20
    archive = ApkArchive.open(_write(tmp_path, raw_zip([(b"m.xml", deflated(data), 21, zlib.crc32(data), len(data))])))
    assert archive.read("m.xml") == data
    assert archive.problems == ["unsupported compression method 21 in 'm.xml' (inflated, as Android does)"]


def test_crc_mismatch_is_an_entry_error(tmp_path):
    archive = ApkArchive.open(_write(tmp_path, raw_zip([(b"a", b"data", 0, 12345, 4)])))
    with pytest.raises(ArchiveEntryError, match="^CRC mismatch in 'a'$"):
        archive.read("a")


def test_missing_entry_is_an_entry_error(tmp_path):
    archive = ApkArchive.open(_write(tmp_path, raw_zip([(b"a", b"data", 0, zlib.crc32(b"data"), 4)])))
    with pytest.raises(ArchiveEntryError, match="^no entry 'classes.dex' in archive$"):
        archive.read("classes.dex")


def test_entry_running_past_the_end_is_truncated(tmp_path):
    data = raw_zip([(b"a", b"data", 0, zlib.crc32(b"data"), 4)])
    # claim 4000 compressed bytes in the central directory
    patched = data.replace(b"PK\x01\x02", b"PK\x01\x02", 1)
    cd = patched.index(b"PK\x01\x02")
    patched = patched[:cd + 20] + (4000).to_bytes(4, "little") + (4000).to_bytes(4, "little") + patched[cd + 28:]
    archive = ApkArchive.open(_write(tmp_path, patched))
    with pytest.raises(ArchiveEntryError, match="truncated"):
        archive.read("a")


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file (0 bytes)"),
    (bytes(range(256)) * 16, "not a ZIP/APK archive (no end-of-central-directory record, no local headers)"),
    (b"PK\x05\x06" + bytes(18), "empty archive (no entries)"),
    (b"<html>not an apk</html>\n", "not a ZIP/APK archive (no end-of-central-directory record, no local headers)"),
])
def test_unreadable_inputs_raise_one_line_input_errors(tmp_path, data, reason):
    with pytest.raises(InputError) as caught:
        ApkArchive.open(_write(tmp_path, data))
    assert str(caught.value) == reason


def test_a_directory_is_not_an_apk(tmp_path):
    with pytest.raises(InputError, match="^is a directory, not an APK file$"):
        ApkArchive.open(tmp_path)


def test_zip_without_manifest_or_dex_is_not_an_apk(tmp_path):
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match="^not an APK: AndroidManifest.xml missing and no classes.dex$"):
        open_apk(path)


def test_more_entries_than_the_limit_lists_the_first_ones(tmp_path):
    path = tmp_path / "many.apk"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:  # 100k entries: zipfile writes zip64
        for i in range(100_000):
            zf.writestr(zipfile.ZipInfo(f"r/{i}"), b"")
    archive = ApkArchive.open(path)
    assert len(archive.names) == 65_536 and archive.names[-1] == "r/65535"
    assert archive.problems == ["more than 65536 entries: only the first 65536 are listed"]
    assert archive.read("r/65535") == b""


def test_dex_after_a_gap_is_not_loaded(tmp_path):
    path = tmp_path / "gap.apk"
    with zipfile.ZipFile(path, "w") as zf:
        for name in ("classes.dex", "classes2.dex", "classes4.dex"):
            zf.writestr(name, b"dex\n035\x00")
    apk = open_apk(path)
    assert apk.dex_names == ["classes.dex", "classes2.dex"]
    assert "dex: classes4.dex is never loaded by Android (classes3.dex is missing)" in apk.problems


@pytest.mark.corpus
def test_an_entry_that_declares_its_true_size_reads_the_same_in_one_call_as_in_steps(corpus):
    """The one-call inflate of an honest entry gives exactly the bytes of the step-by-step guarded one."""
    apk = open_apk(corpus / "github-cn-apks" / "apks" / "com.xuexiang.xgdemo.apk")
    archive = apk.archive
    read = 0
    for name in archive.names:
        entry = archive._entries[name]
        if entry.method != 8:
            continue
        start = archive._data_start(entry, name)
        end = start + entry.compressed_size
        assert archive.read(name) == archive._inflate_guarded(entry, start, end, 2**30, name), name
        read += 1
    assert read > 100
    apk.close()


def test_an_entry_that_inflates_past_its_declared_size_is_read_the_guarded_way_and_noted(tmp_path):
    data = b"hegui " * 100_000
    path = _write(tmp_path, raw_zip([(b"classes.dex", deflated(data), 8, zlib.crc32(data), 4096)]))
    archive = ApkArchive.open(path)
    assert archive.read("classes.dex") == data
    assert archive.problems == ["entry 'classes.dex' declares 4096 bytes but inflates to 600000"]
