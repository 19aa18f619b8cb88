"""assert_findings compares the full set: a missing finding, an extra one and a wrong severity all fail."""

from __future__ import annotations

import pytest

from expect import assert_findings

REPORT = {"findings": [{"rule_id": "PI-START-SELF", "subject": "app", "severity": "high"},
                       {"rule_id": "PI-CLIPBOARD-READ", "subject": "umeng_analytics", "severity": "high"}]}


def test_the_exact_set_passes() -> None:
    assert_findings(REPORT, {("PI-START-SELF", "app", "high"), ("PI-CLIPBOARD-READ", "umeng_analytics", "high")})


@pytest.mark.parametrize("expected", [
    {("PI-START-SELF", "app", "high")},  # a subset: the extra clipboard finding fails it
    {("PI-START-SELF", "app", "high"), ("PI-CLIPBOARD-READ", "umeng_analytics", "high"), ("PI-POLICY-ABSENT", "app", "high")},
    {("PI-START-SELF", "app", "medium"), ("PI-CLIPBOARD-READ", "umeng_analytics", "high")},
])
def test_a_subset_a_superset_or_another_severity_fails(expected) -> None:
    with pytest.raises(AssertionError, match="findings differ"):
        assert_findings(REPORT, expected)
