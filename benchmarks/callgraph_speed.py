"""The two call graphs of a scan (startup with consent guards, liveness), C fixpoint against the Python one.

    python benchmarks/callgraph_speed.py benchmarks/.cache/Yosemite.apk [more.apk …] [--runs 5]

Per APK and reachability on one index: the first and the best of `--runs` runs with the extension's
fixpoint (`_speedups.reachability`; later runs reuse the tables the first one kept with the index, as a
scan's liveness run reuses its startup run's) and the best with the pure-Python `Reachability`
(parser.speedups set to None around the construction only: the index stays the extension's), and whether
both reached the same methods by the same predecessors. The consent guards are built afresh for every
startup run, as a scan does.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from hegui import knowledge
from hegui.apk.apk import open_apk
from hegui.apk.code_names import native_class_names, resource_code_names
from hegui.detect.startup import consent_lexicon, framework_hierarchy, live_reachability, startup_reachability
from hegui.dex import DexIndex, parser
from hegui.dex.callgraph import Reachability


def timed(build: Callable[[], Reachability], runs: int, python: bool) -> tuple[list[float], Reachability]:
    fast = parser.speedups
    times, reach = [], None
    for _ in range(runs):
        parser.speedups = None if python else fast
        try:
            start = time.perf_counter()
            reach = build()
            times.append(time.perf_counter() - start)
        finally:
            parser.speedups = fast
    assert reach is not None
    return times, reach


def measure(path: Path, runs: int) -> tuple[DexIndex, list[float], bool]:
    """(index, [startup C first, C best, Python, live C first, C best, Python] seconds, whether C and Python
    agree) for one APK."""
    apk = open_apk(path)
    index = DexIndex.build([(name, apk.archive.read(name)) for name in apk.dex_names])
    resources = resource_code_names(apk.archive)
    native = native_class_names(apk.archive, apk.native_libs)
    row: list[float] = []
    same = True
    for build in (lambda: startup_reachability(apk.manifest, index),
                  lambda: live_reachability(apk.manifest, index, resources, native)):
        c_times, c_reach = timed(build, runs, python=False)
        py_times, py_reach = timed(build, runs, python=True)
        row += [c_times[0], min(c_times), min(py_times)]
        same = same and list(c_reach.parent.items()) == list(py_reach.parent.items()) \
            and c_reach.guarded == py_reach.guarded and c_reach.before_user == py_reach.before_user
    return index, row, same


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("apks", nargs="+", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if parser.speedups is None:
        raise SystemExit("hegui.dex._speedups is not built (or HEGUI_PURE_PYTHON is set)")
    framework_hierarchy(), consent_lexicon(), knowledge.startup()  # loaded once per process, before a scan's call graphs
    print(f"{'apk':28} {'methods':>8}  startup C first/best  Python   live C first/best  Python  same")
    for path in args.apks:
        index, row, same = measure(path, args.runs)
        print(f"{path.name[:28]:28} {len(index.methods):>8}  {row[0]:>10.3f} {row[1]:>6.3f}  {row[2]:>7.3f}  "
              f"{row[3]:>10.3f} {row[4]:>6.3f}  {row[5]:>6.3f}  {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
