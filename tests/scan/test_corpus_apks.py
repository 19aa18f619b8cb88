"""What the scanner finds in real APKs nobody here wrote (../shared/corpus), pinned."""

from __future__ import annotations

import csv
from functools import cache

import pytest

from hegui.pipeline import scan_path
from hegui.report.model import Report
from workplace import CORPUS, corpus_params

pytestmark = pytest.mark.corpus


@cache
def scan(rel: str) -> Report:
    return scan_path(CORPUS / rel)


def sdk_ids(rel: str) -> set[str]:
    return {s.id for s in scan(rel).sdks}


def rules(rel: str, subject: str | None = None) -> set[str]:
    return {f.rule_id for f in scan(rel).findings if subject is None or f.subject == subject}


HOTFIX_DEMOS = ["bugly-demo/apks/BuglyHotfixDemo_app-release.apk", "bugly-demo/apks/BuglyHotfixDemo_tinker1.9.14.apk",
                "bugly-demo/apks/BuglyHotfixDemo_tinker1.9.9.apk"]
WEIBO_DEMOS = ["weibo-sdk-demo/apks/WeiboSDKDemo_3.1.4.apk", "weibo-sdk-demo/apks/WeiboSDKDemo_v3.0.1.apk",
               "weibo-sdk-demo/apks/weibo.sdk.android.demo.apk", "weibo-sdk-demo/apks/weibosdkdemo_app-release.apk"]


@pytest.mark.parametrize("apk", HOTFIX_DEMOS)
def test_bugly_hotfix_demos_embed_bugly_and_the_tinker_hot_update_engine(apk, report_validator):
    report_validator(scan(apk).model_dump(mode="json"))
    assert sdk_ids(apk) == {"bugly", "bugly_beta", "tinker"}
    assert "PI-HOT-UPDATE-UNDISCLOSED-CHANGE" in rules(apk, "tinker")


@pytest.mark.parametrize("apk", HOTFIX_DEMOS)
def test_bugly_reads_device_identifiers_as_the_process_starts(apk):
    # Tinker's application loads its delegate by name; the delegate initialises Bugly, whose device-info class
    # reads the Android ID, the SIM serial and Build.SERIAL.
    startup = {(c.pi_type, c.api) for c in scan(apk).sensitive_calls if c.sdk == "bugly" and c.at_startup}
    assert {("android_id", "android.provider.Settings$Secure#getString"),
            ("iccid", "android.telephony.TelephonyManager#getSimSerialNumber"),
            ("hardware_serial", "android.os.Build#SERIAL")} <= startup
    assert "PI-SDK-COLLECT-BEFORE-CONSENT" in rules(apk, "bugly")


@pytest.mark.parametrize("apk", WEIBO_DEMOS)
def test_weibo_demos_embed_the_weibo_sdk(apk, report_validator):
    report_validator(scan(apk).model_dump(mode="json"))
    assert sdk_ids(apk) == {"weibo"}


def test_the_weibo_signature_tool_is_the_app_itself_not_the_sdk():
    assert sdk_ids("weibo-sdk-demo/apks/app_signatures.apk") == set()


def test_jiguang_demo_app_code_is_not_mistaken_for_the_jiguang_sdk():
    report = scan("jiguang-demo/apks/jmlink-demo_app-debug.apk")
    assert report.app.package == "com.jiguang.jmlinkdemo"
    assert report.sdks == []
    assert all(c.sdk is None for c in report.sensitive_calls)


def test_exodus_play_store_apps_embed_their_known_trackers():
    assert "google_admob" in sdk_ids("exodus-core/apks/blooddonation.apk")
    assert {"facebook_analytics", "facebook_login", "google_crashlytics", "google_firebase_analytics"} <= sdk_ids(
        "exodus-core/apks/instapaper.apk")


@cache
def _droidbench_imei_cases() -> list[str]:
    with (CORPUS / "droidbench/ground_truth.csv").open(encoding="utf-8") as fh:
        return [row["apk"] for row in csv.DictReader(fh) if "getDeviceId" in row["source_apis_seen"]]


# The two cases hide the method name ("dIeciveDteg" reversed, or cut from a longer string): out of reach of a
# string-constant reflection check, by design of the benchmark.
OBFUSCATED_REFLECTION = {"apks/Reflection_ICC/OnlyTelephony_Reverse.apk", "apks/Reflection_ICC/OnlyTelephony_Substring.apk"}


# A method nothing calls (the case's point: "the analysis has to discover that the unit is not called"): dead
# code, so its getDeviceId is no sensitive call of the report, only counted in the stats.
NEVER_CALLED = {"apks/GeneralJava/UnreachableCode.apk"}


def test_droidbench_imei_cases_are_140():
    assert len(_droidbench_imei_cases()) == 140


@pytest.mark.parametrize("apk", corpus_params(_droidbench_imei_cases))
def test_droidbench_getdeviceid_call_sites_are_found(apk):
    report = scan_path(CORPUS / "droidbench" / apk)
    found = [c for c in report.sensitive_calls if c.api == "android.telephony.TelephonyManager#getDeviceId"]
    if apk in OBFUSCATED_REFLECTION:
        assert found == []
    elif apk in NEVER_CALLED:
        assert (found, report.stats.dead_sensitive_calls if report.stats else None) == ([], 1)
    else:
        assert found and all(c.pi_type == "imei" and c.sdk is None for c in found)


def test_droidbench_reflection_case_is_marked_via_reflection():
    [call] = [c for c in scan_path(CORPUS / "droidbench/apks/Reflection_ICC/OnlyTelephony.apk").sensitive_calls
              if c.api.endswith("#getDeviceId")]
    assert call.via_reflection
