"""Booking a visit: the one door for putting an appointment on the schedule.

``book_appointment`` runs the checks in :mod:`.checks`, then takes the
provider's lock (PostgreSQL), checks that nobody occupies the provider at that
time, claims a room (the one given, or the first free one of the kind the
type needs, rooms locked in ascending id order), and inserts the appointment
with its ``booked`` event. An occupied provider or room is ``slot_taken``
(HTTP 409) with a message naming the appointment in the way, unless the
front desk overbooks with a reason for a provider who accepts it. A refusal
by the database itself (exclusion constraint, trigger, deadlock) reads the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from medoffice.core.errors import DomainError
from medoffice.core.models import Location
from medoffice.patients.models import Patient
from medoffice.scheduling import errors
from medoffice.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    Provider,
    Room,
)
from medoffice.scheduling.models.availability import hhmm
from medoffice.scheduling.services import guards
from medoffice.scheduling.services.checks import (
    check_coverage,
    check_not_blocked,
    check_parties,
    check_room,
    check_template,
    check_times,
    clean_text,
    preflight,
)
from medoffice.scheduling.services.events import record_event

OUTSIDE_TEMPLATE = "outside_template"


@dataclass
class _Decision:
    overbook: bool = False
    room_id: int | None = None
    detail: dict = field(default_factory=dict)


def _with_names(appointment_id: int) -> Appointment:
    """The appointment in the way, with what its conflict message names."""
    return Appointment.objects.select_related("patient", "provider", "location", "room").get(
        pk=appointment_id
    )


def _overbook_ok(provider: Provider, overbook_reason: str) -> bool:
    return bool(overbook_reason) and provider.accepts_overbook


def _claim_provider(
    *,
    provider: Provider,
    start: dt.datetime,
    end: dt.datetime,
    overbook_reason: str,
    decision: _Decision,
) -> None:
    guards.lock_provider(provider.pk)
    holder = guards.first_holder(column="provider_id", pk=provider.pk, start=start, end=end)
    if holder is None:
        return
    existing = _with_names(holder)
    taken = guards.taken_by_provider(existing)
    if not overbook_reason:
        hint = (
            f" {provider.schedule_name} accepts overbooking: give a reason to book over it."
            if provider.accepts_overbook
            else ""
        )
        raise guards.slot_taken(f"{taken}.{hint}", "start")
    if not provider.accepts_overbook:
        raise errors.conflict(
            errors.OVERBOOK_NOT_ALLOWED,
            f"{provider.schedule_name} does not accept overbooking, and {taken}.",
            "overbook_reason",
        )
    decision.overbook = True
    decision.detail["overbooked_over"] = existing.pk


def _claim_room(
    *,
    room: Room,
    start: dt.datetime,
    end: dt.datetime,
    provider: Provider,
    overbook_reason: str,
    decision: _Decision,
) -> None:
    """The room the front desk chose: free, or shared by an allowed overbook."""
    guards.lock_room(room.pk)
    holder = guards.first_holder(column="room_id", pk=room.pk, start=start, end=end)
    decision.room_id = room.pk
    decision.detail["room"] = "given"
    if holder is None:
        return
    if _overbook_ok(provider, overbook_reason):
        decision.overbook = True
        decision.detail["overbooked_over"] = holder
        return
    raise guards.slot_taken(f"{guards.taken_by_room(_with_names(holder))}.", "room")


def _room_still_free(room_id: int, *, start: dt.datetime, end: dt.datetime) -> bool:
    """After taking the room's lock: nobody booked it between the look and the lock.
    (Without locks, on SQLite, the transaction itself already excludes other writers.)"""
    if not guards.locks_needed():
        return True
    return guards.first_holder(column="room_id", pk=room_id, start=start, end=end) is None


def _pick_room(
    *,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    end: dt.datetime,
    provider: Provider,
    overbook_reason: str,
    decision: _Decision,
) -> None:
    """Choose the first free room of the kind the visit needs (lowest id first)."""
    rooms = guards.rooms_with_use(
        location_id=location.pk, kind=appointment_type.room_kind, start=start, end=end
    )
    kind = dict(Room.KIND_CHOICES)[appointment_type.room_kind].lower()
    if not rooms:
        if appointment_type.telehealth:
            return  # no virtual lines set up: a video visit needs none
        raise errors.invalid(
            errors.WRONG_ROOM_KIND,
            f"{location.name} has no {kind} for '{appointment_type.name}' visits.",
            "room",
        )
    # Free rooms, lowest id first. A room another booking holds the lock of right now is
    # passed over without waiting (that booking will most likely take it), so bookings at
    # the same hour spread over the rooms instead of queueing behind each other for the
    # first one; only when no other room is left does this booking wait for those, in
    # ascending id order.
    held_by_others: list[int] = []
    for room_id, busy in rooms:
        if busy:
            continue
        if not guards.try_lock_room(room_id):
            held_by_others.append(room_id)
            continue
        if _room_still_free(room_id, start=start, end=end):
            decision.room_id = room_id
            decision.detail["room"] = "picked"
            return
    for room_id in held_by_others:
        guards.lock_room(room_id)
        if _room_still_free(room_id, start=start, end=end):
            decision.room_id = room_id
            decision.detail["room"] = "picked"
            return
    if _overbook_ok(provider, overbook_reason):
        decision.overbook = True
        decision.detail["room"] = "none free"
        return
    raise guards.slot_taken(
        f"No {kind} is free at {location.name} "
        f"{hhmm(start.astimezone(location.zone))}–{hhmm(end.astimezone(location.zone))} "
        f"(all {len(rooms)} in use).",
        "room",
    )


def book_one(
    *,
    actor,
    patient: Patient,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    start,
    end=None,
    room: Room | None = None,
    overbook_reason: str = "",
    allow_outside_template: bool = False,
    notes: str = "",
    now: dt.datetime | None = None,
    series: AppointmentSeries | None = None,
    rescheduled_from: Appointment | None = None,
    coverage=None,
) -> Appointment:
    """Check and insert one appointment (inside the caller's transaction)."""
    now = now or timezone.now()
    start, end = check_times(
        location=location, appointment_type=appointment_type, start=start, end=end, now=now
    )
    facts = preflight(
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        start=start,
        end=end,
    )
    check_parties(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        works_here=facts.works_here,
    )
    notes = clean_text(notes, "notes")
    overbook_reason = clean_text(overbook_reason, "overbook_reason")
    check_coverage(coverage=coverage, patient=patient, location=location, start=start)
    if room is not None:
        check_room(room=room, location=location, appointment_type=appointment_type)
    in_template = check_template(
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        start=start,
        end=end,
        allow_outside_template=allow_outside_template,
        fits=facts.fits_template,
    )
    check_not_blocked(
        provider=provider, location=location, start=start, end=end, known_free=not facts.blocked
    )

    decision = _Decision()
    _claim_provider(
        provider=provider,
        start=start,
        end=end,
        overbook_reason=overbook_reason,
        decision=decision,
    )
    if room is not None:
        _claim_room(
            room=room,
            start=start,
            end=end,
            provider=provider,
            overbook_reason=overbook_reason,
            decision=decision,
        )
    elif appointment_type.room_kind:
        _pick_room(
            location=location,
            appointment_type=appointment_type,
            start=start,
            end=end,
            provider=provider,
            overbook_reason=overbook_reason,
            decision=decision,
        )

    appointment = Appointment.objects.create(
        patient=patient,
        provider=provider,
        location=location,
        room_id=decision.room_id,
        appointment_type=appointment_type,
        start=start,
        end=end,
        status=Appointment.SCHEDULED,
        booked_at=now,
        booked_by=actor if getattr(actor, "is_authenticated", False) else None,
        overbook=decision.overbook,
        overbook_reason=overbook_reason if decision.overbook else "",
        outside_template=not in_template,
        series=series,
        rescheduled_from=rescheduled_from,
        coverage=coverage,
        notes=notes,
    )
    detail = dict(decision.detail)
    if not in_template:
        detail["overrides"] = [OUTSIDE_TEMPLATE]
    if decision.overbook:
        detail["overbook"] = True
    if series is not None:
        detail["series"] = series.pk
    if rescheduled_from is not None:
        detail["rescheduled_from"] = rescheduled_from.pk
    record_event(
        appointment,
        kind="booked",
        from_status="",
        to_status=Appointment.SCHEDULED,
        actor=actor,
        at=now,
        reason=overbook_reason if decision.overbook else "",
        detail=detail,
    )
    return appointment


def race_error(exc, *, provider, room, location, appointment_type, start, end) -> DomainError:
    """The slot_taken error for a booking the database refused after our checks passed."""
    start = start.astimezone(dt.UTC)
    end = end or start + dt.timedelta(minutes=appointment_type.duration_minutes)
    return guards.describe_race(provider=provider, room=room, start=start, end=end)


def book_appointment(
    *,
    actor,
    patient: Patient,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    end: dt.datetime | None = None,
    room: Room | None = None,
    overbook_reason: str = "",
    allow_outside_template: bool = False,
    notes: str = "",
    coverage=None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Put a visit on the schedule, or raise a DomainError that says why not.

    ``start`` must be timezone-aware; ``end`` defaults to start + the type's
    duration. ``room``: None picks the first free room of the kind the type
    needs (none for types that need no room). ``overbook_reason`` books over a
    taken slot for a provider who accepts overbooking (ignored when the slot is
    free). ``allow_outside_template`` books outside the provider's blocks and
    records the override. ``coverage`` (optional) is the insurance chosen for the
    visit: the patient's own, active on the visit's date. ``now`` is the booking
    moment (default: now); the seed passes historical moments. The booking and
    its ``booked`` event commit together.
    """
    try:
        with transaction.atomic():
            return book_one(
                actor=actor,
                patient=patient,
                provider=provider,
                location=location,
                appointment_type=appointment_type,
                start=start,
                end=end,
                room=room,
                overbook_reason=overbook_reason,
                allow_outside_template=allow_outside_template,
                notes=notes,
                coverage=coverage,
                now=now,
            )
    except (IntegrityError, OperationalError) as exc:
        if not guards.is_slot_race(exc):
            raise
        raise race_error(
            exc,
            provider=provider,
            room=room,
            location=location,
            appointment_type=appointment_type,
            start=start,
            end=end,
        ) from exc
