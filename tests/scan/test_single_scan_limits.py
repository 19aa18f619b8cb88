"""A single-file `hegui scan` holds --timeout and --memory as hard limits, as a batch scan does: the scan runs
in a child process and its report comes back to the command line, which renders it.

The CLI cases run the real command on a real hostile APK; the helper cases inject the misbehaviour through
`scan_fn` (tests/misbehave.py).
"""

from __future__ import annotations

import json
import random
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from hegui.batch.isolate import ScanFailed, scan_report_isolated
from hegui.errors import InputError
from hegui.pipeline import ScanOptions, scan_path
from misbehave import misbehaving_scan

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "src/hegui/samples/demo-shop.apk"


@pytest.fixture(scope="module")
def big_dex_apk(tmp_path_factory) -> Path:
    """The sample APK whose classes.dex inflates to 200 MB from 1.2 MB (a ratio of 170:1, under the bomb
    threshold): reading it needs far more memory than a 64 MB budget allows."""
    out = tmp_path_factory.mktemp("big") / "bigdex.apk"
    rng = random.Random(7)
    block = bytes(rng.getrandbits(8) for _ in range(4096))
    with zipfile.ZipFile(SAMPLE) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "classes.dex":
                dst.writestr(info.filename, src.read(info))
        with dst.open("classes.dex", "w") as fh:
            fh.write(b"dex\n035\0")
            for _ in range((200 << 20) // len(block)):
                fh.write(block)
    return out


def test_a_scan_past_its_memory_budget_ends_with_one_line_and_exit_2(big_dex_apk):
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "hegui.cli", "scan", "--memory", "64", str(big_dex_apk)],
                          capture_output=True, timeout=120, check=False)
    assert time.monotonic() - start < 60
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert proc.stderr.decode().splitlines() == [f"{big_dex_apk}: memory limit 64 MB exceeded"]


def run_measured(rss_file: Path, *cli_args: str) -> tuple[int, bytes, bytes, int]:
    """(exit status, stdout, stderr, peak RSS KiB of the CLI and its scan child) of `hegui CLI_ARGS`, run
    from a fresh wrapper process so that no earlier child of this test process counts."""
    wrapper = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[2:], capture_output=True); "
               "sys.stdout.buffer.write(p.stdout); sys.stderr.buffer.write(p.stderr); "
               "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
               "sys.exit(p.returncode)")
    proc = subprocess.run([sys.executable, "-c", wrapper, str(rss_file), sys.executable, "-m", "hegui.cli",
                           *cli_args], capture_output=True, timeout=180, check=False)
    return proc.returncode, proc.stdout, proc.stderr, int(rss_file.read_text())


def test_the_issue_10_dex_gives_a_report_in_bounded_memory(tmp_path):
    # 2,000 classes each naming another 60,000-entry interface list (overlapping lists in a 400 kB DEX):
    # this took 116 s and 3.8 GB before interface lists were bounded.
    sys.path.insert(0, str(REPO / "tests"))
    from hostile_dex import build_dex, class_def_field, fix_checksum

    dex, layout = build_dex(2000)
    pad = -len(dex) % 4
    big = len(dex) + pad
    blob = bytearray(dex + b"\0" * pad + struct.pack("<I", 60000) * 32000)
    struct.pack_into("<I", blob, 32, len(blob))
    for i in range(2000):
        struct.pack_into("<I", blob, class_def_field(layout, i, 3), big + 4 * i)
    apk = tmp_path / "issue10.apk"
    with zipfile.ZipFile(SAMPLE) as src, zipfile.ZipFile(apk, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "classes.dex":
                dst.writestr(info.filename, src.read(info))
        dst.writestr("classes.dex", fix_checksum(bytes(blob)))
    start = time.monotonic()
    code, out, err, rss = run_measured(tmp_path / "rss", "scan", str(apk))
    assert time.monotonic() - start < 60
    assert code == 0, err
    assert rss < 400 * 1024, rss
    report = json.loads(out)
    budget = len(blob) // 2
    refused = [e["message"] for e in report["errors"] if "has a bad interface list" in e["message"]]
    assert refused[0] == (f"classes.dex: class Lcom/demo/C{budget // 60000}; has a bad interface list (classes "
                          f"name more interfaces than the file could hold: budget of {budget} spent)")
    assert b"Traceback" not in err


@pytest.mark.parametrize(("name", "reason"), [
    ("hang", "timeout after 0.5 s"),
    ("balloon", "memory limit 16 MB exceeded"),
    ("sigkill", "worker crashed: signal 9 (SIGKILL)"),
    ("segfault", "worker crashed: signal 11 (SIGSEGV)"),
    ("bug", "internal error: RuntimeError: detector exploded on line two"),
])
def test_each_limit_and_crash_of_the_child_is_a_one_line_reason(tmp_path, name, reason):
    apk = tmp_path / f"{name}.apk"
    apk.write_bytes(SAMPLE.read_bytes())
    start = time.monotonic()
    with pytest.raises(ScanFailed) as caught:
        scan_report_isolated(apk, ScanOptions(time_budget_s=0.5, memory_budget_mb=16), scan_fn=misbehaving_scan)
    assert str(caught.value) == reason
    assert time.monotonic() - start < 15, "a hanging scan is stopped at its hard limit, not waited for"


def test_an_unreadable_input_is_the_scans_own_reason(tmp_path):
    apk = tmp_path / "unreadable.apk"
    apk.write_bytes(b"x")
    with pytest.raises(InputError, match=r"^not a ZIP/APK archive$"):
        scan_report_isolated(apk, ScanOptions(), scan_fn=misbehaving_scan)


def test_the_report_from_the_child_is_the_report_of_an_in_process_scan():
    options = ScanOptions()
    isolated = scan_report_isolated(SAMPLE, options).model_dump(mode="json")
    direct = scan_path(SAMPLE, options).model_dump(mode="json")
    assert isolated == direct
