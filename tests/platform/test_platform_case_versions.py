"""Which build counts for a case: versions are ordered by versionCode, a re-check needs a newer build, the same
versionCode with other contents is flagged, and escalation follows a missed deadline or a failed re-check."""

from __future__ import annotations

import datetime as dt

from platform_kit import TODAY, ingest, make_report, startup_imei

SHA = [f"{n:064x}" for n in range(0x100, 0x110)]


def _open_case(platform, package: str, code: int, sha: str) -> tuple[int, dict]:
    c, rev = platform.client, platform.users["reviewer"]
    scan_id = ingest(platform, "dev", make_report(package, f"1.{code}", code, [startup_imei()], sha=sha))
    app_id = c.get(f"/api/v1/scans/{scan_id}", headers=rev.auth).json()["app_id"]
    case = c.post("/api/v1/cases", headers=rev.auth, json={"app_id": app_id, "rule_ids": ["PI-COLLECT-BEFORE-CONSENT"]})
    assert case.status_code == 201, case.text
    return app_id, case.json()


def test_an_older_build_uploaded_later_does_not_close_the_case(platform):
    c, rev = platform.client, platform.users["reviewer"]
    _app, case = _open_case(platform, "com.demo.old", 13, SHA[0])
    scan_id = ingest(platform, "dev", make_report("com.demo.old", "1.1.0", 11, [], sha=SHA[1]))
    assert c.get(f"/api/v1/cases/{case['id']}", headers=rev.auth).json()["status"] == "notice_sent"
    note = c.get(f"/api/v1/scans/{scan_id}", headers=rev.auth).json()["note"]
    assert note.startswith(f"not a re-check of case {case['id']}: versionCode 11 is not newer than 13")


def test_the_latest_version_is_the_highest_version_code_not_the_last_upload(platform):
    c, rev = platform.client, platform.users["reviewer"]
    app_id, _case = _open_case(platform, "com.demo.latest", 13, SHA[2])
    ingest(platform, "dev", make_report("com.demo.latest", "1.1.0", 11, [], sha=SHA[3]))
    # a case can only be opened on findings of the current build (versionCode 13), not of the rebuilt 11
    again = c.post("/api/v1/cases", headers=rev.auth, json={"app_id": app_id, "rule_ids": ["PI-COLLECT-BEFORE-CONSENT"]})
    assert again.status_code == 409 and "already has a case" in again.text


def test_a_newer_build_without_the_problem_closes_the_case(platform):
    c, rev = platform.client, platform.users["reviewer"]
    _app, case = _open_case(platform, "com.demo.fixed", 13, SHA[4])
    ingest(platform, "dev", make_report("com.demo.fixed", "1.4", 14, [], sha=SHA[5]))
    assert c.get(f"/api/v1/cases/{case['id']}", headers=rev.auth).json()["status"] == "closed"


def test_the_same_version_code_with_other_contents_is_flagged_as_a_changed_build(platform):
    c, reg = platform.client, platform.users["regulator"]
    _app, case = _open_case(platform, "com.demo.switch", 13, SHA[6])
    scan_id = ingest(platform, "dev", make_report("com.demo.switch", "1.13", 13, [], sha=SHA[7]))
    note = c.get(f"/api/v1/scans/{scan_id}", headers=reg.auth).json()["note"]
    assert note.startswith(f"changed build: versionCode 13 was filed before with other contents (sha256 {SHA[6][:12]}…")
    assert c.get(f"/api/v1/cases/{case['id']}", headers=reg.auth).json()["status"] == "notice_sent"
    assert "version.changed_build" in [e["action"] for e in c.get("/api/v1/audit", headers=reg.auth).json()]


def test_escalation_before_the_deadline_needs_a_reason_which_is_audited(platform):
    c, reg = platform.client, platform.users["regulator"]
    _app, case = _open_case(platform, "com.demo.early", 13, SHA[8])
    url = f"/api/v1/cases/{case['id']}/escalate"
    refused = c.post(url, headers=reg.auth, json={"escalation": "removal"})
    assert refused.status_code == 409
    assert "deadline 2026-10-10 has not passed and no re-check failed" in refused.text
    done = c.post(url, headers=reg.auth, json={"escalation": "removal", "override_reason": "屡次违规"})
    assert done.status_code == 200 and done.json()["status"] == "escalated"
    [event] = [e for e in c.get("/api/v1/audit", headers=reg.auth).json() if e["action"] == "case.escalate"]
    assert event["detail"] == "removal before the deadline: 屡次违规"


def test_escalation_after_a_missed_deadline_needs_no_reason(platform):
    c, reg = platform.client, platform.users["regulator"]
    _app, case = _open_case(platform, "com.demo.late", 13, SHA[9])
    platform.app.state.settings.today = lambda: TODAY + dt.timedelta(days=20)  # past 2026-10-10
    done = c.post(f"/api/v1/cases/{case['id']}/escalate", headers=reg.auth, json={"escalation": "public_notice"})
    assert done.status_code == 200 and done.json()["escalation"] == "public_notice"
