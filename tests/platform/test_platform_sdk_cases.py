"""Clues and cases against an SDK vendor (issue 12, 2025 action 2): the subject is an SDK id and the vendor's
account; the case is filed on the vendor's SDK record, the vendor sees it, and the vendor's newer SDK package is
the re-check."""

from __future__ import annotations

from platform_kit import ingest, make_report, startup_imei

from hegui.platform.accounts import create_user

SDK_RULE, DEVICE_ID = "PI-SDK-COLLECT-BEFORE-CONSENT", "PI-DEVICE-ID-NONRESETTABLE"


def aar(version: str, code: int, observations, sha: str) -> dict:
    report = make_report("com.umeng.analytics", version, code, observations, sdks=("umeng",), sha=sha)
    report["input"]["kind"] = "aar"
    return report


def world(p):
    ingest(p, "vendor", aar("9.0", 90, [startup_imei()], sha="1" * 64))
    ingest(p, "dev", make_report("com.demo.shop", "1.0", 1, [startup_imei("umeng")], sdks=("umeng",), sha="2" * 64))
    with p.sessions() as db:
        create_user(db, "vendor2", "sdk_vendor")
        db.commit()
    record = [a for a in p.client.get("/api/v1/apps", headers=p.users["vendor"].auth).json()
              if a["package"] == "com.umeng.analytics"][0]
    return record["id"]


def test_a_clue_and_a_case_against_an_sdk_vendor(platform):
    p, rev, vendor = platform, platform.users["reviewer"].auth, platform.users["vendor"].auth
    record_id = world(p)
    clue = p.client.post("/api/v1/sdks/umeng/clues", headers=rev, json={"vendor": "vendor", "rule_id": SDK_RULE})
    assert clue.status_code == 201, clue.text
    assert {k: clue.json()[k] for k in ("app_id", "sdk_id", "vendor", "subject", "source")} == {
        "app_id": record_id, "sdk_id": "umeng", "vendor": "vendor", "subject": "umeng", "source": "finding"}
    refused = [p.client.post("/api/v1/sdks/umeng/clues", headers=rev, json=body) for body in (
        {"vendor": "dev", "rule_id": SDK_RULE},  # a developer's account answers for no SDK
        {"vendor": "vendor", "rule_id": "PI-POLICY-ABSENT"},  # not a finding about umeng
    )]
    assert [r.status_code for r in refused] == [409, 409]
    assert p.client.post("/api/v1/sdks/nosuch/clues", headers=rev,
                         json={"vendor": "vendor", "rule_id": SDK_RULE}).status_code == 409

    no_record = p.client.post("/api/v1/sdks/umeng/cases", headers=rev, json={"vendor": "vendor2", "rule_ids": [SDK_RULE]})
    assert no_record.status_code == 409 and "no SDK package" in no_record.json()["detail"]
    case = p.client.post("/api/v1/sdks/umeng/cases", headers=rev,
                         json={"vendor": "vendor", "rule_ids": [SDK_RULE, DEVICE_ID]})
    assert case.status_code == 201, case.text
    case = case.json()
    assert (case["sdk_id"], case["app_id"], case["package"], case["status"]) == (
        "umeng", record_id, "com.umeng.analytics", "notice_sent")
    assert p.client.get(f"/api/v1/clues/{clue.json()['id']}", headers=rev).json()["status"] == "in_case"
    assert p.client.get(f"/api/v1/cases/{case['id']}", headers=vendor).json()["sdk_id"] == "umeng"

    # The vendor sees the case and the findings about its SDK across apps; the app's developer does not see it.
    assert [c["id"] for c in p.client.get("/api/v1/cases", headers=vendor).json()] == [case["id"]]
    assert [c["id"] for c in p.client.get("/api/v1/sdks/umeng/cases", headers=vendor).json()] == [case["id"]]
    assert p.client.get("/api/v1/sdks/umeng/cases", headers=p.users["dev"].auth).json() == []
    findings = p.client.get("/api/v1/sdks/umeng", headers=vendor).json()["findings"]
    assert sorted(f["rule_id"] for f in findings) == [DEVICE_ID, SDK_RULE]

    # The vendor's fixed package (a newer versionCode, no findings) is the re-check.
    ingest(p, "vendor", aar("9.1", 91, [], sha="3" * 64))
    rechecked = p.client.get(f"/api/v1/cases/{case['id']}", headers=vendor).json()
    assert (rechecked["status"], rechecked["remaining_rule_ids"]) == ("closed", [])


def test_a_finding_about_the_sdk_marked_a_false_positive_files_no_sdk_clue(sqlite_platform):
    p, rev = sqlite_platform, sqlite_platform.users["reviewer"].auth
    world(p)
    finding = p.client.get(f"/api/v1/findings?rule_id={DEVICE_ID}&subject=umeng", headers=rev).json()[0]
    p.client.post(f"/api/v1/findings/{finding['id']}/mark", headers=rev,
                  json={"verdict": "false_positive", "reason": "该 SDK 读取的是广告 ID"})
    res = p.client.post("/api/v1/sdks/umeng/clues", headers=rev, json={"vendor": "vendor", "rule_id": DEVICE_ID})
    assert res.status_code == 409
    assert p.client.post("/api/v1/sdks/umeng/clues", headers=rev,
                         json={"vendor": "vendor", "rule_id": SDK_RULE}).status_code == 201
