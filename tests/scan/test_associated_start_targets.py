"""Associated start names another app only by the package argument of a targeting call (setPackage,
setClassName, ComponentName, getLaunchIntentForPackage): not by an extra's key, and not by a name inside the
app's or the caller's own namespace (xgdemo's `putExtra("com.xuexiang.xpush.util.push_data", …)`)."""

from __future__ import annotations

import pytest

from apkbuild import smali_class
from expect import assert_findings
from scanfixtures import APP, MAIN, app_smali, scan_app
from smali_snippets import method

pytestmark = pytest.mark.apktool

LIB = "com.other.lib.Transmit"
LIB_D = "L" + LIB.replace(".", "/") + ";"


def start(package_arg: str, extra_key: str = "") -> str:
    """`intent = new Intent(); [intent.putExtra(extra_key, 1);] intent.setPackage(<package_arg>);
    ctx.startActivity(intent)` with p0 the Context; `package_arg` is smali that leaves the package in v1."""
    extra = (f'    const-string v2, "{extra_key}"\n    const/4 v3, 0x1\n'
             "    invoke-virtual {v0, v2, v3}, Landroid/content/Intent;->putExtra(Ljava/lang/String;I)"
             "Landroid/content/Intent;\n") if extra_key else ""
    return ("    new-instance v0, Landroid/content/Intent;\n    invoke-direct {v0}, Landroid/content/Intent;-><init>()V\n"
            + extra + package_arg
            + "    invoke-virtual {v0, v1}, Landroid/content/Intent;->setPackage(Ljava/lang/String;)Landroid/content/Intent;\n"
            "    invoke-virtual {p0, v0}, Landroid/content/Context;->startActivity(Landroid/content/Intent;)V\n")


OWN_PACKAGE = ("    invoke-virtual {p0}, Landroid/content/Context;->getPackageName()Ljava/lang/String;\n"
               "    move-result-object v1\n")


def constant(package: str) -> str:
    return f'    const-string v1, "{package}"\n'


def test_the_package_argument_of_set_package_is_the_other_app_and_an_extra_key_is_not(tmp_path):
    on_create = start(constant("com.coolapk.market"), extra_key="com.other.push.push_data")
    finding = scan_app(tmp_path, app_smali(main_on_create=on_create)).finding("PI-START-ASSOCIATED")
    assert (finding.severity, [e.detail for e in finding.evidence]) == (
        "high", [f"{MAIN}#onCreate starts components of other apps: com.coolapk.market"])


def test_an_extra_key_shaped_like_a_package_beside_the_apps_own_package_is_no_associated_start(tmp_path):
    on_create = start(OWN_PACKAGE, extra_key="com.other.push.push_data")
    assert_findings(scan_app(tmp_path, app_smali(main_on_create=on_create)).report,
                    {("PI-POLICY-ABSENT", "app", "high")})


def test_a_name_under_the_callers_own_package_is_no_other_app(tmp_path):
    # a library's code targeting a name in its own namespace (its own action/component name), from onCreate
    smali = app_smali(main_on_create=f"    invoke-static {{p0}}, {LIB_D}->send(Landroid/content/Context;)V\n")
    smali[LIB] = smali_class(LIB, method("send", start(constant("com.other.lib.sync")),
                                         params="Landroid/content/Context;", static=True))
    assert_findings(scan_app(tmp_path, smali).report, {("PI-POLICY-ABSENT", "app", "high")})


def test_a_prefix_of_the_apps_own_package_is_no_other_app(tmp_path):
    on_create = start(constant(APP.rpartition(".")[0]))  # "com.demo"
    assert_findings(scan_app(tmp_path, app_smali(main_on_create=on_create)).report,
                    {("PI-POLICY-ABSENT", "app", "high")})


def test_a_prefix_of_an_sdks_package_can_be_another_app(tmp_path):
    # WeChat's SDK (com.tencent.mm.opensdk) opening WeChat itself (com.tencent.mm) from onCreate
    sdk = "com.tencent.mm.opensdk.openapi.WXApiImplV10"
    sdk_d = "L" + sdk.replace(".", "/") + ";"
    smali = app_smali(main_on_create=f"    invoke-static {{p0}}, {sdk_d}->openWXApp(Landroid/content/Context;)V\n")
    smali[sdk] = smali_class(sdk, method("openWXApp", start(constant("com.tencent.mm")),
                                         params="Landroid/content/Context;", static=True))
    scanned = scan_app(tmp_path, smali)
    subject = scanned.sdk_id("com.tencent.mm.opensdk")
    finding = scanned.finding("PI-START-ASSOCIATED", subject)
    assert (finding.severity, [e.detail for e in finding.evidence]) == (
        "high", [f"{sdk}#openWXApp starts components of other apps: com.tencent.mm"])
