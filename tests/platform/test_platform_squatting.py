"""Package squatting (issue 10 item 4): an app record is bound to its first signed version's certificates; a
version signed by another certificate is never filed under it, is held as a possible counterfeit for a
regulator's decision, and the record's owner (perhaps a squatter) never sees it."""

from __future__ import annotations

from typing import Any

from platform_kit import ingest, make_report, startup_imei, web_login
from sqlalchemy import select

from hegui.platform.db import App, AuditEvent

SQUATTER_CERT, GENUINE_CERT = "a" * 64, "b" * 64
PKG = "com.demo.shop"


def signed(version: str, code: int, cert: str | None, sha: str) -> dict[str, Any]:
    report = make_report(PKG, version, code, [startup_imei()], sha=sha)
    report["app"]["signers"] = [{"sha256": cert, "subject": "CN=x", "scheme": "v2"}] if cert else []
    return report


def the_app(p) -> App:
    with p.sessions() as db:
        return db.scalar(select(App).where(App.package == PKG))


def versions(p, who: str) -> list[str]:
    res = p.client.get(f"/api/v1/apps/{the_app(p).id}", headers=p.users[who].auth)
    return [v["version_name"] for v in res.json()["versions"]] if res.status_code == 200 else [res.status_code]


def test_a_squatted_record_holds_the_genuine_versions_until_a_regulator_decides(sqlite_platform):
    p, c = sqlite_platform, sqlite_platform.client
    ingest(p, "dev2", signed("1.0", 1, SQUATTER_CERT, "1" * 64))  # the squatter files the package first
    assert (the_app(p).owner_id, the_app(p).signing_certs) == (p.users["dev2"].id, [SQUATTER_CERT])

    regulator_scan = ingest(p, "regulator", signed("2.0", 2, GENUINE_CERT, "2" * 64))  # the store's real app
    genuine_scan = ingest(p, "dev", signed("2.0", 2, GENUINE_CERT, "2" * 64))  # the real developer's upload
    for scan_id, who in ((regulator_scan, "regulator"), (genuine_scan, "dev")):
        scan = c.get(f"/api/v1/scans/{scan_id}", headers=p.users[who].auth).json()
        assert (scan["review"], scan["version_id"]) == ("held", None)
        assert scan["note"].startswith("possible counterfeit: com.demo.shop on the platform is signed by another")
        assert c.get(f"/api/v1/scans/{scan_id}", headers=p.users["dev2"].auth).status_code == 404
    assert versions(p, "dev2") == ["1.0"] and versions(p, "regulator") == ["1.0"]

    held = c.get("/api/v1/held", headers=p.users["reviewer"].auth).json()
    assert held == [{"scan_id": s, "app_id": the_app(p).id, "package": PKG, "uploader": who, "owner": "dev2",
                     "version_name": "2.0", "signed_by": [GENUINE_CERT], "record_signed_by": [SQUATTER_CERT]}
                    for s, who in ((regulator_scan, "regulator"), (genuine_scan, "dev"))]
    assert c.get("/api/v1/held", headers=p.users["dev"].auth).status_code == 403
    decision = {"decision": "genuine", "reason": "the store lists dev as the developer"}
    assert c.post(f"/api/v1/scans/{genuine_scan}/decision", headers=p.users["reviewer"].auth,
                  json=decision).status_code == 403  # regulators decide

    done = c.post(f"/api/v1/scans/{genuine_scan}/decision", headers=p.users["regulator"].auth, json=decision)
    assert (done.status_code, done.json()["review"]) == (200, "genuine") and done.json()["version_id"] is not None
    assert (the_app(p).owner_id, the_app(p).signing_certs) == (p.users["dev"].id, [GENUINE_CERT])
    assert versions(p, "dev") == ["1.0", "2.0"] and versions(p, "dev2") == [404]
    again = c.post(f"/api/v1/scans/{genuine_scan}/decision", headers=p.users["regulator"].auth, json=decision)
    assert (again.status_code, again.json()["detail"]) == (409, f"scan {genuine_scan} is not held for a decision")

    # The regulator's own upload now matches the re-bound record: accepting it keeps the genuine owner.
    assert c.post(f"/api/v1/scans/{regulator_scan}/decision", headers=p.users["regulator"].auth,
                  json=decision).json()["review"] == "genuine"
    assert the_app(p).owner_id == p.users["dev"].id
    with p.sessions() as db:
        actions = db.scalars(select(AuditEvent.action).where(AuditEvent.action.in_(
            ["scan.held", "scan.genuine", "app.owner"])).order_by(AuditEvent.id)).all()
    assert actions == ["scan.held", "scan.held", "scan.genuine", "app.owner", "scan.genuine"]


def test_a_counterfeit_stays_unfiled_and_matching_versions_file_normally(sqlite_platform):
    p, c = sqlite_platform, sqlite_platform.client
    ingest(p, "dev", signed("1.0", 1, GENUINE_CERT, "1" * 64))
    fake = ingest(p, "regulator", signed("1.0", 1, SQUATTER_CERT, "3" * 64))
    unsigned = ingest(p, "regulator", signed("1.0", 1, None, "4" * 64))
    ok = ingest(p, "dev", signed("1.1", 2, GENUINE_CERT, "5" * 64))
    assert c.get(f"/api/v1/scans/{ok}", headers=p.users["dev"].auth).json()["review"] is None
    assert [h["scan_id"] for h in c.get("/api/v1/held", headers=p.users["regulator"].auth).json()] == [fake, unsigned]
    res = c.post(f"/api/v1/scans/{fake}/decision", headers=p.users["regulator"].auth,
                 json={"decision": "counterfeit", "reason": "repackaged with an advertising SDK"})
    assert (res.json()["review"], res.json()["version_id"], res.json()["note"]) == \
        ("counterfeit", None, "counterfeit of com.demo.shop (regulator's decision): not filed")
    assert [h["scan_id"] for h in c.get("/api/v1/held", headers=p.users["regulator"].auth).json()] == [unsigned]
    assert versions(p, "dev") == ["1.0", "1.1"]
    assert the_app(p).signing_certs == [GENUINE_CERT]


def test_unsigned_versions_leave_the_record_unbound_until_a_signed_one(sqlite_platform):
    p = sqlite_platform
    ingest(p, "dev", signed("1.0", 1, None, "1" * 64))
    assert the_app(p).signing_certs is None
    ingest(p, "dev", signed("1.1", 2, GENUINE_CERT, "2" * 64))
    assert the_app(p).signing_certs == [GENUINE_CERT]
    assert versions(p, "dev") == ["1.0", "1.1"]


def test_the_web_page_lists_held_scans_to_staff_and_lets_regulators_decide(sqlite_platform):
    p, c = sqlite_platform, sqlite_platform.client
    ingest(p, "dev", signed("1.0", 1, GENUINE_CERT, "1" * 64))
    fake = ingest(p, "dev2", signed("1.0", 1, SQUATTER_CERT, "3" * 64))
    pages = {}
    for who in ("regulator", "reviewer", "dev"):
        cookie, csrf = web_login(p, who)
        pages[who] = (cookie, csrf, c.get("/held", headers={"Cookie": f"hegui_session={cookie}"}))
    assert [pages[w][2].status_code for w in ("regulator", "reviewer", "dev")] == [200, 200, 403]
    assert f'id="held-{fake}"' in pages["reviewer"][2].text and 'name="decision"' not in pages["reviewer"][2].text
    assert 'value="counterfeit"' in pages["regulator"][2].text and "疑似仿冒" in pages["regulator"][2].text
    cookie, csrf, _page = pages["reviewer"]
    refused = c.post(f"/held/{fake}", headers={"Cookie": f"hegui_session={cookie}"},
                     data={"decision": "counterfeit", "reason": "x", "csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 403
    cookie, csrf, _page = pages["regulator"]
    res = c.post(f"/held/{fake}", headers={"Cookie": f"hegui_session={cookie}"},
                 data={"decision": "counterfeit", "reason": "another key", "csrf_token": csrf}, follow_redirects=False)
    assert (res.status_code, res.headers["location"]) == (303, "/held")
    assert c.get(f"/api/v1/scans/{fake}", headers=p.users["dev2"].auth).json()["review"] == "counterfeit"
    assert f'id="held-{fake}"' not in c.get("/held", headers={"Cookie": f"hegui_session={cookie}"}).text
