"""Scan time of each mini-program, quick app and HarmonyOS package of the shared corpus.

    python3 benchmarks/miniapp_speed.py [PACKAGE ...] [--runs 3]

Default inputs: every file of ../shared/corpus/miniapps/files (the PC-encrypted one with its appid, from
manifest.tsv's notes). One process; modules and knowledge are loaded by a warm-up scan first, then the clock runs
around `scan_path` (read, declarations, JS parse, rules: the whole report). Prints the median per package and writes
the table to benchmarks/results/miniapp_speed.md. The goal (issue 13): each package under one second.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
CORPUS = REPO.parent / "shared" / "corpus" / "miniapps" / "files"
APPIDS = {"party18___APP__.V1MMWX.wxapkg": "wx6e24c691f9a50e44"}  # recovered appid, manifest.tsv notes


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main() -> int:
    from hegui.errors import InputError
    from hegui.pipeline import ScanOptions, scan_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    packages = args.packages or sorted(CORPUS.iterdir())
    if not packages:
        print(f"no packages (corpus not at {CORPUS})", file=sys.stderr)
        return 2
    with contextlib.suppress(InputError):  # warm-up: imports, knowledge files, the JS grammar
        scan_path(packages[0], ScanOptions(appid=APPIDS.get(packages[0].name)))
    rows = []
    for path in packages:
        options = ScanOptions(appid=APPIDS.get(path.name))
        times, cpu, outcome = [], [], ""
        for _ in range(args.runs):
            start, cpu_start = time.perf_counter(), time.process_time()
            try:
                report = scan_path(path, options)
                outcome = f"{report.input.kind}, {len(report.findings)} findings"
            except InputError as exc:
                outcome = f"error: {exc}"
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - cpu_start)
        rows.append((path.name, path.stat().st_size if path.is_file() else 0, statistics.median(times),
                     statistics.median(cpu), outcome))
    # CPU time beside wall time: on a shared machine the wall clock mostly measures the other processes
    lines = ["| package | bytes | median wall s | median CPU s | result |", "|---|---:|---:|---:|---|"]
    lines += [f"| {n} | {size} | {t:.3f} | {c:.3f} | {o} |" for n, size, t, c, o in rows]
    slowest = max(rows, key=lambda r: r[3])
    lines.append(f"\n{len(rows)} packages, slowest (CPU) {slowest[0]} {slowest[3]:.3f} s; "
                 f"{sum(1 for r in rows if r[3] >= 1.0)} at or above 1 s CPU, "
                 f"{sum(1 for r in rows if r[2] >= 1.0)} at or above 1 s wall; load average {_load()}")
    text = "\n".join(lines)
    print(text)
    out = REPO / "benchmarks" / "results" / "miniapp_speed.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
