"""App-type inference (2021 necessary-information rule, types 1..39) from label, package and policy."""

from __future__ import annotations

from hegui.policy import extract_policy, infer_app_category


def test_label_and_package_agree_on_maps():
    assert infer_app_category(None, "高德地图", "com.autonavi.minimap") == 1


def test_package_tokens_alone_can_decide():
    assert infer_app_category(None, None, "com.example.flashlight.tools") == 38


def test_policy_opening_text_counts():
    doc = extract_policy("某某网约车隐私政策\n本政策适用于我们的打车、叫车及顺风车服务。\n".encode(), "p.txt")
    assert infer_app_category(doc, None, None) == 2


def test_thin_evidence_gives_none():
    assert infer_app_category(None, "星辰", "com.example.app") is None


def test_a_tie_gives_none_rather_than_a_guess():
    assert infer_app_category(None, "新闻直播", None) is None


def test_nothing_known_gives_none():
    assert infer_app_category(None, None, None) is None
