"""End to end: an APK with its policy in assets/, scanned by the real pipeline."""

from __future__ import annotations

import pytest

import smali_snippets as s
from hegui import knowledge
from hegui.pipeline import ScanOptions
from scanfixtures import app_smali, scan_app

pytestmark = pytest.mark.apktool

PRIVACY_HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>隐私政策</title>
<script>window.track = function () {}</script></head><body>
<nav><a href="/">返回首页</a></nav>
<h1>DemoShop隐私政策</h1><p>更新日期：2024年3月1日</p>
<p>DemoShop由杭州某某网络科技有限公司运营，注册地址：浙江省杭州市西湖区文三路1号。</p>
<h2>一、我们如何收集和使用您的个人信息</h2>
<p>为了帮助您完成注册，我们会收集您的手机号码。</p>
<h2>二、联系我们</h2>
<p>如您对个人信息保护有任何投诉或举报，可发送邮件至 pi@example.cn，我们将在15个工作日内答复。</p>
</body></html>"""


def test_policy_in_assets_is_analysed_and_undeclared_imei_is_a_finding(tmp_path, report_validator):
    scanned = scan_app(tmp_path, app_smali(s.read_imei()), permissions=["android.permission.READ_PHONE_STATE"],
                       assets={"privacy.html": PRIVACY_HTML})
    report = scanned.report.model_dump(mode="json")
    report_validator(report)
    policy = report["policy"]
    assert (policy["found"], policy["source"]) == (True, "assets/privacy.html")
    assert set(policy["elements"]) == set(knowledge.policy_clauses())
    assert policy["elements"]["complaint_channel"] is True
    assert policy["elements"]["minors_rules"] is False
    assert policy["declared_pi_types"] == ["phone_number"]

    finding = scanned.finding("PI-NOTICE-PURPOSE-NOT-ENUMERATED")
    details = {(e.kind, e.detail) for e in finding.evidence}
    assert ("policy", "assets/privacy.html never names 国际移动设备识别码 (IMEI) / IMEI (GSM/UMTS/LTE device identity) "
                      "[imei]") in details
    assert "PI-MINOR-NO-SPECIAL-RULES" in scanned.rules("app")
    assert "PI-POLICY-ABSENT" not in scanned.rules()


def test_unreadable_policy_file_is_an_error_and_the_scan_still_completes(tmp_path, report_validator):
    junk = tmp_path / "policy.bin"
    junk.write_bytes(bytes(range(256)) * 8)
    scanned = scan_app(tmp_path, app_smali(s.read_imei()), permissions=["android.permission.READ_PHONE_STATE"],
                       options=ScanOptions(policy=str(junk)))
    report = scanned.report.model_dump(mode="json")
    report_validator(report)
    [error] = [e for e in report["errors"] if e["stage"] == "policy"]
    assert error["message"] == f"{junk}: policy looks like binary data, not text (it contains NUL bytes)"
    assert "PI-COLLECT-BEFORE-CONSENT" in scanned.rules("app")   # the static findings are all still there
    assert "PI-POLICY-ABSENT" not in scanned.rules()             # a policy was given: its content is unknown


def test_app_without_any_policy_is_policy_absent(tmp_path, report_validator):
    scanned = scan_app(tmp_path, app_smali())
    report_validator(scanned.report.model_dump(mode="json"))
    assert scanned.report.policy.found is False
    assert scanned.finding("PI-POLICY-ABSENT").severity == "high"
