"""The supervision workflow through the REST API, on SQLite and on PostgreSQL, from empty databases."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from platform_kit import TODAY, ingest, make_report, startup_imei
from sqlalchemy import inspect

from hegui.model import Evidence, Observation
from hegui.platform.migrate import current_revision

SHA = [f"{n:064x}" for n in range(1, 10)]


def later_imei() -> Observation:
    """IMEI read after startup: still non-resettable ID collection, no longer before consent."""
    return Observation("sensitive_call", evidence=[Evidence("call", "com.demo.Settings#show → getDeviceId")],
                       attrs={"pi_type": "imei", "api": "android.telephony.TelephonyManager#getDeviceId",
                              "at_startup": False, "via_reflection": False})


def test_migrations_build_the_schema_from_empty(platform):
    engine = platform.app.state.engine
    assert current_revision(engine) == "0007"
    tables = set(inspect(engine).get_table_names())
    assert {"users", "api_tokens", "apps", "app_versions", "scans", "findings", "clues", "cases",
            "repeat_offences", "complaints", "store_listings", "audit_events", "alembic_version"} <= tables


def test_the_migrated_schema_matches_the_models(platform):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from hegui.platform.db import Base

    def modelled(obj, name, kind, _reflected, _compare_to) -> bool:
        # migration 0005's PostgreSQL-only trigram indexes have no model (SQLite has no such index)
        return not (kind == "index" and name and name.startswith("ix_trgm_"))

    with platform.app.state.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": modelled})
        assert compare_metadata(context, Base.metadata) == []


def test_case_deadline_recheck_escalation_and_announcement(platform, report_validator):
    v1 = make_report("com.demo.shop", "1.0", 1, [startup_imei()], sha=SHA[0])
    report_validator(v1)
    scan_id = ingest(platform, "dev", v1)
    c, reg, rev, dev = platform.client, platform.users["regulator"], platform.users["reviewer"], platform.users["dev"]

    scan = c.get(f"/api/v1/scans/{scan_id}", headers=dev.auth).json()
    assert scan["status"] == "done"
    report_validator(scan["report"])
    app_id = scan["app_id"]
    assert [a["package"] for a in c.get("/api/v1/apps", headers=dev.auth).json()] == ["com.demo.shop"]
    assert c.get("/api/v1/apps", headers=platform.users["dev2"].auth).json() == []

    clue = c.post("/api/v1/clues", headers=rev.auth, json={"app_id": app_id, "rule_id": "PI-COLLECT-BEFORE-CONSENT"})
    assert clue.status_code == 201
    case = c.post("/api/v1/cases", headers=rev.auth,
                  json={"app_id": app_id, "rule_ids": ["PI-COLLECT-BEFORE-CONSENT", "PI-DEVICE-ID-NONRESETTABLE"]})
    assert case.status_code == 201, case.text
    case = case.json()
    # 2026-09-28 + 5 working days: Sep 29, Sep 30, (Oct 1–7 National Day), Oct 8, Oct 9, Oct 10 (adjusted Saturday)
    assert (case["notice_date"], case["deadline"], case["deadline_exact"]) == (TODAY.isoformat(), "2026-10-10", True)
    assert c.get("/api/v1/clues", headers=rev.auth).json()[0]["status"] == "in_case"
    assert c.get(f"/api/v1/cases/{case['id']}", headers=dev.auth).status_code == 200
    assert c.get(f"/api/v1/cases/{case['id']}", headers=platform.users["dev2"].auth).status_code == 404

    # The next version still reads the IMEI (no longer at startup): the automatic re-check fails on that rule.
    ingest(platform, "dev", make_report("com.demo.shop", "2.0", 2, [later_imei()], sha=SHA[1]))
    rechecked = c.get(f"/api/v1/cases/{case['id']}", headers=rev.auth).json()
    assert (rechecked["status"], rechecked["remaining_rule_ids"]) == ("recheck_failed", ["PI-DEVICE-ID-NONRESETTABLE"])

    assert c.post(f"/api/v1/cases/{case['id']}/escalate", headers=rev.auth,
                  json={"escalation": "public_notice"}).status_code == 403
    escalated = c.post(f"/api/v1/cases/{case['id']}/escalate", headers=reg.auth, json={"escalation": "public_notice"})
    assert (escalated.status_code, escalated.json()["status"], escalated.json()["escalation"]) == (
        200, "escalated", "public_notice")

    c.post(f"/api/v1/apps/{app_id}/listings", headers=rev.auth, json={
        "store": "华为应用市场", "version_name": "2.0", "developer_name": "演示商城科技有限公司",
        "developer_contact": "400-800-1234", "policy_url": "https://demo.example/privacy",
        "permissions": []})
    rows = list(csv.reader(io.StringIO(c.get("/api/v1/announcements?format=csv", headers=reg.auth)
                                       .content.decode("utf-8-sig"))))
    assert rows == [["序号", "应用名称", "应用开发者", "应用版本", "应用来源", "所涉问题"],
                    ["1", "shop", "演示商城科技有限公司", "2.0", "华为应用市场", "超范围收集/违规收集"]]
    xlsx = c.get("/api/v1/announcements?format=xlsx&escalation=public_notice", headers=reg.auth)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [cell.value for cell in sheet[2]] == [1, "shop", "演示商城科技有限公司", "2.0", "华为应用市场",
                                                 "超范围收集/违规收集"]
    actions = [e["action"] for e in c.get("/api/v1/audit", headers=reg.auth).json()]
    assert {"clue.create", "case.open", "case.recheck_failed", "case.escalate", "announcement.export"} <= set(actions)


def test_rectified_case_closes_and_a_returning_problem_marks_a_repeat_offender(platform):
    c, rev = platform.client, platform.users["reviewer"]
    app_id = c.get(f"/api/v1/scans/{ingest(platform, 'dev', make_report('com.demo.news', '1.0', 1, [startup_imei()], sha=SHA[2]))}",
                   headers=rev.auth).json()["app_id"]
    case = c.post("/api/v1/cases", headers=rev.auth,
                  json={"app_id": app_id, "rule_ids": ["PI-COLLECT-BEFORE-CONSENT"]}).json()
    ingest(platform, "dev", make_report("com.demo.news", "1.1", 2, [], sha=SHA[3]))
    assert c.get(f"/api/v1/cases/{case['id']}", headers=rev.auth).json()["status"] == "closed"
    assert c.get(f"/api/v1/apps/{app_id}", headers=rev.auth).json()["repeat_offender"] is False

    ingest(platform, "dev", make_report("com.demo.news", "1.2", 3, [startup_imei()], sha=SHA[4]))
    assert c.get(f"/api/v1/apps/{app_id}", headers=rev.auth).json()["repeat_offender"] is True


def test_a_finding_the_case_closed_on_as_a_false_positive_is_no_repeat_offence_when_it_stays(platform):
    """The re-check left the non-resettable ID; a reviewer marked it a false positive, which closed the case. It
    was never rectified, so a build still having it has not brought it back; the IMEI before consent, rectified
    in the re-check, has."""
    from hegui.platform.db import RepeatOffence

    c, rev = platform.client, platform.users["reviewer"]
    app_id = c.get(f"/api/v1/scans/{ingest(platform, 'dev', make_report('com.demo.news', '1.0', 1, [startup_imei()], sha=SHA[2]))}",
                   headers=rev.auth).json()["app_id"]
    case = c.post("/api/v1/cases", headers=rev.auth, json={
        "app_id": app_id, "rule_ids": ["PI-COLLECT-BEFORE-CONSENT", "PI-DEVICE-ID-NONRESETTABLE"]}).json()
    recheck = c.get(f"/api/v1/scans/{ingest(platform, 'dev', make_report('com.demo.news', '1.1', 2, [later_imei()], sha=SHA[3]))}",
                    headers=rev.auth).json()["version_id"]
    assert c.get(f"/api/v1/cases/{case['id']}", headers=rev.auth).json()["status"] == "recheck_failed"
    finding = c.get(f"/api/v1/findings?version_id={recheck}", headers=rev.auth).json()
    assert [f["rule_id"] for f in finding] == ["PI-DEVICE-ID-NONRESETTABLE"]
    res = c.post(f"/api/v1/findings/{finding[0]['id']}/mark", headers=rev.auth,
                 json={"verdict": "false_positive", "reason": "读取的是设备自有序列号"})
    assert res.status_code == 200, res.text
    assert c.get(f"/api/v1/cases/{case['id']}", headers=rev.auth).json()["status"] == "closed"

    # a changed build under the same versionCode 2 (which the mark, given on other bytes, does not cover)
    ingest(platform, "dev", make_report("com.demo.news", "1.1", 2, [startup_imei()], sha=SHA[4]))
    assert c.get(f"/api/v1/apps/{app_id}", headers=rev.auth).json()["repeat_offender"] is True
    with platform.sessions() as db:
        assert [r.rule_id for r in db.query(RepeatOffence).filter_by(app_id=app_id)] == ["PI-COLLECT-BEFORE-CONSENT"]


def test_version_diff_shows_new_permissions_sdks_and_findings(platform):
    c, dev = platform.client, platform.users["dev"]
    ingest(platform, "dev", make_report("com.demo.map", "1.0", 1, [], permissions=("android.permission.CAMERA",),
                                        sha=SHA[5]))
    ingest(platform, "dev", make_report("com.demo.map", "1.1", 2, [startup_imei("umeng")],
                                        permissions=("android.permission.CAMERA", "android.permission.READ_PHONE_STATE"),
                                        sdks=("umeng",), sha=SHA[6]))
    app = c.get("/api/v1/apps", headers=dev.auth).json()[0]
    v1, v2 = [v["id"] for v in c.get(f"/api/v1/apps/{app['id']}", headers=dev.auth).json()["versions"]]
    diff = c.get(f"/api/v1/apps/{app['id']}/diff?from_version={v1}&to_version={v2}", headers=dev.auth).json()
    assert diff["new_permissions"] == ["android.permission.READ_PHONE_STATE"]
    assert diff["new_sdks"] == ["umeng"]
    assert {f["rule_id"] for f in diff["new_findings"]} == {"PI-SDK-COLLECT-BEFORE-CONSENT",
                                                            "PI-DEVICE-ID-NONRESETTABLE"}
    assert diff["removed_permissions"] == [] and diff["resolved_findings"] == []


def test_complaints_have_a_15_day_limit_and_overdue_ones_stand_out(platform):
    import datetime as dt

    c, rev = platform.client, platform.users["reviewer"]
    made = c.post("/api/v1/complaints", headers=rev.auth,
                  json={"app_name": "演示商城", "complainant": "张三", "content": "启动即读取设备标识"}).json()
    assert made["due_on"] == (TODAY + dt.timedelta(days=15)).isoformat() and made["overdue"] is False
    assert c.post(f"/api/v1/complaints/{made['id']}/assign", headers=rev.auth,
                  json={"assignee": "regulator"}).json()["status"] == "assigned"
    assert c.post(f"/api/v1/complaints/{made['id']}/assign", headers=rev.auth,
                  json={"assignee": "dev"}).status_code == 409

    platform.settings.today = lambda: TODAY + dt.timedelta(days=16)
    listed = c.get("/api/v1/complaints", headers=rev.auth).json()
    assert [(x["id"], x["overdue"]) for x in listed] == [(made["id"], True)]
    resolved = c.post(f"/api/v1/complaints/{made['id']}/resolve", headers=rev.auth,
                      json={"resolution": "已约谈开发者"}).json()
    assert (resolved["status"], resolved["overdue"]) == ("resolved", True)  # handled, but late


def test_store_listing_incomplete_and_mismatching_the_apk(platform):
    c, rev = platform.client, platform.users["reviewer"]
    ingest(platform, "dev", make_report("com.demo.cam", "3.1", 31, [],
                                        permissions=("android.permission.CAMERA", "android.permission.READ_CONTACTS"),
                                        sha=SHA[7]))
    app_id = c.get("/api/v1/apps", headers=rev.auth).json()[0]["id"]
    res = c.post(f"/api/v1/apps/{app_id}/listings", headers=rev.auth, json={
        "store": "应用宝", "version_name": "3.0", "developer_name": "演示科技",
        "developer_contact": "请在应用内联系我们",
        "permissions": [{"name": "android.permission.CAMERA", "purpose": ""}]})
    assert res.status_code == 201
    findings = {f["rule_id"]: f for f in res.json()["findings"]}
    assert set(findings) == {"PI-STORE-LISTING-INCOMPLETE", "PI-STORE-REVIEW-LAX"}
    incomplete = [e["detail"] for e in findings["PI-STORE-LISTING-INCOMPLETE"]["evidence"]]
    assert incomplete == ["应用宝: the page shows no policy url",
                          "应用宝: android.permission.CAMERA is listed without a purpose",
                          "the APK requests android.permission.READ_CONTACTS; the 应用宝 page does not list it"]
    lax = [e["detail"] for e in findings["PI-STORE-REVIEW-LAX"]["evidence"]]
    assert lax == ["应用宝: developer contact '请在应用内联系我们' is neither a phone number nor an e-mail address",
                   "应用宝 shows version 3.0; the latest scanned APK is 3.1"]


def test_developer_cannot_attach_versions_to_another_developers_app(platform):
    c = platform.client
    ingest(platform, "dev", make_report("com.demo.owned", "1.0", 1, [], sha=SHA[8]))
    intruder_scan = ingest(platform, "dev2", make_report("com.demo.owned", "6.6", 66, [startup_imei()], sha="f" * 64))
    scan = c.get(f"/api/v1/scans/{intruder_scan}", headers=platform.users["dev2"].auth).json()
    assert (scan["status"], scan["app_id"]) == ("done", None)
    assert "belongs to another account" in scan["note"]
    app = c.get("/api/v1/apps", headers=platform.users["dev"].auth).json()[0]
    assert [v["version_name"] for v in c.get(f"/api/v1/apps/{app['id']}",
                                              headers=platform.users["dev"].auth).json()["versions"]] == ["1.0"]
