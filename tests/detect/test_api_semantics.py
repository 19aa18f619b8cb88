"""What a catalog API call means (knowledge/api_semantics.yaml): each rule on a purpose-built APK, with a
positive fixture (the call collects) and a near miss (the same API that does not), exact verdicts and
exact sets of collection findings."""

from __future__ import annotations

import copy

import pytest

import smali_snippets as s
from apkbuild import smali_class
from hegui import knowledge
from hegui.detect.semantics import VERDICTS, SemanticsError, api_semantics, parse_semantics
from scanfixtures import APP, APP_CLASS, app_smali, scan_app
from smali_snippets import method

COLLECTION_RULES = {"PI-COLLECT-BEFORE-CONSENT", "PI-SDK-COLLECT-BEFORE-CONSENT", "PI-APPLIST-COLLECTION",
                    "PI-CLIPBOARD-READ", "PI-DEVICE-ID-NONRESETTABLE"}
HELPER = f"{APP}.Probe"
HDESC = "L" + HELPER.replace(".", "/") + ";"
PM = "Landroid/content/pm/PackageManager;"
INTENT = "Landroid/content/Intent;"
FINE = "android.permission.ACCESS_FINE_LOCATION"
PHONE = "android.permission.READ_PHONE_STATE"


def collection_findings(scanned) -> set[tuple[str, str, str]]:
    return {(f.rule_id, f.subject, f.severity) for f in scanned.report.findings if f.rule_id in COLLECTION_RULES}


def verdicts(scanned, pi_type: str) -> set[tuple[str, str]]:
    return {(c.caller, c.collects) for c in scanned.calls(pi_type)}


def probe_app(methods: dict[str, str], *, static_params: str = "Landroid/content/Context;") -> dict[str, str]:
    """The launcher activity calls `Probe.<name>(this)` for each method, in onCreate (startup code)."""
    calls = "".join(f"    invoke-static {{p0}}, {HDESC}->{name}({static_params})V\n" for name in methods)
    smali = app_smali(main_on_create=calls)
    body = "".join(method(name, b, params=static_params, static=True, registers=8) for name, b in methods.items())
    # processTextIntent(): `new Intent().setAction(PROCESS_TEXT)`, a builder the queries may call
    builder = (new_intent() + intent_call("setAction", "android.intent.action.PROCESS_TEXT")
               + "    move-result-object v1\n    return-object v1\n")
    body += method("processTextIntent", builder, ret=INTENT, static=True)
    smali[HELPER] = smali_class(HELPER, body + ".field public static saved:Landroid/content/Intent;\n")
    return smali


def private(smali_method: str) -> str:
    """A static method made private: only its own class can call it, so its callers are known."""
    return smali_method.replace(".method public static", ".method private static", 1)


def query(intent_reg: str = "v1", api: str = "queryIntentActivities") -> str:
    return (f"    invoke-virtual {{p0}}, Landroid/content/Context;->getPackageManager()L{PM[1:]}\n"
            "    move-result-object v0\n    const/4 v2, 0x0\n"
            f"    invoke-virtual {{v0, {intent_reg}, v2}}, {PM}->{api}({INTENT}I)Ljava/util/List;\n")


def new_intent(action: str | None = None, reg: str = "v1") -> str:
    if action is None:
        return f"    new-instance {reg}, {INTENT}\n    invoke-direct {{{reg}}}, {INTENT}-><init>()V\n"
    return (f"    new-instance {reg}, {INTENT}\n    const-string v3, \"{action}\"\n"
            f"    invoke-direct {{{reg}, v3}}, {INTENT}-><init>(Ljava/lang/String;)V\n")


def intent_call(name: str, value: str, reg: str = "v1") -> str:
    return (f"    const-string v3, \"{value}\"\n"
            f"    invoke-virtual {{{reg}, v3}}, {INTENT}->{name}(Ljava/lang/String;){INTENT}\n")


LAUNCHER = intent_call("addCategory", "android.intent.category.LAUNCHER")


@pytest.mark.apktool
def test_launcher_query_is_app_list_collection(tmp_path):
    scanned = scan_app(tmp_path, probe_app({
        "launcherApps": new_intent("android.intent.action.MAIN") + LAUNCHER + query(),
        "anyReceiver": new_intent() + query(api="queryBroadcastReceivers"),
    }))
    assert {(c.caller, c.api.split("#")[1], c.collects) for c in scanned.calls("installed_apps")} == {
        (f"{HELPER}#launcherApps", "queryIntentActivities", "yes"),
        (f"{HELPER}#anyReceiver", "queryBroadcastReceivers", "yes"),
    }
    assert collection_findings(scanned) == {("PI-APPLIST-COLLECTION", "app", "high"),
                                            ("PI-COLLECT-BEFORE-CONSENT", "app", "critical")}


@pytest.mark.apktool
def test_queries_for_one_specific_intent_are_not_app_list_collection(tmp_path):
    builder = HELPER.replace(".", "/")
    scanned = scan_app(tmp_path, probe_app({
        # TextViewCompat: the PROCESS_TEXT handlers, with the intent built by a helper that returns it
        "processText": (f"    invoke-static {{}}, L{builder};->processTextIntent(){INTENT}\n    move-result-object v1\n"
                        + query()),
        # ShortcutManagerCompat: receivers of one broadcast action
        "pinShortcut": new_intent("com.android.launcher.action.INSTALL_SHORTCUT")
        + query(api="queryBroadcastReceivers"),
        # the launcher activity of one package
        "ownLauncher": new_intent("android.intent.action.MAIN") + LAUNCHER
        + intent_call("setPackage", "com.example.other") + query(),
        # a MAIN query narrowed to home screens
        "homeApps": new_intent("android.intent.action.MAIN") + intent_call("addCategory", "android.intent.category.HOME")
        + query(),
        # an intent from a field: not shown to be broad
        "stored": f"    sget-object v1, {HDESC}->saved:{INTENT}\n" + query(api="queryIntentServices"),
    }))
    assert verdicts(scanned, "installed_apps") == {
        (f"{HELPER}#processText", "not_broad"), (f"{HELPER}#pinShortcut", "not_broad"),
        (f"{HELPER}#ownLauncher", "not_broad"), (f"{HELPER}#homeApps", "not_broad"),
        (f"{HELPER}#stored", "intent_unknown"),
    }
    assert collection_findings(scanned) == set()


def resolver_app(intent: str) -> dict[str, str]:
    """Probe.caller() builds `intent` and hands it to the private Probe.resolve(ctx, intent), which queries."""
    smali = probe_app({
        "caller": intent + f"    invoke-static {{p0, v1}}, {HDESC}->resolve(Landroid/content/Context;{INTENT})V\n",
    })
    smali[HELPER] = smali[HELPER].rstrip() + "\n" + private(method(
        "resolve", query("p1", "queryBroadcastReceivers"), params=f"Landroid/content/Context;{INTENT}", static=True))
    return smali


@pytest.mark.apktool
def test_specific_intent_passed_to_a_private_resolver_is_not_app_list_collection(tmp_path):
    scanned = scan_app(tmp_path, resolver_app(new_intent("com.baidu.intent.action.GALAXY")))
    assert verdicts(scanned, "installed_apps") == {(f"{HELPER}#resolve", "not_broad")}
    assert collection_findings(scanned) == set()


@pytest.mark.apktool
def test_broad_intent_passed_to_a_private_resolver_is_app_list_collection(tmp_path):
    scanned = scan_app(tmp_path, resolver_app(new_intent("android.intent.action.MAIN") + LAUNCHER))
    assert verdicts(scanned, "installed_apps") == {(f"{HELPER}#resolve", "yes")}
    assert collection_findings(scanned) == {("PI-APPLIST-COLLECTION", "app", "high"),
                                            ("PI-COLLECT-BEFORE-CONSENT", "app", "critical")}


def clipboard_read(ctx: str) -> str:
    return ('    const-string v0, "clipboard"\n'
            f"    invoke-virtual {{{ctx}, v0}}, Landroid/content/Context;->getSystemService(Ljava/lang/String;)Ljava/lang/Object;\n"
            "    move-result-object v0\n    check-cast v0, Landroid/content/ClipboardManager;\n"
            "    invoke-virtual {v0}, Landroid/content/ClipboardManager;->getPrimaryClip()Landroid/content/ClipData;\n")


@pytest.mark.apktool
def test_clipboard_read_at_startup_is_collection(tmp_path):
    scanned = scan_app(tmp_path, probe_app({"paste": clipboard_read("p0")}))
    # a static helper named paste() is not the framework's paste path
    assert verdicts(scanned, "clipboard") == {(f"{HELPER}#paste", "yes")}
    assert collection_findings(scanned) == {("PI-CLIPBOARD-READ", "app", "medium"),
                                            ("PI-COLLECT-BEFORE-CONSENT", "app", "critical")}


@pytest.mark.apktool
def test_clipboard_read_in_the_paste_menu_handler_is_a_user_action(tmp_path):
    editor = f"{APP}.NoteEditor"
    smali = app_smali(main_on_create=(
        f"    new-instance v0, L{editor.replace('.', '/')};\n"
        f"    invoke-direct {{v0, p0}}, L{editor.replace('.', '/')};-><init>(Landroid/content/Context;)V\n"))
    body = ("    invoke-virtual {p0}, Landroid/widget/EditText;->getContext()Landroid/content/Context;\n"
            "    move-result-object v1\n" + clipboard_read("v1") + "    const/4 v0, 0x1\n    return v0\n")
    ctor = (".method public constructor <init>(Landroid/content/Context;)V\n    .registers 2\n"
            "    invoke-direct {p0, p1}, Landroid/widget/EditText;-><init>(Landroid/content/Context;)V\n"
            "    return-void\n.end method\n")
    smali[editor] = (f".class public L{editor.replace('.', '/')};\n.super Landroid/widget/EditText;\n\n{ctor}\n"
                     + method("onTextContextMenuItem", body, params="I", ret="Z"))
    scanned = scan_app(tmp_path, smali)
    assert verdicts(scanned, "clipboard") == {(f"{editor}#onTextContextMenuItem", "user_action")}
    assert collection_findings(scanned) == set()


def last_location(ctx: str = "p0") -> str:
    return ('    const-string v0, "location"\n'
            f"    invoke-virtual {{{ctx}, v0}}, Landroid/content/Context;->getSystemService(Ljava/lang/String;)Ljava/lang/Object;\n"
            "    move-result-object v0\n    check-cast v0, Landroid/location/LocationManager;\n"
            '    const-string v1, "gps"\n'
            "    invoke-virtual {v0, v1}, Landroid/location/LocationManager;->getLastKnownLocation(Ljava/lang/String;)Landroid/location/Location;\n")


def granted(permission: str, skip: str = ":denied") -> str:
    """`if (ContextCompat.checkSelfPermission(ctx, permission) == GRANTED)` — falls through when granted."""
    return (f'    const-string v2, "{permission}"\n'
            "    invoke-static {p0, v2}, Landroidx/core/content/ContextCompat;->checkSelfPermission(Landroid/content/Context;Ljava/lang/String;)I\n"
            f"    move-result v2\n    if-nez v2, {skip}\n")


@pytest.mark.apktool
def test_imei_read_without_read_phone_state_cannot_return_data(tmp_path):
    scanned = scan_app(tmp_path, app_smali(s.read_imei()))
    [call] = scanned.calls("imei")
    assert (call.at_startup, call.collects) == (True, "no_permission")
    assert call.collects_reason == (
        "TelephonyManager returns device and SIM identifiers only to an app holding READ_PHONE_STATE / "
        "TelephonyManager 仅向持有 READ_PHONE_STATE 权限的应用返回设备与 SIM 卡标识")
    assert collection_findings(scanned) == set()


@pytest.mark.apktool
def test_imei_read_with_read_phone_state_is_collection(tmp_path):
    scanned = scan_app(tmp_path, app_smali(s.read_imei()), permissions=[PHONE])
    [call] = scanned.calls("imei")
    assert (call.at_startup, call.collects, call.collects_reason) == (True, "yes", None)
    assert collection_findings(scanned) == {("PI-COLLECT-BEFORE-CONSENT", "app", "critical"),
                                            ("PI-DEVICE-ID-NONRESETTABLE", "app", "medium")}


@pytest.mark.apktool
def test_imei_read_behind_a_granted_check_is_collected_but_not_before_consent(tmp_path):
    smali = app_smali(granted(PHONE) + s.read_imei() + "    :denied\n")
    scanned = scan_app(tmp_path, smali, permissions=[PHONE])
    [call] = scanned.calls("imei")
    assert (call.caller, call.at_startup, call.collects) == (f"{APP_CLASS}#onCreate", True, "guarded")
    assert collection_findings(scanned) == {("PI-DEVICE-ID-NONRESETTABLE", "app", "medium")}
    assert {e.detail for e in scanned.finding("PI-DEVICE-ID-NONRESETTABLE").evidence} == {
        f"android.telephony.TelephonyManager#getDeviceId called from {APP_CLASS}#onCreate",
        f"runs at startup: {APP_CLASS}#onCreate is a startup entry point",
        f"not before a runtime permission grant: the call runs only after a check that {PHONE} was granted at run time",
    }
    assert f"仅在用户授予运行时权限之后调用：该调用仅在检查到 {PHONE} 运行时权限已授予后执行" in {
        e.zh for e in scanned.finding("PI-DEVICE-ID-NONRESETTABLE").evidence}


@pytest.mark.apktool
def test_location_read_behind_a_granted_check_does_not_run_before_consent(tmp_path):
    scanned = scan_app(tmp_path, probe_app({
        "locate": granted(FINE) + last_location() + "    :denied\n",
    }), permissions=[FINE])
    assert {(c.caller, c.collects) for c in scanned.calls("location_precise")
            if c.api.endswith("getLastKnownLocation")} == {(f"{HELPER}#locate", "guarded")}
    assert collection_findings(scanned) == set()


@pytest.mark.apktool
def test_location_helper_called_only_behind_a_granted_check_is_guarded(tmp_path):
    smali = probe_app({"locate": granted(FINE) + f"    invoke-static {{p0}}, {HDESC}->lastFix(Landroid/content/Context;)V\n"
                       + "    :denied\n"})
    smali[HELPER] = smali[HELPER].rstrip() + "\n" + private(method("lastFix", last_location(),
                                                                  params="Landroid/content/Context;", static=True))
    scanned = scan_app(tmp_path, smali, permissions=[FINE])
    assert {(c.caller, c.collects) for c in scanned.calls("location_precise")
            if c.api.endswith("getLastKnownLocation")} == {(f"{HELPER}#lastFix", "guarded")}
    assert collection_findings(scanned) == set()


@pytest.mark.apktool
def test_location_read_behind_a_check_of_another_permission_is_collection(tmp_path):
    scanned = scan_app(tmp_path, probe_app({
        "locate": granted("android.permission.CAMERA") + last_location() + "    :denied\n",
    }), permissions=[FINE, "android.permission.CAMERA"])
    assert {(c.caller, c.collects) for c in scanned.calls("location_precise")
            if c.api.endswith("getLastKnownLocation")} == {(f"{HELPER}#locate", "yes")}
    assert collection_findings(scanned) == {("PI-COLLECT-BEFORE-CONSENT", "app", "critical")}


@pytest.mark.apktool
def test_location_read_on_the_denied_branch_is_collection(tmp_path):
    # `if (check != GRANTED) read()`: the inverted test guards nothing
    body = (f'    const-string v2, "{FINE}"\n'
            "    invoke-static {p0, v2}, Landroidx/core/content/ContextCompat;->checkSelfPermission(Landroid/content/Context;Ljava/lang/String;)I\n"
            "    move-result v2\n    if-eqz v2, :granted\n" + last_location() + "    :granted\n")
    scanned = scan_app(tmp_path, probe_app({"locate": body}), permissions=[FINE])
    assert {(c.caller, c.collects) for c in scanned.calls("location_precise")
            if c.api.endswith("getLastKnownLocation")} == {(f"{HELPER}#locate", "yes")}
    assert collection_findings(scanned) == {("PI-COLLECT-BEFORE-CONSENT", "app", "critical")}


def fix_then_use(check: str) -> dict[str, str]:
    """locate(): `loc = null; [if granted] loc = getLastKnownLocation(); useFix(loc)` (TwilightManager's shape);
    useFix(Location) reads its latitude."""
    read = last_location() + "    move-result-object v4\n"
    body = "    const/4 v4, 0x0\n" + (granted(FINE) + read + "    :denied\n" if check else read)
    body += f"    invoke-static {{v4}}, {HDESC}->useFix(Landroid/location/Location;)V\n"
    smali = probe_app({"locate": body})
    use = "    invoke-virtual {p0}, Landroid/location/Location;->getLatitude()D\n"
    smali[HELPER] = smali[HELPER].rstrip() + "\n" + method("useFix", use, params="Landroid/location/Location;", static=True)
    return smali


@pytest.mark.apktool
def test_location_getter_in_the_class_of_a_guarded_request_is_guarded(tmp_path):
    scanned = scan_app(tmp_path, fix_then_use("granted"), permissions=[FINE])
    assert {(c.caller, c.api.split("#")[1], c.collects) for c in scanned.calls("location_precise")} == {
        (f"{HELPER}#locate", "getLastKnownLocation", "guarded"), (f"{HELPER}#useFix", "getLatitude", "guarded")}
    assert collection_findings(scanned) == set()


@pytest.mark.apktool
def test_location_getter_in_the_class_of_an_unguarded_request_is_collection(tmp_path):
    scanned = scan_app(tmp_path, fix_then_use(""), permissions=[FINE])
    assert {(c.caller, c.api.split("#")[1], c.collects) for c in scanned.calls("location_precise")} == {
        (f"{HELPER}#locate", "getLastKnownLocation", "yes"), (f"{HELPER}#useFix", "getLatitude", "yes")}
    assert collection_findings(scanned) == {("PI-COLLECT-BEFORE-CONSENT", "app", "critical")}


@pytest.mark.apktool
def test_location_read_behind_a_granted_check_in_a_pre_marshmallow_app_is_collection(tmp_path):
    # targetSdkVersion 22: dangerous permissions are granted at install, the check passes on first launch
    scanned = scan_app(tmp_path, probe_app({
        "locate": granted(FINE) + last_location() + "    :denied\n",
    }), permissions=[FINE], target_sdk=22)
    assert {(c.caller, c.collects) for c in scanned.calls("location_precise")
            if c.api.endswith("getLastKnownLocation")} == {(f"{HELPER}#locate", "yes")}
    assert collection_findings(scanned) == {("PI-COLLECT-BEFORE-CONSENT", "app", "critical")}


# --- the knowledge file ----------------------------------------------------------------------------------

def test_every_rule_names_catalog_apis_and_says_why():
    catalog = {a if "#" in a else "#".join(a.rsplit(".", 1)) for pi in knowledge.pi_types().values() for a in pi.apis}
    catalog = {a.split("(")[0] for a in catalog}
    sem = api_semantics()
    assert {r.kind for r in sem.rules} == {"intent_query", "user_action", "requires_permission", "derived", "own_storage"}
    for rule in sem.rules:
        assert rule.apis | rule.sources <= catalog, (rule.id, sorted((rule.apis | rule.sources) - catalog))
        assert rule.reason.en and rule.reason.zh and rule.source.startswith("https://developer.android.com/")
    permissions = knowledge.permissions()
    for rule in sem.rules:
        assert all(p in permissions for p in rule.any_of if p != "android.permission.READ_PRIVILEGED_PHONE_STATE"), rule.id


def test_collection_triggers_name_only_known_verdicts():
    named = set()
    for t in knowledge.triggers():
        if t.observation == "sensitive_call" and "collects" in t.where:
            named |= set(t.where["collects"]["not_in"])
    assert named == set(VERDICTS) - {"yes"}


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["rules"][0].update(kind="guess"), "kind 'guess'"),
    (lambda d: d["rules"][0].update(apis=["PackageManager.queryIntentActivities"]), "Class#member"),
    (lambda d: d["rules"][1].pop("reason_zh"), "'reason_zh'"),
    (lambda d: d["rules"][2].update(any_of=[]), "'any_of'"),
    (lambda d: d["rules"].append(dict(d["rules"][0])), "listed twice"),
    (lambda d: d["rules"][-1].update(pi_types=["contact"]), "unknown PI types"),
])
def test_malformed_semantics_are_rejected(edit, message):
    data = copy.deepcopy(knowledge.load_yaml("api_semantics.yaml"))
    edit(data)
    with pytest.raises(SemanticsError, match=message):
        parse_semantics(data)
