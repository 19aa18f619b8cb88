"""Models of observations.yaml (the registry of observation kinds) and the trigger files rules/*.yaml, with the
checks of each trigger against the registry and the rulebook (see `hegui.knowledge.schema`)."""

from __future__ import annotations

import typing
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Literal

from pydantic import Field

from hegui.knowledge.schema import (
    Getter,
    NameSet,
    Severity,
    Strict,
    Words,
    cross_check,
    schema,
)
from hegui.knowledge.schema_catalog import PiCategory, Sensitivity, pi_type_ids

# ---- observations.yaml and the trigger files rules/*.yaml -----------------------------------------------------

AttrType = Literal["bool", "int", "number", "str", "str_list", "int_list"]
Vocabulary = Literal["pi_types", "pi_categories", "sensitivities", "policy_clauses", "sdk_categories"]


class Attribute(Strict):
    type: AttrType
    nullable: bool = False
    values: Words | None = None
    values_from: Vocabulary | None = None


class ObservationKind(Strict):
    producer: Annotated[str, Field(pattern=r"^hegui(\.[a-z_]+)+$")]
    description: str
    attrs: dict[str, Attribute] = {}


@schema("observations.yaml")
class Observations(Strict):
    observations: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], ObservationKind]


OPERATORS = ("in", "not_in", "gte", "lte", "exists", "not")


class TriggerEntry(Strict):
    rule: str
    observation: str
    where: dict[str, Any] = {}
    severity: Severity | None = None


@schema("rules/*.yaml")  # every trigger file; rules/trace.yaml adds its trace section below
class TriggerFile(Strict):
    triggers: list[TriggerEntry]


class TraceKnowledge(Strict):
    framework_prefixes: Words
    argument_context: Words
    receiver_as_first_arg: Words
    own_package_lookups: Words
    associated_start_apis: Words
    placeholder_values: Words
    min_value_length: int
    frequency_foreground_categories: list[PiCategory]
    permission_groups: dict[str, Words]
    consent_texts: Words
    refusal_texts: Words
    second_level_labels: NameSet


@schema("rules/trace.yaml")
class TraceTriggerFile(TriggerFile):
    trace: TraceKnowledge


def vocabulary(name: str, get: Getter) -> set[str]:
    if name == "pi_types":
        return pi_type_ids(get)
    if name == "pi_categories":
        return set(typing.get_args(PiCategory))
    if name == "sensitivities":
        return set(typing.get_args(Sensitivity))
    if name == "policy_clauses":
        return {c["id"] for c in get("policy_clauses.yaml")["policy_clauses"]}
    return set(get("sdk_categories.yaml")["sdk_categories"])


SCALAR_TYPES: dict[str, tuple[type, ...]] = {"bool": (bool,), "int": (int,), "number": (int, float), "str": (str,)}


def _value_problems(attr: str, spec: dict[str, Any], expected: Any, allowed: set[str] | None) -> Iterator[str]:
    """Why `expected` (a trigger's `where` value for `attr`) can never be a sensible match, if it cannot."""
    item = spec["type"].removesuffix("_list")
    if isinstance(expected, dict):
        for op, arg in expected.items():
            if op not in OPERATORS:
                yield f"where.{attr}: unknown operator {op!r} (expected: {', '.join(OPERATORS)})"
            elif op in ("gte", "lte"):
                if item not in ("int", "number") or isinstance(arg, bool) or not isinstance(arg, int | float):
                    yield f"where.{attr}: {op} needs a number attribute and a number (attribute is {spec['type']})"
            elif op == "exists":
                if not isinstance(arg, bool):
                    yield f"where.{attr}: exists takes true or false, not {arg!r}"
            elif op in ("in", "not_in"):
                if not isinstance(arg, list):
                    yield f"where.{attr}: {op} takes a list, not {arg!r}"
                else:
                    for a in arg:
                        yield from _value_problems(attr, spec, a, allowed)
            else:  # not
                yield from _value_problems(attr, spec, arg, allowed)
        return
    if isinstance(expected, list):
        for a in expected:
            if isinstance(a, list | dict):
                yield f"where.{attr}: a list of values may not nest {a!r}"
            else:
                yield from _value_problems(attr, spec, a, allowed)
        return
    if expected is None:
        if not spec.get("nullable"):
            yield f"where.{attr}: null never matches (attribute is {spec['type']}); use exists: false"
        return
    types_ = SCALAR_TYPES[item]
    if not isinstance(expected, types_) or (item != "bool" and isinstance(expected, bool)):
        yield f"where.{attr}: {expected!r} is not a {item} (attribute is {spec['type']})"
    elif allowed is not None and expected not in allowed:
        yield f"where.{attr}: unknown value {expected!r} (expected one of: {', '.join(sorted(allowed)[:12])}" + (
            ", …)" if len(allowed) > 12 else ")")


def _subject_problems(expected: Any, sdk_ids: set[str]) -> Iterator[str]:
    for value in expected if isinstance(expected, list) else [expected]:
        if not isinstance(value, str) or (value not in ("app", "sdk", "platform") and value not in sdk_ids):
            yield f"where.subject: {value!r} is neither app, sdk, platform nor an SDK id of sdks.yaml"


@cross_check("rules/*.yaml")
def _trigger_refs(data: Any, get: Getter) -> Iterator[str]:
    rules = {r["id"] for r in get("rulebook.yaml")["rules"]}
    kinds: dict[str, Any] = get("observations.yaml")["observations"]
    sdk_ids: set[str] | None = None
    vocab: dict[str, set[str]] = {}
    for i, t in enumerate(data["triggers"]):
        label = f"triggers[{i}] ({t['rule']})"
        if t["rule"] not in rules:
            yield f"{label}: unknown rule id {t['rule']!r} (rulebook.yaml)"
        kind = kinds.get(t["observation"])
        if kind is None:
            yield f"{label}: unknown observation kind {t['observation']!r} (observations.yaml){_near(t['observation'], kinds)}"
            continue
        attrs: dict[str, Any] = kind.get("attrs") or {}
        for attr, expected in (t.get("where") or {}).items():
            if attr == "subject":
                if sdk_ids is None:
                    sdk_ids = {s["id"] for s in get("sdks.yaml")["sdks"]}
                problems: Iterable[str] = _subject_problems(expected, sdk_ids)
            elif attr not in attrs:
                known = ", ".join(["subject", *attrs])
                problems = [f"where: {t['observation']} has no attribute {attr!r} (expected: {known})"]
            else:
                spec = attrs[attr]
                allowed = set(spec["values"]) if spec.get("values") else None
                if spec.get("values_from"):
                    if spec["values_from"] not in vocab:
                        vocab[spec["values_from"]] = vocabulary(spec["values_from"], get)
                    allowed = vocab[spec["values_from"]]
                problems = _value_problems(attr, spec, expected, allowed)
            for p in problems:
                yield f"{label}: {p}"


def _near(word: str, known: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
