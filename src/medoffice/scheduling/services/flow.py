"""The patient's way through the office: confirmed, arrived, roomed, with the provider, checked out
(or no-show, or left without being seen). One door per step, each stamped with who and when.

The state machine is :attr:`Appointment.NEXT_STEPS`:

    scheduled / confirmed → arrived → roomed → with_provider → checked_out
    scheduled / confirmed → no_show           (once the visit's time has begun)
    arrived / roomed      → left_without_being_seen
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from medoffice.scheduling import errors
from medoffice.scheduling.models import Appointment, Room
from medoffice.scheduling.models.availability import hhmm
from medoffice.scheduling.selectors import occupying_appointments
from medoffice.scheduling.services import guards
from medoffice.scheduling.services.events import (
    acting_user,
    copy_back,
    locked_appointment,
    record_event,
    status_label,
)

STEP_WORDS = {
    Appointment.ARRIVED: "arrived",
    Appointment.ROOMED: "roomed",
    Appointment.WITH_PROVIDER: "with provider",
    Appointment.CHECKED_OUT: "checked out",
    Appointment.NO_SHOW: "no-show",
    Appointment.LEFT_WITHOUT_BEING_SEEN: "left without being seen",
}


def _invalid_step(appointment: Appointment, step: str) -> errors.DomainError:
    allowed = appointment.next_steps
    status = status_label(appointment.status)
    nxt = (
        "the next step can be " + " or ".join(f"'{s}'" for s in allowed)
        if allowed
        else "the visit is closed"
    )
    return errors.conflict(
        errors.INVALID_TRANSITION,
        f"Cannot record '{step}': {appointment.patient_short_name} is {status}; {nxt}.",
        "step",
    )


def _take_room(appointment: Appointment, room: Room) -> None:
    if room.location_id != appointment.location_id:
        raise errors.invalid(
            errors.NOT_AT_LOCATION, f"{room.name} is not at {appointment.location.name}.", "room"
        )
    if not room.active:
        raise errors.invalid(errors.INACTIVE, f"{room.name} is out of use (inactive).", "room")
    if room.pk == appointment.room_id:
        return
    guards.lock_room(room.pk)
    if not appointment.overbook:
        existing = (
            occupying_appointments(
                start=appointment.start,
                end=appointment.end,
                room=room,
                exclude_ids=[appointment.pk],
            )
            .select_related("patient", "provider", "location", "room")
            .first()
        )
        if existing is not None:
            raise guards.slot_taken(f"{guards.taken_by_room(existing)}.", "room")
    appointment.room = room


def record_flow_step(
    *,
    actor,
    appointment: Appointment | int,
    step: str,
    room: Room | None = None,
    at: dt.datetime | None = None,
    reason: str = "",
) -> Appointment:
    """Move a visit one step along the patient flow, or say why that step is not possible.

    ``step`` is one of ``Appointment.FLOW_STEPS``. ``room`` (only with
    ``roomed``) puts the patient in that room. ``at`` defaults to now (the
    seed passes historical moments; it may not be before the previous step).
    Arrival is recorded on the visit's own day; a no-show once its time began.
    """
    try:
        with transaction.atomic():
            return _record(
                actor=actor, appointment=appointment, step=step, room=room, at=at, reason=reason
            )
    except (IntegrityError, OperationalError) as exc:
        if not guards.is_slot_race(exc):
            raise
        raise guards.slot_taken(
            f"{room.name if room else 'That room'} was just taken for this time; "
            "choose another room.",
            "room",
        ) from exc


def _record(*, actor, appointment, step, room, at, reason) -> Appointment:
    if step not in Appointment.FLOW_STEPS:
        raise errors.invalid(
            errors.INVALID,
            f"Unknown step '{step}'; use one of: {', '.join(Appointment.FLOW_STEPS)}.",
            "step",
        )
    if room is not None and step != Appointment.ROOMED:
        raise errors.invalid(errors.INVALID, "A room is given only when rooming.", "room")
    locked = locked_appointment(appointment)
    if step not in locked.next_steps:
        raise _invalid_step(locked, step)
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise errors.invalid(errors.INVALID_TIME, "Give the time with its time zone.", "at")
    since = locked.status_since
    if since is not None and at < since and locked.status not in Appointment.BOOKED_STATUSES:
        raise errors.invalid(
            errors.INVALID_TIME,
            f"This step cannot come before the previous one ({status_label(locked.status)} "
            f"at {hhmm(since.astimezone(locked.location.zone))}).",
            "at",
        )
    zone = locked.location.zone
    if step == Appointment.ARRIVED and at.astimezone(zone).date() != locked.local_start.date():
        raise errors.conflict(
            errors.INVALID_TRANSITION,
            f"This visit is on {guards.day_label(locked.local_start)}; "
            "arrival is recorded on the day of the visit.",
            "step",
        )
    if step == Appointment.NO_SHOW and at < locked.start:
        raise errors.conflict(
            errors.INVALID_TRANSITION,
            f"{locked.patient_short_name}'s visit starts at {hhmm(locked.local_start)} on "
            f"{guards.day_label(locked.local_start)}; a no-show is recorded once it has begun.",
            "step",
        )
    detail: dict = {}
    changed = ["status"]
    if room is not None:
        previous_room = locked.room_id
        _take_room(locked, room)
        if locked.room_id != previous_room:
            detail = {"room_from": previous_room, "room_to": locked.room_id}
            changed.append("room")

    before = locked.status
    at_field, by_field = Appointment.STATUS_STAMPS[step]
    locked.status = step
    setattr(locked, at_field, at)
    setattr(locked, by_field, acting_user(actor))
    changed += [at_field, by_field]
    locked.save(update_fields=changed)
    record_event(
        locked,
        kind=step,
        from_status=before,
        to_status=step,
        actor=actor,
        at=at,
        reason=(reason or "").strip(),
        detail=detail,
    )
    copy_back(
        appointment,
        locked,
        ["status", at_field, f"{by_field}_id", "room_id"],
    )
    return locked


def mark_no_show(
    *, actor, appointment: Appointment | int, at: dt.datetime | None = None, reason: str = ""
) -> Appointment:
    """Record that the patient did not come (only before arrival, once the visit's time began)."""
    return record_flow_step(
        actor=actor, appointment=appointment, step=Appointment.NO_SHOW, at=at, reason=reason
    )


@transaction.atomic
def confirm_appointment(
    *,
    actor,
    appointment: Appointment | int,
    at: dt.datetime | None = None,
    via: str = "",
) -> Appointment:
    """The patient confirmed they will come (by phone, a reminder reply …; ``via`` says how).

    Confirming twice changes nothing; a visit that has started or ended cannot be confirmed.
    """
    locked = locked_appointment(appointment)
    if locked.status == Appointment.CONFIRMED:
        return locked
    if locked.status != Appointment.SCHEDULED:
        raise errors.conflict(
            errors.INVALID_TRANSITION,
            f"Cannot confirm: {locked.patient_short_name}'s appointment is "
            f"{status_label(locked.status)}.",
            None,
        )
    at = at or timezone.now()
    locked.status = Appointment.CONFIRMED
    locked.confirmed_at = at
    locked.confirmed_by = acting_user(actor)
    locked.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    record_event(
        locked,
        kind=Appointment.CONFIRMED,
        from_status=Appointment.SCHEDULED,
        to_status=Appointment.CONFIRMED,
        actor=actor,
        at=at,
        detail={"via": via[:40]} if via else {},
    )
    copy_back(appointment, locked, ["status", "confirmed_at", "confirmed_by_id"])
    return locked
