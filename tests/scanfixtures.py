"""Build a small app around given bytecode and scan it with the real pipeline; the call graphs a scan builds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import smali_snippets as s
from apkbuild import build_apk, launcher_activity, manifest, smali_class
from hegui.apk.apk import open_apk
from hegui.apk.code_names import native_class_names, resource_code_names
from hegui.detect.startup import live_reachability, startup_reachability
from hegui.dex import DexIndex
from hegui.dex.callgraph import Reachability
from hegui.pipeline import ScanOptions, scan_path
from hegui.report.model import Report
from smali_snippets import method

APP = "com.demo.shop"
APP_CLASS = f"{APP}.ShopApp"
MAIN = f"{APP}.MainActivity"


@dataclass
class Scanned:
    report: Report
    apk: Path

    def rules(self, subject: str | None = None) -> set[str]:
        return {f.rule_id for f in self.report.findings if subject is None or f.subject == subject}

    def finding(self, rule_id: str, subject: str = "app"):
        matches = [f for f in self.report.findings if f.rule_id == rule_id and f.subject == subject]
        assert matches, f"no {rule_id} for {subject}; have {sorted((f.rule_id, f.subject) for f in self.report.findings)}"
        return matches[0]

    def calls(self, pi_type: str) -> list:
        return [c for c in self.report.sensitive_calls if c.pi_type == pi_type]

    def sdk_id(self, package_prefix: str) -> str:
        ids = [s.id for s in self.report.sdks if any(p.startswith(package_prefix) or package_prefix.startswith(p)
                                                       for p in s.packages)]
        assert ids, f"no SDK for {package_prefix}; have {[(s.id, s.packages) for s in self.report.sdks]}"
        return ids[0]


def app_smali(on_create: str = "", *, main_on_create: str = "", main_extra: str = "", app_extra: str = "") -> dict[str, str]:
    """An Application subclass and a launcher activity, with the given bodies."""
    app_body = method("onCreate", "    invoke-super {p0}, Landroid/app/Application;->onCreate()V\n" + on_create) + app_extra
    main_body = method(
        "onCreate", "    invoke-super {p0, p1}, Landroid/app/Activity;->onCreate(Landroid/os/Bundle;)V\n" + main_on_create,
        params="Landroid/os/Bundle;",
    ) + main_extra
    return {
        APP_CLASS: smali_class(APP_CLASS, app_body, super_="Landroid/app/Application;"),
        MAIN: smali_class(MAIN, main_body, super_="Landroid/app/Activity;"),
    }


def tapped(*methods: tuple[str, str]) -> str:
    """MainActivity methods (name, body) that run when the user picks a menu item (`onOptionsItemSelected`
    calls each): live code, never startup code. A method nothing calls would be dead code and raise nothing."""
    main = "L" + MAIN.replace(".", "/") + ";"
    calls = "".join(f"    invoke-virtual {{p0}}, {main}->{name}()V\n" for name, _body in methods)
    return (method("onOptionsItemSelected", calls + "    const/4 v0, 0x1\n    return v0\n",
                   params="Landroid/view/MenuItem;", ret="Z")
            + "".join(method(name, body) for name, body in methods))


def scan_app(
    tmp_path: Path,
    smali: dict[str, str],
    *,
    permissions: list[str] = (),
    components: str = "",
    application_attrs: str = "",
    label: str | None = "DemoShop",
    res: dict[str, str | bytes] | None = None,
    assets: dict[str, str | bytes] | None = None,
    extra_files: dict[str, bytes] | None = None,
    target_sdk: int = 30,
    launcher: bool = True,
    options: ScanOptions | None = None,
) -> Scanned:
    attrs = f'android:name="{APP_CLASS}" ' + application_attrs
    if label is not None and "android:label" not in application_attrs:
        attrs += f' android:label="{label}"'
    body = (launcher_activity(MAIN) if launcher else "") + components
    xml = manifest(APP, body, permissions=list(permissions), application_attrs=attrs)
    apk = build_apk(tmp_path, xml, smali, res=res, assets=assets, extra_files=extra_files, target_sdk=target_sdk)
    return Scanned(scan_path(apk, options), apk)


UMENG = "com.umeng.commonsdk.UMConfigure"
COMPLETE_POLICY = (Path(__file__).parent / "data/policies/complete_policy.html").read_text(encoding="utf-8")


def consenting_app_smali() -> dict[str, str]:
    """A consent dialog whose agree button starts Umeng; nothing sensitive runs before that tap."""
    listener = f"{APP}.AgreeListener"
    ldesc = "L" + listener.replace(".", "/") + ";"
    smali = app_smali(main_on_create=f"    new-instance v0, {ldesc}\n    invoke-direct {{v0}}, {ldesc}-><init>()V\n")
    on_click = ("    invoke-virtual {p1}, Landroid/view/View;->getContext()Landroid/content/Context;\n"
                "    move-result-object v5\n" + s.call_static(UMENG, "init", args="{v5}"))
    smali[listener] = smali_class(listener, method("onClick", on_click, params="Landroid/view/View;"),
                                  interfaces=["Landroid/view/View$OnClickListener;"])
    smali[UMENG] = smali_class(UMENG, method("init", s.read_android_id(), params="Landroid/content/Context;", static=True))
    return smali


def both_reachabilities(apk_path: Path) -> tuple[DexIndex, Reachability, Reachability]:
    """The APK's index and the two call graphs a scan builds over it: startup (with consent guards) and liveness."""
    apk = open_apk(apk_path)
    index = DexIndex.build([(name, apk.archive.read(name)) for name in apk.dex_names])
    resources = resource_code_names(apk.archive)
    native = native_class_names(apk.archive, apk.native_libs)
    return (index, startup_reachability(apk.manifest, index),
            live_reachability(apk.manifest, index, resources, native))
