"""`--format pdf`: the report a testing body signs, typeset on A4 with Chinese text, its header, a summary page,
a table of contents and page numbers. The pages are also rendered to PNG in test-output/ for a person to look at."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from hegui.cli import app

pytest.importorskip("weasyprint")

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "src/hegui/samples/demo-shop.apk"
SHOTS = REPO / "test-output" / "pdf-report"
HEADER = """\
testing_body_zh: 某省通信管理局个人信息保护检测中心
testing_body_en: Provincial PI protection test centre
number_scheme: "GDCA-{date:%Y}-{sha8}"
report_date: 2026-12-01
tester: 张三
reviewer: 李四
"""


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("pdf")
    header = folder / "header.yaml"
    header.write_text(HEADER, encoding="utf-8")
    out = folder / "report.pdf"
    result = CliRunner().invoke(app, ["scan", str(SAMPLE), "--format", "pdf", "--output", str(out),
                                      "--report-header", str(header)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return out.read_bytes()


def pages(pdf: bytes) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(BytesIO(pdf)).pages]


def test_the_first_page_names_the_testing_body_report_number_and_app_in_chinese(pdf):
    first = pages(pdf)[0]
    assert "个人信息合规检测报告" in first
    assert "某省通信管理局个人信息保护检测中心" in first
    assert "GDCA-2026-" in first and "2026-12-01" in first
    assert "演示商店" in first and "com.demo.shop" in first


def test_every_page_carries_its_number_and_the_page_count(pdf):
    texts = pages(pdf)
    for n, text in enumerate(texts, start=1):
        assert f"第 {n} 页 / 共 {len(texts)} 页" in text


def test_the_contents_and_the_summary_by_rule_come_before_the_findings(pdf):
    text = " ".join(pages(pdf))
    assert text.index("目录 Contents") < text.index("按规则汇总") < text.index("检测结论 Findings 严重")
    assert "工信部信管函〔2020〕164号" in text


def test_the_last_page_has_the_signature_lines_with_the_named_signatories(pdf):
    last = pages(pdf)[-1]
    assert "签字 Signatures" in last and "张三" in last and "李四" in last


def test_the_pages_render_to_png_for_review(pdf, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    SHOTS.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "3", str(source), str(SHOTS / "page")],
                   check=True, timeout=120)
    shots = sorted(SHOTS.glob("page-*.png"))
    assert len(shots) == 3 and all(s.stat().st_size > 10_000 for s in shots)
