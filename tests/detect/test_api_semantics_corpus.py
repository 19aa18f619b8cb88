"""The argument-aware semantics on real apps (../shared/corpus/github-cn-apks): the platform-library calls
issue 9 lists are judged as not collecting, with the reason the smali shows, and the real app-list query of
MobTech's DeviceHelper still counts."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from hegui.pipeline import scan_path
from hegui.report.model import Report

pytestmark = pytest.mark.corpus

APKS = Path(__file__).resolve().parents[3] / "shared/corpus/github-cn-apks/apks"
QUERY = "android.content.pm.PackageManager#"
LAST_KNOWN = "android.location.LocationManager#getLastKnownLocation"


@cache
def scanned(name: str) -> Report:
    path = APKS / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return scan_path(path)


def verdicts(name: str, caller_prefix: str, api: str) -> set[tuple[str, str]]:
    return {(c.caller, c.collects) for c in scanned(name).sensitive_calls
            if c.caller.startswith(caller_prefix) and c.api == api}


def test_textviewcompat_process_text_query_is_not_broad():
    assert verdicts("co.mide.md5er.apk", "androidx.core.widget.TextViewCompat", QUERY + "queryIntentActivities") == {
        ("androidx.core.widget.TextViewCompat$OreoCallback#getSupportedActivities", "not_broad")}


def test_activity_chooser_model_and_shortcut_manager_compat_are_dead_code_in_md5er():
    # nothing in md5er reaches ShareActionProvider's ActivityChooserModel or ShortcutManagerCompat (no call, no
    # layout or menu names them): their queries are no sensitive calls at all. Their shapes (a stored intent,
    # a receiver query for one action) are judged by the fixtures of test_api_semantics.py.
    assert verdicts("co.mide.md5er.apk", "androidx.appcompat.widget.ActivityChooserModel",
                    QUERY + "queryIntentActivities") == set()
    assert verdicts("co.mide.md5er.apk", "androidx.core.content.pm.ShortcutManagerCompat",
                    QUERY + "queryBroadcastReceivers") == set()


def test_twilight_manager_without_a_location_permission_reads_nothing():
    assert verdicts("co.mide.md5er.apk", "androidx.appcompat.app.TwilightManager", LAST_KNOWN) == {
        ("androidx.appcompat.app.TwilightManager#getLastKnownLocationForProvider", "no_permission")}


def test_shrunk_twilight_manager_reads_location_only_after_an_obfuscated_permission_check():
    # android.support.v7.app.r is TwilightManager; android.support.v4.c.i#a is PermissionChecker.checkSelfPermission
    assert verdicts("cn.sharesdk.demo.apk", "android.support.v7.app.r#", LAST_KNOWN) == {
        ("android.support.v7.app.r#a", "guarded")}
    assert verdicts("cn.sharesdk.demo.apk", "android.support.v7.app.r#", "android.location.Location#getLatitude") == {
        ("android.support.v7.app.r#a", "guarded")}


def test_mobtech_launcher_query_still_counts_as_app_list_collection():
    # MAIN plus a category decoded at run time, after a reflective `pm list packages`
    assert verdicts("cn.sharesdk.demo.apk", "com.mob.tools.utils.DeviceHelper#getPL", QUERY + "queryIntentActivities") == {
        ("com.mob.tools.utils.DeviceHelper#getPL", "yes")}
    applist = {f.subject for f in scanned("cn.sharesdk.demo.apk").findings if f.rule_id == "PI-APPLIST-COLLECTION"}
    assert applist == {"mob"}


@pytest.mark.parametrize("name", sorted(p.name for p in APKS.glob("*.apk")) or ["none"])
def test_no_platform_library_intent_query_or_location_read_counts_as_collection(name):
    if name == "none":
        pytest.skip("corpus not found")
    counted = {(c.caller, c.api) for c in scanned(name).sensitive_calls
               if c.caller.startswith(("androidx.", "android.support."))
               and (c.api.startswith(QUERY + "query") or c.api.startswith("android.location."))
               and c.collects == "yes"}
    assert counted == set()
