"""Every PI type a knowledge file names is one of pi_types.yaml, so a report never shows a raw id."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hegui import knowledge
from hegui.report.render import pi_type_names
from knowledgekit import PACKAGE

# keys whose value is a PI type, a list of them, or a trigger's filter on them ({not: device_profile})
PI_KEYS = {"pi_type", "pi_types", "pi_type_refs", "payload_pi_types"}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | dict):
        for v in value.values() if isinstance(value, dict) else value:
            yield from _strings(v)


def _named(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, v in value.items():
            yield from _strings(v) if key in PI_KEYS else _named(v)
    elif isinstance(value, list):
        for v in value:
            yield from _named(v)


def _pi_types_named_by_the_knowledge() -> dict[str, set[str]]:
    named: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.yaml")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "observations.yaml":  # declares attributes (pi_type: {type: str}), names no PI type
            continue
        named[rel] = set(_named(knowledge.load_yaml(rel)))
    mini = knowledge.load_yaml("miniapp_apis.yaml")
    named["miniapp_apis.yaml"] |= set(mini["harmony_user_grant"].values()) | set(mini["harmony_modules"].values())
    named["policy_lexicon.yaml"] |= set(knowledge.load_yaml("policy_lexicon.yaml")["pi_terms"])
    return named


def test_every_pi_type_named_in_any_knowledge_file_is_in_pi_types_yaml() -> None:
    known = set(knowledge.pi_types())
    unknown = {f: sorted(names - known) for f, names in _pi_types_named_by_the_knowledge().items() if names - known}
    assert unknown == {}


def test_the_mini_program_forms_types_are_hegui_own_entries_with_names_and_no_android_api() -> None:
    pis = knowledge.pi_types()
    assert {i: (pis[i].category, pis[i].sensitivity, pis[i].permissions, pis[i].apis, pis[i].strings)
            for i in ("address", "profile", "invoice")} == {
        i: ("basic_profile", "personal", (), (), ()) for i in ("address", "profile", "invoice")}
    assert [pi_type_names(i) for i in ("address", "profile", "invoice")] == [
        ("收货地址 (收件人姓名、电话、详细地址)", "Shipping address (recipient name, phone number, address)"),
        ("用户昵称、头像", "User nickname and avatar"),
        ("发票抬头 (名称、税号)", "Invoice title (name, tax id)")]
