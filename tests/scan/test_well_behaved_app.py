"""A well-behaved app: SDK started only after the user taps "agree", a complete policy in the APK."""

from __future__ import annotations

import pytest

from expect import assert_findings
from scanfixtures import COMPLETE_POLICY as POLICY
from scanfixtures import consenting_app_smali, scan_app

pytestmark = pytest.mark.apktool

def test_sdk_started_after_agree_with_a_complete_policy_has_no_finding(tmp_path, report_validator):
    scanned = scan_app(tmp_path, consenting_app_smali(), assets={"privacy.html": POLICY},
                       permissions=["android.permission.INTERNET"])
    report_validator(scanned.report.model_dump(mode="json"))
    [call] = scanned.calls("android_id")
    assert (call.sdk, call.at_startup) == ("umeng_analytics", False)
    assert scanned.report.policy.found and scanned.report.policy.source == "assets/privacy.html"
    assert "umeng_analytics" in scanned.report.policy.declared_sdks
    assert_findings(scanned.report, set())


def test_the_same_app_without_a_policy_is_told_it_has_none(tmp_path):
    scanned = scan_app(tmp_path, consenting_app_smali(), permissions=["android.permission.INTERNET"])
    assert not scanned.report.policy.found
    assert_findings(scanned.report, {("PI-POLICY-ABSENT", "app", "high")})
