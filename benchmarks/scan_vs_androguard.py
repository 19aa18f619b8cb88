"""Scan speed and peak memory: hegui's full static scan against androguard's `AnalyzeAPK`.

    python3 benchmarks/scan_vs_androguard.py [APK ...] [--hegui-runs 3] [--androguard-runs 1]

Default inputs: `benchmarks/.cache/large-multidex.apk` (build it with build_large_apk.py), the real Yosemite.apk
(24 MB, from the airtest 1.4.3 sdist on PyPI, downloaded once into benchmarks/.cache) and the three
largest valid APKs of the shared corpus. Every measurement runs in a fresh Python process, one at a time,
so each peak RSS belongs to one tool and one run. Inside that process the tool's modules are imported
first (hegui.pipeline + hegui.analysis; androguard.misc), then the clock runs around one call:

- hegui: `scan_path(apk, ScanOptions(time_budget_s=600, memory_budget_mb=8192))` — manifest, every DEX,
  call graph, startup reachability, detectors and rules, i.e. the whole report;
- androguard 4.1.4: `AnalyzeAPK(apk)` — APK + every DEX parsed and `Analysis.create_xref()` run.

Peak memory is `ru_maxrss` of that process (interpreter and imported modules included, for both tools).
The table reports medians and is printed and written to `benchmarks/results/scan_vs_androguard.md`
(raw runs beside it as .json). Needs `pip install -r benchmarks/requirements.txt`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import statistics
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
LARGE_APK = BENCH_DIR / ".cache" / "large-multidex.apk"
CORPUS = REPO.parent / "shared" / "corpus"
CORPUS_ALT = Path("/work/shared/corpus")
RESULTS = BENCH_DIR / "results" / "scan_vs_androguard.md"
RUN_TIMEOUT_S = 3 * 3600
# A real 24 MB app (2 DEX, 16 MB of DEX) that ships inside a PyPI package: fetched by the benchmark, never stored.
YOSEMITE = BENCH_DIR / ".cache" / "Yosemite.apk"
YOSEMITE_DIST = "airtest==1.4.3"
SPEED_GOAL = 20.0        # androguard time / hegui time, on a 20+ MB multi-dex APK
MEMORY_GOAL = 0.25       # hegui peak RSS / androguard peak RSS
# Issue 16: the synthetic large APK (where androguard is unusually slow) at 40× and under 400 MB peak RSS;
# a real app within 10× of its unzip floor (inflating its DEX files, which no scanner can avoid).
LARGE_SPEED_GOAL = 40.0
LARGE_MEMORY_GOAL_MB = 400
FLOOR_GOAL = 10.0


# ---------------------------------------------------------------- child side: one tool, one APK, one run

def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child_hegui(apk: Path) -> dict:
    import hegui.analysis  # noqa: F401  (scan_path imports it lazily; keep that out of the timed call)
    from hegui.pipeline import ScanOptions, scan_path

    started, cpu_started = time.perf_counter(), _cpu_seconds()
    report = scan_path(apk, ScanOptions(time_budget_s=600, memory_budget_mb=8192))
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "found": {
            "sdks": len(report.sdks),
            "sensitive_calls": len(report.sensitive_calls),
            "at_startup": sum(1 for c in report.sensitive_calls if c.at_startup),
            "findings": len(report.findings),
            "errors": [f"{e.stage}: {e.message}" for e in report.errors],
        },
    }


def _child_androguard(apk: Path) -> dict:
    from androguard.misc import AnalyzeAPK
    from androguard.util import set_log

    set_log("ERROR")  # its DEBUG logging to stderr would otherwise dominate the run
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    _apk, dexes, analysis = AnalyzeAPK(str(apk))
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    classes = list(analysis.get_classes())
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "found": {
            "dex": len(dexes),
            "classes": sum(1 for c in classes if not c.is_external()),
            "external_classes": sum(1 for c in classes if c.is_external()),
            "methods": sum(1 for m in analysis.get_methods() if not m.is_external()),
        },
    }


def child_main(tool: str, apk: Path, out: Path) -> None:
    result = _child_hegui(apk) if tool == "hegui" else _child_androguard(apk)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    out.write_text(json.dumps(result), encoding="utf-8")


# ---------------------------------------------------------------- parent side

@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    found: dict


@dataclass
class ToolResult:
    runs: list[Run] = field(default_factory=list)
    failure: str | None = None

    def median_seconds(self) -> float | None:
        return statistics.median(r.seconds for r in self.runs) if self.runs else None

    def median_cpu(self) -> float | None:
        return statistics.median(r.cpu_seconds for r in self.runs) if self.runs else None

    def median_rss(self) -> float | None:
        return statistics.median(r.peak_rss_mb for r in self.runs) if self.runs else None


@dataclass
class ApkFacts:
    path: str
    size_bytes: int
    dex_files: int
    class_defs: int
    unzip_seconds: float = 0.0  # the floor: inflating every classes*.dex, no parsing (median of 3)


@dataclass
class Row:
    apk: ApkFacts
    hegui: ToolResult
    androguard: ToolResult


def apk_facts(apk: Path) -> ApkFacts:
    """Size, number of classes*.dex and of class definitions (from each DEX header), read independently."""
    class_defs = 0
    dex_files = 0
    with zipfile.ZipFile(apk) as zf:
        for info in zf.infolist():
            name = info.filename
            if name.startswith("classes") and name.endswith(".dex") and "/" not in name:
                with zf.open(info) as fh:
                    header = fh.read(0x70)
                if len(header) == 0x70 and header[:4] == b"dex\n":
                    dex_files += 1
                    class_defs += struct.unpack_from("<I", header, 0x60)[0]
    return ApkFacts(path=str(apk), size_bytes=apk.stat().st_size, dex_files=dex_files, class_defs=class_defs,
                    unzip_seconds=unzip_floor(apk))


def unzip_floor(apk: Path, runs: int = 3) -> float:
    """Seconds to inflate the APK's classes*.dex into memory: no scanner can read the code faster."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with zipfile.ZipFile(apk) as zf:
            for info in zf.infolist():
                if info.filename.startswith("classes") and info.filename.endswith(".dex") and "/" not in info.filename:
                    zf.read(info)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def yosemite_apk() -> Path | None:
    """Yosemite.apk from the airtest sdist on PyPI (downloaded once into benchmarks/.cache), or None offline."""
    if YOSEMITE.is_file():
        return YOSEMITE
    downloads = YOSEMITE.parent / "downloads"
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(downloads),
                           YOSEMITE_DIST], capture_output=True, text=True, timeout=1800)
    found = sorted(downloads.glob("airtest-*.tar.gz")) if proc.returncode == 0 else []
    if not found:
        print(f"Yosemite.apk: pip download {YOSEMITE_DIST} failed: {proc.stderr.strip()[-200:]}", file=sys.stderr)
        return None
    with tarfile.open(found[0]) as tar:
        member = next((m for m in tar.getmembers() if m.isfile() and m.name.endswith("/Yosemite.apk")), None)
        source = tar.extractfile(member) if member else None
        if source is None:
            return None
        YOSEMITE.write_bytes(source.read())  # written under our own name: the archive's path is never used
    return YOSEMITE


def measure(tool: str, apk: Path) -> Run:
    with tempfile.TemporaryDirectory(prefix="hegui-bench-") as tmp:
        out = Path(tmp) / "result.json"
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", tool, str(apk), str(out)],
            capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=tmp,
        )
        if proc.returncode != 0 or not out.is_file():
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"exit {proc.returncode}: {tail[:200]}")
        data = json.loads(out.read_text(encoding="utf-8"))
    return Run(seconds=data["seconds"], cpu_seconds=data["cpu_seconds"], peak_rss_mb=data["peak_rss_mb"],
               found=data["found"])


def bench_tool(tool: str, apk: Path, runs: int) -> ToolResult:
    result = ToolResult()
    for i in range(runs):
        try:
            run = measure(tool, apk)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            result.failure = str(exc).splitlines()[0]
            print(f"  {tool} run {i + 1}: FAILED {result.failure}", file=sys.stderr)
            break
        result.runs.append(run)
        print(f"  {tool} run {i + 1}: {run.seconds:.2f} s wall, {run.cpu_seconds:.2f} s CPU, "
              f"{run.peak_rss_mb:.0f} MB", file=sys.stderr)
    return result


def default_inputs() -> list[Path]:
    corpus = CORPUS if CORPUS.is_dir() else CORPUS_ALT
    with (corpus / "apk_inventory.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["valid_apk"] == "True"]
    rows.sort(key=lambda r: int(r["size_bytes"]), reverse=True)
    if not LARGE_APK.is_file():
        raise SystemExit(f"{LARGE_APK} is missing: run python3 benchmarks/build_large_apk.py first")
    yosemite = yosemite_apk()
    return [LARGE_APK, *([yosemite] if yosemite else []), *(corpus / r["path"] for r in rows[:3])]


# ---------------------------------------------------------------- rendering

def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _label(path: str) -> str:
    p = Path(path)
    for root in (CORPUS, CORPUS_ALT):
        if p.is_relative_to(root):
            return f"corpus/{p.relative_to(root)}"
    return p.name


def _hegui_found(res: ToolResult) -> str:
    if not res.runs:
        return res.failure or "—"
    f = res.runs[0].found
    text = (f"{f['sdks']} SDKs, {f['sensitive_calls']} sensitive calls ({f['at_startup']} at startup), "
            f"{f['findings']} findings")
    if f["errors"]:
        text += f", {len(f['errors'])} errors"
    return text


def _androguard_found(res: ToolResult) -> str:
    if not res.runs:
        return res.failure or "—"
    f = res.runs[0].found
    return f"{f['classes']} classes, {f['methods']} methods"


def render_table(rows: list[Row]) -> str:
    lines = [
        "| APK | size MB | #dex | classes | unzip s | hegui s | × unzip | androguard s | speed ratio | hegui MB "
        "| androguard MB | memory ratio | CPU s hegui / androguard | hegui found | androguard analysed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        hs, as_ = row.hegui.median_seconds(), row.androguard.median_seconds()
        hm, am = row.hegui.median_rss(), row.androguard.median_rss()
        speed = as_ / hs if hs and as_ else None
        memory = hm / am if hm and am else None
        lines.append(
            f"| {_label(row.apk.path)} | {row.apk.size_bytes / 2**20:.1f} | {row.apk.dex_files} "
            f"| {row.apk.class_defs} | {row.apk.unzip_seconds:.2f} | {_fmt(hs, '.2f')} "
            f"| {_fmt(hs / row.apk.unzip_seconds if hs and row.apk.unzip_seconds else None, '.1f')} "
            f"| {_fmt(as_, '.2f')} | {_fmt(speed, '.1f')}{'×' if speed else ''} "
            f"| {_fmt(hm, '.0f')} | {_fmt(am, '.0f')} | {_fmt(memory, '.2f')} "
            f"| {_fmt(row.hegui.median_cpu(), '.2f')} / {_fmt(row.androguard.median_cpu(), '.2f')} "
            f"| {_hegui_found(row.hegui)} | {_androguard_found(row.androguard)} |")
    return "\n".join(lines)


def verdict(rows: list[Row]) -> str:
    big = [r for r in rows if r.apk.size_bytes >= 20 * 2**20 and r.apk.dex_files > 1]
    if not big:
        return "No 20+ MB multi-dex APK among the inputs: the goal was not measured."
    out = []
    for r in big:
        hs, as_ = r.hegui.median_seconds(), r.androguard.median_seconds()
        hm, am = r.hegui.median_rss(), r.androguard.median_rss()
        if not (hs and as_ and hm and am):
            out.append(f"{_label(r.apk.path)}: not measured (a tool failed or was not run).")
            continue
        speed, memory = as_ / hs, hm / am
        cpu_speed = r.androguard.median_cpu() / r.hegui.median_cpu()
        large = Path(r.apk.path).name == LARGE_APK.name
        goal = LARGE_SPEED_GOAL if large else SPEED_GOAL
        line = (f"{_label(r.apk.path)}: speed {speed:.1f}× by wall time (goal ≥ {goal:g}×: "
                f"{'met' if speed >= goal else 'NOT met'}; {cpu_speed:.1f}× by CPU time), memory {memory:.2f} "
                f"of androguard's (goal ≤ {MEMORY_GOAL:g}: {'met' if memory <= MEMORY_GOAL else 'NOT met'})")
        if large:
            line += (f", peak {hm:.0f} MB (goal < {LARGE_MEMORY_GOAL_MB} MB: "
                     f"{'met' if hm < LARGE_MEMORY_GOAL_MB else 'NOT met'})")
        elif r.apk.unzip_seconds:
            floor = hs / r.apk.unzip_seconds
            line += (f", {floor:.1f}× its unzip floor by wall time (goal ≤ {FLOOR_GOAL:g}×: "
                     f"{'met' if floor <= FLOOR_GOAL else 'NOT met'})")
        out.append(line + ".")
    return "\n".join(out)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}, {mem_gb:.0f} GB RAM"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    def v(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    import hegui
    from hegui.dex.parser import speedups  # the optional C accelerator of the DEX reader, if it was built

    # The hegui actually imported (PYTHONPATH may point at a clean checkout instead of the editable install).
    source = Path(hegui.__file__).resolve().parent
    commit = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no", "."],
                           capture_output=True, text=True).stdout.strip()
    accel = "on" if speedups is not None else "off (pure Python)"
    return (f"hegui {v('hegui')} from {source} at commit {commit}{' + uncommitted changes' if dirty else ''}; "
            f"DEX C accelerator {accel}; "
            f"androguard {v('androguard')}; "
            f"Python {platform.python_version()}")


def write_results(rows: list[Row], args: argparse.Namespace, load: tuple[float, float], software: str) -> str:
    output: Path = args.output
    table = render_table(rows)
    text = "\n".join([
        "# hegui vs androguard: scan time and peak memory",
        "",
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='minutes')}",
        f"- machine: {machine()}; load average at start {load[0]:.2f}, at end {load[1]:.2f} "
        "(shared machine: other jobs were running)",
        f"- software: {software}",
        f"- runs: hegui {args.hegui_runs}, androguard {args.androguard_runs} per APK, each in a fresh process, "
        "one at a time; medians shown",
        "- time: wall seconds of the analysis call, after imports (CPU seconds, user + system, of the same "
        "call beside it: less disturbed by other jobs); memory: peak RSS of the whole process",
        "- speed ratio = androguard s / hegui s; memory ratio = hegui MB / androguard MB",
        "",
        table,
        "",
        verdict(rows),
        "",
    ])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    raw = [{"apk": asdict(r.apk), "hegui": asdict(r.hegui), "androguard": asdict(r.androguard)} for r in rows]
    output.with_suffix(".json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("apks", nargs="*", type=Path, help="APK files (default: large APK + 3 largest corpus)")
    parser.add_argument("--hegui-runs", type=int, default=3)
    parser.add_argument("--androguard-runs", type=int, default=1)
    parser.add_argument("--output", type=Path, default=RESULTS, help="Markdown table (raw runs beside it, .json)")
    parser.add_argument("--child", nargs=3, metavar=("TOOL", "APK", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        tool, apk, out = args.child
        child_main(tool, Path(apk), Path(out))
        return 0
    apks = args.apks or default_inputs()
    load_start, software = os.getloadavg()[0], versions()
    rows = []
    for apk in apks:
        print(f"{apk} …", file=sys.stderr)
        facts = apk_facts(apk)
        hegui = bench_tool("hegui", apk, args.hegui_runs)
        androguard = bench_tool("androguard", apk, args.androguard_runs)
        rows.append(Row(apk=facts, hegui=hegui, androguard=androguard))
    print(write_results(rows, args, (load_start, os.getloadavg()[0]), software))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
