"""An input the user names is used or refused out loud: exit 2 and one line on standard error for a named file that
cannot be read or parsed, a warning line for one only partly read, and never a report that claims what the scan
did not establish."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from hegui.cli import app

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "src/hegui/samples/demo-shop.apk"
TRACES = REPO / "tests/data/traces"
runner = CliRunner()


def hegui(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def refused(result, line: str) -> None:
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == line + "\n"


def test_a_missing_policy_file_is_refused_not_reported_as_no_policy(tmp_path):
    missing = tmp_path / "missing.html"
    refused(hegui("scan", str(SAMPLE), "--policy", str(missing)),
            f"hegui: --policy {missing}: policy file not found")


def test_a_policy_file_that_is_not_text_is_refused(tmp_path):
    binary = tmp_path / "policy.html"
    binary.write_bytes(b"\x00\x01\x02" * 1000)
    result = hegui("scan", str(SAMPLE), "--policy", str(binary))
    assert result.exit_code == 2 and result.stderr.startswith(f"hegui: --policy {binary}: ")
    assert result.stderr.count("\n") == 1


def test_a_missing_listing_file_is_refused(tmp_path):
    missing = tmp_path / "listing.yaml"
    refused(hegui("scan", str(SAMPLE), "--listing", str(missing)),
            f"hegui: --listing {missing}: cannot read the listing (No such file or directory)")


def test_a_listing_with_an_unknown_field_is_refused(tmp_path):
    listing = tmp_path / "listing.yaml"
    listing.write_text("store: 小米应用商店\nversoin_name: 1.2.0\n", encoding="utf-8")
    result = hegui("scan", str(SAMPLE), "--listing", str(listing))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"hegui: --listing {listing}: listing has unknown field 'versoin_name' (known: ")


def test_a_missing_trace_is_refused(tmp_path):
    missing = tmp_path / "app.trace.jsonl"
    refused(hegui("scan", str(SAMPLE), "--trace", str(missing)), f"hegui: --trace {missing}: no such file")


def test_a_trace_that_is_not_json_lines_is_refused(tmp_path):
    trace = tmp_path / "app.trace.jsonl"
    trace.write_text("<html>not a trace</html>\n", encoding="utf-8")
    result = hegui("scan", str(SAMPLE), "--trace", str(trace))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"hegui: --trace {trace}: no event could be read (line 1: ")
    assert result.stderr.count("\n") == 1


def test_a_partly_readable_trace_is_used_with_a_warning_per_bad_line():
    trace = TRACES / "corrupt.trace.jsonl"
    result = hegui("scan", str(SAMPLE), "--trace", str(trace))
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith(f"hegui: warning: --trace {trace}: ")]
    assert warnings and all(line.endswith("; that line is not used") for line in warnings)
    report = json.loads(result.stdout)
    assert any(f["rule_id"] == "PI-SDK-COLLECT-BEFORE-CONSENT" and "trace" in {e["kind"] for e in f["evidence"]}
               for f in report["findings"])


def test_an_output_file_in_a_missing_folder_is_refused_before_the_scan(tmp_path):
    out = tmp_path / "no" / "such" / "report.json"
    refused(hegui("scan", str(SAMPLE), "--output", str(out)),
            f"hegui: --output {out}: folder {out.parent} does not exist")


def test_an_output_file_for_several_inputs_is_refused(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("{}", encoding="utf-8")
    refused(hegui("scan", str(SAMPLE), str(SAMPLE), "--output", str(out)),
            f"hegui: --output {out}: several inputs need a folder, and this is a file")


def test_a_missing_input_says_so(tmp_path):
    missing = tmp_path / "app.apk"
    result = hegui("scan", str(missing))
    assert result.exit_code == 2 and result.stderr == f"{missing}: no such file\n"


def test_a_partly_read_apk_is_reported_with_a_warning_line_per_problem(tmp_path):
    # the sample with its central directory cut off: the reader recovers the entries from their local headers
    data = SAMPLE.read_bytes()
    truncated = tmp_path / "truncated.apk"
    truncated.write_bytes(data[: data.rindex(b"PK\x01\x02")])
    result = hegui("scan", str(truncated))
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["errors"]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("hegui: warning: ")]
    assert warnings[0] == (f"hegui: warning: {truncated}: {report['errors'][0]['stage']}: "
                           f"{report['errors'][0]['message']}")


def test_a_complete_scan_prints_no_warning():
    result = hegui("scan", str(SAMPLE))
    assert result.exit_code == 0 and "warning" not in result.stderr


def test_a_report_header_with_an_unknown_field_is_refused(tmp_path):
    header = tmp_path / "header.yaml"
    header.write_text("testing_body: 检测中心\n", encoding="utf-8")
    result = hegui("scan", str(SAMPLE), "--format", "html", "--report-header", str(header))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"hegui: --report-header {header}: report header field 'testing_body': ")


def test_a_report_number_scheme_with_an_unknown_placeholder_is_refused(tmp_path):
    header = tmp_path / "header.yaml"
    header.write_text("number_scheme: 'R-{serial}'\n", encoding="utf-8")
    result = hegui("scan", str(SAMPLE), "--format", "html", "--report-header", str(header))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"hegui: --report-header {header}: number_scheme names unknown placeholder "
                                    "{serial} (known: {date}, {sha8}, {sha256}, {package}, {version})")


def test_a_report_header_heads_the_html_report(tmp_path):
    header = tmp_path / "header.yaml"
    header.write_text("testing_body_zh: 某检测中心\nnumber_scheme: 'R-{package}'\n", encoding="utf-8")
    result = hegui("scan", str(SAMPLE), "--format", "html", "--report-header", str(header))
    assert result.exit_code == 0
    assert "某检测中心" in result.stdout and ">R-com.demo.shop<" in result.stdout


def test_a_report_header_heads_every_report_of_a_batch_each_with_its_own_number(tmp_path):
    header = tmp_path / "header.yaml"
    header.write_text("testing_body_zh: 某检测中心\nnumber_scheme: 'R-{sha8}'\n", encoding="utf-8")
    folder = tmp_path / "apks"
    folder.mkdir()
    (folder / "a.apk").write_bytes(SAMPLE.read_bytes())
    other = folder / "b.apk"
    other.write_bytes(SAMPLE.read_bytes())
    with zipfile.ZipFile(other, "a") as zf:
        zf.comment = b"another build"  # same app, other bytes: a second report
    out = tmp_path / "out"
    result = hegui("scan", str(folder), "--format", "html", "--report-header", str(header), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    pages = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.html") if p.name != "index.html"}
    assert len(pages) == 2
    for name, html in pages.items():
        assert "某检测中心" in html and f">R-{name[:8]}<" in html
