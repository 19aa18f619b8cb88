"""Authorisation matrix: every route of the app × every role, anonymous callers and a bad credential.

The expectations are written out here, independently of the code; a route missing from the table fails the
test, so a new endpoint cannot ship without deciding who may call it."""

from __future__ import annotations

import pytest
from fastapi.routing import iter_route_contexts
from platform_kit import ingest, make_report, startup_imei, tiny_zip, web_login
from starlette.routing import Mount

ALL = frozenset({"regulator", "reviewer", "developer", "sdk_vendor"})
STAFF = frozenset({"regulator", "reviewer"})
REG = frozenset({"regulator"})
PUBLIC = None

# (method, path) -> (roles allowed, object-scoped: only staff and the owning developer may touch the object)
API: dict[tuple[str, str], tuple[frozenset[str], bool]] = {
    ("GET", "/api/v1/me"): (ALL, False),
    ("POST", "/api/v1/scans"): (ALL, False),
    ("GET", "/api/v1/scans"): (ALL, False),
    ("GET", "/api/v1/scans/{scan_id}"): (ALL, True),
    ("GET", "/api/v1/scans/{scan_id}/report/{fmt}"): (ALL, True),
    ("GET", "/api/v1/apps"): (ALL, False),
    ("GET", "/api/v1/apps/{app_id}"): (ALL, True),
    ("GET", "/api/v1/apps/{app_id}/diff"): (ALL, True),
    ("GET", "/api/v1/findings"): (ALL, False),
    ("GET", "/api/v1/sdks"): (ALL, False),
    ("GET", "/api/v1/sdks/{sdk_id}"): (ALL, True),
    ("GET", "/api/v1/clues"): (STAFF, False),
    ("POST", "/api/v1/clues"): (STAFF, False),
    ("GET", "/api/v1/cases"): (ALL, False),
    ("POST", "/api/v1/cases"): (STAFF, False),
    ("GET", "/api/v1/cases/{case_id}"): (ALL, True),
    ("POST", "/api/v1/cases/{case_id}/escalate"): (REG, False),
    ("GET", "/api/v1/complaints"): (STAFF, False),
    ("POST", "/api/v1/complaints"): (STAFF, False),
    ("POST", "/api/v1/complaints/{complaint_id}/assign"): (STAFF, False),
    ("POST", "/api/v1/complaints/{complaint_id}/resolve"): (STAFF, False),
    ("POST", "/api/v1/apps/{app_id}/listings"): (STAFF, False),
    ("GET", "/api/v1/apps/{app_id}/listings"): (STAFF, False),
    ("POST", "/api/v1/apps/{app_id}/owner"): (REG, False),
    ("GET", "/api/v1/announcements"): (REG, False),
    ("GET", "/api/v1/audit"): (REG, False),
    ("GET", "/api/v1/held"): (STAFF, False),
    ("POST", "/api/v1/scans/{scan_id}/decision"): (REG, False),
    ("POST", "/api/v1/clues/tips"): (STAFF, False),
    ("GET", "/api/v1/clues/{clue_id}"): (STAFF, False),
    ("POST", "/api/v1/complaints/{complaint_id}/clues"): (STAFF, False),
    ("POST", "/api/v1/sdks/{sdk_id}/clues"): (STAFF, False),
    ("POST", "/api/v1/sdks/{sdk_id}/cases"): (STAFF, False),
    ("GET", "/api/v1/sdks/{sdk_id}/cases"): (ALL, False),
    ("POST", "/api/v1/cases/{case_id}/answers"): (ALL, True),
    ("GET", "/api/v1/cases/{case_id}/answers"): (ALL, True),
    ("GET", "/api/v1/cases/{case_id}/timeline"): (ALL, True),
    ("POST", "/api/v1/findings/{finding_id}/mark"): (STAFF, False),
    ("GET", "/api/v1/apps/{app_id}/marks"): (ALL, True),
    ("POST", "/api/v1/campaigns"): (REG, False),
    ("GET", "/api/v1/campaigns"): (REG, False),
    ("GET", "/api/v1/campaigns/{campaign_id}"): (REG, False),
    ("GET", "/api/v1/clue-report"): (REG, False),
}
WEB: dict[tuple[str, str], tuple[frozenset[str] | None, bool]] = {
    ("GET", "/login"): (PUBLIC, False),
    ("POST", "/login"): (PUBLIC, False),
    ("GET", "/lang/{code}"): (PUBLIC, False),
    ("GET", "/openapi.json"): (PUBLIC, False),
    ("POST", "/logout"): (ALL, False),
    ("GET", "/"): (ALL, False),
    ("GET", "/apps/{app_id}"): (ALL, True),
    ("GET", "/apps/{app_id}/diff"): (ALL, True),
    ("POST", "/apps/{app_id}/clues"): (STAFF, False),
    ("POST", "/apps/{app_id}/cases"): (STAFF, False),
    ("POST", "/apps/{app_id}/listings"): (STAFF, False),
    ("POST", "/apps/{app_id}/owner"): (REG, False),
    ("GET", "/upload"): (ALL, False),
    ("POST", "/upload"): (ALL, False),
    ("GET", "/scans"): (ALL, False),
    ("GET", "/scans/{scan_id}"): (ALL, True),
    ("GET", "/scans/{scan_id}/report"): (ALL, True),
    ("GET", "/scans/{scan_id}/download/{fmt}"): (ALL, True),
    ("GET", "/sdks"): (ALL, False),
    ("GET", "/sdks/{sdk_id}"): (ALL, True),
    ("GET", "/cases"): (ALL, False),
    ("GET", "/cases/{case_id}"): (ALL, True),
    ("POST", "/cases/{case_id}/escalate"): (REG, False),
    ("GET", "/cases/{case_id}/notice"): (ALL, True),
    ("GET", "/clues"): (STAFF, False),
    ("GET", "/complaints"): (STAFF, False),
    ("POST", "/complaints"): (STAFF, False),
    ("POST", "/complaints/{complaint_id}/assign"): (STAFF, False),
    ("POST", "/complaints/{complaint_id}/resolve"): (STAFF, False),
    ("GET", "/announcements"): (REG, False),
    ("GET", "/announcements/export"): (REG, False),
    ("GET", "/audit"): (REG, False),
    ("GET", "/held"): (STAFF, False),
    ("POST", "/held/{scan_id}"): (REG, False),
    ("POST", "/clues/tips"): (STAFF, False),
    ("POST", "/complaints/{complaint_id}/clues"): (STAFF, False),
    ("POST", "/sdks/{sdk_id}/clues"): (STAFF, False),
    ("POST", "/sdks/{sdk_id}/cases"): (STAFF, False),
    ("POST", "/cases/{case_id}/answers"): (ALL, True),
    ("GET", "/cases/{case_id}/timeline"): (ALL, True),
    ("POST", "/findings/{finding_id}/mark"): (STAFF, False),
    ("GET", "/campaigns"): (REG, False),
    ("POST", "/campaigns"): (REG, False),
    ("GET", "/campaigns/clue-report"): (REG, False),
    ("GET", "/campaigns/{campaign_id}"): (REG, False),
    ("GET", "/users"): (REG, False),
    ("POST", "/users"): (REG, False),
    ("POST", "/users/{user_id}/{action}"): (REG, False),
    ("GET", "/docs"): (PUBLIC, False),
}
CALLERS = ("regulator", "reviewer", "dev", "dev2", "vendor", "anonymous", "bad_credential")


def app_routes(app) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, routers included (FastAPI's own route walk, as for OpenAPI)."""
    found = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            continue  # /static: public files, checked below
        found |= {(m, context.path) for m in (getattr(context.original_route, "methods", None) or ()) if m != "HEAD"}
    return found


@pytest.fixture
def world(sqlite_platform):
    p = sqlite_platform
    scan_id = ingest(p, "dev", make_report("com.demo.shop", "1.0", 1, [startup_imei()], sha="1" * 64))
    ingest(p, "dev", make_report("com.demo.shop", "1.1", 2, [startup_imei()], sdks=("umeng",), sha="2" * 64))
    reviewer = p.users["reviewer"].auth
    app = p.client.get("/api/v1/apps", headers=reviewer).json()[0]
    versions = [v["id"] for v in p.client.get(f"/api/v1/apps/{app['id']}", headers=reviewer).json()["versions"]]
    case = p.client.post("/api/v1/cases", headers=reviewer,
                         json={"app_id": app["id"], "rule_ids": ["PI-COLLECT-BEFORE-CONSENT"]}).json()
    complaint = p.client.post("/api/v1/complaints", headers=reviewer,
                              json={"app_name": "shop", "content": "x"}).json()
    clue = p.client.post("/api/v1/clues/tips", headers=reviewer,
                         json={"rule_id": "PI-COLLECT-BEFORE-CONSENT", "note": "tip", "app_name": "x"}).json()
    finding = p.client.get("/api/v1/findings", headers=reviewer).json()[0]
    campaign = p.client.post("/api/v1/campaigns", headers=p.users["regulator"].auth, data={"name": "c"},
                             files=[("files", ("a.apk", tiny_zip(), "application/zip"))]).json()
    ids = {"app_id": app["id"], "scan_id": scan_id, "case_id": case["id"], "complaint_id": complaint["id"],
           "code": "en", "fmt": "json", "sdk_id": "umeng", "clue_id": clue["id"], "finding_id": finding["id"],
           "campaign_id": campaign["id"], "user_id": p.users["dev2"].id, "action": "enable"}
    query = f"?from_version={versions[0]}&to_version={versions[1]}"
    return p, ids, query


def request_for(method: str, path: str, ids: dict, query: str, csrf: str | None) -> dict:
    """A well-formed request for the route, so only authorisation decides the outcome."""
    kwargs: dict = {}
    if path.endswith("/diff"):
        kwargs["params"] = dict(pair.split("=") for pair in query[1:].split("&"))
    if path == "/api/v1/announcements" or path == "/announcements/export":
        kwargs["params"] = {"format": "csv"}
    if path in ("/api/v1/clue-report", "/campaigns/clue-report"):
        kwargs["params"] = {"month": "2026-09"}
    api_bodies = {
        "/api/v1/clues": {"app_id": ids["app_id"], "rule_id": "PI-COLLECT-BEFORE-CONSENT"},
        "/api/v1/cases": {"app_id": ids["app_id"], "rule_ids": ["PI-DEVICE-ID-NONRESETTABLE"]},
        "/api/v1/cases/{case_id}/escalate": {"escalation": "penalty"},
        "/api/v1/complaints": {"app_name": "shop", "content": "x"},
        "/api/v1/complaints/{complaint_id}/assign": {"assignee": "reviewer"},
        "/api/v1/complaints/{complaint_id}/resolve": {"resolution": "done"},
        "/api/v1/apps/{app_id}/listings": {"store": "s"},
        "/api/v1/apps/{app_id}/owner": {"owner": "dev"},
        "/api/v1/scans/{scan_id}/decision": {"decision": "counterfeit", "reason": "x"},
        "/api/v1/clues/tips": {"rule_id": "PI-COLLECT-BEFORE-CONSENT", "note": "tip", "app_name": "x"},
        "/api/v1/complaints/{complaint_id}/clues": {"rule_id": "PI-DEVICE-ID-NONRESETTABLE"},
        "/api/v1/sdks/{sdk_id}/clues": {"vendor": "vendor", "rule_id": "PI-SDK-COLLECT-BEFORE-CONSENT"},
        "/api/v1/sdks/{sdk_id}/cases": {"vendor": "vendor", "rule_ids": ["PI-SDK-COLLECT-BEFORE-CONSENT"]},
        "/api/v1/findings/{finding_id}/mark": {"verdict": "accepted", "reason": "x"},
    }
    multipart = {"/api/v1/cases/{case_id}/answers": {"statement": "fixed"},
                 "/api/v1/campaigns": {"name": "c"}}
    form_bodies = {
        "/apps/{app_id}/clues": {"rule_id": "PI-COLLECT-BEFORE-CONSENT"},
        "/apps/{app_id}/cases": {"rule_ids": "PI-DEVICE-ID-NONRESETTABLE"},
        "/apps/{app_id}/listings": {"store": "s"},
        "/apps/{app_id}/owner": {"owner": "dev"},
        "/cases/{case_id}/escalate": {"escalation": "penalty"},
        "/complaints": {"app_name": "shop", "content": "x"},
        "/complaints/{complaint_id}/assign": {"assignee": "reviewer"},
        "/complaints/{complaint_id}/resolve": {"resolution": "done"},
        "/login": {"name": "nobody", "password": "x"},
        "/held/{scan_id}": {"decision": "counterfeit", "reason": "x"},
        "/clues/tips": {"rule_id": "PI-COLLECT-BEFORE-CONSENT", "note": "tip", "app_name": "x"},
        "/complaints/{complaint_id}/clues": {"rule_id": "PI-DEVICE-ID-NONRESETTABLE"},
        "/sdks/{sdk_id}/clues": {"vendor": "vendor", "rule_id": "PI-SDK-COLLECT-BEFORE-CONSENT"},
        "/sdks/{sdk_id}/cases": {"vendor": "vendor", "rule_ids": "PI-SDK-COLLECT-BEFORE-CONSENT"},
        "/cases/{case_id}/answers": {"statement": "fixed"},
        "/findings/{finding_id}/mark": {"verdict": "accepted", "reason": "x"},
        "/campaigns": {"name": "c"},
        "/users": {"name": "matrix-user", "role": "developer"},
    }
    if method == "POST":
        if path in api_bodies:
            kwargs["json"] = api_bodies[path]
        if path in ("/api/v1/scans", "/upload", "/api/v1/cases/{case_id}/answers", "/cases/{case_id}/answers"):
            kwargs["files"] = {"file": ("a.apk", tiny_zip(), "application/vnd.android.package-archive")}
        if path in ("/api/v1/campaigns", "/campaigns"):
            kwargs["files"] = [("files", ("a.apk", tiny_zip(), "application/zip"))]
        if path in multipart:
            kwargs["data"] = multipart[path]
        if not path.startswith("/api/"):
            kwargs["data"] = {**form_bodies.get(path, {}), "csrf_token": csrf or ""}
    return kwargs


def test_every_route_is_in_the_matrix(sqlite_platform):
    assert app_routes(sqlite_platform.app) == set(API) | set(WEB)


def test_authorisation_matrix(world):
    p, ids, query = world
    roles = {name: member.role for name, member in p.users.items()}
    failures = []
    for (method, path), (allowed, scoped) in sorted({**API, **WEB}.items()):
        is_api = path.startswith("/api/")
        for caller in CALLERS:
            headers: dict[str, str] = {}
            csrf = None
            if caller == "bad_credential":
                headers = ({"Authorization": "Bearer hg_not-a-real-token"} if is_api
                           else {"Cookie": "hegui_session=hg_not-a-real-session"})
            elif caller != "anonymous":
                if is_api:
                    headers = p.users[caller].auth
                else:
                    cookie, csrf = web_login(p, caller)
                    headers = {"Cookie": f"hegui_session={cookie}"}
            url = path.format(**ids)
            res = p.client.request(method, url, headers=headers, follow_redirects=False,
                                   **request_for(method, path, ids, query, csrf))
            role = roles.get(caller)
            if allowed is PUBLIC:
                expected = "public"
                ok = res.status_code < 500 and res.status_code not in (401, 403) or (
                    path == "/login" and method == "POST")  # a failed login answers 401/403 by design
            elif role is None:
                expected = "401" if is_api else "303→/login"
                ok = (res.status_code == 401) if is_api else (
                    res.status_code == 303 and res.headers["location"] == "/login")
            elif role not in allowed:
                expected, ok = "403", res.status_code == 403
            elif scoped and role not in STAFF and caller != "dev":
                expected, ok = "404", res.status_code == 404
            else:
                expected = "allowed"
                ok = res.status_code in (200, 201, 202, 303, 409)
            if not ok:
                failures.append(f"{method} {path} as {caller}: expected {expected}, got {res.status_code}")
    assert failures == []


def test_state_changing_forms_refuse_a_missing_or_wrong_csrf_token(world):
    p, ids, _ = world
    cookie, _csrf = web_login(p, "regulator")
    for data in ({}, {"csrf_token": "forged"}):
        res = p.client.post(f"/cases/{ids['case_id']}/escalate", data={"escalation": "penalty", **data},
                            headers={"Cookie": f"hegui_session={cookie}"}, follow_redirects=False)
        assert res.status_code == 403
    case = p.client.get(f"/api/v1/cases/{ids['case_id']}", headers=p.users["regulator"].auth).json()
    assert case["status"] == "notice_sent"


def test_static_files_are_public(sqlite_platform):
    res = sqlite_platform.client.get("/static/style.css")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/css")
