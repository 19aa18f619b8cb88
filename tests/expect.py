"""Exact expectations on findings, in the spirit of semgrep's `ruleid:`/`ok:` annotations: a fixture test
states every (rule, subject, severity) its app must give, so an extra finding fails as surely as a missing one."""

from __future__ import annotations

from typing import Any

Expected = set[tuple[str, str, str]]


def findings_of(report: Any) -> Expected:
    """(rule_id, subject, severity) of every finding of a `Report` or of its JSON dict."""
    found = report["findings"] if isinstance(report, dict) else [f.model_dump() for f in report.findings]
    return {(f["rule_id"], f["subject"], f["severity"]) for f in found}


def assert_findings(report: Any, expected: Expected) -> None:
    """The report's findings are exactly `expected`; the message lists what is missing and what is extra."""
    actual = findings_of(report)
    if actual != expected:
        missing, extra = sorted(expected - actual), sorted(actual - expected)
        raise AssertionError(f"findings differ\n  missing: {missing}\n  extra:   {extra}\n  actual:  {sorted(actual)}")


# The bundled sample (src/hegui/samples/demo-shop.apk, a deliberately non-compliant shop app) scanned on its own:
# the policy inside it lacks most elements, Umeng and Tencent GDT start in Application.onCreate. Its
# MainActivity#upgrade (an APK install intent) is called by nothing: dead code, so only the declared
# REQUEST_INSTALL_PACKAGES permission stands (medium).
DEMO_SHOP: Expected = {
    ("PI-AD-MISLEADING-TRIGGER", "tencent_gdt", "high"), ("PI-APPLIST-COLLECTION", "tencent_gdt", "high"),
    ("PI-COMPLAINT-CHANNEL-MISSING", "app", "high"), ("PI-CONSENT-NO-WITHDRAWAL", "app", "medium"),
    ("PI-DECEIVE-DOWNLOAD", "app", "medium"), ("PI-DEVICE-ID-NONRESETTABLE", "umeng_analytics", "medium"),
    ("PI-MINOR-NO-SPECIAL-RULES", "app", "high"), ("PI-NECESSITY-UNRELATED-COLLECTION", "app", "medium"),
    ("PI-NOTICE-PURPOSE-NOT-ENUMERATED", "app", "high"), ("PI-NOTICE-PURPOSE-NOT-ENUMERATED", "tencent_gdt", "high"),
    ("PI-NOTICE-PURPOSE-NOT-ENUMERATED", "umeng_analytics", "high"), ("PI-POLICY-MISSING-ELEMENTS", "app", "medium"),
    ("PI-POLICY-NO-COLLECTED-PI-LIST", "app", "medium"), ("PI-PUSH-NO-NONTARGETED-OPTION", "app", "high"),
    ("PI-SDK-BEYOND-DECLARED", "tencent_gdt", "high"), ("PI-SDK-BEYOND-DECLARED", "umeng_analytics", "high"),
    ("PI-SDK-COLLECT-BEFORE-CONSENT", "tencent_gdt", "critical"),
    ("PI-SDK-COLLECT-BEFORE-CONSENT", "umeng_analytics", "critical"),
    ("PI-SDK-LIST-MISSING-OR-MISMATCH", "app", "medium"), ("PI-SDK-LIST-MISSING-OR-MISMATCH", "tencent_gdt", "high"),
    ("PI-SDK-LIST-MISSING-OR-MISMATCH", "umeng_analytics", "high"), ("PI-SERVICE-NO-HOTLINE", "app", "low"),
    ("PI-START-SELF", "app", "high"),
}
# The policy findings of the sample; a complete policy given with --policy removes all but the SDK list's gap for
# Tencent GDT (the complete policy names Umeng only).
DEMO_SHOP_POLICY_GAPS: Expected = {
    ("PI-COMPLAINT-CHANNEL-MISSING", "app", "high"), ("PI-CONSENT-NO-WITHDRAWAL", "app", "medium"),
    ("PI-MINOR-NO-SPECIAL-RULES", "app", "high"), ("PI-POLICY-MISSING-ELEMENTS", "app", "medium"),
    ("PI-POLICY-NO-COLLECTED-PI-LIST", "app", "medium"), ("PI-PUSH-NO-NONTARGETED-OPTION", "app", "high"),
    ("PI-SDK-LIST-MISSING-OR-MISMATCH", "app", "medium"), ("PI-SDK-LIST-MISSING-OR-MISMATCH", "umeng_analytics", "high"),
    ("PI-SERVICE-NO-HOTLINE", "app", "low"),
}
