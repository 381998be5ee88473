"""The eleven US federal holidays, on the weekday the office observes them.

A holiday on a Saturday is observed the Friday before, on a Sunday the Monday
after (the federal rule, 5 U.S.C. 6103). Pure date arithmetic: eleven rules
are shorter than a dependency.
"""

from __future__ import annotations

import datetime as dt

MONDAY, THURSDAY = 0, 3


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The ``n``-th ``weekday`` (0 = Monday) of the month; n = -1 is the last one."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


def federal_holidays(year: int) -> list[tuple[dt.date, str]]:
    """``(observed date, name)`` of the year's federal holidays, in date order."""
    fixed = [
        (dt.date(year, 1, 1), "New Year's Day"),
        (dt.date(year, 6, 19), "Juneteenth"),
        (dt.date(year, 7, 4), "Independence Day"),
        (dt.date(year, 11, 11), "Veterans Day"),
        (dt.date(year, 12, 25), "Christmas Day"),
    ]
    floating = [
        (_nth_weekday(year, 1, MONDAY, 3), "Martin Luther King Jr. Day"),
        (_nth_weekday(year, 2, MONDAY, 3), "Washington's Birthday"),
        (_nth_weekday(year, 5, MONDAY, -1), "Memorial Day"),
        (_nth_weekday(year, 9, MONDAY, 1), "Labor Day"),
        (_nth_weekday(year, 10, MONDAY, 2), "Columbus Day"),
        (_nth_weekday(year, 11, THURSDAY, 4), "Thanksgiving Day"),
    ]
    days = [(_observed(day), name) for day, name in fixed] + floating
    return sorted(days)


def holidays_between(first: dt.date, last: dt.date) -> list[tuple[dt.date, str]]:
    """Observed federal holidays from ``first`` to ``last`` inclusive."""
    found = []
    for year in range(first.year - 1, last.year + 2):  # 1 Jan may be observed on 31 Dec
        found += [(d, n) for d, n in federal_holidays(year) if first <= d <= last]
    return sorted(found)
