"""SDK identification rules: prefix boundaries, longest prefix, the app's own code, obfuscated apps, evidence."""

from __future__ import annotations

from hegui.detect.sdks import SdkAttributor, app_code_namespaces, identify_sdks, sdk_catalog


def ids(matches) -> list[str]:
    return [m.id for m in matches]


def test_prefix_matches_whole_package_segments_only() -> None:
    attributor = SdkAttributor(app_package="com.demo.shop")
    assert attributor.sdk_of("com.umeng.x.Y") == "umeng"
    assert attributor.sdk_of("com.umengfoo.Y") is None


def test_longest_prefix_wins() -> None:
    attributor = SdkAttributor(app_package="com.demo.shop")
    assert attributor.sdk_of("com.tencent.mm.opensdk.openapi.WXAPIFactory") == "wechat_opensdk"
    assert attributor.sdk_of("com.tencent.mm.plugin.Other") == "wechat"
    assert attributor.match("com.umeng.commonsdk.UMConfigure") == ("umeng_analytics", "com.umeng.commonsdk")
    assert attributor.sdk_of("com.umeng.message.PushAgent") == "umeng_push"


def test_com_tencent_and_com_google_alone_are_no_sdk() -> None:
    attributor = SdkAttributor(app_package="com.demo.shop")
    assert attributor.sdk_of("com.tencent.Unknown") is None
    assert attributor.sdk_of("com.google.Unknown") is None
    assert attributor.sdk_of("com.tencent.bugly.crashreport.CrashReport") == "bugly"


def test_nested_class_is_attributed_like_its_outer_class() -> None:
    # "com.facebook.CampaignTrackingReceiver" is a class-name signature of Facebook Analytics (εxodus)
    attributor = SdkAttributor(app_package="com.demo.shop")
    assert attributor.sdk_of("com.facebook.CampaignTrackingReceiver$1") == "facebook_analytics"


def test_app_own_package_is_never_an_sdk() -> None:
    attributor = SdkAttributor(app_package="cn.jiguang.jmlinkdemo")
    assert attributor.sdk_of("cn.jiguang.jmlinkdemo.MainActivity") is None
    assert attributor.sdk_of("cn.jiguang.jmlinkdemo") is None
    # outside the app package the vendor prefix still counts
    assert attributor.sdk_of("cn.jiguang.api.JCoreInterface") == "jiguang"


def test_a_longer_sdk_prefix_inside_the_app_package_still_counts() -> None:
    # an app published as "com.tencent" vendor-namespace app still embeds Bugly
    attributor = SdkAttributor(app_package="com.tencent.bugly.hotfix")
    assert attributor.sdk_of("com.tencent.bugly.hotfix.MainActivity") is None
    assert attributor.sdk_of("com.tencent.bugly.crashreport.CrashReport") == "bugly"
    inside = SdkAttributor(app_package="com.tencent")
    assert inside.sdk_of("com.tencent.tinker.loader.TinkerLoader") == "tinker"


def test_code_namespace_other_than_the_manifest_package_is_the_app() -> None:
    classes = ["cn.jiguang.jmlinkdemo.MainActivity", "cn.jiguang.jmlinkdemo.BuildConfig", "cn.jiguang.jmlinkdemo.R"]
    namespaces = app_code_namespaces("com.jiguang.jmlinkdemo", ["cn.jiguang.jmlinkdemo.MainActivity", None], classes)
    assert namespaces == ("com.jiguang.jmlinkdemo", "cn.jiguang.jmlinkdemo")
    assert identify_sdks(classes, app_package="com.jiguang.jmlinkdemo", app_namespaces=namespaces) == []
    assert ids(identify_sdks(classes, app_package="com.jiguang.jmlinkdemo")) == ["jiguang"]


def test_sdk_class_used_as_application_does_not_become_app_code() -> None:
    classes = ["com.tencent.tinker.loader.app.TinkerApplication", "com.tencent.tinker.loader.TinkerLoader",
               "com.demo.shop.R", "com.demo.shop.MainActivity"]
    namespaces = app_code_namespaces("com.demo.shop", ["com.tencent.tinker.loader.app.TinkerApplication"], classes)
    assert namespaces == ("com.demo.shop",)
    assert ids(identify_sdks(classes, app_package="com.demo.shop", app_namespaces=namespaces)) == ["tinker"]


def test_obfuscated_app_found_by_manifest_component_and_meta_data() -> None:
    # R8 renames every class but those the manifest names: the component keeps its name
    found = identify_sdks(["a.a.a", "a.a.b", "b.c", "com.igexin.sdk.PushService"], app_package="com.demo.shop",
                          component_names=[("service", "com.igexin.sdk.PushService")], meta_data_keys=["PUSH_APPID"])
    assert ids(found) == ["getui"]
    assert found[0].evidence == ["manifest service com.igexin.sdk.PushService", "meta-data PUSH_APPID"]
    assert found[0].packages == ["com.igexin.sdk"]


def test_meta_data_alone_identifies() -> None:
    found = identify_sdks([], app_package="com.demo.shop", meta_data_keys=["UMENG_APPKEY", "unrelated.key"])
    assert [(m.id, m.evidence) for m in found] == [("umeng_analytics", ["meta-data UMENG_APPKEY"])]


def test_native_library_by_exact_name_and_wildcard() -> None:
    found = identify_sdks([], app_package="com.demo.shop",
                          native_libs=["lib/arm64-v8a/libBugly.so", "lib/armeabi-v7a/libjcore300.so", "lib/x86/libfoo.so"])
    assert [(m.id, m.evidence) for m in found] == [
        ("bugly", ["native lib lib/arm64-v8a/libBugly.so"]),
        ("jiguang", ["native lib lib/armeabi-v7a/libjcore300.so"]),
    ]


def test_component_suffix_in_the_app_package_identifies_wechat_sdk() -> None:
    # WeChat calls back into <app package>.wxapi.WXEntryActivity: the app declares it in its own package
    found = identify_sdks([], app_package="com.demo.shop", component_names=["com.demo.shop.wxapi.WXEntryActivity"])
    assert ids(found) == ["wechat_opensdk"]


def test_app_components_are_not_sdks() -> None:
    found = identify_sdks([], app_package="cn.jiguang.demo", component_names=[("activity", "cn.jiguang.demo.Main")])
    assert found == []


def test_evidence_is_capped_and_most_specific_first() -> None:
    classes = [f"com.umeng.analytics.pro.C{i}" for i in range(50)] + ["com.umeng.commonsdk.UMConfigure"]
    found = identify_sdks(classes, app_package="com.demo.shop", meta_data_keys=["UMENG_APPKEY", "UMENG_CHANNEL"],
                          native_libs=["lib/arm64-v8a/libumeng-spy.so"])
    assert ids(found) == ["umeng_analytics"]
    match = found[0]
    assert match.packages == ["com.umeng.analytics", "com.umeng.commonsdk"]
    assert match.evidence == [
        "class com.umeng.analytics.pro.C0",
        "meta-data UMENG_APPKEY",
        "native lib lib/arm64-v8a/libumeng-spy.so",
        "class com.umeng.commonsdk.UMConfigure",
        "meta-data UMENG_CHANNEL",
    ]


def test_results_are_sorted_by_id_and_each_sdk_once() -> None:
    classes = ["com.tencent.tinker.lib.Tinker", "com.tencent.bugly.crashreport.CrashReport", "com.igexin.sdk.PushManager",
               "com.tencent.bugly.crashreport.Other"]
    assert ids(identify_sdks(classes, app_package="com.demo.shop")) == ["bugly", "getui", "tinker"]


def test_development_libraries_only_on_request() -> None:
    classes = ["okhttp3.OkHttpClient", "com.bumptech.glide.Glide"]
    assert identify_sdks(classes, app_package="com.demo.shop") == []
    assert ids(identify_sdks(classes, app_package="com.demo.shop", include_libraries=True)) == ["glide", "okhttp3"]
    assert SdkAttributor(app_package="com.demo.shop").sdk_of("okhttp3.OkHttpClient") is None
    assert sdk_catalog()["okhttp3"].library


def test_hostile_names_are_just_unmatched() -> None:
    weird = ["", ".", "..", "com..umeng.X", "../../etc/passwd", "\x00", "lib/../../libBugly.so/x"]
    assert identify_sdks(weird, app_package="", component_names=weird, meta_data_keys=weird, native_libs=weird) == []
    deep = "com.umeng." + "a." * 5000 + "X"
    assert ids(identify_sdks([deep], app_package=None)) == ["umeng"]
