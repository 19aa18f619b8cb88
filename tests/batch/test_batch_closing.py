"""What a person reads when a batch ends or resumes, and the index page of an HTML batch."""

from __future__ import annotations

from pathlib import Path

from selectolax.lexbor import LexborHTMLParser
from typer.testing import CliRunner

from hegui.cli import app

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "src/hegui/samples/demo-shop.apk"


def _folder(tmp_path: Path) -> Path:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "shop.apk").write_bytes(SAMPLE.read_bytes())
    (inputs / "<b>bad<b>.apk").write_bytes(b"not an apk")
    return inputs


def scan(*args: str):
    return CliRunner().invoke(app, ["scan", *args], catch_exceptions=False)


def test_a_batch_ends_with_counts_by_status_and_severity_and_where_the_summary_is(tmp_path):
    out = tmp_path / "out"
    result = scan(str(_folder(tmp_path)), "--output", str(out))
    closing = [line for line in result.stderr.splitlines() if line.startswith("hegui: ")]
    assert closing == [
        "hegui: 2 inputs: 1 scanned now, 1 failed, 0 finished before / 共 2 个输入",
        "hegui: apps by most severe finding: 1 critical",
        f"hegui: summary: {out / 'summary.json'}, {out / 'findings_by_rule.csv'}, {out / 'sdk_prevalence.csv'}",
    ]


def test_a_resumed_batch_says_how_many_inputs_were_already_finished(tmp_path):
    inputs, out = _folder(tmp_path), tmp_path / "out"
    scan(str(inputs), "--output", str(out), "--quiet")
    result = scan(str(inputs), "--output", str(out))
    assert result.stderr.splitlines()[0] == f"hegui: resuming in {out}: 2 of 2 inputs already finished, 0 to scan"


def test_an_html_batch_writes_an_index_page_linking_each_report(tmp_path):
    out = tmp_path / "out"
    scan(str(_folder(tmp_path)), "--output", str(out), "--format", "html", "--quiet")
    page = LexborHTMLParser((out / "index.html").read_text(encoding="utf-8"))
    rows = [[" ".join(td.text().split()) for td in tr.css("td")] for tr in page.css("#inputs tr") if tr.css("td")]
    assert [r[1].split()[0] for r in rows] == ["失败", "完成"]  # failures first
    assert rows[0][0].endswith("<b>bad<b>.apk") and not page.css("#inputs b")  # the name is text, not markup
    [link] = page.css("#inputs a")
    assert (out / link.attributes["href"]).is_file() and link.attributes["href"].endswith(".html")


def test_a_json_batch_writes_no_index_page(tmp_path):
    out = tmp_path / "out"
    scan(str(_folder(tmp_path)), "--output", str(out), "--quiet")
    assert not (out / "index.html").exists()
