"""The policy lexicon's thresholds and word tables are data checked by its schema, and the analysis reads them
from there (issue 15 item 5): a typo in them is an error naming the file and the key."""

from __future__ import annotations

from hegui.knowledge.schema import check
from hegui.policy import analyse_policy, extract_policy
from knowledgekit import edited  # noqa: F401 - fixture

LANGUAGE = "language:\n  chinese_text_share: 0.3\n"


def test_a_misspelt_chinese_text_share_fails_the_check(edited) -> None:  # noqa: F811 - the fixture
    root = edited("policy_lexicon.yaml", LANGUAGE, LANGUAGE.replace("chinese_text_share", "chinese_txt_share"))
    assert check(root) == [
        "knowledge/policy_lexicon.yaml: language.chinese_text_share: missing",
        "knowledge/policy_lexicon.yaml: language: unknown key 'chinese_txt_share' (expected: chinese_line_share, "
        "chinese_sentence_share, chinese_text_share, min_chinese_sentences, numerals, traditional)"]


def test_a_handling_time_pattern_without_its_unit_group_fails_the_check(edited) -> None:  # noqa: F811
    old = "  response_time: '(\\d{1,3}|[一二两三四五六七八九十]{1,3})\\s*个?(工作日|自然日|日|天)'"
    root = edited("policy_lexicon.yaml", old, old.replace("个?(工作日|自然日|日|天)", "个?(?:工作日|自然日|日|天)"))
    assert check(root) == [
        "knowledge/policy_lexicon.yaml: complaint_response.response_time: needs two groups (the number, then its unit)"]


def test_a_handling_time_in_chinese_numerals_is_read_through_the_lexicon_numerals() -> None:
    text = ("我们将在收到您的投诉后十五个工作日内答复。您可以通过客服电话400-000-0000或邮箱service@example.com"
            "联系我们进行投诉。").encode()
    assert analyse_policy(extract_policy(text, "p.txt")).complaint_days == (15, "工作日")


def test_a_mostly_english_page_is_no_chinese_version() -> None:
    text = ("This privacy policy explains what we collect. We collect your device identifiers to run the service. "
            "你好。").encode()
    assert analyse_policy(extract_policy(text, "p.txt")).elements["language_simplified_chinese"].present is False
