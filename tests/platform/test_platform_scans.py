"""Real APKs through the upload endpoint, the background worker (child processes) and the scanner."""

from __future__ import annotations

import pytest
from platform_kit import SHOP, tiny_zip, wait_for_scan

from hegui.platform.storage import blob_path

pytestmark = pytest.mark.apktool


def upload(platform, who: str, path_or_bytes, name: str = "app.apk"):
    data = path_or_bytes.read_bytes() if hasattr(path_or_bytes, "read_bytes") else path_or_bytes
    return platform.client.post("/api/v1/scans", headers=platform.users[who].auth,
                                files={"file": (name, data, "application/vnd.android.package-archive")})


def test_upload_is_scanned_in_the_background_and_a_rectified_version_closes_the_case(live_platform, shop_apks,
                                                                                     report_validator):
    p, (v1, v2) = live_platform, shop_apks
    dev, rev = p.users["dev"].auth, p.users["reviewer"].auth
    res = upload(p, "dev", v1, "../../etc/passwd")
    assert res.status_code == 202 and res.json()["status"] == "queued"
    scan = wait_for_scan(p.client, res.json()["id"], dev)
    assert scan["status"] == "done", scan.get("error")
    report_validator(scan["report"])
    assert scan["report"]["app"]["package"] == SHOP and scan["report"]["input"]["path"] == "passwd"
    rules = {f["rule_id"] for f in scan["report"]["findings"]}
    assert "PI-COLLECT-BEFORE-CONSENT" in rules
    assert blob_path(p.settings.blob_dir, scan["sha256"]).is_file()  # stored by digest, not by name

    case = p.client.post("/api/v1/cases", headers=rev,
                         json={"app_id": scan["app_id"], "rule_ids": ["PI-COLLECT-BEFORE-CONSENT"]}).json()
    second = wait_for_scan(p.client, upload(p, "dev", v2, "shop-1.1.apk").json()["id"], dev)
    assert second["status"] == "done"
    report_validator(second["report"])
    assert "PI-COLLECT-BEFORE-CONSENT" not in {f["rule_id"] for f in second["report"]["findings"]}
    closed = p.client.get(f"/api/v1/cases/{case['id']}", headers=rev).json()
    assert (closed["status"], closed["recheck_version_id"]) == ("closed", second["version_id"])


def test_a_zip_that_is_not_an_apk_fails_its_scan_with_a_reason_and_the_server_stays_up(live_platform):
    p = live_platform
    res = upload(p, "vendor", tiny_zip())
    assert res.status_code == 202
    scan = wait_for_scan(p.client, res.json()["id"], p.users["vendor"].auth)
    assert scan["status"] == "failed" and scan["report"] is None
    assert scan["error"] and "\n" not in scan["error"]
    assert p.client.get("/api/v1/me", headers=p.users["vendor"].auth).status_code == 200


def test_uploads_that_are_not_zip_files_or_too_large_are_refused(sqlite_platform):
    p = sqlite_platform
    assert upload(p, "dev", b"MZ\x90\x00 not a zip").status_code == 415
    assert upload(p, "dev", b"").status_code == 415
    too_big = b"PK\x03\x04" + b"\0" * (p.settings.max_upload_bytes + 1)
    res = upload(p, "dev", too_big)
    assert res.status_code == 413
    assert p.client.get("/api/v1/scans", headers=p.users["dev"].auth).json() == []
    assert not list(p.settings.blob_dir.rglob("*.apk"))


def test_a_scan_report_downloads_in_each_format_as_an_attachment_named_by_its_hash(sqlite_platform):
    import json as _json

    from platform_kit import ingest, make_report, startup_imei

    scan_id = ingest(sqlite_platform, "dev", make_report("com.demo.shop", "1.0", 1, [startup_imei()], sha="ab" * 32))
    auth = sqlite_platform.users["dev"].auth
    got = {}
    for fmt in ("json", "html", "xlsx", "sarif", "pdf"):
        res = sqlite_platform.client.get(f"/api/v1/scans/{scan_id}/report/{fmt}", headers=auth)
        assert res.status_code == 200, (fmt, res.text)
        got[fmt] = res
    ext = {"json": "json", "html": "html", "xlsx": "xlsx", "sarif": "sarif", "pdf": "pdf"}
    assert got["pdf"].content[:5] == b"%PDF-"
    for fmt, res in got.items():
        assert res.headers["content-disposition"] == f'attachment; filename="hegui-{"ab" * 8}.{ext[fmt]}"'
        assert "sandbox" in res.headers["content-security-policy"]
    assert _json.loads(got["json"].content)["app"]["package"] == "com.demo.shop"
    assert got["xlsx"].content[:2] == b"PK"
    assert _json.loads(got["sarif"].content)["version"] == "2.1.0"
    assert sqlite_platform.client.get(f"/api/v1/scans/{scan_id}/report/docx", headers=auth).status_code == 404
    other = sqlite_platform.client.get(f"/api/v1/scans/{scan_id}/report/json",
                                       headers=sqlite_platform.users["dev2"].auth)
    assert other.status_code == 404  # another developer's scan does not exist for them
