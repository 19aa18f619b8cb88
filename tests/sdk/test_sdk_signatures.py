"""SDK signatures of issue 9: which SDK a real class belongs to (class names as they occur in the github-cn-apks
corpus and in apps like them), obfuscated vendor packages, and SDKs declared in the manifest without code."""

from __future__ import annotations

import pytest

from hegui.detect.sdks import DECLARED_ONLY_EVIDENCE, SdkAttributor, identify_sdks

ATTRIBUTOR = SdkAttributor(app_package="com.demo.shop")


@pytest.mark.parametrize(("class_name", "sdk"), [
    ("cn.smssdk.SMSSDK", "mob_smssdk"),                       # MobTech SMSSDK
    ("cn.smssdk.gui.RegisterPage", "mob_smssdk"),
    ("cn.sharerec.ShareREC", "mob_sharerec"),                 # MobTech ShareREC
    ("cn.sharerec.editor.a", "mob_sharerec"),
    ("com.mob.MobProvider", "mob"),                           # MobSDK core's provider, declared by every Mob product
    ("com.mob.pushsdk.MobPush", "mobpush"),
    ("com.baidu.lbsapi.auth.LBSAuthManager", "baidu_lbs_common"),  # Baidu LBS authentication, not panorama
    ("com.baidu.android.bbalbs.common.util.CommonParam", "baidu_lbs_common"),
    ("com.baidu.lbsapi.panoramaview.PanoramaView", "baidu_panorama"),
    ("com.baidu.lbsapi.BMapManager", "baidu_panorama"),
    ("com.baidu.platform.comjni.map.basemap.JNIBaseMap", "baidu_map"),
    ("com.baidu.vi.VDeviceAPI", "baidu_map"),
    ("microsoft.mappoint.TileSystem", "openstreetmap_tools"),  # osmdroid's tile maths, no Microsoft SDK
    ("com.google.firebase.FirebaseException", "google_play_services"),  # Play-services exception stubs
    ("com.google.firebase.FirebaseApiNotAvailableException", "google_play_services"),
    ("com.google.firebase.FirebaseApp", "google_firebase"),
    ("com.facebook.a.a.a", "facebook_core"),                  # obfuscated code in the Facebook namespace
    ("com.facebook.b.c", "facebook_core"),
    ("com.facebook.ads.AdView", "facebook_ads"),              # a named product still wins
    ("com.microsoft.azure.storage.blob.CloudBlobClient", "microsoft_azure_storage"),
    ("com.huawei.hms.activity.BridgeActivity", "huawei_hms"),  # HMS Core's resolution activity, not Account Kit
    ("com.huawei.hms.update.provider.UpdateProvider", "huawei_hms"),
    ("com.huawei.hms.support.hwid.HuaweiIdAuthManager", "huawei_account"),
    ("com.huawei.updatesdk.UpdateSdkAPI", "huawei_update"),
    ("com.huawei.a.e.n", "huawei_hms"),                       # HMS 2.x's shrunk HiAnalytics (xgdemo)
    ("com.youdao.ocr.online.OCRParameters", "youdao_ocr"),
    ("com.alipay.mobile.framework.service.annotation.OperationType", "alipay"),  # Alipay SDK's RPC annotations
    ("com.alipay.mobile.nebula.Nebula", "mpaas"),
])
def test_class_belongs_to_the_deepest_known_sdk(class_name: str, sdk: str) -> None:
    assert ATTRIBUTOR.sdk_of(class_name) == sdk


@pytest.mark.parametrize("class_name", [
    "com.sina.sso.RemoteSSO",          # the Weibo client app's SSO AIDL interface, shipped alone by ShareSDK
    "com.facebook.crypto.Crypto",      # Conceal: a development library, not reported unless asked for
    "com.facebook.mycompanyproduct.A",  # a named, unknown package of the vendor is no obfuscator output
    "com.microsoft.mappoint.Other",
    "com.huawei.mycompanyproduct.A",    # a named, unknown Huawei package is no obfuscator output either
])
def test_near_misses_belong_to_no_sdk(class_name: str) -> None:
    assert ATTRIBUTOR.sdk_of(class_name) is None


def test_components_declared_without_any_code_make_a_declared_only_sdk() -> None:
    found = identify_sdks(["com.demo.shop.MainActivity", "com.demo.shop.wxapi.WXEntryActivity"],
                          app_package="com.demo.shop",
                          component_names=[("activity", "com.demo.shop.wxapi.WXEntryActivity"),
                                           ("activity", "im.yixin.sdk.api.YXEntryActivity")])
    assert [(m.id, m.declared_only, m.evidence[0]) for m in found] == [
        ("wechat_opensdk", True, DECLARED_ONLY_EVIDENCE), ("yixin", True, DECLARED_ONLY_EVIDENCE)]


def test_a_component_whose_class_is_in_the_dex_is_code_even_when_obfuscated() -> None:
    found = identify_sdks(["a.a.a", "com.tencent.android.tpush.XGPushReceiver"], app_package="com.demo.shop",
                          component_names=[("receiver", "com.tencent.android.tpush.XGPushReceiver")])
    assert [(m.id, m.declared_only) for m in found] == [("tencent_tpns", False)]


def test_sdk_classes_beside_the_declared_callback_are_code() -> None:
    found = identify_sdks(["com.demo.shop.wxapi.WXEntryActivity", "com.tencent.mm.opensdk.openapi.WXAPIFactory"],
                          app_package="com.demo.shop",
                          component_names=[("activity", "com.demo.shop.wxapi.WXEntryActivity")])
    assert [(m.id, m.declared_only) for m in found] == [("wechat_opensdk", False)]


def test_meta_data_alone_is_not_declared_only() -> None:
    """Meta-data says nothing about code: every class of the SDK may have been renamed by the obfuscator."""
    found = identify_sdks(["a.a.a"], app_package="com.demo.shop", meta_data_keys=["UMENG_APPKEY"])
    assert [(m.id, m.declared_only) for m in found] == [("umeng_analytics", False)]
