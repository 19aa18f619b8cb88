"""SDK identification on real APKs of the shared corpus (DEX class_defs read by tests/sdk/dexnames.py)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dexnames import apk_class_names, apk_native_libs  # noqa: E402

from hegui.apk import open_apk  # noqa: E402
from hegui.detect.sdks import app_code_namespaces, identify_sdks, sdk_catalog  # noqa: E402

pytestmark = pytest.mark.corpus

BUGLY_HOTFIX = ["BuglyHotfixDemo_app-release.apk", "BuglyHotfixDemo_tinker1.9.14.apk", "BuglyHotfixDemo_tinker1.9.9.apk"]
WEIBO_DEMOS = ["WeiboSDKDemo_3.1.4.apk", "WeiboSDKDemo_v3.0.1.apk", "weibo.sdk.android.demo.apk",
               "weibosdkdemo_app-release.apk"]


def scan(apk: Path) -> dict[str, list[str]]:
    """What the pipeline would do: manifest (hegui.apk) + DEX class names + native libs → {sdk id: evidence}."""
    classes = apk_class_names(apk)
    with open_apk(apk) as parsed:
        manifest = parsed.manifest
        namespaces = app_code_namespaces(manifest.package, [manifest.application_class, *manifest.launcher_activities()],
                                         classes)
        found = identify_sdks(classes, app_package=manifest.package, app_namespaces=namespaces,
                              component_names=[(c.kind, c.name) for c in manifest.components],
                              meta_data_keys=list(manifest.app_meta_data), native_libs=apk_native_libs(apk))
    return {m.id: m.evidence for m in found}


@pytest.mark.parametrize("name", BUGLY_HOTFIX)
def test_bugly_hotfix_demos_contain_bugly_and_tinker(corpus: Path, name: str) -> None:
    found = scan(corpus / "bugly-demo" / "apks" / name)
    assert set(found) == {"bugly", "bugly_beta", "tinker"}
    assert any(line.startswith("class com.tencent.tinker.") for line in found["tinker"])


def test_bugly_upgrade_demo_has_bugly_and_its_tinker_bridge_but_not_the_tinker_engine(corpus: Path) -> None:
    # the upgrade demo ships com.tencent.bugly.beta.tinker (Bugly's hot-update glue), not com.tencent.tinker
    found = scan(corpus / "bugly-demo" / "apks" / "BuglyUpgradeDemo_demo.apk")
    assert set(found) == {"bugly", "bugly_beta"}
    assert sdk_catalog()["bugly_beta"].hot_update
    assert "native lib lib/armeabi/libBugly.so" in found["bugly"]
    assert "manifest service com.tencent.bugly.beta.tinker.TinkerResultService" in found["bugly_beta"]


def test_bugly_demo_app_package_under_the_bugly_prefix_is_app_code(corpus: Path) -> None:
    # the demo's own package is com.tencent.bugly.hotfix: its classes must not be reported as Bugly
    found = scan(corpus / "bugly-demo" / "apks" / BUGLY_HOTFIX[0])
    assert not any("com.tencent.bugly.hotfix." in line for lines in found.values() for line in lines)


@pytest.mark.parametrize("name", WEIBO_DEMOS)
def test_weibo_sdk_found_in_weibo_demos(corpus: Path, name: str) -> None:
    found = scan(corpus / "weibo-sdk-demo" / "apks" / name)
    assert set(found) == {"weibo"}


def test_weibo_signature_tool_is_only_app_code(corpus: Path) -> None:
    # com.sina.weibo.sdk.gensign lies under the Weibo prefix but is the app itself
    assert scan(corpus / "weibo-sdk-demo" / "apks" / "app_signatures.apk") == {}


def test_jiguang_demo_has_no_jiguang_sdk(corpus: Path) -> None:
    # manifest package com.jiguang.jmlinkdemo, code in cn.jiguang.jmlinkdemo, no Jiguang SDK class at all
    assert scan(corpus / "jiguang-demo" / "apks" / "jmlink-demo_app-debug.apk") == {}


def test_exodus_blooddonation_has_admob(corpus: Path) -> None:
    found = scan(corpus / "exodus-core" / "apks" / "blooddonation.apk")
    assert "google_admob" in found
    assert not {"facebook_analytics", "google_crashlytics"} & set(found)


def test_exodus_instapaper_has_facebook_crashlytics_and_firebase(corpus: Path) -> None:
    found = scan(corpus / "exodus-core" / "apks" / "instapaper.apk")
    assert {"facebook_analytics", "facebook_login", "facebook_share", "facebook_places", "google_crashlytics",
            "google_firebase_analytics"} <= set(found)
    assert "google_admob" not in found


def _droidbench(corpus: Path) -> list[tuple[Path, str | None]]:
    with (corpus / "apk_inventory.csv").open(encoding="utf-8") as fh:
        packages = {row["path"]: row["package"] or None for row in csv.DictReader(fh)}
    return [(corpus / path, pkg) for path, pkg in sorted(packages.items()) if path.startswith("droidbench/")]


def test_droidbench_apps_contain_no_chinese_sdk(corpus: Path) -> None:
    found = {}
    for apk, package in _droidbench(corpus):
        matches = identify_sdks(apk_class_names(apk), app_package=package, native_libs=apk_native_libs(apk))
        if matches:
            found[apk.name] = [m.id for m in matches]
    # the only third-party code in the benchmark: Google Play services in PlayStore2
    assert found == {"PlayStore2.apk": ["google_admob", "google_analytics", "google_firebase_analytics", "google_maps",
                                        "google_play_billing", "google_play_services", "google_tag_manager"]}
    assert len(_droidbench(corpus)) == 190
