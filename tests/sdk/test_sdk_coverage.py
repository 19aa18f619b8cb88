"""Every SDK signature of the public lists is identified (tools/sdk_coverage.py, run as a test)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "sdk_coverage.py"
_spec = importlib.util.spec_from_file_location("sdk_coverage", TOOL)
sdk_coverage = importlib.util.module_from_spec(_spec)
sys.modules["sdk_coverage"] = sdk_coverage  # dataclasses look their module up by name
_spec.loader.exec_module(sdk_coverage)

pytestmark = pytest.mark.corpus

# Deliberately not turned into identification rules (reasons in tools/sdk_coverage.py SKIPPED):
EXPECTED_SKIPS = {
    ("dcloud", "com.taobao"), ("dcloud", "com.baidu"), ("dcloud", "engine.tuifish.com"),
    ("exodus", "com.bytedance"), ("exodus", ".LigatusManager"), ("exodus", ".LigatusViewClient"),
    ("exodus", ".S4MAnalytic"), ("exodus", ".sizmek."), ("exodus", ".schibsted."), ("exodus", ".tealium."),
    ("exodus", ".adswizz."), ("exodus", ".kochavaccpa."), ("exodus", "com.github.backtrace-labs."),
    ("appscan", "com.huawei.intent.action.PUSH"), ("appscan", "com.huawei.intent.action.PUSH_STATE"),
    ("appscan", "com.facebook"),
}


@pytest.fixture(scope="module")
def report(corpus: Path):
    return sdk_coverage.coverage_report(corpus)


def test_every_listed_signature_is_identified(report) -> None:
    for sig, why in report.skipped:
        print(f"skipped {sig.source} {sig.value} ({sig.name}): {why}")
    assert [(s.source, s.name, s.value, why) for s, why in report.uncovered] == []


def test_skips_are_exactly_the_listed_ones(report) -> None:
    assert {(s.source, s.value) for s, _ in report.skipped} == EXPECTED_SKIPS


def test_all_sources_were_checked(report) -> None:
    # 40 catalog markers + 14 PI/rule markers, 28 DCloud packages, 122 LibChecker Chinese labels,
    # 602 εxodus signatures, 562 AppScan prefixes
    by_source: dict[str, int] = {}
    assert report.checked == 1368
    for sig, _ in report.skipped:
        by_source[sig.source] = by_source.get(sig.source, 0) + 1
    assert by_source == {"dcloud": 3, "exodus": 10, "appscan": 3}
