"""SDKs started at launch behind a stored consent flag do not collect before consent; without one they do."""

from __future__ import annotations

import pytest

import smali_snippets as s
from apkbuild import smali_class
from expect import assert_findings
from scanfixtures import APP, APP_CLASS, MAIN, UMENG, app_smali, scan_app
from smali_snippets import method

pytestmark = pytest.mark.apktool

INIT = s.call_static(UMENG, "init")
HELPER = f"{APP}.PrivacyHelper"
# every fixture app here ships without a privacy policy
NO_POLICY = ("PI-POLICY-ABSENT", "app", "high")
SDK_BEFORE_CONSENT = ("PI-SDK-COLLECT-BEFORE-CONSENT", "umeng_analytics", "critical")
APP_BEFORE_CONSENT = ("PI-COLLECT-BEFORE-CONSENT", "app", "critical")


def scan_with_umeng(tmp_path, on_create: str, *, main_on_create: str = "", extra: dict[str, str] | None = None):
    smali = app_smali(on_create, main_on_create=main_on_create)
    smali[UMENG] = smali_class(UMENG, method("init", s.read_android_id(), params="Landroid/content/Context;", static=True))
    smali.update(extra or {})
    scanned = scan_app(tmp_path, smali)
    [call] = scanned.calls("android_id")
    return scanned, call


def test_init_inside_if_agreed_in_application_oncreate_is_not_before_consent(tmp_path, report_validator):
    scanned, call = scan_with_umeng(tmp_path, s.when_flag("privacy_agreed", INIT))
    report_validator(scanned.report.model_dump(mode="json"))
    assert (call.caller, call.sdk, call.at_startup) == (f"{UMENG}#init", "umeng_analytics", False)
    assert_findings(scanned.report, {NO_POLICY})


def test_init_after_an_early_return_when_not_agreed_is_not_before_consent(tmp_path):
    scanned, call = scan_with_umeng(tmp_path, s.return_unless_flag("privacy_agreed") + INIT)
    assert call.at_startup is False
    assert_findings(scanned.report, {NO_POLICY})


def test_unguarded_init_in_application_oncreate_is_before_consent(tmp_path, report_validator):
    scanned, call = scan_with_umeng(tmp_path, INIT)
    report_validator(scanned.report.model_dump(mode="json"))
    assert call.at_startup is True
    assert_findings(scanned.report, {NO_POLICY, SDK_BEFORE_CONSENT})


@pytest.mark.parametrize("key", ["first_launch", "dark_mode"])
def test_init_behind_a_flag_unrelated_to_consent_is_still_before_consent(tmp_path, key):
    scanned, call = scan_with_umeng(tmp_path, s.when_flag(key, INIT))
    assert call.at_startup is True
    assert_findings(scanned.report, {NO_POLICY, SDK_BEFORE_CONSENT})


def test_init_that_runs_while_consent_is_not_given_is_still_before_consent(tmp_path):
    scanned, call = scan_with_umeng(tmp_path, s.unless_flag("privacy_agreed", INIT))
    assert call.at_startup is True
    assert_findings(scanned.report, {NO_POLICY, SDK_BEFORE_CONSENT})


def test_init_behind_an_is_privacy_agreed_helper_is_not_before_consent(tmp_path):
    helper = {HELPER: smali_class(HELPER, s.flag_predicate("isPrivacyAgreed", "privacy_agreed"))}
    scanned, call = scan_with_umeng(tmp_path, s.when_predicate(HELPER, "isPrivacyAgreed", INIT), extra=helper)
    assert call.at_startup is False
    assert_findings(scanned.report, {NO_POLICY})


def test_init_behind_a_helper_whose_body_reads_the_flag_is_not_before_consent(tmp_path):
    helper = {HELPER: smali_class(HELPER, s.flag_predicate("check", "agree_protocol"))}
    scanned, call = scan_with_umeng(tmp_path, s.when_predicate(HELPER, "check", INIT), extra=helper)
    assert call.at_startup is False
    assert_findings(scanned.report, {NO_POLICY})


def test_a_guarded_init_that_the_launcher_activity_also_calls_unguarded_is_before_consent(tmp_path):
    main_init = s.call_static(UMENG, "init")
    scanned, call = scan_with_umeng(tmp_path, s.when_flag("privacy_agreed", INIT), main_on_create=main_init)
    assert call.at_startup is True
    assert_findings(scanned.report, {NO_POLICY, SDK_BEFORE_CONSENT})
    finding = scanned.finding("PI-SDK-COLLECT-BEFORE-CONSENT", "umeng_analytics")
    assert f"runs at startup: {MAIN}#onCreate → {UMENG}#init" in {e.detail for e in finding.evidence}


def test_an_api_called_directly_inside_the_guard_of_application_oncreate_is_not_before_consent(tmp_path):
    scanned = scan_app(tmp_path, app_smali(s.when_flag("privacy_agreed", s.read_android_id())))
    [call] = scanned.calls("android_id")
    assert (call.caller, call.sdk, call.at_startup) == (f"{APP_CLASS}#onCreate", None, False)
    assert_findings(scanned.report, {NO_POLICY})


def test_the_same_method_calling_the_api_once_guarded_and_once_not_is_before_consent(tmp_path):
    body = s.when_flag("privacy_agreed", s.read_android_id()) + s.read_android_id()
    scanned = scan_app(tmp_path, app_smali(body))
    [call] = scanned.calls("android_id")
    assert (call.caller, call.at_startup) == (f"{APP_CLASS}#onCreate", True)
    assert_findings(scanned.report, {NO_POLICY, APP_BEFORE_CONSENT})


def flag_field_app(tmp_path, *, main_on_create: str = ""):
    """ShopApp.onCreate: loadConsent(); if (ShopApp.sAgreed) UMConfigure.init(this);"""
    load = method("loadConsent", s.stored_flag("privacy_agreed") + s.put_static_flag(APP_CLASS, "sAgreed"))
    on_create = f"    invoke-virtual {{p0}}, L{APP_CLASS.replace('.', '/')};->loadConsent()V\n" + s.when_static_field(
        APP_CLASS, "sAgreed", INIT)
    smali = app_smali(on_create, main_on_create=main_on_create, app_extra=".field public static sAgreed:Z\n" + load)
    smali[UMENG] = smali_class(UMENG, method("init", s.read_android_id(), params="Landroid/content/Context;", static=True))
    scanned = scan_app(tmp_path, smali)
    [call] = scanned.calls("android_id")
    return scanned, call


def test_init_behind_a_static_field_assigned_from_the_stored_flag_is_not_before_consent(tmp_path, report_validator):
    scanned, call = flag_field_app(tmp_path)
    report_validator(scanned.report.model_dump(mode="json"))
    assert (call.caller, call.at_startup) == (f"{UMENG}#init", False)
    assert_findings(scanned.report, {NO_POLICY})


def test_init_behind_a_field_the_launcher_activity_also_sets_true_is_before_consent(tmp_path):
    set_true = "    const/4 v0, 0x1\n" + s.put_static_flag(APP_CLASS, "sAgreed")
    scanned, call = flag_field_app(tmp_path, main_on_create=set_true)
    assert call.at_startup is True
    assert_findings(scanned.report, {NO_POLICY, SDK_BEFORE_CONSENT})
