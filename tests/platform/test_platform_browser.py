"""The main flows in a real browser (Debian's Chromium driven by Playwright): log in, upload, read the
report, open a case with its deadline, escalate; and a regulator's campaign of 20 corpus APKs walked through to
the case from both sides, the notice, the announcement and the clue report (issue 12). Screenshots go to
test-output/screenshots/."""

from __future__ import annotations

import datetime as dt
import re
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
    yield from _serve(tmp_path, scan_workers=2, today=dt.datetime.now(dt.UTC).date())


@pytest.fixture(scope="module")
def shop_builds(tmp_path_factory):
    """Three real builds of the developer's app: 1.0 (versionCode 10) reads the IMEI in Application.onCreate;
    a rebuilt 0.9 (versionCode 9, uploaded later) and 1.1 (versionCode 11) no longer read it; a changed 1.1 under the
    same versionCode 11 reads it again (the "hot switch")."""
    from apkbuild import build_apk, have_apktool, launcher_activity, manifest
    from scanfixtures import APP_CLASS, MAIN, app_smali
    from smali_snippets import read_imei

    if not have_apktool():
        pytest.skip("apktool not installed (scripts/test.sh installs it)")
    work = tmp_path_factory.mktemp("shop-builds")
    attrs = f'android:name="{APP_CLASS}" android:label="演示商城"'
    builds = {}
    for name, code, imei in (("1.0", 10, True), ("0.9", 9, False), ("1.1", 11, False), ("1.1-switched", 11, True)):
        perms = ["android.permission.READ_PHONE_STATE"] if imei else []
        shown = name.split("-")[0]
        builds[name] = build_apk(work, manifest(SHOP, launcher_activity(MAIN), permissions=perms,
                                                application_attrs=attrs, version_code=code, version_name=shown),
                                 app_smali(read_imei() if imei else ""), name=f"shop-{name}", version_code=code,
                                 version_name=shown)
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


def _watch_csp(page, found: list[str]) -> None:
    """Collect the console's Content-Security-Policy refusals of `page` into `found`."""
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _cells(page, table: str, column: int) -> list[str]:
    """The text of one column of a table's data rows (the header row has no td)."""
    return [t.strip() for t in page.locator(f"#{table} tr td:nth-child({column})").all_text_contents()]


def _wait_case(page, base: str, case_id: int, kind: str, timeout_s: float = 600) -> list[str]:
    """Reload the case's timeline until an event of `kind` shows (a re-check waits for its scan); the kinds."""
    page.goto(f"{base}/cases/{case_id}/timeline")
    deadline = time.monotonic() + timeout_s
    while page.locator(f"#timeline tr[data-kind={kind}]").count() == 0:
        assert time.monotonic() < deadline, f"no {kind} event on case {case_id} after {timeout_s} s"
        page.wait_for_timeout(1000)
        page.reload()
    return [row.get_attribute("data-kind") for row in page.locator("#timeline tr[data-kind]").all()]


def _clue_report_month(now: dt.datetime) -> str:
    """The monthly clue report holding a clue entered at `now` (UTC): clues entered by the 15th (Beijing) go in
    that month's report, later ones in the next month's."""
    day = (now + dt.timedelta(hours=8)).date()
    if day.day <= 15:
        return f"{day:%Y-%m}"
    following = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return f"{following:%Y-%m}"


AUTHORITY = "广东省通信管理局"
CLUE_SEVERITY = "high"


@pytest.mark.corpus
@pytest.mark.timeout(1800)  # 24 real scans on two workers, on a shared 2-core runner
def test_a_regulator_walks_a_campaign_of_twenty_corpus_apks(browser, campaign, shop_builds, tmp_path):
    """Issue 12's walk: a campaign of the 20 github-cn-apks APKs from a server folder, its progress and its clues,
    the dashboard and lists, an SDK page, a complaint turned into a clue, a case the developer answers (an older
    build that is no re-check, a newer one whose re-check fails, a reviewer's false-positive mark that closes it),
    escalation after the deadline, the notice naming the authority, the announcement and the clue report."""
    import io

    import openpyxl

    from hegui.platform.cluereport import HEADERS, SOURCES_ZH
    from hegui.platform.lists import DEFAULT_LIMIT
    from hegui.report.model import SEVERITY_ORDER

    apks = sorted(CORPUS.glob("*.apk"))
    if len(apks) < 20:
        pytest.skip("the github-cn-apks corpus (../shared/corpus) is not available")
    platform, base = campaign
    SHOTS.mkdir(parents=True, exist_ok=True)
    inbox = tmp_path / "campaign-root" / "2026-github-cn"
    inbox.mkdir(parents=True)
    for apk in apks[:20]:
        shutil.copy(apk, inbox / apk.name)
    platform.settings.campaign_root = tmp_path / "campaign-root"
    platform.settings.issuing_authority = AUTHORITY
    reg, dev = _api(base, platform.users["regulator"].token), _api(base, platform.users["dev"].token)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    refused: list[str] = []  # every page of the walk works under the platform's CSP
    _watch_csp(page, refused)
    shop_scan = _upload(dev, shop_builds["1.0"])  # the developer's own app, outside the campaign

    # The campaign: the server-side folder, clues at high or above; its progress page until every scan is done.
    log_in(page, base, "regulator")
    page.goto(f"{base}/campaigns")
    page.fill("#campaign-name", "2026年12月 github-cn-apks 专项检测")
    page.select_option("#campaign-severity", CLUE_SEVERITY)
    page.fill("#campaign-folder", "2026-github-cn")
    _shot(page, "20-campaign-form")
    page.click("#create-campaign")
    page.wait_for_url(re.compile(r".*/campaigns/\d+$"))
    campaign_id = int(page.url.rsplit("/", 1)[-1])
    deadline = time.monotonic() + 1500
    while int(page.text_content("#progress-queued")) + int(page.text_content("#progress-running")):
        assert time.monotonic() < deadline, "the campaign did not finish"
        page.wait_for_timeout(2000)
        page.reload()
    scans = _wait_done(reg, [shop_scan])
    body = reg.get(f"/api/v1/campaigns/{campaign_id}").json()
    page.reload()
    shown = {k: int(page.text_content(f"#progress-{k}")) for k in ("queued", "running", "done", "failed", "clues")}
    assert shown == {k: body["progress"][k] for k in shown}
    assert (body["progress"]["total"], shown["done"], shown["failed"]) == (20, 20, 0)
    assert sorted(_cells(page, "campaign-items", 3)) == [f"2026-github-cn/{apk.name}" for apk in apks[:20]]
    campaign_scans = [item["scan_id"] for item in body["items"]]
    scans.update(_wait_done(reg, campaign_scans))
    # The clues: one per app, rule and subject found at high or above in the campaign's versions.
    expected = set()
    for scan_id in campaign_scans:
        version_id = scans[scan_id]["version_id"]
        expected |= {(f["app_id"], f["rule_id"], f["subject"])
                     for f in _all(reg, "/api/v1/findings", version_id=str(version_id), limit="500")
                     if SEVERITY_ORDER[f["severity"]] >= SEVERITY_ORDER[CLUE_SEVERITY]}
    clues = _all(reg, "/api/v1/clues", campaign_id=str(campaign_id))
    assert sorted((c["app_id"], c["rule_id"], c["subject"]) for c in clues) == sorted(expected)
    assert expected and shown["clues"] == len(clues)
    apps = _all(reg, "/api/v1/apps")
    package = {a["id"]: a["package"] for a in apps}
    assert sorted(zip(_cells(page, "campaign-clues", 2), [c.split()[0] for c in _cells(page, "campaign-clues", 3)],
                      _cells(page, "campaign-clues", 4), strict=True)) == sorted(
        (package[app_id], rule, subject) for app_id, rule, subject in expected)
    _shot(page, "21-campaign-done-with-clues")
    page.click("#campaign-clue-list")  # the same clues in the paged clue list
    page.wait_for_url(f"**/clues?campaign_id={campaign_id}")
    assert page.text_content("nav.pager").split()[2] == str(len(clues))
    assert [int(i) for i in _cells(page, "clues", 1)] == sorted((c["id"] for c in clues), reverse=True)[:DEFAULT_LIMIT]
    page.goto(f"{base}/campaigns")
    assert _cells(page, "campaigns", 4)[0].startswith("20/20") and _cells(page, "campaigns", 5)[0] == str(len(clues))
    assert {a["id"] for a in apps} == {s["app_id"] for s in scans.values()}

    # Dashboard: the numbers and the charts are those of the API.
    page.goto(f"{base}/")
    assert int(page.text_content("#count-apps .n")) == len(apps)
    assert int(page.text_content("#count-scans_this_month .n")) == len(
        [s for s in _all(reg, "/api/v1/scans", since=platform.settings.today().replace(day=1).isoformat())])
    assert int(page.text_content("#count-open_clues .n")) == len(_all(reg, "/api/v1/clues", status="open"))
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
    _shot(page, "22-campaign-dashboard")

    # Filtered and paged lists.
    page.goto(f"{base}/scans?status=done&limit=5")
    assert page.text_content("nav.pager").split()[0] == "1–5"
    assert page.locator("#scans tr").count() == 6  # header + 5
    page.click("nav.pager a[rel=next]")
    assert page.text_content("nav.pager").split()[:3] == ["6–10", "/", str(len(scans))]
    _shot(page, "23-scans-filtered-paged")
    page.goto(f"{base}/")
    page.fill("#list-filters input[name=q]", "com.mob")
    page.click("#list-filters button")
    found = page.locator("#apps tr td code").all_text_contents()
    assert sorted(found) == sorted(a["package"] for a in _all(reg, "/api/v1/apps", q="com.mob"))
    assert found and all("com.mob" in p for p in found)

    # An SDK page, from the most embedded SDK's bar in the chart.
    page.goto(f"{base}/")
    page.click("#chart-sdk-prevalence a >> nth=0")
    page.wait_for_url(f"**/sdks/{top_sdks[0]['id']}")
    assert page.locator("#sdk-apps tr").count() - 1 == top_sdks[0]["apps"]
    _shot(page, "24-sdk-page")

    # A complaint about a corpus app with a critical finding becomes a clue.
    critical = next(f for f in _all(reg, "/api/v1/findings", severity="critical")
                    if f["app_id"] in {s["app_id"] for s in scans.values() if s["id"] in campaign_scans}
                    and f["version_id"] == latest[f["app_id"]])
    target = package[critical["app_id"]]
    page.goto(f"{base}/complaints")
    page.fill("form[action='/complaints'] input[name=app_name]", target)
    page.fill("form[action='/complaints'] input[name=complainant]", "用户张某")
    page.fill("form[action='/complaints'] textarea[name=content]", "打开应用还没同意隐私政策就读取了设备信息")
    page.click("#new-complaint")
    complaints = _all(reg, "/api/v1/complaints")
    assert [(c["app_id"], c["app_name"], c["clue_ids"]) for c in complaints] == [(critical["app_id"], target, [])]
    complaint_id = complaints[0]["id"]
    page.select_option(f"#complaint-clue-rule-{complaint_id}", critical["rule_id"])
    page.click(f"#complaint-clue-{complaint_id}")
    page.wait_for_url(re.compile(r".*/clues\?source=complaint$"))
    from_complaint = _all(reg, "/api/v1/clues", source="complaint")
    assert [(c["app_id"], c["rule_id"], c["complaint_id"], c["version_id"], c["status"]) for c in from_complaint] == [
        (critical["app_id"], critical["rule_id"], complaint_id, latest[critical["app_id"]], "open")]
    assert _cells(page, "clues", 1) == [str(from_complaint[0]["id"])]
    assert _cells(page, "clues", 2) == [target] and _cells(page, "clues", 3) == [critical["rule_id"]]
    assert reg.get("/api/v1/complaints").json()[0]["clue_ids"] == [from_complaint[0]["id"]]
    _shot(page, "25-complaint-became-clue")
    page.click(f"#clue-{from_complaint[0]['id']} a.clue-complaint")  # back to the complaint it came from
    page.wait_for_url(f"**/complaints?id={complaint_id}")
    assert page.locator("#complaints tr[id^=complaint-]").evaluate_all("rows => rows.map(r => r.id)") == [
        f"complaint-{complaint_id}"]

    # The developer's app: a case on two findings of 1.0.
    shop = next(a for a in apps if a["package"] == SHOP)
    page.goto(f"{base}/apps/{shop['id']}")
    page.check("#pick-PI-COLLECT-BEFORE-CONSENT")
    page.check("#pick-PI-POLICY-ABSENT")
    page.click("#open-case")
    page.wait_for_url("**/cases/*")
    shop_case = int(page.url.rsplit("/", 1)[-1])
    assert reg.get(f"/api/v1/cases/{shop_case}").json()["rule_ids"] == ["PI-COLLECT-BEFORE-CONSENT",
                                                                        "PI-POLICY-ABSENT"]
    _shot(page, "26-case-opened")

    # The developer, in a browser of their own, answers it: first with a rebuilt 0.9 (versionCode 9), which is
    # not newer than the 1.0 the case was opened on and so is no re-check; then with 1.1, whose re-check fails on
    # the missing privacy policy.
    dev_page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    _watch_csp(dev_page, refused)
    log_in(dev_page, base, "dev")
    dev_page.goto(f"{base}/cases/{shop_case}")
    dev_page.fill("#answer-statement", "已重新打包")
    dev_page.set_input_files("#answer-file", str(shop_builds["0.9"]))
    dev_page.click("#answer")
    dev_page.wait_for_url(f"**/cases/{shop_case}/timeline")
    assert _wait_case(dev_page, base, shop_case, "recheck_skipped") == [
        "opened", "notice", "answer", "recheck_skipped"]
    skipped = dev_page.text_content("#timeline tr[data-kind=recheck_skipped]")  # the platform's sentence, in Chinese
    assert "versionCode 9 不高于立案时的版本" in skipped and "（versionCode 10）" in skipped
    _shot(dev_page, "27-developer-older-build-no-recheck")
    dev_page.goto(f"{base}/cases/{shop_case}")
    assert dev_page.get_attribute("#case-status", "data-status") == "notice_sent"
    dev_page.fill("#answer-statement", "已改为用户同意隐私政策后再读取设备信息")
    dev_page.set_input_files("#answer-file", str(shop_builds["1.1"]))
    dev_page.click("#answer")
    dev_page.wait_for_url(f"**/cases/{shop_case}/timeline")
    assert _wait_case(dev_page, base, shop_case, "recheck") == [
        "opened", "notice", "answer", "recheck_skipped", "answer", "recheck"]
    dev_page.goto(f"{base}/cases/{shop_case}")
    assert dev_page.get_attribute("#case-status", "data-status") == "recheck_failed"
    assert dev_page.text_content("#remaining").split() == ["PI-POLICY-ABSENT"]
    assert [a.split()[0] for a in _cells(dev_page, "answers", 3)] == ["已重新打包", "已改为用户同意隐私政策后再读取设备信息"]
    _shot(dev_page, "28-developer-recheck-failed")
    body = reg.get(f"/api/v1/cases/{shop_case}").json()
    v11 = reg.get("/api/v1/apps/{}".format(shop["id"])).json()["versions"]
    assert (body["status"], body["remaining_rule_ids"], body["recheck_version_id"]) == (
        "recheck_failed", ["PI-POLICY-ABSENT"], next(v["id"] for v in v11 if v["version_code"] == 11))

    page.goto(f"{base}/cases/{shop_case}")  # a failed re-check: the regulator may escalate, no override reason asked
    assert (page.locator("#escalate").count(), page.locator("#override-reason").count()) == (1, 0)

    # A reviewer marks that finding of 1.1 a false positive with a reason: it shows, and the case closes.
    reviewer = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    _watch_csp(reviewer, refused)
    log_in(reviewer, base, "reviewer")
    policy = _all(reg, "/api/v1/findings", version_id=str(body["recheck_version_id"]), rule_id="PI-POLICY-ABSENT")
    assert len(policy) == 1
    finding_id = policy[0]["id"]
    reviewer.goto(f"{base}/apps/{shop['id']}")
    reason = "隐私政策在首次启动的网页中展示，人工核验属实"
    reviewer.select_option(f"select[form=mark-form-{finding_id}]", "false_positive")
    reviewer.fill(f"input[name=reason][form=mark-form-{finding_id}]", reason)
    reviewer.click(f"#mark-{finding_id}-submit")
    reviewer.wait_for_selector(f"#mark-{finding_id}[data-verdict=false_positive]")
    assert reason in reviewer.text_content(f"#findings tr:has(#mark-{finding_id})")
    # nothing left to open a case or file a clue on: the only finding is a false positive now
    assert reviewer.locator("#findings input[type=checkbox]").count() == 0
    assert reviewer.locator("form[action$='/clues'] option").count() == 0
    _shot(reviewer, "29-finding-marked-false-positive")
    assert [f["id"] for f in _all(reg, "/api/v1/findings", mark="false_positive")] == [finding_id]
    assert _wait_case(reviewer, base, shop_case, "closed")[-1] == "closed"
    assert reviewer.text_content("#timeline tr[data-kind=closed] td:nth-child(3)").strip() == "reviewer"
    _shot(reviewer, "30-case-closed-after-mark")
    assert _case_status(page, base, shop_case) == "closed"
    # The developer then ships other code under the same versionCode 11: the scan says so.
    dev_page.goto(f"{base}/upload")
    dev_page.set_input_files("#file", str(shop_builds["1.1-switched"]))
    dev_page.click("#upload-submit")
    dev_page.wait_for_selector("#scan-status[data-status=done]", timeout=300_000)
    assert "同一版本号的不同构建：versionCode 11 此前已以不同内容提交" in dev_page.text_content("p.note")
    _shot(dev_page, "30b-changed-build-same-versioncode")
    # and the IMEI read before consent is back after the closed case: the app is a repeat offender
    page.goto(f"{base}/apps/{shop['id']}")
    assert page.locator("#repeat-offender").count() == 1
    assert page.locator("ul.error li code").all_text_contents() == ["PI-COLLECT-BEFORE-CONSENT"]
    assert reg.get(f"/api/v1/apps/{shop['id']}").json()["repeat_offender"] is True
    dev_page.close()
    reviewer.close()

    # The complaint's app: a case on the critical finding takes in its clues; the deadline passes; escalation
    # needs no override reason then.
    held = [c for c in _all(reg, "/api/v1/clues", app_id=str(critical["app_id"]))
            if c["rule_id"] == critical["rule_id"]]
    assert sorted({c["source"] for c in held}) == ["campaign", "complaint"]
    page.goto(f"{base}/apps/{critical['app_id']}")
    page.check(f"#pick-{critical['rule_id']}")
    page.click("#open-case")
    page.wait_for_url("**/cases/*")
    case_url = page.url
    assert [c["status"] for c in _all(reg, "/api/v1/clues", app_id=str(critical["app_id"]))
            if c["rule_id"] == critical["rule_id"]] == ["in_case"] * len(held)
    deadline = dt.date.fromisoformat(page.get_attribute("#deadline", "data-date"))
    page.goto(case_url)
    assert page.locator("#override-reason").count() == 1  # not yet overdue: an early escalation needs a reason
    platform.settings.today = lambda: deadline + dt.timedelta(days=1)
    page.goto(case_url)
    assert page.locator("#case-overdue").count() == 1 and page.locator("#override-reason").count() == 0
    page.select_option("#escalation-choice", "public_notice")
    page.click("#escalate")
    page.wait_for_selector("#case-status[data-status=escalated]")
    _shot(page, "31-escalated-after-deadline")
    page.goto(case_url + "/notice")
    assert page.text_content("#notice-deadline").startswith(deadline.isoformat())
    assert page.text_content("#notice-authority").strip() == AUTHORITY
    assert page.text_content("#notice-signature").strip().startswith(AUTHORITY)
    _shot(page, "32-notice")

    # The announcement: refused without a recorded developer, exported once a store listing names one.
    page.goto(f"{base}/announcements")
    assert page.locator("#announcement .missing-developer").count() == 1
    page.goto(f"{base}/apps/{critical['app_id']}")
    page.fill("form[action$='/listings'] input[name=store]", "应用宝")
    page.fill("form[action$='/listings'] input[name=developer_name]", "某某网络科技有限公司")
    page.click("#check-listing")
    page.goto(f"{base}/announcements")
    assert page.locator("#announcement .missing-developer").count() == 0
    _shot(page, "33-announcement")
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [r[2] for r in rows if "某某网络科技有限公司" in r] == ["某某网络科技有限公司"]

    # The monthly clue report: every clue entered in the period, by source.
    month = _clue_report_month(dt.datetime.now(dt.UTC))
    page.goto(f"{base}/campaigns")
    page.fill("#clue-report-month", month)
    _shot(page, "34-clue-report-form")
    with page.expect_download() as download:
        page.click("#clue-report")
    assert download.value.suggested_filename == f"clues-{month}.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    every = _all(reg, "/api/v1/clues")
    assert tuple(rows[0]) == HEADERS
    assert [r[1] for r in rows[1:]] == sorted(c["id"] for c in every)
    assert sorted(r[3] for r in rows[1:]) == sorted(SOURCES_ZH[c["source"]] for c in every)
    assert {r[11] for r in rows[1:] if r[3] == SOURCES_ZH["campaign"]} == {"2026年12月 github-cn-apks 专项检测"}

    # User administration and the API reference, as a regulator sees them.
    page.goto(f"{base}/users")
    assert page.locator("#users tr").count() - 1 == 5
    _shot(page, "35-users")
    page.goto(f"{base}/docs")
    assert page.locator("section.operation").count() == len(
        [m for item in reg.get("/openapi.json").json()["paths"].values() for m in item])
    _shot(page, "36-api-docs")
    page.close()
    assert refused == []
