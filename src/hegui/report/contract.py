"""The published contracts: the JSON schemas of hegui's report and runtime trace, shipped in the package.

`report.schema.json` here is the single source (a superset of ../shared/report.schema.json: it may add fields,
never drop or retype one); the trace event schema lives with its reader in `hegui/trace/trace.schema.json`.
`hegui schema report|trace` prints them.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

# paths inside the hegui package (read as package data, so they also work from a wheel)
SCHEMA_FILES = {"report": "report/report.schema.json", "trace": "trace/trace.schema.json"}


def schema_text(name: str) -> str:
    """The schema `name` ("report" or "trace") exactly as shipped."""
    return resources.files("hegui").joinpath(SCHEMA_FILES[name]).read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    return json.loads(schema_text(name))
