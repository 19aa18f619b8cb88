"""Causes of the false critical/high findings the real-app audit found (benchmarks/data/real_app_audit.tsv),
each pinned by a positive fixture and its near miss:

- device model, brand and OS version (device_profile, sensitivity low) read at startup are no collection
  before consent (Baidu OCR's DeviceUtil#getDeviceInfo in zcmu_score, ShareSDK Kakao's Build.MODEL);
- the running-process/task/service list is no installed-app list: since Android 5.1/8.0 it holds only the
  caller's own (Weibo's WBAgentHandler#isBackground, MTA's getCurProcessName); usage statistics are one;
- binding Google Play services by its bare package name (MobSDK's DeviceHelper#getAdvertisingID) starts the
  platform's service, not another app;
- a jump to another app from a screen the user opened (ShareSDK's WechatHandlerActivity, Alipay's
  PayResultActivity) shows that the code can start it, not that it does so unasked: medium; from startup, high;
- likewise APK install code (Bmob's update agent, HMS's upgrade): medium, from startup high;
- a manifest receiver for a broadcast the platform no longer delivers to manifest receivers at the app's
  target API (USER_PRESENT from 26, CONNECTIVITY_CHANGE from 24: TPNS's XGPushReceiver in xgdemo) is no
  self-start; BOOT_COMPLETED, exempt from the limits, is;
- a permission request made through a shrunk support-library ActivityCompat (`android.support.v4.b.a#a` in the
  ShareSDK demo) is the request of the app code that called it, not the library's.
"""

from __future__ import annotations

import pytest

from apkbuild import smali_class
from expect import assert_findings
from scanfixtures import APP, APP_CLASS, MAIN, app_smali, scan_app, tapped
from smali_snippets import install_apk_intent, installed_packages, method, open_other_app, read_android_id

pytestmark = pytest.mark.apktool

POLICY_ABSENT = ("PI-POLICY-ABSENT", "app", "high")

DEVICE_MODEL = ("    sget-object v0, Landroid/os/Build;->MODEL:Ljava/lang/String;\n"
                "    sget-object v1, Landroid/os/Build;->BRAND:Ljava/lang/String;\n"
                "    sget-object v2, Landroid/os/Build$VERSION;->RELEASE:Ljava/lang/String;\n")

RUNNING_PROCESSES = ('    const-string v0, "activity"\n'
                     "    invoke-virtual {p0, v0}, Landroid/content/Context;->getSystemService(Ljava/lang/String;)Ljava/lang/Object;\n"
                     "    move-result-object v0\n"
                     "    check-cast v0, Landroid/app/ActivityManager;\n"
                     "    invoke-virtual {v0}, Landroid/app/ActivityManager;->getRunningAppProcesses()Ljava/util/List;\n")

USAGE_STATS = ('    const-string v0, "usagestats"\n'
               "    invoke-virtual {p0, v0}, Landroid/content/Context;->getSystemService(Ljava/lang/String;)Ljava/lang/Object;\n"
               "    move-result-object v0\n"
               "    check-cast v0, Landroid/app/usage/UsageStatsManager;\n"
               "    const/4 v1, 0x0\n"
               "    const-wide/16 v2, 0x0\n"
               "    const-wide/16 v4, 0x1\n"
               "    invoke-virtual/range {v0 .. v5}, Landroid/app/usage/UsageStatsManager;->queryUsageStats(IJJ)Ljava/util/List;\n")


def _calls(scanned, pi_type: str) -> list[tuple[str, str, bool]]:
    return sorted((c.api, c.caller, c.at_startup) for c in scanned.calls(pi_type))


def test_an_identifier_read_at_startup_is_collection_before_consent_and_the_device_model_beside_it_is_no_evidence(tmp_path):
    scanned = scan_app(tmp_path, app_smali(DEVICE_MODEL + read_android_id()))
    assert_findings(scanned.report, {POLICY_ABSENT, ("PI-COLLECT-BEFORE-CONSENT", "app", "critical")})
    finding = scanned.finding("PI-COLLECT-BEFORE-CONSENT")
    assert [e.api for e in finding.evidence if e.api] == ["android.provider.Settings$Secure#getString"]


def test_the_device_model_and_os_version_read_at_startup_are_no_collection_before_consent(tmp_path):
    scanned = scan_app(tmp_path, app_smali(DEVICE_MODEL))
    assert_findings(scanned.report, {POLICY_ABSENT})
    # still listed as what the code reads
    assert _calls(scanned, "device_profile") == [
        ("android.os.Build#BRAND", f"{APP_CLASS}#onCreate", True),
        ("android.os.Build#MODEL", f"{APP_CLASS}#onCreate", True),
        ("android.os.Build$VERSION#RELEASE", f"{APP_CLASS}#onCreate", True)]


def test_the_installed_package_list_is_app_list_collection(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("listApps", installed_packages()))))
    assert_findings(scanned.report, {POLICY_ABSENT, ("PI-APPLIST-COLLECTION", "app", "high")})


def test_usage_statistics_are_app_list_collection(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("usage", USAGE_STATS))),
                       permissions=["android.permission.PACKAGE_USAGE_STATS"])
    assert_findings(scanned.report, {POLICY_ABSENT, ("PI-APPLIST-COLLECTION", "app", "high")})


def test_the_running_process_list_is_no_app_list(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("processes", RUNNING_PROCESSES))))
    assert_findings(scanned.report, {POLICY_ABSENT})
    assert _calls(scanned, "running_apps") == [
        ("android.app.ActivityManager#getRunningAppProcesses", f"{MAIN}#processes", False)]


def test_the_running_process_list_read_at_startup_is_still_collection_before_consent(tmp_path):
    scanned = scan_app(tmp_path, app_smali(RUNNING_PROCESSES))
    assert_findings(scanned.report, {POLICY_ABSENT, ("PI-COLLECT-BEFORE-CONSENT", "app", "critical")})


def test_binding_google_play_services_by_its_package_name_starts_no_other_app(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_on_create=open_other_app(package="com.google.android.gms")))
    assert_findings(scanned.report, {POLICY_ABSENT})


def test_starting_another_google_app_by_its_package_name_is_associated_start(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_on_create=open_other_app(package="com.google.android.apps.maps")))
    assert_findings(scanned.report, {POLICY_ABSENT, ("PI-START-ASSOCIATED", "app", "high")})
    assert [e.detail for e in scanned.finding("PI-START-ASSOCIATED").evidence] == [
        f"{MAIN}#onCreate starts components of other apps: com.google.android.apps.maps"]


def test_a_jump_to_another_app_from_a_screen_the_user_opened_is_medium(tmp_path):
    handler = f"{APP}.wxapi.WXEntryActivity"  # the screen WeChat opens when it returns from a share
    smali = app_smali()
    smali[handler] = smali_class(handler, method(
        "onCreate", "    invoke-super {p0, p1}, Landroid/app/Activity;->onCreate(Landroid/os/Bundle;)V\n"
        + open_other_app(package="com.tencent.mm"), params="Landroid/os/Bundle;"), super_="Landroid/app/Activity;")
    scanned = scan_app(tmp_path, smali, components=f'<activity android:name="{handler}" android:exported="true"/>')
    assert_findings(scanned.report, {POLICY_ABSENT, ("PI-START-ASSOCIATED", "app", "medium")})
    assert [e.detail for e in scanned.finding("PI-START-ASSOCIATED").evidence] == [
        f"{handler}#onCreate starts components of other apps: com.tencent.mm"]


def test_an_apk_install_intent_built_at_startup_is_a_deceptive_download(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_on_create=install_apk_intent()))
    assert_findings(scanned.report, {POLICY_ABSENT, ("PI-DECEIVE-DOWNLOAD", "app", "high")})
    assert [e.detail for e in scanned.finding("PI-DECEIVE-DOWNLOAD").evidence] == [
        f"{MAIN}#onCreate builds an install intent (application/vnd.android.package-archive)"]


def test_an_apk_install_intent_built_on_a_tap_is_medium(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("upgrade", install_apk_intent()))))
    assert_findings(scanned.report, {POLICY_ABSENT, ("PI-DECEIVE-DOWNLOAD", "app", "medium")})


def _receiver_app(tmp_path, actions: list[str], target_sdk: int):
    receiver = f"{APP}.WakeReceiver"
    smali = app_smali()
    smali[receiver] = smali_class(receiver, method(
        "onReceive", "", params="Landroid/content/Context;Landroid/content/Intent;"),
        super_="Landroid/content/BroadcastReceiver;")
    filters = "".join(f'<action android:name="{a}"/>' for a in actions)
    return scan_app(tmp_path, smali, target_sdk=target_sdk, components=(
        f'<receiver android:name="{receiver}" android:exported="true"><intent-filter>{filters}</intent-filter></receiver>'))


def test_a_manifest_receiver_for_user_present_is_self_start_below_target_26(tmp_path):
    scanned = _receiver_app(tmp_path, ["android.intent.action.USER_PRESENT",
                                       "android.net.conn.CONNECTIVITY_CHANGE"], target_sdk=23)
    assert_findings(scanned.report, {POLICY_ABSENT, ("PI-START-SELF", "app", "high")})
    assert [e.detail for e in scanned.finding("PI-START-SELF").evidence] == [
        f"receiver {APP}.WakeReceiver listens for android.intent.action.USER_PRESENT, android.net.conn.CONNECTIVITY_CHANGE"]


def test_a_manifest_receiver_for_user_present_and_connectivity_starts_nothing_at_target_28(tmp_path):
    scanned = _receiver_app(tmp_path, ["android.intent.action.USER_PRESENT",
                                       "android.net.conn.CONNECTIVITY_CHANGE"], target_sdk=28)
    assert_findings(scanned.report, {POLICY_ABSENT})


def test_a_manifest_receiver_for_boot_completed_is_self_start_at_any_target(tmp_path):
    scanned = _receiver_app(tmp_path, ["android.intent.action.BOOT_COMPLETED",
                                       "android.intent.action.USER_PRESENT"], target_sdk=30)
    assert_findings(scanned.report, {POLICY_ABSENT, ("PI-START-SELF", "app", "high")})
    assert [e.detail for e in scanned.finding("PI-START-SELF").evidence] == [
        f"receiver {APP}.WakeReceiver listens for android.intent.action.BOOT_COMPLETED"]


SHRUNK_COMPAT = "android.support.v4.b.a"  # ActivityCompat after R8: its requestPermissions is `a`
SHRUNK_D = "L" + SHRUNK_COMPAT.replace(".", "/") + ";"
ASK_CAMERA = ("    const/4 v0, 0x1\n"
              "    new-array v1, v0, [Ljava/lang/String;\n"
              '    const-string v2, "android.permission.CAMERA"\n'
              "    const/4 v3, 0x0\n"
              "    aput-object v2, v1, v3\n"
              f"    invoke-static {{p0, v1, v0}}, {SHRUNK_D}->a(Landroid/app/Activity;[Ljava/lang/String;I)V\n")


def _shrunk_compat() -> dict[str, str]:
    forward = "    invoke-virtual {p0, p1, p2}, Landroid/app/Activity;->requestPermissions([Ljava/lang/String;I)V\n"
    return {SHRUNK_COMPAT: smali_class(SHRUNK_COMPAT, method(
        "a", forward, params="Landroid/app/Activity;[Ljava/lang/String;I", static=True))}


def test_a_request_at_startup_through_a_shrunk_activitycompat_is_the_apps(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_on_create=ASK_CAMERA) | _shrunk_compat())
    assert_findings(scanned.report, {POLICY_ABSENT, ("PI-PERM-ADVANCE-OR-UNRELATED-REQUEST", "app", "medium")})
    assert [e.path for e in scanned.finding("PI-PERM-ADVANCE-OR-UNRELATED-REQUEST").evidence] == [
        [f"{MAIN}#onCreate", f"{SHRUNK_COMPAT}#a"]]


def test_the_same_request_from_a_menu_item_is_no_request_before_consent(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("ask", ASK_CAMERA))) | _shrunk_compat())
    assert_findings(scanned.report, {POLICY_ABSENT})
