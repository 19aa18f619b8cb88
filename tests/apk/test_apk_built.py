"""open_apk on APKs built from source with apktool: every expectation is what the source declares."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from hegui.apk import Component, icon_is_blank, open_apk

pytestmark = pytest.mark.apktool


def _component(apk, name: str) -> Component:
    return next(c for c in apk.manifest.components if c.name == name)


def test_label_is_the_default_locale_string_and_every_locale_is_listed(demo_apk):
    apk = open_apk(demo_apk)
    assert apk.label == "演示商店"
    assert apk.labels == {"": "演示商店", "en": "Demo Shop"}


def test_literal_label_is_returned_as_written(literal_label_apk):
    apk = open_apk(literal_label_apk)
    assert (apk.manifest.label, apk.label, apk.labels) == ("Literal Shop", "Literal Shop", {"": "Literal Shop"})


def test_blank_label_resource_is_a_single_space(blank_label_apk):
    apk = open_apk(blank_label_apk)
    assert apk.manifest.label.startswith("@0x7f")
    assert apk.label == " "


def test_icon_resolves_to_every_density_of_the_mipmap(demo_apk):
    apk = open_apk(demo_apk)
    assert apk.icon_files == ["res/mipmap-hdpi-v4/ic_launcher.png", "res/mipmap-xhdpi-v4/ic_launcher.png"]


def test_opaque_icons_are_not_blank_and_a_transparent_one_is(demo_apk, literal_label_apk):
    demo = open_apk(demo_apk)
    assert [icon_is_blank(demo.archive.read(n), n) for n in demo.icon_files] == [False, False]
    assert icon_is_blank(demo.archive.read("res/drawable/blank.png"), "blank.png") is True
    literal = open_apk(literal_label_apk)
    assert [icon_is_blank(literal.archive.read(n), n) for n in literal.icon_files] == [True]


def test_manifest_header_permissions_and_application_attributes(demo_apk):
    manifest = open_apk(demo_apk).manifest
    assert (manifest.package, manifest.version_code, manifest.version_name) == ("com.demo.shop", 12, "1.2.0")
    assert (manifest.min_sdk, manifest.target_sdk) == (21, 30)
    # duplicates removed, order kept, uses-permission-sdk-23 included
    assert manifest.uses_permissions == ["android.permission.READ_PHONE_STATE",
                                         "android.permission.ACCESS_FINE_LOCATION", "android.permission.CAMERA"]
    assert manifest.declared_permissions == ["com.demo.shop.permission.PUSH"]
    assert manifest.application_class == "com.demo.shop.ShopApp"
    assert (manifest.allow_backup, manifest.uses_cleartext_traffic, manifest.debuggable) == (True, True, None)
    assert re.fullmatch(r"@0x7f[0-9a-f]{6}", manifest.network_security_config)
    assert manifest.uses_features == ["android.hardware.camera"]
    assert manifest.uses_libraries == ["org.apache.http.legacy"]
    assert manifest.queries_packages == ["com.tencent.mm"]
    assert [(q.actions, q.mime_types) for q in manifest.queries_intents] == [
        (["android.intent.action.SEND"], ["image/*"])]


def test_application_meta_data_keeps_values_and_resource_references(demo_apk):
    apk = open_apk(demo_apk)
    meta = apk.manifest.app_meta_data
    assert meta["UMENG_APPKEY"] == "5f1234abcd"
    assert meta["com.demo.max_retries"] == "3"
    assert apk.resources.resolve_string(meta["UMENG_CHANNEL"]) == "演示商店"


def test_component_names_are_resolved_against_the_package(demo_apk):
    names = [(c.kind, c.name) for c in open_apk(demo_apk).manifest.components]
    assert names == [
        ("activity", "com.demo.shop.Main"),
        ("activity-alias", "com.demo.shop.LauncherAlias"),
        ("activity", "com.demo.shop.HiddenEntry"),
        ("activity", "com.demo.shop.Detail"),
        ("receiver", "com.demo.shop.BootReceiver"),
        ("service", "com.umeng.message.PushService"),
        ("provider", "com.demo.shop.data.FilesProvider"),
    ]


def test_boot_receiver_without_exported_is_exported_through_its_filter(demo_apk):
    receiver = _component(open_apk(demo_apk), "com.demo.shop.BootReceiver")
    assert receiver.exported is None and receiver.effectively_exported is True
    [intent] = receiver.intent_filters
    assert (intent.actions, intent.priority) == (["android.intent.action.BOOT_COMPLETED"], 999)


def test_explicitly_unexported_service_keeps_process_permission_and_meta_data(demo_apk):
    service = _component(open_apk(demo_apk), "com.umeng.message.PushService")
    assert (service.exported, service.effectively_exported) == (False, False)
    assert (service.process, service.permission) == (":push", "android.permission.BIND_JOB_SERVICE")
    assert service.meta_data == {"push.channel": "umeng"}


def test_provider_lists_each_authority(demo_apk):
    provider = _component(open_apk(demo_apk), "com.demo.shop.data.FilesProvider")
    assert provider.authorities == ["com.demo.shop.files", "com.demo.shop.share"]
    assert provider.effectively_exported is False


def test_deep_link_activity_filter_has_scheme_and_host(demo_apk):
    detail = _component(open_apk(demo_apk), "com.demo.shop.Detail")
    [intent] = detail.intent_filters
    assert (intent.schemes, intent.hosts) == (["https"], ["shop.demo.com"])
    assert intent.categories == ["android.intent.category.DEFAULT", "android.intent.category.BROWSABLE"]
    assert detail.effectively_exported is True


def test_launcher_alias_counts_with_its_target_and_a_disabled_launcher_does_not(demo_apk):
    apk = open_apk(demo_apk)
    alias = _component(apk, "com.demo.shop.LauncherAlias")
    hidden = _component(apk, "com.demo.shop.HiddenEntry")
    assert (alias.enabled, alias.target_activity) == (True, "com.demo.shop.Main")
    assert (hidden.enabled, hidden.exported) == (False, True)
    assert apk.manifest.launcher_activities() == ["com.demo.shop.Main", "com.demo.shop.LauncherAlias"]


def test_string_values_list_every_config(demo_apk):
    values = set(open_apk(demo_apk).resources.string_values())
    assert {("privacy_title", "隐私政策"), ("privacy_title", "Privacy Policy"),
            ("app_name", "演示商店"), ("app_name", "Demo Shop")} <= values


def test_dex_and_native_libraries(demo_apk):
    apk = open_apk(demo_apk)
    assert apk.dex_names == ["classes.dex"]
    assert sorted(apk.native_libs) == ["lib/arm64-v8a/libdemo.so", "lib/armeabi-v7a/libdemo.so"]
    assert apk.problems == []


def test_signers_are_v1_v2_v3_with_the_certificate_apksigner_prints(demo_apk):
    apk = open_apk(demo_apk)
    printed = subprocess.run(["apksigner", "verify", "--print-certs", str(demo_apk)],
                             capture_output=True, text=True, check=True, timeout=120).stdout
    digest = re.search(r"certificate SHA-256 digest: ([0-9a-f]{64})", printed).group(1)
    assert [(s.scheme, s.sha256, s.subject) for s in apk.signers] == [
        (scheme, digest, "CN=hegui test,O=hegui,C=CN") for scheme in ("v1", "v2", "v3")]


def test_unsigned_apk_has_no_signers(literal_label_apk):
    assert open_apk(literal_label_apk).signers == []


def test_a_text_manifest_build_input_matches_the_binary_one(demo_apk, tmp_path: Path):
    from apk_testkit import demo_manifest

    from hegui.apk import parse_manifest

    text = parse_manifest(demo_manifest().encode("utf-8"))
    binary = open_apk(demo_apk).manifest
    assert [(c.kind, c.name, c.exported) for c in text.components] == [
        (c.kind, c.name, c.exported) for c in binary.components]
    assert text.uses_permissions == binary.uses_permissions
    assert text.label == "@string/app_name"  # text manifests keep the symbolic reference
