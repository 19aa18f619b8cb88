"""Every rule of the rulebook tells the developer how to fix it, in Chinese and in English."""

from __future__ import annotations

import re

from hegui.knowledge import rulebook

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_rulebook_holds_all_77_catalog_rules_and_the_mini_program_ones():
    mini_program = {"PI-MP-INTERFACE-UNDECLARED", "PI-MP-PURPOSE-MISSING", "PI-MP-PRIVACY-CHECK-OFF"}
    assert mini_program <= set(rulebook())
    assert len(set(rulebook()) - mini_program) == 77


def test_every_rule_has_a_chinese_and_an_english_remediation():
    missing = [r.id for r in rulebook().values() if not r.remediation_zh.strip() or not r.remediation_en.strip()]
    assert missing == []


def test_every_chinese_remediation_is_written_in_chinese():
    not_chinese = [r.id for r in rulebook().values() if len(CJK.findall(r.remediation_zh)) < 10]
    assert not_chinese == []


def test_chinese_remediation_is_not_a_copy_of_the_english_one():
    copies = [r.id for r in rulebook().values() if r.remediation_zh == r.remediation_en]
    assert copies == []


def test_consent_rule_remediation_uses_the_regulators_wording():
    assert "同意" in rulebook()["PI-COLLECT-BEFORE-CONSENT"].remediation_zh
    assert "第三方SDK清单" in rulebook()["PI-SDK-LIST-MISSING-OR-MISMATCH"].remediation_zh
    assert "关联启动" in rulebook()["PI-START-ASSOCIATED"].remediation_zh
