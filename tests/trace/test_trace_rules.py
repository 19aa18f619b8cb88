"""Trace rules on recorded traces: every rule fires on its positive trace and stays silent on a negative one."""

from __future__ import annotations

from dataclasses import replace

from tracekit import APP, dangerous, observe, rules, sdk_of

from hegui.rules.engine import evaluate
from hegui.trace import TraceLimits, trace_observations
from hegui.trace.reader import TraceEvent


def evidence_of(found, rule_id: str, subject: str) -> list[str]:
    (finding,) = [f for f in found if f.rule_id == rule_id and f.subject == subject]
    assert {e.kind for e in finding.evidence} == {"trace"}
    return [e.detail for e in finding.evidence]


def events(*raw: dict) -> list[TraceEvent]:
    return [TraceEvent(line=i + 1, t=int(d["t"]), kind=d["kind"], data=d) for i, d in enumerate(raw)]


def judge(*raw: dict, **kwargs):
    return evaluate(trace_observations(events(*raw), sdk_of=sdk_of, app_package=APP,
                                       dangerous_permissions=dangerous(), **kwargs))


# ---- the clean trace ------------------------------------------------------------------------------------

def test_a_clean_trace_yields_no_finding_at_all(validated):
    # SDK starts after consent, own-package lookups and a non-PI settings key before it, the camera asked once
    # when the user taps scan, PI sent only to the app's own host after consent.
    assert validated("clean.trace.jsonl") == []


# ---- before consent ---------------------------------------------------------------------------------------

def test_sdk_and_app_reads_before_consent_are_findings_with_times_api_and_stack(validated):
    found = validated("umeng_before_consent.trace.jsonl")
    assert ("PI-SDK-COLLECT-BEFORE-CONSENT", "umeng") in rules(found)
    assert ("PI-COLLECT-BEFORE-CONSENT", "app") in rules(found)
    assert evidence_of(found, "PI-SDK-COLLECT-BEFORE-CONSENT", "umeng")[0] == (
        "t=318ms TelephonyManager#getDeviceId (imei, meid) before consent (t=3012ms) at "
        "com.umeng.commonsdk.statistics.common.DeviceConfig.getImeiNew ← "
        "com.umeng.commonsdk.statistics.common.DeviceConfig.getDeviceId")
    assert evidence_of(found, "PI-COLLECT-BEFORE-CONSENT", "app") == [
        "t=655ms TelephonyManager#getSubscriberId (imsi) before consent (t=3012ms) at "
        "com.demoshop.mall.risk.DeviceFingerprint.collect ← com.demoshop.mall.ui.SplashActivity.onCreate"]


def test_repeated_identical_calls_are_one_evidence_line_with_a_count(validated):
    found = validated("umeng_before_consent.trace.jsonl")
    mac = [d for d in evidence_of(found, "PI-SDK-COLLECT-BEFORE-CONSENT", "umeng") if "getMacAddress" in d]
    assert mac == ["t=325ms WifiInfo#getMacAddress (mac_address) before consent (t=3012ms) at "
                   "com.umeng.commonsdk.internal.utils.d.a ← com.umeng.commonsdk.statistics.common.DeviceConfig.getMac "
                   "×2 until t=326ms"]


def test_the_apps_own_package_lookup_is_not_a_read_of_installed_apps(validated):
    found = validated("umeng_before_consent.trace.jsonl")
    assert not any("getPackageInfo" in e.detail for f in found for e in f.evidence)


def test_a_permission_prompt_before_consent_is_collection_before_consent_by_the_sdk_that_asked(validated):
    found = validated("before_consent_prompt.trace.jsonl")
    assert rules(found) == {("PI-SDK-COLLECT-BEFORE-CONSENT", "pangle"), ("PI-PERM-BUNDLED-REQUEST", "pangle"),
                            ("PI-PERM-ADVANCE-OR-UNRELATED-REQUEST", "pangle")}


def test_with_no_consent_event_every_read_is_before_consent():
    found = judge({"t": 100, "kind": "api", "api": "android.telephony.TelephonyManager#getImei",
                   "stack": ["com.umeng.commonsdk.internal.utils.d.a(Unknown Source:3)"], "foreground": True})
    assert evidence_of(found, "PI-SDK-COLLECT-BEFORE-CONSENT", "umeng") == [
        "t=100ms TelephonyManager#getImei (imei) before consent (none recorded) at com.umeng.commonsdk.internal.utils.d.a"]


def test_the_device_memory_size_read_before_consent_is_no_collection_but_the_imei_beside_it_is():
    stack = ["com.umeng.commonsdk.internal.utils.d.a(Unknown Source:3)"]
    memory = {"t": 90, "kind": "api", "api": "android.app.ActivityManager#getMemoryInfo", "stack": stack,
              "foreground": True}
    assert judge(memory) == []
    found = judge(memory, {"t": 100, "kind": "api", "api": "android.telephony.TelephonyManager#getImei",
                           "stack": stack, "foreground": True})
    assert evidence_of(found, "PI-SDK-COLLECT-BEFORE-CONSENT", "umeng") == [
        "t=100ms TelephonyManager#getImei (imei) before consent (none recorded) at com.umeng.commonsdk.internal.utils.d.a"]


def test_a_context_api_counts_only_with_a_matching_argument():
    query = {"kind": "api", "api": "android.content.ContentResolver#query", "foreground": True,
             "stack": ["com.demoshop.mall.invite.Contacts.load(Contacts.java:9)"]}
    own = judge({**query, "t": 10, "args": ["content://com.demoshop.mall.cart/items"]})
    contacts = judge({**query, "t": 10, "args": ["content://com.android.contacts/data/phones", "null"]})
    assert own == []
    assert evidence_of(contacts, "PI-COLLECT-BEFORE-CONSENT", "app") == [
        "t=10ms ContentResolver#query (contacts) before consent (none recorded) at com.demoshop.mall.invite.Contacts.load"]


# ---- after refusal ----------------------------------------------------------------------------------------

def test_reads_after_the_privacy_dialog_was_refused_are_findings(validated):
    found = validated("refusal.trace.jsonl")
    assert rules(found) == {("PI-COLLECT-AFTER-REFUSAL", "app"), ("PI-COLLECT-AFTER-REFUSAL", "jpush")}
    assert evidence_of(found, "PI-COLLECT-AFTER-REFUSAL", "jpush") == [
        "t=4012ms TelephonyManager#getDeviceId (imei, meid) after privacy refusal (t=2540ms) at "
        "cn.jpush.android.helper.b.b ← cn.jpush.android.service.DaemonService.onCreate (every call raised an exception)"]


def test_side_channel_reads_after_a_permission_denial_are_findings(validated):
    found = validated("permission_denial.trace.jsonl")
    assert rules(found) == {("PI-COLLECT-AFTER-REFUSAL", "amap")}
    assert [d.split(" at ")[0] for d in evidence_of(found, "PI-COLLECT-AFTER-REFUSAL", "amap")] == [
        "t=33010ms WifiManager#getScanResults (wifi_info) after ACCESS_FINE_LOCATION denied (t=32450ms)",
        "t=33020ms TelephonyManager#getAllCellInfo (cell_info) after ACCESS_FINE_LOCATION denied (t=32450ms)"]


def test_reads_after_a_refusal_that_was_later_reversed_are_not_after_refusal():
    found = judge({"t": 1000, "kind": "consent", "state": "refused"},
                  {"t": 5000, "kind": "consent", "state": "agreed"},
                  {"t": 6000, "kind": "api", "api": "android.content.ClipboardManager#getPrimaryClip", "foreground": True},
                  {"t": 7000, "kind": "permission_result", "permission": "android.permission.CAMERA", "granted": False},
                  {"t": 7100, "kind": "permission_result", "permission": "android.permission.CAMERA", "granted": True},
                  {"t": 7200, "kind": "api", "api": "android.hardware.Camera#open", "foreground": True})
    assert found == []


# ---- background and frequency -----------------------------------------------------------------------------

def test_background_polling_by_an_sdk_is_silent_collection_and_too_frequent(validated):
    found = validated("background.trace.jsonl")
    assert rules(found) == {("PI-COLLECT-BACKGROUND-SILENT", "amap"), ("PI-COLLECT-EXCESSIVE-FREQUENCY", "amap")}
    assert evidence_of(found, "PI-COLLECT-EXCESSIVE-FREQUENCY", "amap") == [
        "t=61250ms 20 reads of location_precise in background within 10 min (limit 1/min)",
        "t=61250ms 20 reads of location_coarse in background within 10 min (limit 1/min)"]


def test_reads_by_a_foreground_service_are_neither_silent_nor_counted(validated):
    found = validated("background.trace.jsonl")
    assert not any("TrackingService" in e.detail for f in found for e in f.evidence)


def test_the_frequency_limit_is_configurable():
    obs = observe("background.trace.jsonl", limits=replace(TraceLimits.from_catalog(), reads_per_minute=3.0))
    assert [o for o in obs if o.kind == "trace_collect_rate"] == []


def test_the_frequency_limit_is_the_catalog_threshold():
    limits = TraceLimits.from_catalog()
    assert (limits.reads_per_minute, limits.rate_window_minutes) == (1.0, 10.0)
    assert (limits.rerequest_cooldown_ms, limits.rerequest_max_prompts) == (48 * 3600 * 1000, 1)


def test_repeated_foreground_identifier_reads_count_but_foreground_location_does_not():
    reads = [{"t": 1000 + i * 20_000, "kind": "api", "api": api, "foreground": True,
              "stack": ["com.umeng.commonsdk.internal.utils.d.a(Unknown Source:3)"]}
             for i in range(12) for api in ("android.provider.Settings$Secure#getString",)]
    for r in reads:
        r["args"] = ["resolver", "android_id"]
    location = [{"t": 1000 + i * 20_000, "kind": "api", "api": "android.location.LocationManager#getLastKnownLocation",
                 "foreground": True, "stack": ["com.amap.api.location.core.a.c(Unknown Source:1)"]} for i in range(12)]
    found = judge({"t": 0, "kind": "consent", "state": "agreed"}, *reads, *location)
    assert rules(found) == {("PI-COLLECT-EXCESSIVE-FREQUENCY", "umeng")}


# ---- sharing -------------------------------------------------------------------------------------------------

def test_pi_sent_to_an_sdk_host_before_consent_is_sharing_with_a_third_party(validated):
    found = validated("umeng_before_consent.trace.jsonl")
    assert evidence_of(found, "PI-SHARE-CLIENT-TO-THIRD-PARTY", "umeng") == [
        "t=1480ms android_id, imei sent to ulogs.umeng.com (a host of SDK umeng) before consent (t=3012ms) at "
        "com.umeng.commonsdk.statistics.internal.c.a ← com.umeng.commonsdk.statistics.internal.c.b"]


def test_pi_sent_after_consent_to_an_unknown_third_party_host_is_sharing_but_to_the_own_host_is_not():
    base = [{"t": 0, "kind": "consent", "state": "agreed"}]
    third = judge(*base, {"t": 10, "kind": "network", "host": "collect.adtrack-data.cn", "payload_pi_types": ["oaid"]})
    own = judge(*base, {"t": 10, "kind": "network", "host": "api.demoshop.com", "payload_pi_types": ["oaid"]})
    assert evidence_of(third, "PI-SHARE-CLIENT-TO-THIRD-PARTY", "app") == [
        "t=10ms oaid sent to collect.adtrack-data.cn (a third-party host)"]
    assert own == []


def test_under_a_country_domain_the_own_host_is_three_labels_deep():
    # trace.second_level_labels: cn.com.demoshop.app's servers are under demoshop.com.cn, not all of com.cn
    sent = [{"t": 0, "kind": "consent", "state": "agreed"},
            {"t": 10, "kind": "network", "host": "api.demoshop.com.cn", "payload_pi_types": ["oaid"]},
            {"t": 20, "kind": "network", "host": "collect.tracker.com.cn", "payload_pi_types": ["oaid"]}]
    found = evaluate(trace_observations(events(*sent), sdk_of=sdk_of, app_package="cn.com.demoshop.app",
                                        dangerous_permissions=dangerous()))
    assert evidence_of(found, "PI-SHARE-CLIENT-TO-THIRD-PARTY", "app") == [
        "t=20ms oaid sent to collect.tracker.com.cn (a third-party host)"]


# ---- permissions ---------------------------------------------------------------------------------------------

def test_several_dangerous_permissions_at_start_are_bundled_and_advance_requests(validated):
    found = validated("startup_permissions.trace.jsonl")
    assert ("PI-PERM-BUNDLED-REQUEST", "app") in rules(found)
    assert ("PI-PERM-ADVANCE-OR-UNRELATED-REQUEST", "app") in rules(found)
    assert evidence_of(found, "PI-PERM-BUNDLED-REQUEST", "app") == [
        "t=1920ms permission prompt [READ_PHONE_STATE, ACCESS_FINE_LOCATION, ACCESS_COARSE_LOCATION, CAMERA, "
        "WRITE_EXTERNAL_STORAGE] 1.92s after start, no tap before it at "
        "com.demoshop.mall.ui.MainActivity.requestAllPermissions ← com.demoshop.mall.ui.MainActivity.onCreate"]


def test_separate_prompts_of_two_groups_at_start_are_bundled_but_one_location_group_is_not():
    start = {"t": 0, "kind": "launch", "by": "self"}
    agreed = {"t": 500, "kind": "consent", "state": "agreed"}
    two = judge(start, agreed, {"t": 900, "kind": "permission_request", "permissions": ["android.permission.CAMERA"]},
                {"t": 2000, "kind": "permission_request", "permissions": ["android.permission.RECORD_AUDIO"]})
    one = judge(start, agreed, {"t": 900, "kind": "permission_request", "permissions": [
        "android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_COARSE_LOCATION"]})
    assert ("PI-PERM-BUNDLED-REQUEST", "app") in rules(two)
    assert rules(one) == {("PI-PERM-ADVANCE-OR-UNRELATED-REQUEST", "app")}


def test_a_prompt_after_a_tap_outside_the_start_window_is_no_finding():
    found = judge({"t": 0, "kind": "launch", "by": "self"}, {"t": 500, "kind": "consent", "state": "agreed"},
                  {"t": 30_000, "kind": "permission_request", "user_action": True,
                   "permissions": ["android.permission.CAMERA", "android.permission.RECORD_AUDIO"]})
    assert found == []


def test_exit_shortly_after_a_refusal_is_exit_on_refusal(validated):
    found = validated("startup_permissions.trace.jsonl")
    assert evidence_of(found, "PI-PERM-EXIT-ON-REFUSAL", "app") == [
        "t=6720ms app exited 2.41s after READ_PHONE_STATE was refused (t=4310ms)"]


def test_an_exit_long_after_a_refusal_is_not_exit_on_refusal():
    found = judge({"t": 0, "kind": "consent", "state": "agreed"},
                  {"t": 1000, "kind": "permission_result", "permission": "android.permission.CAMERA", "granted": False},
                  {"t": 61_000, "kind": "app_exit"})
    assert found == []


def test_a_refused_permission_prompted_again_within_48h_is_frequent_and_at_once_is_a_loop(validated):
    found = validated("rerequest.trace.jsonl")
    assert rules(found) == {("PI-PERM-FREQUENT-REQUEST", "app"), ("PI-PERM-EXIT-ON-REFUSAL", "app")}
    assert evidence_of(found, "PI-PERM-FREQUENT-REQUEST", "app") == [
        "t=29950ms CAMERA prompted again 0.65s after it was refused (t=29300ms); 2 prompts within 48h",
        "t=65200ms READ_CONTACTS prompted again 37.3s after it was refused (t=27900ms); 2 prompts within 48h"]
    assert evidence_of(found, "PI-PERM-EXIT-ON-REFUSAL", "app") == [
        "t=29950ms CAMERA prompted again 0.65s after it was refused (t=29300ms); 2 prompts within 48h"]


def test_a_reprompt_after_the_cooldown_or_started_by_a_tap_is_not_frequent():
    refused = [{"t": 0, "kind": "consent", "state": "agreed"},
               {"t": 1000, "kind": "permission_result", "permission": "android.permission.CAMERA", "granted": False}]
    later = judge(*refused, {"t": 1000 + 49 * 3_600_000, "kind": "permission_request",
                             "permissions": ["android.permission.CAMERA"], "user_action": True})
    tapped = judge(*refused, {"t": 60_000, "kind": "permission_request", "permissions": ["android.permission.CAMERA"],
                              "user_action": True})
    assert later == []
    assert tapped == []


# ---- process starts ------------------------------------------------------------------------------------------

def test_a_start_by_the_boot_broadcast_is_self_start(validated):
    found = validated("boot_start.trace.jsonl")
    assert evidence_of(found, "PI-START-SELF", "app") == [
        "t=0ms process started by the boot broadcast (com.demoshop.mall/cn.jpush.android.service.PushReceiver)"]
    assert ("PI-COLLECT-BACKGROUND-SILENT", "jpush") in rules(found)


def test_being_woken_by_another_app_and_waking_one_are_associated_starts(validated):
    found = validated("associated_start.trace.jsonl")
    assert rules(found) == {("PI-START-ASSOCIATED", "app"), ("PI-START-ASSOCIATED", "jpush")}
    assert evidence_of(found, "PI-START-ASSOCIATED", "jpush") == [
        "t=5120ms Context#startService → com.example.videoapp at cn.jpush.android.service.a.a ← "
        "cn.jpush.android.service.DaemonService.onStartCommand"]


def test_a_user_launch_and_a_tapped_share_to_another_app_are_no_start_findings():
    found = judge({"t": 0, "kind": "launch", "by": "self", "component": "com.demoshop.mall/.ui.SplashActivity"},
                  {"t": 100, "kind": "launch", "by": "other_app", "user_initiated": True},
                  {"t": 9800, "kind": "api", "api": "android.content.Context#startActivity",
                   "target_package": "com.tencent.mm", "user_action": True})
    assert found == []


def test_a_self_start_without_user_action_is_self_start():
    found = judge({"t": 0, "kind": "launch", "by": "self", "user_initiated": False, "component": "x/.SyncJob"})
    assert rules(found) == {("PI-START-SELF", "app")}
