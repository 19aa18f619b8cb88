"""The web pages through HTTP: login and cookies, CSRF, escaping of hostile text, overdue highlighting,
store-listing form, exports. (The same flows in a real browser: test_platform_browser.py.)"""

from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import load_workbook
from platform_kit import PASSWORD, TODAY, ingest, make_report, startup_imei, web_login


def form_csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_login_sets_a_httponly_samesite_session_cookie_and_pages_carry_security_headers(sqlite_platform):
    c = sqlite_platform.client
    page = c.get("/login")
    assert page.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    bad = c.post("/login", data={"name": "dev", "password": PASSWORD, "csrf_token": "forged"},
                 follow_redirects=False)
    assert bad.status_code == 403
    ok = c.post("/login", data={"name": "dev", "password": PASSWORD, "csrf_token": form_csrf(page.text)},
                follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = ok.headers["set-cookie"]
    assert cookie.startswith("hegui_session=hg_") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert c.get("/").status_code == 200
    c.post("/logout", data={"csrf_token": form_csrf(c.get("/").text)})
    assert c.get("/", follow_redirects=False).headers["location"] == "/login"


def test_wrong_password_is_refused_in_chinese_and_english(sqlite_platform):
    c = sqlite_platform.client
    token = form_csrf(c.get("/login").text)
    res = c.post("/login", data={"name": "dev", "password": "nope", "csrf_token": token})
    assert res.status_code == 401 and "用户名或密码错误" in res.text
    c.get("/lang/en")
    token = form_csrf(c.get("/login").text)
    res = c.post("/login", data={"name": "dev", "password": "nope", "csrf_token": token})
    assert "Wrong user name or password" in res.text


def test_text_from_an_apk_is_escaped_on_every_page(sqlite_platform):
    p = sqlite_platform
    report = make_report("com.evil.app", "1.0<img src=x onerror=alert(1)>", 1, [startup_imei()], sha="e" * 64)
    report["app"]["label"] = "<script>alert('xss')</script>"
    ingest(p, "dev", report)
    cookie, _ = web_login(p, "reviewer")
    headers = {"Cookie": f"hegui_session={cookie}"}
    for url in ("/", "/apps/1", "/scans/1", "/scans"):
        html = p.client.get(url, headers=headers).text
        assert "<script>alert" not in html and "<img src=x" not in html, url
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in p.client.get("/apps/1", headers=headers).text


def test_overdue_complaints_stand_out(sqlite_platform):
    p = sqlite_platform
    cookie, csrf = web_login(p, "reviewer")
    headers = {"Cookie": f"hegui_session={cookie}"}
    p.client.post("/complaints", headers=headers,
                  data={"csrf_token": csrf, "app_name": "演示商城", "content": "未经同意读取通讯录"})
    assert 'class="overdue"' not in p.client.get("/complaints", headers=headers).text
    p.settings.today = lambda: TODAY + dt.timedelta(days=16)
    html = p.client.get("/complaints", headers=headers).text
    assert re.search(r'<tr class="overdue" id="complaint-1">', html) and "已逾期" in html


def test_store_listing_form_shows_its_findings(sqlite_platform):
    p = sqlite_platform
    ingest(p, "dev", make_report("com.demo.cam", "3.1", 31, [], permissions=("android.permission.CAMERA",),
                                 sha="c" * 64))
    cookie, csrf = web_login(p, "reviewer")
    headers = {"Cookie": f"hegui_session={cookie}"}
    res = p.client.post("/apps/1/listings", headers=headers, data={
        "csrf_token": csrf, "store": "小米应用商店", "version_name": "3.1", "policy_url": "https://x.example/p",
        "developer_name": "演示科技", "developer_contact": "privacy@x.example",
        "permissions": "android.permission.CAMERA 扫码"})
    assert res.status_code == 200  # followed the redirect to the app page
    assert "PI-STORE-LISTING-INCOMPLETE" not in res.text  # a complete, consistent listing
    p.client.post("/apps/1/listings", headers=headers, data={"csrf_token": csrf, "store": "应用宝"})
    html = p.client.get("/apps/1", headers=headers).text
    assert "PI-STORE-LISTING-INCOMPLETE" in html and "应用宝：页面未展示隐私政策链接" in html  # the UI speaks Chinese


def test_regulator_exports_the_announcement_as_xlsx_from_the_web(sqlite_platform):
    p = sqlite_platform
    ingest(p, "dev", make_report("com.demo.shop", "1.0", 1, [startup_imei()], sha="a" * 64))
    rev, reg = p.users["reviewer"].auth, p.users["regulator"].auth
    case = p.client.post("/api/v1/cases", headers=rev, json={"app_id": 1, "rule_ids": ["PI-COLLECT-BEFORE-CONSENT"]})
    p.client.post(f"/api/v1/cases/{case.json()['id']}/escalate", headers=reg,
                  json={"escalation": "bad_list", "override_reason": "再次违规"})
    p.client.post("/api/v1/apps/1/listings", headers=rev, json={"store": "华为应用市场", "developer_name": "演示科技有限公司"})
    cookie, _ = web_login(p, "regulator")
    res = p.client.get("/announcements/export?format=xlsx", headers={"Cookie": f"hegui_session={cookie}"})
    assert res.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(res.content)).active.values)
    assert rows == [("序号", "应用名称", "应用开发者", "应用版本", "应用来源", "所涉问题"),
                    (1, "shop", "演示科技有限公司", "1.0", "华为应用市场", "未经同意收集使用")]


def test_an_announcement_row_without_a_recorded_developer_is_refused_not_filled_from_the_certificate(sqlite_platform):
    p = sqlite_platform
    ingest(p, "dev", make_report("com.demo.anon", "1.0", 1, [startup_imei()], sha="e" * 64))
    rev, reg = p.users["reviewer"].auth, p.users["regulator"].auth
    case = p.client.post("/api/v1/cases", headers=rev, json={"app_id": 1, "rule_ids": ["PI-COLLECT-BEFORE-CONSENT"]})
    p.client.post(f"/api/v1/cases/{case.json()['id']}/escalate", headers=reg,
                  json={"escalation": "public_notice", "override_reason": "再次违规"})
    refused = p.client.get("/api/v1/announcements?format=csv", headers=reg)
    assert refused.status_code == 409 and "no developer is recorded for anon" in refused.text
    rest = p.client.get("/api/v1/announcements?format=xlsx&skip_incomplete=true", headers=reg)
    assert list(load_workbook(io.BytesIO(rest.content)).active.values) == [
        ("序号", "应用名称", "应用开发者", "应用版本", "应用来源", "所涉问题")]
    cookie, _ = web_login(p, "regulator")
    page = p.client.get("/announcements", headers={"Cookie": f"hegui_session={cookie}"}).text
    assert 'id="incomplete-rows"' in page and "未登记开发者" in page


def test_an_sdk_vendor_sees_the_sdks_of_their_own_scans_and_the_findings_about_them(sqlite_platform):
    p = sqlite_platform
    ingest(p, "vendor", make_report("com.vendor.demo", "1.0", 1, [startup_imei("umeng")], sdks=("umeng",),
                                    sha="d" * 64))
    ingest(p, "dev", make_report("com.other.app", "1.0", 1, [startup_imei("jpush")], sdks=("jpush",), sha="b" * 64))
    cookie, _ = web_login(p, "vendor")
    html = p.client.get("/", headers={"Cookie": f"hegui_session={cookie}"}).text
    table = html[html.index('<table id="sdks">'):]
    table = table[:table.index("</table>")]
    assert "<code>umeng</code>" in table and "PI-SDK-COLLECT-BEFORE-CONSENT" in table and "jpush" not in table


def test_the_rectification_notice_cites_documents_by_name_not_by_internal_id(sqlite_platform):
    p = sqlite_platform
    ingest(p, "dev", make_report("com.demo.cite", "1.0", 1, [startup_imei()], sha="f" * 64))
    case = p.client.post("/api/v1/cases", headers=p.users["reviewer"].auth,
                         json={"app_id": 1, "rule_ids": ["PI-COLLECT-BEFORE-CONSENT"]}).json()
    cookie, _ = web_login(p, "reviewer")
    html = p.client.get(f"/cases/{case['id']}/notice", headers={"Cookie": f"hegui_session={cookie}"}).text
    assert "工信部信管函〔2020〕164号 三.1" in html and "国信办秘字〔2019〕191号 三.1" in html
    assert "MIIT-2020-164" not in html and "CAC-2019-191" not in html


def test_a_scan_whose_input_was_partly_read_says_so_on_its_page(sqlite_platform):
    p = sqlite_platform
    report = make_report("com.demo.partial", "1.0", 1, [startup_imei()], sha="9" * 64)
    report["errors"] = [{"stage": "dex", "message": "classes2.dex: truncated map list"}]
    scan_id = ingest(p, "dev", report)
    cookie, _ = web_login(p, "dev")
    html = p.client.get(f"/scans/{scan_id}", headers={"Cookie": f"hegui_session={cookie}"}).text
    banner = html[html.index('id="scan-incomplete"'):]
    assert "结论可能不完整" in banner[:300] and "dex: classes2.dex: truncated map list" in banner[:600]
