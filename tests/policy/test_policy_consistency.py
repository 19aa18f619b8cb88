"""Policy versus behaviour: the observations, and the exact findings the rule engine makes of them."""

from __future__ import annotations

from hegui import knowledge
from hegui.policy import BehaviourFacts, analyse_policy, consistency_observations, extract_policy
from hegui.policy.lexicon import SdkRef
from hegui.rules import engine

CATALOG = (
    SdkRef(id="getui", name="个推", names=("个推",), company="每日互动股份有限公司", packages=("com.igexin",),
           category="push"),
    SdkRef(id="bugly", name="腾讯Bugly", names=("Bugly",), company="深圳市腾讯计算机系统有限公司",
           packages=("com.tencent.bugly",), category="crash"),
)

# A policy with every element, declaring phone number, IMEI and location, the camera permission and Bugly.
COMPLETE_POLICY = """某某商城隐私政策
更新日期：2024年3月1日
本应用由杭州某某网络科技有限公司运营，注册地址：浙江省杭州市西湖区文三路1号。
一、我们如何收集和使用您的个人信息
为了帮助您完成注册，我们会收集您的手机号码。
为保障账号安全，我们会收集您的IMEI和位置信息。
相机权限：用于扫描二维码和拍摄头像。
身份证号码属于敏感个人信息，拒绝提供将无法完成实名认证。
您可以在【我的】-【设置】-【个人信息收集清单】中查看。
二、第三方SDK
我们接入的第三方SDK清单如下。
SDK名称：Bugly；使用目的：崩溃分析；收集信息：设备型号。
我们会与物流服务商共享您的收货地址以完成配送。
三、存储
我们将在您注销账号后6个月内删除您的个人信息。
四、您的权利
您可以在【我的】-【个人资料】中查阅、更正您的个人信息。
您可以在【设置】-【账号与安全】中申请注销账号。
您可以在系统设置中关闭定位权限以撤回授权。
如您不希望接收个性化推荐，可在【设置】-【隐私】中关闭个性化推荐。
为及时推送消息，本应用在后台运行时可能会自启动或被关联启动。
五、未成年人
若您是不满十四周岁的儿童，应在监护人同意后使用本服务。
六、联系我们
如您对个人信息保护有任何投诉或举报，可发送邮件至 pi@example.cn，我们将在15个工作日内答复。
客服电话：400-123-4567。
"""


def _analysis(text: str):
    return analyse_policy(extract_policy(text.encode("utf-8"), "assets/privacy.html"), sdk_catalog_override=CATALOG)


def _findings(observations):
    return [(f.rule_id, f.subject) for f in engine.evaluate(observations)]


def _observe(analysis, facts, source="assets/privacy.html"):
    return consistency_observations(analysis, facts, source, sdk_catalog_override=CATALOG)


def test_the_policy_rule_file_names_only_rulebook_rules():
    rules = knowledge.rulebook()
    policy_triggers = [t for t in knowledge.triggers() if t.origin == "policy.yaml"]
    assert policy_triggers
    assert all(t.rule in rules for t in policy_triggers)


def test_complete_policy_and_matching_behaviour_give_no_findings():
    analysis = _analysis(COMPLETE_POLICY)
    assert [e for e, hit in analysis.elements.items() if not hit.present] == []
    facts = BehaviourFacts(pi_types_by_subject={"app": {"imei", "phone_number"}}, sdk_ids={"bugly"},
                           sdk_categories={"bugly": "crash"}, dangerous_permissions={"android.permission.CAMERA"})
    assert _observe(analysis, facts) == []


def test_no_policy_at_all_is_policy_absent():
    findings = engine.evaluate(consistency_observations(None, BehaviourFacts(), None))
    assert [(f.rule_id, f.subject, f.severity) for f in findings] == [("PI-POLICY-ABSENT", "app", "high")]
    assert findings[0].evidence[0].kind == "policy"


def test_a_policy_url_that_was_not_fetched_claims_nothing():
    assert consistency_observations(None, BehaviourFacts(), "url:https://example.cn/privacy.html") == []


def test_undeclared_pi_of_the_app_and_of_an_sdk():
    facts = BehaviourFacts(pi_types_by_subject={"app": {"imei", "contacts"}, "bugly": {"installed_apps"}},
                           sdk_ids={"bugly"}, sdk_categories={"bugly": "crash"})
    findings = engine.evaluate(_observe(_analysis(COMPLETE_POLICY), facts))
    assert [(f.rule_id, f.subject) for f in findings] == [
        ("PI-NOTICE-PURPOSE-NOT-ENUMERATED", "app"),
        ("PI-NOTICE-PURPOSE-NOT-ENUMERATED", "bugly"),
        ("PI-SDK-BEYOND-DECLARED", "bugly"),
    ]
    app_finding = findings[0]
    assert [(e.kind, e.detail) for e in app_finding.evidence] == [
        ("policy", "assets/privacy.html never names 通讯录 / Contacts / address book [contacts]"),
        ("call", "the app's own code collects 通讯录 / Contacts / address book [contacts]"),
    ]
    assert findings[1].evidence[1].detail == (
        "SDK 腾讯Bugly (bugly, 深圳市腾讯计算机系统有限公司; packages com.tencent.bugly) collects "
        "软件安装列表 (已安装应用列表) / Installed application list [installed_apps]")


def test_collecting_what_the_policy_denies_violates_its_own_rules():
    policy = COMPLETE_POLICY + "我们不会收集您的通讯录信息。\n"
    facts = BehaviourFacts(pi_types_by_subject={"app": {"contacts"}})
    findings = engine.evaluate(_observe(_analysis(policy), facts))
    assert [(f.rule_id, f.subject) for f in findings] == [("PI-COLLECT-VIOLATES-OWN-POLICY", "app")]
    assert findings[0].evidence[0].detail == "assets/privacy.html says: 我们不会收集您的通讯录信息。"


def test_embedded_sdk_missing_from_the_list_is_named_with_its_package():
    facts = BehaviourFacts(sdk_ids={"bugly", "getui"}, sdk_categories={"bugly": "crash", "getui": "push"})
    findings = engine.evaluate(_observe(_analysis(COMPLETE_POLICY), facts))
    assert [(f.rule_id, f.subject) for f in findings] == [("PI-SDK-LIST-MISSING-OR-MISMATCH", "getui")]
    assert [(e.kind, e.detail) for e in findings[0].evidence] == [
        ("sdk", "embedded SDK 个推 (getui, 每日互动股份有限公司; packages com.igexin) is not listed in the policy's SDK list"),
        ("policy", "assets/privacy.html: no mention of 个推"),
    ]


def test_dangerous_permission_without_a_stated_purpose():
    facts = BehaviourFacts(dangerous_permissions={"android.permission.CAMERA", "android.permission.READ_CONTACTS"})
    findings = engine.evaluate(_observe(_analysis(COMPLETE_POLICY), facts))
    assert [(f.rule_id, f.subject) for f in findings] == [("PI-NOTICE-PURPOSE-NOT-ENUMERATED", "app")]
    assert [(e.kind, e.detail) for e in findings[0].evidence] == [
        ("manifest", "requests android.permission.READ_CONTACTS"),
        ("policy", "assets/privacy.html states no purpose for android.permission.READ_CONTACTS"),
    ]


def test_missing_elements_map_to_their_specific_rules():
    bare = "某某隐私政策\n为了帮助您完成注册，我们会收集您的手机号码。\n"
    facts = BehaviourFacts(sdk_ids={"getui"}, sdk_categories={"getui": "push"})
    observations = [o for o in _observe(_analysis(bare), facts) if o.kind == "policy_element_missing"]
    assert _findings(observations) == [
        ("PI-COMPLAINT-CHANNEL-MISSING", "app"),
        ("PI-MINOR-NO-SPECIAL-RULES", "app"),
        ("PI-PUSH-NO-NONTARGETED-OPTION", "app"),
        ("PI-RIGHTS-NO-DELETE-CORRECT-DEREGISTER", "app"),
        ("PI-CONSENT-NO-WITHDRAWAL", "app"),
        ("PI-POLICY-MISSING-ELEMENTS", "app"),
        ("PI-POLICY-NO-COLLECTED-PI-LIST", "app"),
        ("PI-SDK-LIST-MISSING-OR-MISMATCH", "app"),
        ("PI-SERVICE-NO-HOTLINE", "app"),
    ]
    missing = engine.evaluate(observations)[5]
    assert {e.detail.split(": ", 1)[1] for e in missing.evidence} == {
        "no operator_identity (运营者基本情况) found in the policy",
        "no third_party_sharing (向第三方提供个人信息的情形) found in the policy",
        "no sensitive_pi_notice (敏感个人信息的必要性及影响) found in the policy",
        "no retention (保存期限及到期处理) found in the policy",
        "no user_rights (查阅、复制、更正、删除等权利及行使方式) found in the policy",
        "no policy_change_notice (规则变更通知) found in the policy",
    }


def test_permission_and_sdk_lists_are_required_only_when_there_is_something_to_list():
    bare = "某某隐私政策\n为了帮助您完成注册，我们会收集您的手机号码。\n"
    without = {rule for rule, _subject in _findings(_observe(_analysis(bare), BehaviourFacts()))}
    assert "PI-SDK-LIST-MISSING-OR-MISMATCH" not in without
    facts = BehaviourFacts(dangerous_permissions={"android.permission.CAMERA"})
    observations = [o for o in _observe(_analysis(bare), facts) if o.kind == "policy_element_missing"]
    [missing] = [f for f in engine.evaluate(observations) if f.rule_id == "PI-POLICY-MISSING-ELEMENTS"]
    assert "assets/privacy.html: no permission_list (系统权限清单及用途) found in the policy" in {
        e.detail for e in missing.evidence}


def test_push_opt_out_is_only_required_when_a_push_or_ads_sdk_is_embedded():
    bare = "某某隐私政策\n为了帮助您完成注册，我们会收集您的手机号码。\n"
    facts = BehaviourFacts(sdk_ids={"bugly"}, sdk_categories={"bugly": "crash"})
    rules = {rule for rule, _subject in _findings(_observe(_analysis(bare), facts))}
    assert "PI-PUSH-NO-NONTARGETED-OPTION" not in rules


def test_no_sharing_claim_contradicted_by_an_sdk_that_collects():
    policy = COMPLETE_POLICY + "我们不会与任何第三方共享您的个人信息。\n"
    facts = BehaviourFacts(pi_types_by_subject={"bugly": {"imei"}}, sdk_ids={"bugly"},
                           sdk_categories={"bugly": "crash"})
    findings = engine.evaluate(_observe(_analysis(policy), facts))
    assert [(f.rule_id, f.subject) for f in findings] == [("PI-COLLECT-VIOLATES-OWN-POLICY", "bugly")]
    assert [(e.kind, e.detail) for e in findings[0].evidence] == [
        ("policy", "assets/privacy.html says: 我们不会与任何第三方共享您的个人信息。"),
        ("sdk", "third-party SDK 腾讯Bugly (bugly, 深圳市腾讯计算机系统有限公司; packages com.tencent.bugly) collects imei"),
    ]


def test_sensitive_pi_outside_the_app_types_necessary_scope_names_the_type():
    policy = COMPLETE_POLICY + "为了添加好友，我们会读取您的通讯录。\n"
    facts = BehaviourFacts(pi_types_by_subject={"app": {"contacts", "location_precise"}}, app_category=1)
    findings = engine.evaluate(_observe(_analysis(policy), facts))
    assert [(f.rule_id, f.subject) for f in findings] == [("PI-NECESSITY-UNRELATED-COLLECTION", "app")]
    assert [(e.kind, e.detail) for e in findings[0].evidence] == [
        ("call", "app collects 通讯录 / Contacts / address book [contacts]"),
        ("listing", "app type 1 地图导航类 (Maps and navigation): necessary PI is 位置信息、出发地、到达地"),
    ]
