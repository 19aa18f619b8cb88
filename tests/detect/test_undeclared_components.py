"""An Activity the manifest does not declare is never created, so what its instance code does never happens
(hegui.detect.undeclared): an update screen bundled without its manifest entry that "opens" an app store from
its onCreate is no associated start, however its class is named elsewhere. The same screen declared, a declared
subclass of it, or a factory that may create any class keeps the finding."""

from __future__ import annotations

import pytest

from apkbuild import smali_class
from scanfixtures import APP, MAIN, app_smali, scan_app
from smali_snippets import method

pytestmark = pytest.mark.apktool

SCREEN = f"{APP}.update.UpdateActivity"
SCREEN_D = "L" + SCREEN.replace(".", "/") + ";"
INTENT = "Landroid/content/Intent;"
STORE = "com.huawei.appmarket"

# UpdateActivity#onCreate → #openStore: `startActivity(new Intent(ACTION).setPackage("com.huawei.appmarket"))`
OPEN_STORE = (f"    new-instance v0, {INTENT}\n"
              '    const-string v1, "com.huawei.appmarket.intent.action.ThirdUpdateAction"\n'
              f"    invoke-direct {{v0, v1}}, {INTENT}-><init>(Ljava/lang/String;)V\n"
              f'    const-string v1, "{STORE}"\n'
              f"    invoke-virtual {{v0, v1}}, {INTENT}->setPackage(Ljava/lang/String;){INTENT}\n"
              f"    invoke-virtual {{p0, v0}}, {SCREEN_D}->startActivity({INTENT})V\n")
SCREEN_SMALI = smali_class(SCREEN, method(
    "onCreate", "    invoke-super {p0, p1}, Landroid/app/Activity;->onCreate(Landroid/os/Bundle;)V\n"
    f"    invoke-direct {{p0}}, {SCREEN_D}->openStore()V\n", params="Landroid/os/Bundle;",
).replace(".method public onCreate", ".method protected onCreate") + method("openStore", OPEN_STORE).replace(
    ".method public openStore", ".method private openStore"), super_="Landroid/app/Activity;")
# the launcher shows it at startup: `startActivity(new Intent(this, UpdateActivity.class))`
SHOW = (f"    new-instance v0, {INTENT}\n    const-class v1, {SCREEN_D}\n"
        f"    invoke-direct {{v0, p0, v1}}, {INTENT}-><init>(Landroid/content/Context;Ljava/lang/Class;)V\n"
        f"    invoke-virtual {{p0, v0}}, L{MAIN.replace('.', '/')};->startActivity({INTENT})V\n")
SUBCLASS = f"{APP}.ShopUpdateActivity"


def associated(scanned) -> list[tuple[str, str, list[str]]]:
    return [(f.subject, f.severity, [e.detail for e in f.evidence]) for f in scanned.report.findings
            if f.rule_id == "PI-START-ASSOCIATED"]


# (another activity's onCreate is not startup code: medium)
STARTS = [("app", "medium", [f"{SCREEN}#openStore starts components of other apps: {STORE}"])]


@pytest.mark.parametrize(("components", "application_attrs", "expected"), [
    ("", "", []),
    # the support library's factory creates the class the manifest names: still never created
    ("", 'android:appComponentFactory="androidx.core.app.CoreComponentFactory"', []),
    (f'<activity android:name="{SCREEN}"/>', "", STARTS),
    # an app factory may create UpdateActivity for any declared name
    ("", f'android:appComponentFactory="{APP}.Factory"', STARTS),
], ids=["undeclared", "undeclared-with-support-factory", "declared", "undeclared-with-app-factory"])
def test_an_undeclared_screen_starts_no_other_app(tmp_path, components, application_attrs, expected):
    smali = {**app_smali(main_on_create=SHOW), SCREEN: SCREEN_SMALI}
    scanned = scan_app(tmp_path, smali, components=components, application_attrs=application_attrs)
    assert associated(scanned) == expected


def test_a_declared_subclass_runs_the_undeclared_screens_code(tmp_path):
    smali = {**app_smali(main_on_create=SHOW.replace(SCREEN_D, "L" + SUBCLASS.replace(".", "/") + ";")),
             SCREEN: SCREEN_SMALI, SUBCLASS: smali_class(SUBCLASS, "", super_=SCREEN_D)}
    scanned = scan_app(tmp_path, smali, components=f'<activity android:name="{SUBCLASS}"/>')
    assert [(s, sev) for s, sev, _e in associated(scanned)] == [("app", "medium")]


HANDLER = f"{SCREEN}$1"
HANDLER_D = "L" + HANDLER.replace(".", "/") + ";"
# UpdateActivity$1: a handler the screen creates in onCreate; its handle() opens the store
HANDLER_SMALI = smali_class(HANDLER, method("handle", OPEN_STORE.replace(
    f"    invoke-virtual {{p0, v0}}, {SCREEN_D}->startActivity({INTENT})V\n",
    "    const/4 v1, 0x0\n"
    f"    invoke-virtual {{v1, v0}}, Landroid/content/Context;->startActivity({INTENT})V\n")))
NEW_HANDLER = (f"    new-instance v0, {HANDLER_D}\n    invoke-direct {{v0}}, {HANDLER_D}-><init>()V\n"
               f"    invoke-virtual {{v0}}, {HANDLER_D}->handle()V\n")
SCREEN_WITH_HANDLER = smali_class(SCREEN, method(
    "onCreate", "    invoke-super {p0, p1}, Landroid/app/Activity;->onCreate(Landroid/os/Bundle;)V\n" + NEW_HANDLER,
    params="Landroid/os/Bundle;"), super_="Landroid/app/Activity;")
# (from the launcher's onCreate: startup code, high)
HANDLER_STARTS = [("app", "high", [f"{HANDLER}#handle starts components of other apps: {STORE}"])]


@pytest.mark.parametrize(("main_code", "expected"), [
    ("", []),
    (NEW_HANDLER, HANDLER_STARTS),  # the launcher creates the handler too: it runs
], ids=["created-only-by-the-screen", "created-by-live-code-too"])
def test_a_class_only_an_undeclared_screen_creates_never_runs(tmp_path, main_code, expected):
    smali = {**app_smali(main_on_create=SHOW + main_code), SCREEN: SCREEN_WITH_HANDLER, HANDLER: HANDLER_SMALI}
    assert associated(scan_app(tmp_path, smali)) == expected


def test_an_undeclared_screen_the_app_creates_itself_runs(tmp_path):
    # `new UpdateActivity().openStore()`: no system start, yet the instance exists and the call runs
    create = (f"    new-instance v0, {SCREEN_D}\n    invoke-direct {{v0}}, {SCREEN_D}-><init>()V\n"
              f"    invoke-virtual {{v0}}, {SCREEN_D}->openStore()V\n")
    public = SCREEN_SMALI.replace(".method private openStore", ".method public openStore")
    smali = {**app_smali(main_on_create=create), SCREEN: public}
    assert associated(scan_app(tmp_path, smali)) == [
        ("app", "high", [f"{SCREEN}#openStore starts components of other apps: {STORE}"])]


# UpdateActivity#onCreate reads the IMEI: `((TelephonyManager) getSystemService("phone")).getDeviceId()`
READ_IMEI = ("    const-string v0, \"phone\"\n"
             f"    invoke-virtual {{p0, v0}}, {SCREEN_D}->getSystemService(Ljava/lang/String;)Ljava/lang/Object;\n"
             "    move-result-object v0\n    check-cast v0, Landroid/telephony/TelephonyManager;\n"
             "    invoke-virtual {v0}, Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;\n")
IMEI_SCREEN = smali_class(SCREEN, method(
    "onCreate", "    invoke-super {p0, p1}, Landroid/app/Activity;->onCreate(Landroid/os/Bundle;)V\n" + READ_IMEI,
    params="Landroid/os/Bundle;").replace(".method public onCreate", ".method protected onCreate"),
    super_="Landroid/app/Activity;")


@pytest.mark.parametrize(("components", "reported", "dead"), [
    ("", [], 1),
    (f'<activity android:name="{SCREEN}"/>', [("imei", f"{SCREEN}#onCreate")], 0),
], ids=["undeclared", "declared"])
def test_a_sensitive_call_of_an_undeclared_screen_is_counted_dead_not_reported(tmp_path, components, reported, dead):
    smali = {**app_smali(main_on_create=SHOW), SCREEN: IMEI_SCREEN}
    scanned = scan_app(tmp_path, smali, components=components)
    assert [(c.pi_type, c.caller) for c in scanned.report.sensitive_calls] == reported
    assert scanned.report.stats is not None and scanned.report.stats.dead_sensitive_calls == dead
