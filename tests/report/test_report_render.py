"""`hegui.report.render`: one entry point for every output format of `hegui scan --format`."""

from __future__ import annotations

import json

import pytest

from hegui.report.model import Report, SourceRef
from hegui.report.render import FORMATS, UnknownFormatError, clause_text, extension, render


def test_formats_are_the_four_of_the_contract_and_pdf():
    assert FORMATS == ("json", "html", "pdf", "sarif", "xlsx")


@pytest.mark.parametrize("fmt", FORMATS)
def test_extension_names_each_format(fmt):
    assert extension(fmt) == fmt


def test_unknown_format_is_a_one_line_error(report):
    with pytest.raises(UnknownFormatError,
                       match=r"^unknown report format 'docx' \(choose one of json, html, pdf, sarif, xlsx\)$"):
        render(report, "docx")
    with pytest.raises(UnknownFormatError):
        extension("docx")


def test_json_is_the_whole_report_in_readable_utf8(report, report_validator):
    data = render(report, "json")
    text = data.decode("utf-8")
    assert "演示商城 DemoShop" in text  # not \\u escapes
    assert text.startswith('{\n  "schema_version": "1",')
    parsed = json.loads(text)
    report_validator(parsed)
    assert Report.model_validate(parsed) == report


def test_json_keeps_null_fields(report, report_validator):
    parsed = json.loads(render(report, "json"))
    report_validator(parsed)
    assert parsed["sensitive_calls"][0]["sdk"] is None
    assert "company" in parsed["sdks"][0]


@pytest.mark.parametrize(("doc", "clause", "cited"), [
    ("MIIT-2020-164", "三.1", "工信部信管函〔2020〕164号 三.1"),
    ("CAC-2019-191", "二.4", "国信办秘字〔2019〕191号 二.4"),
    ("PIPL", "第十三条", "《中华人民共和国个人信息保护法》 第十三条"),
    ("GBT-35273-2020", "5.5", "GB/T 35273-2020 5.5"),
    ("NOT-A-DOC", "7", "NOT-A-DOC 7"),
])
def test_clauses_are_cited_by_document_number_or_title(doc, clause, cited):
    assert clause_text(SourceRef(doc=doc, clause=clause)) == cited


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_an_empty_report(fmt):
    empty = Report.model_validate({"tool": {"version": "0.1.0"},
                                   "input": {"path": "x.apk", "sha256": "0" * 64, "size": 0}})
    assert len(render(empty, fmt)) > 100
