"""hegui's critical/high findings on the 20 real APKs of ../shared/corpus/github-cn-apks, against the audit.

Every critical/high finding (and the medium ones of a few apps) was read in the smali and judged as a tester of
a national testing body would: ``true`` (signed), ``false`` (the reason names the smali class#method that shows
it) or ``unclear`` (static code cannot settle it). The verdicts are benchmarks/data/real_app_audit.tsv, keyed by
(app, rule, subject, severity). This rescans every app and prints, per app, how many of today's critical/high
findings are signed, false, unclear, or new (no verdict yet: read them and add a row), plus the audited findings
that are no longer raised (``gone``; ``lost`` counts the gone ones that were signed true, a regression).
Precision of critical/high = signed / (signed + false).

    PYTHONPATH=src python benchmarks/real_app_audit.py [--corpus DIR] [--list]

``--list`` also prints each false, unclear and new finding with its reason.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "github-cn-apks"
AUDIT = Path(__file__).resolve().parent / "data" / "real_app_audit.tsv"
VERDICTS = ("true", "false", "unclear")
RATED = ("critical", "high")

Key = tuple[str, str, str, str]  # app, rule, subject, severity


def read_audit(path: Path = AUDIT) -> dict[Key, tuple[str, str]]:
    """(app, rule, subject, severity) -> (verdict, reason); a verdict outside VERDICTS is an error."""
    out: dict[Key, tuple[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["verdict"] not in VERDICTS:
                raise ValueError(f"{path}: verdict {row['verdict']!r} is not one of {VERDICTS}")
            key = (row["app"], row["rule"], row["subject"], row["severity"])
            if key in out:
                raise ValueError(f"{path}: {key} audited twice")
            out[key] = (row["verdict"], row["reason"])
    return out


def scan_keys(apk: Path, severities: tuple[str, ...] = RATED) -> set[Key]:
    from hegui.pipeline import scan_path

    app = apk.name.removesuffix(".apk")
    return {(app, f.rule_id, f.subject, f.severity) for f in scan_path(apk).findings if f.severity in severities}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--list", action="store_true", help="print each false, unclear and new finding")
    args = ap.parse_args(argv)
    apks = sorted((args.corpus / "apks").glob("*.apk"))
    if not apks:
        print(f"no APKs in {args.corpus / 'apks'}", file=sys.stderr)
        return 2
    audit = read_audit()
    totals: Counter[str] = Counter()
    print(f"{'app':34} {'crit/high':>9} {'signed':>6} {'false':>5} {'unclear':>7} {'new':>4} {'gone':>4} {'lost':>4}")
    for apk in apks:
        app = apk.name.removesuffix(".apk")
        keys = scan_keys(apk)
        counts: Counter[str] = Counter(audit[k][0] if k in audit else "new" for k in keys)
        gone = [k for k in audit if k[0] == app and k[3] in RATED and k not in keys]
        counts["gone"] = len(gone)
        counts["lost"] = sum(audit[k][0] == "true" for k in gone)
        totals.update(counts)
        totals["crit/high"] += len(keys)
        print(f"{app[:34]:34} {len(keys):9d} {counts['true']:6d} {counts['false']:5d} {counts['unclear']:7d} "
              f"{counts['new']:4d} {len(gone):4d} {counts['lost']:4d}")
        if args.list:
            for k in sorted(keys):
                verdict, reason = audit.get(k, ("new", "no verdict yet"))
                if verdict != "true":
                    print(f"    {verdict:7} {k[3]:8} {k[1]:32} {k[2]:18} {reason[:140]}")
            for k in sorted(gone):
                print(f"    gone    {k[3]:8} {k[1]:32} {k[2]:18} (was {audit[k][0]})")
    signed, false = totals["true"], totals["false"]
    precision = signed / (signed + false) if signed + false else 1.0
    print(f"{'TOTAL':34} {totals['crit/high']:9d} {signed:6d} {false:5d} {totals['unclear']:7d} "
          f"{totals['new']:4d} {totals['gone']:4d} {totals['lost']:4d}")
    print(f"precision of critical/high (signed / (signed + false)): {precision:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
