"""Time the analysis of a 300 KB privacy policy (extraction + analysis), median of several runs.

    python3 benchmarks/policy_speed.py [--corpus DIR] [--kb 300] [--runs 5]

The policy is real text read in place from ../shared/corpus (VioDroid-Finder app policies and APPCH policies,
concatenated until the size is reached), so sentence lengths and vocabulary are those of real policies.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from hegui.policy import analyse_policy, extract_policy
from hegui.policy.extract import decode_text

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def real_policy_text(corpus: Path, target_bytes: int) -> bytes:
    sources = sorted((corpus / "viodroid-finder" / "apps").glob("*.txt"))
    sources += sorted((corpus / "appch" / "manual_annotation").glob("*/*.ann"))
    chunks: list[bytes] = []
    size = 0
    while size < target_bytes:
        for path in sources:
            text, _enc = decode_text(path.read_bytes())
            chunk = text.encode("utf-8")
            chunks.append(chunk)
            size += len(chunk)
            if size >= target_bytes:
                break
    return b"\n".join(chunks)[:target_bytes]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--kb", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    data = real_policy_text(args.corpus, args.kb * 1000)
    analyse_policy(extract_policy(b"<p>warm-up</p>", "warm-up"))  # lexicon and SDK catalog compile once per process
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        doc = extract_policy(data, "benchmark")
        analysis = analyse_policy(doc)
        timings.append(time.perf_counter() - started)
    sentences = sum(len(s.sentences) + 1 for s in doc.sections)
    print(f"{len(data) / 1000:.0f} KB, {sentences} sentences, {len(analysis.declared_pi_types)} PI types declared: "
          f"median {statistics.median(timings):.3f} s, min {min(timings):.3f} s over {args.runs} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
