"""A jump to another app or a schedule that runs only because the user acted (every path to it goes through a
user callback of knowledge/startup.yaml: a list item tapped, a menu picked) is the user's doing: neither
associated start nor self-start. The same code reached without a user's action still is."""

from __future__ import annotations

import zipfile

import pytest

import smali_snippets as s
from expect import assert_findings
from hegui.apk.apk import open_apk
from hegui.apk.code_names import resource_code_names
from hegui.detect.startup import live_reachability
from hegui.dex import DexIndex
from scanfixtures import MAIN, app_smali, scan_app
from smali_snippets import method

pytestmark = pytest.mark.apktool

LISTENER = f"{MAIN}$1"
MAIN_D = "L" + MAIN.replace(".", "/") + ";"
LISTENER_D = "L" + LISTENER.replace(".", "/") + ";"
# AboutActivity's shape in com.sjk.palette: a list whose item click opens the market app
ON_ITEM_CLICK = (f"    iget-object v0, p0, {LISTENER_D}->host:{MAIN_D}\n"
                 f"    invoke-virtual {{v0}}, {MAIN_D}->openMarket()V\n")
SET_REPEATING = (
    '    const-string v0, "alarm"\n'
    "    invoke-virtual {p0, v0}, Landroid/content/Context;->getSystemService(Ljava/lang/String;)Ljava/lang/Object;\n"
    "    move-result-object v0\n    check-cast v0, Landroid/app/AlarmManager;\n"
    "    const/4 v1, 0x0\n    const-wide/16 v2, 0x0\n    const/4 v4, 0x0\n"
    "    invoke-virtual/range {v0 .. v5}, Landroid/app/AlarmManager;->setRepeating(IJJLandroid/app/PendingIntent;)V\n"
)


def listener() -> str:
    """`new AdapterView.OnItemClickListener() { onItemClick(…) { host.openMarket(); } }`"""
    return (f".class public {LISTENER_D}\n.super Ljava/lang/Object;\n"
            ".implements Landroid/widget/AdapterView$OnItemClickListener;\n\n"
            f".field public host:{MAIN_D}\n\n"
            f".method public constructor <init>({MAIN_D})V\n    .registers 2\n"
            "    invoke-direct {p0}, Ljava/lang/Object;-><init>()V\n"
            f"    iput-object p1, p0, {LISTENER_D}->host:{MAIN_D}\n    return-void\n.end method\n\n"
            + method("onItemClick", ON_ITEM_CLICK, params="Landroid/widget/AdapterView;Landroid/view/View;IJ"))


def app_with_list(extra_on_create: str = "") -> dict[str, str]:
    create_listener = (f"    new-instance v0, {LISTENER_D}\n"
                       f"    invoke-direct {{v0, p0}}, {LISTENER_D}-><init>({MAIN_D})V\n")
    smali = app_smali(main_on_create=create_listener + extra_on_create,
                      main_extra=method("openMarket", s.open_other_app("p0", "com.coolapk.market"))
                      + method("remind", SET_REPEATING))
    smali[LISTENER] = listener()
    return smali


def reached_only_on_user_action(scanned, name: str) -> bool:
    """MainActivity#`name` is live, and only through user callbacks."""
    apk = open_apk(scanned.apk)
    with zipfile.ZipFile(scanned.apk) as z:
        index = DexIndex.build([("classes.dex", z.read("classes.dex"))])
    live = live_reachability(apk.manifest, index, resource_code_names(apk.archive))
    [mid] = [mid for (n, _p), mid in index.classes[MAIN_D].methods.items() if n == name]
    return mid in live.parent and not live.reached_without_user(mid)


def test_another_app_opened_only_from_a_list_item_click_is_not_associated_start(tmp_path):
    scanned = scan_app(tmp_path, app_with_list())
    assert reached_only_on_user_action(scanned, "openMarket")
    assert_findings(scanned.report, {("PI-POLICY-ABSENT", "app", "high")})


def test_the_same_jump_also_made_from_oncreate_is_associated_start(tmp_path):
    scanned = scan_app(tmp_path, app_with_list(f"    invoke-virtual {{p0}}, {MAIN_D}->openMarket()V\n"))
    finding = scanned.finding("PI-START-ASSOCIATED")
    assert (finding.severity, [e.detail for e in finding.evidence]) == (
        "high", [f"{MAIN}#openMarket starts components of other apps: com.coolapk.market"])
    assert not reached_only_on_user_action(scanned, "openMarket")


def test_an_alarm_set_only_from_a_menu_item_is_not_self_start(tmp_path):
    smali = app_with_list()
    menu = method("onOptionsItemSelected", f"    invoke-virtual {{p0}}, {MAIN_D}->remind()V\n"
                  "    const/4 v0, 0x1\n    return v0\n", params="Landroid/view/MenuItem;", ret="Z")
    smali[MAIN] = smali[MAIN].replace(".method public remind()V", menu + "\n.method public remind()V")
    scanned = scan_app(tmp_path, smali)
    assert reached_only_on_user_action(scanned, "remind")
    assert_findings(scanned.report, {("PI-POLICY-ABSENT", "app", "high")})


def test_the_same_alarm_set_from_oncreate_is_self_start(tmp_path):
    scanned = scan_app(tmp_path, app_with_list(f"    invoke-virtual {{p0}}, {MAIN_D}->remind()V\n"))
    finding = scanned.finding("PI-START-SELF")
    assert (finding.severity, [e.detail for e in finding.evidence]) == (
        "medium", [f"android.app.AlarmManager#setRepeating called from {MAIN}#remind"])
