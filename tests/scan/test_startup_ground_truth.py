"""The startup verdicts of ../shared/corpus/github-cn-apks (ground_truth.tsv, column startup_ground_truth).

Each verdict of that column (which SDK inits run as the process starts, in the Application, the launcher
activity or an SDK ContentProvider; what does not) is one case here, read against the startup call graph of the
real APK: a method that must be reachable at startup, one that must not be, or a namespace of which nothing
may run at startup. Skipped when the corpus is absent, except under CI=true.
"""

from __future__ import annotations

import csv
import os
from functools import cache
from pathlib import Path

import pytest

from hegui.apk.apk import open_apk
from hegui.detect.startup import startup_reachability
from hegui.dex import DexIndex

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "github-cn-apks"
APKS = CORPUS / "apks"

if not (CORPUS / "ground_truth.tsv").is_file():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{CORPUS} is missing: CI must have the shared corpus")
    pytest.skip("github-cn-apks corpus not available", allow_module_level=True)


@cache
def startup_methods(apk_name: str) -> frozenset[str]:
    apk = open_apk(APKS / apk_name)
    index = DexIndex.build((n, apk.archive.read(n)) for n in apk.dex_names)
    reach = startup_reachability(apk.manifest, index)
    return frozenset(index.methods[mid].java() for mid in reach.parent)


# (apk, method, runs at startup): one line per verdict of startup_ground_truth
REACHED = [
    # Application com.mob.MobApplication: MobSDK.init unconditional
    ("com.mob.glesdemo.apk", "com.mob.MobSDK#init", True),
    # MyApp.onCreate: XUtil/XAOP init, then in the main process initPush (behind a runtime-permission aspect,
    # not a consent flag): XG push with Xiaomi/Huawei pushes enabled; the running-process list read in onCreate
    ("com.xuexiang.xgdemo.apk", "com.xuexiang.xgdemo.MyApp#b", True),
    ("com.xuexiang.xgdemo.apk", "com.xuexiang.xgdemo.MyApp#c", True),
    ("com.xuexiang.xgdemo.apk", "com.xuexiang.xgdemo.MyApp#initPush", True),
    ("com.xuexiang.xgdemo.apk", "com.tencent.android.tpush.XGPushConfig#setMiPushAppId", True),
    ("com.xuexiang.xgdemo.apk", "com.tencent.android.tpush.XGPushConfig#setMiPushAppKey", True),
    ("com.xuexiang.xgdemo.apk", "com.tencent.android.tpush.XGPushConfig#enableOtherPush", True),
    # ... and the SDK ContentProviders, created before any consent
    ("com.xuexiang.xgdemo.apk", "com.huawei.hms.update.provider.UpdateProvider#onCreate", True),
    ("com.xuexiang.xgdemo.apk", "com.tencent.android.tpush.XGPushProvider#onCreate", True),
    ("com.xuexiang.xgdemo.apk", "com.tencent.android.tpush.SettingsContentProvider#onCreate", True),
    ("com.xuexiang.xgdemo.apk", "com.tencent.mid.api.MidProvider#onCreate", True),
    # launcher LoginActivity.onCreate: ShareSDK.initSDK, SMSSDK.initSDK + registerEventHandler
    ("cn.sharesdk.demo.tpl.apk", "cn.sharesdk.framework.ShareSDK#initSDK", True),
    ("cn.sharesdk.demo.tpl.apk", "cn.smssdk.SMSSDK#initSDK", True),
    ("cn.sharesdk.demo.tpl.apk", "cn.smssdk.SMSSDK#registerEventHandler", True),
    # launcher MainActivity.onCreate: initOCR behind a runtime storage-permission check (not a consent flag)
    ("com.sjk.zcmu.score.apk", "com.sjk.zcmu.score.MainActivity#initOCR", True),
    ("com.sjk.zcmu.score.apk", "com.baidu.ocr.sdk.OCR#initAccessToken", True),
    # DemoApplication extends MobApplication: MobSDK.init in super.onCreate, then its own service started
    ("com.mob.moblink.demo.apk", "com.mob.MobApplication#onCreate", True),
    ("com.mob.moblink.demo.apk", "com.mob.MobSDK#init", True),
    ("com.mob.moblink.demo.apk", "com.mob.moblink.demo.app.DemoApplication#onCreate", True),
    # no Application declared: DemoApplication is dead code; SDKInitializer.initialize and a LocationClient
    # created in onCreate, started in onStart
    ("com.biubike.apk", "com.biubike.DemoApplication#onCreate", False),
    ("com.biubike.apk", "com.baidu.mapapi.SDKInitializer#initialize", True),
    ("com.biubike.apk", "com.biubike.MainActivity#initLocation", True),
    ("com.biubike.apk", "com.baidu.location.LocationClient#<init>", True),
    ("com.biubike.apk", "com.biubike.MainActivity#onStart", True),
    ("com.biubike.apk", "com.baidu.location.LocationClient#start", True),
    # MyApplication.onCreate sets up its HTTP caller; MainActivity.onCreate creates and registers the WeChat API
    ("com.ansen.shoenet.apk", "com.ansen.shoenet.app.MyApplication#onCreate", True),
    ("com.ansen.shoenet.apk", "com.tencent.mm.opensdk.openapi.WXAPIFactory#createWXAPI", True),
    # MyApplication.onCreate: YouDaoApplication.init
    ("com.readboy.youdaoai.apk", "com.youdao.sdk.app.YouDaoApplication#init", True),
    # Application com.mob.MobApplication: MobSDK.init
    ("com.mob.shop.demo.apk", "com.mob.MobSDK#init", True),
    # App extends MobApplication: MobSDK.init + ResourcesManager download; MainActivity registers the
    # screenshot listener; com.mob.MobProvider created before any consent
    ("cn.sharesdk.demo.apk", "com.mob.MobSDK#init", True),
    ("cn.sharesdk.demo.apk", "cn.sharesdk.demo.entity.ResourcesManager#download", True),
    ("cn.sharesdk.demo.apk", "cn.sharesdk.demo.utils.ScreenShotListenManager#startListen", True),
    ("cn.sharesdk.demo.apk", "com.mob.MobProvider#onCreate", True),
    # no Application; MainActivity.onCreate: Bmob.initialize + BmobUpdateAgent.initAppVersion
    ("cn.zk520.zk.apk", "cn.bmob.v3.Bmob#initialize", True),
    ("cn.zk520.zk.apk", "cn.bmob.v3.update.BmobUpdateAgent#initAppVersion", True),
    # MainApplication extends MobApplication: MobSDK.init; MainActivity.onCreate looks up the cached user
    ("com.mob.demo.mobim.apk", "com.mob.MobSDK#init", True),
    ("com.mob.demo.mobim.apk", "com.mob.demo.mobim.biz.UserManager#getCachedUser", True),
]

# (apk, namespace of the SDK, the app's own package inside it): nothing of the SDK runs at startup
NOTHING_AT_STARTUP = [
    # launcher PayDemoActivity.onCreate: no Alipay SDK call (PayTask runs from a button)
    ("com.alipay.sdk.pay.demo.apk", "com.alipay.", "com.alipay.sdk.pay.demo."),
    ("com.alipay.sdk.pay.demo.apk", "com.ta.utdid2.", None),
    # launcher WBDemoMainActivity.onCreate: no Weibo SDK init (the SDK is used from the demo's sub-activities)
    ("com.sina.weibo.sdk.demo.apk", "com.sina.weibo.sdk.", "com.sina.weibo.sdk.demo."),
]


def test_every_app_with_a_startup_verdict_is_covered():
    with (CORPUS / "ground_truth.tsv").open(encoding="utf-8") as fh:
        judged = {row["file"] for row in csv.DictReader(fh, delimiter="\t") if row["startup_ground_truth"].strip()}
    assert judged == {apk for apk, _m, _r in REACHED} | {apk for apk, _p, _own in NOTHING_AT_STARTUP}


@pytest.mark.parametrize(("apk", "method", "at_startup"), REACHED, ids=[f"{a}:{m}" for a, m, _r in REACHED])
def test_startup_verdict(apk, method, at_startup):
    assert (method in startup_methods(apk)) is at_startup


@pytest.mark.parametrize(("apk", "namespace", "own"), NOTHING_AT_STARTUP, ids=[f"{a}:{p}" for a, p, _o in NOTHING_AT_STARTUP])
def test_nothing_of_the_sdk_runs_at_startup(apk, namespace, own):
    sdk_methods = {m for m in startup_methods(apk) if m.startswith(namespace) and not (own and m.startswith(own))}
    assert sdk_methods == set()
