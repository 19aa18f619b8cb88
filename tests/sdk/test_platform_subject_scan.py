"""Platform-library call sites through the real pipeline, on purpose-built APKs: a library's own reads are its
subject's (capped), a wrapper the app calls (ActivityCompat, FingerprintManagerCompat) is the app's act."""

from __future__ import annotations

import pytest

import smali_snippets as s
from apkbuild import smali_class
from scanfixtures import APP_CLASS, MAIN, app_smali, scan_app
from smali_snippets import method

pytestmark = pytest.mark.apktool

ACTIVITY_COMPAT = "androidx.core.app.ActivityCompat"
FINGERPRINT_COMPAT = "androidx.core.hardware.fingerprint.FingerprintManagerCompat"
SHORTCUTS = "androidx.core.content.pm.ShortcutManagerCompat"

REQUEST = ("    invoke-virtual {p0, p1, p2}, Landroid/app/Activity;->requestPermissions([Ljava/lang/String;I)V\n")
APP_REQUESTS = (
    "    const/4 v0, 0x1\n"
    "    new-array v1, v0, [Ljava/lang/String;\n"
    '    const-string v2, "android.permission.CAMERA"\n'
    "    const/4 v3, 0x0\n"
    "    aput-object v2, v1, v3\n"
    f"    invoke-static {{p0, v1, v0}}, L{ACTIVITY_COMPAT.replace('.', '/')};->requestPermissions"
    "(Landroid/app/Activity;[Ljava/lang/String;I)V\n")
AUTHENTICATE = ("    move-object v0, p0\n" + "".join(f"    const/4 v{i}, 0x0\n" for i in range(1, 6)) +
                "    invoke-virtual/range {v0 .. v5}, Landroid/hardware/fingerprint/FingerprintManager;->"
                "authenticate(Landroid/hardware/fingerprint/FingerprintManager$CryptoObject;Landroid/os/CancellationSignal;"
                "ILandroid/hardware/fingerprint/FingerprintManager$AuthenticationCallback;Landroid/os/Handler;)V\n")


def _androidx(**classes: str) -> dict[str, str]:
    return {name: smali_class(name, body) for name, body in classes.items()}


def test_the_apps_call_of_activitycompat_is_the_apps_request_not_the_librarys(tmp_path) -> None:
    smali = app_smali(main_on_create=APP_REQUESTS) | _androidx(**{ACTIVITY_COMPAT: method(
        "requestPermissions", REQUEST, params="Landroid/app/Activity;[Ljava/lang/String;I", static=True)})
    scanned = scan_app(tmp_path, smali, permissions=["android.permission.CAMERA"])
    assert sorted((f.rule_id, f.subject) for f in scanned.report.findings
                  if f.rule_id == "PI-PERM-ADVANCE-OR-UNRELATED-REQUEST") == [
        ("PI-PERM-ADVANCE-OR-UNRELATED-REQUEST", "app")]


def test_a_wrapper_in_the_catalog_is_reported_at_its_caller_only(tmp_path) -> None:
    app_calls = (f"    const/4 v0, 0x0\n    invoke-static {{v0}}, L{FINGERPRINT_COMPAT.replace('.', '/')};->"
                 "authenticate(Landroid/hardware/fingerprint/FingerprintManager;)V\n")
    smali = app_smali(app_calls) | _androidx(**{FINGERPRINT_COMPAT: method(
        "authenticate", AUTHENTICATE, params="Landroid/hardware/fingerprint/FingerprintManager;",
        static=True, registers=8)})
    scanned = scan_app(tmp_path, smali, permissions=["android.permission.USE_FINGERPRINT"])
    assert [(c.api, c.caller, c.sdk, c.platform_library) for c in scanned.calls("biometric_auth")] == [
        (f"{FINGERPRINT_COMPAT}#authenticate", f"{APP_CLASS}#onCreate", None, None)]


def test_a_librarys_own_read_at_startup_is_its_subject_capped_at_medium(tmp_path) -> None:
    """The near miss of the two above: a library method that is no catalog API reads the app list itself."""
    sdesc = "L" + SHORTCUTS.replace(".", "/") + ";"
    smali = app_smali(f"    invoke-static {{p0}}, {sdesc}->isSupported(Landroid/content/Context;)V\n") | _androidx(
        **{SHORTCUTS: method("isSupported", s.installed_packages(), params="Landroid/content/Context;", static=True)})
    scanned = scan_app(tmp_path, smali)
    assert [(c.caller, c.sdk, c.platform_library, c.at_startup) for c in scanned.calls("installed_apps")] == [
        (f"{SHORTCUTS}#isSupported", None, "androidx.core", True)]
    assert sorted((f.rule_id, f.subject, f.severity) for f in scanned.report.findings
                  if f.subject.startswith("platform:")) == [
        ("PI-APPLIST-COLLECTION", "platform:androidx.core", "medium"),
        ("PI-COLLECT-BEFORE-CONSENT", "platform:androidx.core", "medium")]
    assert [p.id for p in scanned.report.platform_libraries] == ["androidx.core"]
    assert MAIN  # the launcher activity exists, so startup is the Application's onCreate and the launcher's
