"""Traditional-character policies: Chinese, but not the simplified-Chinese version; read, and quoted as written."""

from __future__ import annotations

from hegui.policy import analyse_policy, extract_policy
from hegui.policy.script import is_traditional, to_simplified

TRADITIONAL = """# 隱私政策

本隱私權原則適用於河流遊戲股份有限公司的遊戲和相關服務。

## 我們收集的資料

當您註冊帳號時，我們會收集您的電話號碼和電子郵寄地址，用於登入和找回密碼。

## 數據保留

我們會在您的帳戶有效期間或為您提供服務所需的期間內保留資訊，期限屆滿後刪除。

## 聯絡我們

郵件：support@example.com
"""



def _analyse(text: str):
    return analyse_policy(extract_policy(text.encode("utf-8"), "policy.md"))


def test_a_traditional_page_is_chinese_but_not_the_simplified_version():
    analysis = _analyse(TRADITIONAL)
    assert is_traditional(TRADITIONAL)
    assert not analysis.elements["language_simplified_chinese"].present


def test_a_simplified_page_with_a_traditional_company_name_is_simplified():
    text = "本政策适用于香港某某有限公司（英文：Example）的服務。我们会收集您的手机号码，用于登录。" * 3
    assert not is_traditional(text)
    assert _analyse(text).elements["language_simplified_chinese"].present


def test_a_page_with_simplified_text_next_to_the_traditional_one_has_the_simplified_version():
    simplified = to_simplified(TRADITIONAL)
    assert not is_traditional(TRADITIONAL + "\n" + simplified)
    assert _analyse(TRADITIONAL + "\n" + simplified).elements["language_simplified_chinese"].present


def test_a_traditional_page_is_read_in_simplified_characters_and_quoted_in_its_own():
    analysis = _analyse(TRADITIONAL)
    retention = analysis.elements["retention"]
    assert retention.present
    assert retention.excerpt == "我們會在您的帳戶有效期間或為您提供服務所需的期間內保留資訊，期限屆滿後刪除。"
    assert analysis.declared_pi_types == ["phone_number"]
    assert analysis.pi_excerpts["phone_number"] == "當您註冊帳號時，我們會收集您的電話號碼和電子郵寄地址，用於登入和找回密碼。"


def test_conversion_keeps_every_character_in_place():
    converted = to_simplified(TRADITIONAL)
    assert len(converted) == len(TRADITIONAL)
    assert "我们收集的信息" in converted  # 資料 is the regional word for 信息
    assert "登录" in converted
