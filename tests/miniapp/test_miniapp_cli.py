"""`hegui scan` on the new forms: a report per package with input.kind naming the form, valid against the contract;
one-line errors for what cannot be read; small source packages pin each rule's trigger."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from hegui.cli import app
from hegui.pipeline import ScanOptions, scan_path

runner = CliRunner()
PARTY_APPID = "wx6e24c691f9a50e44"


def hegui(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _mini_program(root: Path, app_json: dict, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "app.json").write_text(json.dumps(app_json, ensure_ascii=False), encoding="utf-8")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _findings(report) -> dict[str, list[str]]:
    return {f.rule_id: [e.detail for e in f.evidence] for f in report.findings}


def test_each_form_gives_a_valid_report_with_its_kind(miniapps, report_validator):
    for name, kind in (("sec_wx0a2ae0a4fdfa03a6.wxapkg", "wxapkg"), ("poetries+quickapp-template.rpk", "rpk"),
                       ("SoloPi.hap", "hap")):
        result = hegui("scan", str(miniapps / name))
        assert result.exit_code == 0, result.stderr
        report = json.loads(result.stdout)
        report_validator(report)
        assert report["input"]["kind"] == kind


def test_html_report_names_the_form(miniapps, tmp_path):
    out = tmp_path / "r.html"
    assert hegui("scan", str(miniapps / "sec_wx0a2ae0a4fdfa03a6.wxapkg"), "-f", "html", "-o", str(out)).exit_code == 0
    assert "微信小程序 WeChat mini-program (wxapkg)" in out.read_text(encoding="utf-8")


def test_broken_wxapkg_is_one_line_naming_the_file(miniapps):
    path = miniapps / "sec_BROKEN__home_-out.wxapkg"
    result = hegui("scan", str(path))
    assert (result.exit_code, result.stderr) == (2, f"{path}: not a wxapkg: first byte 0xfa, expected 0xbe\n")


def test_appid_option_scans_the_pc_encrypted_package(miniapps, report_validator):
    result = hegui("scan", str(miniapps / "party18___APP__.V1MMWX.wxapkg"), "--appid", PARTY_APPID)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    report_validator(report)
    assert (report["input"]["kind"], report["app"]["package"], report["app"]["label"]) == (
        "wxapkg", PARTY_APPID, "一起学党史")
    assert [s["id"] for s in report["sdks"]] == ["mp-plugin.tencentvideo"]


def test_source_folder_is_one_input(tmp_path, report_validator):
    root = _mini_program(tmp_path / "mp", {"pages": ["pages/index/index"]}, {
        "app.js": "App({})",
        "pages/index/index.js": "Page({onLoad() { this.locate() }, locate() { wx.getLocation({type: 'gcj02'}) }})",
    })
    result = hegui("scan", str(root))
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    report_validator(report)
    assert report["input"]["kind"] == "miniapp_dir"
    assert {f["rule_id"] for f in report["findings"]} == {
        "PI-COLLECT-BEFORE-CONSENT", "PI-MP-INTERFACE-UNDECLARED", "PI-MP-PURPOSE-MISSING", "PI-MP-PRIVACY-CHECK-OFF"}


def test_launch_call_after_the_privacy_flow_is_not_collection_before_consent(tmp_path):
    root = _mini_program(tmp_path / "mp", {
        "pages": ["pages/index/index"], "requiredPrivateInfos": ["getLocation"], "__usePrivacyCheck__": True,
        "permission": {"scope.userLocation": {"desc": "用于展示附近门店"}}}, {
        "pages/index/index.js": "Page({onLoad() { wx.requirePrivacyAuthorize({success: () => "
                                "wx.getLocation({})}) }})"})
    assert _findings(scan_path(root, ScanOptions())) == {}


def test_location_call_off_the_home_page_is_not_at_launch(tmp_path):
    root = _mini_program(tmp_path / "mp", {
        "pages": ["pages/index/index", "pages/shop/shop"], "requiredPrivateInfos": ["getLocation"],
        "__usePrivacyCheck__": True, "permission": {"scope.userLocation": {"desc": "用于展示附近门店"}}}, {
        "pages/index/index.js": "Page({onLoad() {}})",
        "pages/shop/shop.js": "Page({onLoad() { wx.getLocation({}) }})"})
    assert _findings(scan_path(root, ScanOptions())) == {}


def test_scope_without_desc_and_background_location(tmp_path):
    root = _mini_program(tmp_path / "mp", {
        "pages": ["pages/index/index"], "__usePrivacyCheck__": True,
        "requiredPrivateInfos": ["startLocationUpdateBackground"],
        "permission": {"scope.userLocationBackground": {"desc": " "}}}, {
        "pages/index/index.js": "Page({track() { wx.startLocationUpdateBackground({}) }})"})
    assert _findings(scan_path(root, ScanOptions())) == {
        "PI-MP-PURPOSE-MISSING": ["app.json: permission.scope.userLocationBackground has no desc"],
        "PI-COLLECT-BACKGROUND-SILENT": ["pages/index/index.js:1:17 wx.startLocationUpdateBackground"],
    }


def test_plugin_not_named_in_the_given_policy(tmp_path):
    policy = tmp_path / "policy.txt"
    policy.write_text("隐私政策\n我们收集您的位置信息用于展示附近门店。我们使用腾讯视频提供的插件播放视频。\n",
                      encoding="utf-8")
    root = _mini_program(tmp_path / "mp", {"pages": ["pages/index/index"], "plugins": {
        "tencentvideo": {"version": "1.2.4", "provider": "wxa75efa648b60994b"},
        "routePlan": {"version": "1.0.12", "provider": "wx50b5593e81dd937a"}}}, {})
    report = scan_path(root, ScanOptions(policy=str(policy)))
    assert report.policy.found
    assert _findings(report) == {"PI-SDK-LIST-MISSING-OR-MISMATCH": [
        "app.json: plugin routePlan (provider wx50b5593e81dd937a, version 1.0.12), not named in the privacy policy"]}


def test_quick_app_module_missing_from_features(tmp_path):
    path = tmp_path / "geo.rpk"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("manifest.json", json.dumps({"package": "com.example.geo", "name": "geo",
                                                "features": [{"name": "system.router"}]}))
        z.writestr("app.js", 'var g = $app_require$("@app-module/system.geolocation");\n'
                             'var r = $app_require$("@app-module/system.router");')
    report = scan_path(path, ScanOptions())
    assert report.input.kind == "rpk"
    assert _findings(report) == {"PI-MP-INTERFACE-UNDECLARED": [
        "app.js:1 require system.geolocation, not in manifest.json features"]}


def test_hap_user_grant_permission_without_reason(tmp_path):
    path = tmp_path / "loc.hap"
    module = {"app": {"bundleName": "com.example.loc", "label": "Loc"}, "module": {"requestPermissions": [
        {"name": "ohos.permission.LOCATION"}, {"name": "ohos.permission.INTERNET"},
        {"name": "ohos.permission.CAMERA", "reason": "扫码时拍摄二维码"}]}}
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("module.json", json.dumps(module))
    report = scan_path(path, ScanOptions())
    assert [(p.name, p.dangerous) for p in report.permissions] == [
        ("ohos.permission.LOCATION", True), ("ohos.permission.INTERNET", False), ("ohos.permission.CAMERA", True)]
    assert _findings(report) == {"PI-MP-PURPOSE-MISSING": ["module.json: ohos.permission.LOCATION: no reason"]}


def test_source_tree_with_a_miniprogram_root(tmp_path):
    root = tmp_path / "project"
    _mini_program(root / "miniprogram", {"pages": ["pages/index/index"], "requiredPrivateInfos": ["getLocation"],
                                         "permission": {"scope.userLocation": {"desc": "用于展示附近门店"}}}, {
        "pages/index/index.js": "Page({onLoad: function () { wx.getLocation({}) }})"})
    (root / "project.config.json").write_text('{"miniprogramRoot": "miniprogram/", "appid": "wx1234567890abcdef"}')
    report = scan_path(root, ScanOptions())
    assert (report.input.kind, report.app.package) == ("miniapp_dir", "wx1234567890abcdef")
    assert _findings(report) == {
        "PI-COLLECT-BEFORE-CONSENT": ["miniprogram/pages/index/index.js:1:29 wx.getLocation, runs in "
                                      "Page miniprogram/pages/index/index.onLoad"],
        "PI-MP-PRIVACY-CHECK-OFF": ["miniprogram/app.json: __usePrivacyCheck__ absent, no "
                                    "requirePrivacyAuthorize/onNeedPrivacyAuthorization call",
                                    "miniprogram/pages/index/index.js:1:29 wx.getLocation (one of 1 "
                                    "privacy-interface calls)"],
    }
