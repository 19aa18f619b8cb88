"""SDK packages (AAR, JAR) on the platform: uploaded through the API and the web page, scanned by the worker
like APKs, filed as SDKs (never under an app, never several unrelated libraries as one), shown on the pages.
The packages are built from Java source with javac (tests/sdkpkg/javabuild.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from platform_kit import ingest, make_report, web_login

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sdkpkg"))
from javabuild import aar_manifest, compile_classes, jar_bytes, write_aar, write_jar  # noqa: E402

from hegui.platform.messages import Message  # noqa: E402
from hegui.platform.scans import filing_package  # noqa: E402

PUSH = "com.example.pushsdk"
PUSH_SOURCES = {
    f"{PUSH}.DeviceId": """
        import android.content.Context;
        import android.provider.Settings;
        public final class DeviceId {
            static String read(Context c) {
                return Settings.Secure.getString(c.getContentResolver(), Settings.Secure.ANDROID_ID);
            }
        }""",
    # Merged into every host app: it starts with the app, before any consent dialog.
    f"{PUSH}.PushInitProvider": """
        import android.content.ContentProvider;
        public class PushInitProvider extends ContentProvider {
            @Override public boolean onCreate() { DeviceId.read(getContext()); return true; }
        }""",
}
PUSH_PROVIDER = ('    <provider android:name=".PushInitProvider" android:authorities="${applicationId}.pushinit"'
                 ' android:exported="false"/>\n')


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> dict[str, bytes]:
    work = tmp_path_factory.mktemp("sdk-packages")
    push = compile_classes(work / "push", PUSH_SOURCES)
    broad = compile_classes(work / "broad", {"com.example.alpha.A": "public class A { }",
                                             "com.example.beta.B": "public class B { }"})
    mixed = compile_classes(work / "mixed", {"com.alpha.A": "public class A { }", "org.beta.B": "public class B { }"})
    return {
        "aar": write_aar(work / "push.aar", aar_manifest(PUSH, PUSH_PROVIDER), jar_bytes(work, push)).read_bytes(),
        "jar": write_jar(work / "push.jar", push).read_bytes(),
        "broad_jar": write_jar(work / "broad.jar", broad).read_bytes(),
        "mixed_jar": write_jar(work / "mixed.jar", mixed).read_bytes(),
    }


def upload(platform, who: str, data: bytes, name: str):
    return platform.client.post("/api/v1/scans", headers=platform.users[who].auth,
                                files={"file": (name, data, "application/octet-stream")})


def scanned(platform, who: str, data: bytes, name: str) -> dict:
    from platform_kit import wait_for_scan

    res = upload(platform, who, data, name)
    assert res.status_code == 202, res.text
    return wait_for_scan(platform.client, res.json()["id"], platform.users[who].auth)


def test_an_sdk_vendors_aar_and_jar_are_scanned_and_filed_as_one_sdk_of_theirs(live_platform, packages,
                                                                             report_validator):
    p = live_platform
    aar = scanned(p, "vendor", packages["aar"], "pushsdk-2.1.0.aar")
    assert (aar["status"], aar["kind"], aar["note"]) == ("done", "aar", None), aar.get("error")
    report_validator(aar["report"])
    assert (aar["report"]["app"]["package"], aar["report"]["input"]["path"]) == (PUSH, "pushsdk-2.1.0.aar")
    assert ("PI-SDK-COLLECT-BEFORE-CONSENT", PUSH) in {(f["rule_id"], f["subject"]) for f in aar["report"]["findings"]}

    jar = scanned(p, "vendor", packages["jar"], "pushsdk-2.1.0.jar")
    assert (jar["status"], jar["kind"], jar["app_id"]) == ("done", "jar", aar["app_id"])
    report_validator(jar["report"])

    apps = p.client.get("/api/v1/apps", headers=p.users["vendor"].auth).json()
    assert [(a["package"], a["kind"], a["owner"], a["label"]) for a in apps] == [(PUSH, "sdk", "vendor", None)]
    detail = p.client.get(f"/api/v1/apps/{aar['app_id']}", headers=p.users["vendor"].auth).json()
    assert [v["scan_id"] for v in detail["versions"]] == [aar["id"], jar["id"]]
    assert p.client.get("/api/v1/apps", headers=p.users["dev"].auth).json() == []


def test_a_developers_sdk_package_is_reported_but_not_filed_under_an_sdk(live_platform, packages, report_validator):
    p = live_platform
    scan = scanned(p, "dev", packages["aar"], "pushsdk.aar")
    assert (scan["status"], scan["kind"], scan["app_id"]) == ("done", "aar", None)
    assert scan["note"] == ("SDK packages are filed only for SDK vendor accounts and staff: this scan keeps its "
                            "report but is not filed")
    report_validator(scan["report"])
    assert p.client.get("/api/v1/apps", headers=p.users["regulator"].auth).json() == []


def test_a_vendor_uploads_an_aar_through_the_web_page_and_the_pages_show_an_sdk(live_platform, packages):
    from platform_kit import wait_for_scan

    p = live_platform
    cookie, csrf = web_login(p, "vendor")
    headers = {"Cookie": f"hegui_session={cookie}"}
    assert 'accept=".apk,.aar,.jar"' in p.client.get("/upload", headers=headers).text
    res = p.client.post("/upload", headers=headers, data={"csrf_token": csrf},
                        files={"file": ("pushsdk.aar", packages["aar"], "application/octet-stream")},
                        follow_redirects=False)
    assert res.status_code == 303
    scan_id = int(re.fullmatch(r"/scans/(\d+)", res.headers["location"]).group(1))
    scan = wait_for_scan(p.client, scan_id, p.users["vendor"].auth)
    assert scan["status"] == "done", scan.get("error")

    page = p.client.get(f"/scans/{scan_id}", headers=headers).text
    assert '<span id="scan-kind" data-kind="aar">SDK 包（AAR）</span>' in page
    assert f'<a href="/apps/{scan["app_id"]}" id="app-link">{PUSH}</a>' in page
    assert "<td>pushsdk.aar</td><td>SDK 包（AAR）</td>" in p.client.get("/scans", headers=headers).text
    assert '<span class="badge" id="app-kind">SDK</span>' in p.client.get(f"/apps/{scan['app_id']}",
                                                                          headers=headers).text
    assert f"<td><code>{PUSH}</code></td><td>SDK</td>" in p.client.get("/", headers=headers).text


@pytest.mark.parametrize(("name", "package", "note"), [
    ("broad_jar", "com.example",
     "the JAR's classes share only the package com.example, too broad to name one SDK: the scan is not filed under "
     "an SDK"),
    ("mixed_jar", None, "the JAR's classes share no package: the scan is not filed under an SDK"),
])
def test_a_jar_whose_classes_name_no_one_product_is_reported_but_not_filed(live_platform, packages,
                                                                          report_validator, name, package, note):
    p = live_platform
    scan = scanned(p, "vendor", packages[name], f"{name}.jar")
    assert (scan["status"], scan["kind"], scan["app_id"], scan["note"]) == ("done", "jar", None, note)
    report_validator(scan["report"])
    assert scan["report"]["app"]["package"] == package
    assert p.client.get("/api/v1/apps", headers=p.users["regulator"].auth).json() == []


def test_an_sdk_package_is_not_filed_under_an_app_of_the_same_package(live_platform, packages):
    p = live_platform
    ingest(p, "regulator", make_report(PUSH, "1.0", 1, [], sha="e" * 64))  # an APK that happens to use the name
    scan = scanned(p, "regulator", packages["aar"], "pushsdk.aar")
    assert (scan["status"], scan["app_id"]) == ("done", None)
    assert scan["note"] == f"{PUSH} is on the platform as an app: this AAR is not filed under it"
    apps = p.client.get("/api/v1/apps", headers=p.users["regulator"].auth).json()
    assert [(a["package"], a["kind"], len(p.client.get(f"/api/v1/apps/{a['id']}", headers=p.users["regulator"].auth)
                                         .json()["versions"])) for a in apps] == [(PUSH, "app", 1)]


@pytest.mark.parametrize(("kind", "package", "expected"), [
    ("apk", "com.demo.shop", ("com.demo.shop", None)),
    ("aar", "com.x", ("com.x", None)),  # declared in the AAR's manifest: taken as it is
    ("jar", "com.example.pushsdk", ("com.example.pushsdk", None)),
    ("jar", "com.google", (None, Message("scan.jar_package_too_broad", {"package": "com.google"}))),
    ("jar", None, (None, Message("scan.jar_no_package"))),
    ("apk", "  ", (None, Message("scan.no_package"))),
])
def test_which_package_a_scan_is_filed_under(kind, package, expected):
    assert filing_package(kind, package) == expected


