"""The C fixpoint of the call graph (hegui.dex._speedups.reachability) reaches exactly what the pure-Python
`Reachability` reaches, with the same predecessor for every method, in the same order.

Each comparison builds both reachabilities of hegui.detect.startup (startup, with consent guards; liveness,
with callbacks, names from resources and native code, reflection and deferred user callbacks) over one index,
once with the extension and once with `parser.speedups = None` (the Python fixpoint), and requires identical
`parent` maps (keys, predecessors and order: evidence paths come from them), `guarded` maps and `before_user`
sets; the C run must not run the Python fixpoint at all. Then whole scans: the JSON report of corpus APKs is
byte-identical with and without the extension (HEGUI_PURE_PYTHON=1 in a subprocess).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import smali_snippets as s
from apkbuild import smali_class
from hegui.apk.apk import open_apk
from hegui.apk.code_names import native_class_names, resource_code_names
from hegui.detect.startup import framework_hierarchy, live_reachability, startup_reachability
from hegui.dex import DexIndex, parser
from hegui.dex.callgraph import Reachability
from hegui.dex.guards.analysis import _boolean_refs
from hegui.dex.guards.bytecode import CodeReader
from hegui.dex.guards.fields import BooleanFields
from hostile_dex import build_dex, class_def_field, with_u32
from scanfixtures import APP, APP_CLASS, MAIN, app_smali, both_reachabilities, scan_app
from smali_snippets import method

needs_extension = pytest.mark.skipif(
    parser.speedups is None, reason="hegui.dex._speedups is not built (pip install -e . with a C compiler)"
)

# Real apps and SDK demos of the Chinese corpus: obfuscated code, multidex, reflection-heavy SDKs (ShareSDK,
# MobTech), layouts with custom views, JNI libraries.
CORPUS_APKS = [
    "github-cn-apks/apks/cn.sharesdk.demo.apk",
    "github-cn-apks/apks/com.sjk.zcmu.score.apk",
    "github-cn-apks/apks/com.xuexiang.xgdemo.apk",
    "github-cn-apks/apks/com.mob.shop.demo.apk",
    "github-cn-apks/apks/com.readboy.youdaoai.apk",
    "github-cn-apks/apks/wapchief.com.collectiondemo.apk",
    "github-cn-apks/apks/cn.zk520.zk.apk",
]


@contextmanager
def python_fixpoint() -> Iterator[None]:
    """The Python fixpoint over the same index (its methods stay the extension's records)."""
    fast = parser.speedups
    parser.speedups = None
    try:
        yield
    finally:
        parser.speedups = fast


@contextmanager
def c_fixpoint_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The C fixpoint; the Python one may not run."""
    def refuse(self: Reachability) -> None:
        raise AssertionError("the Python fixpoint ran although the extension read every method")

    with monkeypatch.context() as m:
        m.setattr(Reachability, "_run", refuse)
        yield


def snapshot(reach: Reachability) -> tuple:
    return list(reach.parent.items()), reach.guarded, reach.before_user


def compare(apk_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[DexIndex, Reachability, Reachability]:
    with c_fixpoint_only(monkeypatch):
        index, startup, live = both_reachabilities(apk_path)
    with python_fixpoint():
        apk = open_apk(apk_path)
        slow_startup = startup_reachability(apk.manifest, index)
        slow_live = live_reachability(apk.manifest, index, resource_code_names(apk.archive),
                                      native_class_names(apk.archive, apk.native_libs))
    assert snapshot(startup) == snapshot(slow_startup)
    assert snapshot(live) == snapshot(slow_live)
    return index, startup, live


# --- real apps -----------------------------------------------------------------------------------------------
@needs_extension
@pytest.mark.corpus
@pytest.mark.parametrize("apk", CORPUS_APKS)
def test_corpus_apps_reach_the_same_methods_by_the_same_paths_in_c_and_python(corpus, apk, monkeypatch):
    index, startup, live = compare(corpus / apk, monkeypatch)
    assert parser.speedups.packed_index(index.methods)
    assert startup.parent and live.before_user and live.before_user < live.parent.keys()


@needs_extension
@pytest.mark.corpus
@pytest.mark.parametrize("apk", CORPUS_APKS[:3])
def test_the_consent_guards_candidate_calls_and_fields_are_the_same_in_c_and_python(corpus, apk):
    index = both_reachabilities(corpus / apk)[0]
    for dex in index.dex_files:
        fast = (_boolean_refs(dex), BooleanFields(index, CodeReader()).by_name(dex))
        with python_fixpoint():
            slow = (_boolean_refs(dex), BooleanFields(index, CodeReader()).by_name(dex))
        assert fast == slow
        assert fast[0] == {i for i, (_c, _n, proto) in enumerate(index.method_refs(dex)) if proto.endswith(")Z")}
        assert fast[1], "the app has boolean fields"


# --- one app with every kind of edge -------------------------------------------------------------------------
WORKER, SDK, PLUGIN, LOADER = f"{APP}.Worker", f"{APP}.Sdk", f"{APP}.Plugin", f"{APP}.Loader"
VIEW, FRAGMENT, BRIDGE, CONFIG = f"{APP}.ui.GaugeView", f"{APP}.ui.InfoFragment", f"{APP}.jni.Bridge", f"{APP}.Config"
WATCHER, MODULE = f"{APP}.Watcher", f"{APP}.init.PushModule"
SERIAL = "    sget-object v0, Landroid/os/Build;->SERIAL:Ljava/lang/String;\n"


def d(java: str) -> str:
    return "L" + java.replace(".", "/") + ";"


def new(java: str, reg: str = "v0") -> str:
    return f"    new-instance {reg}, {d(java)}\n    invoke-direct {{{reg}}}, {d(java)}-><init>()V\n"


def every_edge_smali() -> dict[str, str]:
    """Guarded and unguarded calls, allocation, a Runnable run by the framework, virtual dispatch, a static
    initialiser touched through a field, Class.forName plus Method.invoke of constant names, a class name handed
    to a loader's constructor, a TextWatcher (user callbacks), a layout's View, Fragment and onClick handler, a
    manifest meta-data module and a class a native library names."""
    guarded = s.when_flag("privacy_agreed", new(SDK) + f"    invoke-static {{p0}}, {d(SDK)}->init(Landroid/content/Context;)V\n")
    reflect = s.for_name_and_invoke(PLUGIN)
    hand_over = (f'    const-string v1, "{WORKER}"\n    new-instance v0, {d(LOADER)}\n'
                 f"    invoke-direct {{v0, v1}}, {d(LOADER)}-><init>(Ljava/lang/String;)V\n")
    dispatch = (new(WORKER) + "    invoke-interface {v0}, Ljava/lang/Runnable;->run()V\n"
                f"    sget-boolean v1, {d(CONFIG)}->debug:Z\n" + new(WATCHER))
    smali = app_smali(guarded + reflect + hand_over + dispatch,
                      main_extra=method("onTap", SERIAL, params="Landroid/view/View;"))
    smali[WORKER] = smali_class(WORKER, method("run", SERIAL) + method("unused", SERIAL),
                                interfaces=["Ljava/lang/Runnable;"])
    smali[SDK] = smali_class(SDK, method("init", SERIAL, params="Landroid/content/Context;", static=True))
    smali[PLUGIN] = smali_class(PLUGIN, method("start", SERIAL) + method("stop", SERIAL))
    load = "    const/4 v1, 0x0\n    invoke-static {v1}, Ljava/lang/Class;->forName(Ljava/lang/String;)Ljava/lang/Class;\n"
    smali[LOADER] = (f".class public {d(LOADER)}\n.super Ljava/lang/Object;\n\n"
                     ".method public constructor <init>(Ljava/lang/String;)V\n    .registers 2\n"
                     "    invoke-direct {p0}, Ljava/lang/Object;-><init>()V\n    return-void\n.end method\n\n"
                     + method("load", load))
    smali[CONFIG] = (f".class public {d(CONFIG)}\n.super Ljava/lang/Object;\n.field public static debug:Z\n\n"
                     ".method static constructor <clinit>()V\n    .registers 1\n" + SERIAL + "    return-void\n.end method\n")
    smali[WATCHER] = smali_class(WATCHER, method("afterTextChanged", SERIAL, params="Landroid/text/Editable;"),
                                 interfaces=["Landroid/text/TextWatcher;"])
    smali[VIEW] = s.inflated_view(VIEW, SERIAL)
    smali[FRAGMENT] = smali_class(FRAGMENT, method("onResume", SERIAL), super_="Landroid/app/Fragment;")
    smali[MODULE] = smali_class(MODULE, method("register", SERIAL))
    smali[BRIDGE] = smali_class(BRIDGE, method("onNativeEvent", SERIAL, static=True))
    return smali


LAYOUT = s.layout_naming(VIEW, FRAGMENT)
NATIVE_LIB = s.jni_library(BRIDGE)


@needs_extension
@pytest.mark.apktool
def test_an_app_with_every_kind_of_edge_is_reached_identically_in_c_and_python(tmp_path, monkeypatch):
    scanned = scan_app(tmp_path, every_edge_smali(), res={"layout/activity_main.xml": LAYOUT},
                       components=f'<meta-data android:name="{MODULE}" android:value="GlideModule"/>',
                       extra_files={"lib/arm64-v8a/libbridge.so": NATIVE_LIB})
    index, startup, live = compare(scanned.apk, monkeypatch)
    java = {mid: index.methods[mid].java() for mid in live.parent}
    on_create = index.classes[d(APP_CLASS)].methods[("onCreate", "()V")]
    # the C run took each path: the guard, reflection, the loader, dispatch, <clinit>, deferral
    assert startup.guarded.keys() == {on_create}
    assert {java[mid] for mid in startup.parent} >= {f"{PLUGIN}#start", f"{WORKER}#run", f"{CONFIG}#<clinit>"}
    assert f"{SDK}#init" not in {java[mid] for mid in startup.parent}
    assert {java[mid] for mid in live.parent if mid not in live.before_user} == {
        f"{MAIN}#onTap", f"{WATCHER}#afterTextChanged"}
    assert {f"{VIEW}#onDraw", f"{FRAGMENT}#onResume", f"{MODULE}#<init>", f"{BRIDGE}#onNativeEvent",
            f"{SDK}#init"} <= {java[mid] for mid in live.before_user}
    assert f"{WORKER}#unused" not in java.values()


@needs_extension
@pytest.mark.apktool
def test_an_index_with_methods_the_extension_did_not_read_runs_the_python_fixpoint(tmp_path, monkeypatch):
    scanned = scan_app(tmp_path, app_smali(new(WORKER)) | {
        WORKER: smali_class(WORKER, method("run", SERIAL), interfaces=["Ljava/lang/Runnable;"])})
    with zipfile.ZipFile(scanned.apk) as z:
        blobs = [("classes.dex", z.read("classes.dex"))]
    fast = DexIndex.build(blobs)
    with python_fixpoint():
        slow = DexIndex.build(blobs)  # MethodInfo records, as hegui.jvm makes them too
    assert (parser.speedups.packed_index(fast.methods), parser.speedups.packed_index(slow.methods)) == (True, False)
    manifest = open_apk(scanned.apk).manifest
    runs: list[Reachability] = []
    python_run = Reachability._run
    monkeypatch.setattr(Reachability, "_run", lambda self: (runs.append(self), python_run(self))[1])
    from_python = startup_reachability(manifest, slow)
    assert runs == [from_python]
    with c_fixpoint_only(monkeypatch):
        from_c = startup_reachability(manifest, fast)
    assert snapshot(from_python) == snapshot(from_c)
    assert [slow.methods[mid].java() for mid in from_python.parent] == [
        f"{APP_CLASS}#<init>", f"{APP_CLASS}#onCreate", f"{MAIN}#<init>", f"{MAIN}#onCreate", f"{WORKER}#<init>",
        f"{WORKER}#run"]


@needs_extension
def test_a_superclass_cycle_and_dispatch_over_it_are_reached_identically_in_c_and_python(monkeypatch):
    # C0 extends C1 extends C0 (a hostile DEX): lineages and ancestors must stop at the cycle in both
    data, layout = build_dex(3)
    types = parser.DexFile(data).types
    data = with_u32(data, class_def_field(layout, 0, 2), types.index("Lcom/demo/C1;"))
    data = with_u32(data, class_def_field(layout, 1, 2), types.index("Lcom/demo/C0;"))
    index = DexIndex.build([("classes.dex", data)])
    assert index.lineage("Lcom/demo/C0;") == ("Lcom/demo/C0;", "Lcom/demo/C1;")
    entries = [index.methods[mid] for mid in index.classes["Lcom/demo/C2;"].methods.values()]
    classes = ["Lcom/demo/C0;", "Lcom/demo/C2;"]
    hierarchy = framework_hierarchy()
    with c_fixpoint_only(monkeypatch):
        fast = Reachability(index, entries, classes, hierarchy=hierarchy, callbacks_of_entries=True)
    with python_fixpoint():
        slow = Reachability(index, entries, classes, hierarchy=hierarchy, callbacks_of_entries=True)
    assert snapshot(fast) == snapshot(slow)
    assert sorted(index.methods[mid].java() for mid in fast.parent) == [
        "com.demo.C0#run", "com.demo.C1#run", "com.demo.C2#pick", "com.demo.C2#run"]


@needs_extension
def test_the_c_tables_kept_with_an_index_are_made_again_when_the_index_grows(monkeypatch):
    # the first run sees C2 as a class the APK does not define; once a second DEX defines it, the tables
    # kept from that run must not answer for the grown index
    index = DexIndex.build([("classes.dex", build_dex(1)[0])])

    def both() -> tuple[Reachability, Reachability]:
        entries = [index.methods[mid] for mid in index.classes["Lcom/demo/C0;"].methods.values()]
        args = (index, entries, ["Lcom/demo/C0;", "Lcom/demo/C2;"])
        with c_fixpoint_only(monkeypatch):
            fast = Reachability(*args, hierarchy=framework_hierarchy(), callbacks_of_entries=True)
        with python_fixpoint():
            slow = Reachability(*args, hierarchy=framework_hierarchy(), callbacks_of_entries=True)
        assert snapshot(fast) == snapshot(slow)
        return fast, slow

    before = both()[0]
    assert sorted(index.methods[mid].java() for mid in before.parent) == ["com.demo.C0#pick", "com.demo.C0#run"]
    index.add("classes2.dex", build_dex(3)[0])  # C0 again (the first definition wins), C1, C2
    after = both()[0]
    assert sorted(index.methods[mid].java() for mid in after.parent) == [
        "com.demo.C0#pick", "com.demo.C0#run", "com.demo.C2#run"]


# --- whole scans ---------------------------------------------------------------------------------------------
SCAN = ("import sys; from pathlib import Path; from hegui.pipeline import scan_path; "
        "from hegui.report.render import render_json; sys.stdout.buffer.write(render_json(scan_path(Path(sys.argv[1]))))")


@needs_extension
@pytest.mark.corpus
@pytest.mark.parametrize("apk", ["github-cn-apks/apks/com.red.apk", "github-cn-apks/apks/cn.zk520.zk.apk"])
def test_a_scan_reports_the_same_json_with_and_without_the_extension(corpus, apk):
    def scan(pure: str) -> bytes:
        env = {**os.environ, "HEGUI_PURE_PYTHON": pure}
        return subprocess.run([sys.executable, "-c", SCAN, str(corpus / apk)], env=env, capture_output=True,
                              check=True).stdout

    fast, slow = scan("0"), scan("1")
    assert b'"at_startup": true' in fast
    assert fast == slow
