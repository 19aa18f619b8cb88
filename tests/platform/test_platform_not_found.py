"""Missing and hidden objects: the REST API names what is missing, the web pages say only "not found", and
someone else's object answers exactly like one that does not exist."""

from __future__ import annotations

import pytest
from platform_kit import ingest, make_report, startup_imei, web_login


@pytest.fixture
def world(sqlite_platform):
    """dev's app 1 (scan 1, version 1) and complaint 1, seen by regulator; dev2 owns nothing."""
    p = sqlite_platform
    ingest(p, "dev", make_report("com.dev.app", "1.0", 1, [startup_imei()], sha="a" * 64))
    res = p.client.post("/api/v1/complaints", json={"app_name": "dev app", "content": "读取通讯录"},
                        headers=p.users["regulator"].auth)
    assert res.status_code == 201
    return p


@pytest.mark.parametrize(("caller", "method", "path", "body", "detail"), [
    ("dev2", "GET", "/api/v1/apps/1", None, "app not found"),
    ("dev", "GET", "/api/v1/apps/999", None, "app not found"),
    ("dev2", "GET", "/api/v1/scans/1", None, "scan not found"),
    ("dev", "GET", "/api/v1/scans/999", None, "scan not found"),
    ("dev", "GET", "/api/v1/cases/999", None, "case not found"),
    ("dev", "GET", "/api/v1/apps/1/diff?from_version=1&to_version=999", None, "version not found"),
    ("regulator", "POST", "/api/v1/complaints/999/resolve", {"resolution": "done"}, "complaint not found"),
    ("regulator", "POST", "/api/v1/complaints/1/assign", {"assignee": "nobody"}, "user not found"),
])
def test_the_api_names_what_is_missing(world, caller, method, path, body, detail):
    res = world.client.request(method, path, json=body, headers=world.users[caller].auth)
    assert (res.status_code, res.json()) == (404, {"detail": detail})


@pytest.mark.parametrize("path", ["/apps/1", "/apps/999", "/scans/1", "/apps/1/diff?from_version=1&to_version=999"])
def test_web_pages_answer_hidden_and_missing_objects_with_the_same_not_found_page(world, path):
    cookie, _ = web_login(world, "dev2")
    res = world.client.get(path, headers={"Cookie": f"hegui_session={cookie}"})
    assert res.status_code == 404
    assert '<p class="error">未找到</p>' in res.text


def test_a_refused_workflow_step_answers_409_with_its_reason_on_the_api(world):
    res = world.client.post("/api/v1/clues", json={"app_id": 1, "rule_id": "PI-NO-SUCH-RULE"},
                            headers=world.users["regulator"].auth)
    assert (res.status_code, res.json()) == (409, {"detail": "unknown rule 'PI-NO-SUCH-RULE'"})


def test_a_refused_workflow_step_answers_409_with_its_reason_on_the_web(world):
    cookie, csrf = web_login(world, "regulator")
    res = world.client.post("/apps/1/clues", data={"rule_id": "PI-NO-SUCH-RULE", "csrf_token": csrf},
                            headers={"Cookie": f"hegui_session={cookie}"})
    assert res.status_code == 409
    assert '<p class="error">未知规则 PI-NO-SUCH-RULE</p>' in res.text  # in the page's language
    english = world.client.post("/apps/1/clues", data={"rule_id": "PI-NO-SUCH-RULE", "csrf_token": csrf},
                                headers={"Cookie": f"hegui_session={cookie}; hegui_lang=en"})
    assert '<p class="error">unknown rule &#39;PI-NO-SUCH-RULE&#39;</p>' in english.text
