"""The case from both sides (issue 12): clues from tips and complaints, the developer's answer with the fixed
build, re-checks on answered builds, the timeline, and false-positive marks respected by re-checks and clues."""

from __future__ import annotations

from platform_kit import TODAY, finish_queued, ingest, make_report, startup_imei

from hegui.model import Evidence, Observation

BEFORE_CONSENT, DEVICE_ID = "PI-COLLECT-BEFORE-CONSENT", "PI-DEVICE-ID-NONRESETTABLE"
SHOP = "com.demo.shop"


def later_imei() -> Observation:
    """IMEI read after startup: a non-resettable ID, no longer collected before consent."""
    return Observation("sensitive_call", evidence=[Evidence("call", "com.demo.Settings#show → getDeviceId")],
                       attrs={"pi_type": "imei", "api": "android.telephony.TelephonyManager#getDeviceId",
                              "at_startup": False, "via_reflection": False})


def open_shop_case(p, rules: list[str], code: int = 13) -> tuple[int, int]:
    ingest(p, "dev", make_report(SHOP, "1.3", code, [startup_imei()], sha="a" * 64))
    app_id = p.client.get("/api/v1/apps", headers=p.users["reviewer"].auth).json()[0]["id"]
    case = p.client.post("/api/v1/cases", headers=p.users["reviewer"].auth, json={"app_id": app_id, "rule_ids": rules})
    assert case.status_code == 201, case.text
    return app_id, case.json()["id"]


def build_bytes(tag: str) -> bytes:
    """A ZIP of its own per build (each build of an app has other bytes, so another sha256)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00")
        zf.writestr("build.txt", tag)
    return buf.getvalue()


def answer(p, case_id: int, statement: str, who: str = "dev"):
    return p.client.post(f"/api/v1/cases/{case_id}/answers", headers=p.users[who].auth, data={"statement": statement},
                         files={"file": ("fixed.apk", build_bytes(statement), "application/zip")})


def test_a_tip_and_a_complaint_become_clues(sqlite_platform):
    p, rev = sqlite_platform, sqlite_platform.users["reviewer"].auth
    tip = p.client.post("/api/v1/clues/tips", headers=rev, json={
        "rule_id": BEFORE_CONSENT, "note": "读者来信：打开即读取设备号", "app_name": "某某阅读"})
    assert tip.status_code == 201, tip.text
    assert {k: tip.json()[k] for k in ("app_id", "app_name", "source", "rule_id", "status")} == {
        "app_id": None, "app_name": "某某阅读", "source": "tip", "rule_id": BEFORE_CONSENT, "status": "open"}
    assert p.client.post("/api/v1/clues/tips", headers=rev, json={"rule_id": BEFORE_CONSENT, "note": "x"}
                         ).status_code == 409  # names no app

    complaint = p.client.post("/api/v1/complaints", headers=rev, json={
        "app_name": "某某商城", "complainant": "张三", "content": "未同意隐私政策即获取位置"}).json()
    clue = p.client.post(f"/api/v1/complaints/{complaint['id']}/clues", headers=rev,
                         json={"rule_id": BEFORE_CONSENT, "note": "核实中"})
    assert clue.status_code == 201, clue.text
    assert {k: clue.json()[k] for k in ("app_name", "source", "complaint_id", "note")} == {
        "app_name": "某某商城", "source": "complaint", "complaint_id": complaint["id"],
        "note": "核实中\n未同意隐私政策即获取位置"}
    again = p.client.post(f"/api/v1/complaints/{complaint['id']}/clues", headers=rev, json={"rule_id": BEFORE_CONSENT})
    assert again.status_code == 409
    assert p.client.get("/api/v1/complaints", headers=rev).json()[0]["clue_ids"] == [clue.json()["id"]]

    listed = p.client.get("/api/v1/clues", headers=rev)
    assert ([c["id"] for c in listed.json()], listed.headers["x-total-count"]) == (
        [clue.json()["id"], tip.json()["id"]], "2")
    assert [c["id"] for c in p.client.get("/api/v1/clues?q=某某阅读", headers=rev).json()] == [tip.json()["id"]]
    trail = {e["action"] for e in p.client.get("/api/v1/audit", headers=p.users["regulator"].auth).json()}
    assert {"clue.tip", "complaint.clue", "clue.complaint"} <= trail


def test_a_tip_about_an_app_not_yet_on_file_is_linked_when_it_arrives(sqlite_platform):
    p, rev = sqlite_platform, sqlite_platform.users["reviewer"].auth
    tip = p.client.post("/api/v1/clues/tips", headers=rev,
                        json={"rule_id": BEFORE_CONSENT, "note": "举报", "app_name": SHOP}).json()
    other = p.client.post("/api/v1/clues/tips", headers=rev,
                          json={"rule_id": BEFORE_CONSENT, "note": "举报", "app_name": "别的应用"}).json()
    ingest(p, "dev", make_report(SHOP, "1.0", 1, [startup_imei()], sha="a" * 64))
    linked = p.client.get(f"/api/v1/clues/{tip['id']}", headers=rev).json()
    app_id = p.client.get("/api/v1/apps", headers=rev).json()[0]["id"]
    assert (linked["app_id"], linked["app_name"]) == (app_id, SHOP)
    assert p.client.get(f"/api/v1/clues/{other['id']}", headers=rev).json()["app_id"] is None


def test_the_developer_answers_and_only_a_newer_build_rechecks(platform):
    p = platform
    _app_id, case_id = open_shop_case(p, [BEFORE_CONSENT, DEVICE_ID])
    assert answer(p, case_id, "已整改", who="dev2").status_code == 404  # not their app
    assert answer(p, case_id, "已整改", who="reviewer").status_code == 409  # staff do not answer for developers
    assert answer(p, case_id, "  ").status_code == 409

    older = answer(p, case_id, "已移除启动时读取 IMEI")
    assert older.status_code == 202, older.text
    finish_queued(p, older.json()["scan_id"], {"report": make_report(SHOP, "1.1", 11, [], sha="b" * 64)})  # a rebuilt older version
    case = p.client.get(f"/api/v1/cases/{case_id}", headers=p.users["dev"].auth).json()
    assert (case["status"], case["recheck_version_id"]) == ("notice_sent", None)

    partly = answer(p, case_id, "改为用户同意后读取")
    finish_queued(p, partly.json()["scan_id"], {"report": make_report(SHOP, "1.4", 14, [later_imei()], sha="c" * 64)})
    case = p.client.get(f"/api/v1/cases/{case_id}", headers=p.users["dev"].auth).json()
    assert (case["status"], case["remaining_rule_ids"]) == ("recheck_failed", [DEVICE_ID])

    fixed = answer(p, case_id, "不再读取 IMEI")
    finish_queued(p, fixed.json()["scan_id"], {"report": make_report(SHOP, "1.5", 15, [], sha="d" * 64)})
    case = p.client.get(f"/api/v1/cases/{case_id}", headers=p.users["dev"].auth).json()
    assert (case["status"], case["remaining_rule_ids"]) == ("closed", [])
    assert answer(p, case_id, "再次提交").status_code == 409  # a closed case takes no answers

    answers = p.client.get(f"/api/v1/cases/{case_id}/answers", headers=p.users["regulator"].auth).json()
    assert [(a["user"], a["statement"]) for a in answers] == [
        ("dev", "已移除启动时读取 IMEI"), ("dev", "改为用户同意后读取"), ("dev", "不再读取 IMEI")]
    timeline = p.client.get(f"/api/v1/cases/{case_id}/timeline", headers=p.users["dev"].auth).json()
    assert [(e["kind"], e["actor"]) for e in timeline] == [
        ("opened", "reviewer"), ("notice", "reviewer"), ("answer", "dev"), ("recheck_skipped", None),
        ("answer", "dev"), ("recheck", None), ("answer", "dev"), ("closed", None)]
    assert timeline[2]["detail"] == "已移除启动时读取 IMEI" and timeline[2]["scan_id"] == older.json()["scan_id"]
    assert timeline[5]["detail"] == f"version 1.4 (versionCode 14): {DEVICE_ID}"
    assert timeline[1]["detail"] == f"{TODAY.isoformat()} → 2026-10-10: {BEFORE_CONSENT}, {DEVICE_ID}"
    assert p.client.get(f"/api/v1/cases/{case_id}/timeline", headers=p.users["dev2"].auth).status_code == 404


def test_an_answer_and_a_campaign_take_packages_larger_than_a_form(sqlite_platform):
    """Bodies of forms are capped at 1 MB; the answer and the campaign carry packages up to the upload limit."""
    p = sqlite_platform
    _app_id, case_id = open_shop_case(p, [BEFORE_CONSENT])
    large = build_bytes("x" * (2 << 20))
    res = p.client.post(f"/api/v1/cases/{case_id}/answers", headers=p.users["dev"].auth, data={"statement": "已整改"},
                        files={"file": ("fixed.apk", large, "application/zip")})
    assert res.status_code == 202, res.text
    res = p.client.post("/api/v1/campaigns", headers=p.users["regulator"].auth, data={"name": "大文件"},
                        files=[("files", ("big.apk", large, "application/zip"))])
    assert res.status_code == 201, res.text
    too_large = build_bytes("x" * (6 << 20))  # past the platform's 5 MB test limit
    res = p.client.post(f"/api/v1/cases/{case_id}/answers", headers=p.users["dev"].auth, data={"statement": "x"},
                        files={"file": ("fixed.apk", too_large, "application/zip")})
    assert res.status_code == 413


def test_escalation_and_override_are_on_the_timeline(sqlite_platform):
    p = sqlite_platform
    _app_id, case_id = open_shop_case(p, [BEFORE_CONSENT])
    res = p.client.post(f"/api/v1/cases/{case_id}/escalate", headers=p.users["regulator"].auth,
                        json={"escalation": "removal", "override_reason": "大量用户投诉，情节严重"})
    assert res.status_code == 200, res.text
    timeline = p.client.get(f"/api/v1/cases/{case_id}/timeline", headers=p.users["reviewer"].auth).json()
    assert [(e["kind"], e["actor"], e["detail"]) for e in timeline[2:]] == [
        ("override", "regulator", "大量用户投诉，情节严重"),
        ("escalation", "regulator", "removal before the deadline: 大量用户投诉，情节严重")]


def finding_id(p, version_rule: str, version_code_sha: str | None = None) -> int:
    rows = p.client.get(f"/api/v1/findings?rule_id={version_rule}", headers=p.users["reviewer"].auth).json()
    return rows[-1]["id"]


def test_a_false_positive_neither_keeps_a_case_open_nor_files_a_clue(platform):
    p, rev = platform, platform.users["reviewer"].auth
    app_id, case_id = open_shop_case(p, [BEFORE_CONSENT, DEVICE_ID])
    target = finding_id(p, DEVICE_ID)
    assert p.client.post(f"/api/v1/findings/{target}/mark", headers=p.users["dev"].auth,
                         json={"verdict": "false_positive", "reason": "x"}).status_code == 403
    assert p.client.post(f"/api/v1/findings/{target}/mark", headers=rev,
                         json={"verdict": "false_positive", "reason": ""}).status_code == 422
    mark = p.client.post(f"/api/v1/findings/{target}/mark", headers=rev,
                         json={"verdict": "false_positive", "reason": "读取的是自有设备序列号，非 IMEI"})
    assert mark.status_code == 200, mark.text
    assert {k: mark.json()[k] for k in ("rule_id", "subject", "verdict", "by")} == {
        "rule_id": DEVICE_ID, "subject": "app", "verdict": "false_positive", "by": "reviewer"}

    clue = p.client.post("/api/v1/clues", headers=rev, json={"app_id": app_id, "rule_id": DEVICE_ID})
    assert clue.status_code == 409 and "false positive" in clue.json()["detail"]
    # The next build still shows the marked finding, and nothing else: the re-check closes the case.
    ingest(p, "dev", make_report(SHOP, "1.4", 14, [later_imei()], sha="e" * 64))
    case = p.client.get(f"/api/v1/cases/{case_id}", headers=rev).json()
    assert (case["status"], case["remaining_rule_ids"]) == ("closed", [])
    # The finding lists show the verdict on the marked version and on the newer build it holds for.
    listed = p.client.get("/api/v1/findings?sort=id", headers=p.users["dev"].auth).json()
    assert [(f["rule_id"], f["mark"]) for f in listed] == [
        (BEFORE_CONSENT, None), (DEVICE_ID, "false_positive"), (DEVICE_ID, "false_positive")]
    by_mark = {m: [f["id"] for f in p.client.get(f"/api/v1/findings?mark={m}&sort=id", headers=rev).json()]
               for m in ("false_positive", "accepted", "none")}
    assert by_mark == {"false_positive": [listed[1]["id"], listed[2]["id"]], "accepted": [],
                       "none": [listed[0]["id"]]}
    assert p.client.get("/api/v1/findings?mark=maybe", headers=rev).status_code == 422
    assert [(m["rule_id"], m["verdict"]) for m in
            p.client.get(f"/api/v1/apps/{app_id}/marks", headers=p.users["dev"].auth).json()] == [
        (DEVICE_ID, "false_positive")]
    trail = [e["detail"] for e in p.client.get("/api/v1/audit?action=finding.false_positive",
                                               headers=p.users["regulator"].auth).json()]
    assert trail == [f"{SHOP} {DEVICE_ID} subject=app version={mark.json()['version_id']}: 读取的是自有设备序列号，非 IMEI"]


def test_a_mark_after_a_failed_recheck_closes_the_case_it_rested_on(sqlite_platform):
    p, rev = sqlite_platform, sqlite_platform.users["reviewer"].auth
    _app_id, case_id = open_shop_case(p, [BEFORE_CONSENT, DEVICE_ID])
    ingest(p, "dev", make_report(SHOP, "1.4", 14, [later_imei()], sha="e" * 64))
    assert p.client.get(f"/api/v1/cases/{case_id}", headers=rev).json()["status"] == "recheck_failed"
    p.client.post(f"/api/v1/findings/{finding_id(p, DEVICE_ID)}/mark", headers=rev,
                  json={"verdict": "false_positive", "reason": "误报"})
    case = p.client.get(f"/api/v1/cases/{case_id}", headers=rev).json()
    assert (case["status"], case["remaining_rule_ids"]) == ("closed", [])


def test_an_accepted_finding_still_counts(sqlite_platform):
    p, rev = sqlite_platform, sqlite_platform.users["reviewer"].auth
    _app_id, case_id = open_shop_case(p, [DEVICE_ID])
    p.client.post(f"/api/v1/findings/{finding_id(p, DEVICE_ID)}/mark", headers=rev,
                  json={"verdict": "accepted", "reason": "人工复核确认"})
    ingest(p, "dev", make_report(SHOP, "1.4", 14, [later_imei()], sha="e" * 64))
    case = p.client.get(f"/api/v1/cases/{case_id}", headers=rev).json()
    assert (case["status"], case["remaining_rule_ids"]) == ("recheck_failed", [DEVICE_ID])


def test_a_real_fixed_build_answered_in_the_case_closes_it(live_platform, shop_apks):
    """Real APKs on the live scan worker: 1.0 reads the IMEI in Application.onCreate, 1.1 (the answer) does not."""
    from platform_kit import wait_for_scan

    p, dev, rev = live_platform, live_platform.users["dev"].auth, live_platform.users["reviewer"].auth
    v1, v2 = shop_apks
    first = p.client.post("/api/v1/scans", headers=dev, files={"file": ("shop-1.0.apk", v1.read_bytes())}).json()
    app_id = wait_for_scan(p.client, first["id"], dev)["app_id"]
    case = p.client.post("/api/v1/cases", headers=rev, json={"app_id": app_id, "rule_ids": [BEFORE_CONSENT]}).json()
    answered = p.client.post(f"/api/v1/cases/{case['id']}/answers", headers=dev, data={"statement": "同意后再读取"},
                             files={"file": ("shop-1.1.apk", v2.read_bytes())})
    assert answered.status_code == 202, answered.text
    assert wait_for_scan(p.client, answered.json()["scan_id"], dev)["status"] == "done"
    closed = p.client.get(f"/api/v1/cases/{case['id']}", headers=dev).json()
    assert (closed["status"], closed["remaining_rule_ids"]) == ("closed", [])
    kinds = [e["kind"] for e in p.client.get(f"/api/v1/cases/{case['id']}/timeline", headers=dev).json()]
    assert kinds == ["opened", "notice", "answer", "closed"]
