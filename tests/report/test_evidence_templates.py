"""Evidence is structured and bilingual: every line comes from a template of knowledge/evidence.yaml, rendered in
Chinese and English from the facts a detector states, and those facts reach the report as fields."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from hegui.knowledge import evidence as ev_templates
from hegui.knowledge.evidence import EvidenceTemplateError, _parse, render, templates
from hegui.model import said
from hegui.pipeline import scan_path
from hegui.rules.evidence import evidence_item, identity

SRC = Path(__file__).resolve().parents[2] / "src" / "hegui"
SAMPLE = SRC / "samples" / "demo-shop.apk"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _template_uses() -> list[tuple[str, str, set[str], bool]]:
    """(file, template id, keyword facts, has **kwargs) for every said(kind, "id", …) in the package."""
    uses = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("said", "_evidence") and node.args):
                continue
            arg = node.args[-1]  # said(kind, template, …) or trace's _evidence(template, …)
            if isinstance(arg, ast.Name):
                continue  # a helper handing its own parameter on (trace's _evidence); its callers are checked
            choices = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
            keywords = {k.arg for k in node.keywords if k.arg}
            for choice in choices:
                assert isinstance(choice, ast.Constant) and isinstance(choice.value, str), (path, node.lineno)
                uses.append((str(path.relative_to(SRC)), choice.value, keywords,
                             any(k.arg is None for k in node.keywords)))
    return uses


def _sample_facts(template: ev_templates.Template) -> dict[str, str]:
    return {name: f"<{name}>" for name in template.required | template.optional}


def test_every_template_renders_in_chinese_and_english():
    for tid, template in templates().items():
        zh, en = render(tid, _sample_facts(template), "zh"), render(tid, _sample_facts(template), "en")
        assert CJK.search(zh), (tid, zh)
        assert en and not CJK.search(en.replace("APK 内未找到隐私政策", "")), (tid, en)


def test_every_evidence_line_in_the_code_names_a_template_and_gives_its_facts():
    uses = _template_uses()
    assert len(uses) > 40
    for file, tid, keywords, has_more in uses:
        assert tid in templates(), (file, tid)
        template = templates()[tid]
        unknown = keywords - template.required - template.optional - {"pi_type", "sdk", "permission", "api", "caller",
                                                                        "component", "file", "excerpt", "path"}
        assert not unknown, (file, tid, unknown)
        if not has_more:
            assert template.required <= keywords, (file, tid, template.required - keywords)


def test_every_template_is_used():
    used = {tid for _, tid, _, _ in _template_uses()} | {"more_of_kind"}
    assert set(templates()) == used


def test_a_template_without_its_chinese_text_is_refused_when_loaded():
    raw = {"templates": {"call_from": {"en": "{api} called from {caller}"}}, "vocab": {}}
    with pytest.raises(EvidenceTemplateError, match="template 'call_from': needs exactly the texts 'zh' and 'en'"):
        _parse(raw, "evidence.yaml")


def test_languages_that_state_different_facts_are_refused_when_loaded():
    raw = {"templates": {"call_from": {"en": "{api} called from {caller}", "zh": "{caler} 调用 {api}"}}, "vocab": {}}
    with pytest.raises(EvidenceTemplateError, match=r"template 'call_from': zh and en need different facts \(\['caler', 'caller'\]\)"):
        _parse(raw, "evidence.yaml")


def test_an_unknown_vocabulary_is_refused_when_loaded():
    raw = {"templates": {"t": {"en": "{by@cause}", "zh": "{by@cause}"}}, "vocab": {}}
    with pytest.raises(EvidenceTemplateError, match="template 't': unknown vocabulary 'cause'"):
        _parse(raw, "evidence.yaml")


def test_the_shipped_templates_load_with_the_same_check():
    text = (SRC / "knowledge" / "evidence.yaml").read_text(encoding="utf-8")
    assert set(_parse(yaml.safe_load(text), "evidence.yaml")[0]) == set(templates())


def test_a_fact_is_copied_never_read_as_a_placeholder():
    line = render("call_from", {"api": "{caller}", "caller": "[[pi_name_zh|x]]{api@launch_cause}"}, "en")
    assert line == "{caller} called from [[pi_name_zh|x]]{api@launch_cause}"


def test_an_optional_clause_appears_only_with_its_fact():
    facts = {"source": "assets/privacy.html", "element": "complaint", "element_zh": "投诉渠道"}
    assert render("policy_element_missing", facts, "zh") == "assets/privacy.html：隐私政策中未找到“投诉渠道”（complaint）"
    assert render("policy_element_missing", {**facts, "excerpt": "请致电客服。"}, "en") == (
        "assets/privacy.html: no complaint (投诉渠道) found in the policy; closest sentence: 请致电客服。")


def test_a_vocabulary_fact_is_said_in_each_language():
    facts = {"t": "1200", "by": "boot", "component": "com.example.Boot"}
    assert render("trace_launch", facts, "en") == "t=1200ms process started by the boot broadcast (com.example.Boot)"
    assert render("trace_launch", facts, "zh") == "t=1200ms 进程由开机广播启动（com.example.Boot）"


def test_a_call_line_keeps_api_caller_and_pi_type_as_fields():
    ev = said("call", "call_from", api="android.telephony.TelephonyManager#getDeviceId",
              caller="com.example.App#onCreate", pi_type="imei", pi_name_zh="IMEI")
    item = evidence_item(ev, identity(ev)[1])
    assert item.model_dump(exclude_none=True) == {
        "kind": "call", "template": "call_from",
        "detail": "android.telephony.TelephonyManager#getDeviceId called from com.example.App#onCreate",
        "zh": "com.example.App#onCreate 调用 android.telephony.TelephonyManager#getDeviceId（IMEI）",
        "api": "android.telephony.TelephonyManager#getDeviceId", "caller": "com.example.App#onCreate", "pi_type": "imei"}


def test_a_startup_path_is_kept_as_a_list_entry_first():
    ev = said("call", "runs_at_startup", path=["com.example.App#onCreate", "com.example.Sdk#init"])
    item = evidence_item(ev, identity(ev)[1])
    assert (item.detail, item.zh, item.path) == ("runs at startup: com.example.App#onCreate → com.example.Sdk#init",
                                                 "启动时执行：com.example.App#onCreate → com.example.Sdk#init",
                                                 ["com.example.App#onCreate", "com.example.Sdk#init"])


def test_every_evidence_line_of_a_real_scan_is_in_both_languages():
    report = scan_path(SAMPLE)
    items = [e for f in report.findings for e in f.evidence]
    assert items
    for item in items:
        assert item.template in templates(), item
        assert CJK.search(item.zh), item
    calls = [e for e in items if e.template in ("call_from", "call_from_reflection")]
    assert calls and all(e.api and e.caller and e.pi_type for e in calls)


def test_detectors_write_evidence_only_through_templates():
    free_text = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Evidence":
                free_text.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert free_text == [f"model.py:{_said_line()}"]


def _said_line() -> int:
    source = (SRC / "model.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(source, 1) if "return Evidence(" in line)
