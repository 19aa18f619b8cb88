"""`hegui rules check` for someone editing the knowledge files, `hegui schema` for someone reading hegui's output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from hegui import knowledge
from hegui.cli import app

PACKAGE = Path(knowledge.__file__).resolve().parent
SRC = PACKAGE.parent
runner = CliRunner()


def hegui(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_rules_check_of_hegui_own_knowledge_prints_ok_and_exits_0() -> None:
    result = hegui("rules", "check")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "OK\n", "")


def test_rules_check_of_a_folder_with_a_misspelt_key_prints_the_problem_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    static = (PACKAGE / "rules/static.yaml").read_text(encoding="utf-8")
    assert static.count("    where: {pi_type: clipboard") == 1
    static = static.replace("    where: {pi_type: clipboard", "    wher: {pi_type: clipboard")
    (tmp_path / "rules/static.yaml").write_text(static, encoding="utf-8")
    result = hegui("rules", "check", str(tmp_path))
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        "knowledge/rules/static.yaml: triggers[6] (PI-CLIPBOARD-READ): unknown key 'wher' (expected: observation, "
        "rule, severity, where)"]
    assert result.stderr == "hegui: 1 problem(s) in the knowledge files\n"


def test_rules_check_reports_cross_file_problems_once_the_schema_holds(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE / "rules", tmp_path / "rules")
    listing = tmp_path / "rules/listing.yaml"
    listing.write_text(listing.read_text(encoding="utf-8").replace(
        "observation: listing_contact_invalid}", "observation: listing_contact_invalid, where: {contacts: x}}"),
        encoding="utf-8")
    result = hegui("rules", "check", str(tmp_path))
    assert (result.exit_code, result.stdout.splitlines()) == (2, [
        "knowledge/rules/listing.yaml: triggers[6] (PI-STORE-REVIEW-LAX): where: listing_contact_invalid has no "
        "attribute 'contacts' (expected: subject, contact)"])


def test_rules_check_of_a_missing_folder_exits_2(tmp_path: Path) -> None:
    result = hegui("rules", "check", str(tmp_path / "nowhere"))
    assert (result.exit_code, result.stderr) == (2, f"hegui: {tmp_path / 'nowhere'} is not a folder\n")


def test_schema_prints_the_packaged_report_schema_by_default() -> None:
    result = hegui("schema")
    assert result.exit_code == 0
    assert result.stdout == (SRC / "report/report.schema.json").read_text(encoding="utf-8")
    assert json.loads(result.stdout)["$id"] == "hegui-report-v1"


def test_schema_trace_prints_the_trace_event_schema() -> None:
    result = hegui("schema", "trace")
    assert result.exit_code == 0
    assert result.stdout == (SRC / "trace/trace.schema.json").read_text(encoding="utf-8")


def test_schema_refuses_an_unknown_name() -> None:
    assert hegui("schema", "policy").exit_code == 2
