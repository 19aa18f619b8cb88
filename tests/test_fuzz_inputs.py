"""Seeded mutations of real DEX, binary XML, resources.arsc, class files and APKs (tools/fuzz_inputs.py) each
end with a parsed result or a hegui error: no other exception, no MemoryError under a 1 GB address-space
limit, no crash, no case past 10 s, and the C and pure-Python DEX parsers agree on every small DEX.

Seeds come from the bundled sample (and a class file built by the tool) so the test runs without the corpus;
with the corpus, its smallest APKs and SDK JARs add seeds of every kind.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

import fuzz_inputs  # noqa: E402 — tools/ is not a package

CASES = 300  # 60 per kind


def test_mutated_inputs_end_in_a_result_or_a_hegui_error_within_time_and_memory():
    seeds = fuzz_inputs.collect_seeds()
    summary = fuzz_inputs.fuzz(seeds, CASES, seed=2026, per_case_s=10, memory_mb=1024)
    assert summary.failures == [], "\n".join(summary.lines())
    per_kind = {kind: sum(n for (k, _status), n in summary.outcomes.items() if k == kind)
                for kind in fuzz_inputs.KINDS}
    assert per_kind == dict.fromkeys(fuzz_inputs.KINDS, CASES // len(fuzz_inputs.KINDS))
    assert summary.seconds < 60, summary.seconds


def test_every_seed_reads_cleanly_before_it_is_mutated():
    # A seed that already fails would make every mutation of it a failure of the seed, not of the reader.
    outcomes = {(s.kind, s.name): fuzz_inputs.run_case(s.kind, s.data) for s in fuzz_inputs.collect_seeds(None)}
    assert outcomes == {("dex", "sample:classes.dex"): "parsed", ("axml", "sample:AndroidManifest.xml"): "parsed",
                        ("arsc", "sample:resources.arsc"): "parsed", ("zip", "sample"): "parsed",
                        ("class", "built:fuzz/Seed.class"): "parsed"}


def test_the_built_class_file_is_read_as_written():
    from hegui.jvm.classfile import parse_class

    cls = parse_class(fuzz_inputs.tiny_class_file())
    assert (cls.name, cls.superclass, cls.problems) == ("Lfuzz/Seed;", "Ljava/lang/Object;", [])
    [method] = cls.methods
    assert (method.name, method.desc, method.strings) == ("m", "()V", ["hello"])
    assert [(op, ref.cls, ref.name, ref.desc) for op, ref in method.invokes] == [(0xB8, "Lfuzz/Seed;", "m", "()V")]


def test_a_case_is_the_same_bytes_for_the_same_seed():
    seeds = fuzz_inputs.collect_seeds(None)
    first = [fuzz_inputs.case_input(seeds, 7, case)[1:] for case in range(20)]
    again = [fuzz_inputs.case_input(seeds, 7, case)[1:] for case in range(20)]
    assert first == again
    assert len({data for data, _how in first}) == 20  # and each case is a different mutation


def test_size_fields_are_found_by_walking_the_format():
    seeds = {s.kind: s.data for s in fuzz_inputs.collect_seeds(None)}
    arsc = fuzz_inputs.size_fields(seeds["arsc"], "arsc")
    assert arsc[:3] == [(2, 2), (4, 4), (8, 4)]  # the table chunk: header size, size, package count
    dex = fuzz_inputs.size_fields(seeds["dex"], "dex")
    assert dex[:20] == [(off, 4) for off in range(32, 0x70, 4)]  # file size … data_off
    data, how = fuzz_inputs.mutate(seeds["dex"], "dex", random.Random(1))
    assert len(data) <= len(seeds["dex"]) and how


def test_whole_cli_scans_of_apks_with_a_mutated_member_give_a_report_or_one_line(tmp_path):
    seeds = fuzz_inputs.collect_seeds(None)  # the sample's members: each scan takes a few seconds
    outcomes = [fuzz_inputs.cli_case(seeds, 2026, case, tmp_path) for case in range(4)]
    assert [o.problem for o in outcomes] == [None] * 4, outcomes  # exit 0 with JSON, or 2 with one line
