"""A plain-HTTP URL in the code is a cleartext transmission only when the code requests it (hegui.detect.url_flow,
knowledge/static_signals.yaml `cleartext`): followed through registers, builders, a static field and a helper's
parameter; a link handed to a share target, a comparison or a log line requests nothing, and a use that cannot
be followed keeps the URL. Each case on a purpose-built APK that allows cleartext traffic."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from apkbuild import smali_class
from hegui import knowledge
from hegui.knowledge.schema_detectors import Cleartext
from scanfixtures import APP, app_smali, scan_app, tapped
from smali_snippets import method

URL = "http://api.demo-shop.cn/share"
CLEARTEXT = 'android:usesCleartextTraffic="true"'
SB = "Ljava/lang/StringBuilder;"
ONEKEY = "cn.sharesdk.onekeyshare.OnekeyShare"
ONEKEY_D = "L" + ONEKEY.replace(".", "/") + ";"
LINKS = f"{APP}.Links"
LINKS_D = "L" + LINKS.replace(".", "/") + ";"
MAIN_D = "L" + f"{APP}.MainActivity".replace(".", "/") + ";"

# ShareSDK's one-key share panel, as the APKs bundle it: setters of the shared link (bodies do not matter here)
ONEKEY_SMALI = smali_class(ONEKEY, method("setUrl", "", params="Ljava/lang/String;")
                           + method("setTitleUrl", "", params="Ljava/lang/String;"))


def built(reg: str = "v1") -> str:
    """`reg = new StringBuilder().append(URL).append("/scene/1").toString()`, the builder's results unused."""
    return (f"    new-instance {reg}, {SB}\n    invoke-direct {{{reg}}}, {SB}-><init>()V\n"
            f'    const-string v0, "{URL}"\n'
            f"    invoke-virtual {{{reg}, v0}}, {SB}->append(Ljava/lang/String;){SB}\n"
            '    const-string v0, "/scene/1"\n'
            f"    invoke-virtual {{{reg}, v0}}, {SB}->append(Ljava/lang/String;){SB}\n"
            f"    invoke-virtual {{{reg}}}, {SB}->toString()Ljava/lang/String;\n    move-result-object {reg}\n")


def share(reg: str) -> str:
    """`new OnekeyShare().setUrl(reg); .setTitleUrl(reg)`."""
    return (f"    new-instance v2, {ONEKEY_D}\n    invoke-direct {{v2}}, {ONEKEY_D}-><init>()V\n"
            f"    invoke-virtual {{v2, {reg}}}, {ONEKEY_D}->setUrl(Ljava/lang/String;)V\n"
            f"    invoke-virtual {{v2, {reg}}}, {ONEKEY_D}->setTitleUrl(Ljava/lang/String;)V\n")


def load(reg: str, ctx: str) -> str:
    """`new WebView(ctx).loadUrl(reg)`."""
    wv = "Landroid/webkit/WebView;"
    return (f"    new-instance v2, {wv}\n    invoke-direct {{v2, {ctx}}}, {wv}-><init>(Landroid/content/Context;)V\n"
            f"    invoke-virtual {{v2, {reg}}}, {wv}->loadUrl(Ljava/lang/String;)V\n")


def plaintext_evidence(scanned) -> dict[str, list[str]]:
    return {f.subject: [e.detail for e in f.evidence] for f in scanned.report.findings
            if f.rule_id == "PI-SEC-PLAINTEXT-TRANSMISSION"}


def scan_with(tmp_path, body: str, extra: dict[str, str] | None = None):
    smali = {**app_smali(main_extra=tapped(("u", body))), ONEKEY: ONEKEY_SMALI, **(extra or {})}
    return scan_app(tmp_path, smali, application_attrs=CLEARTEXT)


REQUESTED = {"app": [CLEARTEXT, f"plain-HTTP URL {URL}"]}

LOG = ('    const-string v1, "demo"\n'
       "    invoke-static {v1, v0}, Landroid/util/Log;->d(Ljava/lang/String;Ljava/lang/String;)I\n")
COMPARE = ('    const-string v1, "x"\n'
           "    invoke-virtual {v1, v0}, Ljava/lang/String;->equals(Ljava/lang/Object;)Z\n    move-result v1\n")


@pytest.mark.apktool
@pytest.mark.parametrize(("use", "expected"), [
    (built() + "    new-instance v2, Ljava/net/URL;\n"
     "    invoke-direct {v2, v1}, Ljava/net/URL;-><init>(Ljava/lang/String;)V\n"
     "    invoke-virtual {v2}, Ljava/net/URL;->openConnection()Ljava/net/URLConnection;\n", REQUESTED),
    (built() + load("v1", "p0"), REQUESTED),
    (built() + share("v1"), {}),
    (f'    const-string v0, "{URL}"\n' + LOG + COMPARE, {}),
], ids=["url-opened", "webview-loads", "share-link", "logged-and-compared"])
def test_a_url_built_in_the_method_counts_only_when_requested(tmp_path, use, expected):
    assert plaintext_evidence(scan_with(tmp_path, use)) == expected


def links_class(helper_body: str, *, field: str = "SHARE_URL") -> dict[str, str]:
    """`Links.<field> = URL` (static initialiser) and `Links.showShare(Context, String)`."""
    clinit = (".method static constructor <clinit>()V\n    .registers 1\n"
              f'    const-string v0, "{URL}"\n    sput-object v0, {LINKS_D}->{field}:Ljava/lang/String;\n'
              "    return-void\n.end method\n")
    return {LINKS: smali_class(LINKS, f".field public static {field}:Ljava/lang/String;\n" + clinit + method(
        "showShare", helper_body, params="Landroid/content/Context;Ljava/lang/String;", static=True))}


def via_field_and_helper() -> str:
    """The moblink shape: `Links.showShare(this, Links.SHARE_URL + "/scene/1")`."""
    return (f"    new-instance v1, {SB}\n    invoke-direct {{v1}}, {SB}-><init>()V\n"
            f"    sget-object v0, {LINKS_D}->SHARE_URL:Ljava/lang/String;\n"
            f"    invoke-virtual {{v1, v0}}, {SB}->append(Ljava/lang/String;){SB}\n    move-result-object v1\n"
            '    const-string v0, "/scene/1"\n'
            f"    invoke-virtual {{v1, v0}}, {SB}->append(Ljava/lang/String;){SB}\n    move-result-object v1\n"
            f"    invoke-virtual {{v1}}, {SB}->toString()Ljava/lang/String;\n    move-result-object v1\n"
            f"    invoke-static {{p0, v1}}, {LINKS_D}->showShare(Landroid/content/Context;Ljava/lang/String;)V\n")


@pytest.mark.apktool
@pytest.mark.parametrize(("helper", "expected"), [
    (share("p1"), {}),
    (load("p1", "p0"), REQUESTED),
], ids=["helper-shares", "helper-loads"])
def test_a_url_in_a_static_field_is_followed_to_its_readers_and_their_helper(tmp_path, helper, expected):
    scanned = scan_with(tmp_path, via_field_and_helper(), links_class(helper))
    assert plaintext_evidence(scanned) == expected


@pytest.mark.apktool
@pytest.mark.parametrize("use", [
    # a field no code reads (reflection, a subclass's name): its use is not known
    f"    sput-object v0, {LINKS_D}->OTHER:Ljava/lang/String;\n",
    # an app method called virtually: an override may do anything with it
    f"    invoke-virtual {{p0, v0}}, {MAIN_D}->send(Ljava/lang/String;)V\n",
    # returned to the caller
    "    return-object v0\n",
], ids=["unread-field", "virtual-app-method", "returned"])
def test_a_url_whose_use_cannot_be_followed_stays_evidence(tmp_path, use):
    ret = "Ljava/lang/String;" if "return-object" in use else "V"
    extra = {LINKS: smali_class(LINKS, ".field public static OTHER:Ljava/lang/String;\n")}
    smali = {**app_smali(main_extra=method("send", "", params="Ljava/lang/String;")
                         + method("url", f'    const-string v0, "{URL}"\n' + use, ret=ret)
                         + method("onResume", "    invoke-super {p0}, Landroid/app/Activity;->onResume()V\n"
                                  f"    invoke-virtual {{p0}}, {MAIN_D}->url(){ret}\n")),
             ONEKEY: ONEKEY_SMALI, **extra}
    scanned = scan_app(tmp_path, smali, application_attrs=CLEARTEXT)
    assert plaintext_evidence(scanned) == REQUESTED


def test_the_cleartext_vocabulary_refuses_a_builder_that_hands_nothing_on():
    cfg = dict(knowledge.load_yaml("static_signals.yaml")["cleartext"])
    Cleartext.model_validate(cfg)
    with pytest.raises(ValidationError, match="accumulating_classes not in propagating_classes: a.B"):
        Cleartext.model_validate({**cfg, "accumulating_classes": [*cfg["accumulating_classes"], "a.B"]})
    with pytest.raises(ValidationError, match="both a request and not one: android.webkit.WebView#loadUrl"):
        Cleartext.model_validate({**cfg, "not_requesting_apis": [*cfg["not_requesting_apis"],
                                                                 "android.webkit.WebView#loadUrl"]})
    with pytest.raises(ValidationError, match="pattern"):
        Cleartext.model_validate({**cfg, "request_apis": ["java.net.URL.openConnection"]})
