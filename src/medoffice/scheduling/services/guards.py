"""What keeps two bookings from taking one provider or room: locks, the overlap check's words,
and the database's refusals turned into the same ``slot_taken`` error.

On PostgreSQL a booking takes a transaction-level advisory lock on the
provider, then on the room it wants, before it checks for overlaps and
inserts. Racing bookings for one provider therefore queue on the lock, and
the check after the lock sees every booking committed before it. A room picked
automatically is first tried without waiting (a room another booking is taking
right now is passed over); only when no other room is left does the booking
wait for those, in ascending id order. Two bookings that both end up waiting
for a room the other holds are a deadlock PostgreSQL breaks after a second;
the exclusion constraints (migration 0003) are the backstop, and their
violation (23P01) or a deadlock (40P01) reads as "slot taken".
On SQLite every write transaction starts with BEGIN IMMEDIATE
(``transaction_mode``), so bookings already run one at a time and the check
inside the transaction is authoritative; triggers are the backstop there.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, OperationalError, connection

from medoffice.core.errors import DomainError
from medoffice.scheduling import errors
from medoffice.scheduling.models import Appointment, AppointmentType, Provider, Room
from medoffice.scheduling.selectors import occupying_appointments

# Namespaces of pg_advisory_xact_lock(int, int): (what, id).
PROVIDER_LOCK = 71_001
ROOM_LOCK = 71_002
_INT4 = 2**31

OVERLAP_SQLSTATE = "23P01"  # exclusion_violation
DEADLOCK_SQLSTATE = "40P01"  # deadlock_detected


def locks_needed() -> bool:
    """True on PostgreSQL, where bookings serialise on advisory locks."""
    return connection.vendor == "postgresql"


def _lock(namespace: int, pk: int) -> None:
    with connection.cursor() as cursor:
        # Ids beyond 2^31 share a lock with a smaller id: more waiting, never less safety.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [namespace, pk % _INT4])


def lock_provider(provider_id: int) -> None:
    """Queue behind any other transaction booking this provider (until the transaction ends)."""
    if locks_needed():
        _lock(PROVIDER_LOCK, provider_id)


def try_lock_room(room_id: int) -> bool:
    """Take the room's lock if nobody holds it; False (without waiting) when another
    transaction is booking that room right now. Always True where there are no locks."""
    if not locks_needed():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [ROOM_LOCK, room_id % _INT4])
        return bool(cursor.fetchone()[0])


def lock_room(room_id: int) -> None:
    """Queue behind any other transaction booking this room (after the provider's lock)."""
    if locks_needed():
        _lock(ROOM_LOCK, room_id)


# The overlap checks on the booking path, in plain SQL: they run on every booking, and
# building them with the ORM costs more CPU than the database takes to answer them.
# No visit lasts longer than LONGEST (the booking checks refuse it), so one that overlaps
# [start, end) starts after start - LONGEST: that bound turns a scan of the provider's
# whole history on the (provider, start) index into a range of a few rows.
_FREE = tuple(Appointment.NOT_OCCUPYING_STATUSES)
LONGEST = dt.timedelta(minutes=AppointmentType.MAX_MINUTES)
_HOLDER_SQL = {
    "provider_id": (
        "SELECT id FROM scheduling_appointment WHERE provider_id = %s "
        'AND status NOT IN (%s, %s) AND "start" < %s AND "end" > %s AND "start" > %s '
        'ORDER BY "start", id LIMIT 1'
    ),
    "room_id": (
        "SELECT id FROM scheduling_appointment WHERE room_id = %s "
        'AND status NOT IN (%s, %s) AND "start" < %s AND "end" > %s AND "start" > %s '
        'ORDER BY "start", id LIMIT 1'
    ),
}
_ROOMS_SQL = (
    "SELECT r.id, EXISTS (SELECT 1 FROM scheduling_appointment a WHERE a.room_id = r.id "
    'AND a.status NOT IN (%s, %s) AND a."start" < %s AND a."end" > %s AND a."start" > %s) '
    "FROM scheduling_room r WHERE r.location_id = %s AND r.kind = %s AND r.active "
    "ORDER BY r.id"
)


def _instant(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def first_holder(*, column: str, pk: int, start: dt.datetime, end: dt.datetime) -> int | None:
    """The id of the first occupying appointment of provider/room ``pk`` overlapping the time."""
    with connection.cursor() as cursor:
        cursor.execute(
            _HOLDER_SQL[column],
            [pk, *_FREE, _instant(end), _instant(start), _instant(start - LONGEST)],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def rooms_with_use(
    *, location_id: int, kind: str, start: dt.datetime, end: dt.datetime
) -> list[tuple[int, bool]]:
    """``(room id, in use then)`` for the active rooms of ``kind`` at the location, by id."""
    with connection.cursor() as cursor:
        cursor.execute(
            _ROOMS_SQL,
            [*_FREE, _instant(end), _instant(start), _instant(start - LONGEST), location_id, kind],
        )
        return [(pk, bool(busy)) for pk, busy in cursor.fetchall()]


def sqlstate(exc: BaseException) -> str | None:
    """The PostgreSQL error code behind a Django database error (None elsewhere)."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def is_slot_race(exc: BaseException) -> bool:
    """True when the database refused an overlap (or broke a deadlock between two bookings)."""
    if isinstance(exc, IntegrityError):
        return sqlstate(exc) == OVERLAP_SQLSTATE or "slot_taken" in str(exc)
    if isinstance(exc, OperationalError):
        return sqlstate(exc) == DEADLOCK_SQLSTATE
    return False


def day_label(moment: dt.datetime) -> str:
    """ "Mon 2 Mar" (of an already local datetime or date)."""
    return f"{moment:%a} {moment.day} {moment:%b}"


def taken_by_provider(existing: Appointment) -> str:
    """ "Dr. Patel already has Lee, M. at 9:30–9:50 (Main)"."""
    return (
        f"{existing.provider.schedule_name} already has {existing.patient_short_name} "
        f"at {existing.local_hours} ({existing.location.name})"
    )


def taken_by_room(existing: Appointment) -> str:
    """ "Exam 2 is taken by Lee, M. at 9:30–9:50 (Dr. Patel)"."""
    return (
        f"{existing.room.name} is taken by {existing.patient_short_name} "
        f"at {existing.local_hours} ({existing.provider.schedule_name})"
    )


def slot_taken(message: str, field: str = "start") -> DomainError:
    return errors.conflict(errors.SLOT_TAKEN, message, field)


def describe_race(
    *,
    provider: Provider,
    room: Room | None,
    start: dt.datetime,
    end: dt.datetime,
) -> DomainError:
    """The slot_taken error for a booking the database refused: name the winner if visible."""
    winner = (
        occupying_appointments(start=start, end=end, provider=provider, room=room)
        .select_related("patient", "provider", "location", "room")
        .first()
    )
    if winner is None:
        return slot_taken(
            "Someone else booked this time a moment ago; choose another time.", "start"
        )
    if winner.provider_id == provider.pk:
        return slot_taken(f"{taken_by_provider(winner)}.", "start")
    return slot_taken(f"{taken_by_room(winner)}.", "room")
