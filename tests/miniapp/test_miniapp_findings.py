"""Findings on real mini-programs, pinned exactly (rule → evidence).

Checked by reading the packed app-service.js of each (the evidence names file, line, module and API):
- sec_wx0a2ae0a4fdfa03a6 / sec_wx0a38143339d51696: the home page's onLoad → this.loadXSinfo() → wx.request success →
  wx.setClipboardData success → wx.getClipboardData: a clipboard read at launch, no privacy flow anywhere;
- sec_wx0b0cd28a9b94fffc: pages/index/index onLoad calls wx.getLocation and sends latitude/longitude in a
  wx.request URL; no requiredPrivateInfos and no permission.scope.userLocation in app-config.json;
- sec_wx0b242db2220fa4eb: pages/index/index onShow calls wx.getLocation when no city is cached and sends the
  coordinates to api.map.baidu.com geocoder;
- sec_wx0b07368fd4373dde declares scope.userLocation with a desc (no PI-MP-PURPOSE-MISSING) but no
  requiredPrivateInfos;
- getUserInfo in App.onLaunch (several packages) is not judged as collection: it has returned anonymous data since
  2021-04-28;
- zhixing declares requiredPrivateInfos ["getLocation"] and scope.userLocation with a desc and calls the privacy
  flow (wx.getPrivacySetting through Taro): no finding.
"""

from __future__ import annotations

import pytest

from hegui.pipeline import ScanOptions, scan_path

EXPECTED = {
    'sec_wx000b96cc505e1149.wxapkg': {
        'PI-MP-INTERFACE-UNDECLARED': ['app-service.js:2119:45 (utils/ald-stat.js) wx.getLocation', 'app-service.js:2121:33 (utils/ald-stat.js) wx.getLocation', 'app-service.js:2848:49 (utils/xmadx_sdk.min.js) wx.getLocation'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:1948:11 wx.getUserInfo (one of 7 privacy-interface calls)'],
        'PI-MP-PURPOSE-MISSING': ['app-config.json: no permission.scope.userLocation.desc, but the code calls it: app-service.js:2119:45 (utils/ald-stat.js) wx.getLocation'],
    },
    'sec_wx0a2ae0a4fdfa03a6.wxapkg': {
        'PI-COLLECT-BEFORE-CONSENT': ['app-service.js:31:1869 (pages/index/index.js) wx.getClipboardData, runs in Page pages/index/index.onLoad'],
        'PI-CLIPBOARD-READ': ['app-service.js:31:1869 (pages/index/index.js) wx.getClipboardData, runs in Page pages/index/index.onLoad'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:31:1869 wx.getClipboardData (one of 1 privacy-interface calls)'],
    },
    'sec_wx0a31e875347f3ed3.wxapkg': {
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:1818:638 wx.getUserInfo (one of 7 privacy-interface calls)'],
    },
    'sec_wx0a38143339d51696.wxapkg': {
        'PI-COLLECT-BEFORE-CONSENT': ['app-service.js:25:1263 (pages/index/homelist.js) wx.getClipboardData, runs in Page pages/index/homelist.onLoad'],
        'PI-CLIPBOARD-READ': ['app-service.js:25:1263 (pages/index/homelist.js) wx.getClipboardData, runs in Page pages/index/homelist.onLoad'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:25:1263 wx.getClipboardData (one of 1 privacy-interface calls)'],
    },
    'sec_wx0a39d1e0141eefce.wxapkg': {
    },
    'sec_wx0a41d4a71b396524.wxapkg': {
        'PI-MP-INTERFACE-UNDECLARED': ['app-service.js:5863:6807 (utils/qqmap-wx-jssdk.min.js) wx.getLocation', 'app-service.js:5929:275 (pages/inCabinets/index.js) wx.getLocation', 'app-service.js:6016:312 (pages/mailMethod/address/add.js) wx.getLocation', 'app-service.js:6016:795 (pages/mailMethod/address/add.js) wx.chooseLocation', 'app-service.js:6019:545 (pages/mailMethod/address/edit.js) wx.chooseLocation', 'app-service.js:6040:2104 (pages/myCenter/changedata/index.js) wx.chooseLocation'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:5863:6807 wx.getLocation (one of 13 privacy-interface calls)'],
    },
    'sec_wx0a471596fc5387a2.wxapkg': {
        'PI-MP-INTERFACE-UNDECLARED': ['app-service.js:7352:188 (B8485584668F5ADFDE2E3D833E1911A5.js) wx.getLocation'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:7352:188 wx.getLocation (one of 12 privacy-interface calls)'],
    },
    'sec_wx0a49ecb2be1e930b.wxapkg': {
        'PI-COLLECT-BEFORE-CONSENT': ['app-service.js:5332:10313 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onLoad'],
        'PI-MP-INTERFACE-UNDECLARED': ['app-service.js:5263:8850 (pages/indexStyle1/index.js) wx.getLocation', 'app-service.js:5266:7866 (pages/indexStyle2/index.js) wx.getLocation', 'app-service.js:5332:10313 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onLoad', 'app-service.js:5338:7806 (pages/indexStyle3/index.js) wx.getLocation', 'app-service.js:5389:171 (pages/product/comment/publish-comment/publish-comment.js) wx.getLocation'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:5263:8850 wx.getLocation (one of 14 privacy-interface calls)'],
        'PI-MP-PURPOSE-MISSING': ['app-config.json: no permission.scope.userLocation.desc, but the code calls it: app-service.js:5263:8850 (pages/indexStyle1/index.js) wx.getLocation'],
    },
    'sec_wx0a5a2a82c90be77b.wxapkg': {
        'PI-COLLECT-BEFORE-CONSENT': ['app-service.js:1418:1531 (pages/home/home.js) wx.getLocation, runs in Page pages/home/home.onLoad'],
        'PI-MP-INTERFACE-UNDECLARED': ['app-service.js:1391:801 (common/qqmap-wx-jssdk.min.js) wx.getLocation', 'app-service.js:1418:1531 (pages/home/home.js) wx.getLocation, runs in Page pages/home/home.onLoad'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:1391:801 wx.getLocation (one of 7 privacy-interface calls)'],
    },
    'sec_wx0b06e6a6313b9dc5.wxapkg': {
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:6:277 wx.getUserInfo (one of 1 privacy-interface calls)'],
    },
    'sec_wx0b07368fd4373dde.wxapkg': {
        'PI-COLLECT-BEFORE-CONSENT': ['app-service.js:109:8058 (page/tabBar/index/index.js) wx.getLocation, runs in Page page/tabBar/index/index.onLoad', 'app-service.js:109:13256 (page/tabBar/index/index.js) wx.getLocation, runs in Page page/tabBar/index/index.onShow'],
        'PI-MP-INTERFACE-UNDECLARED': ['app-service.js:13:801 (qqmap/qqmap-wx-jssdk.js) wx.getLocation', 'app-service.js:16:801 (qqmap/qqmap-wx-jssdk.min.js) wx.getLocation', 'app-service.js:106:4557 (app.js) wx.getLocation', 'app-service.js:109:8058 (page/tabBar/index/index.js) wx.getLocation, runs in Page page/tabBar/index/index.onLoad', 'app-service.js:109:13256 (page/tabBar/index/index.js) wx.getLocation, runs in Page page/tabBar/index/index.onShow'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:13:801 wx.getLocation (one of 6 privacy-interface calls)'],
    },
    'sec_wx0b0cd28a9b94fffc.wxapkg': {
        'PI-COLLECT-BEFORE-CONSENT': ['app-service.js:27:508 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onLoad'],
        'PI-MP-INTERFACE-UNDECLARED': ['app-service.js:24:262 (app.js) wx.chooseAddress', 'app-service.js:27:508 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onLoad', 'app-service.js:27:1764 (pages/index/index.js) wx.getLocation', 'app-service.js:51:905 (pages/cai/cai.js) wx.chooseAddress'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:24:226 wx.getUserInfo (one of 7 privacy-interface calls)'],
        'PI-MP-PURPOSE-MISSING': ['app-config.json: no permission.scope.userLocation.desc, but the code calls it: app-service.js:27:508 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onLoad'],
    },
    'sec_wx0b114bd57c5c3d83.wxapkg': {
        'PI-COLLECT-BEFORE-CONSENT': ['app-service.js:49:2016 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onLoad'],
        'PI-MP-INTERFACE-UNDECLARED': ['app-service.js:19:801 (utils/qqmap-wx-jssdk.js) wx.getLocation', 'app-service.js:22:801 (utils/qqmap-wx-jssdk.min.js) wx.getLocation', 'app-service.js:49:2016 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onLoad', 'app-service.js:136:1401 (pages/seller/shop.js) wx.getLocation'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:19:801 wx.getLocation (one of 9 privacy-interface calls)'],
        'PI-MP-PURPOSE-MISSING': ['app-config.json: no permission.scope.userLocation.desc, but the code calls it: app-service.js:19:801 (utils/qqmap-wx-jssdk.js) wx.getLocation'],
    },
    'sec_wx0b1345a5fd019e4e.wxapkg': {
        'PI-COLLECT-BEFORE-CONSENT': ['app-service.js:55:10250 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onLoad'],
        'PI-MP-INTERFACE-UNDECLARED': ['app-service.js:55:10250 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onLoad', 'app-service.js:55:19176 (pages/index/index.js) wx.chooseLocation', 'app-service.js:73:1003 (pages/store/layout-meirong/store.js) wx.getLocation', 'app-service.js:118:190 (pages/product/comment/publish-comment/publish-comment.js) wx.getLocation'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:52:3176 wx.getUserInfo (one of 11 privacy-interface calls)'],
        'PI-MP-PURPOSE-MISSING': ['app-config.json: no permission.scope.userLocation.desc, but the code calls it: app-service.js:55:10250 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onLoad'],
    },
    'sec_wx0b208544ea48dbb7.wxapkg': {
        'PI-COLLECT-BEFORE-CONSENT': ['app-service.js:31:2992 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onLoad'],
        'PI-MP-INTERFACE-UNDECLARED': ['app-service.js:31:2992 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onLoad', 'app-service.js:40:2152 (pages/goodslist2/goodslist2.js) wx.getLocation'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:28:956 wx.getUserInfo (one of 6 privacy-interface calls)'],
        'PI-MP-PURPOSE-MISSING': ['app-config.json: no permission.scope.userLocation.desc, but the code calls it: app-service.js:31:2992 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onLoad'],
    },
    'sec_wx0b242db2220fa4eb.wxapkg': {
        'PI-COLLECT-BEFORE-CONSENT': ['app-service.js:42:1402 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onShow'],
        'PI-MP-INTERFACE-UNDECLARED': ['app-service.js:12:801 (utils/qqmap-wx-jssdk.js) wx.getLocation', 'app-service.js:15:801 (utils/qqmap-wx-jssdk.min.js) wx.getLocation', 'app-service.js:42:1402 (pages/index/index.js) wx.getLocation, runs in Page pages/index/index.onShow'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:12:801 wx.getLocation (one of 8 privacy-interface calls)'],
        'PI-MP-PURPOSE-MISSING': ['app-config.json: no permission.scope.userLocation.desc, but the code calls it: app-service.js:12:801 (utils/qqmap-wx-jssdk.js) wx.getLocation'],
    },
    'sec_wx0b244507471e13c5.wxapkg': {
    },
    'sec_wx0b252a0ae282167b.wxapkg': {
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:1550:1495 wx.getUserInfo (one of 13 privacy-interface calls)'],
    },
    'sec_wx0c2d8160744bc7c3.wxapkg': {
        'PI-MP-INTERFACE-UNDECLARED': ['app-service.js:4:4627 (pages/eventReporting/eventReporting.js) wx.getLocation', 'app-service.js:4:6216 (pages/eventReporting/eventReporting.js) wx.chooseLocation', 'app-service.js:4:6371 (pages/eventReporting/eventReporting.js) wx.getLocation', 'app-service.js:34:780 (pages/watch/event/report/report.js) wx.getLocation', 'app-service.js:34:5020 (pages/watch/event/report/report.js) wx.chooseLocation', 'app-service.js:52:320 (pages/watch/event/Free/Free.js) wx.getLocation', 'app-service.js:52:1078 (pages/watch/event/Free/Free.js) wx.getLocation', 'app-service.js:52:2547 (pages/watch/event/Free/Free.js) wx.chooseLocation', 'app-service.js:64:3376 (pages/watch/event/select/event-detail/eventDetail.js) wx.chooseLocation', 'app-service.js:70:2047 (pages/mine/auth/auth.js) wx.getLocation'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:4:4627 wx.getLocation (one of 19 privacy-interface calls)'],
        'PI-MP-PURPOSE-MISSING': ['app-config.json: no permission.scope.userLocation.desc, but the code calls it: app-service.js:4:4627 (pages/eventReporting/eventReporting.js) wx.getLocation'],
    },
    'sec_wx0c2f53b9d1b5429c.wxapkg': {
        'PI-MP-INTERFACE-UNDECLARED': ['app-service.js:4:10483 (common.js) wrapper.getLocation', 'app-service.js:16:4348 (components/utils/ald-stat.js) wx.getLocation', 'app-service.js:19:188 (components/utils/amap-wx.js) wx.getLocation', 'app-service.js:97:4334 (pages/shop/AddrManage.js) wx.chooseAddress', 'app-service.js:127:708 (pages/shop/square.js) wx.getLocation', 'app-service.js:136:564 (pages/shop/orderdetail.js) wx.getLocation', 'app-service.js:136:3936 (pages/shop/orderdetail.js) wx.getLocation'],
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:4:10483 wrapper.getLocation (one of 12 privacy-interface calls)'],
        'PI-MP-PURPOSE-MISSING': ['app-config.json: no permission.scope.userLocation.desc, but the code calls it: app-service.js:4:10483 (common.js) wrapper.getLocation'],
    },
    'party18___APP__.dec.wxapkg': {
        'PI-MP-PRIVACY-CHECK-OFF': ['app-config.json: __usePrivacyCheck__ absent, no requirePrivacyAuthorize/onNeedPrivacyAuthorization call', 'app-service.js:14624:22 wrapper.getUserInfo (one of 2 privacy-interface calls)'],
    },
    'zhixing__APP__.wxapkg': {
    },
    'ling_4.wxapkg': {
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_findings_on_real_mini_programs(miniapps, name):
    report = scan_path(miniapps / name, ScanOptions())
    assert {f.rule_id: [e.detail for e in f.evidence] for f in report.findings} == EXPECTED[name]
    assert report.errors == []


def test_at_least_ten_mini_programs_have_pinned_findings():
    assert len([n for n, found in EXPECTED.items() if found]) >= 10


def test_evidence_is_bilingual_with_its_facts_as_fields(miniapps):
    report = scan_path(miniapps / "sec_wx0a2ae0a4fdfa03a6.wxapkg", ScanOptions())
    item = next(f for f in report.findings if f.rule_id == "PI-CLIPBOARD-READ").evidence[0]
    assert (item.template, item.api, item.file, item.pi_type) == (
        "mp_call", "wx.getClipboardData", "app-service.js", "clipboard")
    assert item.zh == ("app-service.js:31:1869（pages/index/index.js） 调用 wx.getClipboardData（剪切板内容），"
                       "启动时在 Page pages/index/index.onLoad 中执行")
