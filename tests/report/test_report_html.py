"""The HTML report: one self-contained bilingual page a reviewer reads and prints."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from selectolax.lexbor import LexborHTMLParser

from hegui.report.header import ReportHeader
from hegui.report.html import MAX_CALL_ROWS, render_html, shorten_chain
from hegui.report.model import EvidenceItem, Report, Sdk, SensitiveCall
from hegui.report.render import render

WHEN = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


def page(report: Report) -> LexborHTMLParser:
    return LexborHTMLParser(render_html(report, generated_at=WHEN))


def text(node) -> str:
    return " ".join(node.text(separator=" ").split())


def rows(doc: LexborHTMLParser, section: str) -> list[list[str]]:
    return [[text(c) for c in tr.css("td")] for tr in doc.css(f"#{section} table tr") if tr.css("td")]


class TagCollector(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def start_tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    collector = TagCollector()
    collector.feed(html)
    collector.close()
    return collector.tags


def test_render_returns_utf8_html(report):
    data = render(report, "html")
    assert data.startswith(b"<!DOCTYPE html>")
    assert "演示商城 DemoShop".encode() in data


def test_section_headings_are_chinese_first_with_english_alongside(report):
    assert [text(h) for h in page(report).css("h2")] == [
        "检测概要 Summary", "检测结论 Findings", "第三方SDK Third-party SDKs", "敏感行为 Sensitive calls",
        "权限 Permissions", "隐私政策 Privacy policy", "检测异常 Errors", "签字 Signatures",
    ]


def test_header_identifies_app_file_signer_time_and_tool(report):
    head = page(report).css_first("header")
    cells = {text(tr.css_first("th")): text(tr.css_first("td")) for tr in head.css("tr")}
    assert cells["应用名称 App"] == "演示商城 DemoShop"
    assert cells["包名 Package"] == "com.demo.shop"
    assert cells["版本 Version"] == "1.2.0 (12)"
    assert cells["SHA-256"] == report.input.sha256
    assert cells["签名证书 Signers"] == "ab" * 32 + " [v2] CN=Demo Shop, O=Demo, C=CN"
    assert cells["报告生成时间 Generated"] == "2025-03-01 08:30:00 UTC"
    assert cells["检测工具 Tool"] == "hegui 0.1.0 (report schema 1)"


@pytest.mark.parametrize(("kind", "shown"), [("apk", "应用 App (APK)"), ("aar", "SDK 包 SDK package (AAR)"),
                                            ("jar", "SDK 包 SDK package (JAR)"), (None, None)])
def test_header_says_whether_an_app_or_an_sdk_package_was_scanned(report, kind, shown):
    scanned = report.model_copy(update={"input": report.input.model_copy(update={"kind": kind})})
    cells = {text(tr.css_first("th")): text(tr.css_first("td")) for tr in page(scanned).css("header tr")}
    assert cells.get("类型 Kind") == shown


def test_summary_counts_findings_by_severity_and_gives_a_verdict(report):
    summary = page(report).css_first("#summary")
    counts = [text(d) for d in summary.css(".summary > div")]
    assert counts == ["严重 Critical 2", "高 High 1", "中 Medium 1", "低 Low 1"]
    assert text(summary.css_first(".verdict")) == (
        "存在高风险违规问题，须在上架或复检前完成整改 High-risk violations found: fix them before release or re-inspection")


def test_verdict_of_a_report_without_findings_says_none_were_found(report):
    clean = report.model_copy(update={"findings": []})
    assert text(page(clean).css_first(".verdict")).startswith("本次检测未发现违规问题")


def test_findings_are_grouped_most_severe_first_whatever_the_input_order(report):
    shuffled = report.model_copy(update={"findings": list(reversed(report.findings))})
    doc = page(shuffled)
    assert [text(n) for n in doc.css("#findings .finding .rule")] == [
        "PI-COLLECT-BEFORE-CONSENT", "PI-SDK-COLLECT-BEFORE-CONSENT", "PI-SDK-LIST-MISSING-OR-MISMATCH",
        "PI-DEVICE-ID-NONRESETTABLE", "PI-NOTICE-OBSCURE-TEXT"]
    assert [text(h) for h in doc.css("#findings > h3")] == [
        "严重 Critical 2 项 / items", "高 High 1 项 / items", "中 Medium 1 项 / items", "低 Low 1 项 / items"]


def test_finding_shows_titles_clauses_subject_evidence_and_remediation_in_both_languages(report):
    first = page(report).css_first("#findings .finding")
    assert text(first.css_first("h3")) == (
        "PI-COLLECT-BEFORE-CONSENT 征得用户同意前收集个人信息或打开权限 "
        "PI collected or permissions requested before the user consents")
    cells = {text(tr.css_first("th")): tr.css_first("td") for tr in first.css("tr")}
    assert text(cells["涉及对象 Subject"]) == "应用自身 The app itself"
    clauses = [text(li) for li in cells["法规依据 Clauses"].css("li")]
    assert clauses[:3] == ["国信办秘字〔2019〕191号 三.1", "工信部信管函〔2020〕164号 三.1", "工信部信管函〔2019〕337号 1"]
    assert "《中华人民共和国个人信息保护法》 第十三条, 第十四条" in clauses
    assert cells["法规依据 Clauses"].css("li")[1].attributes["title"].startswith(
        "工业和信息化部关于开展纵深推进APP侵害用户权益专项整治行动的通知 / MIIT notice")
    assert [text(li) for li in cells["证据 Evidence"].css("li")] == [
        "[代码调用 call] android.telephony.TelephonyManager#getDeviceId called from com.demo.shop.ShopApp#collectIds"]
    assert text(cells["整改建议 Remediation"]) == (
        report.findings[0].remediation.zh + " " + report.findings[0].remediation.en)


def test_header_names_the_testing_body_number_date_and_app_type(report):
    header = ReportHeader(testing_body_zh="某省通信管理局检测中心", testing_body_en="Provincial test centre",
                          number_scheme="GD-{date:%Y}-{package}-{sha8}", tester="张三")
    typed = report.model_copy(update={"app": report.app.model_copy(update={"app_type": 6,
                                                                          "app_type_source": "inferred"})})
    doc = LexborHTMLParser(render_html(typed, generated_at=WHEN, header=header))
    cells = {text(tr.css_first("th")): text(tr.css_first("td")) for tr in doc.css("header tr")}
    assert cells["检测机构 Testing body"] == "某省通信管理局检测中心 Provincial test centre"
    assert cells["报告编号 Report number"] == f"GD-2025-com.demo.shop-{report.input.sha256[:8]}"
    assert cells["报告日期 Report date"] == "2025-03-01"
    assert cells["应用类型 App type"] == "网上购物类 Online shopping（自动推断 inferred）"
    assert rows(doc, "signatures")[0] == ["张三", "", ""]


def test_without_a_header_the_report_has_a_default_number_and_empty_signature_lines(report):
    cells = {text(tr.css_first("th")): text(tr.css_first("td")) for tr in page(report).css("header tr")}
    assert cells["检测机构 Testing body"] == "—"
    assert cells["报告编号 Report number"] == f"HEGUI-20250301-{report.input.sha256[:8]}"
    assert cells["应用类型 App type"] == "未确定 Not determined"
    assert rows(page(report), "signatures") == [["", "", ""], ["日期 Date：", "日期 Date：", "日期 Date："]]


def test_summary_lists_each_rule_broken_with_clause_names_most_severe_first(report):
    summary = [[text(c) for c in tr.css("td")] for tr in page(report).css("#rule-summary tr") if tr.css("td")]
    assert [r[0] for r in summary] == ["严重 Critical", "严重 Critical", "高 High", "中 Medium", "低 Low"]
    first = summary[0]
    assert first[1].endswith("PI-COLLECT-BEFORE-CONSENT")
    assert "工信部信管函〔2020〕164号" in first[2] and "MIIT" not in first[2]


def test_summary_lists_sdks_with_their_operators(report):
    summary = [[text(c) for c in tr.css("td")] for tr in page(report).css("#sdk-summary tr") if tr.css("td")]
    assert summary == [["友盟+ (Umeng)", "北京锐讯灵通科技有限公司", "统计分析 Analytics"]]


def test_a_long_call_chain_shows_its_entry_point_and_the_collecting_call():
    chain = " → ".join(f"a.B{i}#m" for i in range(30))
    assert shorten_chain(chain) == "a.B0#m → a.B1#m → …（省略 26 层 / 26 more calls）… → a.B28#m → a.B29#m"
    assert shorten_chain("a.A#m → a.B#m → a.C#m") == "a.A#m → a.B#m → a.C#m"


def test_evidence_beyond_the_first_lines_is_folded_shortest_first(report, make_finding):
    details = [f"line {'x' * n}" for n in (30, 5, 20, 10, 1)]
    finding = make_finding("PI-CLIPBOARD-READ", "app", [("call", d) for d in details])
    doc = page(report.model_copy(update={"findings": [finding]}))
    article = doc.css_first("#findings .finding")
    folded = [text(li) for li in article.css("details li")]
    shown = [t for li in article.css("li") if (t := text(li)).startswith("[") and t not in folded]
    assert [s.split("] ")[1] for s in shown] == ["line x", "line xxxxx", "line xxxxxxxxxx"]
    assert [s.split("] ")[1] for s in folded] == ["line " + "x" * 20, "line " + "x" * 30]


def test_sdk_finding_names_the_sdk(report):
    sdk_finding = page(report).css("#findings .finding")[1]
    subject = next(tr for tr in sdk_finding.css("tr") if text(tr.css_first("th")) == "涉及对象 Subject")
    assert text(subject.css_first("td")) == "第三方SDK Third-party SDK：友盟+ (Umeng) umeng"


def test_sdk_table_lists_name_company_packages_and_evidence(report):
    assert rows(page(report), "sdks") == [[
        "友盟+ (Umeng)", "umeng", "北京锐讯灵通科技有限公司", "统计分析 Analytics", "com.umeng",
        "class com.umeng.commonsdk.UMConfigure"]]


def test_sensitive_calls_name_pi_types_in_both_languages_startup_first(report):
    calls = list(reversed(report.sensitive_calls))
    doc = page(report.model_copy(update={"sensitive_calls": calls}))
    assert rows(doc, "calls") == [
        ["国际移动设备识别码 (IMEI) IMEI (GSM/UMTS/LTE device identity)", "android.telephony.TelephonyManager#getDeviceId",
         "com.demo.shop.ShopApp#collectIds", "应用自身 app", "是 Yes", "否 No"],
        ["安卓ID (Android ID / SSAID) Android ID (Settings.Secure.ANDROID_ID)", "android.provider.Settings$Secure#getString",
         "com.umeng.commonsdk.statistics.common.DeviceConfig#getAndroidID", "友盟+ (Umeng)", "否 No", "否 No"],
    ]
    assert doc.css("#calls tr.danger")[0].css("td")[2].text() == "com.demo.shop.ShopApp#collectIds"


def test_dangerous_permissions_are_highlighted_and_listed_first(report):
    doc = page(report)
    table = rows(doc, "permissions")
    assert [r[:2] for r in table] == [
        ["android.permission.ACCESS_FINE_LOCATION", "危险 Dangerous"],
        ["android.permission.READ_PHONE_STATE", "危险 Dangerous"],
        ["android.permission.INTERNET", "普通 Normal"],
    ]
    assert "国际移动设备识别码 (IMEI)" in table[1][2]
    assert [text(tr.css_first("td")) for tr in doc.css("#permissions tr.danger")] == [
        "android.permission.ACCESS_FINE_LOCATION", "android.permission.READ_PHONE_STATE"]


def test_policy_elements_show_present_and_missing(report):
    doc = page(report)
    assert rows(doc, "policy")[:2] == [
        ["运营者基本情况 operator_identity", "✓ 已包含 Present", ""],
        ["第三方SDK目录 sdk_list", "✗ 缺失 Missing", ""],
    ]
    assert "来源 Source： assets/privacy.html" in text(doc.css_first("#policy"))
    assert "本机手机号码" in text(doc.css_first("#policy"))


def test_present_elements_show_the_sentence_that_proves_them(report):
    with_excerpt = report.model_copy(update={"policy": report.policy.model_copy(
        update={"excerpts": {"operator_identity": "本应用由示例科技有限公司运营，联系邮箱 <b>dpo@example.cn</b>"}})})
    doc = page(with_excerpt)
    assert rows(doc, "policy")[0] == ["运营者基本情况 operator_identity", "✓ 已包含 Present",
                                      "本应用由示例科技有限公司运营，联系邮箱 <b>dpo@example.cn</b>"]
    assert doc.css_first("#policy b") is None  # the excerpt is text, never markup


def test_missing_policy_is_stated(report):
    no_policy = report.model_copy(update={"policy": report.policy.model_copy(update={"found": False})})
    assert "未找到隐私政策。 No privacy policy found." in text(page(no_policy).css_first("#policy"))


def test_errors_are_listed(report):
    assert rows(page(report), "errors") == [["dex", "classes3.dex: truncated map list"]]


def test_summary_warns_that_a_partly_read_input_gives_incomplete_results(report):
    banner = page(report).css_first("#summary .incomplete")
    assert text(banner) == ("⚠ 本次检测有 1 处未能完整读取或分析，结论可能不完整，详见“检测异常”一节。 This scan could not read "
                            "or analyse 1 part(s) completely; the results may be incomplete (see the Errors section).")


def test_summary_of_a_complete_scan_has_no_incomplete_banner(report):
    assert page(report.model_copy(update={"errors": []})).css_first("#summary .incomplete") is None


def test_page_is_self_contained_and_has_no_script(report):
    html = render_html(report, generated_at=WHEN)
    tags = start_tags(html)
    assert not [t for t, _ in tags if t in {"script", "link", "img", "iframe", "object", "embed"}]
    assert not [(t, a) for t, attrs in tags for a, _ in attrs if a in {"src", "href"} or a.startswith("on")]
    assert "@media print" in html


HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_ATTR = '"><img src=x onerror=alert(2)>'
HOSTILE_URL = "javascript:alert(3)"


def test_hostile_apk_strings_are_escaped_everywhere(report, make_finding):
    hostile = report.model_copy(deep=True)
    hostile.app.label = HOSTILE_SCRIPT + HOSTILE_ATTR
    hostile.app.package = HOSTILE_URL
    hostile.sdks.append(Sdk(id="evil", name=HOSTILE_URL + HOSTILE_SCRIPT, company=HOSTILE_ATTR,
                            packages=[HOSTILE_ATTR], evidence=[HOSTILE_SCRIPT]))
    hostile.sensitive_calls.append(SensitiveCall(pi_type="imei", api="android.telephony.TelephonyManager#getImei",
                                                 caller=HOSTILE_ATTR, sdk="evil", at_startup=True,
                                                 via_reflection=True))
    hostile.findings.append(make_finding("PI-APPLIST-COLLECTION", "evil", [
        ("call", HOSTILE_ATTR), ("string", HOSTILE_SCRIPT), ("policy", HOSTILE_URL)]))
    hostile.findings[0].evidence.append(EvidenceItem(kind="policy", detail=f"<a href='{HOSTILE_URL}'>x</a>"))
    hostile.policy.source = HOSTILE_ATTR
    hostile.errors[0].message = HOSTILE_SCRIPT

    html = render_html(hostile, generated_at=WHEN)
    tags = start_tags(html)
    assert not [t for t, _ in tags if t in {"script", "img", "a"}]
    assert not [a for _, attrs in tags for a, _ in attrs if a.startswith("on")]
    assert not [v for _, attrs in tags for _, v in attrs if v and "javascript:" in v.lower()]
    # The text is still there for the reviewer to read, as text.
    doc = LexborHTMLParser(html)
    header = {text(tr.css_first("th")): tr.css_first("td").text() for tr in doc.css("header tr")}
    assert header["应用名称 App"] == HOSTILE_SCRIPT + HOSTILE_ATTR
    assert HOSTILE_SCRIPT + HOSTILE_ATTR in doc.css_first("title").text()
    assert doc.css("#sdks tr")[-1].css("td")[0].text() == HOSTILE_URL + HOSTILE_SCRIPT
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("n_calls", [5000])
def test_five_thousand_calls_render_a_capped_table(report, n_calls):
    calls = [SensitiveCall(pi_type="android_id", api="android.provider.Settings$Secure#getString",
                           caller=f"com.demo.shop.gen.C{i}#m{i}", sdk=None, at_startup=i % 7 == 0,
                           via_reflection=False) for i in range(n_calls)]
    big = report.model_copy(update={"sensitive_calls": calls})
    html = render_html(big, generated_at=WHEN)
    doc = LexborHTMLParser(html)
    assert len(rows(doc, "calls")) == MAX_CALL_ROWS
    more = n_calls - MAX_CALL_ROWS
    assert text(doc.css_first("#calls .more")) == (
        f"… 另有 {more} 条未列出 / {more} more not shown (完整数据见 JSON 报告 / see the JSON report)")
    assert all(r[4] == "是 Yes" for r in rows(doc, "calls")[: (n_calls + 6) // 7])


def test_oversized_apk_strings_are_cut(report):
    huge = report.model_copy(deep=True)
    huge.app.label = "长" * 100_000
    huge.findings[0].evidence[0].detail = "x" * 100_000
    html = render_html(huge, generated_at=WHEN)
    doc = LexborHTMLParser(html)
    label = {text(tr.css_first("th")): tr.css_first("td").text() for tr in doc.css("header tr")}["应用名称 App"]
    assert label == "长" * 2000 + "…"
    assert len(html) < len(render_html(report, generated_at=WHEN)) + 10_000
