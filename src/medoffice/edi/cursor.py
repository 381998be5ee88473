"""Walking a transaction's segments in order, as the transaction readers do.

A reader asks for the segment it expects next (``expect``), takes an optional
one when it is there (``take``), and notes what it read but does not keep
(``skip``) so that a tolerant read says exactly what it left out. Anything
out of place becomes an ``X12Error`` at that segment.
"""

from __future__ import annotations

from medoffice.edi.errors import X12Error
from medoffice.edi.segments import Segment


class Cursor:
    """Position in a list of segments (a transaction set's body), with a warning list."""

    def __init__(self, segments: list[Segment], *, end: Segment | None = None):
        self.segments = segments
        self.i = 0
        self.end = end  # the SE, for "file ends early" messages
        self.warnings: list[str] = []

    def peek(self) -> Segment | None:
        return self.segments[self.i] if self.i < len(self.segments) else None

    def at(self, segment_id: str, *qualifiers: str) -> bool:
        """Is the next segment ``segment_id`` (with element 1 among ``qualifiers``, if given)?"""
        seg = self.peek()
        if seg is None or seg.id != segment_id:
            return False
        return not qualifiers or seg[1] in qualifiers

    def at_any(self, segment_ids) -> bool:
        i = self.i  # the readers' hottest call: kept to one list access
        return i < len(self.segments) and self.segments[i].id in segment_ids

    def next(self) -> Segment:
        i = self.i
        if i >= len(self.segments):
            raise self.ended("more segments")
        self.i = i + 1
        return self.segments[i]

    def take(self, segment_id: str, *qualifiers: str) -> Segment | None:
        if self.at(segment_id, *qualifiers):
            self.i += 1
            return self.segments[self.i - 1]
        return None

    def expect(self, segment_id: str, *qualifiers: str, what: str = "") -> Segment:
        seg = self.peek()
        label = segment_id + (f"*{'/'.join(qualifiers)}" if qualifiers else "")
        label = f"{label} ({what})" if what else label
        if seg is None:
            raise self.ended(label)
        if not self.at(segment_id, *qualifiers):
            found = seg.id + (f"*{seg[1]}" if seg[1] else "")
            raise seg.error(f"expected {label} here, found {found}")
        self.i += 1
        return seg

    def ended(self, wanted: str) -> X12Error:
        if self.end is not None:
            return self.end.error(f"the transaction ends where {wanted} was expected")
        return X12Error(f"the transaction ends where {wanted} was expected")

    def skip(self, reason: str) -> Segment:
        """Consume the next segment, noting that it was read but not kept, and why."""
        seg = self.next()
        self.note(seg, reason)
        return seg

    def note(self, seg: Segment, reason: str) -> None:
        qualifier = seg[1]  # named when it is a code (NM1*DK), not data (N3*12 Elm St)
        label = seg.id + (f"*{qualifier}" if 0 < len(qualifier) <= 3 else "")
        self.warnings.append(f"segment {seg.index} ({label}) not kept: {reason}")
