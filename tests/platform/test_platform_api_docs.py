"""/docs: the API reference rendered on the server from the OpenAPI schema, public, under the strict CSP."""

from __future__ import annotations

import re

from markupsafe import escape

from hegui.platform.apidocs import schemas, type_name


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
    spec = sqlite_platform.client.get("/openapi.json").json()["components"]["schemas"]["EscalateIn"]["properties"]
    assert re.findall(r"<tr><td><code>(\w+)</code></td><td><code>([^<]+)</code></td>", model) == [
        (name, str(escape(type_name(field)))) for name, field in spec.items()]
    assert [name for name in spec] == ["escalation", "note", "override_reason"]


def test_an_enumeration_schema_is_listed_with_its_values():
    listed = schemas({"components": {"schemas": {
        "Escalation": {"type": "string", "enum": ["public_notice", "removal"], "title": "Escalation"},
        "EscalateIn": {"type": "object", "required": ["escalation"],
                       "properties": {"escalation": {"$ref": "#/components/schemas/Escalation"},
                                      "note": {"type": "string", "description": "why"}}}}}})
    assert [(s.name, s.values, s.fields) for s in listed] == [
        ("EscalateIn", None, [("escalation", "Escalation", True, ""), ("note", "string", False, "why")]),
        ("Escalation", '"public_notice" | "removal"', [])]


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
