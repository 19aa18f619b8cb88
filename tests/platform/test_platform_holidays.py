"""The operator's holidays file: years chinese-calendar lacks get exact deadlines; a bad file is refused in
one line naming the file and the reason.

Year 2031 below is made-up test data, not a published schedule: Mon 2031-03-03..Fri 03-07 off, Sat 03-08 and
Sun 03-16 worked."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import typer
from platform_kit import build_platform, ingest, make_report, startup_imei
from typer.testing import CliRunner

from hegui.platform import cli as platform_cli
from hegui.platform.workdays import HolidayFileError, load_holidays

TEST_2031 = """\
2031:
  source: made-up test schedule
  holidays:
    - 2031-01-01
    - 2031-03-03..2031-03-07
  workdays:
    - 2031-03-08
    - 2031-03-16
"""


def write(tmp_path: Path, text: str, name: str = "holidays.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("start", "days", "expected"), [
    (dt.date(2031, 2, 28), 1, dt.date(2031, 3, 8)),    # Fri → the holiday week → the adjusted Saturday
    (dt.date(2031, 2, 28), 3, dt.date(2031, 3, 11)),   # Sat 03-08, Mon 03-10, Tue 03-11
    (dt.date(2031, 3, 13), 2, dt.date(2031, 3, 16)),   # Fri 03-14, then the adjusted Sunday
])
def test_a_year_in_the_file_counts_its_holidays_and_adjusted_workdays(tmp_path, start, days, expected):
    calendar = load_holidays(write(tmp_path, TEST_2031))
    deadline, _exact = calendar.add_working_days(start, days)
    assert deadline == expected


def test_a_deadline_inside_a_year_of_the_file_is_exact(tmp_path):
    calendar = load_holidays(write(tmp_path, TEST_2031))
    assert calendar.add_working_days(dt.date(2031, 2, 28), 5) == (dt.date(2031, 3, 13), True)


def test_a_deadline_reaching_a_year_neither_the_file_nor_the_library_covers_stays_approximate(tmp_path):
    calendar = load_holidays(write(tmp_path, TEST_2031))
    assert calendar.add_working_days(dt.date(2031, 12, 30), 5) == (dt.date(2032, 1, 6), False)


def test_a_year_in_the_file_replaces_the_library_data_for_that_year(tmp_path):
    # 2026 with no holidays at all: National Day week becomes ordinary working days.
    calendar = load_holidays(write(tmp_path, "2026:\n  holidays: []\n  workdays: []\n"))
    assert calendar.add_working_days(dt.date(2026, 9, 28), 5) == (dt.date(2026, 10, 5), True)


def test_the_same_schedule_in_json_reads_the_same(tmp_path):
    as_json = {"2031": {"holidays": ["2031-01-01", "2031-03-03..2031-03-07"], "workdays": ["2031-03-08", "2031-03-16"]}}
    from_json = load_holidays(write(tmp_path, json.dumps(as_json), "holidays.json"))
    from_yaml = load_holidays(write(tmp_path, TEST_2031))
    assert from_json.schedules[2031].holidays == from_yaml.schedules[2031].holidays
    assert from_json.schedules[2031].workdays == from_yaml.schedules[2031].workdays


@pytest.mark.parametrize(("text", "reason"), [
    ("2031:\n  holidays: [2031-02-30]\n  workdays: []\n",
     "2031.holidays[0]: '2031-02-30' is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)"),
    ("2031:\n  holidays: [31/01/2031]\n  workdays: []\n",
     "2031.holidays[0]: '31/01/2031' is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)"),
    ("2031:\n  holidays: [2032-01-01]\n  workdays: []\n", "2031.holidays[0]: 2032-01-01 is not in 2031"),
    ("2031:\n  holidays: ['2031-03-07..2031-03-03']\n  workdays: []\n",
     "2031.holidays[0]: range '2031-03-07..2031-03-03' ends before it starts"),
    ("2031:\n  holidays: [2031-01-01, '2030-12-31..2031-01-01']\n  workdays: []\n",
     "2031.holidays[1]: 2030-12-31 is not in 2031"),
    ("2031:\n  holidays: [2031-01-01, 2031-01-01]\n  workdays: []\n", "2031.holidays[1]: 2031-01-01 is listed twice"),
    ("2031:\n  holidays: []\n  workdays: [2031-03-10]\n",
     "2031.workdays: 2031-03-10 is a Monday; adjusted working days are Saturdays or Sundays"),
    ("2031:\n  holidays: [2031-03-08]\n  workdays: [2031-03-08]\n", "2031: 2031-03-08 is both a holiday and a workday"),
    ("2031:\n  holidays: []\n", "2031: 'workdays' is missing (write 'workdays: []' if there are none)"),
    ("2031:\n  holidays: []\n  workdays: []\n  holiday: []\n",
     "2031: unknown key 'holiday' (allowed: holidays, workdays, source)"),
    ("2031:\n  holidays: 2031-01-01\n  workdays: []\n",
     "2031.holidays: expected a list of dates (YYYY-MM-DD) or ranges (YYYY-MM-DD..YYYY-MM-DD)"),
    ("next year:\n  holidays: []\n  workdays: []\n", "'next year' is not a year (expected e.g. 2031)"),
    ("2031: [2031-01-01]\n", "2031: expected a mapping with 'holidays' and 'workdays'"),
    ("- 2031-01-01\n", "expected a mapping of years (e.g. 2031:) to their holidays and workdays"),
    ("", "expected a mapping of years (e.g. 2031:) to their holidays and workdays"),
    ("2031:\n  holidays: [2031-01-01\n  workdays: []\n", "not valid YAML/JSON: line 3: expected ',' or ']', but got ':'"),
])
def test_a_bad_file_is_refused_in_one_line_naming_the_file_and_the_reason(tmp_path, text, reason):
    path = write(tmp_path, text)
    with pytest.raises(HolidayFileError) as err:
        load_holidays(path)
    assert str(err.value) == f"holidays file {path}: {reason}"


def test_a_missing_file_is_refused_in_one_line(tmp_path):
    with pytest.raises(HolidayFileError) as err:
        load_holidays(tmp_path / "absent.yaml")
    assert str(err.value).startswith(f"holidays file {tmp_path / 'absent.yaml'}: cannot read it (")
    assert "\n" not in str(err.value)


def test_hegui_serve_refuses_a_bad_holidays_file_before_starting(tmp_path):
    path = write(tmp_path, "2031:\n  holidays: [2031-02-30]\n  workdays: []\n")
    app = typer.Typer()
    platform_cli.register(app)
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path / "data"), "--holidays", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (f"hegui: holidays file {path}: 2031.holidays[0]: '2031-02-30' is not a date "
                             "(YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)\n")


def test_hegui_serve_reads_the_holidays_file_from_the_environment(tmp_path, monkeypatch):
    path = write(tmp_path, "2031: {}\n")
    monkeypatch.setenv("HEGUI_HOLIDAYS", str(path))
    app = typer.Typer()
    platform_cli.register(app)
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2
    assert result.stderr == f"hegui: holidays file {path}: 2031: 'holidays' is missing (write 'holidays: []' if there are none)\n"


def test_a_case_opened_in_a_year_of_the_file_gets_an_exact_deadline(tmp_path):
    p = build_platform(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "data", today=dt.date(2031, 2, 28),
                       holidays_file=write(tmp_path, TEST_2031))
    with p.client:
        ingest(p, "dev", make_report("com.demo.shop", "1.0", 1, [startup_imei()], sha="c" * 64))
        res = p.client.post("/api/v1/cases", headers=p.users["reviewer"].auth,
                            json={"app_id": 1, "rule_ids": ["PI-DEVICE-ID-NONRESETTABLE"]})
    p.app.state.engine.dispose()
    assert res.status_code == 201, res.text
    assert (res.json()["deadline"], res.json()["deadline_exact"]) == ("2031-03-13", True)
