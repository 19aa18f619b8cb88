"""``python -m hegui.batch PATH... --output DIR``: the batch without the full CLI (scripts, cron, tests).

Same exit status as ``hegui scan``: 0 done, 1 a finding at or above ``--fail-on``, 2 bad usage or no input
could be read, 130 interrupted (rerun to resume).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hegui.batch import BatchError, collect_inputs, expand_arguments, run_batch
from hegui.batch.progress import printable
from hegui.pipeline import ScanOptions
from hegui.report.model import SEVERITY_ORDER

_DEFAULTS = ScanOptions()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hegui.batch", description="hegui batch scan (resumable)")
    p.add_argument("paths", nargs="+", help="APK files, directories (searched recursively), http(s) URLs, "
                                            "or @LIST files (one URL or path per line)")
    p.add_argument("--output", "-o", type=Path, required=True, help="output directory (reports, index.json)")
    p.add_argument("--format", dest="formats", action="append", default=None,
                   help="report format, repeatable (default json)")
    p.add_argument("--jobs", "-j", type=int, default=1)
    p.add_argument("--engine", choices=["local", "ray"], default="local")
    p.add_argument("--address", default=None, help="Ray cluster address (engine ray)")
    p.add_argument("--time-budget", type=float, default=_DEFAULTS.time_budget_s, help="seconds per scan")
    p.add_argument("--memory-budget", type=int, default=_DEFAULTS.memory_budget_mb, help="MB per scan")
    p.add_argument("--retry-failed", action="store_true", help="rescan inputs that failed in an earlier run")
    p.add_argument("--fail-on", choices=list(SEVERITY_ORDER), default=None)
    p.add_argument("--quiet", "-q", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.time_budget <= 0 or args.memory_budget <= 0:
        print("error: budgets must be positive", file=sys.stderr)
        return 2
    try:
        inputs = collect_inputs(expand_arguments(args.paths))
    except BatchError as err:
        print(f"error: {printable(str(err))}", file=sys.stderr)
        return 2
    if not inputs:
        print("error: no input found (APK/AAR/JAR files or directories containing *.apk or *.aar)", file=sys.stderr)
        return 2
    options = ScanOptions(time_budget_s=args.time_budget, memory_budget_mb=args.memory_budget)
    try:
        result = run_batch(inputs, args.output, options=options, formats=args.formats or ["json"],
                           jobs=args.jobs, engine=args.engine, address=args.address, quiet=args.quiet,
                           retry_failed=args.retry_failed)
    except BatchError as err:
        print(f"error: {printable(str(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
    if not args.quiet:
        for line in result.closing_lines():
            print(line, file=sys.stderr)
    return result.exit_status(args.fail_on)


if __name__ == "__main__":
    sys.exit(main())
