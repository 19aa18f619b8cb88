"""Every format renders a real scan: the Bugly hot-fix demo of the corpus (Bugly, Bugly Beta, Tinker)."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from openpyxl import load_workbook
from selectolax.lexbor import LexborHTMLParser

from hegui.pipeline import scan_path
from hegui.report.render import render

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def bugly_report(corpus):
    return scan_path(corpus / "bugly-demo" / "apks" / "BuglyHotfixDemo_tinker1.9.14.apk")


def test_json_of_a_real_scan_follows_the_contract(bugly_report, report_validator):
    report_validator(json.loads(render(bugly_report, "json")))


def test_sarif_of_a_real_scan_is_valid_and_points_at_sdk_code(bugly_report, sarif_validator):
    log = json.loads(render(bugly_report, "sarif"))
    sarif_validator(log)
    results = log["runs"][0]["results"]
    assert len(results) == len(bugly_report.findings)
    bugly_before_consent = next(r for r in results if r["ruleId"] == "PI-SDK-COLLECT-BEFORE-CONSENT"
                                and r["properties"]["subject"] == "bugly")
    names = [loc["logicalLocations"][0]["fullyQualifiedName"] for loc in bugly_before_consent["locations"]]
    assert names and all(n.startswith("com.tencent.bugly.") for n in names)


def test_html_of_a_real_scan_lists_the_sdks_and_every_finding(bugly_report):
    doc = LexborHTMLParser(render(bugly_report, "html").decode("utf-8"))
    assert {tr.css("td")[1].text() for tr in doc.css("#sdks tr") if tr.css("td")} >= {"bugly", "tinker"}
    assert len(doc.css("#findings .finding")) == len(bugly_report.findings)
    assert not doc.css("script")


def test_xlsx_of_a_real_scan_holds_every_call(bugly_report):
    wb = load_workbook(BytesIO(render(bugly_report, "xlsx")))
    assert wb["敏感行为 Sensitive calls"].max_row == len(bugly_report.sensitive_calls) + 1
    assert wb["检测结论 Findings"].max_row == len(bugly_report.findings) + 1
