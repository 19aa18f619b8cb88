"""Liveness: code the framework reaches without a call instruction is live; code nothing reaches or names is
dead and raises nothing (its sensitive calls are only counted in the stats).

One app, scanned with the real pipeline. Each probe is a read of `Build.SERIAL` (pi_type hardware_serial); a
live probe is a sensitive call of the report, a dead one is not.
"""

from __future__ import annotations

import pytest

from apkbuild import smali_class
from scanfixtures import APP, MAIN, app_smali, both_reachabilities, scan_app
from smali_snippets import inflated_view, jni_library, layout_naming, method

pytestmark = pytest.mark.apktool

SERIAL = "    sget-object v0, Landroid/os/Build;->SERIAL:Ljava/lang/String;\n"
VIEW, UNUSED_VIEW = f"{APP}.ui.GaugeView", f"{APP}.ui.UnusedView"
FRAGMENT, MODULE = f"{APP}.ui.InfoFragment", f"{APP}.init.PushModule"
BRIDGE, ORPHAN, LATE = f"{APP}.jni.Bridge", f"{APP}.util.Orphan", f"{APP}.plugin.Late"


def d(java: str) -> str:
    return "L" + java.replace(".", "/") + ";"


def module() -> str:
    """A class only manifest meta-data names (a Glide module's shape): its constructor reads the serial."""
    return (f".class public {d(MODULE)}\n.super Ljava/lang/Object;\n\n"
            ".method public constructor <init>()V\n    .registers 2\n"
            f"    invoke-direct {{p0}}, Ljava/lang/Object;-><init>()V\n{SERIAL}    return-void\n.end method\n")


LAYOUT = layout_naming(VIEW, FRAGMENT)
NATIVE_LIB = jni_library(BRIDGE)  # a native library's JNI name of Bridge, as FindClass takes it


def liveness_smali() -> dict[str, str]:
    # MainActivity names the plugin package as a string (its class names are built at run time)
    prefix = f'    const-string v0, "{APP}.plugin."\n    invoke-static {{v0, v0}}, Landroid/util/Log;->d(' \
             "Ljava/lang/String;Ljava/lang/String;)I\n"
    smali = app_smali(main_on_create=prefix,
                      main_extra=method("onTap", SERIAL, params="Landroid/view/View;")
                      + method("onUnboundTap", SERIAL, params="Landroid/view/View;"))
    smali[VIEW] = inflated_view(VIEW, SERIAL)
    smali[UNUSED_VIEW] = inflated_view(UNUSED_VIEW, SERIAL)
    smali[FRAGMENT] = smali_class(FRAGMENT, method(
        "onCreateView", SERIAL + "    const/4 v1, 0x0\n    return-object v1\n",
        params="Landroid/view/LayoutInflater;Landroid/view/ViewGroup;Landroid/os/Bundle;", ret="Landroid/view/View;"),
        super_="Landroid/app/Fragment;")
    smali[MODULE] = module()
    smali[BRIDGE] = smali_class(BRIDGE, method("onNativeEvent", SERIAL, static=True))
    smali[ORPHAN] = smali_class(ORPHAN, method("read", SERIAL, static=True))
    smali[LATE] = smali_class(LATE, method("read", SERIAL, static=True))
    return smali


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    return scan_app(tmp_path_factory.mktemp("liveness"), liveness_smali(),
                    components=f'<meta-data android:name="{MODULE}" android:value="GlideModule"/>',
                    res={"layout/activity_main.xml": LAYOUT},
                    extra_files={"lib/arm64-v8a/libbridge.so": NATIVE_LIB})


def test_code_the_framework_reaches_from_layouts_manifest_and_native_code_is_live_and_the_rest_is_dead(scanned):
    # live: the inflated View's constructor and callback, the layout's Fragment, the onClick handler, the
    # meta-data module, the class a native library names, a class under a package named in live code.
    # dead: the View no layout names, the handler no layout binds, the helper nothing calls
    assert {c.caller for c in scanned.calls("hardware_serial")} == {
        f"{VIEW}#<init>", f"{VIEW}#onDraw", f"{FRAGMENT}#onCreateView", f"{MAIN}#onTap", f"{MODULE}#<init>",
        f"{BRIDGE}#onNativeEvent", f"{LATE}#read",
    }
    assert scanned.report.stats is not None and scanned.report.stats.dead_sensitive_calls == 4


def test_a_finding_rests_only_on_live_sensitive_calls(scanned):
    finding = scanned.finding("PI-DEVICE-ID-NONRESETTABLE")
    assert (finding.severity, sorted(e.caller for e in finding.evidence)) == ("medium", sorted([
        f"{MAIN}#onTap", f"{MODULE}#<init>", f"{BRIDGE}#onNativeEvent", f"{LATE}#read", f"{VIEW}#<init>",
        f"{VIEW}#onDraw", f"{FRAGMENT}#onCreateView"]))


def test_an_app_whose_declared_components_are_mostly_missing_keeps_its_unreached_calls(tmp_path):
    # a packer's or plugin framework's shape: the manifest declares components whose code is loaded at run
    # time, so what the DEX's call graph does not reach may still run; the Orphan helper stays a sensitive call
    missing = "".join(f'<activity android:name="{APP}.loaded.Screen{i}"/>' for i in range(4))
    smali = app_smali()
    smali[ORPHAN] = smali_class(ORPHAN, method("read", SERIAL, static=True))
    scanned = scan_app(tmp_path, smali, components=missing)
    assert {c.caller for c in scanned.calls("hardware_serial")} == {f"{ORPHAN}#read"}
    assert scanned.report.stats is not None and scanned.report.stats.dead_sensitive_calls == 0


@pytest.mark.corpus
def test_on_real_apps_whatever_runs_at_startup_is_live(corpus):
    """Startup reachability is part of liveness: a startup call that liveness called dead would be dropped."""
    for path in sorted((corpus / "github-cn-apks" / "apks").glob("*.apk")):
        index, startup, live = both_reachabilities(path)
        assert [index.methods[m].key for m in startup.parent if m not in live.parent] == [], path.name
