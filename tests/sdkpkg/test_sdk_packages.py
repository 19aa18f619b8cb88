"""`hegui scan` on SDK packages: AARs and JARs built from Java source, scanned with the real pipeline."""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from javabuild import aar_manifest, compile_classes, jar_bytes, write_aar, write_jar  # noqa: E402

from hegui.cli import app  # noqa: E402
from hegui.errors import InputError  # noqa: E402
from hegui.pipeline import ScanOptions, scan_path  # noqa: E402
from hegui.report.model import Report  # noqa: E402

VENDOR = "com.example.vendorsdk"
TRACKER = {
    f"{VENDOR}.Tracker": """
        import android.content.Context;
        import android.provider.Settings;
        public final class Tracker {
            static String collect(Context c) {
                return Settings.Secure.getString(c.getContentResolver(), Settings.Secure.ANDROID_ID);
            }
        }""",
    f"{VENDOR}.VendorSdk": """
        import android.content.Context;
        public final class VendorSdk {
            /** The host app calls this once the user agreed to its privacy policy. */
            public static void init(Context context) { Tracker.collect(context.getApplicationContext()); }
        }""",
}
INIT_PROVIDER = {
    f"{VENDOR}.InitProvider": """
        import android.content.ContentProvider;
        public class InitProvider extends ContentProvider {
            @Override public boolean onCreate() { Tracker.collect(getContext()); return true; }
        }""",
}
PROVIDER_XML = ('    <provider android:name=".InitProvider" android:authorities="${applicationId}.vendorinit"'
                ' android:exported="false"/>\n')
BOOT = {
    f"{VENDOR}.BootReceiver": """
        import android.content.BroadcastReceiver;
        import android.content.Context;
        import android.content.Intent;
        public class BootReceiver extends BroadcastReceiver {
            @Override public void onReceive(Context context, Intent intent) { VendorSdk.init(context); }
        }""",
}
BOOT_XML = ('    <receiver android:name=".BootReceiver" android:exported="true">\n'
            '      <intent-filter><action android:name="android.intent.action.BOOT_COMPLETED"/></intent-filter>\n'
            '    </receiver>\n')
APP_ONLY_RULES = {"PI-UNINSTALL-OBSTRUCTED", "PI-POLICY-ABSENT", "PI-SDK-LIST-MISSING-OR-MISMATCH",
                  "PI-COLLECT-BEFORE-CONSENT"}


def _scan(path: Path, report_validator) -> Report:
    report = scan_path(path)
    report_validator(report.model_dump(mode="json"))
    return report


def _aar(tmp_path: Path, sources: dict[str, str], application_xml: str = "", *, package: str = VENDOR,
         permissions: tuple[str, ...] = (), manifest: str | None = None, name: str = "vendor.aar",
         jar: bytes | None = None) -> Path:
    classes = compile_classes(tmp_path / "build", sources)
    return write_aar(tmp_path / name, manifest or aar_manifest(package, application_xml, permissions),
                     jar if jar is not None else jar_bytes(tmp_path, classes))


def _finding(report: Report, rule: str):
    found = [f for f in report.findings if f.rule_id == rule]
    assert found, f"no {rule}; have {sorted((f.rule_id, f.subject) for f in report.findings)}"
    return found[0]


def _rules(report: Report) -> set[str]:
    return {f.rule_id for f in report.findings}


# --- AAR: what runs as the host app starts ------------------------------------------------------------


def test_auto_initialising_provider_that_reads_android_id_collects_before_consent(tmp_path, report_validator):
    report = _scan(_aar(tmp_path, {**TRACKER, **INIT_PROVIDER}, PROVIDER_XML), report_validator)
    finding = _finding(report, "PI-SDK-COLLECT-BEFORE-CONSENT")
    assert finding.subject == VENDOR
    details = [e.detail for e in finding.evidence]
    assert f"runs at startup: {VENDOR}.InitProvider#onCreate → {VENDOR}.Tracker#collect" in details
    assert [(c.pi_type, c.caller, c.sdk, c.at_startup) for c in report.sensitive_calls] == [
        ("android_id", f"{VENDOR}.Tracker#collect", VENDOR, True)]


def test_sdk_initialised_only_by_the_host_calling_init_collects_nothing_before_consent(tmp_path, report_validator):
    report = _scan(_aar(tmp_path, {**TRACKER, **INIT_PROVIDER}), report_validator)  # provider class, not declared
    assert "PI-SDK-COLLECT-BEFORE-CONSENT" not in _rules(report)
    assert [(c.pi_type, c.at_startup) for c in report.sensitive_calls] == [("android_id", False)]


def test_aar_report_describes_the_package_not_an_app(tmp_path, report_validator):
    path = _aar(tmp_path, {**TRACKER, **INIT_PROVIDER}, PROVIDER_XML,
                permissions=("android.permission.INTERNET", "android.permission.READ_PHONE_STATE"))
    report = _scan(path, report_validator)
    assert (report.app.package, report.app.label, report.app.signers, report.app.min_sdk) == (VENDOR, None, [], 21)
    assert [(p.name, p.dangerous) for p in report.permissions] == [
        ("android.permission.INTERNET", False), ("android.permission.READ_PHONE_STATE", True)]
    assert report.errors == []


def test_app_only_rules_do_not_judge_an_sdk_package(tmp_path, report_validator):
    # no launcher, no label, no icon, no privacy policy: each would be a finding for an app
    report = _scan(_aar(tmp_path, {**TRACKER, **INIT_PROVIDER}, PROVIDER_XML), report_validator)
    assert _rules(report) & APP_ONLY_RULES == set()
    assert all(f.subject != "app" for f in report.findings)


def test_manifest_level_facts_are_said_of_the_package(tmp_path, report_validator):
    # READ_PHONE_STATE merges into every host app, yet no code of the SDK reads what it guards
    report = _scan(_aar(tmp_path, TRACKER, permissions=("android.permission.READ_PHONE_STATE",)), report_validator)
    assert _finding(report, "PI-NECESSITY-UNRELATED-COLLECTION").subject == VENDOR


def test_boot_completed_receiver_starts_the_host_by_itself(tmp_path, report_validator):
    report = _scan(_aar(tmp_path, {**TRACKER, **BOOT}, BOOT_XML), report_validator)
    finding = _finding(report, "PI-START-SELF")
    assert finding.subject == VENDOR
    assert any(f"{VENDOR}.BootReceiver" in e.detail for e in finding.evidence)


def test_known_sdk_is_identified_by_its_package_prefix(tmp_path, report_validator):
    umeng = "com.umeng.commonsdk"
    sources = {
        f"{umeng}.UMConfigure": """
            import android.content.Context;
            import android.provider.Settings;
            public final class UMConfigure {
                public static String preInit(Context c) {
                    return Settings.Secure.getString(c.getContentResolver(), Settings.Secure.ANDROID_ID);
                }
            }""",
        f"{umeng}.UmengInitProvider": """
            import android.content.ContentProvider;
            public class UmengInitProvider extends ContentProvider {
                @Override public boolean onCreate() { UMConfigure.preInit(getContext()); return true; }
            }""",
    }
    xml = '    <provider android:name=".UmengInitProvider" android:authorities="${applicationId}.umeng"/>\n'
    report = _scan(_aar(tmp_path, sources, xml, package=umeng), report_validator)
    # sdks.yaml: com.umeng.commonsdk is 友盟+ 统计 (umeng_analytics), the longest prefix of its classes
    assert [(s.id, s.packages) for s in report.sdks] == [("umeng_analytics", [umeng])]
    assert {c.sdk for c in report.sensitive_calls} == {"umeng_analytics"}
    assert _finding(report, "PI-SDK-COLLECT-BEFORE-CONSENT").subject == "umeng_analytics"


def test_jvm_code_behind_a_consent_check_stays_reachable(tmp_path, report_validator):
    # The consent-guard analysis reads Dalvik code; JVM methods have none, so it must keep them unguarded.
    guarded = {
        f"{VENDOR}.InitProvider": """
            import android.content.ContentProvider;
            public class InitProvider extends ContentProvider {
                @Override public boolean onCreate() {
                    if (getContext().getSharedPreferences("vendor", 0).getBoolean("privacy_agreed", false)) {
                        Tracker.collect(getContext());
                    }
                    return true;
                }
            }""",
    }
    report = _scan(_aar(tmp_path, {**TRACKER, **guarded}, PROVIDER_XML), report_validator)
    assert [(c.pi_type, c.at_startup) for c in report.sensitive_calls] == [("android_id", True)]


# --- JAR ----------------------------------------------------------------------------------------------

ID_SDK = "com.example.idsdk"
DEVICE_INFO = {
    f"{ID_SDK}.DeviceInfo": """
        import android.content.ClipboardManager;
        import android.content.Context;
        import android.telephony.TelephonyManager;
        public final class DeviceInfo {
            public static String imei(Context c) {
                return ((TelephonyManager) c.getSystemService(Context.TELEPHONY_SERVICE)).getDeviceId();
            }
            public static boolean pasted(Context c) {
                ClipboardManager cm = (ClipboardManager) c.getSystemService(Context.CLIPBOARD_SERVICE);
                return cm.hasPrimaryClip() && cm.getPrimaryClip() != null;
            }
        }""",
    f"{ID_SDK}.internal.Holder": "public final class Holder { public static String id; }",
}


def test_plain_jar_reports_its_call_sites_whatever_its_file_name(tmp_path, report_validator):
    classes = compile_classes(tmp_path / "build", DEVICE_INFO)
    report = _scan(write_jar(tmp_path / "vendor-sdk.bin", classes), report_validator)
    calls = sorted((c.pi_type, c.api, c.caller, c.sdk) for c in report.sensitive_calls)
    assert calls == [
        ("clipboard", "android.content.ClipboardManager#getPrimaryClip", f"{ID_SDK}.DeviceInfo#pasted", ID_SDK),
        ("clipboard", "android.content.ClipboardManager#hasPrimaryClip", f"{ID_SDK}.DeviceInfo#pasted", ID_SDK),
        ("imei", "android.telephony.TelephonyManager#getDeviceId", f"{ID_SDK}.DeviceInfo#imei", ID_SDK),
    ]
    assert {"PI-DEVICE-ID-NONRESETTABLE", "PI-CLIPBOARD-READ"} <= _rules(report)
    assert _rules(report) & APP_ONLY_RULES == set()


def test_jar_package_is_the_common_package_of_its_classes(tmp_path, report_validator):
    classes = compile_classes(tmp_path / "build", DEVICE_INFO)
    report = _scan(write_jar(tmp_path / "ids.jar", classes), report_validator)
    assert (report.app.package, report.app.label, report.app.signers, report.permissions) == (ID_SDK, None, [], [])


def test_cli_scans_an_aar(tmp_path, report_validator):
    path = _aar(tmp_path, {**TRACKER, **INIT_PROVIDER}, PROVIDER_XML)
    result = CliRunner().invoke(app, ["scan", str(path)], catch_exceptions=False)
    report = json.loads(result.stdout)
    report_validator(report)
    assert report["app"]["package"] == VENDOR
    assert "PI-SDK-COLLECT-BEFORE-CONSENT" in {f["rule_id"] for f in report["findings"]}


# --- hostile and damaged packages ---------------------------------------------------------------------


def test_malformed_class_is_one_error_line_and_the_rest_is_scanned(tmp_path, report_validator):
    classes = compile_classes(tmp_path / "build", {**TRACKER, **INIT_PROVIDER})
    classes["com/example/vendorsdk/Broken.class"] = b"\xca\xfe\xba\xbe\x00\x00\x00\x34\x00\x09\x01\xff\xff"
    report = _scan(_aar(tmp_path, {}, PROVIDER_XML, jar=jar_bytes(tmp_path, classes)), report_validator)
    assert [(e.stage, e.message) for e in report.errors] == [
        ("jvm", "classes.jar: com/example/vendorsdk/Broken.class: truncated at byte 13 (65535 bytes declared)")]
    assert "PI-SDK-COLLECT-BEFORE-CONSENT" in _rules(report)


def test_truncated_classes_jar_gives_a_partial_report_with_error_lines(tmp_path, report_validator):
    # a last class that deflate cannot shrink much (a long constant of hex digits), cut in the middle
    noise = "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(100))
    blob = {f"{VENDOR}.Blob": f'public final class Blob {{ public static String text() {{ return "{noise}"; }} }}'}
    classes = compile_classes(tmp_path / "build", {**TRACKER, **INIT_PROVIDER, **blob})
    classes["com/example/vendorsdk/Blob.class"] = classes.pop("com/example/vendorsdk/Blob.class")  # last entry
    jar = jar_bytes(tmp_path, classes)
    cut = jar[: jar.index(b"com/example/vendorsdk/Blob.class") + 1000]  # inside its data (local header first)
    report = _scan(_aar(tmp_path, {}, PROVIDER_XML, jar=cut), report_validator)
    assert ("aar", "classes.jar: entry 'com/example/vendorsdk/Blob.class' truncated: deflate stream ends early") in [
        (e.stage, e.message) for e in report.errors]
    assert "PI-SDK-COLLECT-BEFORE-CONSENT" in _rules(report)


def test_manifest_with_a_doctype_is_refused_and_the_code_still_scanned(tmp_path, report_validator):
    xml = aar_manifest(VENDOR, PROVIDER_XML).replace(
        '<manifest ', '<!DOCTYPE m [<!ENTITY x "xx">]>\n<manifest ', 1)
    report = _scan(_aar(tmp_path, {**TRACKER, **INIT_PROVIDER}, manifest=xml), report_validator)
    assert [(e.stage, e.message) for e in report.errors] == [
        ("aar", "manifest: text XML with a DOCTYPE/entity declaration refused")]
    assert [c.pi_type for c in report.sensitive_calls] == ["android_id"]


def test_zip_that_is_neither_apk_nor_sdk_package_keeps_the_one_line_error(tmp_path):
    path = tmp_path / "notes.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match="^not an APK: AndroidManifest.xml missing and no classes.dex$"):
        scan_path(path)


def test_a_jar_without_class_files_says_so_in_one_line(tmp_path):
    path = tmp_path / "resources-only.jar"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        z.writestr("config/defaults.properties", "a=b\n")
    with pytest.raises(InputError, match="^a JAR without class files: nothing to scan$"):
        scan_path(path)


def test_nested_jar_entry_names_are_never_paths(tmp_path, report_validator):
    classes = compile_classes(tmp_path / "build", TRACKER)
    classes["../../escape/Evil.class"] = b"\xca\xfe\xba\xbe"
    report = _scan(_aar(tmp_path, {}, jar=jar_bytes(tmp_path, classes)), report_validator)
    assert not (tmp_path / "escape").exists()
    assert any("suspicious entry name '../../escape/Evil.class'" in e.message for e in report.errors)


def test_a_store_listing_given_with_an_sdk_package_is_not_applied_and_says_so(tmp_path, report_validator):
    listing = tmp_path / "listing.yaml"
    listing.write_text("store: 小米应用商店\n", encoding="utf-8")
    report = scan_path(_aar(tmp_path, {**TRACKER, **INIT_PROVIDER}), ScanOptions(listing=listing))
    report_validator(report.model_dump(mode="json"))
    assert [(e.stage, e.message) for e in report.errors] == [
        ("listing", f"{listing}: not applied: a store listing describes an app, not an SDK package")]
    assert not [f for f in report.findings if f.rule_id.startswith("PI-STORE-")]


def test_the_report_says_what_the_file_was_read_as_whatever_its_name(tmp_path, report_validator):
    classes = compile_classes(tmp_path / "build", DEVICE_INFO)
    jar = write_jar(tmp_path / "looks-like.apk", classes)
    aar = _aar(tmp_path, {**TRACKER, **INIT_PROVIDER}, name="looks-like.jar")
    sample = Path(__file__).resolve().parents[2] / "src/hegui/samples/demo-shop.apk"
    assert [_scan(p, report_validator).input.kind for p in (jar, aar, sample)] == ["jar", "aar", "apk"]
