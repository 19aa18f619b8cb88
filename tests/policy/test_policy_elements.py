"""Each mandatory policy element: a sentence that proves it, and a near miss that does not."""

from __future__ import annotations

import pytest

from hegui import knowledge
from hegui.policy import analyse_policy, extract_policy

NEUTRAL = "我们会不断改进产品体验。"

# element id -> (a sentence that proves it, a sentence that must not)
CASES: dict[str, tuple[str, str]] = {
    "operator_identity": ("本应用由杭州某某网络科技有限公司运营，注册地址：浙江省杭州市西湖区文三路1号。",
                          "我们会定期审查本政策。"),
    "pi_inventory_by_function": ("为了帮助您完成注册，我们会收集您的手机号码。", "我们采用加密技术保护数据安全。"),
    "permission_list": ("相机权限：用于扫描二维码和拍摄头像。", "我们会不断改进产品体验。"),
    "sdk_list": ("我们接入的第三方SDK清单如下。", "我们的合作伙伴会遵守法律。"),
    "third_party_sharing": ("我们会与物流服务商共享您的收货地址以完成配送。", "我们会妥善保管您的数据。"),
    "sensitive_pi_notice": ("身份证号码属于敏感个人信息，拒绝提供将无法完成实名认证。", "我们会收集您的昵称。"),
    "collected_pi_list": ("您可以在【我的】-【设置】-【个人信息收集清单】中查看。", "我们会收集您的昵称。"),
    "retention": ("我们将在您注销账号后6个月内删除您的个人信息。", "我们会定期更新产品功能。"),
    "user_rights": ("您可以在【我的】-【个人资料】中查阅、更正您的个人信息。", "我们会收集您的设备型号。"),
    "account_deletion": ("您可以在【设置】-【账号与安全】中申请注销账号。", "您可以随时退出登录。"),
    "consent_withdrawal": ("您可以在系统设置中关闭定位权限以撤回授权。", "我们会在您同意后收集信息。"),
    "complaint_channel": ("如您对个人信息保护有任何投诉或举报，可发送邮件至 pi@example.cn，我们将在15个工作日内答复。",
                          "如您有投诉，请发送邮件至 pi@example.cn。"),
    "personalized_push_optout": ("如您不希望接收个性化推荐，可在【设置】-【隐私】中关闭个性化推荐。",
                                 "我们会根据您的偏好推荐内容。"),
    "self_start_disclosure": ("为及时推送消息，本应用在后台运行时可能会自启动或被关联启动。", "本应用打开时会展示开屏页面。"),
    "policy_change_notice": ("更新日期：2024年3月1日", "我们会收集您的昵称。"),
    "minors_rules": ("若您是不满十四周岁的儿童，应在监护人同意后使用本服务。", "我们会收集您的昵称。"),
    "customer_service_hotline": ("客服电话：400-123-4567（工作日9:00-18:00）。", "您可以通过在线表单提交意见。"),
    "language_simplified_chinese": ("我们会收集您的昵称。", "We collect your e-mail address to create your account."),
}


def _analyse(text: str):
    return analyse_policy(extract_policy(text.encode("utf-8"), "policy.txt"))


def test_every_catalog_element_has_a_case():
    assert set(CASES) == set(knowledge.policy_clauses())


@pytest.mark.parametrize("element", sorted(CASES))
def test_element_is_found_with_the_sentence_that_proves_it(element):
    positive, _negative = CASES[element]
    # the neutral sentence comes first so that "the first sentence" is never the proof by accident
    text = positive if element == "language_simplified_chinese" else f"{NEUTRAL}\n{positive}\n"
    analysis = _analyse(text)
    hit = analysis.elements[element]
    assert hit.present
    assert positive.rstrip("。") in hit.excerpt


@pytest.mark.parametrize("element", sorted(CASES))
def test_element_is_absent_from_a_policy_that_only_comes_close(element):
    _positive, negative = CASES[element]
    analysis = _analyse(f"{negative}\n")
    assert analysis.elements[element].present is False


def test_every_element_key_is_reported_even_for_an_empty_policy():
    analysis = _analyse("关于我们\n")
    assert set(analysis.elements) == set(knowledge.policy_clauses())


def test_complaint_channel_without_response_time_is_absent_but_keeps_the_closest_sentence():
    analysis = _analyse("如您有投诉，请发送邮件至 pi@example.cn。\n")
    hit = analysis.elements["complaint_channel"]
    assert hit.present is False
    assert hit.excerpt == "如您有投诉，请发送邮件至 pi@example.cn。"


def test_complaint_response_time_beyond_fifteen_working_days_does_not_count():
    analysis = _analyse("如您有投诉或举报，请发送邮件至 pi@example.cn，我们将在三十个工作日内答复。\n")
    assert analysis.elements["complaint_channel"].present is False
    assert analysis.complaint_days == (30, "工作日")


def test_complaint_channel_and_response_time_may_be_in_different_sentences():
    analysis = _analyse("个人信息投诉举报：请拨打12345。\n我们将在收到请求后十五日内予以回复。\n")
    hit = analysis.elements["complaint_channel"]
    assert hit.present
    assert hit.excerpt == "个人信息投诉举报：请拨打12345。 … 我们将在收到请求后十五日内予以回复。"


def test_an_overview_sentence_is_not_preferred_as_proof():
    overview = "本政策将帮助您了解：我们如何收集、共享您的个人信息，您如何查阅、删除您的个人信息，以及未成年人保护。"
    specific = "我们会与物流服务商共享您的收货地址以完成配送。"
    analysis = _analyse(f"{overview}\n{specific}\n")
    assert analysis.elements["third_party_sharing"].excerpt == specific
