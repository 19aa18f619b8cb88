"""Deadlines on the Chinese calendar: statutory holidays and adjusted working days (调休) from `chinese-calendar`."""

from __future__ import annotations

import datetime as dt

import chinese_calendar


def _is_workday(day: dt.date) -> tuple[bool, bool]:
    """(is a working day, exact). Outside the library's years only weekends are known: not exact."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(start: dt.date, days: int) -> tuple[dt.date, bool]:
    """The date `days` working days after `start` (the start day itself does not count).

    Returns (deadline, exact); `exact` is False when a year the holiday table does not cover was crossed,
    so the UI can say the deadline ignores that year's holidays.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    current, exact, left = start, True, days
    while left:
        current += dt.timedelta(days=1)
        workday, known = _is_workday(current)
        exact = exact and known
        if workday:
            left -= 1
    return current, exact
