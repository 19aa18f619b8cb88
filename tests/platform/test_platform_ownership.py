"""A regulator hands an app or SDK record to another account: records belong to whoever filed them first, so a
squatted, sold or mis-filed one must be movable — and only to an account of the role that owns such records."""

from __future__ import annotations

from platform_kit import ingest, make_report, web_login
from sqlalchemy import select

from hegui.platform.db import AuditEvent


def _dev_app(p) -> int:
    ingest(p, "dev", make_report("com.demo.shop", "1.0", 1, [], sha="1" * 64))
    return p.client.get("/api/v1/apps", headers=p.users["dev"].auth).json()[0]["id"]


def _packages(p, who: str) -> list[str]:
    return [a["package"] for a in p.client.get("/api/v1/apps", headers=p.users[who].auth).json()]


def test_a_regulator_gives_an_app_to_another_developer_who_then_sees_it_alone(sqlite_platform):
    p = sqlite_platform
    app_id = _dev_app(p)
    res = p.client.post(f"/api/v1/apps/{app_id}/owner", headers=p.users["regulator"].auth, json={"owner": "dev2"})
    assert (res.status_code, res.json()["owner"]) == (200, "dev2")
    assert (_packages(p, "dev"), _packages(p, "dev2")) == ([], ["com.demo.shop"])
    with p.sessions() as db:
        events = db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "app.owner")).all()
    assert events == ["com.demo.shop: dev -> dev2"]


def test_an_app_cannot_go_to_an_sdk_vendor_account(sqlite_platform):
    p = sqlite_platform
    app_id = _dev_app(p)
    res = p.client.post(f"/api/v1/apps/{app_id}/owner", headers=p.users["regulator"].auth, json={"owner": "vendor"})
    assert (res.status_code, res.json()["detail"]) == (
        409, "vendor is a sdk_vendor account; an app belongs to a developer account")
    assert _packages(p, "dev") == ["com.demo.shop"]


def test_an_unknown_account_is_404(sqlite_platform):
    p = sqlite_platform
    app_id = _dev_app(p)
    res = p.client.post(f"/api/v1/apps/{app_id}/owner", headers=p.users["regulator"].auth, json={"owner": "nobody"})
    assert (res.status_code, res.json()["detail"]) == (404, "user not found")


def test_the_web_page_offers_the_transfer_to_regulators_only_and_it_works(sqlite_platform):
    p = sqlite_platform
    app_id = _dev_app(p)
    pages = {}
    for who in ("regulator", "reviewer", "dev"):
        cookie, csrf = web_login(p, who)
        pages[who] = (cookie, csrf, p.client.get(f"/apps/{app_id}", headers={"Cookie": f"hegui_session={cookie}"}).text)
    assert ['id="owner-form"' in page for _c, _t, page in pages.values()] == [True, False, False]
    cookie, csrf, _page = pages["regulator"]
    res = p.client.post(f"/apps/{app_id}/owner", headers={"Cookie": f"hegui_session={cookie}"},
                        data={"owner": "dev2", "csrf_token": csrf}, follow_redirects=False)
    assert (res.status_code, res.headers["location"]) == (303, f"/apps/{app_id}")
    assert _packages(p, "dev2") == ["com.demo.shop"]
