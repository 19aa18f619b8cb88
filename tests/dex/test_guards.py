"""Consent guards on real bytecode: which calls of a method run only after a stored consent flag read true."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import smali_snippets as s
from apkbuild import build_apk, manifest, smali_class
from hegui.detect.startup import consent_lexicon
from hegui.dex import DexIndex
from hegui.dex.callgraph import Reachability
from hegui.dex.guards import ConsentGuards, param_types

CLS = "com.demo.g.Boot"
DESC = "Lcom/demo/g/Boot;"
INIT = "    invoke-static {p0}, Lcom/demo/g/Sdk;->init(Landroid/content/Context;)V\n"
AFTER = "    invoke-static {p0}, Lcom/demo/g/Sdk;->log(Landroid/content/Context;)V\n"
OTHER = "    invoke-static {p0}, Lcom/demo/g/Sdk;->other(Landroid/content/Context;)V\n"


def static(name: str, body: str) -> str:
    return s.method(name, body, params="Landroid/content/Context;", static=True, registers=7)


METHODS = {
    "guardedBlock": s.when_flag("privacy_agreed", INIT) + AFTER,
    "earlyReturn": s.return_unless_flag("privacy_agreed") + INIT + AFTER,
    "inverted": s.unless_flag("privacy_agreed", INIT) + AFTER,
    "darkMode": s.when_flag("dark_mode", INIT),
    "firstLaunch": s.when_flag("is_first_launch", INIT),
    # boolean refused = !agreed; if (refused) return; init();
    "negated": s.stored_flag("agree_protocol") + "    xor-int/lit8 v0, v0, 0x1\n"
               "    if-eqz v0, :go\n    return-void\n    :go\n" + INIT,
    # the flag register is overwritten on one path before the test: the test no longer means "agreed"
    "reassigned": s.stored_flag("privacy_agreed") + "    if-nez p0, :keep\n    const/4 v0, 0x1\n    :keep\n"
                  "    if-eqz v0, :skip\n" + INIT + "    :skip\n",
    # SpUtils.getBoolean(Keys.KEY_AGREE_PROTOCOL): a wrapper, and a key held in a static String field
    "wrapperFieldKey": "    sget-object v1, Lcom/demo/g/Keys;->KEY_AGREE_PROTOCOL:Ljava/lang/String;\n"
                       "    invoke-static {v1}, Lcom/demo/g/SpUtils;->getBoolean(Ljava/lang/String;)Z\n"
                       "    move-result v1\n    if-eqz v1, :skip\n" + INIT + "    :skip\n",
    "mmkv": "    invoke-static {}, Lcom/tencent/mmkv/MMKV;->defaultMMKV()Lcom/tencent/mmkv/MMKV;\n"
            "    move-result-object v0\n    const-string v1, \"user_consent\"\n"
            "    invoke-virtual {v0, v1}, Lcom/tencent/mmkv/MMKV;->decodeBool(Ljava/lang/String;)Z\n"
            "    move-result v2\n    if-eqz v2, :skip\n" + INIT + "    :skip\n",
    "namedPredicate": s.when_predicate("com.demo.g.PrivacyHelper", "isPrivacyAgreed", INIT),
    "vetoedPredicate": s.when_predicate("com.demo.g.PrivacyHelper", "isPrivacyDialogShown", INIT),
    "summaryPredicate": s.when_predicate("com.demo.g.Prefs", "check", INIT),
    # if (Prefs.notYet(ctx)) return; init();  — notYet returns !getBoolean("privacy_agreed")
    "negatedSummary": "    invoke-static {p0}, Lcom/demo/g/Prefs;->notYet(Landroid/content/Context;)Z\n"
                      "    move-result v0\n    if-eqz v0, :go\n    return-void\n    :go\n" + INIT,
    # try { if (agreed) init(); } catch (Exception e) { other(); }  — getBoolean itself may throw
    "tryAround": "    :try_start\n" + s.when_flag("privacy_agreed", INIT) + "    :try_end\n"
                 "    .catch Ljava/lang/Exception; {:try_start .. :try_end} :handler\n    return-void\n"
                 "    :handler\n    move-exception v3\n" + OTHER,
    # if (agreed) { try { init(); } catch (Exception e) { other(); } }
    "tryInside": s.stored_flag("privacy_agreed") + "    if-eqz v0, :out\n    :try_start\n" + INIT + "    :try_end\n"
                 "    .catch Ljava/lang/Exception; {:try_start .. :try_end} :handler\n    goto :out\n"
                 "    :handler\n    move-exception v3\n" + OTHER + "    :out\n",
    # if (agreed) { switch (n) { case 1: init(); break; case 2: other(); } }
    "switchInside": s.stored_flag("privacy_agreed") + "    if-eqz v0, :out\n    const/4 v4, 0x1\n"
                    "    packed-switch v4, :table\n    goto :out\n    :one\n" + INIT + "    goto :out\n    :two\n" + OTHER +
                    "    :out\n" + AFTER + "    return-void\n    :table\n    .packed-switch 0x1\n        :one\n        :two\n"
                    "    .end packed-switch\n",
}
HELPERS = {
    "com.demo.g.Prefs": smali_class("com.demo.g.Prefs", s.flag_predicate("check", "privacy_agreed") + (
        ".method public static notYet(Landroid/content/Context;)Z\n    .registers 6\n    move-object v5, p0\n"
        + s.stored_flag("privacy_agreed", "v5") + "    xor-int/lit8 v0, v0, 0x1\n    return v0\n.end method\n")),
}


def guarded_calls(folder: Path, methods: dict[str, str], classes: dict[str, str]) -> dict[str, list[str] | None]:
    """method name -> names of the calls it makes only behind a consent check (None: nothing guarded), for
    `methods` built as static methods of `CLS` beside `classes`."""
    body = "".join(static(name, code) for name, code in methods.items())
    apk = build_apk(folder, manifest("com.demo.g", ""), {CLS: smali_class(CLS, body), **classes})
    with zipfile.ZipFile(apk) as z:
        index = DexIndex.build([("classes.dex", z.read("classes.dex"))])
    guards = ConsentGuards(index, consent_lexicon())
    out: dict[str, list[str] | None] = {}
    for name in methods:
        m = index.methods[index.classes[DESC].methods[(name, "(Landroid/content/Context;)V")]]
        sites = guards.sites(m)
        calls = [callee for (_c, callee, _p), _op in index.invokes(m)]
        out[name] = None if sites is None else [calls[i] for i in sorted(sites.invokes)]
    return out


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    return guarded_calls(tmp_path_factory.mktemp("guards"), METHODS, HELPERS)


@pytest.mark.apktool
def test_a_block_under_if_agreed_is_guarded_and_the_code_after_it_is_not(guarded):
    assert guarded["guardedBlock"] == ["init"]


@pytest.mark.apktool
def test_everything_after_an_early_return_when_not_agreed_is_guarded(guarded):
    assert guarded["earlyReturn"] == ["init", "log"]


@pytest.mark.apktool
def test_a_block_that_runs_while_the_flag_is_false_is_not_guarded(guarded):
    assert guarded["inverted"] is None


@pytest.mark.apktool
@pytest.mark.parametrize("method", ["darkMode", "firstLaunch"])
def test_a_flag_with_an_unrelated_or_reversed_key_is_not_a_guard(guarded, method):
    assert guarded[method] is None


@pytest.mark.apktool
def test_a_negated_flag_is_followed_through_xor(guarded):
    assert guarded["negated"] == ["init"]


@pytest.mark.apktool
def test_a_flag_register_overwritten_on_one_path_is_no_longer_a_guard(guarded):
    assert guarded["reassigned"] is None


@pytest.mark.apktool
def test_a_wrapper_getter_with_a_key_from_a_static_field_is_a_guard(guarded):
    assert guarded["wrapperFieldKey"] == ["init"]


@pytest.mark.apktool
def test_mmkv_decode_bool_is_a_guard(guarded):
    assert guarded["mmkv"] == ["init"]


@pytest.mark.apktool
def test_a_method_named_for_consent_is_a_guard_and_one_named_for_a_dialog_is_not(guarded):
    assert guarded["namedPredicate"] == ["init"]
    assert guarded["vetoedPredicate"] is None


@pytest.mark.apktool
def test_a_helper_returning_the_flag_or_its_negation_is_summarised(guarded):
    assert guarded["summaryPredicate"] == ["init"]
    assert guarded["negatedSummary"] == ["init"]


@pytest.mark.apktool
def test_a_handler_that_unguarded_code_can_reach_is_not_guarded(guarded):
    assert guarded["tryAround"] == ["init"]


@pytest.mark.apktool
def test_a_handler_only_guarded_code_can_reach_is_guarded(guarded):
    assert guarded["tryInside"] == ["init", "other"]


@pytest.mark.apktool
def test_switch_cases_inside_a_guarded_block_are_guarded_and_the_join_after_it_is_not(guarded):
    assert guarded["switchInside"] == ["init", "other"]


@pytest.mark.parametrize(("key", "expected"), [
    ("privacy_agreed", True), ("KEY_AGREE_PROTOCOL", True), ("user_consent", True), ("isPrivacy", True),
    ("隐私协议同意", True), ("first_launch", False), ("dark_mode", False), ("is_first_privacy", False),
    ("privacy_mode", False), ("show_privacy_dialog", False), ("privacy_disagree", False), ("privacy_refused", False),
    ("accept", False), ("privacy_policy_enabled", False), ("privacy_required", False), ("agree_switch", False),
    ("remote_privacy_config", False), ("隐私开关", False),
])
def test_consent_keys(key, expected):
    assert consent_lexicon().is_consent_key(key) is expected


@pytest.mark.parametrize(("name", "expected"), [
    ("isPrivacyAgreed", True), ("hasAgreed", True), ("isAgree", True), ("isPrivacyAccepted", True),
    ("isUserConsented", True), ("checkPrivacyGranted", True), ("hasAcceptedPolicy", True), ("getBoolean", False),
    ("isUserAgreementAgreed", True), ("getAgreed", True), ("isAgreed", True), ("getPrivacyAccepted", True),
    ("getHasAgreedPolicy", True), ("getShowPrivacy", False), ("isAcceptingText", False), ("isNestedScrollAccepted", False),
    ("isBillingAgreement", False),
    ("isNeedShowPrivacy", False), ("isPrivacyPolicyShown", False), ("agree", False), ("isDisagree", False),
])
def test_consent_predicate_names(name, expected):
    assert consent_lexicon().is_consent_predicate(name) is expected


def test_parameter_types_split_wide_array_and_object_descriptors():
    assert param_types("(ILjava/lang/String;[JZ[[Landroid/os/Bundle;D)Z") == [
        "I", "Ljava/lang/String;", "[J", "Z", "[[Landroid/os/Bundle;", "D"]


@pytest.mark.apktool
def test_reachability_does_not_follow_guarded_calls_and_says_which_calls_of_a_method_run_at_startup(tmp_path):
    body = static("onBoot", s.when_flag("privacy_agreed", INIT + "    sget-object v3, Landroid/os/Build;->SERIAL:Ljava/lang/String;\n")
                  + AFTER)
    sdk = s.method("init", "", params="Landroid/content/Context;", static=True) + s.method(
        "log", "", params="Landroid/content/Context;", static=True)
    smali = {CLS: smali_class(CLS, body), "com.demo.g.Sdk": smali_class("com.demo.g.Sdk", sdk)}
    apk = build_apk(tmp_path, manifest("com.demo.g", ""), smali)
    with zipfile.ZipFile(apk) as z:
        index = DexIndex.build([("classes.dex", z.read("classes.dex"))])
    boot = index.methods[index.classes[DESC].methods[("onBoot", "(Landroid/content/Context;)V")]]
    reach = Reachability(index, [boot], guards=ConsentGuards(index, consent_lexicon()))
    assert sorted(index.methods[mid].java() for mid in reach.parent) == ["com.demo.g.Boot#onBoot", "com.demo.g.Sdk#log"]
    assert reach.guarded.keys() == {boot.id}
    ctx = "(Landroid/content/Context;)V"
    assert (reach.call_at_startup(boot, "init", ctx), reach.call_at_startup(boot, "log", ctx)) == (False, True)
    assert reach.call_at_startup(boot, "getBoolean", "(Ljava/lang/String;Z)Z") is True
    assert reach.field_read_at_startup(boot, "Landroid/os/Build;", "SERIAL") is False
    assert Reachability(index, [boot]).field_read_at_startup(boot, "Landroid/os/Build;", "SERIAL") is True


# --- flags kept in fields, comparisons with constants, Kotlin getters ------------------------------------
STORE = "com.demo.f.Store"
MGR = "com.demo.f.Mgr"
MGR_DESC = "Lcom/demo/f/Mgr;"


def mgr_field(field: str, body: str) -> str:
    """`if (Mgr.INSTANCE.field) { body }`."""
    return (f"    sget-object v1, {MGR_DESC}->INSTANCE:{MGR_DESC}\n    iget-boolean v0, v1, {MGR_DESC}->{field}:Z\n"
            "    if-eqz v0, :field_false\n" + body + "    :field_false\n")


def set_mgr_field(field: str, value: str = "0x1") -> str:
    return (f"    sget-object v4, {MGR_DESC}->INSTANCE:{MGR_DESC}\n    const/4 v3, {value}\n"
            f"    iput-boolean v3, v4, {MGR_DESC}->{field}:Z\n")


FIELD_METHODS = {
    # Store.sAgreed = getBoolean("privacy_agreed") in Store.load; reset() stores false
    "fieldFromCheck": s.when_static_field(STORE, "sAgreed", INIT),
    # an obfuscated name: what makes it a flag is that a consent check is all it is ever assigned
    "obfuscatedField": s.when_static_field(STORE, "a", INIT),
    # also assigned from the check, but `static boolean sPolicyOk = true`: true before anyone agreed
    "initiallyTrue": s.when_static_field(STORE, "sPolicyOk", INIT),
    # also assigned true in warmUp(), which is neither a user callback nor the agree action
    "alsoWrittenTrue": s.when_static_field(STORE, "sConsentMixed", INIT),
    # assigned the check, and elsewhere !getBoolean("privacy_agreed"), whose true means "not agreed"
    "negatedWrite": s.when_static_field(STORE, "sAgreeState", INIT),
    # assigned the check, and through setAgreeFromParam(boolean) whatever Sdk.ready() returns
    "parameterWrite": s.when_static_field(STORE, "sAgreeFromParam", INIT),
    # never assigned in bytecode (reflection, a JSON binder): unknown
    "neverWritten": s.when_static_field(STORE, "sPrivacyReflected", INIT),
    # set true by an OnClickListener.onClick (the agree button), false in clear()
    "setOnClick": mgr_field("isAgreePrivacy", INIT),
    # set true next to putBoolean("privacy_accepted", true)
    "setWithStoredConsent": mgr_field("mPrivacyAccepted", INIT),
    # set true next to putBoolean("dark_mode", true): not the agree action
    "setWithUnrelatedKey": mgr_field("mPolicyFlag", INIT),
    # set true only inside if (getBoolean("privacy_agreed"))
    "setBehindCheck": mgr_field("mPrivacyGranted", INIT),
    # boolean state() { return Store.a; }
    "neutralGetter": s.when_predicate(STORE, "state", INIT),
    # if (getBoolean(…) != true) skip  /  if (getBoolean(…) == false) skip
    "ifNeTrue": s.stored_flag("privacy_agreed") + "    const/4 v1, 0x1\n    if-ne v0, v1, :skip\n" + INIT + "    :skip\n",
    "ifEqFalse": s.stored_flag("privacy_agreed") + "    const/4 v1, 0x0\n    if-eq v0, v1, :skip\n" + INIT + "    :skip\n",
    # if (getBoolean(…) == true) skip: init runs while not agreed
    "ifEqTrue": s.stored_flag("privacy_agreed") + "    const/4 v1, 0x1\n    if-eq v0, v1, :skip\n" + INIT + "    :skip\n",
    # compared with a value that is not a constant
    "ifNeUnknown": s.stored_flag("privacy_agreed")
                   + "    invoke-static {}, Lcom/demo/g/Sdk;->mode()I\n    move-result v1\n"
                   "    if-ne v0, v1, :skip\n" + INIT + "    :skip\n",
    # Kotlin: if (!PrivacyStore.agreed) return — a getter call on the object instance
    "kotlinGetter": "    sget-object v1, Lcom/demo/f/PrivacyStore;->INSTANCE:Lcom/demo/f/PrivacyStore;\n"
                    "    invoke-virtual {v1}, Lcom/demo/f/PrivacyStore;->getAgreed()Z\n    move-result v0\n"
                    "    if-nez v0, :go\n    return-void\n    :go\n" + INIT,
    # a getter without a consent name, of a property whose setter only the agree button calls, with true
    "kotlinSetterGetter": "    sget-object v1, Lcom/demo/f/PrivacyStore;->INSTANCE:Lcom/demo/f/PrivacyStore;\n"
                           "    invoke-virtual {v1}, Lcom/demo/f/PrivacyStore;->getReady()Z\n    move-result v0\n"
                           "    if-eqz v0, :skip\n" + INIT + "    :skip\n",
    # a consent-named field's setter nothing in the bytecode calls (reflection, data binding): unknown
    "uncalledSetterGetter": "    sget-object v1, Lcom/demo/f/PrivacyStore;->INSTANCE:Lcom/demo/f/PrivacyStore;\n"
                            "    invoke-virtual {v1}, Lcom/demo/f/PrivacyStore;->getUncalled()Z\n    move-result v0\n"
                            "    if-eqz v0, :skip\n" + INIT + "    :skip\n",
    # a consent-named field's setter called with true outside any agree action (PrivacyStore.load)
    "setterCalledTrue": "    sget-object v1, Lcom/demo/f/PrivacyStore;->INSTANCE:Lcom/demo/f/PrivacyStore;\n"
                        "    invoke-virtual {v1}, Lcom/demo/f/PrivacyStore;->getGiven()Z\n    move-result v0\n"
                        "    if-eqz v0, :skip\n" + INIT + "    :skip\n",
}
STORE_BODY = (
    ".field public static sAgreed:Z\n.field public static a:Z\n.field public static sPolicyOk:Z = true\n"
    ".field public static sConsentMixed:Z\n.field public static sAgreeState:Z\n.field public static sAgreeFromParam:Z\n"
    ".field public static sPrivacyReflected:Z\n"
    + s.method("load", s.stored_flag("privacy_agreed") + "".join(
        s.put_static_flag(STORE, f) for f in ("sAgreed", "a", "sPolicyOk", "sConsentMixed", "sAgreeState",
                                                "sAgreeFromParam"))
        + "    xor-int/lit8 v1, v0, 0x1\n" + s.put_static_flag(STORE, "sAgreeState", "v1"),
        params="Landroid/content/Context;", static=True)
    + s.method("reset", "    const/4 v0, 0x0\n" + s.put_static_flag(STORE, "sAgreed"), static=True)
    + s.method("warmUp", "    const/4 v0, 0x1\n" + s.put_static_flag(STORE, "sConsentMixed")
               + "    invoke-static {}, Lcom/demo/g/Sdk;->ready()Z\n    move-result v1\n"
               "    invoke-static {v1}, Lcom/demo/f/Store;->setAgreeFromParam(Z)V\n", static=True)
    + s.method("setAgreeFromParam", s.put_static_flag(STORE, "sAgreeFromParam", "p0"), params="Z", static=True)
    + ".method public static state(Landroid/content/Context;)Z\n    .registers 2\n"
      "    sget-boolean v0, Lcom/demo/f/Store;->a:Z\n    return v0\n.end method\n"
)
MGR_BODY = (
    f".field public static INSTANCE:{MGR_DESC}\n.field public isAgreePrivacy:Z\n.field public mPrivacyAccepted:Z\n"
    ".field public mPolicyFlag:Z\n.field public mPrivacyGranted:Z\n"
    + s.method("clear", "    const/4 v0, 0x0\n" + f"    iput-boolean v0, p0, {MGR_DESC}->isAgreePrivacy:Z\n")
    + s.method("agree", s.persist_flag("privacy_accepted", "p1") + f"    iput-boolean v1, p0, {MGR_DESC}->mPrivacyAccepted:Z\n",
               params="Landroid/content/Context;")
    + s.method("darkMode", s.persist_flag("dark_mode", "p1") + f"    iput-boolean v1, p0, {MGR_DESC}->mPolicyFlag:Z\n",
               params="Landroid/content/Context;")
    + s.method("restore", s.when_flag("privacy_agreed", set_mgr_field("mPrivacyGranted"), ctx="p1"),
               params="Landroid/content/Context;")
)
FIELD_CLASSES = {
    STORE: smali_class(STORE, STORE_BODY),
    MGR: smali_class(MGR, MGR_BODY),
    "com.demo.f.AgreeClick": smali_class(
        "com.demo.f.AgreeClick", s.method("onClick", set_mgr_field("isAgreePrivacy") + (
            "    sget-object v4, Lcom/demo/f/PrivacyStore;->INSTANCE:Lcom/demo/f/PrivacyStore;\n"
            "    invoke-virtual {v4, v3}, Lcom/demo/f/PrivacyStore;->setAgreed(Z)V\n"), params="Landroid/view/View;"),
        interfaces=["Landroid/view/View$OnClickListener;"]),
    "com.demo.f.PrivacyStore": smali_class("com.demo.f.PrivacyStore", (
        ".field public static INSTANCE:Lcom/demo/f/PrivacyStore;\n.field private static agreed:Z\n"
        ".method public final getAgreed()Z\n    .registers 2\n    sget-boolean v0, Lcom/demo/f/PrivacyStore;->agreed:Z\n"
        "    return v0\n.end method\n"
        ".method public final getReady()Z\n    .registers 2\n    sget-boolean v0, Lcom/demo/f/PrivacyStore;->agreed:Z\n"
        "    return v0\n.end method\n"
        + s.method("setAgreed", "    sput-boolean p1, Lcom/demo/f/PrivacyStore;->agreed:Z\n", params="Z")
        + ".field private static privacyOk:Z\n"
        ".method public final getUncalled()Z\n    .registers 2\n    sget-boolean v0, Lcom/demo/f/PrivacyStore;->privacyOk:Z\n"
        "    return v0\n.end method\n"
        + s.method("setPrivacyOk", "    sput-boolean p1, Lcom/demo/f/PrivacyStore;->privacyOk:Z\n", params="Z")
        + ".field private static consentGiven:Z\n"
        ".method public final getGiven()Z\n    .registers 2\n    sget-boolean v0, Lcom/demo/f/PrivacyStore;->consentGiven:Z\n"
        "    return v0\n.end method\n"
        + s.method("setConsentGiven", "    sput-boolean p1, Lcom/demo/f/PrivacyStore;->consentGiven:Z\n", params="Z")
        # both fields are also assigned the stored flag, so only their setters' callers can disqualify them
        + s.method("load", s.stored_flag("privacy_agreed") + s.put_static_flag("com.demo.f.PrivacyStore", "privacyOk")
                   + s.put_static_flag("com.demo.f.PrivacyStore", "consentGiven")
                   + "    sget-object v1, Lcom/demo/f/PrivacyStore;->INSTANCE:Lcom/demo/f/PrivacyStore;\n    const/4 v2, 0x1\n"
                   "    invoke-virtual {v1, v2}, Lcom/demo/f/PrivacyStore;->setConsentGiven(Z)V\n",
                   params="Landroid/content/Context;", static=True))),
}


@pytest.fixture(scope="module")
def field_guarded(tmp_path_factory):
    """As `guarded`, for flags kept in fields (whole-program writes), constant comparisons and getters."""
    return guarded_calls(tmp_path_factory.mktemp("field_guards"), FIELD_METHODS, FIELD_CLASSES)


@pytest.mark.apktool
@pytest.mark.parametrize("method", ["fieldFromCheck", "obfuscatedField"])
def test_a_field_only_ever_assigned_a_consent_check_or_false_is_a_guard(field_guarded, method):
    assert field_guarded[method] == ["init"]


@pytest.mark.apktool
def test_a_field_with_a_static_initial_value_of_true_is_not_a_guard(field_guarded):
    assert field_guarded["initiallyTrue"] is None


@pytest.mark.apktool
@pytest.mark.parametrize("method", ["alsoWrittenTrue", "negatedWrite", "parameterWrite", "setWithUnrelatedKey"])
def test_a_field_that_any_write_may_set_true_before_consent_is_not_a_guard(field_guarded, method):
    assert field_guarded[method] is None


@pytest.mark.apktool
def test_a_consent_named_field_never_written_in_bytecode_is_not_a_guard(field_guarded):
    assert field_guarded["neverWritten"] is None


@pytest.mark.apktool
@pytest.mark.parametrize("method", ["setOnClick", "setWithStoredConsent", "setBehindCheck"])
def test_a_consent_named_field_set_true_only_by_the_agree_action_is_a_guard(field_guarded, method):
    assert field_guarded[method] == ["init"]


@pytest.mark.apktool
def test_a_getter_returning_a_consent_field_is_summarised(field_guarded):
    assert field_guarded["neutralGetter"] == ["init"]


@pytest.mark.apktool
@pytest.mark.parametrize("method", ["ifNeTrue", "ifEqFalse"])
def test_a_comparison_of_the_flag_with_a_constant_is_a_guard(field_guarded, method):
    assert field_guarded[method] == ["init"]


@pytest.mark.apktool
@pytest.mark.parametrize("method", ["ifEqTrue", "ifNeUnknown"])
def test_a_comparison_that_skips_when_agreed_or_with_an_unknown_value_is_not_a_guard(field_guarded, method):
    assert field_guarded[method] is None


@pytest.mark.apktool
def test_a_kotlin_property_getter_named_for_consent_is_a_guard(field_guarded):
    assert field_guarded["kotlinGetter"] == ["init"]


@pytest.mark.apktool
def test_a_property_set_through_its_setter_only_by_the_agree_button_is_a_guard(field_guarded):
    assert field_guarded["kotlinSetterGetter"] == ["init"]


@pytest.mark.apktool
@pytest.mark.parametrize("method", ["uncalledSetterGetter", "setterCalledTrue"])
def test_a_property_whose_setter_is_never_called_or_called_with_true_before_consent_is_not_a_guard(
        field_guarded, method):
    assert field_guarded[method] is None


# --- flags that some path makes true before consent (review round two) -----------------------------------
BAD = "com.demo.h.Flags"
BAD_DESC = "Lcom/demo/h/Flags;"
# getBoolean("privacy_agreed", true): true on the first launch, before the dialog was ever shown
DEFAULT_TRUE = s.stored_flag("privacy_agreed").replace(
    "    invoke-interface {v0, v2, v1}", "    const/4 v1, 0x1\n    invoke-interface {v0, v2, v1}")


def when_flags_getter(name: str, body: str) -> str:
    """`if (Flags.INSTANCE.name()) { body }` through a getter whose name says nothing about consent."""
    return (f"    sget-object v1, {BAD_DESC}->INSTANCE:{BAD_DESC}\n    invoke-virtual {{v1}}, {BAD_DESC}->{name}()Z\n"
            "    move-result v0\n    if-eqz v0, :skip\n" + body + "    :skip\n")


def flags_property(field: str, getter: str) -> str:
    """A Kotlin-style property of Flags: a consent-named field, a neutral getter, `set{field}(Z)V`."""
    return (f".method public final {getter}()Z\n    .registers 2\n    sget-boolean v0, {BAD_DESC}->{field}:Z\n"
            f"    return v0\n.end method\n" + s.method(f"set{field}", f"    sput-boolean p1, {BAD_DESC}->{field}:Z\n",
                                                     params="Z"))


def call_flags_setter(field: str, via: str = BAD_DESC, invoke: str = "invoke-virtual") -> str:
    """`Flags.INSTANCE.setField(true)`, called through the type `via`."""
    return (f"    sget-object v4, {BAD_DESC}->INSTANCE:{BAD_DESC}\n    const/4 v3, 0x1\n"
            f"    {invoke} {{v4, v3}}, {via}->set{field}(Z)V\n")


BAD_METHODS = {
    "defaultTrue": DEFAULT_TRUE + "    if-eqz v0, :skip\n" + INIT + "    :skip\n",
    # Flags.sAgreedOrNew = getBoolean("privacy_agreed", true) is all it is ever assigned
    "fieldDefaultTrue": s.when_static_field(BAD, "sAgreedOrNew", INIT),
    # the setter is called with true by the agree button, and by warm-up code through an interface that only a
    # subclass of Flags implements (Consent.setPrivacyOk(true) lands on Flags.setPrivacyOk)
    "setterViaSubclassInterface": when_flags_getter("stateA", INIT),
    # the same property without the warm-up call (the agree button alone sets it): a guard
    "setterOnlyByButton": when_flags_getter("stateB", INIT),
    # set true by a static onClick() of a helper class (no listener, no framework callback) that startup calls
    "staticOnClick": s.when_static_field(BAD, "sPrivacyTapped", INIT),
    # set true only by a real View.OnClickListener.onClick: still a guard
    "listenerOnClick": s.when_static_field(BAD, "sPrivacyClicked", INIT),
}
BAD_CLASSES = {
    BAD: smali_class(BAD, (
        f".field public static INSTANCE:{BAD_DESC}\n.field public static sAgreedOrNew:Z\n.field public static PrivacyOk:Z\n"
        ".field public static PrivacyFine:Z\n.field public static sPrivacyTapped:Z\n.field public static sPrivacyClicked:Z\n"
        + s.method("load", DEFAULT_TRUE + s.put_static_flag(BAD, "sAgreedOrNew"), params="Landroid/content/Context;",
                   static=True)
        + flags_property("PrivacyOk", "stateA") + flags_property("PrivacyFine", "stateB")
        + s.method("onClick", "    const/4 v0, 0x1\n" + s.put_static_flag(BAD, "sPrivacyTapped"), static=True))),
    "com.demo.h.Consent": ".class public interface abstract Lcom/demo/h/Consent;\n.super Ljava/lang/Object;\n"
                          ".method public abstract setPrivacyOk(Z)V\n.end method\n",
    "com.demo.h.SubFlags": smali_class("com.demo.h.SubFlags", "", super_=BAD_DESC, interfaces=["Lcom/demo/h/Consent;"]),
    "com.demo.h.AgreeButton": smali_class("com.demo.h.AgreeButton", s.method(
        "onClick", call_flags_setter("PrivacyOk") + call_flags_setter("PrivacyFine")
        + "    const/4 v0, 0x1\n" + s.put_static_flag(BAD, "sPrivacyClicked"), params="Landroid/view/View;"),
        interfaces=["Landroid/view/View$OnClickListener;"]),
    "com.demo.h.Warm": smali_class("com.demo.h.Warm", s.method(
        "warm", call_flags_setter("PrivacyOk", via="Lcom/demo/h/Consent;", invoke="invoke-interface")
        + "    invoke-static {}, Lcom/demo/h/Flags;->onClick()V\n", static=True)),
}


@pytest.fixture(scope="module")
def bad_guarded(tmp_path_factory):
    return guarded_calls(tmp_path_factory.mktemp("bad_guards"), BAD_METHODS, BAD_CLASSES)


@pytest.mark.apktool
@pytest.mark.parametrize("method", ["defaultTrue", "fieldDefaultTrue"])
def test_a_stored_flag_read_with_a_default_of_true_is_not_a_guard(bad_guarded, method):
    assert bad_guarded[method] is None


@pytest.mark.apktool
def test_a_setter_called_with_true_before_consent_through_an_interface_of_a_subclass_is_not_a_guard(bad_guarded):
    assert bad_guarded["setterViaSubclassInterface"] is None
    assert bad_guarded["setterOnlyByButton"] == ["init"]


@pytest.mark.apktool
def test_a_field_set_true_by_a_static_method_named_on_click_is_not_a_guard(bad_guarded):
    assert bad_guarded["staticOnClick"] is None


@pytest.mark.apktool
def test_a_field_set_true_only_by_a_click_listener_is_a_guard(bad_guarded):
    assert bad_guarded["listenerOnClick"] == ["init"]
