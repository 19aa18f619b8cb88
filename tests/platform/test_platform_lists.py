"""Lists that scale: every list of the API searches, filters, sorts and pages, and says how many rows there are."""

from __future__ import annotations

from platform_kit import ingest, make_report, startup_imei


def _apps(platform, n: int, owner: str = "dev", prefix: str = "com.shop") -> None:
    for i in range(n):
        ingest(platform, owner, make_report(f"{prefix}{i:02d}", "1.0", 1, [startup_imei()], sha=f"{i + 1:064x}"))


def test_a_list_pages_with_the_total_and_a_link_to_the_next_page(platform):
    _apps(platform, 12)
    res = platform.client.get("/api/v1/apps?limit=5&offset=5", headers=platform.users["regulator"].auth)
    assert res.status_code == 200
    assert [a["package"] for a in res.json()] == [f"com.shop{i:02d}" for i in range(5, 10)]
    assert res.headers["X-Total-Count"] == "12"
    assert res.headers["Link"] == ('<http://testserver/api/v1/apps?limit=5&offset=10>; rel="next", '
                                   '<http://testserver/api/v1/apps?limit=5&offset=0>; rel="prev"')


def test_the_last_page_has_no_next_link(sqlite_platform):
    _apps(sqlite_platform, 3)
    res = sqlite_platform.client.get("/api/v1/apps?limit=5", headers=sqlite_platform.users["regulator"].auth)
    assert (len(res.json()), res.headers["X-Total-Count"], res.headers.get("Link")) == (3, "3", None)


def test_search_matches_part_of_a_package_and_takes_like_characters_literally(sqlite_platform):
    _apps(sqlite_platform, 3)
    _apps(sqlite_platform, 2, prefix="cn.game_")
    auth = sqlite_platform.users["regulator"].auth
    res = sqlite_platform.client.get("/api/v1/apps", params={"q": "GAME_"}, headers=auth)
    assert [a["package"] for a in res.json()] == ["cn.game_00", "cn.game_01"]
    res = sqlite_platform.client.get("/api/v1/apps", params={"q": "shop%"}, headers=auth)
    assert (res.json(), res.headers["X-Total-Count"]) == ([], "0")


def test_a_list_sorts_descending_by_a_named_key(sqlite_platform):
    _apps(sqlite_platform, 3)
    res = sqlite_platform.client.get("/api/v1/apps?sort=-package", headers=sqlite_platform.users["regulator"].auth)
    assert [a["package"] for a in res.json()] == ["com.shop02", "com.shop01", "com.shop00"]


def test_an_unknown_sort_key_is_refused_with_the_known_ones(sqlite_platform):
    res = sqlite_platform.client.get("/api/v1/apps?sort=size", headers=sqlite_platform.users["regulator"].auth)
    assert res.status_code == 422
    assert res.json()["detail"] == "sort must be one of created, id, label, package (prefix - for descending)"


def test_a_misspelt_filter_is_refused_rather_than_ignored(sqlite_platform):
    res = sqlite_platform.client.get("/api/v1/findings?severty=high", headers=sqlite_platform.users["regulator"].auth)
    assert res.status_code == 422
    assert res.json()["detail"].startswith("unknown parameter 'severty'; this list takes q, limit, offset, sort")


def test_a_limit_beyond_the_maximum_is_refused(sqlite_platform):
    res = sqlite_platform.client.get("/api/v1/scans?limit=5000", headers=sqlite_platform.users["regulator"].auth)
    assert (res.status_code, res.json()["detail"]) == (422, "limit must be a whole number up to 500")


def test_a_developer_counts_only_their_own_apps(sqlite_platform):
    _apps(sqlite_platform, 4)
    _apps(sqlite_platform, 2, owner="dev2", prefix="org.other")
    res = sqlite_platform.client.get("/api/v1/apps", headers=sqlite_platform.users["dev2"].auth)
    assert ([a["package"] for a in res.json()], res.headers["X-Total-Count"]) == (["org.other00", "org.other01"], "2")
    res = sqlite_platform.client.get("/api/v1/findings?q=com.shop", headers=sqlite_platform.users["dev2"].auth)
    assert (res.json(), res.headers["X-Total-Count"]) == ([], "0")


def test_findings_filter_by_rule_and_severity_and_still_page_by_after_id(sqlite_platform):
    _apps(sqlite_platform, 3)
    auth = sqlite_platform.users["regulator"].auth
    res = sqlite_platform.client.get("/api/v1/findings", params={"rule_id": "PI-COLLECT-BEFORE-CONSENT"}, headers=auth)
    rows = res.json()
    assert len(rows) == 3 and {f["severity"] for f in rows} == {"critical"}
    after = sqlite_platform.client.get("/api/v1/findings", headers=auth,
                                       params={"rule_id": "PI-COLLECT-BEFORE-CONSENT", "after_id": rows[0]["id"]})
    assert [f["id"] for f in after.json()] == [f["id"] for f in rows[1:]]
    res = sqlite_platform.client.get("/api/v1/findings", params={"severity": "urgent"}, headers=auth)
    assert (res.status_code, res.json()["detail"]) == (422, "severity must be one of critical, high, low, medium")


def test_the_scans_page_of_the_web_ui_pages_and_keeps_its_filters(sqlite_platform):
    _apps(sqlite_platform, 3)
    from platform_kit import web_login

    cookie, _ = web_login(sqlite_platform, "regulator")
    client = sqlite_platform.client
    client.cookies.set("hegui_session", cookie)
    res = client.get("/scans?limit=2&status=done")
    assert res.status_code == 200
    assert res.text.count('<tr><td><a href="/scans/') == 2
    assert 'href="/scans?status=done&amp;limit=2&amp;offset=2"' in res.text
    assert "1–2 / 3" in res.text


def test_the_overview_counts_apps_cases_due_soon_and_overdue(sqlite_platform):
    import datetime as dt

    from platform_kit import TODAY, web_login

    from hegui.platform import workflow
    from hegui.platform.db import App, Case, User
    from hegui.platform.workdays import WorkCalendar

    _apps(sqlite_platform, 3)
    with sqlite_platform.sessions() as db:
        app_ids = [a.id for a in db.query(App).order_by(App.id)]
        for app_id, deadline in zip(app_ids, (TODAY - dt.timedelta(days=1), TODAY, TODAY + dt.timedelta(days=30)),
                                    strict=True):
            version_id = db.query(App).get(app_id).versions[0].id
            db.add(Case(app_id=app_id, version_id=version_id, rule_ids=["PI-COLLECT-BEFORE-CONSENT"], notice_date=TODAY,
                        deadline=deadline, created_by=sqlite_platform.users["regulator"].id))
        db.commit()
        regulator = db.get(User, sqlite_platform.users["regulator"].id)
        dev2 = db.get(User, sqlite_platform.users["dev2"].id)
        counts = workflow.overview_counts(db, regulator, TODAY, WorkCalendar())
        assert {k: counts[k] for k in ("apps", "open_cases", "overdue_cases", "due_within_2_days")} == {
            "apps": 3, "open_cases": 3, "overdue_cases": 1, "due_within_2_days": 1}
        assert workflow.overview_counts(db, dev2, TODAY, WorkCalendar()) == {
            "apps": 0, "scans_this_month": 0, "open_cases": 0, "overdue_cases": 0, "due_within_2_days": 0}
    cookie, _ = web_login(sqlite_platform, "regulator")
    sqlite_platform.client.cookies.set("hegui_session", cookie)
    html = sqlite_platform.client.get("/").text
    assert '<div class="count card" id="count-overdue_cases"><span class="n">1</span> <span class="what">件逾期未整改</span>' in html
