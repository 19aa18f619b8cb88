"""`hegui scan` on hostile inputs: a partial report or a one-line error, never a traceback, within budget.

Every case runs the real command line in a fresh process, so time, peak memory, exit status and
standard error are what a user would see.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from workplace import CORPUS, corpus_params

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "src/hegui/samples/demo-shop.apk"
MAX_SECONDS = 60
MAX_RSS_KIB = 1024 * 1024


def run_cli(*args: str, cwd: Path | None = None) -> tuple[int, str, str, float, int]:
    """(exit status, stdout, stderr, seconds, peak RSS KiB) of `hegui ARGS` in a fresh interpreter.

    The RSS is the largest of any child this test process has waited for: an upper bound for this one.
    """
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "hegui.cli", *args], capture_output=True, cwd=cwd,
                          timeout=MAX_SECONDS * 2, check=False)
    seconds = time.monotonic() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"), seconds, rss


def assert_clean_outcome(path: Path, code: int, out: str, err: str, seconds: float, rss: int) -> dict | None:
    assert "Traceback" not in err, err
    assert seconds < MAX_SECONDS and rss < MAX_RSS_KIB, (seconds, rss)
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{path}: "), err
        return None
    assert code == 0, (code, err)
    return json.loads(out)


def _edge_cases() -> list[Path]:
    files = sorted((CORPUS / "androguard/apks_edgecases").glob("*.apk")) + sorted((CORPUS / "apkinspector").glob("*.apk"))
    return files + sorted((CORPUS / "fdroidserver").glob("issue-1128*.apk")) + [CORPUS / "fdroidserver/janus.apk"]


@pytest.mark.corpus
@pytest.mark.parametrize("apk", corpus_params(_edge_cases), ids=lambda p: p.name if p else "corpus-missing")
def test_tampered_corpus_archives_give_a_report_or_one_line(apk, report_validator):
    report = assert_clean_outcome(apk, *run_cli("scan", str(apk)))
    if report is not None:
        report_validator(report)


def test_garbage_empty_and_truncated_files_are_one_line_errors(tmp_path):
    data = SAMPLE.read_bytes()
    cases = {"garbage.apk": os.urandom(5000), "empty.apk": b"", "truncated.apk": data[: len(data) // 3]}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        code, out, err, seconds, rss = run_cli("scan", str(path))
        report = assert_clean_outcome(path, code, out, err, seconds, rss)
        if report is not None:  # a truncated APK may still yield what its local headers hold
            assert report["errors"], name


def _zip_with(tmp_path: Path, name: str, extra: dict[str, bytes], drop: set[str] = frozenset()) -> Path:
    out = tmp_path / name
    with zipfile.ZipFile(SAMPLE) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in drop:
                dst.writestr(info.filename, src.read(info))
        for entry, payload in extra.items():
            dst.writestr(entry, payload)
    return out


def test_corrupt_dex_yields_a_partial_report_with_the_dex_error(tmp_path, report_validator):
    apk = _zip_with(tmp_path, "corrupt-dex.apk", {"classes.dex": b"dex\n035\0" + os.urandom(4000)}, drop={"classes.dex"})
    report = assert_clean_outcome(apk, *run_cli("scan", str(apk)))
    report_validator(report)
    assert report["app"]["package"] == "com.demo.shop"
    assert any(e["stage"] == "dex" for e in report["errors"])


def test_traversal_entry_names_are_never_written_anywhere(tmp_path, report_validator):
    apk = _zip_with(tmp_path, "traversal.apk", {"../../evil.txt": b"x", "/tmp/hegui-evil.txt": b"x",
                                                 "assets/../../../privacy.html": b"<p>\xe9\x9a\x90\xe7\xa7\x81</p>"})
    work = tmp_path / "work"
    work.mkdir()
    before = set(tmp_path.rglob("*"))
    code, out, err, seconds, rss = run_cli("scan", str(apk), "--format", "html", "--output", str(work / "r.html"), cwd=work)
    assert code == 0, err
    assert set(tmp_path.rglob("*")) - before == {work / "r.html"}
    assert not Path("/tmp/hegui-evil.txt").exists()


def test_a_one_gigabyte_zip_bomb_is_stopped_within_budget(tmp_path):
    chunk = bytes(2**20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    steady = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    stream = first + steady * 1099 + b"\x03\x00"  # 1,100 MiB of zeros, about 1 MB on disk
    apk = _zip_with(tmp_path, "bomb.apk", {}, drop={"classes.dex"})
    _append_raw_deflate(apk, "classes.dex", stream, declared=4096)
    code, out, err, seconds, rss = run_cli("scan", str(apk))
    report = assert_clean_outcome(apk, code, out, err, seconds, rss)
    assert report is not None and any("bomb" in e["message"] for e in report["errors"])


def _append_raw_deflate(apk: Path, name: str, stream: bytes, *, declared: int) -> None:
    """Rewrite `apk` adding an entry whose header lies about its size (as zip bombs do)."""
    import struct

    with zipfile.ZipFile(apk) as z:
        entries = [(i.filename.encode(), z.read(i)) for i in z.infolist()]
    local, central = bytearray(), bytearray()

    def add(fname: bytes, payload: bytes, method: int, crc: int, size: int) -> None:
        offset = len(local)
        local.extend(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(payload), size,
                                 len(fname), 0) + fname + payload)
        central.extend(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, len(payload),
                                   size, len(fname), 0, 0, 0, 0, 0, offset) + fname)

    for fname, payload in entries:
        add(fname, payload, 0, zlib.crc32(payload), len(payload))
    add(name.encode(), stream, 8, 0, declared)
    count = len(entries) + 1
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central), len(local), 0)
    apk.write_bytes(bytes(local + central + eocd))


def test_a_folder_scan_goes_on_past_bad_files(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a-garbage.apk").write_bytes(os.urandom(3000))
    (inputs / "b-empty.apk").write_bytes(b"")
    (inputs / "c-good.apk").write_bytes(SAMPLE.read_bytes())
    (inputs / "d-truncated.apk").write_bytes(SAMPLE.read_bytes()[:2000])
    out = tmp_path / "out"
    code, _out, err, _s, _r = run_cli("scan", str(inputs), "--output", str(out), "--quiet")
    assert code == 0, err
    lines = [json.loads(line) for line in (out / "index.json").read_text(encoding="utf-8").splitlines()]
    status = {Path(line["path"]).name: line["status"] for line in lines}
    assert status["c-good.apk"] == "done"
    assert status["a-garbage.apk"] == status["b-empty.apk"] == "failed"
    assert set(status) == {"a-garbage.apk", "b-empty.apk", "c-good.apk", "d-truncated.apk"}
    good = next(line for line in lines if line["path"].endswith("c-good.apk"))
    assert (out / f"{good['sha256']}.json").is_file()
