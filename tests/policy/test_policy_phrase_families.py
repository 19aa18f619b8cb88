"""Declared PI types and SDKs: each phrase family with a sentence that counts and a near miss that does not."""

from __future__ import annotations

import pytest

from hegui.policy import analyse_policy, extract_policy
from hegui.policy.analyse import sentence_pi_types
from hegui.policy.lexicon import name_variants, sdk_refs_from_entries


@pytest.mark.parametrize(
    ("counts", "near_miss", "pi_type"),
    [
        # browsing / usage history
        ("我们会自动记录您的网页记录，以便改进服务。", "我们会记录网页加载耗时以改进服务。", "browsing_search_history"),
        ("我们会收集您的搜索词，用于向您展示搜索结果。", "我们会收集您的手机号码，用于登录。", "browsing_search_history"),
        # device profile
        ("我们会收集您的设备机型和手机品牌，用于适配界面。", "我们仅在实现目的所必需的最短时间内存储您的个人信息。",
         "device_profile"),
        # 身份信息: an ID number when it is one, not a generic category in a list
        ("实名认证时我们会收集您的身份信息（身份证号码）。", "我们会使用您的身份信息、账号信息、交易信息以完成交易。",
         "id_card_number"),
        # 存储: the storage permission, not storing data on our servers
        ("我们会申请存储权限，用于保存您编辑的图片。", "我们会将您的个人信息存储于中华人民共和国境内的服务器。", "media_files"),
        # 发送短信: the app sending an SMS, not us texting you a verification code
        ("分享链接时，我们会申请发送短信权限。", "我们将通过向您发送短信验证码的方式验证您的身份。", "sms"),
        # 设备识别码 is the IMEI; MEID only when named
        ("为保障账号安全，我们会收集MEID。", "为保障账号安全，我们会收集设备识别码。", "meid"),
        # 广告标识符: the advertising ID, not the OAID it is sometimes called
        ("我们会收集广告标识符（IDFA）用于广告归因。", "我们会收集OAID（匿名设备标识符），又称广告标识符。", "gaid"),
        # Wi-Fi data, not Wi-Fi as a network type
        ("我们会收集附近的WiFi列表用于定位。", "我们会收集网络类型（如Wi-Fi、4G）用于优化加载。", "wifi_info"),
        # the MAC address, not the Mac App Store
        ("我们会收集您设备的MAC地址用于风控。", "If you download the app from the Mac App Store we collect nothing.",
         "mac_address"),
        # web beacons are not Bluetooth beacons
        ("我们会扫描附近的iBeacon设备以提供室内导航。", "我们使用网络 Beacon 统计访问量，并记录相关信息。", "bluetooth_nearby"),
        # the photo library, not a list of the kinds of content users post
        ("发布动态时，我们会访问您的相册以选择照片。", "您发布的文章、图片、视频等内容，我们有权展示。", "media_files"),
        # ... nor a photo of an ID card taken for real-name verification
        ("为更换头像，我们会读取您相册中的照片。", "实名认证时，我们会收集您的身份证正反面照片。", "media_files"),
        # the address book, not a contact person named by a company
        ("添加好友时，我们会读取您的通讯录联系人。", "单位认证时需提供单位授权联系人姓名和电话。", "contacts"),
        # cell-tower data, not a warning about fake base stations
        ("为定位，我们会收集您附近的基站信息。", "我们会识别非法基站等引起的广告注入，并记录相关信息。", "cell_info"),
        # the microphone, not audio as a kind of content
        ("语音输入时，我们会申请麦克风权限并收集您的音频。", "平台上的文字、音频、视频等信息的版权归我们所有。", "microphone"),
        # SMS sent by the app, not us texting you among other channels
        ("为读取验证码，我们会申请读取短信权限。", "我们可能会向您发送短信、邮件或其他消息，以通知活动信息。", "sms"),
        # a screen recording, not a screenshot the user chooses to attach
        ("为实现投屏功能，我们会申请录屏权限并获取屏幕内容。", "您可以采用截图方式保存页面，并提交相关信息反馈问题。", "screen_content"),
        # 口令 as a share code on the clipboard, not a password
        ("我们会读取剪贴板中的淘口令以打开分享的商品。", "我们会收集您的登录密码、口令保护答案等信息。", "clipboard"),
        # the device's call log, not our correspondence with the user
        ("为识别骚扰电话，我们会读取您的通话记录。", "当您与我们联系时，我们可能会保存您的通信/通话记录和内容。", "call_log"),
        # the microphone, not a recorded call to our hotline
        ("语音搜索时，我们会使用麦克风录音。", "您接听和拨打我们的客服电话可能会被录音，用于监控服务质量。", "microphone"),
        # the camera, not the date and place of a photo the user shared
        ("扫码登录时，我们会调用您的相机。", "我们会收集您拍摄或上传的共享照片的日期、时间或地点。", "camera"),
        # the photo library, not a profile photo (個人檔案照片 once converted)
        ("更换头像时，我们会访问您的相册。", "我们会收集您的个人资料照片和昵称。", "media_files"),
        # "personally identifying information" is no ID number unless one is named
        ("实名认证时我们会收集您的个人身份信息（身份证号码）。", "我们不会将分析数据与您提供的个人身份信息相结合。", "id_card_number"),
        # running apps: their active state, apps running in the background
        ("我们会收集APP应用列表及活跃状态，用于推送。", "我们会收集您的设备型号，用于适配。", "running_apps"),
        ("我们会收集在后台中执行的应用程序信息。", "应用程序会在后台下载更新。", "running_apps"),
        # … not the app's own process kept running by WAKE_LOCK
        ("我们会读取正在运行的进程信息，用于判断运行环境。", "WAKE_LOCK：允许程序在手机屏幕关闭后后台进程仍然运行。",
         "running_apps"),
        # notification content read by a listener, not notification-bar messages a push SDK delivers
        ("我们会读取通知栏消息，用于自动填写验证码。", "华为Push SDK需要读取您的设备识别号，用于推送/下发通知栏消息。",
         "screen_content"),
        # real-name verification is a process: the ID number is declared when it is named
        ("实名认证时，我们会收集您的身份证号码。", "部分功能需要您完成实名认证后方可使用。", "id_card_number"),
        # body weight, not 体重 read across 主体|重新
        ("我们会记录您的身高、体重，用于计算运动消耗。", "我们会要求新的主体重新征得您的授权同意。", "activity_health"),
        # browsing and search: search queries and the sites visited
        ("我们会自动收集您的搜索查询内容和访问的记录。", "我们会收集您的手机号码用于登录。", "browsing_search_history"),
        ("当您使用服务时，我们会收到您访问的网站等信息。", "您可以访问我们的网站了解更多信息。", "browsing_search_history"),
        # the advertising ID written with a space
        ("我们会收集您的行动装置识别字（如广告 ID）。", "我们会在广告中向您展示商品信息。", "gaid"),
        # the OS family is part of the device profile
        ("我们会收集您的浏览器性质、操作系统种类等信息。", "本应用支持多种操作系统。", "device_profile"),
    ],
)
def test_a_phrase_counts_and_its_near_miss_does_not(counts, near_miss, pi_type):
    assert pi_type in sentence_pi_types(counts)
    assert pi_type not in sentence_pi_types(near_miss)


def test_a_definition_explains_a_word_and_declares_nothing():
    defines = analyse_policy(extract_policy(
        "个人敏感信息是指一旦泄露可能危害人身财产安全的个人信息，包括身份证件号码、银行账号。\n"
        "我们会收集您的手机号码，用于注册。".encode(), "p.txt"))
    assert defines.declared_pi_types == ["phone_number"]
    provides = analyse_policy(extract_policy(
        "“隐私”是指用户为获得服务而提供给我们的个人资料，包括真实姓名、手机号码。".encode(), "p.txt"))
    assert provides.declared_pi_types == ["phone_number"]


def test_the_categories_of_gb_t_35273_quoted_as_such_declare_nothing():
    quoted = analyse_policy(extract_policy(
        "根据中华人民共和国国家标准（GB/T35273）《信息安全技术-个人信息安全规范》，个人敏感信息包括身份证件号码、"
        "银行账号、健康生理信息等。\n我们会收集您的手机号码，用于注册。".encode(), "p.txt"))
    assert quoted.declared_pi_types == ["phone_number"]
    collected = analyse_policy(extract_policy(
        "我们收集的个人敏感信息包括身份证件号码、银行账号，用于实名认证和支付。".encode(), "p.txt"))
    assert collected.declared_pi_types == ["bank_card", "id_card_number"]


def test_a_bare_device_identification_code_is_the_imei_only():
    assert sentence_pi_types("为保障账号安全，我们会收集设备识别码。") == {"imei"}


CATALOG = sdk_refs_from_entries([
    {"id": "jpush", "name_zh": "极光推送", "aliases": ["JPush"], "company": "深圳市和讯华谷信息技术有限公司"},
    {"id": "wechat_opensdk", "name_zh": "微信 OpenSDK", "aliases": ["微信SDK", "微信登录"],
     "company": "深圳市腾讯计算机系统有限公司"},
    {"id": "qq_connect", "name_zh": "QQ 互联", "aliases": ["QQ分享"], "company": "深圳市腾讯计算机系统有限公司"},
    {"id": "tencent_cloud", "name_zh": "腾讯云", "company": "腾讯云计算（北京）有限责任公司"},
    {"id": "faceid", "name_zh": "腾讯云人脸核身", "aliases": ["慧眼人脸核身"], "company": "腾讯云计算（北京）有限责任公司"},
    {"id": "umeng_analytics", "name_zh": "友盟+ 统计", "aliases": ["友盟统计"], "company": "友盟同欣（北京）科技有限公司"},
    {"id": "msa_oaid", "name_zh": "移动安全联盟 OAID SDK", "aliases": ["OAID SDK"], "company": "中国信息通信研究院"},
])


def _sdks(text: str) -> list[str]:
    return analyse_policy(extract_policy(text.encode("utf-8"), "p.txt"), sdk_catalog_override=CATALOG).declared_sdks


def test_every_line_of_a_third_party_sdk_section_is_an_entry():
    assert _sdks("隐私政策\n五、第三方SDK目录\n极光推送\n使用目的：推送消息\n") == ["jpush"]


def test_a_login_partner_in_running_text_is_not_an_embedded_sdk():
    assert _sdks("隐私政策\n您可以使用微信登录本应用，我们会获取您的头像和昵称。\n") == []
    assert _sdks("隐私政策\n为实现微信登录，我们接入了微信SDK，它会收集您的设备标识。\n") == ["wechat_opensdk"]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("SDK名称 | 使用目的\nQQ 分享 SDK | 分享内容至QQ\n", ["qq_connect"]),             # spacing and the SDK suffix
        ("SDK名称 | 使用目的\n友盟统计分析 SDK | 统计分析\n", ["umeng_analytics"]),       # a longer product name
        ("SDK名称 | 使用目的\n极光 PUSH | 推送消息\n", ["jpush"]),                        # X推送 written X PUSH
        ("SDK名称 | 使用目的\n腾讯云慧眼人脸核身SDK | 实人认证\n", ["faceid"]),           # not 腾讯云 itself
        # the data cell names the OAID identifier, not the OAID SDK
        ("SDK名称 | 收集的信息\n极光推送 | 设备标识符（Android ID、OAID）\n", ["jpush"]),
    ],
)
def test_sdk_table_rows_are_matched_through_name_variants(row, expected):
    assert _sdks("隐私政策\n五、第三方SDK清单\n" + row) == expected


def test_a_url_naming_a_vendor_is_no_mention():
    assert _sdks("隐私政策\n五、第三方SDK清单\n官网链接：https://docs.jpush.io/guide\n") == []


def test_name_variants_cover_spacing_the_sdk_suffix_push_and_a_vendor_in_parentheses():
    assert name_variants("极光推送") == ["极光推送", "极光推送SDK", "极光推送 SDK", "极光 PUSH", "极光PUSH"]
    assert name_variants("QQ分享 SDK") == ["QQ分享 SDK", "QQ分享SDK", "QQ 分享 SDK", "QQ分享", "QQ 分享"]
    assert "JVerification" in name_variants("JVerification (极光认证)")
    assert "OAID" not in name_variants("OAID SDK")  # an acronym left alone is a device identifier


def test_the_operator_naming_its_own_product_declares_no_third_party_sdk():
    text = "隐私政策\n本应用集成了极光推送，用于向您推送消息。\n"
    assert _sdks(text) == ["jpush"]
    assert _sdks("隐私政策\n本政策由深圳市和讯华谷信息技术有限公司制定。\n" + text[5:]) == []


def test_a_list_opened_by_an_sdk_lead_in_names_embedded_sdks_even_by_their_company():
    text = ("我们接入的相关第三方SDK目录如下：\n1、统计SDK\n运营公司：友盟同欣(北京)科技有限公司\n功能：数据统计\n")
    assert _sdks(text) == ["umeng_analytics"]
    # the same company line in running text, with no list and no embedding word, names no SDK
    assert _sdks("如有疑问，可联系友盟同欣(北京)科技有限公司的客服。\n") == []


def test_an_sdk_vendor_labelled_as_its_operating_company_is_not_the_policys_operator():
    analysis = analyse_policy(extract_policy(
        "第三方SDK目录如下：\n极光推送SDK\n运营公司：深圳市和讯华谷信息技术有限公司\n联系邮箱：dev@example.com\n".encode(), "p.txt"),
        sdk_catalog_override=CATALOG)
    assert analysis.declared_sdks == ["jpush"]
    assert not analysis.elements["operator_identity"].present


def test_a_bluetooth_mac_address_is_no_nearby_bluetooth_device():
    assert "bluetooth_nearby" in sentence_pi_types("我们会获取附近的蓝牙设备信息，用于连接手环。")
    assert "bluetooth_nearby" not in sentence_pi_types("SDK会收集设备MAC地址、蓝牙 MAC 地址用于风控。")


def test_android_id_written_with_a_space():
    assert "android_id" in sentence_pi_types("SDK会收集唯一设备识别码（安卓 ID）。")
    assert "android_id" not in sentence_pi_types("本应用支持安卓 和 iOS 两个平台。")


def test_telling_users_not_to_send_data_denies_it():
    analysis = analyse_policy(extract_policy(
        "如果您未满13岁，请勿将您的任何资料传送给我们，包括您的名字、电话号码。\n我们会收集您的IP地址用于安全风控。\n".encode(),
        "p.txt"))
    assert analysis.declared_pi_types == ["ip_address"]
    assert "phone_number" in analysis.denied_pi_types
