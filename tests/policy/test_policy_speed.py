"""A 300 KB policy is analysed completely (its speed is measured by benchmarks/policy_speed.py, not here)."""

from __future__ import annotations

from policy_synthetic import big_policy_html

from hegui.policy import analyse_policy, extract_policy


def test_a_300_kb_policy_is_analysed_to_its_end():
    data = big_policy_html(300_000)
    assert len(data) >= 300_000
    analysis = analyse_policy(extract_policy(data, "big.html"))
    assert analysis.elements["retention"].present
    assert "imei" in analysis.declared_pi_types
    assert len(analysis.unmatched_sdk_names) > 100
