"""Policy extraction: formats sniffed from content, encodings detected, structure kept, bad input refused."""

from __future__ import annotations

import codecs

import pytest
from policy_pdfmaker import make_pdf

from hegui.errors import InputError
from hegui.policy import extract_policy
from hegui.policy.extract import decode_text

POLICY_TEXT = (
    "某某应用隐私政策\n"
    "更新日期：2024年3月1日\n"
    "一、我们如何收集和使用您的个人信息\n"
    "为了完成注册，我们会收集您的手机号码。\n"
    "二、如何联系我们\n"
    "您可以发送邮件至 privacy@example.cn 与我们联系，我们将在15个工作日内答复。\n"
)


@pytest.mark.parametrize(
    ("encoding", "payload"),
    [
        ("utf-8", POLICY_TEXT.encode("utf-8")),
        ("utf-8-bom", codecs.BOM_UTF8 + POLICY_TEXT.encode("utf-8")),
        ("gbk", POLICY_TEXT.encode("gbk")),
        ("gb18030", (POLICY_TEXT + "㐀䶵字符扩展\n").encode("gb18030")),
        ("utf-16-le-bom", codecs.BOM_UTF16_LE + POLICY_TEXT.encode("utf-16-le")),
        ("utf-16-be-bom", codecs.BOM_UTF16_BE + POLICY_TEXT.encode("utf-16-be")),
    ],
)
def test_every_supported_encoding_yields_the_same_sections(encoding, payload):
    doc = extract_policy(payload, f"policy.{encoding}")
    assert [s.heading for s in doc.sections] == ["", "一、我们如何收集和使用您的个人信息", "二、如何联系我们"]
    assert doc.sections[1].sentences == ["为了完成注册，我们会收集您的手机号码。"]
    assert "privacy@example.cn" in doc.text


def test_gb18030_four_byte_characters_are_decoded_not_replaced():
    text, encoding = decode_text((POLICY_TEXT + "㐀䶵\n").encode("gb18030"))
    assert encoding == "gb18030"
    assert "㐀䶵" in text


def test_gbk_text_is_not_read_as_utf8():
    _text, encoding = decode_text(POLICY_TEXT.encode("gbk"))
    assert encoding in {"gb18030", "gbk", "gb2312"}


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["BMM_dict.gbk.csv", "applist_360.gbk.csv"])
def test_appch_gbk_originals_decode_like_their_utf8_copies(corpus, name):
    original = (corpus / "appch" / name).read_bytes()
    utf8_copy = (corpus / "appch" / name.replace(".gbk.", ".utf8.")).read_text(encoding="utf-8")
    text, encoding = decode_text(original)
    assert encoding in {"gb18030", "gbk", "gb2312"}
    assert text.splitlines()[:50] == utf8_copy.splitlines()[:50]


def test_html_drops_script_style_and_navigation_and_keeps_headings():
    html = """<!DOCTYPE html><html><head><title>t</title><style>.a{color:red}</style>
    <script>var secret = "收集通讯录";</script></head><body>
    <nav><a href="/">首页</a><a href="/x">关于我们菜单</a></nav>
    <div role="navigation">导航链接</div>
    <h1>隐私政策</h1><p>我们重视您的隐私。</p>
    <h2>一、信息收集</h2><p>我们会收集您的<b>位置信息</b>，用于推荐附近门店。</p>
    <noscript>请启用脚本</noscript></body></html>"""
    doc = extract_policy(html.encode("utf-8"), "assets/privacy.txt")
    assert [s.heading for s in doc.sections] == ["隐私政策", "一、信息收集"]
    assert doc.sections[1].sentences == ["我们会收集您的位置信息，用于推荐附近门店。"]
    for dropped in ("secret", "color:red", "首页", "导航链接", "请启用脚本"):
        assert dropped not in doc.text


def test_html_with_gbk_meta_charset_is_decoded():
    html = '<html><head><meta charset="gbk"></head><body><p>我们收集您的通讯录。</p></body></html>'
    doc = extract_policy(html.encode("gbk"), "p.html")
    assert doc.text == "我们收集您的通讯录。"


def test_html_sdk_table_is_kept_as_rows():
    html = """<html><body><h2>第三方SDK目录</h2><table>
    <tr><th>SDK名称</th><th>公司</th><th>收集的信息</th></tr>
    <tr><td>友盟统计SDK</td><td>友盟同欣（北京）科技有限公司</td><td>设备标识符（IMEI、OAID）</td></tr>
    <tr><td>极光推送</td><td>深圳市和讯华谷信息技术有限公司</td><td>设备信息</td></tr>
    </table></body></html>"""
    doc = extract_policy(html.encode("utf-8"), "p.html")
    assert doc.tables == [[
        ["SDK名称", "公司", "收集的信息"],
        ["友盟统计SDK", "友盟同欣（北京）科技有限公司", "设备标识符（IMEI、OAID）"],
        ["极光推送", "深圳市和讯华谷信息技术有限公司", "设备信息"],
    ]]
    assert "友盟统计SDK | 友盟同欣（北京）科技有限公司 | 设备标识符（IMEI、OAID）" in doc.sections[0].sentences


def test_plain_text_tab_separated_rows_become_a_table():
    text = "第三方SDK清单\nSDK名称\t公司\n个推SDK\t每日互动股份有限公司\n以上为全部SDK。\n"
    doc = extract_policy(text.encode("utf-8"), "p.txt")
    assert doc.tables == [[["SDK名称", "公司"], ["个推SDK", "每日互动股份有限公司"]]]


def test_malformed_html_still_yields_its_text():
    html = "<html><body><p>我们收集<b>您的手机号码<p>用于登录<div><table><tr><td>未闭合"
    doc = extract_policy(html.encode("utf-8"), "p.html")
    assert "我们收集您的手机号码" in doc.text
    assert "用于登录" in doc.text


def test_deeply_nested_html_does_not_overflow_the_stack():
    html = "<html><body>" + "<div>" * 5_000 + "我们收集您的位置信息。" + "</div>" * 5_000 + "</body></html>"
    doc = extract_policy(html.encode("utf-8"), "p.html")
    assert doc.text == "我们收集您的位置信息。"


def test_pdf_is_recognised_by_content_whatever_its_name():
    pdf = make_pdf(["隐私政策", "一、我们如何收集信息", "我们会收集您的IMEI用于安全风控。"])
    doc = extract_policy(pdf, "assets/policy.txt")
    assert [s.heading for s in doc.sections] == ["", "一、我们如何收集信息"]
    assert doc.sections[1].sentences == ["我们会收集您的IMEI用于安全风控。"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "policy document is empty"),
        (b"   \n\t  ", "policy document is empty"),
        (bytes(range(256)) * 40, "binary"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG image"),
        (b"PK\x03\x04" + b"\x00" * 100, "ZIP container"),
        (b"%PDF-1.4\n garbage that is no pdf", "PDF policy cannot be read"),
        (b"<html><body><script>only code</script></body></html>", "no readable text"),
    ],
)
def test_unreadable_input_raises_a_one_line_input_error(payload, reason):
    with pytest.raises(InputError) as err:
        extract_policy(payload, "x")
    message = str(err.value)
    assert reason in message
    assert "\n" not in message


def test_a_character_cut_off_at_the_end_does_not_spoil_the_document():
    data = POLICY_TEXT.encode("utf-8") + "隐".encode()[:2]
    doc = extract_policy(data, "capped.txt")
    assert doc.text.endswith("我们将在15个工作日内答复。")
