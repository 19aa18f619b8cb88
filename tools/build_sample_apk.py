"""Build the bundled sample `src/hegui/samples/demo-shop.apk` (run by hand; needs Debian apktool).

A tiny shopping app written for hegui, with known problems: Umeng and the GDT ad SDK start in
Application.onCreate before any consent dialog, a boot receiver, an APK-install path, a shake listener in
the ad SDK, and a privacy policy that lacks a complaint channel and the SDK list. The smali is ours; the SDK
classes are stand-ins under the vendors' package names, which is what SDK identification keys on.

    python3 tools/build_sample_apk.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import smali_snippets as s  # noqa: E402
from apkbuild import build_apk, launcher_activity, manifest, smali_class  # noqa: E402
from smali_snippets import method  # noqa: E402

APP = "com.demo.shop"
POLICY = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>演示商店隐私政策</title></head><body>
<h1>演示商店隐私政策</h1>
<p>更新日期：2026年10月1日。本政策适用于演示商店（运营者：演示商店科技有限公司，注册地址：北京市海淀区示例路1号，
联系邮箱 privacy@demo-shop.cn）。</p>
<h2>一、我们收集的个人信息</h2>
<p>为向您提供商品浏览和下单服务，我们会收集您的手机号码、收货地址。为保障账号安全，我们会收集设备信息（设备标识符）。</p>
<h2>二、您的权利</h2>
<p>您可以查阅、更正、删除您的个人信息，也可以在"我的-设置-账号注销"中注销账号。</p>
<h2>三、本政策的更新</h2>
<p>本政策更新时，我们会通过弹窗通知您。</p>
</body></html>
"""


def main() -> None:
    receiver = f"{APP}.BootReceiver"
    umeng = "com.umeng.commonsdk.UMConfigure"
    gdt = "com.qq.e.ads.splash.SplashAD"
    app_body = method("onCreate", "    invoke-super {p0}, Landroid/app/Application;->onCreate()V\n"
                      + s.call_static(umeng, "init") + s.call_static(gdt, "preload"))
    main_body = method("onCreate", "    invoke-super {p0, p1}, Landroid/app/Activity;->onCreate(Landroid/os/Bundle;)V\n",
                       params="Landroid/os/Bundle;") + method("upgrade", s.install_apk_intent())
    smali = {
        f"{APP}.ShopApp": smali_class(f"{APP}.ShopApp", app_body, super_="Landroid/app/Application;"),
        f"{APP}.MainActivity": smali_class(f"{APP}.MainActivity", main_body, super_="Landroid/app/Activity;"),
        receiver: smali_class(receiver, method("onReceive", "", params="Landroid/content/Context;Landroid/content/Intent;"),
                              super_="Landroid/content/BroadcastReceiver;"),
        umeng: smali_class(umeng, method("init", s.read_imei() + s.read_android_id(), params="Landroid/content/Context;",
                                         static=True)),
        gdt: smali_class(gdt, method("preload", s.register_accelerometer() + s.installed_packages(),
                                     params="Landroid/content/Context;", static=True)),
    }
    components = launcher_activity(f"{APP}.MainActivity") + (
        f'<receiver android:name="{receiver}" android:exported="true"><intent-filter>'
        '<action android:name="android.intent.action.BOOT_COMPLETED"/></intent-filter></receiver>')
    xml = manifest(APP, components, permissions=[
        "android.permission.INTERNET", "android.permission.READ_PHONE_STATE", "android.permission.RECEIVE_BOOT_COMPLETED",
        "android.permission.REQUEST_INSTALL_PACKAGES", "android.permission.READ_CONTACTS",
    ], application_attrs=f'android:name="{APP}.ShopApp" android:label="@string/app_name"', version_code=12,
        version_name="1.2.0")
    res = {"values/strings.xml": '<?xml version="1.0" encoding="utf-8"?><resources><string name="app_name">演示商店</string></resources>',
           "values-en/strings.xml": '<?xml version="1.0" encoding="utf-8"?><resources><string name="app_name">Demo Shop</string></resources>'}
    with tempfile.TemporaryDirectory() as tmp:
        apk = build_apk(Path(tmp), xml, smali, name="demo-shop", res=res, assets={"privacy_policy.html": POLICY},
                        version_code=12, version_name="1.2.0", sign=True)
        target = REPO / "src/hegui/samples/demo-shop.apk"
        shutil.copyfile(apk, target)
    print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
