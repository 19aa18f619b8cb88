"""Excerpts that prove: the sentence cited for an element is the one that satisfies it, never a heading, a
table-of-contents line, a preamble, a definition or a metadata line; negated lead-ins govern their list;
operator identity needs a legal name and a contact; a bilingual page is Chinese."""

from __future__ import annotations

import pytest

from hegui.policy import analyse_policy, extract_policy


def _analyse(text: str, name: str = "policy.txt"):
    return analyse_policy(extract_policy(text.encode("utf-8"), name))


def test_a_heading_with_a_body_is_proved_by_the_body_sentence():
    analysis = _analyse("隐私政策\n六、我们如何保存您的个人信息\n我们仅在实现目的所必需的最短时间内保留您的个人信息，期满后删除。\n")
    assert analysis.elements["retention"].present
    assert analysis.elements["retention"].excerpt == "我们仅在实现目的所必需的最短时间内保留您的个人信息，期满后删除。"


def test_a_table_of_contents_line_is_not_cited_when_its_section_says_more():
    analysis = _analyse(
        "隐私政策\n本政策将帮助您了解以下内容：\n1. 我们如何收集信息\n2. 本政策如何更新\n"
        "一、我们如何收集信息\n注册时我们会收集您的手机号码，用于创建账号。\n"
        "二、本政策如何更新\n本政策更新后，我们会在您下次打开应用时以弹窗方式通知您。\n")
    assert analysis.elements["policy_change_notice"].excerpt == "本政策更新后，我们会在您下次打开应用时以弹窗方式通知您。"
    assert analysis.elements["pi_inventory_by_function"].excerpt == "注册时我们会收集您的手机号码，用于创建账号。"


def test_a_preamble_alone_proves_no_user_rights():
    analysis = _analyse("隐私政策\n本政策将帮助您了解以下内容：您的权利、我们如何保护您的个人信息。\n")
    assert not analysis.elements["user_rights"].present


def test_a_metadata_line_is_cited_only_when_nothing_better_exists():
    with_notice = _analyse("隐私政策\n更新日期：2024年1月1日\n本政策修订后，我们会通过站内信通知您。\n")
    assert with_notice.elements["policy_change_notice"].excerpt == "本政策修订后，我们会通过站内信通知您。"
    date_only = _analyse("隐私政策\n更新日期：2024年1月1日\n我们会收集您的手机号码用于登录。\n")
    assert date_only.elements["policy_change_notice"].excerpt == "更新日期：2024年1月1日"


def test_a_date_set_as_a_heading_still_dates_the_policy():
    analysis = _analyse("# 隐私政策\n我们会收集您的手机号码用于登录。\n**更新日期：2025年10月24日**\n", "p.md")
    assert analysis.elements["policy_change_notice"].excerpt == "**更新日期：2025年10月24日**"


def test_a_definition_of_sensitive_information_is_no_sensitive_pi_notice():
    definition = _analyse("隐私政策\n敏感个人信息是指一旦泄露可能危害人身和财产安全的个人信息。\n")
    assert not definition.elements["sensitive_pi_notice"].present
    notice = _analyse("隐私政策\n您的身份证号码属于敏感个人信息，拒绝提供将无法完成实名认证。\n")
    assert notice.elements["sensitive_pi_notice"].excerpt == "您的身份证号码属于敏感个人信息，拒绝提供将无法完成实名认证。"


def test_a_security_measure_about_sensitive_data_is_no_sensitive_pi_notice():
    analysis = _analyse("隐私政策\n我们对敏感个人信息采用加密存储等安全措施，防止泄露。\n")
    assert not analysis.elements["sensitive_pi_notice"].present


def test_a_negated_lead_in_denies_the_items_listed_under_it():
    denied = _analyse("隐私政策\n我们不会收集以下信息：\n- 通讯录\n- 通话记录\n")
    assert denied.declared_pi_types == []
    assert sorted(denied.denied_pi_types) == ["call_log", "contacts"]
    collected = _analyse("隐私政策\n为了添加好友，我们会收集以下信息：\n- 通讯录\n")
    assert collected.declared_pi_types == ["contacts"]


def test_a_statement_that_nothing_is_collected_or_shared_proves_neither():
    analysis = _analyse("隐私政策\n本应用不收集任何个人信息。\n我们不会与任何第三方分享您的个人信息。\n")
    assert not analysis.elements["pi_inventory_by_function"].present
    assert not analysis.elements["third_party_sharing"].present


def test_an_english_negation_in_a_bilingual_policy_denies_collection():
    analysis = _analyse("Privacy Policy\nWe do not collect your location or IP address.\n")
    assert analysis.declared_pi_types == []


@pytest.mark.parametrize(
    ("text", "present"),
    [
        ("隐私政策\n本应用由上海示例网络科技有限公司运营。\n如有疑问，请发送邮件至privacy@example.com。\n", True),
        # a contact without the operator's legal name
        ("隐私政策\n如有疑问，请通过应用内的联系方式与我们联系。\n请发送邮件至privacy@example.com。\n", False),
        # an SDK vendor's name is not the operator
        ("隐私政策\n第三方名称：微软（中国）有限公司\n请发送邮件至privacy@example.com。\n", False),
        # the legal name without any way to reach it
        ("隐私政策\n本应用由上海示例网络科技有限公司运营。\n如有疑问，请联系我们。\n", False),
    ],
)
def test_operator_identity_needs_the_legal_name_and_a_contact(text, present):
    assert _analyse(text).elements["operator_identity"].present is present


def test_a_chinese_text_next_to_an_english_one_is_chinese():
    text = (
        "# 隐私政策 | Privacy Policy\n"
        "我们不会收集您的任何个人信息。\nWe do not collect any of your personal information at any time.\n"
        "所有数据都保存在您的设备上。\nAll data is kept on your device and never leaves it.\n"
        "我们可能会不时更新本政策。\nWe may update this policy from time to time, so check it now and then.\n")
    assert _analyse(text, "PRIVACY.md").elements["language_simplified_chinese"].present


def test_an_english_policy_naming_its_company_in_chinese_is_not_chinese():
    text = ("Privacy Policy\nThis app is operated by 示例科技.\nWe collect your e-mail address to create an account.\n"
            "We keep it until you delete the account.\nContact us at privacy@example.com with any question.\n")
    assert not _analyse(text).elements["language_simplified_chinese"].present


def test_line_breaks_inside_html_text_are_spaces():
    html = "<html><body><p>在您使用本应用时，您需提供\n  <strong>统一认证账号</strong> 及相关信息。</p></body></html>"
    doc = extract_policy(html.encode("utf-8"), "policy.html")
    assert [s for _h, s in doc.sentences()] == ["在您使用本应用时，您需提供 统一认证账号 及相关信息。"]


def test_markdown_with_a_stray_html_tag_keeps_its_headings_and_lines():
    doc = extract_policy("# 隐私政策\n我们会收集您的手机号码。<br>\n## 第三方SDK\n极光推送\n".encode(), "p.md")
    assert [sec.heading for sec in doc.sections] == ["# 隐私政策", "## 第三方SDK"]
    assert doc.sections[0].sentences == ["我们会收集您的手机号码。"]


def test_html_text_straight_under_body_keeps_its_lines():
    doc = extract_policy("<html><body>我们会收集您的手机号码。<br>\n我们不会出售您的信息。\n</body></html>".encode(), "p.html")
    assert [s for _h, s in doc.sentences()] == ["我们会收集您的手机号码。", "我们不会出售您的信息。"]


def test_markdown_headings_and_bold_lines_are_headings():
    doc = extract_policy("# 隐私政策\n**一、我们收集的信息**\n我们会收集您的手机号码。\n".encode(), "p.md")
    assert [sec.heading for sec in doc.sections] == ["# 隐私政策", "**一、我们收集的信息**"]
    assert doc.sections[1].sentences == ["我们会收集您的手机号码。"]


def test_a_line_ending_in_a_colon_is_a_lead_in_only_when_it_announces_a_list():
    contact = _analyse("隐私政策\n如有疑问，您可通过客服电话（4000188113）或寄送材料与我们联系:\n邮寄地址：上海市某区某路1号\n")
    assert contact.elements["customer_service_hotline"].excerpt == "如有疑问，您可通过客服电话（4000188113）或寄送材料与我们联系:"
    listing = _analyse("隐私政策\n注册时我们会收集以下信息：\n- 手机号码，用于创建账号；\n")
    assert listing.elements["pi_inventory_by_function"].excerpt == "- 手机号码，用于创建账号；"


def test_a_request_to_read_inside_a_sentence_does_not_make_it_a_preamble():
    notice = _analyse("隐私政策\n当本指引发生变更时，我们会通过弹窗的方式告知您变更后的内容，请您仔细阅读变更后的指引。\n")
    assert notice.elements["policy_change_notice"].excerpt == \
        "当本指引发生变更时，我们会通过弹窗的方式告知您变更后的内容，请您仔细阅读变更后的指引。"
    preamble = _analyse("隐私政策\n在使用我们的服务前，请您仔细阅读本政策的变更内容。\n")
    assert not preamble.elements["policy_change_notice"].present


def test_a_privacy_statement_is_a_policy_whose_changes_are_notified():
    counts = _analyse("隐私声明\n我们可能会定期更新此隐私声明，如果进行任何重大更改，我们会在应用内发布通知。\n")
    assert counts.elements["policy_change_notice"].present
    near_miss = _analyse("隐私声明\n我们可能会在应用内发布活动通知。\n")
    assert not near_miss.elements["policy_change_notice"].present


def test_the_complaint_handling_time_is_the_one_promised_for_complaints():
    analysis = _analyse("隐私政策\n您可发送邮件访问您的信息，我们将在15天内回应您的访问请求。\n"
                        "如需投诉举报，请访问举报平台。我们承诺在收到举报后15日内给予答复。\n")
    assert analysis.elements["complaint_channel"].excerpt == "如需投诉举报，请访问举报平台。 … 我们承诺在收到举报后15日内给予答复。"


@pytest.mark.parametrize(
    ("counts", "near_miss"),
    [
        # a link to a third party's site is not a provision of PI
        ("我们会将您的订单信息提供给配送服务商，以完成配送。", "我们通过广告向您提供链接，使您可以接入第三方的服务或网站。"),
        # information about you that others share with us is a source, not a sharing
        ("我们会与合作伙伴共享您的设备信息，用于广告归因。", "其他方使用我们的服务时所提供有关您的共享信息。"),
        # a prohibition addressed to the user
        ("我们可能向支付机构提供您的订单号，以完成支付。", "您不能以任何形式向任何第三方提供地图数据。"),
        # our own platform's service is not someone else's
        ("当您使用第三方支付公司提供的支付服务时，该公司会获取您的订单信息。", "您在使用本应用平台提供的搜索服务时输入的关键字信息。"),
    ],
)
def test_a_sharing_counts_and_its_near_miss_does_not(counts, near_miss):
    assert _analyse("隐私政策\n" + counts + "\n").elements["third_party_sharing"].present
    assert not _analyse("隐私政策\n" + near_miss + "\n").elements["third_party_sharing"].present


def test_a_recipient_bound_to_confidentiality_is_still_a_recipient():
    analysis = _analyse("隐私政策\n我们可能会将包含您个人信息的资料提供给承担保密义务的关联公司。\n")
    assert analysis.elements["third_party_sharing"].present
    measure = _analyse("隐私政策\n我们与员工签署保密协议，防止个人信息泄露。\n")
    assert not measure.elements["third_party_sharing"].present


def test_a_table_header_row_is_a_label_of_the_rows_below():
    analysis = _analyse("隐私政策\n\n| 权限名称 | 使用目的 |\n|---|---|\n| 相机权限 | 用于扫码登录 |\n", "policy.md")
    assert analysis.elements["permission_list"].excerpt == "相机权限 | 用于扫码登录"


def test_an_enumeration_of_rights_proves_the_rights_and_the_withdrawal():
    analysis = _analyse("隐私政策\n您可以通过查询、复制、更正、删除、撤回授权等方式管理您的个人信息。\n")
    assert analysis.elements["user_rights"].present
    assert analysis.elements["consent_withdrawal"].present
    only_withdrawal = _analyse("隐私政策\n您可以在系统设置中关闭相机权限，撤回授权。\n")
    assert not only_withdrawal.elements["user_rights"].present


def test_a_lead_in_naming_the_recipients_proves_the_sharing():
    analysis = _analyse("隐私政策\n我们可能将您的个人信息与我们的关联公司、合作伙伴分享，用作下列用途：\n- 向您提供服务；\n")
    assert analysis.elements["third_party_sharing"].excerpt == "我们可能将您的个人信息与我们的关联公司、合作伙伴分享，用作下列用途："


def test_the_user_withdrawing_consent_is_cited_before_other_ways_of_saying_it():
    analysis = _analyse("隐私政策\n您可以在系统设置中管理权限，如需关闭，请前往设置。\n撤回同意：您可随时撤回对本政策的同意。\n")
    assert analysis.elements["consent_withdrawal"].excerpt == "撤回同意：您可随时撤回对本政策的同意。"


def test_a_row_of_collected_data_is_no_statement_of_user_rights():
    analysis = _analyse("隐私政策\n\n| 个人信息 | 场景 |\n|---|---|\n| 电子邮件地址 | 用户修改绑定邮箱时 |\n", "policy.md")
    assert not analysis.elements["user_rights"].present


def test_a_link_to_an_sdk_list_published_elsewhere_is_not_the_list():
    linked = _analyse("隐私政策\n本软件接入第三方SDK，详情请见[《第三方SDK清单》](https://example.com/sdk)。\n")
    assert not linked.elements["sdk_list"].present
    listed = _analyse("隐私政策\n我们接入的第三方SDK清单如下：\nSDK名称：友盟统计SDK，用于统计分析。\n")
    assert listed.elements["sdk_list"].present


def test_a_table_row_says_nothing_about_policy_changes():
    analysis = _analyse("隐私政策\n\n| SDK名称 | 场景 |\n|---|---|\n| 易盾SDK | 当您登录时，协议更新后 |\n", "policy.md")
    assert not analysis.elements["policy_change_notice"].present


def test_android_shared_storage_is_no_sharing():
    analysis = _analyse("隐私政策\n存储权限：允许应用访问用户共享集合中保留的地理位置，用于显示天气。\n")
    assert not analysis.elements["third_party_sharing"].present


def test_asking_users_not_to_submit_sensitive_data_is_no_sensitive_pi_notice():
    asked = _analyse("隐私政策\n请不要在反馈中提交密码、支付卡号或其他不必要的敏感信息。\n")
    assert not asked.elements["sensitive_pi_notice"].present
    notice = _analyse("隐私政策\n身份证号码属于敏感个人信息，我们收集它是为了完成实名认证，拒绝提供将无法使用支付功能。\n")
    assert notice.elements["sensitive_pi_notice"].present


def test_an_individual_developer_named_with_a_contact_is_the_operator():
    named = _analyse("隐私政策\n我们会收集您的手机号码用于登录。\n联系邮箱：dev@example.com\n开发者：张小明\n")
    assert named.elements["operator_identity"].present
    unnamed = _analyse("隐私政策\n我们会收集您的手机号码用于登录。\n联系邮箱：dev@example.com\n开发者：\n")
    assert not unnamed.elements["operator_identity"].present


def test_markdown_front_matter_is_metadata():
    analysis = _analyse("---\ntitle: 某某接入第三方SDK明细及权限说明\ndate: 2022/8/28\n---\n我们会收集您的手机号码用于登录。\n", "p.md")
    assert not analysis.elements["permission_list"].present


def test_a_numbered_label_ending_in_a_full_stop_is_proved_by_the_next_sentence():
    analysis = _analyse("隐私政策\n1、存储期限。\n我们仅在实现目的所需的期限内保留您的个人信息，期满后删除。\n")
    assert analysis.elements["retention"].excerpt == "我们仅在实现目的所需的期限内保留您的个人信息，期满后删除。"


@pytest.mark.parametrize(
    ("element", "counts", "near_miss"),
    [
        # an age limit is a rule for minors
        ("minors_rules", "如果您未满13岁，您不能使用我们提供的任何服务。", "我们的服务面向13岁以上的广大用户，欢迎使用。"),
        # switching an option off withdraws the consent it gave
        ("consent_withdrawal", "您可以随时在【设置】中关闭或打开该选项。", "您可以随时在【设置】中查看该选项。"),
        ("consent_withdrawal", "您可以选择停用应用程序收集您的位置信息。", "应用程序会收集您的位置信息用于导航。"),
        # keeping data while the account is valid is a retention period
        ("retention", "我们会在您的帐户有效期内保留信息。", "您的帐户有效期为一年，到期可续费。"),
        # opting out of interest-based advertising
        ("personalized_push_optout", "您可以在系统设置中选择退出兴趣导向广告。", "我们会在应用内展示广告。"),
    ],
)
def test_an_element_phrase_counts_and_its_near_miss_does_not(element, counts, near_miss):
    assert _analyse("隐私政策\n" + counts + "\n").elements[element].present
    assert not _analyse("隐私政策\n" + near_miss + "\n").elements[element].present


def test_a_sharing_is_cited_before_a_promise_of_no_sharing_unless():
    analysis = _analyse("隐私政策\n三、信息的使用\n搜狗公司不会将您的个人信息提供给无关的第三方，除非获得您的同意。\n"
                        "出于改进产品的目的，搜狗公司可能会将您的个人信息提供给签约合作伙伴。\n")
    assert analysis.elements["third_party_sharing"].excerpt == "出于改进产品的目的，搜狗公司可能会将您的个人信息提供给签约合作伙伴。"


def test_a_line_naming_a_permission_is_proved_by_the_purpose_under_it():
    analysis = _analyse("SDK列表\n- 设备状态权限\n  - 1.为了保障您的账户和资金安全以及支付服务的安全稳定运行。\n", "p.md")
    assert analysis.elements["permission_list"].excerpt == "- 1.为了保障您的账户和资金安全以及支付服务的安全稳定运行。"


@pytest.mark.parametrize(
    ("element", "counts", "near_miss"),
    [
        # deregistering the user's account, not the operator deleting a game character
        ("account_deletion", "您可以在【设置】中注销用户账号。", "在下列情况下，第七大道可以注销用户创造的角色，并删除该角色的所有记录："),
        # a right the user may exercise, not something that may (可能) interest them
        ("user_rights", "您可以在个人中心更新您的昵称。", "我们会向您发送您请求的或我们认为可能感兴趣的信息，例如应用更新。"),
        # the user weighing whether to make PI public is no sharing by us
        ("third_party_sharing", "我们会与合作伙伴共享您的设备信息，用于广告投放。", "我们提醒并请您慎重考虑是否通过上述渠道公开或共享您的个人信息。"),
    ],
)
def test_more_element_phrases_count_and_their_near_misses_do_not(element, counts, near_miss):
    assert _analyse("隐私政策\n" + counts + "\n").elements[element].present
    assert not _analyse("隐私政策\n" + near_miss + "\n").elements[element].present


def test_our_group_companies_name_no_operator():
    analysis = _analyse("隐私政策\n我们可能为保护我们的集团公司的合法权益披露信息。\n如有疑问请发送邮件至 a@example.com。\n")
    assert not analysis.elements["operator_identity"].present


def test_a_menu_path_inside_brackets_is_the_deregistration_proof():
    analysis = _analyse("隐私政策\n在您主动注销账号或删除相关信息时，我们将删除或匿名化处理您的个人信息。\n"
                        "5、注销账户：您可通过【设置-注销账号】进行帐号注销。\n")
    assert analysis.elements["account_deletion"].excerpt == "5、注销账户：您可通过【设置-注销账号】进行帐号注销。"


def test_a_change_notice_with_the_usual_continued_use_clause_still_proves_the_notice():
    analysis = _analyse("隐私政策\n我们可能随时修改本政策的条款。\n如该等修改造成您权利的实质减少，我们将在修改生效前通过在主页上明显位置提示"
                        "或向您发送电子邮件通知您，若您继续使用我们的服务，即表示同意接受修订后的政策。\n")
    assert analysis.elements["policy_change_notice"].excerpt.startswith("如该等修改造成您权利的实质减少")


def test_asking_consent_for_a_new_purpose_is_no_change_notice():
    analysis = _analyse("隐私政策\n如果我们要将您的个人信息用于本政策中未载明的其他用途，我们将通过页面提示另行征得您的同意。\n")
    assert not analysis.elements["policy_change_notice"].present


def test_hong_kong_and_taiwan_wordings_of_the_rights_are_read():
    formal = _analyse("私隱政策\n閣下有權查閱、更正或刪除我們所持有有關閣下的個人資料。\n")
    assert formal.elements["user_rights"].excerpt == "閣下有權查閱、更正或刪除我們所持有有關閣下的個人資料。"
    taiwan = _analyse("隱私權政策\n您也有權修正您的資料、刪除您的資料。\n")
    assert taiwan.elements["user_rights"].excerpt == "您也有權修正您的資料、刪除您的資料。"


def test_under_a_heading_about_the_element_the_sentence_saying_how_is_cited():
    analysis = _analyse("# 隐私声明\n\n## 8 修订\n\n我们随时会对本声明进行修订。\n我们会在网页中显著的位置予以发布。\n", "p.md")
    assert analysis.elements["policy_change_notice"].excerpt == "我们会在网页中显著的位置予以发布。"
    # … but never a sentence the element's own exclusions rule out
    shared = _analyse("# 隐私政策\n\n## 共享\n\n我们会与合作伙伴共享您的设备信息，用于广告投放。\n"
                      "我们通过广告向您提供链接，使您可以接入第三方的服务或网站。\n", "p.md")
    assert shared.elements["third_party_sharing"].excerpt == "我们会与合作伙伴共享您的设备信息，用于广告投放。"


def test_a_named_recipient_is_cited_before_a_list_announcing_sharing_cases():
    analysis = _analyse("隐私政策\n我们可能在以下情况下共享个人身份信息： 关联公司。\n"
                        "我们可能与我们的关联公司共享个人信息，以帮助持续提供和改善我们的服务。\n")
    assert analysis.elements["third_party_sharing"].excerpt == "我们可能与我们的关联公司共享个人信息，以帮助持续提供和改善我们的服务。"


def test_taiwan_wording_of_partners_accessing_data_is_a_sharing():
    analysis = _analyse("隱私權政策\n這些合作夥伴可能會存取您的資料，並遵守其隱私權原則。\n")
    assert analysis.elements["third_party_sharing"].excerpt == "這些合作夥伴可能會存取您的資料，並遵守其隱私權原則。"


def test_looking_at_the_devices_privacy_settings_is_no_user_right():
    analysis = _analyse("隐私政策\n您可以通过查看您的设备的隐私设置并选择限制广告追踪。\n")
    assert not analysis.elements["user_rights"].present


def test_sensitive_data_being_better_protected_is_no_sensitive_pi_notice():
    protected = _analyse("隐私政策\n相比其他个人信息，敏感个人信息受到更加严格的保护。\n")
    assert not protected.elements["sensitive_pi_notice"].present
    notice = _analyse("隐私政策\n请注意，您上传的内容可能会泄露您的敏感个人信息，您需要谨慎地考虑是否公开。\n")
    assert notice.elements["sensitive_pi_notice"].present
