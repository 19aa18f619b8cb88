"""The Excel workbook: one sheet per table, filterable, and safe to open in a spreadsheet."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from hegui.report.model import Sdk, SensitiveCall
from hegui.report.render import render
from hegui.report.xlsx import safe_cell


def workbook(report):
    return load_workbook(BytesIO(render(report, "xlsx")))


def values(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_workbook_opens_on_the_summary_and_has_one_sheet_per_table(report):
    assert workbook(report).sheetnames == ["概要 Summary", "检测结论 Findings", "SDK", "敏感行为 Sensitive calls",
                                           "权限 Permissions", "隐私政策 Policy", "检测异常 Errors"]


def test_summary_sheet_warns_first_that_a_partly_read_input_gives_incomplete_results(report):
    rows = values(workbook(report)["概要 Summary"])
    assert rows[1] == ["⚠ 检测不完整 Incomplete", "1 处未能完整读取或分析，结论可能不完整（见“检测异常”表）",
                       "1 part(s) could not be read or analysed; results may be incomplete (see Errors)"]
    by_item = {r[0]: r[1:] for r in rows[1:]}
    assert by_item["包名 Package"][0] == report.app.package
    assert by_item["SHA-256"][0] == report.input.sha256
    assert by_item["严重 critical"][0] == 2


def test_summary_sheet_of_a_complete_scan_has_no_warning(report):
    clean = report.model_copy(update={"errors": []})
    assert values(workbook(clean)["概要 Summary"])[1][0] == "结论 Verdict"


def test_errors_sheet_lists_each_error_with_its_stage(report):
    assert values(workbook(report)["检测异常 Errors"]) == [["阶段 Stage", "原因 Reason"],
                                                          ["dex", "classes3.dex: truncated map list"]]


def test_policy_sheet_gives_each_element_with_its_proving_sentence(report):
    rows = values(workbook(report)["隐私政策 Policy"])
    assert rows[1] == ["来源 Source", report.policy.source, None]
    for element, present in report.policy.elements.items():
        assert [element, "是 Yes" if present else "否 No", report.policy.excerpts.get(element)] in rows


def test_every_sheet_has_a_bold_frozen_filtered_header(report):
    wb = workbook(report)
    for ws in wb.worksheets:
        assert all(c.font.b for c in ws[1]), ws.title
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}", ws.title


def test_findings_sheet_holds_one_row_per_finding(report):
    rows = values(workbook(report)["检测结论 Findings"])
    assert rows[0] == ["严重程度 Severity", "规则 Rule", "问题 Title (zh)", "Title (en)", "对象 Subject",
                       "对象名称 Subject name", "法规依据 Clauses", "证据 Evidence", "整改建议 Remediation (zh)",
                       "Remediation (en)"]
    assert [r[:2] for r in rows[1:]] == [
        ["严重 critical", "PI-COLLECT-BEFORE-CONSENT"], ["严重 critical", "PI-SDK-COLLECT-BEFORE-CONSENT"],
        ["高 high", "PI-SDK-LIST-MISSING-OR-MISMATCH"], ["中 medium", "PI-DEVICE-ID-NONRESETTABLE"],
        ["低 low", "PI-NOTICE-OBSCURE-TEXT"]]
    sdk_row = rows[2]
    assert sdk_row[4:6] == ["umeng", "SDK：友盟+ (Umeng)"]
    assert sdk_row[6].split("\n")[:2] == ["国信办秘字〔2019〕191号 三.1", "工信部信管函〔2020〕164号 三.1"]
    assert sdk_row[7] == "[manifest] provider com.umeng.commonsdk.UMProvider initialises the SDK at process start"
    assert sdk_row[8] == report.findings[1].remediation.zh
    assert sdk_row[9] == report.findings[1].remediation.en


def test_sdk_sheet(report):
    assert values(workbook(report)["SDK"]) == [
        ["ID", "名称 Name", "运营方 Company", "类别 Category", "包名 Packages", "识别依据 Evidence"],
        ["umeng", "友盟+ (Umeng)", "北京锐讯灵通科技有限公司", "analytics", "com.umeng",
         "class com.umeng.commonsdk.UMConfigure"],
    ]


def test_sensitive_calls_sheet_names_pi_types_in_both_languages(report):
    assert values(workbook(report)["敏感行为 Sensitive calls"])[1:] == [
        ["imei", "国际移动设备识别码 (IMEI)", "IMEI (GSM/UMTS/LTE device identity)",
         "android.telephony.TelephonyManager#getDeviceId", "com.demo.shop.ShopApp#collectIds", "app", "应用自身",
         "是 Yes", "否 No"],
        ["android_id", "安卓ID (Android ID / SSAID)", "Android ID (Settings.Secure.ANDROID_ID)",
         "android.provider.Settings$Secure#getString",
         "com.umeng.commonsdk.statistics.common.DeviceConfig#getAndroidID", "umeng", "友盟+ (Umeng)", "否 No", "否 No"],
    ]


def test_permissions_sheet(report):
    assert values(workbook(report)["权限 Permissions"]) == [
        ["权限 Permission", "危险权限 Dangerous"],
        ["android.permission.INTERNET", "否 No"],
        ["android.permission.READ_PHONE_STATE", "是 Yes"],
        ["android.permission.ACCESS_FINE_LOCATION", "是 Yes"],
    ]


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                  "\t=1+1"])
def test_formula_like_text_is_stored_as_text_with_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


def test_ordinary_text_and_numbers_pass_unchanged():
    assert safe_cell("com.umeng") == "com.umeng"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell(None) is None


def test_hostile_apk_strings_cannot_become_formulas_or_break_the_file(report):
    hostile = report.model_copy(deep=True)
    hostile.sdks.append(Sdk(id="evil", name="=HYPERLINK(\"http://evil\",\"click\")", company="@SUM(1+1)",
                            packages=["+cmd"], evidence=["-1", "bell\x07and\x00nul"]))
    hostile.sensitive_calls.append(SensitiveCall(pi_type="imei", api="android.telephony.TelephonyManager#getImei",
                                                 caller="=1+1", sdk="evil", at_startup=False, via_reflection=False))
    hostile.permissions[0].name = "=cmd|'/c calc'!A1"
    wb = workbook(hostile)
    sdk_cells = list(wb["SDK"].iter_rows(min_row=3, values_only=False))[0]
    assert [c.value for c in sdk_cells] == [
        "evil", "'=HYPERLINK(\"http://evil\",\"click\")", "'@SUM(1+1)", None, "'+cmd", "'-1\nbellandnul"]
    all_cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in all_cells if c.data_type == "f"]
    assert wb["敏感行为 Sensitive calls"]["E4"].value == "'=1+1"
    assert wb["权限 Permissions"]["A2"].value == "'=cmd|'/c calc'!A1"


def test_five_thousand_calls_are_all_written(report):
    calls = [SensitiveCall(pi_type="android_id", api="android.provider.Settings$Secure#getString",
                           caller=f"com.demo.shop.gen.C{i}#m", sdk=None, at_startup=False, via_reflection=False)
             for i in range(5000)]
    wb = workbook(report.model_copy(update={"sensitive_calls": calls}))
    assert wb["敏感行为 Sensitive calls"].max_row == 5001
