"""Platform libraries (AndroidX, support library, Kotlin, Material) as a subject of their own: which library a
class belongs to, the version the APK records, how severe a finding on them may be, how the report names them."""

from __future__ import annotations

import pytest

from hegui.detect.platform import PlatformAttributor, platform_uses
from hegui.detect.sdks import sdk_catalog
from hegui.knowledge.platform import platform_libraries, platform_library_of_subject
from hegui.model import Evidence, Observation, is_platform_subject, is_sdk_subject
from hegui.report.model import InputInfo, PlatformLibraryUse, Report, Tool
from hegui.report.render import subject_names
from hegui.rules import evaluate

ATT = PlatformAttributor()


@pytest.mark.parametrize(("class_name", "library"), [
    ("androidx.appcompat.app.TwilightManager", "androidx.appcompat"),
    ("androidx.core.widget.TextViewCompat$OreoCallback", "androidx.core"),
    ("androidx.core.content.pm.ShortcutManagerCompat", "androidx.core"),
    ("androidx.emoji2.text.DefaultEmojiCompatConfig", "androidx.emoji"),
    ("androidx.media.session.MediaButtonReceiver", "androidx.media"),
    ("androidx.collection.ArrayMap", "androidx"),
    ("android.support.v7.app.TwilightManager", "android.support.appcompat"),
    ("android.support.v7.widget.ActivityChooserModel", "android.support.appcompat"),
    ("android.support.v7.widget.RecyclerView$Adapter", "android.support.recyclerview"),  # deepest prefix wins
    ("android.support.v4.media.session.MediaButtonReceiver", "android.support.media"),
    ("android.support.v4.content.FileProvider", "android.support.v4"),
    ("android.arch.lifecycle.LiveData", "android.arch"),
    ("kotlin.collections.CollectionsKt", "kotlin"),
    ("kotlinx.coroutines.JobKt", "kotlinx.coroutines"),
    ("com.google.android.material.button.MaterialButton", "material"),
])
def test_class_belongs_to_its_platform_library(class_name: str, library: str) -> None:
    assert ATT.library_of(class_name) == library
    assert ATT.subject_of(class_name) == f"platform:{library}"


@pytest.mark.parametrize("class_name", [
    "androidxx.core.Foo", "android.widget.TextView", "com.demo.androidx.core.Foo", "kotlinlike.Foo",
    "com.google.android.gms.common.GoogleApiAvailability",
])
def test_near_misses_are_no_platform_library(class_name: str) -> None:
    assert ATT.library_of(class_name) is None


def test_subjects_of_the_three_kinds_are_told_apart() -> None:
    assert (is_platform_subject("platform:androidx.core"), is_sdk_subject("platform:androidx.core")) == (True, False)
    assert (is_platform_subject("umeng"), is_sdk_subject("umeng")) == (False, True)
    assert (is_platform_subject("app"), is_sdk_subject("app")) == (False, False)
    assert platform_library_of_subject("platform:androidx.core").name == "AndroidX Core"
    assert platform_library_of_subject("platform:unknown") is None
    assert platform_library_of_subject("umeng") is None


def test_no_platform_prefix_is_a_third_party_sdk_signature() -> None:
    sdk_prefixes = {p for s in sdk_catalog().values() if not s.library for p in s.packages}
    platform = {p for lib in platform_libraries().values() for p in lib.prefixes}
    assert platform & sdk_prefixes == set()


def test_versions_come_from_the_meta_inf_version_files_of_present_libraries() -> None:
    files = {
        "META-INF/androidx.appcompat_appcompat.version": b"1.3.1\n",
        "META-INF/androidx.core_core.version": b"1.5.0",
        "META-INF/androidx.fragment_fragment.version": b"1.3.6",     # no fragment class: not read
        "META-INF/androidx.activity_activity.version": b"<html>",     # not a version: ignored
        "META-INF/com.android.support_appcompat-v7.version": b"28.0.0",
    }
    read: list[str] = []

    def reader(name: str) -> bytes:
        read.append(name)
        return files[name]

    uses = platform_uses(["Landroidx/appcompat/app/AppCompatActivity;", "Landroidx/core/app/ActivityCompat;",
                          "Landroidx/core/view/ViewCompat;", "Landroidx/activity/ComponentActivity;",
                          "Lcom/demo/shop/MainActivity;"], ["classes.dex", *files], reader)
    assert [(u.id, u.classes, u.versions) for u in uses] == [
        ("androidx.activity", 1, None),
        ("androidx.appcompat", 1, {"androidx.appcompat:appcompat": "1.3.1"}),
        ("androidx.core", 2, {"androidx.core:core": "1.5.0"}),
    ]
    assert "META-INF/androidx.fragment_fragment.version" not in read


def test_classes_listed_by_full_name_are_counted_for_their_own_library() -> None:
    uses = platform_uses(["Landroid/support/v7/widget/RecyclerView;", "Landroid/support/v7/widget/RecyclerView$Adapter;",
                          "Landroid/support/v7/widget/Toolbar;", "La/b;", "LNoPackage;"], [], lambda _n: b"")
    assert [(u.id, u.classes) for u in uses] == [("android.support.appcompat", 1), ("android.support.recyclerview", 2)]


def _startup_read(subject: str, **attrs: object) -> Observation:
    return Observation(kind="sensitive_call", subject=subject,
                       evidence=[Evidence("call", "android.location.LocationManager#getLastKnownLocation called "
                                                  "from androidx.appcompat.app.TwilightManager#getLastKnownLocationForProvider")],
                       attrs={"pi_type": "location_precise", "at_startup": True, **attrs})


def test_a_platform_library_call_alone_is_capped_at_medium() -> None:
    findings = evaluate([_startup_read("platform:androidx.appcompat")])
    assert [(f.rule_id, f.subject, f.severity) for f in findings] == [
        ("PI-COLLECT-BEFORE-CONSENT", "platform:androidx.appcompat", "medium")]


def test_a_real_collection_by_a_platform_library_keeps_its_severity() -> None:
    findings = evaluate([_startup_read("platform:androidx.appcompat", real_collection=True)])
    assert [(f.rule_id, f.subject, f.severity) for f in findings] == [
        ("PI-COLLECT-BEFORE-CONSENT", "platform:androidx.appcompat", "critical")]


def test_the_same_call_in_the_apps_code_or_an_sdk_is_not_capped() -> None:
    findings = evaluate([_startup_read("app"), _startup_read("umeng")])
    assert [(f.rule_id, f.subject, f.severity) for f in findings] == [
        ("PI-COLLECT-BEFORE-CONSENT", "app", "critical"), ("PI-SDK-COLLECT-BEFORE-CONSENT", "umeng", "critical")]


def test_the_report_names_the_platform_library_and_its_version() -> None:
    report = Report(tool=Tool(version="0"), input=InputInfo(path="x.apk", sha256="0" * 64, size=1),
                    platform_libraries=[PlatformLibraryUse(
                        id="androidx.appcompat", name="AndroidX AppCompat", subject="platform:androidx.appcompat",
                        classes=384, versions={"androidx.appcompat:appcompat": "1.1.0"})])
    assert subject_names(report, "platform:androidx.appcompat") == (
        "平台库：AndroidX AppCompat androidx.appcompat:appcompat 1.1.0",
        "Platform library: AndroidX AppCompat androidx.appcompat:appcompat 1.1.0")
    assert subject_names(report, "platform:kotlin") == ("平台库：kotlin", "Platform library: kotlin")


def test_html_lists_platform_libraries_and_names_their_call_sites() -> None:
    from hegui.report.model import SensitiveCall
    from hegui.report.render import render

    report = Report(tool=Tool(version="0"), input=InputInfo(path="x.apk", sha256="0" * 64, size=1),
                    platform_libraries=[PlatformLibraryUse(
                        id="androidx.core", name="AndroidX Core", subject="platform:androidx.core", classes=562,
                        versions={"androidx.core:core": "1.2.0"})],
                    sensitive_calls=[SensitiveCall(
                        pi_type="installed_apps", api="android.content.pm.PackageManager#queryBroadcastReceivers",
                        caller="androidx.core.content.pm.ShortcutManagerCompat#isRequestPinShortcutSupported",
                        sdk=None, at_startup=False, via_reflection=False, platform_library="androidx.core")])
    html = render(report, "html").decode()
    assert ('<tr><td>AndroidX Core</td><td><code>platform:androidx.core</code></td>'
            '<td><code>androidx.core:core 1.2.0</code></td><td>562</td></tr>') in html
    assert "<td>平台库：AndroidX Core androidx.core:core 1.2.0</td>" in html
    assert "应用自身 app" not in html
