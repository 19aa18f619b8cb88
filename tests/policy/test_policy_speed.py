"""A 300 KB policy is analysed quickly (the benchmark measures it; this guards against gross regressions)."""

from __future__ import annotations

import time

from policy_synthetic import big_policy_html

from hegui.policy import analyse_policy, extract_policy

GENEROUS_LIMIT_S = 5.0


def test_a_300_kb_policy_is_analysed_within_the_generous_limit():
    data = big_policy_html(300_000)
    assert len(data) >= 300_000
    analyse_policy(extract_policy(b"<p>warm-up</p>", "w"))  # compiles the lexicon once, as a long-lived scan would
    started = time.perf_counter()
    analysis = analyse_policy(extract_policy(data, "big.html"))
    elapsed = time.perf_counter() - started
    assert elapsed < GENEROUS_LIMIT_S
    assert analysis.elements["retention"].present
    assert "imei" in analysis.declared_pi_types
    assert len(analysis.unmatched_sdk_names) > 100
