"""The schedule's error codes. Services raise ``DomainError(code, message, field, status=...)``.

Statuses: 409 when the schedule's state refuses the request (the slot is
taken, the visit is already checked out), 422 when the request itself is
wrong (a naive time, an inactive provider, a time outside the template),
404 for an unknown appointment in the URL.
"""

from __future__ import annotations

from medoffice.core.errors import INVALID, NOT_FOUND, PERMISSION_DENIED, DomainError

# Another occupying appointment holds the provider or the room at that time.
SLOT_TAKEN = "slot_taken"
# The provider does not accept overbooking, or no reason was given.
OVERBOOK_NOT_ALLOWED = "overbook_not_allowed"
# A time without its UTC offset, or outside the years the schedule covers.
INVALID_TIME = "invalid_time"
END_BEFORE_START = "end_before_start"
IN_THE_PAST = "in_the_past"
# The schedule set-up's own refusals (providers, rooms, visit types, weekly blocks):
# an NPI, room name, type name or code already in use;
DUPLICATE = "duplicate"
# a weekly block overlapping another of the same provider;
BLOCK_OVERLAP = "block_overlap"
# blocks or booked visits still depend on what the change would remove.
STILL_SCHEDULED = "still_scheduled"
# A patient, provider, location, room or appointment type that is switched off.
INACTIVE = "inactive"
# The coverage chosen for a visit does not cover its date (not started yet, or ended).
INACTIVE_COVERAGE = "inactive_coverage"
# A provider or room booked at a location where they do not work / are not.
NOT_AT_LOCATION = "not_at_location"
WRONG_ROOM_KIND = "wrong_room_kind"
# No availability block of the provider covers the time (and no override was given).
OUTSIDE_TEMPLATE = "outside_template"
# A block covers the time but does not take this appointment type.
TYPE_NOT_ALLOWED = "type_not_allowed"
# Vacation, holiday, meeting or blocked time.
SCHEDULE_BLOCKED = "schedule_blocked"
# A state change the patient-flow state machine does not allow from the current status.
INVALID_TRANSITION = "invalid_transition"
REASON_REQUIRED = "reason_required"
# At least one visit of a recurring series cannot be booked (nothing was booked).
SERIES_CONFLICTS = "series_conflicts"
INVALID_SERIES = "invalid_series"
INVALID_WINDOW = "invalid_window"

__all__ = [
    "BLOCK_OVERLAP",
    "DUPLICATE",
    "STILL_SCHEDULED",
    "END_BEFORE_START",
    "INACTIVE",
    "INACTIVE_COVERAGE",
    "INVALID",
    "INVALID_SERIES",
    "INVALID_TIME",
    "INVALID_TRANSITION",
    "INVALID_WINDOW",
    "IN_THE_PAST",
    "NOT_AT_LOCATION",
    "NOT_FOUND",
    "OUTSIDE_TEMPLATE",
    "OVERBOOK_NOT_ALLOWED",
    "PERMISSION_DENIED",
    "REASON_REQUIRED",
    "SCHEDULE_BLOCKED",
    "SERIES_CONFLICTS",
    "SLOT_TAKEN",
    "TYPE_NOT_ALLOWED",
    "WRONG_ROOM_KIND",
    "DomainError",
    "SeriesConflicts",
    "invalid",
    "conflict",
]


def invalid(code: str, message: str, field: str | None) -> DomainError:
    """A request the office worker must correct (HTTP 422)."""
    return DomainError(code, message, field, status=422)


def conflict(code: str, message: str, field: str | None = None) -> DomainError:
    """A request the schedule's current state refuses (HTTP 409)."""
    return DomainError(code, message, field, status=409)


class SeriesConflicts(DomainError):
    """A recurring series that could not be booked; ``conflicts`` lists (local date, reason)."""

    def __init__(self, conflicts: list[tuple[str, str]], total: int):
        self.conflicts = conflicts
        listed = "; ".join(f"{day}: {why}" for day, why in conflicts)
        message = (
            f"Nothing was booked: {len(conflicts)} of the {total} visits cannot be booked. {listed}"
        )
        super().__init__(SERIES_CONFLICTS, message, "start", status=409)
