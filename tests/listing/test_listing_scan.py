"""`hegui scan APK --listing FILE`: the store page is judged against the rules and against the scanned APK, and
the findings join the report (evidence kind "listing")."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hegui.cli import app

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "src/hegui/samples/demo-shop.apk"  # version 1.2.0; requests INTERNET, READ_PHONE_STATE (dangerous),
# RECEIVE_BOOT_COMPLETED, REQUEST_INSTALL_PACKAGES, READ_CONTACTS (dangerous)
COMPLETE = """\
store: 小米应用商店
version_name: 1.2.0
policy_url: https://www.example.com/privacy.html
developer_name: 演示科技有限公司
developer_contact: shop@example.com
permissions:
  android.permission.INTERNET: 访问网络
  android.permission.READ_PHONE_STATE: 识别设备以保障账号安全
  android.permission.RECEIVE_BOOT_COMPLETED: 开机后接收订单提醒
  android.permission.REQUEST_INSTALL_PACKAGES: 安装新版本
  android.permission.READ_CONTACTS: 邀请好友
"""


def _scan(tmp_path: Path, listing_text: str, report_validator) -> dict:
    listing = tmp_path / "listing.yaml"
    listing.write_text(listing_text, encoding="utf-8")
    result = CliRunner().invoke(app, ["scan", str(SAMPLE), "--listing", str(listing)], catch_exceptions=False)
    assert result.exit_code == 0, result.output[-2000:]
    report = json.loads(result.stdout)
    report_validator(report)
    return report


def _listing_findings(report: dict) -> dict[str, tuple[str, list[str]]]:
    return {f["rule_id"]: (f["severity"], [e["detail"] for e in f["evidence"]])
            for f in report["findings"] if all(e["kind"] == "listing" for e in f["evidence"])}


def test_a_complete_listing_that_matches_the_apk_adds_no_finding(tmp_path, report_validator):
    report = _scan(tmp_path, COMPLETE, report_validator)
    assert _listing_findings(report) == {}
    assert report["errors"] == []


def test_an_incomplete_listing_names_each_gap_and_each_permission_the_page_hides(tmp_path, report_validator):
    text = COMPLETE.replace("policy_url: https://www.example.com/privacy.html\n", "").replace(
        "  android.permission.READ_CONTACTS: 邀请好友\n", "").replace("访问网络", "''")
    findings = _listing_findings(_scan(tmp_path, text, report_validator))
    assert findings == {"PI-STORE-LISTING-INCOMPLETE": ("high", [
        "小米应用商店: the page shows no policy url",
        "小米应用商店: android.permission.INTERNET is listed without a purpose",
        "the APK requests android.permission.READ_CONTACTS; the 小米应用商店 page does not list it"])}


def test_an_undeclared_normal_permission_alone_is_medium(tmp_path, report_validator):
    text = COMPLETE.replace("  android.permission.REQUEST_INSTALL_PACKAGES: 安装新版本\n", "")
    assert _listing_findings(_scan(tmp_path, text, report_validator)) == {"PI-STORE-LISTING-INCOMPLETE": ("medium", [
        "the APK requests android.permission.REQUEST_INSTALL_PACKAGES; the 小米应用商店 page does not list it"])}


def test_a_stale_version_and_a_contact_that_is_no_contact_are_lax_review(tmp_path, report_validator):
    text = COMPLETE.replace("version_name: 1.2.0", "version_name: 1.1.0").replace(
        "shop@example.com", "请在应用内联系我们")
    assert _listing_findings(_scan(tmp_path, text, report_validator)) == {"PI-STORE-REVIEW-LAX": ("high", [
        "小米应用商店: developer contact '请在应用内联系我们' is neither a phone number nor an e-mail address",
        "小米应用商店 shows version 1.1.0; the scanned APK is 1.2.0"])}


def test_an_unreadable_listing_is_refused_before_the_scan(tmp_path):
    listing = tmp_path / "listing.yaml"
    listing.write_text("store: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["scan", str(SAMPLE), "--listing", str(listing)], catch_exceptions=False)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"hegui: --listing {listing}: listing is neither valid JSON nor YAML (")
    assert result.stderr.count("\n") == 1
