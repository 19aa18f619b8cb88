"""What a policy declares: PI types, permissions with purposes, SDKs, and "no sharing"/"no collection" claims."""

from __future__ import annotations

import pytest

from hegui.policy import analyse_policy, extract_policy
from hegui.policy.lexicon import SdkRef, sdk_refs_from_entries

CATALOG = (
    SdkRef(id="umeng", name="友盟+", names=("友盟", "Umeng", "友盟统计"), company="友盟同欣（北京）科技有限公司",
           packages=("com.umeng",), category="analytics"),
    SdkRef(id="getui", name="个推", names=("个推", "Getui"), company="每日互动股份有限公司",
           packages=("com.igexin",), category="push"),
    SdkRef(id="bugly", name="腾讯Bugly", names=("Bugly",), company="深圳市腾讯计算机系统有限公司",
           packages=("com.tencent.bugly",), category="crash"),
    SdkRef(id="tencent_x5", name="腾讯浏览服务", names=("腾讯X5", "TBS"), company="深圳市腾讯计算机系统有限公司",
           packages=("com.tencent.smtt",), category="webview"),
)


def _analyse(text: str, catalog=CATALOG):
    return analyse_policy(extract_policy(text.encode("utf-8"), "policy.txt"), sdk_catalog_override=catalog)


def test_enumerated_identifiers_and_location_are_declared():
    analysis = _analyse("我们会收集您的设备标识符（IMEI、Android ID、OAID）和位置信息，用于安全风控。")
    assert analysis.declared_pi_types == ["android_id", "imei", "location_coarse", "location_precise", "oaid"]
    assert analysis.pi_excerpts["imei"] == "我们会收集您的设备标识符（IMEI、Android ID、OAID）和位置信息，用于安全风控。"


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("我们会读取您的剪切板内容以识别口令。", ["clipboard"]),
        ("我们会获取您的软件安装列表用于安全检测。", ["installed_apps"]),
        ("为保障账号安全，我们会收集国际移动设备识别码。", ["imei"]),
        ("经您授权，我们会读取您的通讯录以便添加好友。", ["contacts"]),
        ("实名认证需要您提供身份证号码。", ["id_card_number"]),
    ],
)
def test_the_many_chinese_names_of_a_pi_type(sentence, expected):
    assert _analyse(sentence).declared_pi_types == expected


def test_generic_and_ambiguous_wording_declares_nothing():
    analysis = _analyse("我们会收集您的设备信息和日志信息。我们会在页面显著位置提示您。操作时会有声音提示。")
    assert analysis.declared_pi_types == []


def test_an_outright_denial_is_recorded_and_not_a_declaration():
    analysis = _analyse("我们不会收集您的通讯录信息。")
    assert analysis.declared_pi_types == []
    assert analysis.denied_pi_types == {"contacts": "我们不会收集您的通讯录信息。"}


def test_a_consent_condition_is_not_a_denial():
    analysis = _analyse("未经您同意，我们不会收集您的通讯录。")
    assert analysis.declared_pi_types == ["contacts"]
    assert analysis.denied_pi_types == {}


def test_permissions_are_declared_and_a_purpose_is_recorded_only_when_stated():
    analysis = _analyse("相机权限：用于扫描二维码。我们可能申请存储权限。")
    assert analysis.declared_permissions == [
        "android.permission.CAMERA", "android.permission.READ_EXTERNAL_STORAGE",
        "android.permission.WRITE_EXTERNAL_STORAGE",
    ]
    assert analysis.permission_purposes == {"android.permission.CAMERA": "相机权限：用于扫描二维码。"}


def test_unconditional_no_sharing_claim_is_flagged():
    analysis = _analyse("我们不会与任何第三方共享您的个人信息。")
    assert analysis.says_no_sharing
    assert analysis.no_sharing_excerpt == "我们不会与任何第三方共享您的个人信息。"


def test_conditional_no_sharing_claim_is_not_flagged():
    assert not _analyse("除以下情形外，未经您同意，我们不会与任何第三方共享您的个人信息。").says_no_sharing


def test_sdk_table_rows_map_to_catalog_ids_and_unknown_names_are_kept():
    html = """<html><body><h2>第三方SDK目录</h2><table>
    <tr><th>SDK名称</th><th>公司</th><th>包名</th></tr>
    <tr><td>友盟统计SDK</td><td>友盟同欣（北京）科技有限公司</td><td>com.umeng</td></tr>
    <tr><td>推送服务</td><td>每日互动股份有限公司</td><td>com.igexin</td></tr>
    <tr><td>某某风控SDK</td><td>某某科技有限公司</td><td>com.moumou.risk</td></tr>
    </table></body></html>"""
    analysis = analyse_policy(extract_policy(html.encode("utf-8"), "p.html"), sdk_catalog_override=CATALOG)
    assert analysis.declared_sdks == ["getui", "umeng"]
    assert analysis.unmatched_sdk_names == ["某某风控SDK"]
    assert analysis.sdk_excerpts["getui"] == "推送服务 | 每日互动股份有限公司 | com.igexin"


def test_a_company_running_several_sdks_does_not_declare_them_all():
    analysis = _analyse("我们的合作方深圳市腾讯计算机系统有限公司会提供技术支持。")
    assert analysis.declared_sdks == []


def test_sdk_named_in_text_with_a_name_label():
    analysis = _analyse("SDK名称：Bugly；使用目的：崩溃分析。SDK名称：神秘统计；使用目的：统计。")
    assert analysis.declared_sdks == ["bugly"]
    assert analysis.unmatched_sdk_names == ["神秘统计"]


def test_sdk_catalog_entries_are_read_from_the_knowledge_format():
    refs = sdk_refs_from_entries([
        {"id": "jpush", "name_zh": "极光推送", "name_en": "JPush", "aliases": ["极光", "JG"],
         "company": "深圳市和讯华谷信息技术有限公司", "packages": ["cn.jpush.android", "cn.jiguang"], "category": "push"},
        {"name_zh": "no id is skipped"},
    ])
    assert refs == (SdkRef(id="jpush", name="极光推送", names=("极光", "极光推送", "JPush"),
                           company="深圳市和讯华谷信息技术有限公司", packages=("cn.jpush.android", "cn.jiguang"),
                           category="push"),)
