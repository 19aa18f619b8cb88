"""Which subject a policy sentence is about: element patterns, and precedence when it borrows another's words.

Each case is one sentence written for this test (not taken from any corpus), with the elements it must prove
and the ones it must not.
"""

from __future__ import annotations

import copy

import pytest

from hegui import knowledge
from hegui.policy import analyse_policy, extract_policy
from hegui.policy.analyse import sentence_elements, sentence_permissions
from hegui.policy.lexicon import lexicon

# (sentence, element it proves, element it must not be counted as)
CASES: list[tuple[str, str | None, str]] = [
    # topics win over the PI inventory: the sentence mentions collected data but is about something else
    ("对于我们收集的您的个人信息，我们将在实现目的所必需的最短期限内保存，期满后删除或匿名化处理。", "retention",
     "pi_inventory_by_function"),
    ("我们采用加密技术和访问控制机制保护您的个人信息，防止其遭到未经授权的访问、泄露或篡改。", None,
     "pi_inventory_by_function"),
    ("安全事件发生后，我们会及时以推送通知、短信等方式告知您事件的基本情况和我们已采取的处置措施。", None,
     "pi_inventory_by_function"),
    ("请您在使用本应用前仔细阅读本政策，点击同意即表示您同意我们按照本政策收集、使用、共享您的个人信息。", None,
     "third_party_sharing"),
    ("如您是未满十四周岁的儿童，我们只会在取得您监护人同意后收集您的昵称。", "minors_rules",
     "pi_inventory_by_function"),
    # sharing: a third party receiving or collecting PI, not a transfer, a legal exception or a source of data
    ("为完成商品配送，我们会将您的收货地址和手机号码提供给合作的物流公司。", "third_party_sharing",
     "pi_inventory_by_function"),
    ("本应用集成的消息推送SDK会收集您的设备型号和网络状态，用于推送消息。", "third_party_sharing",
     "pi_inventory_by_function"),
    ("支付功能由与我们合作的第三方支付机构为您提供。", "third_party_sharing", "pi_inventory_by_function"),
    ("事先获得您的明确同意或授权；", "third_party_sharing", "pi_inventory_by_function"),
    ("如发生合并、收购或破产清算，涉及个人信息转让的，我们会要求新的持有方继续受本政策约束。", None,
     "third_party_sharing"),
    ("根据行政、司法机关依法提出的强制性要求，我们可能会对外披露您的个人信息。", None, "third_party_sharing"),
    ("当您使用第三方账号登录时，我们会从该第三方获取您的昵称和头像，用于创建账号。", "pi_inventory_by_function",
     "third_party_sharing"),
    ("三、我们如何共享、转让、公开披露您的个人信息", None, "third_party_sharing"),
    ("本隐私政策仅适用于我们收集的个人信息，不适用于第三方提供的服务。", None, "third_party_sharing"),
    # the inventory's skeleton: numbered functions, short PI lines, sensitivity and personalisation
    ("2.3 在线客服", "pi_inventory_by_function", "third_party_sharing"),
    ("（4）您的收货地址信息", "pi_inventory_by_function", "user_rights"),
    ("身份证号码属于敏感个人信息，拒绝提供将无法完成实名认证。", "pi_inventory_by_function", "third_party_sharing"),
    ("我们会根据您的浏览记录和搜索历史为您推荐可能感兴趣的商品。", "pi_inventory_by_function", "user_rights"),
    ("发布闲置物品时，您需要提交物品照片和联系方式。", "pi_inventory_by_function", "third_party_sharing"),
    # user rights: deregistration, copies, paths; a question to the operator is not a request
    ("您可以在【我的】-【设置】-【账号与安全】中申请注销账号。", "user_rights", "operator_identity"),
    ("如需获取您的个人信息副本，请通过客服与我们取得联系。", "user_rights", "operator_identity"),
    ("如您对本政策有任何疑问或建议，可以发送邮件至 privacy@example.cn 与我们联系。", "operator_identity",
     "user_rights"),
    ("如您不希望接收我们的营销短信，可以回复短信中的退订指令。", "user_rights", "pi_inventory_by_function"),
    # operator identity: the contact section's own lines
    ("邮政编码：310000", "operator_identity", "pi_inventory_by_function"),
    ("联系电话：0571-88886666", "operator_identity", "user_rights"),
    ("浙江省杭州市西湖区文一西路100号5号楼3层", "operator_identity", "pi_inventory_by_function"),
    ("如监护人发现我们未经同意收集了儿童的个人信息，请联系我们删除。", "minors_rules", "operator_identity"),
]


@pytest.mark.parametrize(("sentence", "proves", "not_this"), CASES, ids=[c[0][:16] for c in CASES])
def test_sentence_subject(sentence, proves, not_this):
    found = sentence_elements(sentence)
    if proves is not None:
        assert proves in found
    assert not_this not in found


def test_section_heading_proves_nothing_about_sharing_or_inventory():
    found = sentence_elements("二、我们如何收集和使用您的个人信息")
    assert not found & {"pi_inventory_by_function", "third_party_sharing"}


def test_precedence_does_not_remove_an_element_from_a_policy_that_states_it_elsewhere():
    text = ("我们采用加密技术保护您的个人信息，防止泄露。\n"
            "为了帮助您完成注册，我们会收集您的手机号码。\n")
    analysis = analyse_policy(extract_policy(text.encode("utf-8"), "policy.txt"))
    hit = analysis.elements["pi_inventory_by_function"]
    assert hit.present
    assert hit.excerpt == "为了帮助您完成注册，我们会收集您的手机号码。"


def test_bare_sensor_word_is_not_the_body_sensors_permission():
    assert "android.permission.BODY_SENSORS" not in sentence_permissions("我们会调用设备传感器权限用于摇一摇功能。")
    assert "android.permission.BODY_SENSORS" in sentence_permissions("我们会申请身体传感器权限以读取您的心率。")


def test_lexicon_rejects_a_precedence_on_an_unknown_subject(monkeypatch):
    raw = copy.deepcopy(knowledge.load_yaml("policy_lexicon.yaml"))
    raw["elements"]["retention"]["yields_to"] = ["no_such_topic"]
    monkeypatch.setattr(knowledge, "load_yaml", lambda name: raw if name == "policy_lexicon.yaml" else {})
    with pytest.raises(ValueError, match="no_such_topic"):
        lexicon.__wrapped__()


def test_lexicon_rejects_a_topic_named_like_an_element(monkeypatch):
    raw = copy.deepcopy(knowledge.load_yaml("policy_lexicon.yaml"))
    raw["topics"]["retention"] = {"patterns": ["保存"]}
    monkeypatch.setattr(knowledge, "load_yaml", lambda name: raw if name == "policy_lexicon.yaml" else {})
    with pytest.raises(ValueError, match="retention"):
        lexicon.__wrapped__()
