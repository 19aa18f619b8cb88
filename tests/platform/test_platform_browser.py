"""The main flows in a real browser (Debian's Chromium driven by Playwright): log in, upload, read the
report, open a case with its deadline, escalate. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import shutil
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from platform_kit import PASSWORD, build_platform

pytestmark = [pytest.mark.apktool, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (dev extra)")
    if not Path(CHROMIUM).is_file() and not shutil.which("chromium"):
        print("\n*** Chromium not installed (scripts/test-services.sh installs it): SKIPPING browser tests ***\n",
              file=sys.stderr)
        pytest.skip("Debian chromium not installed")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def served(tmp_path: Path):
    """The platform (SQLite, scan worker on) served by uvicorn on a loopback port."""
    yield from _serve(tmp_path, scan_workers=1)


def _serve(tmp_path: Path, scan_workers: int, **options):
    import uvicorn

    platform = build_platform(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "data", start_worker=True,
                              **options)
    platform.settings.scan_workers = scan_workers  # read when the server starts its worker
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(platform.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield platform, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    platform.app.state.engine.dispose()


def log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/")


def log_out(page) -> None:
    page.click("#logout")
    page.wait_for_url("**/login")


def test_login_upload_report_case_deadline_escalate(browser, served, shop_apks):
    platform, base = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")

    page.goto(f"{base}/login")
    page.fill("#name", "dev")
    page.fill("#password", "wrong password")
    page.click("#login-submit")
    assert page.text_content("#login-error") == "用户名或密码错误"

    log_in(page, base, "dev")
    page.goto(f"{base}/upload")
    page.set_input_files("#file", str(shop_apks[0]))
    page.click("#upload-submit")
    page.wait_for_selector("#scan-status[data-status=done]", timeout=90_000)  # the page refreshes itself
    assert "PI-COLLECT-BEFORE-CONSENT" in page.text_content("#report-findings")
    page.screenshot(path=str(SHOTS / "01-scan-report.png"), full_page=True)
    page.click("#full-report")
    page.wait_for_load_state()
    assert "com.demo.shop" in page.content()
    page.screenshot(path=str(SHOTS / "02-full-report.png"), full_page=True)
    page.goto(f"{base}/")
    log_out(page)

    log_in(page, base, "reviewer")
    page.click("#apps a")
    page.check("#pick-PI-COLLECT-BEFORE-CONSENT")
    page.click("#open-case")
    page.wait_for_url("**/cases/*")
    # Notice on Monday 2026-09-28: five working days skip the National Day holiday and end on the adjusted Saturday.
    assert page.get_attribute("#deadline", "data-date") == "2026-10-10"
    assert "5 个工作日" in page.text_content("#deadline")
    page.screenshot(path=str(SHOTS / "03-case-deadline.png"), full_page=True)
    case_url = page.url
    log_out(page)

    log_in(page, base, "regulator")
    page.goto(case_url)
    page.select_option("#escalation-choice", "removal")
    page.fill("#override-reason", "同类问题屡次通报仍未整改，提前下架")  # the deadline has not passed yet
    page.click("#escalate")
    page.wait_for_selector("#case-status[data-status=escalated]")
    assert page.text_content("#escalation") == "下架"
    page.screenshot(path=str(SHOTS / "04-case-escalated.png"), full_page=True)
    page.click("text=English")
    page.wait_for_selector("text=Log out")
    assert page.text_content("#escalation") == "Removal"
    page.goto(case_url + "/notice")
    assert page.text_content("#notice-deadline").startswith("2026-10-10")
    page.screenshot(path=str(SHOTS / "05-rectification-notice.png"), full_page=True)
    page.close()


# --- a regulator's campaign over the corpus (issue 12) -------------------------------------------------------

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "github-cn-apks" / "apks"
SHOP = "com.demo.shop"


@pytest.fixture
def campaign(tmp_path: Path):
    """The platform served with two scan workers (a campaign of 20 APKs), its date today's: the charts count
    versions by the month they were filed, which is now."""
    import datetime as dt

    yield from _serve(tmp_path, scan_workers=2, today=dt.datetime.now(dt.UTC).date())


@pytest.fixture(scope="module")
def shop_builds(tmp_path_factory):
    """Three real builds of the developer's app: 1.0 (versionCode 10) reads the IMEI in Application.onCreate;
    a rebuilt 0.9 (versionCode 9, uploaded later) and 1.1 (versionCode 11) no longer read it."""
    from apkbuild import build_apk, have_apktool, launcher_activity, manifest
    from scanfixtures import APP_CLASS, MAIN, app_smali
    from smali_snippets import read_imei

    if not have_apktool():
        pytest.skip("apktool not installed (scripts/test.sh installs it)")
    work = tmp_path_factory.mktemp("shop-builds")
    attrs = f'android:name="{APP_CLASS}" android:label="演示商城"'
    builds = {}
    for name, code, imei in (("1.0", 10, True), ("0.9", 9, False), ("1.1", 11, False)):
        perms = ["android.permission.READ_PHONE_STATE"] if imei else []
        builds[name] = build_apk(work, manifest(SHOP, launcher_activity(MAIN), permissions=perms,
                                                application_attrs=attrs, version_code=code, version_name=name),
                                 app_smali(read_imei() if imei else ""), name=f"shop-{name}", version_code=code,
                                 version_name=name)
    return builds


def _api(base: str, token: str):
    import httpx

    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _upload(api, path: Path) -> int:
    with path.open("rb") as fh:
        res = api.post("/api/v1/scans", files={"file": (path.name, fh, "application/vnd.android.package-archive")})
    assert res.status_code == 202, res.text
    return res.json()["id"]


def _wait_done(api, scan_ids: list[int], timeout: float = 900) -> dict[int, dict]:
    deadline = time.monotonic() + timeout
    done: dict[int, dict] = {}
    while time.monotonic() < deadline and len(done) < len(scan_ids):
        for scan_id in scan_ids:
            if scan_id not in done:
                body = api.get(f"/api/v1/scans/{scan_id}").json()
                if body["status"] in ("done", "failed"):
                    done[scan_id] = body
        time.sleep(0.5)
    assert len(done) == len(scan_ids), f"{len(scan_ids) - len(done)} scans still running after {timeout} s"
    return done


def _all(api, path: str, **params) -> list[dict]:
    """Every row of a paged API list, following its Link headers."""
    rows, url = [], path
    while url:
        res = api.get(url, params=params if url == path else None)
        assert res.status_code == 200, res.text
        rows += res.json()
        links = res.headers.get("link", "")
        url = next((part.split(";")[0].strip(" <>") for part in links.split(",") if 'rel="next"' in part), None)
    return rows


def _chart(page, chart_id: str) -> list[tuple[str, int]]:
    """(label, value) of each bar of a dashboard chart, as the browser shows it."""
    rows = page.locator(f"#{chart_id} g")
    return [(rows.nth(i).locator("text.label").text_content(),
             int(rows.nth(i).locator("rect.bar").get_attribute("data-value"))) for i in range(rows.count())]


def _case_status(page, base: str, case_id: int) -> str:
    page.goto(f"{base}/cases/{case_id}")
    return page.get_attribute("#case-status", "data-status")


@pytest.mark.corpus
@pytest.mark.timeout(1800)  # 23 real scans on two workers, on a shared 2-core runner
def test_a_regulator_walks_a_campaign_of_twenty_corpus_apks(browser, campaign, shop_builds):
    apks = sorted(CORPUS.glob("*.apk"))
    if len(apks) < 20:
        pytest.skip("the github-cn-apks corpus (../shared/corpus) is not available")
    import datetime as dt

    platform, base = campaign
    SHOTS.mkdir(parents=True, exist_ok=True)
    reg, dev = _api(base, platform.users["regulator"].token), _api(base, platform.users["dev"].token)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")

    # The campaign: one APK through the upload page, the other 19 through the API; the developer's own app too.
    log_in(page, base, "regulator")
    page.goto(f"{base}/upload")
    page.set_input_files("#file", str(apks[0]))
    page.click("#upload-submit")
    page.wait_for_url("**/scans/*")
    first = int(page.url.rsplit("/", 1)[-1])
    scans = _wait_done(reg, [first] + [_upload(reg, apk) for apk in apks[1:20]] + [_upload(dev, shop_builds["1.0"])])
    assert [s["id"] for s in scans.values() if s["status"] != "done"] == []
    apps = _all(reg, "/api/v1/apps")
    filed = {s["app_id"] for s in scans.values() if s["app_id"] is not None}
    assert {a["id"] for a in apps} == filed

    # Dashboard: the numbers and the charts are those of the API.
    page.goto(f"{base}/")
    assert int(page.text_content("#count-apps .n")) == len(apps)
    assert int(page.text_content("#count-scans_this_month .n")) == len(
        [s for s in _all(reg, "/api/v1/scans", since=platform.settings.today().replace(day=1).isoformat())])
    latest = {a["id"]: max(reg.get(f"/api/v1/apps/{a['id']}").json()["versions"],
                           key=lambda v: (v["version_code"] or 0, v["id"]))["id"] for a in apps}
    by_rule: dict[str, int] = {}
    for version_id in latest.values():
        for f in _all(reg, "/api/v1/findings", version_id=str(version_id), limit="500"):
            by_rule[f["rule_id"]] = by_rule.get(f["rule_id"], 0) + 1
    expected_rules = sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert _chart(page, "chart-findings-by-rule") == expected_rules
    top_sdks = reg.get("/api/v1/sdks", params={"sort": "-apps", "limit": "10"}).json()
    assert [v for _label, v in _chart(page, "chart-sdk-prevalence")] == [s["apps"] for s in top_sdks]
    assert sum(v for _m, v in _chart(page, "chart-findings-per-month")) == len(_all(reg, "/api/v1/findings"))
    page.screenshot(path=str(SHOTS / "10-campaign-dashboard.png"), full_page=True)

    # Filtered and paged lists.
    page.goto(f"{base}/scans?status=done&limit=5")
    assert page.text_content("nav.pager").split()[0] == "1–5"
    assert page.locator("#scans tr").count() == 6  # header + 5
    page.click("nav.pager a[rel=next]")
    assert page.text_content("nav.pager").split()[:3] == ["6–10", "/", str(len(scans))]
    page.screenshot(path=str(SHOTS / "11-scans-filtered-paged.png"), full_page=True)
    page.goto(f"{base}/")
    page.fill("#list-filters input[name=q]", "com.mob")
    page.click("#list-filters button")
    shown = page.locator("#apps tr td code").all_text_contents()
    assert sorted(shown) == sorted(a["package"] for a in _all(reg, "/api/v1/apps", q="com.mob"))
    assert shown and all("com.mob" in p for p in shown)

    # An SDK page, from the most embedded SDK's bar in the chart.
    page.goto(f"{base}/")
    page.click("#chart-sdk-prevalence a >> nth=0")
    page.wait_for_url(f"**/sdks/{top_sdks[0]['id']}")
    assert page.locator("#sdk-apps tr").count() - 1 == top_sdks[0]["apps"]
    page.screenshot(path=str(SHOTS / "12-sdk-page.png"), full_page=True)

    # The developer's app: a case, an older rebuild that does not close it, a newer build that does.
    shop = next(a for a in apps if a["package"] == SHOP)
    page.goto(f"{base}/apps/{shop['id']}")
    page.check("#pick-PI-COLLECT-BEFORE-CONSENT")
    page.click("#open-case")
    page.wait_for_url("**/cases/*")
    shop_case = int(page.url.rsplit("/", 1)[-1])
    older = _wait_done(dev, [_upload(dev, shop_builds["0.9"])])
    assert "versionCode 9 is not newer than 10" in next(iter(older.values()))["note"]
    assert _case_status(page, base, shop_case) == "notice_sent"
    _wait_done(dev, [_upload(dev, shop_builds["1.1"])])
    assert _case_status(page, base, shop_case) == "closed"
    page.screenshot(path=str(SHOTS / "13-case-closed-by-newer-build.png"), full_page=True)

    # A corpus app with a critical finding: a case, the deadline passes, escalation needs no override reason.
    critical = next(f for f in _all(reg, "/api/v1/findings", severity="critical")
                    if f["app_id"] != shop["id"] and f["version_id"] == latest[f["app_id"]])
    page.goto(f"{base}/apps/{critical['app_id']}")
    page.check(f"#pick-{critical['rule_id']}")
    page.click("#open-case")
    page.wait_for_url("**/cases/*")
    case_url = page.url
    deadline = dt.date.fromisoformat(page.get_attribute("#deadline", "data-date"))
    platform.settings.today = lambda: deadline + dt.timedelta(days=1)
    page.goto(case_url)
    assert page.locator("#case-overdue").count() == 1 and page.locator("#override-reason").count() == 0
    page.select_option("#escalation-choice", "public_notice")
    page.click("#escalate")
    page.wait_for_selector("#case-status[data-status=escalated]")
    page.screenshot(path=str(SHOTS / "14-escalated-after-deadline.png"), full_page=True)
    page.goto(case_url + "/notice")
    assert page.text_content("#notice-deadline").startswith(deadline.isoformat())
    page.screenshot(path=str(SHOTS / "15-notice.png"), full_page=True)

    # The announcement: refused without a recorded developer, exported once a store listing names one.
    page.goto(f"{base}/announcements")
    assert page.locator("#announcement .missing-developer").count() == 1
    page.goto(f"{base}/apps/{critical['app_id']}")
    page.fill("form[action$='/listings'] input[name=store]", "应用宝")
    page.fill("form[action$='/listings'] input[name=developer_name]", "某某网络科技有限公司")
    page.click("#check-listing")
    page.goto(f"{base}/announcements")
    assert page.locator("#announcement .missing-developer").count() == 0
    page.screenshot(path=str(SHOTS / "16-announcement.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#export-xlsx")
    import io

    import openpyxl

    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert [r[2] for r in rows if "某某网络科技有限公司" in r] == ["某某网络科技有限公司"]

    # User administration and the API reference, as a regulator sees them.
    page.goto(f"{base}/users")
    assert page.locator("#users tr").count() - 1 == 5
    page.screenshot(path=str(SHOTS / "17-users.png"), full_page=True)
    page.goto(f"{base}/docs")
    assert page.locator("section.operation").count() == len(
        [m for item in reg.get("/openapi.json").json()["paths"].values() for m in item])
    page.screenshot(path=str(SHOTS / "18-api-docs.png"), full_page=True)
    page.close()
