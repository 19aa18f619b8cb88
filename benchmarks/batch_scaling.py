"""Batch throughput and scaling on the corpus APKs, and what 400,000 apps would take on 64 cores.

    python3 benchmarks/batch_scaling.py [--corpus DIR] [--jobs 1,2] [--limit N] [--json FILE]

Runs the real batch (``hegui.batch.run_batch``, real scans, JSON reports) over every ``*.apk`` in the
corpus once per worker count, each into a fresh output directory, and prints apps/hour, the speed-up
over one worker and a projection.

Fair measurement: the scanner's knowledge is loaded and the inputs are read once before any timing
(both are per-machine start-up costs, not per-app costs), and the machine's load average is printed
next to the numbers: on a shared machine other processes take cores from the batch and the speed-up
reads low.

Projection assumption (printed with the result): the 400,000 apps have the corpus' size mix; a 64-core
node set runs 64 workers, each as fast as one worker here, with the parallel efficiency measured here
at the highest worker count (speed-up / workers) holding at 64. A second projection starts from the
CPU each app costs (one full core per worker, as on a dedicated cluster), and both are capped by what one
driver can record per hour (its CPU per app). A last line scales per-app cost with
size using the least-squares fit seconds = a + b·MB over this run's scans, for readers whose real mix
is larger than the corpus'.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from hegui.batch import collect_inputs, run_batch
from hegui.batch.warm import warm_up
from hegui.pipeline import ScanOptions

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TARGET_APPS = 400_000
TARGET_CORES = 64


def _size_mix_sample(inputs: list[Path], limit: int | None) -> list[Path]:
    """Every k-th input by size, so a shortened run keeps the corpus' size mix."""
    if not limit or limit >= len(inputs):
        return inputs
    by_size = sorted(inputs, key=lambda p: p.stat().st_size)
    step = len(by_size) / limit
    return [by_size[int(i * step)] for i in range(limit)]


def _read_all(inputs: list[Path]) -> int:
    total = 0
    for path in inputs:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                total += len(chunk)
    return total


def _fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares y = a + b·x."""
    n = len(points)
    if n < 2:
        return (points[0][1] if points else 0.0), 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    b = sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0
    return my - b * mx, b


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:,.1f} h"


def _cpu_seconds() -> tuple[float, float]:
    """CPU time of this process (the driver) and of its finished children (the scans)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def measure(inputs: list[Path], jobs: int, options: ScanOptions) -> dict:
    with tempfile.TemporaryDirectory(prefix="hegui-bench-") as tmp:
        out = Path(tmp) / "out"
        load_before = os.getloadavg()[0]
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        result = run_batch(inputs, out, options=options, formats=["json"], jobs=jobs, quiet=True)
        wall = time.perf_counter() - started
        driver_after, scans_after = _cpu_seconds()
        driver_cpu, cpu = driver_after - cpu_before[0], driver_after + scans_after - sum(cpu_before)
        lines = [json.loads(x) for x in (out / "index.json").read_text(encoding="utf-8").splitlines()]
    return {
        "jobs": jobs, "inputs": result.total, "done": result.done, "failed": result.failed,
        "wall_s": round(wall, 2), "apps_per_hour": round(result.total / wall * 3600),
        # CPU the batch got: if "cores_used" stays near 1 with 2 workers, other processes held the second core
        "cpu_s": round(cpu, 2), "cpu_ms_per_app": round(cpu / result.total * 1000, 1),
        "cores_used": round(cpu / wall, 2),
        # the driver forks, collects and writes every result: its cost per app caps one batch's rate
        "driver_ms_per_app": round(driver_cpu / result.total * 1000, 2),
        "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
        "scan_points": [(line["size"] / 2**20, line["seconds"]) for line in lines if line.get("size") is not None],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--jobs", default="1,2", help="worker counts to compare, comma-separated")
    parser.add_argument("--limit", type=int, default=None, help="scan only N inputs (size mix kept)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    job_counts = [int(j) for j in args.jobs.split(",")]
    inputs = _size_mix_sample(collect_inputs([args.corpus]), args.limit)
    sizes = [p.stat().st_size for p in inputs]
    options = ScanOptions()

    warm_up()
    _read_all(inputs)
    print(f"{len(inputs)} inputs, {sum(sizes) / 2**20:,.1f} MB, mean {sum(sizes) / len(sizes) / 2**20:.2f} MB, "
          f"largest {max(sizes) / 2**20:.2f} MB; {os.cpu_count()} CPUs")
    runs = []
    for jobs in job_counts:
        run = measure(inputs, jobs, options)
        runs.append(run)
        print(f"jobs={jobs}: {run['wall_s']:.1f} s wall, {run['apps_per_hour']:,} apps/h "
              f"({run['done']} done, {run['failed']} failed); CPU {run['cpu_s']:.1f} s = "
              f"{run['cpu_ms_per_app']} ms/app, {run['cores_used']} cores used; "
              f"load avg {run['load_before']} → {run['load_after']}")
    base = runs[0]
    for run in runs[1:]:
        run["speedup"] = round(run["apps_per_hour"] / base["apps_per_hour"], 2)
        run["cpu_per_app_ratio"] = round(run["cpu_ms_per_app"] / base["cpu_ms_per_app"], 2)
        print(f"speed-up {base['jobs']} → {run['jobs']} workers: {run['speedup']}× wall-clock; CPU per app "
              f"{run['cpu_per_app_ratio']}× (≈1.0: no parallel overhead, the wall speed-up is bounded by the "
              f"cores the machine gave: {base['cores_used']} → {run['cores_used']})")

    best = runs[-1]
    per_worker = base["apps_per_hour"] / base["jobs"]
    efficiency = (best["apps_per_hour"] / base["apps_per_hour"]) / (best["jobs"] / base["jobs"])
    driver_ms = max(run["driver_ms_per_app"] for run in runs)
    driver_ceiling = 3600 / (driver_ms / 1000) if driver_ms else float("inf")
    cluster_rate = min(per_worker * TARGET_CORES * min(efficiency, 1.0), driver_ceiling)
    projected_s = TARGET_APPS / cluster_rate * 3600
    a, b = _fit(base["scan_points"])
    print(f"projection: {TARGET_APPS:,} apps of this size mix on {TARGET_CORES} cores ≈ {_hours(projected_s)} "
          f"(assumes {per_worker:,.0f} apps/h per worker as measured with jobs={base['jobs']} and the measured "
          f"parallel efficiency {efficiency:.0%} holding at {TARGET_CORES} workers; one driver spends "
          f"{driver_ms} ms per app, a ceiling of {driver_ceiling:,.0f} apps/h"
          f"{' — the bound here' if cluster_rate == driver_ceiling else ''})")
    # The same projection from CPU cost instead of wall-clock: what each worker does with a core of its
    # own (not shared with other processes, as the cores of a dedicated scanning cluster are).
    cpu_s_per_app = max(run["cpu_ms_per_app"] for run in runs) / 1000
    cpu_rate = min(TARGET_CORES * 3600 / cpu_s_per_app, driver_ceiling)
    print(f"projection from CPU cost ({cpu_s_per_app * 1000:.0f} ms CPU per app, one full core per worker, same "
          f"driver ceiling): {TARGET_APPS:,} apps on {TARGET_CORES} cores ≈ {_hours(TARGET_APPS / cpu_rate * 3600)}")
    print(f"per-app cost fit (jobs={base['jobs']}): seconds ≈ {a:.3f} + {b:.3f} × MB — e.g. a 50 MB app ≈ "
          f"{a + 50 * b:.1f} s, so {TARGET_APPS:,} such apps on {TARGET_CORES} cores ≈ "
          f"{_hours(TARGET_APPS * (a + 50 * b) / (TARGET_CORES * min(efficiency, 1.0)))}")
    if args.json:
        for run in runs:
            run.pop("scan_points", None)
        args.json.write_text(json.dumps({
            "inputs": len(inputs), "total_mb": round(sum(sizes) / 2**20, 1), "runs": runs,
            "projection": {"apps": TARGET_APPS, "cores": TARGET_CORES, "hours": round(projected_s / 3600, 2),
                           "per_worker_apps_per_hour": round(per_worker), "efficiency": round(efficiency, 3),
                           "driver_ceiling_apps_per_hour": round(driver_ceiling),
                           "hours_from_cpu_cost": round(TARGET_APPS / cpu_rate, 2)},
            "size_fit": {"a_s": round(a, 4), "b_s_per_mb": round(b, 4)},
        }, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
