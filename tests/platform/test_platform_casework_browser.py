"""The case from both sides and a campaign in a real browser (Debian's Chromium, Playwright), under the platform's
CSP: the developer answers a case with the fixed APK and the timeline shows the re-check closing it; a regulator
runs a campaign of two uploads and watches it finish. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import re

import pytest
from test_platform_browser import SHOTS, browser, log_in, log_out, served  # noqa: F401 - fixtures

pytestmark = [pytest.mark.apktool, pytest.mark.slow]


def csp_violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)
    return found


def wait_reloading(page, selector: str, timeout_s: float = 90) -> None:
    """Reload until `selector` is on the page (the pages refresh themselves; reloading is quicker)."""
    for _ in range(int(timeout_s * 2)):
        if page.query_selector(selector) is not None:
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError(f"{selector} did not appear")


def test_the_developer_answers_with_the_fixed_apk_and_the_timeline_shows_it(browser, served, shop_apks):  # noqa: F811
    platform, base = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    violations = csp_violations(page)
    log_in(page, base, "dev")
    page.goto(f"{base}/upload")
    page.set_input_files("#file", str(shop_apks[0]))
    page.click("#upload-submit")
    page.wait_for_selector("#scan-status[data-status=done]", timeout=90_000)
    app_id = platform.client.get("/api/v1/apps", headers=platform.users["reviewer"].auth).json()[0]["id"]
    case = platform.client.post("/api/v1/cases", headers=platform.users["reviewer"].auth,
                                json={"app_id": app_id, "rule_ids": ["PI-COLLECT-BEFORE-CONSENT"]}).json()

    page.goto(f"{base}/cases/{case['id']}")
    page.fill("#answer-statement", "已改为用户同意隐私政策后再读取设备信息")
    page.set_input_files("#answer-file", str(shop_apks[1]))
    page.click("#answer")
    page.wait_for_url(f"**/cases/{case['id']}/timeline")
    wait_reloading(page, "tr[data-kind=closed]")
    kinds = [row.get_attribute("data-kind") for row in page.query_selector_all("#timeline tr[data-kind]")]
    assert kinds == ["opened", "notice", "answer", "closed"]
    assert "已改为用户同意隐私政策后再读取设备信息" in page.text_content("#timeline")
    page.screenshot(path=str(SHOTS / "11-case-timeline.png"), full_page=True)
    page.goto(f"{base}/cases/{case['id']}")
    assert page.get_attribute("#case-status", "data-status") == "closed"
    log_out(page)
    assert violations == []
    page.close()


def test_a_campaign_of_two_uploads_in_the_browser(browser, served, shop_apks):  # noqa: F811
    _platform, base = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    violations = csp_violations(page)
    log_in(page, base, "regulator")
    page.goto(f"{base}/campaigns")
    page.fill("#campaign-name", "2026年9月 商城类应用专项")
    page.select_option("#campaign-severity", "critical")
    page.set_input_files("#campaign-files", [str(p) for p in shop_apks])
    page.click("#create-campaign")
    page.wait_for_url(re.compile(r".*/campaigns/\d+$"))
    wait_reloading(page, "#progress-done:text('2')")
    assert [page.text_content(f"#progress-{k}") for k in ("queued", "running", "done", "failed", "clues")] == [
        "0", "0", "2", "0", "1"]  # 1.0 reads the IMEI before consent (critical); 1.1 does not
    page.screenshot(path=str(SHOTS / "12-campaign-progress.png"), full_page=True)
    assert violations == []
    page.close()
