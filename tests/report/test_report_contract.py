"""The report schema ships in the package (src/hegui/report/report.schema.json) and is the single source: it
keeps every property and constraint of ../shared/report.schema.json and documents what hegui adds."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from hegui.pipeline import scan_path
from hegui.report.contract import load_schema
from workplace import REPO, SHARED, corpus_missing

SAMPLE = REPO / "src/hegui/samples/demo-shop.apk"
# keys that describe rather than constrain: an extension may reword them
ANNOTATIONS = {"title", "description", "$comment", "$id"}


def _weakened(shared: Any, package: Any, path: str) -> list[str]:
    """Where `package` accepts something `shared` refuses (or drops a property `shared` names)."""
    if not isinstance(shared, dict):
        return [] if shared == package else [f"{path}: {package!r} instead of {shared!r}"]
    if not isinstance(package, dict):
        return [f"{path}: not an object schema"]
    out: list[str] = []
    for key, value in shared.items():
        if key in ANNOTATIONS:
            continue
        if key not in package:
            out.append(f"{path}.{key}: dropped")
        elif key == "properties":
            for name, sub in value.items():
                if name not in package[key]:
                    out.append(f"{path}.properties.{name}: dropped")
                else:
                    out += _weakened(sub, package[key][name], f"{path}.{name}")
        elif key == "required":
            out += [f"{path}.required: {r} no longer required" for r in value if r not in package[key]]
        else:
            out += _weakened(value, package[key], f"{path}.{key}")
    return out


@pytest.fixture(scope="module")
def shared_schema() -> dict[str, Any]:
    path = SHARED / "report.schema.json"
    if not path.is_file():
        corpus_missing(path)
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample_report() -> dict[str, Any]:
    return json.loads(scan_path(SAMPLE).model_dump_json())


def test_the_package_schema_keeps_every_property_and_constraint_of_the_shared_contract(shared_schema) -> None:
    assert _weakened(shared_schema, load_schema("report"), "report") == []


def test_the_comparison_sees_a_dropped_property_and_a_loosened_type(shared_schema) -> None:
    package = load_schema("report")
    del package["properties"]["input"]["properties"]["sha256"]
    package["properties"]["permissions"]["items"]["properties"]["dangerous"]["type"] = "string"
    assert _weakened(shared_schema, package, "report") == [
        "report.input.properties.sha256: dropped", "report.permissions.items.dangerous.type: 'string' instead of 'boolean'"]


def test_a_report_is_valid_against_both_the_package_and_the_shared_schema(shared_schema, sample_report) -> None:
    for schema in (load_schema("report"), shared_schema):
        assert list(jsonschema.Draft202012Validator(schema).iter_errors(sample_report)) == []


def _undocumented(instance: Any, schema: dict[str, Any], path: str) -> list[str]:
    out: list[str] = []
    if isinstance(instance, dict) and not isinstance(schema.get("additionalProperties"), dict):
        props = schema.get("properties", {})
        for key, value in instance.items():
            out += [f"{path}.{key}"] if key not in props else _undocumented(value, props[key], f"{path}.{key}")
    elif isinstance(instance, list) and "items" in schema:
        for item in instance:
            out += _undocumented(item, schema["items"], f"{path}[]")
    return out


def test_every_field_a_report_carries_is_documented_in_the_package_schema(sample_report) -> None:
    assert sorted(set(_undocumented(sample_report, load_schema("report"), "report"))) == []
