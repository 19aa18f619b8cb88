"""`hegui scan` as ../shared/CONTRACT.md fixes it: outputs, formats, exit status, --policy and --trace."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apkbuild import build_apk, launcher_activity, manifest
from expect import DEMO_SHOP, DEMO_SHOP_POLICY_GAPS, assert_findings
from hegui.cli import app
from scanfixtures import APP, APP_CLASS, COMPLETE_POLICY, MAIN, consenting_app_smali

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "src/hegui/samples/demo-shop.apk"
TRACES = REPO / "tests/data/traces"
runner = CliRunner()


def hegui(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_one_input_without_output_prints_the_json_report(report_validator):
    result = hegui("scan", str(SAMPLE))
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    report_validator(report)
    assert report["app"]["package"] == "com.demo.shop" and report["app"]["label"] == "演示商店"
    assert report["input"]["size"] == SAMPLE.stat().st_size


def test_fail_on_exits_1_when_a_finding_is_that_severe():
    assert hegui("scan", str(SAMPLE), "--fail-on", "critical").exit_code == 1


@pytest.mark.apktool
def test_fail_on_high_passes_an_app_without_high_findings(tmp_path):
    xml = manifest(APP, launcher_activity(MAIN), permissions=["android.permission.INTERNET"],
                   application_attrs=f'android:name="{APP_CLASS}" android:label="Shop"')
    apk = build_apk(tmp_path, xml, consenting_app_smali(), assets={"privacy.html": COMPLETE_POLICY})
    result = hegui("scan", str(apk), "--fail-on", "high")
    assert result.exit_code == 0, result.stdout[-2000:]


@pytest.mark.parametrize("fmt", ["json", "html", "sarif", "xlsx"])
def test_each_format_is_written_to_the_output_file(tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    assert hegui("scan", str(SAMPLE), "--format", fmt, "--output", str(out)).exit_code == 0
    data = out.read_bytes()
    if fmt == "html":
        assert "演示商店" in data.decode("utf-8") and "PI-SDK-COLLECT-BEFORE-CONSENT" in data.decode("utf-8")
    elif fmt == "sarif":
        sarif = json.loads(data)
        assert sarif["version"] == "2.1.0"
        assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {rule for rule, _, _ in DEMO_SHOP}
    elif fmt == "xlsx":
        assert zipfile.is_zipfile(out)
    else:
        assert json.loads(data)["schema_version"] == "1"


def test_output_folder_for_one_input_names_the_report_by_sha256(tmp_path):
    assert hegui("scan", str(SAMPLE), "--output", str(tmp_path)).exit_code == 0
    [written] = list(tmp_path.iterdir())
    assert written.name == json.loads(written.read_text(encoding="utf-8"))["input"]["sha256"] + ".json"


def test_an_unreadable_input_is_exit_2_with_one_line_naming_it(tmp_path):
    bad = tmp_path / "not-an-apk.apk"
    bad.write_bytes(b"hello")
    result = hegui("scan", str(bad))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"{bad}: ")


def test_a_missing_file_is_exit_2():
    result = hegui("scan", "/nonexistent/app.apk")
    assert result.exit_code == 2 and result.stderr.startswith("/nonexistent/app.apk: ")


def test_several_inputs_need_an_output_folder(tmp_path):
    result = hegui("scan", str(SAMPLE), str(SAMPLE))
    assert result.exit_code == 2 and "--output DIR" in result.stderr


@pytest.mark.parametrize(("options", "named"), [
    (["--trace", "t.jsonl"], "--trace describes one app: give it"),
    (["--listing", "l.yaml"], "--listing describes one app: give it"),
    (["--trace", "t.jsonl", "--listing", "l.yaml"], "--trace and --listing describe one app: give them"),
])
def test_a_trace_or_a_listing_is_refused_for_a_batch(tmp_path, options, named):
    result = hegui("scan", str(SAMPLE), str(SAMPLE), "--output", str(tmp_path / "out"), *options)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"hegui: {named} with a single APK, not a batch"
    assert not (tmp_path / "out").exists()


def test_an_unknown_format_is_a_usage_error():
    assert runner.invoke(app, ["scan", str(SAMPLE), "--format", "docx"]).exit_code == 2


def test_policy_option_replaces_the_policy_inside_the_apk(tmp_path):
    policy = tmp_path / "policy.html"
    policy.write_text(COMPLETE_POLICY, encoding="utf-8")
    report = json.loads(hegui("scan", str(SAMPLE), "--policy", str(policy)).stdout)
    assert report["policy"]["source"] == str(policy)
    assert report["policy"]["elements"]["complaint_channel"] is True
    assert_findings(report, DEMO_SHOP - DEMO_SHOP_POLICY_GAPS)


def test_trace_option_adds_runtime_evidence_to_the_same_findings(tmp_path, report_validator):
    result = hegui("scan", str(SAMPLE), "--trace", str(TRACES / "umeng_before_consent.trace.jsonl"))
    report = json.loads(result.stdout)
    report_validator(report)
    # the trace adds the app's own IMSI read before consent and Umeng's upload of IMEI/Android ID
    assert_findings(report, DEMO_SHOP | {("PI-COLLECT-BEFORE-CONSENT", "app", "critical"),
                                         ("PI-SHARE-CLIENT-TO-THIRD-PARTY", "umeng_analytics", "critical")})
    [finding] = [f for f in report["findings"]
                 if f["rule_id"] == "PI-SDK-COLLECT-BEFORE-CONSENT" and f["subject"] == "umeng_analytics"]
    assert {e["kind"] for e in finding["evidence"]} == {"call", "trace"}


def test_a_corrupt_trace_line_is_reported_and_the_scan_completes():
    report = json.loads(hegui("scan", str(SAMPLE), "--trace", str(TRACES / "corrupt.trace.jsonl")).stdout)
    assert any(e["stage"] == "trace" and e["message"].startswith("line ") for e in report["errors"])


def test_a_folder_scan_honours_fail_on_and_writes_the_index(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "shop.apk").write_bytes(SAMPLE.read_bytes())
    result = hegui("scan", str(inputs), "--output", str(tmp_path / "out"), "--fail-on", "critical", "--quiet")
    assert result.exit_code == 1
    [line] = (tmp_path / "out/index.json").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["status"] == "done"


def test_a_folder_where_nothing_is_readable_is_exit_2(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "junk.apk").write_bytes(b"junk")
    assert hegui("scan", str(inputs), "--output", str(tmp_path / "out"), "--quiet").exit_code == 2
