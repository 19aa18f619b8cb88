"""The platform's own sentences in the reader's language: every message key in Chinese and English, the case
timeline and the scan notes in Chinese on the pages and in the REST API (key + parameters + rendered text),
older English-only rows shown as they are."""

from __future__ import annotations

import re

import pytest
from platform_kit import TODAY, finish_queued, ingest, make_report, startup_imei, web_login
from sqlalchemy import select

from hegui.model import Evidence, Observation
from hegui.platform.db import AuditEvent, Scan
from hegui.platform.messages import MESSAGES, Message, placeholders
from hegui.platform.scans import finish_scan

BEFORE_CONSENT, DEVICE_ID = "PI-COLLECT-BEFORE-CONSENT", "PI-DEVICE-ID-NONRESETTABLE"
SHOP, PUSH = "com.demo.shop", "com.example.pushsdk"
# Identifiers a Chinese sentence names as they are (Android's field, the hash, URL schemes)
IDENTIFIERS = re.compile(r"versionCode|sha256|https?")
ENGLISH_WORD = re.compile(r"[A-Za-z]*[a-z]{2,}[A-Za-z]*")  # a word with lower-case letters: not an acronym or id


def later_imei() -> Observation:
    return Observation("sensitive_call", evidence=[Evidence("call", "com.demo.Settings#show → getDeviceId")],
                       attrs={"pi_type": "imei", "api": "android.telephony.TelephonyManager#getDeviceId",
                              "at_startup": False, "via_reflection": False})


# --- the table -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_both_languages_with_the_same_parameters(key):
    zh, en = MESSAGES[key]
    assert zh.strip() and en.strip()
    assert placeholders(zh) == placeholders(en)
    sample = Message(key, {name: ["A", "B"] if name in ("rules", "certs", "choices") else f"<{name}>"
                           for name in placeholders(zh)})
    chinese = sample.render("zh")
    assert re.search(r"[\u4e00-\u9fff\uff00-\uffef]", chinese)  # Chinese words, or at least its punctuation
    words = ENGLISH_WORD.findall(IDENTIFIERS.sub("", re.sub(r"<\w+>", "", chinese)))
    assert words == [], f"{key}: English words {words} in the Chinese sentence {chinese!r}"
    assert sample.render("en") == sample.english()


def test_a_message_renders_lists_vocabulary_and_missing_values_per_language():
    escalated = Message("case.escalated_early", {"escalation": "removal", "reason": "情节严重"})
    assert escalated.render("zh") == "整改期限届满前提前升级处置（下架），理由：情节严重"
    assert escalated.render("en") == "removal before the deadline: 情节严重"  # the audit text, as before
    failed = Message("case.recheck_failed", {"version": None, "version_code": 14, "rules": ["R1", "R2"]})
    assert failed.render("zh") == "复检版本 ?（versionCode 14）仍存在问题：R1、R2"
    assert failed.render("en") == "version ? (versionCode 14): R1,R2"
    assert Message("case.recheck_failed", {"version": "1.4", "version_code": 14, "rules": ["R1"]}).as_json() == {
        "key": "case.recheck_failed", "params": {"version": "1.4", "version_code": 14, "rules": ["R1"]}}
    with pytest.raises(KeyError):
        Message("case.no_such_message")


# --- the case timeline -----------------------------------------------------------------------------------------

def answer(p, case_id: int, statement: str) -> int:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00")
        zf.writestr("build.txt", statement)
    res = p.client.post(f"/api/v1/cases/{case_id}/answers", headers=p.users["dev"].auth,
                        data={"statement": statement}, files={"file": ("fixed.apk", buf.getvalue(), "application/zip")})
    assert res.status_code == 202, res.text
    return res.json()["scan_id"]


def open_case(p, rules: list[str]) -> int:
    ingest(p, "dev", make_report(SHOP, "1.3", 13, [startup_imei()], sha="a" * 64))
    app_id = p.client.get("/api/v1/apps", headers=p.users["reviewer"].auth).json()[0]["id"]
    res = p.client.post("/api/v1/cases", headers=p.users["reviewer"].auth, json={"app_id": app_id, "rule_ids": rules})
    assert res.status_code == 201, res.text
    return res.json()["id"]


def timeline(p, case_id: int, query: str = "", headers: dict | None = None) -> list[dict]:
    res = p.client.get(f"/api/v1/cases/{case_id}/timeline{query}", headers={**p.users["dev"].auth, **(headers or {})})
    assert res.status_code == 200, res.text
    return res.json()


def page_rows(p, case_id: int, lang: str) -> list[tuple[str, str]]:
    """(kind, detail cell) of each row of the timeline page read by the developer in `lang`."""
    cookie, _ = web_login(p, "dev")
    html = p.client.get(f"/cases/{case_id}/timeline", headers={"Cookie": f"hegui_session={cookie}; hegui_lang={lang}"}).text
    return re.findall(r'data-kind="([a-z_]+)">(?:<td>.*?</td>\s*){3}<td>(.*?)</td></tr>', html, re.S)


def test_the_timeline_of_a_rectified_case_reads_in_chinese(platform):
    p = platform
    case_id = open_case(p, [BEFORE_CONSENT, DEVICE_ID])
    finish_queued(p, answer(p, case_id, "已移除启动时读取 IMEI"), {"report": make_report(SHOP, "1.1", 11, [], sha="b" * 64)})
    finish_queued(p, answer(p, case_id, "改为用户同意后读取"), {"report": make_report(SHOP, "1.4", 14, [later_imei()], sha="c" * 64)})
    fixed_scan = answer(p, case_id, "不再读取 IMEI")
    finish_queued(p, fixed_scan, {"report": make_report(SHOP, "1.5", 15, [], sha="d" * 64)})

    chinese = [
        ("opened", f"立案：{SHOP}，整改期限 2026-10-10，涉及规则 {BEFORE_CONSENT}、{DEVICE_ID}"),
        ("notice", f"{TODAY.isoformat()} 下发整改通知，整改期限 2026-10-10，所涉问题：{BEFORE_CONSENT}、{DEVICE_ID}"),
        ("answer", "已移除启动时读取 IMEI"),
        ("recheck_skipped", f"不作为案件 {case_id} 的复检：versionCode 11 不高于立案时的版本 1.3（versionCode 13）"),
        ("answer", "改为用户同意后读取"),
        ("recheck", f"复检版本 1.4（versionCode 14）仍存在问题：{DEVICE_ID}"),
        ("answer", "不再读取 IMEI"),
        ("closed", "版本 1.5 已完成整改，复检通过"),
    ]
    events = timeline(p, case_id, "?lang=zh")
    assert [(e["kind"], e["text"]) for e in events] == chinese
    rows = page_rows(p, case_id, "zh")  # an answer's cell links the scan of its build
    assert [(kind, re.sub(r" \(<a href=.*", "", cell)) for kind, cell in rows] == chinese
    assert rows[6][1] == f'不再读取 IMEI (<a href="/scans/{fixed_scan}">检测任务 #{fixed_scan}</a>)'

    english = [(e["kind"], e["text"]) for e in timeline(p, case_id, headers={"Accept-Language": "en-GB,en;q=0.8"})]
    assert english == [
        ("opened", f"{SHOP} deadline=2026-10-10 rules={BEFORE_CONSENT},{DEVICE_ID}"),
        ("notice", f"{TODAY.isoformat()} → 2026-10-10: {BEFORE_CONSENT}, {DEVICE_ID}"),
        ("answer", "已移除启动时读取 IMEI"),
        ("recheck_skipped", f"not a re-check of case {case_id}: versionCode 11 is not newer than 13 (version 1.3) "
                            "the case was opened on"),
        ("answer", "改为用户同意后读取"),
        ("recheck", f"version 1.4 (versionCode 14): {DEVICE_ID}"),
        ("answer", "不再读取 IMEI"),
        ("closed", "rectified in version 1.5"),
    ]
    assert [e["detail"] for e in events] == [t for _, t in english]  # the audit's English stays the detail
    assert [e["message"] for e in events] == [
        {"key": "case.opened", "params": {"package": SHOP, "deadline": "2026-10-10",
                                          "rules": [BEFORE_CONSENT, DEVICE_ID]}},
        {"key": "case.notice", "params": {"notice_date": TODAY.isoformat(), "deadline": "2026-10-10",
                                          "rules": [BEFORE_CONSENT, DEVICE_ID]}},
        None,  # the developer's own words carry no message
        {"key": "case.recheck_skipped_opened", "params": {"case": case_id, "version_code": 11, "old_code": 13,
                                                          "old_version": "1.3"}},
        None,
        {"key": "case.recheck_failed", "params": {"version": "1.4", "version_code": 14, "rules": [DEVICE_ID]}},
        None,
        {"key": "case.closed_rectified", "params": {"version": "1.5"}},
    ]


def test_escalations_and_marks_on_the_timeline_read_in_chinese(sqlite_platform):
    p, rev, reg = sqlite_platform, sqlite_platform.users["reviewer"].auth, sqlite_platform.users["regulator"].auth
    early = open_case(p, [BEFORE_CONSENT])
    res = p.client.post(f"/api/v1/cases/{early}/escalate", headers=reg,
                        json={"escalation": "removal", "override_reason": "大量用户投诉，情节严重"})
    assert res.status_code == 200, res.text
    assert [(e["kind"], e["text"]) for e in timeline(p, early, "?lang=zh")[2:]] == [
        ("override", "大量用户投诉，情节严重"),  # the regulator's words, as typed
        ("escalation", "整改期限届满前提前升级处置（下架），理由：大量用户投诉，情节严重")]

    # A second app: its re-check fails on both rules, a false-positive mark leaves one, escalation follows.
    ingest(p, "dev", make_report("com.demo.news", "1.0", 1, [startup_imei()], sha="e" * 64))
    news = next(a["id"] for a in p.client.get("/api/v1/apps", headers=rev).json() if a["package"] == "com.demo.news")
    case_id = p.client.post("/api/v1/cases", headers=rev, json={"app_id": news, "rule_ids": [BEFORE_CONSENT, DEVICE_ID]}
                            ).json()["id"]
    ingest(p, "dev", make_report("com.demo.news", "1.1", 2, [startup_imei()], sha="f" * 64))
    finding = p.client.get(f"/api/v1/findings?rule_id={DEVICE_ID}&app_id={news}", headers=rev).json()[-1]["id"]
    assert p.client.post(f"/api/v1/findings/{finding}/mark", headers=rev,
                         json={"verdict": "false_positive", "reason": "自有序列号"}).status_code == 200
    assert p.client.post(f"/api/v1/cases/{case_id}/escalate", headers=reg,
                         json={"escalation": "public_notice"}).status_code == 200
    assert [(e["kind"], e["text"]) for e in timeline(p, case_id, "?lang=zh")[2:]] == [
        ("recheck", f"复检版本 1.1（versionCode 2）仍存在问题：{BEFORE_CONSENT}、{DEVICE_ID}"),
        ("recheck", f"部分问题标记为误报后重新核定，仍存在问题：{BEFORE_CONSENT}"),
        ("escalation", "处置方式：公开通报")]


def test_a_case_whose_findings_all_became_false_positives_closes_in_chinese(sqlite_platform):
    p, rev = sqlite_platform, sqlite_platform.users["reviewer"].auth
    case_id = open_case(p, [DEVICE_ID])
    ingest(p, "dev", make_report(SHOP, "1.4", 14, [later_imei()], sha="e" * 64))
    finding = p.client.get(f"/api/v1/findings?rule_id={DEVICE_ID}", headers=rev).json()[-1]["id"]
    p.client.post(f"/api/v1/findings/{finding}/mark", headers=rev, json={"verdict": "false_positive", "reason": "误报"})
    assert [(e["kind"], e["text"]) for e in timeline(p, case_id, "?lang=zh")[2:]] == [
        ("recheck", f"复检版本 1.4（versionCode 14）仍存在问题：{DEVICE_ID}"),
        ("closed", "复检遗留的问题均已标记为误报，案件关闭")]


def test_an_event_logged_before_messages_is_shown_as_it_was_written(sqlite_platform):
    p = sqlite_platform
    case_id = open_case(p, [BEFORE_CONSENT])
    with p.sessions() as db:
        db.add(AuditEvent(action="case.closed", target=f"case:{case_id}", detail="rectified in version 1.9"))
        db.commit()
    last = timeline(p, case_id, "?lang=zh")[-1]
    assert (last["kind"], last["detail"], last["message"], last["text"]) == (
        "closed", "rectified in version 1.9", None, "rectified in version 1.9")
    assert page_rows(p, case_id, "zh")[-1] == ("closed", "rectified in version 1.9")


# --- scan notes ------------------------------------------------------------------------------------------------

def scan_note(p, scan_id: int, who: str) -> tuple[str | None, str | None, list | None]:
    """(Chinese note, English note, stored messages) of a scan through the API."""
    auth = p.users[who].auth
    zh = p.client.get(f"/api/v1/scans/{scan_id}?lang=zh", headers=auth).json()
    en = p.client.get(f"/api/v1/scans/{scan_id}", headers={**auth, "Accept-Language": "en-US"}).json()
    assert zh["note"] == en["note"] == en["note_text"]  # `note` stays the English text of the log
    return zh["note_text"], en["note_text"], zh["note_messages"]


def packaged(package: str, kind: str, sha: str, code: int = 1, version: str = "1.0", cert: str | None = None) -> dict:
    report = make_report(package, version, code, [], sha=sha)
    report["input"]["kind"] = kind
    if cert is not None:
        report["app"]["signers"] = [{"sha256": cert, "subject": "CN=x", "scheme": "v2"}]
    return report


def test_why_a_scan_is_not_filed_reads_in_chinese(sqlite_platform):
    p = sqlite_platform
    cases = [
        ("vendor", packaged("com.example", "jar", "1" * 64), "scan.jar_package_too_broad",
         "该 JAR 的类只共用包名 com.example，范围过宽，不能确定为某一个 SDK：本次检测不归入任何 SDK"),
        ("vendor", packaged("", "jar", "2" * 64), "scan.jar_no_package",
         "该 JAR 的类没有共同的包名：本次检测不归入任何 SDK"),
        ("dev", packaged("", "apk", "3" * 64), "scan.no_package", "未能读取包名：本次检测不归入任何应用"),
        ("dev", packaged(PUSH, "aar", "4" * 64), "scan.sdk_for_vendors",
         "SDK 包只归入 SDK 厂商账号及监管、审核人员名下：本次检测保留报告，但不归档"),
        ("vendor", packaged(SHOP, "apk", "5" * 64), "scan.app_for_developers",
         "应用只归入开发者账号及监管、审核人员名下：本次检测保留报告，但不归档"),
    ]
    for who, report, key, chinese in cases:
        zh, en, messages = scan_note(p, ingest(p, who, report), who)
        assert (zh, messages) == (chinese, [{"key": key, "params": messages[0]["params"]}])
        assert en == Message(key, messages[0]["params"]).english()
    vendor = p.users["vendor"].auth  # the list renders the notes too: in Chinese unless asked otherwise
    assert [s["note_text"] for s in p.client.get("/api/v1/scans?sort=id", headers=vendor).json()] == [
        cases[0][3], cases[1][3], cases[4][3]]
    assert [s["note_text"] for s in p.client.get("/api/v1/scans?sort=id&lang=en", headers=vendor).json()] == [
        "the JAR's classes share only the package com.example, too broad to name one SDK: the scan is not filed "
        "under an SDK", "the JAR's classes share no package: the scan is not filed under an SDK",
        "apps are filed only for developer accounts and staff: this scan keeps its report but is not filed"]
    assert p.client.get("/api/v1/scans?lang=fr", headers=vendor).status_code == 422

    ingest(p, "regulator", packaged(PUSH, "apk", "6" * 64))  # an app that happens to use the SDK's name
    assert scan_note(p, ingest(p, "regulator", packaged(PUSH, "aar", "7" * 64)), "regulator") == (
        f"{PUSH} 在平台上登记为应用：本次提交的 AAR 不归入该记录",
        f"{PUSH} is on the platform as an app: this AAR is not filed under it",
        [{"key": "scan.registered_as_app", "params": {"package": PUSH, "kind": "AAR"}}])
    ingest(p, "regulator", packaged("com.example.mapsdk", "aar", "8" * 64))
    assert scan_note(p, ingest(p, "regulator", packaged("com.example.mapsdk", "apk", "9" * 64)), "regulator")[0] == (
        "com.example.mapsdk 在平台上登记为 SDK：本次提交的 APK 不归入该记录")
    ingest(p, "dev", packaged(SHOP, "apk", "a" * 64))
    assert scan_note(p, ingest(p, "dev2", packaged(SHOP, "apk", "b" * 64, code=2)), "dev2")[0] == (
        "该包名属于其他账号：本次检测不归入该应用")


def test_held_and_counterfeit_scans_and_changed_builds_read_in_chinese(sqlite_platform):
    p = sqlite_platform
    ingest(p, "dev", packaged(SHOP, "apk", "1" * 64, cert="a" * 64))
    held = ingest(p, "dev2", packaged(SHOP, "apk", "2" * 64, code=2, cert="b" * 64))
    unsigned = ingest(p, "dev2", packaged(SHOP, "apk", "3" * 64, code=3))
    assert scan_note(p, held, "dev2")[0] == (
        f"疑似仿冒：平台上的 {SHOP} 由其他证书签名（本次签名证书 {'b' * 16}），本次检测等待监管人员判定，暂不归档")
    assert scan_note(p, unsigned, "dev2")[:2] == (
        f"疑似仿冒：平台上的 {SHOP} 由其他证书签名（本次提交未签名），本次检测等待监管人员判定，暂不归档",
        f"possible counterfeit: {SHOP} on the platform is signed by another certificate (unsigned); the scan is "
        "held for a regulator's decision and not filed")
    decided = p.client.post(f"/api/v1/scans/{held}/decision?lang=zh", headers=p.users["regulator"].auth,
                            json={"decision": "counterfeit", "reason": "签名与商店版本不符"}).json()
    assert (decided["note_text"], decided["note_messages"]) == (
        f"经监管人员判定为 {SHOP} 的仿冒版本：不归档", [{"key": "scan.counterfeit", "params": {"package": SHOP}}])

    # the same versionCode with other bytes
    rebuilt = ingest(p, "dev", packaged(SHOP, "apk", "4" * 64, version="1.0b", cert="a" * 64))
    zh, en, _ = scan_note(p, rebuilt, "dev")
    assert zh == (f"同一版本号的不同构建：versionCode 1 此前已以不同内容提交（sha256 {'1' * 12}…，版本 1.0），"
                  "请监管人员比对两个构建")
    assert en == (f"changed build: versionCode 1 was filed before with other contents (sha256 {'1' * 12}…, "
                  "version 1.0); a regulator should compare the two builds / 同一版本号的不同构建")


def test_a_scan_with_several_notes_shows_them_all_in_chinese_on_its_page(sqlite_platform):
    p = sqlite_platform
    case_id = open_case(p, [BEFORE_CONSENT])
    rebuilt = ingest(p, "dev", make_report(SHOP, "1.3", 13, [startup_imei()], sha="b" * 64))  # same versionCode
    zh, _en, messages = scan_note(p, rebuilt, "dev")
    assert [m["key"] for m in messages] == ["scan.changed_build", "case.recheck_skipped_opened"]
    assert zh == (f"同一版本号的不同构建：versionCode 13 此前已以不同内容提交（sha256 {'a' * 12}…，版本 1.3），"
                  f"请监管人员比对两个构建；不作为案件 {case_id} 的复检：versionCode 13 不高于立案时的版本 1.3"
                  "（versionCode 13）")
    cookie, _ = web_login(p, "dev")
    html = p.client.get(f"/scans/{rebuilt}", headers={"Cookie": f"hegui_session={cookie}"}).text
    assert f'<p class="note">说明：{zh}</p>' in html
    english = p.client.get(f"/scans/{rebuilt}", headers={"Cookie": f"hegui_session={cookie}; hegui_lang=en"}).text
    assert re.search(r'<p class="note">Note: changed build: versionCode 13 .*?; not a re-check of case', english)


def test_a_scan_noted_before_messages_shows_its_english_note(sqlite_platform):
    p = sqlite_platform
    scan_id = ingest(p, "dev", packaged("", "apk", "1" * 64))
    with p.sessions() as db:
        db.scalar(select(Scan).where(Scan.id == scan_id)).note_messages = None
        db.commit()
    assert scan_note(p, scan_id, "dev") == (
        "no package name could be read: the scan is not filed under an app",
        "no package name could be read: the scan is not filed under an app", None)


# --- the rectification notice's legal basis ----------------------------------------------------------------------

def every_rule_report() -> dict:
    """A report with a finding of every rule of the rulebook, each citing the rule's sources as the rule engine
    does, so a notice for all of them cites every clause the rulebook knows."""
    from hegui import knowledge

    report = make_report(SHOP, "1.0", 1, [startup_imei()], sha="1" * 64)
    template = report["findings"][0]
    report["findings"] = [
        {**template, "rule_id": rule.id, "severity": rule.severity, "title_zh": rule.title_zh,
         "title_en": rule.title_en, "sources": [{"doc": s.doc, "clause": s.clause} for s in rule.sources],
         "remediation": {"zh": rule.remediation_zh, "en": rule.remediation_en}}
        for rule in knowledge.rulebook().values()]
    return report


def test_the_chinese_notice_cites_every_clause_without_english_glosses(sqlite_platform):
    from hegui import knowledge
    from hegui.platform.citations import english_words

    p = sqlite_platform
    ingest(p, "dev", every_rule_report())
    rules = sorted(knowledge.rulebook())
    case = p.client.post("/api/v1/cases", headers=p.users["reviewer"].auth, json={"app_id": 1, "rule_ids": rules})
    assert case.status_code == 201, case.text
    cookie, _ = web_login(p, "dev")
    notice = p.client.get(f"/cases/{case.json()['id']}/notice", headers={"Cookie": f"hegui_session={cookie}"}).text
    bases = re.findall(r"<div>依据：(.*?)</div>", notice)
    assert len(bases) == len(rules)
    documents = re.findall(r"<li>(《.*?)</li>", re.search(r'<ul id="notice-documents">(.*?)</ul>', notice, re.S)[1])
    cited = {s.doc for rule in knowledge.rulebook().values() for s in rule.sources}
    assert len(documents) == len(cited)
    assert [(text, english_words(text)) for text in bases + documents if english_words(text)] == []
    assert re.search(r'id="notice-number">编号：\d{8}-1</p>', notice)

    consent = bases[list(knowledge.rulebook()).index(BEFORE_CONSENT)].split("；")  # in the report's order
    assert consent == ["国信办秘字〔2019〕191号 三.1", "工信部信管函〔2020〕164号 三.1", "工信部信管函〔2019〕337号 1",
                       "《中华人民共和国个人信息保护法》 第十三条, 第十四条", "《国内应用商店审核实践 (综合)》"]
    assert "<li>《小米 HyperOS 权限使用及申请标准》</li>" in notice  # the title without "(dev.mi.com documentation …)"

    english = p.client.get(f"/cases/{case.json()['id']}/notice",
                           headers={"Cookie": f"hegui_session={cookie}; hegui_lang=en"}).text
    assert ("《国内应用商店审核实践 (综合)》 SDK init / device reads before the privacy dialog is accepted"
            in english)  # the English reader keeps hegui's gloss


@pytest.mark.parametrize(("doc", "clause", "zh"), [
    ("MIIT-2020-164", "三.5 (purpose not told in time)", "工信部信管函〔2020〕164号 三.5"),
    ("T-TAF-078", "078.4-2021 5.1 (不给权限APP退出或关闭, incl. refusing registration/login)",
     "《APP用户权益保护测评规范 (T/TAF 078.1–078.10)》 078.4-2021 5.1 (不给权限APP退出或关闭)"),
    ("CAC-2026-DRAFT", "camera/microphone only on user action", "《互联网应用程序个人信息收集使用规定(征求意见稿)》"),
    ("TC260-PG-20204A", "3.1 a), 3.1 d), 3.2 a)", "TC260-PG-20204A 3.1 a), 3.1 d), 3.2 a)"),
    ("GBT-41391-2022", "6.1, 6.2, 6.5, 附录A, 附录E", "GB/T 41391-2022 6.1, 6.2, 6.5, 附录A, 附录E"),
    ("HUAWEI-SDK-SELFCHECK", "完整性/准确性", "《华为应用市场 SDK信息公示自查要求》 完整性/准确性"),
    ("NO-SUCH-DOC", "1", "NO-SUCH-DOC 1"),  # an outdated report's unknown document, shown as given
])
def test_a_clause_is_cited_in_chinese_by_number_without_its_english_gloss(doc, clause, zh):
    from hegui.platform.citations import legal_basis

    assert legal_basis({"doc": doc, "clause": clause}, "zh") == zh


# --- refusals ----------------------------------------------------------------------------------------------------

def test_a_refused_form_says_why_in_the_pages_language_and_the_api_in_english(sqlite_platform):
    p = sqlite_platform
    case_id = open_case(p, [BEFORE_CONSENT])
    cookie, csrf = web_login(p, "regulator")
    form = {"csrf_token": csrf, "escalation": "removal"}
    for lang, reason in (
            ("zh", "整改期限 2026-10-10 尚未届满，复检也未失败：现在升级处置须说明理由"),
            ("en", "the rectification deadline 2026-10-10 has not passed and no re-check failed: escalating now "
                   "needs a reason (override_reason)")):
        res = p.client.post(f"/cases/{case_id}/escalate", data=form,
                            headers={"Cookie": f"hegui_session={cookie}; hegui_lang={lang}"})
        assert (res.status_code, re.search(r'<p class="error">(.*?)</p>', res.text)[1]) == (409, reason)
    api = p.client.post(f"/api/v1/cases/{case_id}/escalate?lang=zh", headers=p.users["regulator"].auth,
                        json={"escalation": "removal"})
    assert (api.status_code, api.json()["detail"]) == (409, "the rectification deadline 2026-10-10 has not passed "
                                                            "and no re-check failed: escalating now needs a reason "
                                                            "(override_reason)")


def test_a_refused_upload_says_why_in_chinese(sqlite_platform):
    p = sqlite_platform
    cookie, csrf = web_login(p, "dev")
    res = p.client.post("/upload", data={"csrf_token": csrf}, headers={"Cookie": f"hegui_session={cookie}"},
                        files={"file": ("notes.txt", b"not a zip", "text/plain")})
    assert res.status_code == 415
    assert '<p class="error" id="upload-error">不是 APK、AAR 或 JAR：文件不以 ZIP 文件头开始</p>' in res.text
    case_id = open_case(p, [BEFORE_CONSENT])
    empty = p.client.post(f"/cases/{case_id}/answers", data={"csrf_token": csrf, "statement": "已整改"},
                          headers={"Cookie": f"hegui_session={cookie}"}, files={"file": ("fixed.apk", b"")})
    assert (empty.status_code, re.search(r'<p class="error">(.*?)</p>', empty.text)[1]) == (415, "空文件")


# --- why a scan failed -------------------------------------------------------------------------------------------

def test_a_scan_the_scanner_cannot_read_fails_with_a_chinese_reason(live_platform):
    from platform_kit import tiny_zip, wait_for_scan

    p, auth = live_platform, live_platform.users["dev"].auth
    res = p.client.post("/api/v1/scans", headers=auth, files={"file": ("broken.apk", tiny_zip())})
    assert res.status_code == 202, res.text
    scan = wait_for_scan(p.client, res.json()["id"], auth)
    assert (scan["status"], scan["error_message"]["key"]) == ("failed", "scan.error.unreadable_input")
    reason = scan["error_message"]["params"]["reason"]  # the scanner's own words, kept as it wrote them
    assert scan["error"] == f"unreadable input: {reason}"
    zh = p.client.get(f"/api/v1/scans/{scan['id']}?lang=zh", headers=auth).json()
    assert zh["error_text"] == f"无法读取输入文件：{reason}"
    cookie, _ = web_login(p, "dev")
    page = p.client.get(f"/scans/{scan['id']}", headers={"Cookie": f"hegui_session={cookie}"}).text
    assert re.search(r'<p class="error" id="scan-error">无法读取输入文件：', page)


def test_an_invalid_report_fails_its_scan_with_a_chinese_reason(sqlite_platform):
    p = sqlite_platform
    with p.sessions() as db:
        scan = Scan(uploader_id=p.users["dev"].id, sha256="1" * 64, size=1, filename="x.apk", status="running")
        db.add(scan)
        db.flush()
        finish_scan(db, scan, {"report": {"findings": "not a list"}})
        db.commit()
        scan_id = scan.id
    zh = p.client.get(f"/api/v1/scans/{scan_id}?lang=zh", headers=p.users["dev"].auth).json()
    count = zh["error_message"]["params"]["errors"]
    assert (zh["status"], zh["error"], zh["error_text"]) == (
        "failed", f"the scanner produced an invalid report ({count} errors)", f"检测程序生成的报告不符合格式（{count} 处错误）")


def test_refused_account_mark_decision_and_campaign_forms_say_why_in_chinese(sqlite_platform):
    p = sqlite_platform
    cookie, csrf = web_login(p, "regulator")
    headers = {"Cookie": f"hegui_session={cookie}"}

    def error_of(path: str, data: dict) -> tuple[int, str]:
        res = p.client.post(path, headers=headers, data={"csrf_token": csrf, **data})
        return res.status_code, re.search(r'<p class="error"[^>]*>(.*?)</p>', res.text)[1]

    assert error_of("/users", {"name": "新用户", "role": "developer", "password": "short"}) == (409, "密码至少 8 位")
    assert error_of(f"/users/{p.users['regulator'].id}/disable", {}) == (409, "不能在此停用自己的账号")
    ingest(p, "dev", make_report(SHOP, "1.0", 1, [startup_imei()], sha="1" * 64))
    assert error_of("/findings/1/mark", {"verdict": "false_positive", "reason": " "}) == (422, "复核结论须说明理由")
    scan_id = p.client.get("/api/v1/scans", headers=p.users["dev"].auth).json()[0]["id"]
    assert error_of(f"/held/{scan_id}", {"decision": "genuine", "reason": "x"}) == (
        409, f"检测任务 {scan_id} 不在待判定之列")
    assert error_of("/campaigns", {"name": "九月专项", "min_severity": "high"}) == (
        422, "请提供检测对象：上传文件、下载地址或服务器目录")


# --- a campaign's inputs that never became scans -----------------------------------------------------------------

def test_why_a_campaign_input_never_became_a_scan_reads_in_chinese(sqlite_platform):
    from hegui.platform.worker import ScanWorker

    p, reg = sqlite_platform, sqlite_platform.users["regulator"].auth
    res = p.client.post("/api/v1/campaigns", headers=reg, data={
        "name": "九月专项", "min_severity": "high", "urls": "http://127.0.0.1:9/app.apk\nftp://example.com/b.apk"},
        files=[("files", ("notes.txt", b"not a zip", "text/plain"))])
    assert res.status_code == 201, res.text
    worker = ScanWorker(p.settings, p.sessions, worker_id="fetcher")
    while worker.fetch_once():
        pass
    campaign_id = res.json()["id"]
    items = p.client.get(f"/api/v1/campaigns/{campaign_id}?lang=zh", headers=reg).json()["items"]
    assert [(i["ref"], i["error_text"]) for i in items] == [
        ("notes.txt", "不是 APK、AAR 或 JAR：文件不以 ZIP 文件头开始"),
        ("http://127.0.0.1:9/app.apk", "http://127.0.0.1:9/app.apk：指向非公网地址（127.0.0.1）：不下载"),
        ("ftp://example.com/b.apk", "ftp://example.com/b.apk：只下载 http 和 https 地址")]
    assert [i["error"] for i in items] == [
        "not an APK, AAR or JAR: the file does not start with a ZIP header",
        "http://127.0.0.1:9/app.apk: leads to a non-public address (127.0.0.1): not fetched",
        "ftp://example.com/b.apk: only http and https URLs are fetched"]
    cookie, _ = web_login(p, "regulator")
    page = p.client.get(f"/campaigns/{campaign_id}", headers={"Cookie": f"hegui_session={cookie}"}).text
    assert re.findall(r'<td class="item-status">[^<]*</td>\s*<td>(.*?)</td>', page) == [i["error_text"] for i in items]


def test_an_sdk_case_opens_in_chinese_on_its_timeline(sqlite_platform):
    p, rev = sqlite_platform, sqlite_platform.users["reviewer"].auth
    sdk_package = make_report("com.umeng.analytics", "9.0", 90, [startup_imei()], sdks=("umeng",), sha="1" * 64)
    sdk_package["input"]["kind"] = "aar"
    ingest(p, "vendor", sdk_package)
    ingest(p, "dev", make_report(SHOP, "1.0", 1, [startup_imei("umeng")], sdks=("umeng",), sha="2" * 64))
    case = p.client.post("/api/v1/sdks/umeng/cases", headers=rev,
                         json={"vendor": "vendor", "rule_ids": ["PI-SDK-COLLECT-BEFORE-CONSENT"]})
    assert case.status_code == 201, case.text
    opened = p.client.get(f"/api/v1/cases/{case.json()['id']}/timeline?lang=zh", headers=rev).json()[0]
    assert (opened["kind"], opened["text"], opened["detail"]) == (
        "opened",
        "立案：SDK umeng（厂商账号 vendor，SDK 记录 com.umeng.analytics），整改期限 2026-10-10，涉及规则 "
        "PI-SDK-COLLECT-BEFORE-CONSENT",
        "sdk umeng vendor vendor (com.umeng.analytics) deadline=2026-10-10 rules=PI-SDK-COLLECT-BEFORE-CONSENT")
    missing = p.client.post("/api/v1/sdks/umeng/cases", headers=rev,
                            json={"vendor": "vendor", "rule_ids": ["PI-SDK-COLLECT-BEFORE-CONSENT"]})
    assert (missing.status_code, missing.json()["detail"]) == (409, "the SDK umeng already has a case waiting for "
                                                                    "rectification")


def test_an_announcement_of_apps_without_a_recorded_developer_is_refused_in_chinese(sqlite_platform):
    p, reg = sqlite_platform, sqlite_platform.users["regulator"].auth
    case_id = open_case(p, [BEFORE_CONSENT])
    p.client.post(f"/api/v1/cases/{case_id}/escalate", headers=reg,
                  json={"escalation": "public_notice", "override_reason": "再次违规"})
    cookie, _ = web_login(p, "regulator")
    res = p.client.get("/announcements/export?format=xlsx", headers={"Cookie": f"hegui_session={cookie}"})
    assert (res.status_code, re.search(r'<p class="error">(.*?)</p>', res.text)[1]) == (
        409, "以下应用未登记开发者，不能公开通报：shop。请先录入应用商店信息（开发者名称），或只导出信息完整的条目")
    api = p.client.get("/api/v1/announcements?format=xlsx", headers=reg).json()
    assert api == {"detail": "no developer is recorded for shop: record a store listing with developer_name, or "
                             "export the other rows with skip_incomplete=true"}


def test_a_list_parameter_the_page_refuses_is_explained_in_the_pages_language_and_the_api_stays_english(
        sqlite_platform):
    p = sqlite_platform
    api = p.client.get("/api/v1/cases?sort=size", headers=p.users["regulator"].auth)
    detail = api.json()["detail"]
    assert api.status_code == 422 and detail.startswith("sort must be one of ")
    sorts = detail.removeprefix("sort must be one of ").removesuffix(" (prefix - for descending)")
    cookie, _ = web_login(p, "regulator")
    page = p.client.get("/cases?sort=size", headers={"Cookie": f"hegui_session={cookie}"})
    assert page.status_code == 422
    assert f"排序参数 sort 须为 {sorts} 之一（前加 - 为降序）" in page.text and "must be one of" not in page.text
    english = p.client.get("/cases?sort=size", headers={"Cookie": f"hegui_session={cookie}; hegui_lang=en"})
    assert detail in english.text


def test_a_report_format_that_does_not_exist_is_explained_in_the_pages_language(sqlite_platform):
    p = sqlite_platform
    scan_id = ingest(p, "dev", make_report(SHOP, "1.0", 1, [startup_imei()], sha="ab" * 32))
    cookie, _ = web_login(p, "dev")
    page = p.client.get(f"/scans/{scan_id}/download/docx", headers={"Cookie": f"hegui_session={cookie}"})
    assert page.status_code == 404
    assert "没有 &#39;docx&#39; 格式的报告（可选：json, html, pdf, sarif, xlsx）" in page.text  # escaped
    api = p.client.get(f"/api/v1/scans/{scan_id}/report/docx", headers=p.users["dev"].auth)
    assert (api.status_code, api.json()["detail"]) == (
        404, "no such report format 'docx' (one of json, html, pdf, sarif, xlsx)")


def test_a_form_without_its_csrf_token_is_refused_saying_why_in_the_pages_language(sqlite_platform):
    p = sqlite_platform
    cookie, _ = web_login(p, "regulator")
    for lang, expected in (("zh", "表单校验失败（CSRF 令牌缺失或不符），请刷新页面后重新提交"),
                           ("en", "CSRF token missing or wrong")):
        res = p.client.post("/clues/tips", data={"csrf_token": "forged"},
                            headers={"Cookie": f"hegui_session={cookie}; hegui_lang={lang}"}, follow_redirects=False)
        assert res.status_code == 403 and expected in res.text


def test_a_malformed_clue_report_month_is_explained_in_the_pages_language(sqlite_platform):
    p = sqlite_platform
    api = p.client.get("/api/v1/clue-report?month=2026-13", headers=p.users["regulator"].auth)
    assert (api.status_code, api.json()["detail"]) == (422, "month must be YYYY-MM")
    assert p.client.get("/api/v1/clue-report?month=0000-01", headers=p.users["regulator"].auth).status_code == 422
    cookie, _ = web_login(p, "regulator")
    page = p.client.get("/campaigns/clue-report?month=2026-13", headers={"Cookie": f"hegui_session={cookie}"})
    assert page.status_code == 422 and "月份须为 YYYY-MM 格式" in page.text
