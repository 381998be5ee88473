"""A patient's wishes for when a visit happens: weekdays and times of day, in local time.

"Morning" is a visit starting before 12:00 at the location, "afternoon" one
starting at 12:00 or later (the waitlist's words mean the same); an explicit
range such as 9:00–11:00 takes visits that start at or after 9:00 and end by
11:00. Several wishes together take a visit that fits any of them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from medoffice.scheduling import errors

NOON = dt.time(12, 0)
MORNING = "morning"
AFTERNOON = "afternoon"
ANY_TIME = "any"
TIME_OF_DAY_CHOICES = [
    (ANY_TIME, "Any time"),
    (MORNING, "Morning (before 12:00)"),
    (AFTERNOON, "Afternoon (from 12:00)"),
]
_RANGE = re.compile(r"^\s*(\d{1,2}):?(\d{2})\s*[-–]\s*(\d{1,2}):?(\d{2})\s*$")


@dataclass(frozen=True)
class TimeRange:
    """Visits that start at or after ``start`` and end by ``end`` (wall-clock, location time)."""

    start: dt.time
    end: dt.time

    def __str__(self) -> str:
        return f"{self.start.hour}:{self.start.minute:02d}–{self.end.hour}:{self.end.minute:02d}"


@dataclass(frozen=True)
class TimeWishes:
    """The parsed ``preferred_times``: empty ``ranges`` and no morning/afternoon = any time."""

    morning: bool = False
    afternoon: bool = False
    ranges: tuple[TimeRange, ...] = ()

    @property
    def any_time(self) -> bool:
        return not (self.morning or self.afternoon or self.ranges)

    def accepts(self, local_start: dt.datetime, local_end: dt.datetime) -> bool:
        if self.any_time:
            return True
        start = local_start.time()
        if self.morning and start < NOON:
            return True
        if self.afternoon and start >= NOON:
            return True
        end = local_end.time()
        return any(r.start <= start and end <= r.end for r in self.ranges)


def _bad_times(detail: str) -> errors.DomainError:
    return errors.invalid(
        errors.INVALID,
        f"{detail} Give the preferred time as morning, afternoon, or a range such as 9:00-11:00.",
        "preferred_times",
    )


def _time_range(start, end) -> TimeRange:
    if not isinstance(start, dt.time) or not isinstance(end, dt.time):
        raise _bad_times("A time range needs two times of day.")
    if end <= start:
        raise _bad_times("The range must end after it starts.")
    return TimeRange(start.replace(tzinfo=None), end.replace(tzinfo=None))


def parse_time_range(text: str) -> TimeRange:
    """ "9:00-11:00", "0900-1100", "9:00–11:00" → a TimeRange (or a field error)."""
    match = _RANGE.match(text)
    if not match:
        raise _bad_times(f"'{text[:40]}' is not a time of day.")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise _bad_times(f"'{text[:40]}' is not a time of day.")
    end = dt.time(23, 59, 59) if h2 == 24 else dt.time(h2, m2)
    return _time_range(dt.time(h1, m1), end)


def parse_time_wishes(value) -> TimeWishes:
    """``None``, "any", "morning", "afternoon", "9:00-11:00", ``TimeRange``, ``(time, time)``,
    or an iterable of those → TimeWishes. Anything else is a ``preferred_times`` field error."""
    if value is None:
        return TimeWishes()
    if isinstance(value, str | TimeRange) or (
        isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], dt.time)
    ):
        value = [value]
    morning = afternoon = False
    ranges: list[TimeRange] = []
    try:
        items = list(value)
    except TypeError:
        raise _bad_times("Unknown preferred time.") from None
    for item in items:
        if isinstance(item, TimeRange):
            ranges.append(_time_range(item.start, item.end))
        elif isinstance(item, tuple) and len(item) == 2:
            ranges.append(_time_range(*item))
        elif isinstance(item, str):
            word = item.strip().lower()
            if word in ("", ANY_TIME):
                continue
            if word == MORNING:
                morning = True
            elif word == AFTERNOON:
                afternoon = True
            else:
                ranges.append(parse_time_range(word))
        else:
            raise _bad_times("Unknown preferred time.")
    if morning and afternoon:
        return TimeWishes()  # both halves of the day = any time
    return TimeWishes(morning=morning, afternoon=afternoon, ranges=tuple(ranges))


def parse_weekdays(value: Iterable[int] | None) -> frozenset[int]:
    """Weekdays 0 (Monday) … 6 (Sunday); None or empty = every day."""
    if value is None:
        return frozenset()
    try:
        days = frozenset(int(day) for day in value)
    except (TypeError, ValueError):
        days = frozenset({-1})
    if any(not 0 <= day <= 6 for day in days):
        raise errors.invalid(
            errors.INVALID,
            "Preferred weekdays are numbers 0 (Monday) to 6 (Sunday).",
            "preferred_weekdays",
        )
    return days
