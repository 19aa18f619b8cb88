"""SDKs as regulated objects (issue 12): `/api/v1/sdks`, `/api/v1/sdks/{id}` and the `/sdks` pages, derived from
the latest version of each app and its stored report."""

from __future__ import annotations

import re

from platform_kit import ingest, make_report, startup_imei, web_login

IMEI = "android.telephony.TelephonyManager#getDeviceId"
MAC = "android.net.wifi.WifiInfo#getMacAddress"


def _call(sdk: str | None, pi_type: str, api: str, at_startup: bool) -> dict:
    return {"pi_type": pi_type, "api": api, "caller": f"{sdk or 'com.demo'}.Init#run", "sdk": sdk,
            "at_startup": at_startup, "via_reflection": False}


def _report(package: str, version: str, code: int, sdks: tuple[str, ...], observations=(), calls=(), sha: int = 0):
    report = make_report(package, version, code, list(observations), sdks=sdks, sha=f"{sha:064x}")
    report["sensitive_calls"] = list(calls)
    return report


def _seed(p) -> None:
    """dev: com.shop (1.0 with oldsdk, then 1.1 with umeng reading the IMEI at startup, and jpush) and com.news
    (umeng reading the MAC later); dev2: com.game (umeng reading the IMEI at startup)."""
    ingest(p, "dev", _report("com.shop", "1.0", 1, ("oldsdk",), [startup_imei("oldsdk")], sha=1))
    ingest(p, "dev", _report("com.shop", "1.1", 2, ("umeng", "jpush"), [startup_imei("umeng")],
                             [_call("umeng", "imei", IMEI, True), _call(None, "imei", IMEI, True)], sha=2))
    ingest(p, "dev", _report("com.news", "3.0", 30, ("umeng",), [],
                             [_call("umeng", "mac", MAC, False)], sha=3))
    ingest(p, "dev2", _report("com.game", "2.0", 20, ("umeng",), [startup_imei("umeng")],
                              [_call("umeng", "imei", IMEI, True)], sha=4))


def _rows(p, who: str, **params) -> list[tuple]:
    res = p.client.get("/api/v1/sdks", params=params, headers=p.users[who].auth)
    assert res.status_code == 200, res.text
    return [(s["id"], s["name"], s["apps"], s["findings"], s["worst_severity"]) for s in res.json()]


def test_a_regulator_sees_every_sdk_of_the_latest_versions_with_apps_findings_and_worst_severity(platform):
    _seed(platform)
    assert _rows(platform, "regulator") == [("jpush", "jpush", 1, 0, None),
                                                   ("umeng", "umeng", 3, 4, "critical")]


def test_a_developer_sees_only_the_sdks_and_counts_of_their_own_apps(sqlite_platform):
    _seed(sqlite_platform)
    assert _rows(sqlite_platform, "dev") == [("jpush", "jpush", 1, 0, None), ("umeng", "umeng", 2, 2, "critical")]
    assert _rows(sqlite_platform, "dev2") == [("umeng", "umeng", 1, 2, "critical")]
    assert sqlite_platform.client.get("/api/v1/sdks/jpush", headers=sqlite_platform.users["dev2"].auth
                                      ).status_code == 404


def test_the_sdk_page_lists_apps_findings_and_call_sites_across_apps(sqlite_platform):
    p = sqlite_platform
    _seed(p)
    body = p.client.get("/api/v1/sdks/umeng", headers=p.users["regulator"].auth).json()
    assert [(a["package"], a["version_name"]) for a in body["apps"]] == [
        ("com.game", "2.0"), ("com.news", "3.0"), ("com.shop", "1.1")]
    assert body["hidden_apps"] == 0
    assert sorted((f["rule_id"], f["severity"], f["package"], f["version_name"]) for f in body["findings"]) == [
        ("PI-DEVICE-ID-NONRESETTABLE", "medium", "com.game", "2.0"),
        ("PI-DEVICE-ID-NONRESETTABLE", "medium", "com.shop", "1.1"),
        ("PI-SDK-COLLECT-BEFORE-CONSENT", "critical", "com.game", "2.0"),
        ("PI-SDK-COLLECT-BEFORE-CONSENT", "critical", "com.shop", "1.1")]
    # the app's own IMEI read (sdk null) is not the SDK's
    assert body["call_sites"] == [{"pi_type": "imei", "api": IMEI, "apps": 2, "at_startup": 2},
                                  {"pi_type": "mac", "api": MAC, "apps": 1, "at_startup": 0}]


def test_an_sdk_only_in_an_older_version_is_not_listed(sqlite_platform):
    _seed(sqlite_platform)
    assert sqlite_platform.client.get("/api/v1/sdks/oldsdk", headers=sqlite_platform.users["regulator"].auth
                                      ).status_code == 404


def test_a_vendor_sees_findings_about_their_sdk_across_apps_but_not_other_accounts_packages(platform):
    p = platform
    _seed(p)
    aar = _report("com.umeng.analytics", "9.0", 90, ("umeng",), sha=9)
    aar["input"]["kind"] = "aar"
    ingest(p, "vendor", aar)  # the vendor's SDK record: umeng is theirs, jpush is not
    assert _rows(p, "vendor") == [("umeng", "umeng", 3, 4, "critical")]
    body = p.client.get("/api/v1/sdks/umeng", headers=p.users["vendor"].auth).json()
    assert (body["apps"], body["hidden_apps"]) == ([], 3)
    assert sorted((f["rule_id"], f["app_id"], f["package"], f["version_id"]) for f in body["findings"]) == [
        ("PI-DEVICE-ID-NONRESETTABLE", None, None, None), ("PI-DEVICE-ID-NONRESETTABLE", None, None, None),
        ("PI-SDK-COLLECT-BEFORE-CONSENT", None, None, None), ("PI-SDK-COLLECT-BEFORE-CONSENT", None, None, None)]
    assert [c["apps"] for c in body["call_sites"]] == [2, 1]
    assert p.client.get("/api/v1/sdks/jpush", headers=p.users["vendor"].auth).status_code == 404
    token, _csrf = web_login(p, "vendor")
    html = p.client.get("/sdks/umeng", cookies={"hegui_session": token}).text
    assert ("com.game" in html, "com.shop" in html, 'id="sdk-hidden-apps">+ 3 ' in html) == (False, False, True)


def test_a_vendor_without_sdk_records_or_uploads_sees_no_sdks(sqlite_platform):
    _seed(sqlite_platform)
    assert _rows(sqlite_platform, "vendor") == []


def test_a_vendors_own_sdk_package_upload_makes_its_sdks_theirs_but_an_apk_upload_does_not(sqlite_platform):
    p = sqlite_platform
    _seed(p)
    # an APK embeds other companies' SDKs: uploading one must not open their findings across apps to a vendor
    ingest(p, "vendor", _report("com.vendor.demo", "1.0", 1, ("jpush",), sha=8))
    assert _rows(p, "vendor") == []
    # a JAR the platform does not file under an SDK record (package too broad) still makes its SDKs the vendor's
    jar = _report("com.shop", "5.0", 5, ("jpush",), sha=7)
    jar["input"]["kind"] = "jar"
    ingest(p, "vendor", jar)
    assert _rows(p, "vendor") == [("jpush", "jpush", 1, 0, None)]
    body = p.client.get("/api/v1/sdks/jpush", headers=p.users["vendor"].auth).json()
    assert (body["apps"], body["hidden_apps"], body["findings"]) == ([], 1, [])


def test_an_unknown_sdk_is_404_in_the_api_and_on_the_page(sqlite_platform):
    p = sqlite_platform
    _seed(p)
    assert p.client.get("/api/v1/sdks/nosuch", headers=p.users["regulator"].auth).status_code == 404
    token, _csrf = web_login(p, "regulator")
    assert p.client.get("/sdks/nosuch", cookies={"hegui_session": token}).status_code == 404


def test_the_sdk_list_pages_searches_and_refuses_an_unknown_sort(sqlite_platform):
    p = sqlite_platform
    for i in range(5):
        ingest(p, "dev", _report(f"com.app{i}", "1.0", 1, tuple(f"sdk{j}" for j in range(i + 1)), sha=i + 1))
    auth = p.users["regulator"].auth
    res = p.client.get("/api/v1/sdks", params={"limit": 2, "offset": 2}, headers=auth)
    assert [s["id"] for s in res.json()] == ["sdk2", "sdk3"]
    assert res.headers["X-Total-Count"] == "5"
    assert res.headers["Link"] == ('<http://testserver/api/v1/sdks?limit=2&offset=4>; rel="next", '
                                   '<http://testserver/api/v1/sdks?limit=2&offset=0>; rel="prev"')
    assert _rows(p, "regulator", sort="-apps", limit=2) == [("sdk0", "sdk0", 5, 0, None),
                                                            ("sdk1", "sdk1", 4, 0, None)]
    assert _rows(p, "regulator", q="K4") == [("sdk4", "sdk4", 1, 0, None)]
    assert p.client.get("/api/v1/sdks", params={"sort": "owner"}, headers=auth).status_code == 422


def test_the_pages_render_a_hostile_sdk_name_escaped_and_link_from_the_nav(sqlite_platform):
    p = sqlite_platform
    report = _report("com.shop", "1.0", 1, ("evil",), [startup_imei("evil")], sha=1)
    report["sdks"][0]["name"] = '<script>alert(1)</script>'
    ingest(p, "dev", report)
    token, _csrf = web_login(p, "dev")
    listing = p.client.get("/sdks", cookies={"hegui_session": token}).text
    detail = p.client.get("/sdks/evil", cookies={"hegui_session": token}).text
    for html in (listing, detail):
        assert ("<script>alert" in html, "&lt;script&gt;alert(1)&lt;/script&gt;" in html) == (False, True)
    assert '<a href="/sdks">' in listing
    assert '<a href="/sdks/evil">' in listing


def test_a_regulator_can_record_a_clue_from_an_sdk_finding(sqlite_platform):
    p = sqlite_platform
    _seed(p)
    token, csrf = web_login(p, "regulator")
    html = p.client.get("/sdks/umeng", cookies={"hegui_session": token}).text
    findings = re.search(r'<table id="sdk-findings">.*?</table>', html, re.S).group(0)
    assert findings.count('value="PI-SDK-COLLECT-BEFORE-CONSENT"') == 2  # a clue form per app
    app_id = next(a["id"] for a in p.client.get("/api/v1/apps", headers=p.users["regulator"].auth).json()
                  if a["package"] == "com.game")
    res = p.client.post(f"/apps/{app_id}/clues", cookies={"hegui_session": token}, follow_redirects=False,
                        data={"csrf_token": csrf, "rule_id": "PI-SDK-COLLECT-BEFORE-CONSENT", "note": "SDK umeng"})
    assert res.status_code == 303
    clues = p.client.get("/api/v1/clues", headers=p.users["regulator"].auth).json()
    assert [(c["app_id"], c["rule_id"], c["note"]) for c in clues] == [
        (app_id, "PI-SDK-COLLECT-BEFORE-CONSENT", "SDK umeng")]


def test_an_apps_page_links_each_sdk_of_its_latest_version_to_the_sdk_page(sqlite_platform):
    p = sqlite_platform
    _seed(p)
    app_id = next(a["id"] for a in p.client.get("/api/v1/apps", headers=p.users["dev"].auth).json()
                  if a["package"] == "com.shop")
    token, _csrf = web_login(p, "dev")
    html = p.client.get(f"/apps/{app_id}", cookies={"hegui_session": token}).text
    assert ('<li><a href="/sdks/umeng">umeng</a> <code>umeng</code></li>' in html,
            '<li><a href="/sdks/jpush">jpush</a> <code>jpush</code></li>' in html, "oldsdk" in html) == (True, True, False)
