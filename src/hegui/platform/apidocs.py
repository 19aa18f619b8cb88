"""The API reference page (/docs), rendered on the server from the application's OpenAPI schema.

FastAPI's Swagger UI and ReDoc pages load their scripts and styles from a CDN and start with an inline script:
the platform's CSP (script-src 'self', no inline script, no outside host) refuses both. A page built from the
same schema needs neither and always lists what the running server serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    where: str  # path | query | header
    type: str
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    parameters: list[Parameter]
    body: str | None  # "multipart/form-data: …" or "application/json: EscalateIn"
    responses: list[tuple[str, str, str | None]]  # (status, description, schema type)


@dataclass(frozen=True, slots=True)
class Schema:
    name: str
    description: str
    fields: list[tuple[str, str, bool, str]] = field(default_factory=list)  # (name, type, required, description)
    values: str | None = None  # an enumeration's values ("a" | "b")


def type_name(schema: dict[str, Any] | None) -> str:
    """A short, readable type of a JSON schema: `CaseOut`, `list[FindingOut]`, `integer | null`, `"a" | "b"`."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "enum" in schema:
        return " | ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in schema["enum"])
    if "const" in schema:
        return f'"{schema["const"]}"'
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " | ".join(type_name(s) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list[{type_name(schema.get('items'))}]"
    if kind == "object" and "additionalProperties" in schema:
        return f"dict[string, {type_name(schema['additionalProperties']) if isinstance(schema['additionalProperties'], dict) else 'any'}]"
    if schema.get("format") in ("date", "date-time", "binary"):
        return f"{kind} ({schema['format']})"
    return str(kind)


def _body(request_body: dict[str, Any] | None) -> str | None:
    if not request_body:
        return None
    return "; ".join(f"{media}: {type_name(content.get('schema'))}"
                     for media, content in request_body.get("content", {}).items())


def operations(openapi: dict[str, Any]) -> list[Operation]:
    """Every operation of the schema, in path order, GET before POST."""
    out = []
    for path in sorted(openapi.get("paths", {})):
        item = openapi["paths"][path]
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [Parameter(p["name"], p["in"], type_name(p.get("schema")), bool(p.get("required")),
                                p.get("description") or (p.get("schema") or {}).get("description", ""))
                      for p in op.get("parameters", [])]
            responses = [(code, r.get("description", ""),
                          type_name(r["content"]["application/json"].get("schema"))
                          if "application/json" in r.get("content", {}) else None)
                         for code, r in sorted(op.get("responses", {}).items())]
            out.append(Operation(method=method.upper(), path=path, anchor=op.get("operationId", f"{method}{path}"),
                                 summary=op.get("summary", ""), description=op.get("description", ""),
                                 parameters=params, body=_body(op.get("requestBody")), responses=responses))
    return out


def schemas(openapi: dict[str, Any]) -> list[Schema]:
    """The named models (request and response bodies) with their fields, by name."""
    out = []
    for name, schema in sorted(openapi.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        out.append(Schema(name=name, description=schema.get("description", ""),
                          values=type_name(schema) if "enum" in schema else None,
                          fields=[(prop, type_name(spec), prop in required, spec.get("description", ""))
                                  for prop, spec in schema.get("properties", {}).items()]))
    return out
