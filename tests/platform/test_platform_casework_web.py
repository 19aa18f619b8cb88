"""The case from both sides and campaigns in the web UI (forms with CSRF, pages in Chinese and English): a tip and
a complaint become clues, a reviewer marks a false positive, the developer answers a case with the fixed build,
the timeline and the notice, a campaign and its progress page."""

from __future__ import annotations

import re

from platform_kit import ingest, make_report, startup_imei, tiny_zip, web_login
from sqlalchemy import select

from hegui.platform.db import Scan
from hegui.platform.scans import finish_scan

BEFORE_CONSENT, DEVICE_ID = "PI-COLLECT-BEFORE-CONSENT", "PI-DEVICE-ID-NONRESETTABLE"


def session(p, name: str) -> tuple[dict[str, str], str]:
    cookie, csrf = web_login(p, name)
    return {"Cookie": f"hegui_session={cookie}"}, csrf


def test_a_tip_and_a_complaint_become_clues_on_the_clue_page(sqlite_platform):
    p = sqlite_platform
    headers, csrf = session(p, "reviewer")
    res = p.client.post("/clues/tips", headers=headers, follow_redirects=False, data={
        "csrf_token": csrf, "app_name": "某某阅读", "rule_id": BEFORE_CONSENT, "note": "来信举报"})
    assert (res.status_code, res.headers["location"]) == (303, "/clues")
    p.client.post("/complaints", headers=headers, data={"csrf_token": csrf, "app_name": "某某商城", "content": "乱收集"})
    res = p.client.post("/complaints/1/clues", headers=headers, follow_redirects=False,
                        data={"csrf_token": csrf, "rule_id": DEVICE_ID})
    assert res.status_code == 303
    html = p.client.get("/clues", headers=headers).text
    rows = re.findall(r'<tr id="clue-\d+"><td>(\d+)</td>\s*<td>([^<]*)</td>\s*<td><code>([^<]+)</code></td><td>([^<(]+)',
                      html)
    assert rows == [("2", "某某商城", DEVICE_ID, "投诉转线索 "), ("1", "某某阅读", BEFORE_CONSENT, "外部举报")]
    ingest(p, "dev", make_report("com.demo.shop", "1.0", 1, [startup_imei()], sha="1" * 64))
    p.client.post("/clues/tips", headers=headers, data={"csrf_token": csrf, "app_name": "com.demo.shop",
                                                        "rule_id": BEFORE_CONSENT, "note": "电话举报"})
    tip = p.client.get("/api/v1/clues?source=tip&q=电话", headers=p.users["reviewer"].auth).json()
    assert [(c["app_id"], c["app_name"], c["version_id"]) for c in tip] == [(1, None, 1)]  # linked to the app on file
    filtered = p.client.get("/clues?source=complaint", headers=headers).text
    assert re.findall(r'<tr id="clue-(\d+)">', filtered) == ["2"]
    assert '<option value="complaint" selected>投诉转线索</option>' in filtered
    # the clue links to its complaint: the complaints list filtered to it (it may lie on any page of the list)
    assert re.findall(r'<a href="(/complaints\?id=\d+)" class="clue-complaint">', filtered) == ["/complaints?id=1"]
    p.client.post("/complaints", headers=headers, data={"csrf_token": csrf, "app_name": "另一商城", "content": "x"})
    assert re.findall(r'<tr class="[^"]*" id="complaint-(\d+)">', p.client.get("/complaints?id=1", headers=headers).text) == [
        "1"]
    complaints = p.client.get("/complaints", headers=headers).text
    assert re.findall(r'class="complaint-clue">([^<]+)</a>', complaints) == ["违规线索 #2"]
    assert p.client.post("/clues/tips", headers=headers, data={"rule_id": BEFORE_CONSENT, "note": "x",
                                                                 "app_name": "y"}).status_code == 403  # no CSRF token


def test_a_false_positive_mark_shows_on_the_app_page(sqlite_platform):
    p = sqlite_platform
    ingest(p, "dev", make_report("com.demo.shop", "1.0", 1, [startup_imei()], sha="1" * 64))
    headers, csrf = session(p, "reviewer")
    finding = p.client.get(f"/api/v1/findings?rule_id={DEVICE_ID}", headers=p.users["reviewer"].auth).json()[0]
    res = p.client.post(f"/findings/{finding['id']}/mark", headers=headers, follow_redirects=False,
                        data={"csrf_token": csrf, "verdict": "false_positive", "reason": "读取的是自有序列号"})
    assert (res.status_code, res.headers["location"]) == (303, f"/apps/{finding['app_id']}#findings")
    dev_headers, _ = session(p, "dev")
    html = p.client.get(f"/apps/{finding['app_id']}", headers=dev_headers).text
    assert re.findall(r'data-verdict="([^"]+)">([^<]+)</span> ([^<\n]+)', html) == [
        ("false_positive", "误报", "读取的是自有序列号")]
    assert f'action="/findings/{finding["id"]}/mark"' not in html  # developers do not mark
    scan_page = p.client.get("/scans/1", headers=dev_headers).text  # the report page shows it too
    assert re.findall(r'data-verdict="([^"]+)" title="([^"]+)">', scan_page) == [("false_positive", "读取的是自有序列号")]


def test_the_app_page_offers_each_rule_a_case_or_clue_may_rest_on_once(sqlite_platform):
    """One checkbox per rule (not one per subject, with the same id), on its first finding not marked a false
    positive; a rule marked a false positive for every subject is offered neither for a case nor for a clue."""
    p = sqlite_platform
    ingest(p, "dev", make_report("com.demo.shop", "1.0", 1, [startup_imei(), startup_imei("jpush"),
                                                             startup_imei("umeng")], sdks=("jpush", "umeng"),
                                 sha="1" * 64))
    headers, csrf = session(p, "reviewer")
    findings = {(f["rule_id"], f["subject"]): f["id"]
                for f in p.client.get("/api/v1/findings", headers=p.users["reviewer"].auth).json()}
    for key in ((BEFORE_CONSENT, "app"), ("PI-SDK-COLLECT-BEFORE-CONSENT", "jpush")):
        res = p.client.post(f"/findings/{findings[key]}/mark", headers=headers, follow_redirects=False,
                            data={"csrf_token": csrf, "verdict": "false_positive", "reason": "人工核验为误报"})
        assert res.status_code == 303
    html = p.client.get("/apps/1", headers=headers).text
    boxes = re.findall(r'<tr><td>(?:<input type="checkbox" name="rule_ids" value="([^"]+)" id="pick-([^"]+)">)?</td>',
                       html)
    # rows in filing order: BEFORE_CONSENT app (FP), SDK jpush (FP), SDK umeng, DEVICE_ID app, jpush, umeng
    assert boxes == [("", ""), ("", ""), ("PI-SDK-COLLECT-BEFORE-CONSENT",) * 2, (DEVICE_ID,) * 2, ("", ""),
                     ("", "")]
    clue_form = html.split('action="/apps/1/clues"', 1)[1].split("</form>", 1)[0]
    assert re.findall(r'<option value="([^"]+)">', clue_form) == ["PI-SDK-COLLECT-BEFORE-CONSENT", DEVICE_ID]


def test_the_developer_answers_on_the_case_page_and_the_notice_says_how(sqlite_platform):
    p = sqlite_platform
    p.settings.issuing_authority = "某省通信管理局"
    p.settings.notice_contact = "010-12345678"
    ingest(p, "dev", make_report("com.demo.shop", "1.0", 1, [startup_imei()], sha="1" * 64))
    case = p.client.post("/api/v1/cases", headers=p.users["reviewer"].auth,
                         json={"app_id": 1, "rule_ids": [BEFORE_CONSENT]}).json()
    headers, csrf = session(p, "dev")
    page = p.client.get(f"/cases/{case['id']}", headers=headers).text
    assert 'id="answer-form"' in page
    res = p.client.post(f"/cases/{case['id']}/answers", headers=headers, follow_redirects=False,
                        data={"csrf_token": csrf, "statement": "已改为同意后收集"},
                        files={"file": ("fixed.apk", tiny_zip(), "application/zip")})
    assert (res.status_code, res.headers["location"]) == (303, f"/cases/{case['id']}/timeline")
    with p.sessions() as db:
        row = db.scalar(select(Scan).order_by(Scan.id.desc()).limit(1))  # the answer's scan
        row.status = "running"
        finish_scan(db, row, {"report": make_report("com.demo.shop", "1.1", 2, [], sha="2" * 64)})
        db.commit()
    timeline = p.client.get(f"/cases/{case['id']}/timeline", headers=headers).text
    assert re.findall(r'data-kind="([a-z_]+)"', timeline) == ["opened", "notice", "answer", "closed"]
    assert "已改为同意后收集" in timeline
    reviewer_page = p.client.get(f"/cases/{case['id']}", headers=session(p, "reviewer")[0]).text
    assert 'id="answer-form"' not in reviewer_page and "已改为同意后收集" in reviewer_page

    notice = p.client.get(f"/cases/{case['id']}/notice", headers=headers).text
    assert '<p class="center" id="notice-authority">某省通信管理局</p>' in notice
    documents = re.search(r'<ul id="notice-documents">(.*?)</ul>', notice, re.S).group(1)
    assert "《App违法违规收集使用个人信息行为认定方法》（国信办秘字〔2019〕191号）" in documents
    assert "《中华人民共和国个人信息保护法》" in documents
    assert "联系方式：010-12345678" in notice and "提交整改说明及整改后的新版本" in notice
    assert "2026年09月28日" in re.search(r'id="notice-signature">(.*?)</p>', notice, re.S).group(1)


def test_a_campaign_from_the_web_form_and_its_progress_page(sqlite_platform):
    p = sqlite_platform
    headers, csrf = session(p, "regulator")
    res = p.client.post("/campaigns", headers=headers, follow_redirects=False,
                        data={"csrf_token": csrf, "name": "九月专项", "min_severity": "critical", "urls": ""},
                        files=[("files", ("a.apk", tiny_zip(), "application/zip"))])
    assert (res.status_code, res.headers["location"]) == (303, "/campaigns/1")
    page = p.client.get("/campaigns/1", headers=headers).text
    assert [re.search(rf'id="progress-{k}">(\d+)<', page).group(1) for k in ("queued", "running", "done", "failed",
                                                                           "clues")] == ["1", "0", "0", "0", "0"]
    assert '<meta http-equiv="refresh" content="10">' in page  # reloads while its scan waits
    scan_id = p.client.get("/api/v1/campaigns/1", headers=p.users["regulator"].auth).json()["items"][0]["scan_id"]
    with p.sessions() as db:
        row = db.get(Scan, scan_id)
        row.status = "running"
        finish_scan(db, row, {"report": make_report("com.demo.shop", "1.0", 1, [startup_imei()], sha="1" * 64)})
        db.commit()
    page = p.client.get("/campaigns/1", headers=headers).text
    assert 'http-equiv="refresh"' not in page  # nothing left to wait for
    assert re.findall(r'<a href="/apps/\d+">([^<]+)</a></td><td><code>([^<]+)</code>', page) == [
        ("com.demo.shop", BEFORE_CONSENT)]  # the one critical finding
    assert '<a href="/clues?campaign_id=1" id="campaign-clue-list">违规线索 (1)</a>' in page  # the paged list
    clue_list = p.client.get("/clues?campaign_id=1", headers=headers).text
    assert re.findall(r'<tr id="clue-(\d+)">', clue_list) == ["1"]
    listing = p.client.get("/campaigns", headers=headers).text
    assert '<a href="/campaigns/1">九月专项</a>' in listing
    p.client.get("/lang/en")
    assert "Campaigns" in p.client.get("/campaigns", headers={**headers, "Cookie": headers["Cookie"] + "; hegui_lang=en"}).text
    report = p.client.get("/campaigns/clue-report?month=2026-09", headers=headers)
    assert report.headers["content-disposition"] == 'attachment; filename="clues-2026-09.xlsx"'


def test_every_source_verdict_and_timeline_event_has_a_chinese_and_an_english_name():
    from hegui.platform.cases import TIMELINE_KINDS
    from hegui.platform.i18n import MESSAGES
    from hegui.platform.vocab import CampaignSource, ClueSource, MarkVerdict

    keys = [*(f"clue_source_{s}" for s in ClueSource), *MarkVerdict, *(f"campaign_source_{s}" for s in CampaignSource),
            *(f"event_{k}" for k in {*TIMELINE_KINDS.values(), "notice"})]
    assert [k for k in keys if k not in MESSAGES or not all(MESSAGES[k])] == []


def test_a_reviewer_opens_a_case_against_an_sdk_vendor_on_the_sdk_page(sqlite_platform):
    p = sqlite_platform
    aar = make_report("com.umeng.analytics", "9.0", 90, [], sdks=("umeng",), sha="1" * 64)
    aar["input"]["kind"] = "aar"
    ingest(p, "vendor", aar)
    ingest(p, "dev", make_report("com.demo.shop", "1.0", 1, [startup_imei("umeng")], sdks=("umeng",), sha="2" * 64))
    headers, csrf = session(p, "reviewer")
    page = p.client.get("/sdks/umeng", headers=headers).text
    assert 'id="sdk-case-form"' in page
    res = p.client.post("/sdks/umeng/cases", headers=headers, follow_redirects=False, data={
        "csrf_token": csrf, "vendor": "vendor", "rule_ids": "PI-SDK-COLLECT-BEFORE-CONSENT"})
    assert res.status_code == 303
    case_url = res.headers["location"]
    vendor_headers, _ = session(p, "vendor")
    vendor_page = p.client.get("/sdks/umeng", headers=vendor_headers).text
    assert re.findall(r'<table id="sdk-cases">.*?href="(/cases/\d+)"', vendor_page, re.S) == [case_url]
    assert 'id="sdk-case-form"' not in vendor_page
    case_page = p.client.get(case_url, headers=vendor_headers).text
    assert '<code id="case-sdk">umeng</code>' in case_page and 'id="answer-form"' in case_page
    notice = p.client.get(case_url + "/notice", headers=vendor_headers).text
    problems = re.search(r"<ol>(.*?)</ol>", notice, re.S).group(1)
    assert "<strong>未经同意收集使用</strong>：SDK在App获得用户同意前初始化或收集个人信息" in problems
    assert "检出该问题的应用数：1" in problems
    assert "com.demo" not in notice.replace("com.umeng", "")  # another account's app is not named
