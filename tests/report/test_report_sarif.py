"""SARIF 2.1.0 output for CI: valid against the official OASIS schema, one result per finding."""

from __future__ import annotations

import json

import pytest

from hegui.report.render import render
from hegui.report.sarif import artifact_uri, calling_method, sarif_log


@pytest.fixture(autouse=True)
def outside_any_working_tree(tmp_path_factory, monkeypatch):
    """The demo report names a relative path: resolved from this checkout it would lie inside a git tree."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))

def test_sarif_of_a_full_report_is_valid_against_the_official_schema(report, sarif_validator):
    sarif_validator(json.loads(render(report, "sarif")))


def test_the_schema_rejects_what_sarif_forbids(report, sarif_validator):
    log = sarif_log(report)
    log["runs"][0]["results"][0]["level"] = "critical"
    with pytest.raises(AssertionError, match="'critical' is not one of"):
        sarif_validator(log)


def test_sarif_of_an_empty_report_is_valid(report, sarif_validator):
    empty = report.model_copy(update={"findings": [], "errors": []})
    log = json.loads(render(empty, "sarif"))
    sarif_validator(log)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


def test_sarif_output_is_readable_utf8(report):
    data = render(report, "sarif")
    assert "征得用户同意前收集个人信息或打开权限".encode() in data


def test_driver_is_hegui_with_one_rule_per_rule_id_used(report, make_finding):
    dup = make_finding("PI-COLLECT-BEFORE-CONSENT", "umeng", [("call", "x.Y#z")])
    log = sarif_log(report.model_copy(update={"findings": [*report.findings, dup]}))
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "hegui"
    assert driver["version"] == "0.1.0"
    assert [r["id"] for r in driver["rules"]] == [
        "PI-COLLECT-BEFORE-CONSENT", "PI-SDK-COLLECT-BEFORE-CONSENT", "PI-SDK-LIST-MISSING-OR-MISMATCH",
        "PI-DEVICE-ID-NONRESETTABLE", "PI-NOTICE-OBSCURE-TEXT"]
    assert "helpUri" not in json.dumps(driver)


def test_rule_descriptor_carries_english_description_and_bilingual_help(report):
    rule = sarif_log(report)["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["name"] == "PiCollectBeforeConsent"
    assert rule["shortDescription"] == {"text": "PI collected or permissions requested before the user consents"}
    assert rule["fullDescription"]["text"].startswith("征得用户同意前收集个人信息或打开权限 — Code runs PI-reading APIs")
    help_lines = rule["help"]["text"].split("\n")
    assert help_lines[0] == "整改建议：" + report.findings[0].remediation.zh
    assert help_lines[1] == "Remediation: " + report.findings[0].remediation.en
    assert help_lines[2].startswith("法规依据 Clauses：国信办秘字〔2019〕191号 三.1；工信部信管函〔2020〕164号 三.1；")
    assert rule["properties"]["tags"] == [
        "security", "privacy", "personal-information", "china", "CAC-2019-191", "MIIT-2019-337", "MIIT-2020-164", "PIPL",
        "STORE-PRACTICE"]
    assert rule["defaultConfiguration"] == {"level": "error"}


def test_levels_follow_severity(report):
    results = sarif_log(report)["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("PI-COLLECT-BEFORE-CONSENT", "error"), ("PI-SDK-COLLECT-BEFORE-CONSENT", "error"),
        ("PI-SDK-LIST-MISSING-OR-MISMATCH", "error"), ("PI-DEVICE-ID-NONRESETTABLE", "warning"),
        ("PI-NOTICE-OBSCURE-TEXT", "note")]
    assert [r["ruleIndex"] for r in results] == [0, 1, 2, 3, 4]


def test_message_is_english_then_chinese_and_names_the_subject(report):
    results = sarif_log(report)["runs"][0]["results"]
    assert results[1]["message"]["text"] == (
        "SDK initialised or collecting PI before the app obtained consent (SDK: 友盟+ (Umeng)). "
        "SDK在App获得用户同意前初始化或收集个人信息（SDK：友盟+ (Umeng)）。 Evidence: 1 item(s).")


def test_call_evidence_becomes_logical_locations_on_the_scanned_file(report):
    results = sarif_log(report)["runs"][0]["results"]
    device_id = results[3]
    assert device_id["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": "apks/DemoShop-1.2.0.apk", "index": 0}},
         "logicalLocations": [{"fullyQualifiedName": "com.demo.shop.ShopApp#collectIds", "name": "collectIds",
                               "kind": "function"}]},
        {"physicalLocation": {"artifactLocation": {"uri": "apks/DemoShop-1.2.0.apk", "index": 0}},
         "logicalLocations": [{"fullyQualifiedName": "com.demo.shop.ui.LoginActivity#onCreate", "name": "onCreate",
                               "kind": "function"}]},
    ]
    # Without code evidence the result still points at the APK.
    assert results[2]["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": "apks/DemoShop-1.2.0.apk", "index": 0}}}]


def test_artifact_records_hash_and_size(report):
    artifact = sarif_log(report)["runs"][0]["artifacts"][0]
    assert artifact["location"] == {"uri": "apks/DemoShop-1.2.0.apk"}
    assert artifact["hashes"] == {"sha-256": report.input.sha256}
    assert artifact["length"] == 4_812_331


def test_fingerprints_are_stable_and_depend_on_rule_subject_and_evidence(report, make_finding):
    first = sarif_log(report)["runs"][0]["results"]
    moved = report.model_copy(deep=True)
    moved.input.path = "/elsewhere/renamed.apk"
    moved.tool.version = "9.9.9"
    moved.findings[3].evidence.reverse()
    again = sarif_log(moved)["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in first] == [r["partialFingerprints"] for r in again]
    assert len({r["partialFingerprints"]["heguiFinding/v1"] for r in first}) == len(first)
    other_subject = make_finding("PI-COLLECT-BEFORE-CONSENT", "umeng", [
        (e.kind, e.detail) for e in report.findings[0].evidence])
    changed = sarif_log(report.model_copy(update={"findings": [other_subject]}))["runs"][0]["results"][0]
    assert changed["partialFingerprints"] != first[0]["partialFingerprints"]


def test_scan_errors_become_tool_notifications(report):
    invocation = sarif_log(report)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == [
        {"level": "error", "message": {"text": "dex: classes3.dex: truncated map list"}, "descriptor": {"id": "dex"}}]


@pytest.mark.parametrize(("detail", "method"), [
    ("android.telephony.TelephonyManager#getDeviceId called from com.demo.shop.ShopApp#collectIds",
     "com.demo.shop.ShopApp#collectIds"),
    ("android.telephony.TelephonyManager#getImei called from android.support.v4.Compat#imei (via reflection)",
     "android.support.v4.Compat#imei"),
    ("runs at startup: com.demo.shop.ShopApp#onCreate → com.demo.shop.Ids#<clinit> → com.demo.shop.Ids#read",
     "com.demo.shop.Ids#read"),
    ("com.umeng.pm.Waker#wake starts components of other apps: com.other.Service", "com.umeng.pm.Waker#wake"),
    # no "called from": the first method outside the platform's API namespaces (platform_libraries.yaml)
    ("kotlinx.coroutines.Job#start and org.json.JSONObject#put, then com.demo.shop.Ids#send",
     "com.demo.shop.Ids#send"),
    ("android.app.Activity#finish then java.lang.System#exit", "android.app.Activity#finish"),
    ("a call with no method reference", None),
])
def test_calling_method_is_read_from_the_detectors_evidence_wording(detail, method):
    assert calling_method(detail) == method


@pytest.mark.parametrize(("path", "uri"), [
    ("apks/DemoShop-1.2.0.apk", "apks/DemoShop-1.2.0.apk"),
    ("/data/in/演示 app.apk", "file:///data/in/%E6%BC%94%E7%A4%BA%20app.apk"),
    ("uploads/a b#c?.apk", "uploads/a%20b%23c%3F.apk"),
])
def test_artifact_uri_is_a_valid_uri_reference(path, uri):
    assert artifact_uri(path) == uri


def test_an_input_inside_a_git_working_tree_is_named_relative_to_its_root(report, tmp_path, sarif_validator):
    (tmp_path / ".git").mkdir()
    (tmp_path / "build" / "outputs").mkdir(parents=True)
    apk = tmp_path / "build" / "outputs" / "app release.apk"
    inside = report.model_copy(update={"input": report.input.model_copy(update={"path": str(apk)})})
    log = sarif_log(inside)
    sarif_validator(log)
    run = log["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.resolve().as_uri() + "/"}}
    assert run["artifacts"][0]["location"] == {"uri": "build/outputs/app%20release.apk", "uriBaseId": "%SRCROOT%"}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == {
        "build/outputs/app%20release.apk"}


def test_an_input_outside_any_working_tree_keeps_its_own_uri(report, tmp_path):
    apk = tmp_path / "app.apk"
    outside = report.model_copy(update={"input": report.input.model_copy(update={"path": str(apk)})})
    run = sarif_log(outside)["runs"][0]
    assert "originalUriBaseIds" not in run
    assert run["artifacts"][0]["location"] == {"uri": apk.as_uri()}
