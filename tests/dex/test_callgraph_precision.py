"""Call-graph precision: what runs as the process starts, what is a framework callback, what is dead code.

Each rule has a positive and a near-miss fixture, built into real APKs and scanned with the real pipeline.
The probe is a read of `Build.SERIAL` (pi_type hardware_serial), which needs no Context; each probe's caller and
its `at_startup` say whether the call graph reached it.
"""

from __future__ import annotations

import zipfile

import pytest

from apkbuild import smali_class
from hegui import knowledge
from hegui.apk.apk import open_apk
from hegui.apk.code_names import resource_code_names
from hegui.detect.startup import framework_hierarchy, live_reachability, startup_reachability
from hegui.dex import DexIndex
from scanfixtures import APP, APP_CLASS, MAIN, app_smali, scan_app
from smali_snippets import for_name_and_invoke, method

pytestmark = pytest.mark.apktool

SERIAL = "    sget-object v0, Landroid/os/Build;->SERIAL:Ljava/lang/String;\n"
RETURN_FALSE = "    const/4 v1, 0x0\n    return v1\n"


def d(java: str) -> str:
    return "L" + java.replace(".", "/") + ";"


def new(java: str) -> str:
    return f"    new-instance v0, {d(java)}\n    invoke-direct {{v0}}, {d(java)}-><init>()V\n"


def serial_reads(scanned) -> set[tuple[str, bool]]:
    return {(c.caller, c.at_startup) for c in scanned.calls("hardware_serial")}


# --- one app holding the instantiation, callback and dead-code rules --------------------------------------
WORKER, NAMED, HELPER = f"{APP}.Worker", f"{APP}.Named", f"{APP}.Helper"
WATCHER, MODE, EDIT = f"{APP}.Watcher", f"{APP}.ModeCallback", f"{APP}.MyEdit"
ALARM = f"{APP}.compat.AlarmCompat"
SET_REPEATING = (
    '    const-string v0, "alarm"\n'
    "    invoke-virtual {p0, v0}, Landroid/content/Context;->getSystemService(Ljava/lang/String;)Ljava/lang/Object;\n"
    "    move-result-object v0\n    check-cast v0, Landroid/app/AlarmManager;\n"
    "    const/4 v1, 0x0\n    const-wide/16 v2, 0x0\n    const/4 v4, 0x0\n"
    "    invoke-virtual/range {v0 .. v5}, Landroid/app/AlarmManager;->setRepeating(IJJLandroid/app/PendingIntent;)V\n"
)


def alarm_compat() -> str:
    """An AlarmManagerCompat-like helper: `schedule` calls `setRepeating`, nothing calls `schedule`."""
    body = (method("setRepeating", SET_REPEATING, params="Landroid/content/Context;", static=True)
            + method("schedule", f"    invoke-static {{p0}}, {d(ALARM)}->setRepeating(Landroid/content/Context;)V\n",
                     params="Landroid/content/Context;", static=True))
    return smali_class(ALARM, body)


def precision_smali() -> dict[str, str]:
    on_create = (new(WORKER) + f"    const-class v0, {d(NAMED)}\n" + new(HELPER) + new(WATCHER) + new(MODE)
                 + new(EDIT))
    smali = app_smali(on_create)
    runnable = ["Ljava/lang/Runnable;"]
    smali[WORKER] = smali_class(WORKER, method("run", SERIAL), interfaces=runnable)
    smali[NAMED] = smali_class(NAMED, method("run", SERIAL), interfaces=runnable)
    smali[HELPER] = smali_class(HELPER, method("run", "") + method("collect", SERIAL), interfaces=runnable)
    smali[WATCHER] = smali_class(WATCHER, method("afterTextChanged", SERIAL, params="Landroid/text/Editable;"),
                                 interfaces=["Landroid/text/TextWatcher;"])
    smali[MODE] = smali_class(MODE, method("onCreateActionMode", SERIAL + RETURN_FALSE,
                                           params="Landroid/view/ActionMode;Landroid/view/Menu;", ret="Z"),
                              interfaces=["Landroid/view/ActionMode$Callback;"])
    smali[EDIT] = smali_class(EDIT, method("onTextContextMenuItem", SERIAL + RETURN_FALSE, params="I", ret="Z")
                              + method("onAttachedToWindow", SERIAL), super_="Landroid/widget/EditText;")
    smali[ALARM] = alarm_compat()
    return smali


@pytest.fixture(scope="module")
def precision(tmp_path_factory):
    return scan_app(tmp_path_factory.mktemp("precision"), precision_smali())


def test_new_instance_makes_a_runnable_a_startup_callback_and_const_class_does_not(precision):
    reads = serial_reads(precision)
    assert (f"{WORKER}#run", True) in reads
    assert (f"{NAMED}#run", False) in reads


def test_a_method_no_framework_type_declares_is_not_a_callback_and_nothing_else_calls_it(precision):
    # Helper#collect is dead code: not a sensitive call of the report, only counted in the stats
    assert f"{HELPER}#collect" not in {caller for caller, _startup in serial_reads(precision)}
    assert precision.report.stats is not None and precision.report.stats.dead_sensitive_calls == 1


def test_user_driven_callbacks_of_objects_created_at_startup_are_not_startup(precision):
    # TextWatcher and ActionMode.Callback by type, the paste menu of a text field by method name; a View's
    # onAttachedToWindow is a framework callback that runs without a touch
    assert serial_reads(precision) == {
        (f"{WORKER}#run", True), (f"{NAMED}#run", False),
        (f"{WATCHER}#afterTextChanged", False), (f"{MODE}#onCreateActionMode", False),
        (f"{EDIT}#onTextContextMenuItem", False), (f"{EDIT}#onAttachedToWindow", True),
    }


STARTUP_METHODS = sorted([
    f"{APP_CLASS}#<init>", f"{APP_CLASS}#onCreate", f"{MAIN}#<init>", f"{MAIN}#onCreate",
    f"{WORKER}#<init>", f"{WORKER}#run", f"{HELPER}#<init>", f"{HELPER}#run", f"{WATCHER}#<init>",
    f"{MODE}#<init>", f"{EDIT}#<init>", f"{EDIT}#onAttachedToWindow",
])


def test_the_startup_call_graph_is_exactly_the_entries_and_what_they_create_and_call(precision):
    apk = open_apk(precision.apk)
    with zipfile.ZipFile(precision.apk) as z:
        index = DexIndex.build([("classes.dex", z.read("classes.dex"))])
    reach = startup_reachability(apk.manifest, index)
    assert sorted(index.methods[mid].java() for mid in reach.parent) == STARTUP_METHODS
    assert precision.report.stats is not None
    # live: the startup methods, Named (a const-class may be handed to a reflective factory) and the
    # user-driven callbacks; not Helper#collect (nothing calls it) nor the alarm helper
    live = STARTUP_METHODS + [f"{NAMED}#<init>", f"{NAMED}#run", f"{WATCHER}#afterTextChanged",
                              f"{MODE}#onCreateActionMode", f"{EDIT}#onTextContextMenuItem"]
    live_reach = live_reachability(apk.manifest, index, resource_code_names(apk.archive))
    assert sorted(index.methods[mid].java() for mid in live_reach.parent) == sorted(live)
    assert precision.report.stats.model_dump() == {"methods": len(index.methods),
                                                   "startup_reachable_methods": len(STARTUP_METHODS),
                                                   "live_methods": len(live), "dead_sensitive_calls": 1}


def test_a_library_helper_nothing_calls_schedules_nothing(precision):
    assert "PI-START-SELF" not in precision.rules()


def test_the_same_helper_called_from_the_launcher_is_a_wakeup_schedule(tmp_path):
    smali = app_smali(main_on_create=f"    invoke-static {{p0}}, {d(ALARM)}->schedule(Landroid/content/Context;)V\n")
    smali[ALARM] = alarm_compat()
    finding = scan_app(tmp_path, smali).finding("PI-START-SELF")
    assert (finding.severity, [e.detail for e in finding.evidence]) == (
        "medium", [f"android.app.AlarmManager#setRepeating called from {ALARM}#setRepeating"])


# --- calls keyed on the framework type that declares the method ------------------------------------------
def start_service(package: str, cls: str) -> str:
    """`this.startService(new Intent().setClassName(package, cls))` in an Activity subclass."""
    return (
        "    new-instance v0, Landroid/content/Intent;\n    invoke-direct {v0}, Landroid/content/Intent;-><init>()V\n"
        f'    const-string v1, "{package}"\n    const-string v2, "{cls}"\n'
        "    invoke-virtual {v0, v1, v2}, Landroid/content/Intent;->setClassName(Ljava/lang/String;Ljava/lang/String;)"
        "Landroid/content/Intent;\n"
        f"    invoke-virtual {{p0, v0}}, {d(MAIN)}->startService(Landroid/content/Intent;)Landroid/content/ComponentName;\n"
    )


def test_an_activity_starting_another_apps_service_on_itself_is_associated_start(tmp_path):
    # MainActivity->startService is declared by Context (and ContextWrapper), two classes above Activity
    scanned = scan_app(tmp_path, app_smali(main_on_create=start_service("com.other.push", "com.other.push.WakeService")))
    finding = scanned.finding("PI-START-ASSOCIATED")
    assert [e.detail for e in finding.evidence] == [
        f"{MAIN}#onCreate starts components of other apps: com.other.push"]


def test_an_activity_starting_its_own_service_is_not_associated_start(tmp_path):
    scanned = scan_app(tmp_path, app_smali(main_on_create=start_service(APP, f"{APP}.SyncService")))
    assert "PI-START-ASSOCIATED" not in scanned.rules()


def test_a_start_service_the_app_defines_itself_is_not_the_frameworks(tmp_path):
    own = method("startService", "    const/4 v0, 0x0\n    return-object v0\n", params="Landroid/content/Intent;",
                 ret="Landroid/content/ComponentName;")
    scanned = scan_app(tmp_path, app_smali(main_on_create=start_service("com.other.push", "com.other.push.WakeService"),
                                           main_extra=own))
    assert "PI-START-ASSOCIATED" not in scanned.rules()


# --- reflection by constant name -------------------------------------------------------------------------
PLUGIN = f"{APP}.Plugin"
FOR_NAME_AND_INVOKE = for_name_and_invoke(PLUGIN)
NAME_ONLY_LOGGED = (
    f'    const-string v0, "{PLUGIN}"\n'
    "    invoke-static {v0, v0}, Landroid/util/Log;->d(Ljava/lang/String;Ljava/lang/String;)I\n"
)


def plugin_smali(on_create: str) -> dict[str, str]:
    smali = app_smali(on_create)
    smali[PLUGIN] = smali_class(PLUGIN, method("start", SERIAL) + method("stop", SERIAL))
    return smali


def test_a_class_loaded_by_constant_name_runs_the_method_invoked_by_constant_name(tmp_path):
    reads = serial_reads(scan_app(tmp_path, plugin_smali(FOR_NAME_AND_INVOKE)))
    assert reads == {(f"{PLUGIN}#start", True), (f"{PLUGIN}#stop", False)}


LOADER = f"{APP}.Loader"


def test_a_class_name_handed_to_a_loaders_constructor_is_created_by_reflection(tmp_path):
    # Tinker's shape: the application passes its delegate's name to a constructor; another method of that
    # class calls Class.forName on it
    hand_over = (f'    const-string v1, "{PLUGIN}"\n    new-instance v0, {d(LOADER)}\n'
                 f"    invoke-direct {{v0, v1}}, {d(LOADER)}-><init>(Ljava/lang/String;)V\n")
    smali = plugin_smali(hand_over)
    load = ("    const/4 v1, 0x0\n"
            "    invoke-static {v1}, Ljava/lang/Class;->forName(Ljava/lang/String;)Ljava/lang/Class;\n")
    smali[LOADER] = (f".class public {d(LOADER)}\n.super Ljava/lang/Object;\n\n"
                     ".method public constructor <init>(Ljava/lang/String;)V\n    .registers 2\n"
                     "    invoke-direct {p0}, Ljava/lang/Object;-><init>()V\n    return-void\n.end method\n\n"
                     + method("load", load))
    smali[PLUGIN] = smali_class(PLUGIN, method("run", SERIAL), interfaces=["Ljava/lang/Runnable;"])
    assert serial_reads(scan_app(tmp_path, smali)) == {(f"{PLUGIN}#run", True)}


def test_a_class_name_that_is_only_logged_creates_nothing(tmp_path):
    reads = serial_reads(scan_app(tmp_path, plugin_smali(NAME_ONLY_LOGGED)))
    assert reads == {(f"{PLUGIN}#start", False), (f"{PLUGIN}#stop", False)}


# --- knowledge/startup.yaml ------------------------------------------------------------------------------
def test_every_user_callback_type_is_a_framework_type_and_every_method_a_framework_method():
    h = framework_hierarchy()
    user = knowledge.startup()
    assert sorted(t for t in user.user_callback_types if t not in h) == []
    declared = {name for t in ("Landroid/app/Activity;", "Landroid/widget/TextView;") for name in _all_methods(h, t)}
    for t in user.user_callback_types:
        declared |= h.methods(t)
    for t in ("Landroid/view/GestureDetector$OnGestureListener;", "Landroid/widget/AdapterView$OnItemSelectedListener;",
              "Landroid/widget/SeekBar$OnSeekBarChangeListener;", "Landroid/app/DatePickerDialog$OnDateSetListener;",
              "Landroid/app/TimePickerDialog$OnTimeSetListener;", "Landroid/widget/AbsListView$OnScrollListener;",
              "Landroid/widget/RatingBar$OnRatingBarChangeListener;", "Landroid/widget/ExpandableListView$OnGroupClickListener;",
              "Landroid/widget/ExpandableListView$OnChildClickListener;", "Landroid/widget/NumberPicker$OnValueChangeListener;",
              "Landroid/widget/DatePicker$OnDateChangedListener;", "Landroid/widget/TimePicker$OnTimeChangedListener;",
              "Landroid/content/DialogInterface$OnDismissListener;", "Landroid/content/DialogInterface$OnCancelListener;",
              "Landroid/widget/SearchView$OnSuggestionListener;", "Landroid/webkit/WebViewClient;",
              "Landroid/gesture/GestureOverlayView$OnGesturePerformedListener;",
              "Landroid/gesture/GestureOverlayView$OnGestureListener;", "Landroid/app/ActionBar$TabListener;",
              "Landroid/widget/Toolbar$OnMenuItemClickListener;", "Landroid/view/View$OnScrollChangeListener;",
              "Landroid/view/View$OnGenericMotionListener;", "Landroid/view/View$OnHoverListener;",
              "Landroid/view/OnReceiveContentListener;", "Landroid/app/ActionBar$OnNavigationListener;"):
        assert t in h, t
        declared |= h.methods(t)
    assert sorted(user.user_callback_methods - declared) == []


def _all_methods(h, t: str) -> set[str]:
    return {name for s in h.supertypes(t) for name in h.methods(s)}


# --- the framework creates a component with its own no-argument constructor --------------------------------
BASE = f"{APP}.BaseActivity"


def test_a_superclass_constructor_the_component_does_not_call_is_no_startup_code(tmp_path):
    """BaseActivity(int) reads the serial; MainActivity() calls only BaseActivity(): the read is not at startup."""
    base = (f".class public {d(BASE)}\n.super Landroid/app/Activity;\n\n"
            ".method public constructor <init>()V\n    .registers 1\n"
            "    invoke-direct {p0}, Landroid/app/Activity;-><init>()V\n    return-void\n.end method\n\n"
            ".method public constructor <init>(I)V\n    .registers 2\n"
            f"    invoke-direct {{p0}}, Landroid/app/Activity;-><init>()V\n{SERIAL}    return-void\n.end method\n")
    on_create = method("onCreate", f"    invoke-super {{p0, p1}}, {d(BASE)}->onCreate(Landroid/os/Bundle;)V\n",
                       params="Landroid/os/Bundle;")
    smali = {**app_smali(), MAIN: smali_class(MAIN, on_create, super_=d(BASE)), BASE: base}
    scanned = scan_app(tmp_path, smali)
    apk = open_apk(scanned.apk)
    with zipfile.ZipFile(scanned.apk) as z:
        index = DexIndex.build([("classes.dex", z.read("classes.dex"))])
    reach = startup_reachability(apk.manifest, index)
    constructors = sorted(m.proto for m in (index.methods[mid] for mid in reach.parent)
                          if m.cls == d(BASE) and m.name == "<init>")
    assert constructors == ["()V"]  # MainActivity() → BaseActivity(); BaseActivity(int) never runs
    assert serial_reads(scanned) == set()  # dead code: counted, not listed
    assert scanned.report.stats is not None and scanned.report.stats.dead_sensitive_calls == 1
