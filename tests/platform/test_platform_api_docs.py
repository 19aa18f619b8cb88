"""/docs: the API reference rendered on the server from the OpenAPI schema, public, under the strict CSP."""

from __future__ import annotations

import re

from hegui.platform.apidocs import type_name


def test_the_docs_page_lists_every_api_operation_under_the_strict_csp(sqlite_platform):
    p = sqlite_platform
    res = p.client.get("/docs")  # public, like /openapi.json
    assert res.status_code == 200
    csp = res.headers["content-security-policy"]
    assert csp == ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                   "frame-ancestors 'none'; form-action 'self'")
    assert ("<script" in res.text, "style=" in res.text, "cdn" in res.text.lower()) == (False, False, False)
    listed = re.findall(r'<h2><code class="method">(\w+)</code> <code class="path">([^<]+)</code></h2>', res.text)
    schema = p.client.get("/openapi.json").json()
    expected = sorted((method.upper(), path) for path, item in schema["paths"].items() for method in item)
    assert sorted(listed) == expected
    assert ("POST", "/api/v1/scans") in listed and ("GET", "/api/v1/sdks/{sdk_id}") in listed
    assert not any(path.startswith(("/users", "/docs", "/login")) for _m, path in listed)  # pages are not API


def test_an_operation_shows_its_parameters_body_and_response_models(sqlite_platform):
    html = sqlite_platform.client.get("/docs").text
    section = re.search(r'<section class="card operation" id="escalate_api_v1_cases__case_id__escalate_post">'
                        r'(.*?)</section>', html, re.S).group(1)
    assert "<td><code>case_id</code></td><td>path</td><td><code>integer</code></td><td>必填" in section
    assert "<code>application/json: EscalateIn</code>" in section
    assert '<a href="#schema-CaseOut"><code>CaseOut</code></a>' in section
    model = re.search(r'<section class="card schema" id="schema-EscalateIn">(.*?)</section>', html, re.S).group(1)
    assert re.findall(r"<tr><td><code>(\w+)</code></td><td><code>([^<]+)</code></td>", model) == [
        ("escalation", "Escalation"), ("note", "string"), ("override_reason", "string")]
    values = re.search(r'<section class="card schema" id="schema-Escalation">(.*?)</section>', html, re.S).group(1)
    assert '<p class="values"><code>&#34;public_notice&#34; | &#34;removal&#34; | &#34;penalty&#34; | ' \
           '&#34;bad_list&#34;</code></p>' in values


def test_the_docs_page_is_linked_from_every_page_and_english_on_request(sqlite_platform):
    p = sqlite_platform
    assert '<a href="/docs">API 文档</a>' in p.client.get("/login").text
    assert "<h1>API reference" in p.client.get("/docs", cookies={"hegui_lang": "en"}).text


def test_type_names_of_json_schemas():
    assert [type_name(s) for s in (
        {"$ref": "#/components/schemas/CaseOut"}, {"type": "array", "items": {"$ref": "#/x/FindingOut"}},
        {"anyOf": [{"type": "integer"}, {"type": "null"}]}, {"enum": ["a", 1]}, {"type": "string", "format": "date"},
        {"type": "object", "additionalProperties": True}, {},
    )] == ["CaseOut", "list[FindingOut]", "integer | null", '"a" | 1', "string (date)", "dict[string, any]", "any"]
