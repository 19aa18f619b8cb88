"""SDK identification on the 20 real Chinese APKs of shared/corpus/github-cn-apks, pinned to the independent
ground truth (ground_truth.tsv, column sdk_ground_truth): every SDK it names is found, nothing else is.

The annotator's names are mapped to hegui ids by benchmarks/real_apps.py (GT_TO_HEGUI), which prints the same
numbers. SDKs whose manifest components are declared but whose code is absent (declared-only) are not "in" the
APK and must not be counted; development libraries (LeakCanary) are checked only where the ground truth names
them. Skipped when the corpus is absent, except under CI=true where a missing corpus fails.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from real_apps import GT_TO_HEGUI, found_sdks, ground_truth_sdks, read_ground_truth, score_sdks  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "github-cn-apks"
APPS = [
    "cn.sharesdk.demo.apk", "cn.sharesdk.demo.tpl.apk", "cn.zk520.zk.apk", "co.mide.md5er.apk",
    "com.alipay.sdk.pay.demo.apk", "com.ansen.shoenet.apk", "com.biubike.apk", "com.geetest.gtappdemo.apk",
    "com.mob.demo.mobim.apk", "com.mob.glesdemo.apk", "com.mob.moblink.demo.apk", "com.mob.shop.demo.apk",
    "com.readboy.smsdemo.apk", "com.readboy.youdaoai.apk", "com.red.apk", "com.sina.weibo.sdk.demo.apk",
    "com.sjk.palette.apk", "com.sjk.zcmu.score.apk", "com.xuexiang.xgdemo.apk", "wapchief.com.collectiondemo.apk",
]


def _corpus() -> Path:
    if not (CORPUS / "ground_truth.tsv").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the github-cn-apks corpus is missing at {CORPUS}")
        pytest.skip(f"github-cn-apks corpus not found at {CORPUS}")
    return CORPUS


@cache
def _rows() -> dict[str, dict[str, str]]:
    return {row["file"]: row for row in read_ground_truth(CORPUS)}


@cache
def _score(file: str):
    expected = ground_truth_sdks(_rows()[file]["sdk_ground_truth"])
    found, libraries, report = found_sdks(CORPUS / "apks" / file)
    return score_sdks(expected, found, libraries), report


def test_ground_truth_cells_parse_into_sdk_names() -> None:
    cell = "mob_core(213 classes, 3 manifest comps); mob_sharerec(620 classes); weibo(6 classes)"
    assert ground_truth_sdks(cell) == ["mob_core", "mob_sharerec", "weibo"]
    assert ground_truth_sdks("none (only the app's own package com.geetest.gtappdemo, 17 classes)") == []
    assert ground_truth_sdks("none") == []


def test_the_corpus_lists_exactly_these_apps_and_every_name_is_mapped() -> None:
    _corpus()
    assert sorted(_rows()) == APPS
    names = {n for row in _rows().values() for n in ground_truth_sdks(row["sdk_ground_truth"])}
    assert names - set(GT_TO_HEGUI) == set()


@pytest.mark.parametrize("file", APPS)
def test_every_ground_truth_sdk_found_and_nothing_else(file: str) -> None:
    _corpus()
    score, _report = _score(file)
    assert (score.missed, score.extra) == ([], [])


def test_total_recall_and_precision_reach_the_target() -> None:
    _corpus()
    scores = [_score(f)[0] for f in APPS]
    expected = sum(len(s.expected) for s in scores)
    reported = sum(len(s.reported) for s in scores)
    recall = sum(s.true_positives for s in scores) / expected
    precision = (reported - sum(len(s.extra) for s in scores)) / reported
    assert (expected, recall >= 0.95, precision >= 0.95) == (38, True, True)


def test_sdks_only_declared_in_the_manifest_are_reported_as_declared_only() -> None:
    """ThirdPartyLogin declares the WeChat callback activity (its own wxapi.WXEntryActivity) but ships no WeChat
    SDK class: WeChat is listed, marked declared-only, and no finding is raised for it."""
    _corpus()
    _score_, report = _score("cn.sharesdk.demo.tpl.apk")
    declared_only = {s.id: s.evidence[0] for s in report.sdks if s.declared_only}
    assert declared_only == {"wechat_opensdk": "declared only: the manifest names its components but no class of "
                                               "the SDK is in the DEX"}
    assert [f.rule_id for f in report.findings if f.subject == "wechat_opensdk"] == []


def test_platform_library_call_sites_are_never_the_apps() -> None:
    """md5er is built with AndroidX only: the libraries' call sites (TextViewCompat, ShortcutManagerCompat,
    ActivityChooserModel, TwilightManager…) are reported under platform:<library>, none of them collects (specific
    intents, a location read without the permission) or runs from live startup code, so the app has only the
    missing privacy policy."""
    _corpus()
    _score_, report = _score("co.mide.md5er.apk")
    assert sorted((f.rule_id, f.subject, f.severity) for f in report.findings) == [("PI-POLICY-ABSENT", "app", "high")]
    platform_calls = [c for c in report.sensitive_calls if c.platform_library]
    assert platform_calls and {c.platform_library for c in platform_calls} >= {"androidx.appcompat", "androidx.core"}
    judged = {(c.pi_type, c.collects) for c in platform_calls if c.pi_type in ("installed_apps", "location_precise")}
    # ActivityChooserModel (ShareActionProvider's) and ShortcutManagerCompat are dead code in md5er: nothing
    # reaches them, no layout or menu names them, so they are not sensitive calls at all
    assert judged == {("installed_apps", "not_broad"), ("location_precise", "no_permission")}
    assert [c.caller for c in report.sensitive_calls if c.sdk is None and c.platform_library is None] == []
