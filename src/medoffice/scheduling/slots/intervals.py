"""Busy time as sorted intervals: "does anything here overlap [start, end)?" in O(log n).

The finder gives the instants as seconds since 1970 (floats: cheap to read from
the database and to compare); any ordered values work.

Intervals may overlap each other (an overbooked provider holds two visits at
once; a holiday and a vacation can cover the same day), so a lookup cannot
stop at the nearest neighbour: it keeps, for every prefix of the intervals
sorted by start, the latest end seen so far. An interval overlaps the query
when it starts before the query ends and ends after the query starts, the
same half-open test the booking service and the database constraints use.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable


class Busy:
    """A fixed set of half-open ``[start, end)`` intervals, built once, queried many times."""

    __slots__ = ("_latest_end", "_starts")

    def __init__(self, intervals: Iterable[tuple[float, float]] = ()) -> None:
        ordered = sorted(intervals)
        self._starts = [start for start, _end in ordered]
        self._latest_end: list[float] = []
        latest = None
        for _start, end in ordered:
            latest = end if latest is None or end > latest else latest
            self._latest_end.append(latest)

    def __bool__(self) -> bool:
        return bool(self._starts)

    def __len__(self) -> int:
        return len(self._starts)

    def overlaps(self, start: float, end: float) -> bool:
        """True when some interval starts before ``end`` and ends after ``start``."""
        before_end = bisect.bisect_left(self._starts, end)
        return before_end > 0 and self._latest_end[before_end - 1] > start


EMPTY = Busy()
