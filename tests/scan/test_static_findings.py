"""Each static detector on a purpose-built APK: the expected calls, SDKs and findings, and nothing more."""

from __future__ import annotations

import pytest

import smali_snippets as s
from apkbuild import smali_class
from scanfixtures import APP, APP_CLASS, MAIN, app_smali, scan_app, tapped
from smali_snippets import method

pytestmark = pytest.mark.apktool

UMENG = "com.umeng.commonsdk.UMConfigure"
GDT_SPLASH = "com.qq.e.ads.splash.SplashAD"


def sdk_class(name: str, body: str) -> dict[str, str]:
    return {name: smali_class(name, body)}


def test_imei_read_in_application_oncreate_is_collection_before_consent(tmp_path, report_validator):
    scanned = scan_app(tmp_path, app_smali(s.read_imei()), permissions=["android.permission.READ_PHONE_STATE"])
    report_validator(scanned.report.model_dump(mode="json"))
    [call] = scanned.calls("imei")
    assert (call.api, call.caller, call.sdk, call.at_startup, call.via_reflection) == (
        "android.telephony.TelephonyManager#getDeviceId", f"{APP_CLASS}#onCreate", None, True, False)
    finding = scanned.finding("PI-COLLECT-BEFORE-CONSENT")
    assert finding.severity == "critical"
    assert {e.detail for e in finding.evidence} == {
        f"android.telephony.TelephonyManager#getDeviceId called from {APP_CLASS}#onCreate",
        f"runs at startup: {APP_CLASS}#onCreate is a startup entry point",
    }
    assert "PI-DEVICE-ID-NONRESETTABLE" in scanned.rules("app")


def test_imei_read_only_after_a_click_is_not_before_consent(tmp_path):
    listener = f"{APP}.AgreeListener"
    smali = app_smali(main_on_create=(
        f"    new-instance v0, L{listener.replace('.', '/')};\n"
        f"    invoke-direct {{v0}}, L{listener.replace('.', '/')};-><init>()V\n"))
    smali[listener] = smali_class(listener, method("onClick", "    invoke-virtual {p1}, Landroid/view/View;->getContext()Landroid/content/Context;\n    move-result-object v5\n" + s.read_imei("v5"), params="Landroid/view/View;"),
                                  interfaces=["Landroid/view/View$OnClickListener;"])
    scanned = scan_app(tmp_path, smali, permissions=["android.permission.READ_PHONE_STATE"])
    [call] = scanned.calls("imei")
    assert (call.caller, call.at_startup) == (f"{listener}#onClick", False)
    assert "PI-COLLECT-BEFORE-CONSENT" not in scanned.rules()


def test_sdk_initialised_in_application_oncreate_collects_before_consent(tmp_path):
    smali = app_smali(s.call_static(UMENG, "init"))
    smali.update(sdk_class(UMENG, method("init", s.read_android_id(), params="Landroid/content/Context;", static=True)))
    scanned = scan_app(tmp_path, smali)
    umeng = scanned.sdk_id("com.umeng")
    [call] = scanned.calls("android_id")
    assert (call.caller, call.sdk, call.at_startup) == (f"{UMENG}#init", umeng, True)
    finding = scanned.finding("PI-SDK-COLLECT-BEFORE-CONSENT", umeng)
    assert finding.severity == "critical"
    assert f"runs at startup: {APP_CLASS}#onCreate → {UMENG}#init" in {e.detail for e in finding.evidence}
    assert "PI-COLLECT-BEFORE-CONSENT" not in scanned.rules("app")


def test_sdk_content_provider_oncreate_runs_at_startup(tmp_path):
    provider = "com.umeng.commonsdk.internal.InitProvider"
    smali = app_smali()
    body = ("    invoke-virtual {p0}, Landroid/content/ContentProvider;->getContext()Landroid/content/Context;\n"
            "    move-result-object v5\n" + s.read_imei("v5") + "    const/4 v0, 0x1\n    return v0\n")
    smali[provider] = smali_class(provider, method("onCreate", body, ret="Z"), super_="Landroid/content/ContentProvider;")
    scanned = scan_app(tmp_path, smali, permissions=["android.permission.READ_PHONE_STATE"],
                       components=f'<provider android:name="{provider}" android:authorities="{APP}.umeng" android:exported="false"/>')
    [call] = scanned.calls("imei")
    assert call.at_startup and call.sdk == scanned.sdk_id("com.umeng")
    assert "PI-SDK-COLLECT-BEFORE-CONSENT" in scanned.rules(call.sdk)


def test_settings_read_of_another_key_is_not_an_android_id_read(tmp_path):
    scanned = scan_app(tmp_path, app_smali(s.read_settings_other_key()))
    assert scanned.report.sensitive_calls == []
    assert scanned.rules() == {"PI-POLICY-ABSENT"}


def test_reflective_imei_read_is_reported_as_via_reflection(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_on_create=s.reflect_imei()))
    [call] = scanned.calls("imei")
    assert (call.caller, call.via_reflection, call.at_startup) == (f"{MAIN}#onCreate", True, True)


def test_contacts_query_needs_a_contacts_uri(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("load", s.query_contacts()))),
                       permissions=["android.permission.READ_CONTACTS"])
    assert {c.api for c in scanned.calls("contacts")} == {
        "android.content.ContentResolver#query", "android.provider.ContactsContract$Contacts#CONTENT_URI"}
    assert "PI-NECESSITY-UNRELATED-COLLECTION" not in scanned.rules()


def test_query_of_the_apps_own_provider_is_not_contacts(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("load", s.query_own_provider()))))
    assert scanned.report.sensitive_calls == []


def test_dangerous_permission_no_code_uses_is_flagged(tmp_path):
    scanned = scan_app(tmp_path, app_smali(), permissions=["android.permission.READ_CONTACTS"])
    finding = scanned.finding("PI-NECESSITY-UNRELATED-COLLECTION")
    assert finding.severity == "medium"
    assert [e.detail for e in finding.evidence] == [
        "uses-permission android.permission.READ_CONTACTS, but no code reads contacts through the APIs it guards"]


def test_boot_receiver_is_self_start(tmp_path):
    receiver = f"{APP}.BootReceiver"
    smali = app_smali()
    smali[receiver] = smali_class(receiver, method("onReceive", "", params="Landroid/content/Context;Landroid/content/Intent;"),
                                  super_="Landroid/content/BroadcastReceiver;")
    scanned = scan_app(tmp_path, smali, permissions=["android.permission.RECEIVE_BOOT_COMPLETED"], components=(
        f'<receiver android:name="{receiver}" android:exported="true"><intent-filter android:priority="1000">'
        '<action android:name="android.intent.action.BOOT_COMPLETED"/></intent-filter></receiver>'))
    finding = scanned.finding("PI-START-SELF")
    assert finding.severity == "high"
    assert [e.detail for e in finding.evidence] == [
        f"receiver {receiver} listens for android.intent.action.BOOT_COMPLETED"]


def test_receiver_for_an_app_defined_action_is_not_self_start(tmp_path):
    receiver = f"{APP}.SyncReceiver"
    smali = app_smali()
    smali[receiver] = smali_class(receiver, "", super_="Landroid/content/BroadcastReceiver;")
    scanned = scan_app(tmp_path, smali, components=(
        f'<receiver android:name="{receiver}" android:exported="false"><intent-filter>'
        f'<action android:name="{APP}.SYNC"/></intent-filter></receiver>'))
    assert "PI-START-SELF" not in scanned.rules()


def test_starting_another_apps_component_is_associated_start(tmp_path):
    # `share` runs from onCreate: a method nothing calls starts nothing (hegui.detect.context.may_run)
    main = "L" + MAIN.replace(".", "/") + ";"
    scanned = scan_app(tmp_path, app_smali(main_on_create=f"    invoke-virtual {{p0}}, {main}->share()V\n",
                                           main_extra=method("share", s.open_other_app("p0", "com.tencent.mm"))))
    finding = scanned.finding("PI-START-ASSOCIATED")
    assert [e.detail for e in finding.evidence] == [f"{MAIN}#share starts components of other apps: com.tencent.mm"]


def test_starting_own_package_is_not_associated_start(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("again", s.open_other_app("p0", APP)))))
    assert "PI-START-ASSOCIATED" not in scanned.rules()


def test_apk_install_intent_and_permission_are_deceptive_download_signals(tmp_path):
    # installed from a menu item: the code can install APKs, the user's tap asked for it (medium;
    # tests/scan/test_audit_precision.py: from startup code, high)
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("upgrade", s.install_apk_intent()))),
                       permissions=["android.permission.REQUEST_INSTALL_PACKAGES"])
    finding = scanned.finding("PI-DECEIVE-DOWNLOAD")
    assert finding.severity == "medium"
    assert {e.detail for e in finding.evidence} == {
        "uses-permission android.permission.REQUEST_INSTALL_PACKAGES",
        f"{MAIN}#upgrade builds an install intent (application/vnd.android.package-archive)",
    }


def test_dex_class_loader_is_a_hot_update_lead(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("patch", s.dex_class_loader()))))
    finding = scanned.finding("PI-HOT-UPDATE-UNDISCLOSED-CHANGE")
    assert finding.severity == "medium"
    assert [e.detail for e in finding.evidence] == [f"dalvik.system.DexClassLoader#<init> called from {MAIN}#patch"]


def test_blank_label_obstructs_finding_and_uninstalling(tmp_path):
    scanned = scan_app(tmp_path, app_smali(), label="\u3000")
    finding = scanned.finding("PI-UNINSTALL-OBSTRUCTED")
    assert [e.detail for e in finding.evidence] == ["application label is blank ('\\u3000')"]


def test_device_admin_receiver_obstructs_uninstalling(tmp_path):
    admin = f"{APP}.Admin"
    smali = app_smali()
    smali[admin] = smali_class(admin, "", super_="Landroid/app/admin/DeviceAdminReceiver;")
    scanned = scan_app(tmp_path, smali, components=(
        f'<receiver android:name="{admin}" android:permission="android.permission.BIND_DEVICE_ADMIN" android:exported="true">'
        '<intent-filter><action android:name="android.app.action.DEVICE_ADMIN_ENABLED"/></intent-filter></receiver>'))
    assert "PI-UNINSTALL-OBSTRUCTED" in scanned.rules()


def test_accelerometer_in_an_ad_sdk_is_a_shake_to_jump_lead(tmp_path):
    smali = app_smali(main_on_create=s.call_static(GDT_SPLASH, "show"))
    smali.update(sdk_class(GDT_SPLASH, method("show", s.register_accelerometer(), params="Landroid/content/Context;", static=True)))
    scanned = scan_app(tmp_path, smali)
    gdt = scanned.sdk_id("com.qq.e")
    assert "PI-AD-MISLEADING-TRIGGER" in scanned.rules(gdt)


def test_accelerometer_in_app_code_is_not_an_ad_trigger(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("tilt", s.register_accelerometer()))))
    assert scanned.calls("motion_sensors")
    assert "PI-AD-MISLEADING-TRIGGER" not in scanned.rules()


def test_installed_app_list_and_clipboard_reads(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("a", s.installed_packages()), ("b", s.read_clipboard()))))
    assert {"PI-APPLIST-COLLECTION", "PI-CLIPBOARD-READ"} <= scanned.rules("app")
    assert "PI-COLLECT-BEFORE-CONSENT" not in scanned.rules()


def test_cleartext_allowed_with_http_urls_is_plaintext_transmission(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("u", s.requested_url("http://api.demo-shop.cn/collect")))),
                       application_attrs='android:usesCleartextTraffic="true"')
    finding = scanned.finding("PI-SEC-PLAINTEXT-TRANSMISSION")
    assert [e.detail for e in finding.evidence] == [
        'android:usesCleartextTraffic="true"', "plain-HTTP URL http://api.demo-shop.cn/collect"]


@pytest.mark.parametrize(("target_sdk", "fires"), [(27, True), (28, False)])
def test_cleartext_is_allowed_by_default_below_the_target_sdk_of_static_signals(tmp_path, target_sdk, fires):
    # static_signals.yaml cleartext.refused_by_default_from_target_sdk: 28 (Android 9 refuses cleartext by default)
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("u", s.requested_url("http://api.demo-shop.cn/collect")))),
                       target_sdk=target_sdk)
    evidence = [e.detail for f in scanned.report.findings if f.rule_id == "PI-SEC-PLAINTEXT-TRANSMISSION"
                for e in f.evidence]
    assert evidence == ([f"targetSdkVersion {target_sdk} < 28 and no network security config: cleartext allowed",
                         "plain-HTTP URL http://api.demo-shop.cn/collect"] if fires else [])


def test_https_only_app_has_no_plaintext_finding(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_extra=tapped(("u", s.requested_url("https://api.demo-shop.cn/collect")))),
                       application_attrs='android:usesCleartextTraffic="true"')
    assert "PI-SEC-PLAINTEXT-TRANSMISSION" not in scanned.rules()


def test_keep_alive_push_sdk_services_are_self_start_and_wakeable_by_other_apps(tmp_path):
    service = "com.igexin.sdk.PushService"
    smali = app_smali()
    smali[service] = smali_class(service, "", super_="Landroid/app/Service;")
    scanned = scan_app(tmp_path, smali, components=(
        f'<service android:name="{service}" android:exported="true" android:process=":pushservice">'
        '<intent-filter><action android:name="com.igexin.sdk.action.service.message"/></intent-filter></service>'))
    getui = scanned.sdk_id("com.igexin")
    assert getui == "getui"
    self_start = scanned.finding("PI-START-SELF", getui)
    assert (self_start.severity, [e.detail for e in self_start.evidence]) == (
        "medium", [f"service {service} of keep-alive push SDK 个推·消息推送 (Getui Push)"])
    associated = scanned.finding("PI-START-ASSOCIATED", getui)
    assert [e.detail for e in associated.evidence] == [
        f"exported service {service} can be started by other apps with com.igexin.sdk.action.service.message"]


AMAP = "com.amap.api.location.AMapLocationClient"
AMAP_SDK = smali_class(AMAP, method("updatePrivacyAgree", "", params="Landroid/content/Context;Z", static=True)
                       + method("startLocation", ""))


def test_sdk_consent_switch_the_app_never_calls_is_a_lead(tmp_path):
    scanned = scan_app(tmp_path, {**app_smali(), AMAP: AMAP_SDK})
    amap = scanned.sdk_id("com.amap.api")
    finding = scanned.finding("PI-SDK-COLLECT-BEFORE-CONSENT", amap)
    assert (finding.severity, [e.detail for e in finding.evidence]) == ("medium", [
        f"the SDK offers {AMAP}#updatePrivacyAgree to wait for the user's consent; the app's code never calls it"])


def test_sdk_consent_switch_called_by_the_app_is_no_finding(tmp_path):
    smali = app_smali(main_extra=tapped(("agreed", "    const/4 v1, 0x1\n" + s.call_static(
        AMAP, "updatePrivacyAgree", params="Landroid/content/Context;Z", args="{p0, v1}"))))
    scanned = scan_app(tmp_path, {**smali, AMAP: AMAP_SDK})
    assert "PI-SDK-COLLECT-BEFORE-CONSENT" not in scanned.rules()


def test_permission_prompt_in_the_launcher_oncreate_comes_before_consent(tmp_path):
    request = ("    const/4 v0, 0x1\n    new-array v0, v0, [Ljava/lang/String;\n"
               '    const-string v1, "android.permission.READ_PHONE_STATE"\n    const/4 v2, 0x0\n'
               "    aput-object v1, v0, v2\n"
               "    invoke-virtual {p0, v0, v2}, Lcom/demo/shop/MainActivity;->requestPermissions([Ljava/lang/String;I)V\n")
    scanned = scan_app(tmp_path, app_smali(main_on_create=request), permissions=["android.permission.READ_PHONE_STATE"])
    finding = scanned.finding("PI-PERM-ADVANCE-OR-UNRELATED-REQUEST")
    assert [e.detail for e in finding.evidence] == [
        f"android.app.Activity#requestPermissions called at startup: {MAIN}#onCreate"]


def test_permission_prompt_behind_a_button_is_not_at_startup(tmp_path):
    request = ("    const/4 v0, 0x0\n    const/4 v2, 0x0\n"
               "    invoke-virtual {p0, v0, v2}, Lcom/demo/shop/MainActivity;->requestPermissions([Ljava/lang/String;I)V\n")
    scanned = scan_app(tmp_path, app_smali(main_extra=method("onScanClicked", request, params="Landroid/view/View;")))
    assert "PI-PERM-ADVANCE-OR-UNRELATED-REQUEST" not in scanned.rules()


def test_one_startup_prompt_for_phone_location_and_contacts_is_bundled(tmp_path):
    perms = ["android.permission.READ_PHONE_STATE", "android.permission.ACCESS_FINE_LOCATION",
             "android.permission.READ_CONTACTS"]
    fill = "".join(f'    const-string v1, "{p}"\n    const/4 v2, {hex(i)}\n    aput-object v1, v0, v2\n'
                   for i, p in enumerate(perms))
    request = (f"    const/4 v0, {hex(len(perms))}\n    new-array v0, v0, [Ljava/lang/String;\n{fill}"
               "    invoke-virtual {p0, v0, v2}, Lcom/demo/shop/MainActivity;->requestPermissions([Ljava/lang/String;I)V\n")
    scanned = scan_app(tmp_path, app_smali(main_on_create=request), permissions=perms)
    finding = scanned.finding("PI-PERM-BUNDLED-REQUEST")
    assert [e.detail for e in finding.evidence] == [
        f"{MAIN}#onCreate asks for {', '.join(sorted(perms))} in one prompt at startup"]
