"""Deadlines on the Chinese calendar: statutory holidays and adjusted working days (调休).

The data comes from `chinese-calendar`, plus an optional operator-maintained holidays file (``HEGUI_HOLIDAYS`` /
``hegui serve --holidays FILE``). The State Council publishes next year's schedule each November/December,
long before a library release carries it; a year listed in the file replaces the library's data for that
year, so a regulator can type in the published notice and get exact deadlines at once.

File format (YAML, or the same as JSON), one entry per year::

    2031:
      source: 国务院办公厅关于2031年部分节假日安排的通知   # optional, for the audit trail
      holidays:            # days off: every day of each holiday, weekends inside a holiday included
        - 2031-01-01
        - 2031-01-22..2031-01-28      # an inclusive range
      workdays:            # 调休上班日: weekend days that are working days ([] if none)
        - 2031-01-19

Every other weekday of a listed year is a working day and every other Saturday/Sunday is not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml

_YEAR_KEYS = frozenset({"holidays", "workdays", "source"})
_RANGE = ".."


class _TextDates(yaml.SafeLoader):
    """Leaves dates as text, so a bad one (2031-02-30) is reported with its place instead of failing the load."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class HolidayFileError(ValueError):
    """The holidays file is unreadable or wrong; `str(err)` is one line naming the file and the reason."""


@dataclass(frozen=True, slots=True)
class YearSchedule:
    """One year's published schedule: days off and adjusted working days (调休上班日)."""

    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    source: str = ""

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


class WorkCalendar:
    """Working days from the operator's schedules where they cover a year, else from `chinese-calendar`."""

    def __init__(self, schedules: Mapping[int, YearSchedule] | None = None) -> None:
        self.schedules: dict[int, YearSchedule] = dict(schedules or {})

    def is_workday(self, day: dt.date) -> tuple[bool, bool]:
        """(is a working day, exact). Outside every source's years only weekends are known: not exact."""
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            return schedule.is_workday(day), True
        try:
            return chinese_calendar.is_workday(day), True
        except NotImplementedError:
            return day.weekday() < 5, False

    def add_working_days(self, start: dt.date, days: int) -> tuple[dt.date, bool]:
        """The date `days` working days after `start` (the start day itself does not count).

        Returns (deadline, exact); `exact` is False when a year no holiday data covers was crossed, so the UI
        can say the deadline ignores that year's holidays.
        """
        if days < 0:
            raise ValueError("days must be >= 0")
        current, exact, left = start, True, days
        while left:
            current += dt.timedelta(days=1)
            workday, known = self.is_workday(current)
            exact = exact and known
            if workday:
                left -= 1
        return current, exact


LIBRARY_CALENDAR = WorkCalendar()


def add_working_days(start: dt.date, days: int) -> tuple[dt.date, bool]:
    """`WorkCalendar.add_working_days` with the library's data only."""
    return LIBRARY_CALENDAR.add_working_days(start, days)


# --- the holidays file -------------------------------------------------------------------------------------

class _Invalid(Exception):
    """A reason without the file name; load_holidays adds it."""


def load_holidays(path: Path) -> WorkCalendar:
    """The calendar with the schedules of the holidays file at `path`; HolidayFileError when it is not valid."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise HolidayFileError(f"holidays file {path}: cannot read it ({_one_line(err)})") from None
    try:
        return WorkCalendar(_parse(text))
    except _Invalid as err:
        raise HolidayFileError(f"holidays file {path}: {err}") from None


def _parse(text: str) -> dict[int, YearSchedule]:
    try:
        data = yaml.load(text, Loader=_TextDates)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise _Invalid(f"not valid YAML/JSON: {where}{getattr(err, 'problem', None) or _one_line(err)}") from None
    if not isinstance(data, dict) or not data:
        raise _Invalid("expected a mapping of years (e.g. 2031:) to their holidays and workdays")
    schedules: dict[int, YearSchedule] = {}
    for key, entry in data.items():
        year = _year(key)
        if year in schedules:
            raise _Invalid(f"year {year} is listed twice")
        schedules[year] = _schedule(year, entry)
    return schedules


def _year(key: Any) -> int:
    if isinstance(key, str) and key.isascii() and key.isdigit():
        key = int(key)  # JSON object keys are strings
    if isinstance(key, bool) or not isinstance(key, int) or not 1000 <= key <= 9999:
        raise _Invalid(f"{key!r} is not a year (expected e.g. 2031)")
    return key


def _schedule(year: int, entry: Any) -> YearSchedule:
    if not isinstance(entry, dict):
        raise _Invalid(f"{year}: expected a mapping with 'holidays' and 'workdays'")
    unknown = sorted(str(k) for k in entry if k not in _YEAR_KEYS)
    if unknown:
        raise _Invalid(f"{year}: unknown key {unknown[0]!r} (allowed: holidays, workdays, source)")
    for key in ("holidays", "workdays"):
        if key not in entry:
            raise _Invalid(f"{year}: '{key}' is missing (write '{key}: []' if there are none)")
    source = entry.get("source", "")
    if not isinstance(source, str):
        raise _Invalid(f"{year}.source: expected text")
    holidays = _days(year, "holidays", entry["holidays"])
    workdays = _days(year, "workdays", entry["workdays"])
    for day in sorted(workdays):
        if day.weekday() < 5:
            raise _Invalid(f"{year}.workdays: {day} is a {day:%A}; adjusted working days are Saturdays or Sundays")
    both = sorted(holidays & workdays)
    if both:
        raise _Invalid(f"{year}: {both[0]} is both a holiday and a workday")
    return YearSchedule(holidays=frozenset(holidays), workdays=frozenset(workdays), source=source)


def _days(year: int, key: str, items: Any) -> set[dt.date]:
    if items is None:
        items = []
    if not isinstance(items, list):
        raise _Invalid(f"{year}.{key}: expected a list of dates (YYYY-MM-DD) or ranges (YYYY-MM-DD..YYYY-MM-DD)")
    days: set[dt.date] = set()
    for index, item in enumerate(items):
        where = f"{year}.{key}[{index}]"
        for day in _expand(where, item):
            if day.year != year:
                raise _Invalid(f"{where}: {day} is not in {year}")
            if day in days:
                raise _Invalid(f"{where}: {day} is listed twice")
            days.add(day)
    return days


def _expand(where: str, item: Any) -> Iterator[dt.date]:
    if isinstance(item, str) and _RANGE in item:
        first_text, _, last_text = item.partition(_RANGE)
        first, last = _date(where, first_text.strip()), _date(where, last_text.strip())
        if last < first:
            raise _Invalid(f"{where}: range {item!r} ends before it starts")
        while first <= last:
            yield first
            first += dt.timedelta(days=1)
    else:
        yield _date(where, item)


def _date(where: str, value: Any) -> dt.date:
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _Invalid(f"{where}: {value!r} is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)")


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())
