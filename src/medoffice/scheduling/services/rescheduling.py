"""Moving and cancelling visits that have not started yet."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from medoffice.core.errors import DomainError
from medoffice.core.models import Location
from medoffice.scheduling import errors
from medoffice.scheduling.models import Appointment, AppointmentType, Provider, Room
from medoffice.scheduling.services import guards
from medoffice.scheduling.services.booking import book_one, race_error
from medoffice.scheduling.services.checks import aware_utc, clean_text, covers
from medoffice.scheduling.services.events import (
    copy_back,
    locked_appointment,
    record_event,
    status_label,
)

RESCHEDULED = "rescheduled"


def _not_bookable_any_more(appointment: Appointment, doing: str) -> DomainError:
    who = appointment.patient_short_name
    status = appointment.status
    if status == Appointment.CANCELLED:
        message = f"This appointment of {who} was already cancelled."
    elif status in Appointment.IN_OFFICE_STATUSES:
        message = (
            f"{who} has already arrived ({status_label(status)}); it cannot be {doing} now. "
            "Record 'left without being seen' if they leave."
        )
    else:
        message = f"This appointment of {who} is {status_label(status)}; it cannot be {doing}."
    return errors.conflict(errors.INVALID_TRANSITION, message, None)


def _mark_cancelled(appointment: Appointment, *, actor, reason: str, at: dt.datetime) -> str:
    """Set the cancelled status and stamps; the caller records the event. Returns the old status."""
    before = appointment.status
    appointment.status = Appointment.CANCELLED
    appointment.cancelled_at = at
    appointment.cancelled_by = actor if getattr(actor, "is_authenticated", False) else None
    appointment.cancel_reason = reason[:200]
    appointment.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    return before


@transaction.atomic
def cancel_appointment(
    *, actor, appointment: Appointment | int, reason: str, now: dt.datetime | None = None
) -> Appointment:
    """Cancel a visit that has not started (scheduled or confirmed), with the reason given."""
    reason = clean_text(reason, "reason")
    if not reason:
        raise errors.invalid(
            errors.REASON_REQUIRED, "Say why the appointment is cancelled.", "reason"
        )
    locked = locked_appointment(appointment)
    if locked.status not in Appointment.BOOKED_STATUSES:
        raise _not_bookable_any_more(locked, "cancelled")
    at = now or timezone.now()
    before = _mark_cancelled(locked, actor=actor, reason=reason, at=at)
    record_event(
        locked,
        kind=Appointment.CANCELLED,
        from_status=before,
        to_status=Appointment.CANCELLED,
        actor=actor,
        at=at,
        reason=reason,
    )
    copy_back(appointment, locked, ["status", "cancelled_at", "cancelled_by_id", "cancel_reason"])
    return locked


def reschedule_appointment(
    *,
    actor,
    appointment: Appointment | int,
    start: dt.datetime,
    provider: Provider | None = None,
    location: Location | None = None,
    appointment_type: AppointmentType | None = None,
    room: Room | None = None,
    overbook_reason: str = "",
    allow_outside_template: bool = False,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """Move a visit: book the new time and cancel the old one ("rescheduled"), atomically.

    Provider, location and type stay the same unless given; the room is picked
    again unless given. The new appointment's ``rescheduled_from`` is the old
    one; the old one's ``cancelled`` event names the new one. Since the old
    visit is released first, the new time may overlap it (9:00 → 9:10).
    """
    try:
        with transaction.atomic():
            return _reschedule(
                actor=actor,
                appointment=appointment,
                start=start,
                provider=provider,
                location=location,
                appointment_type=appointment_type,
                room=room,
                overbook_reason=overbook_reason,
                allow_outside_template=allow_outside_template,
                reason=reason,
                now=now,
            )
    except (IntegrityError, OperationalError) as exc:
        if not guards.is_slot_race(exc):
            raise
        old = Appointment.objects.select_related("provider", "appointment_type", "location").get(
            pk=appointment.pk if isinstance(appointment, Appointment) else appointment
        )
        raise race_error(
            exc,
            provider=provider or old.provider,
            room=room,
            location=location or old.location,
            appointment_type=appointment_type or old.appointment_type,
            start=start,
            end=None,
        ) from exc


def _reschedule(
    *,
    actor,
    appointment,
    start,
    provider,
    location,
    appointment_type,
    room,
    overbook_reason,
    allow_outside_template,
    reason,
    now,
) -> Appointment:
    now = now or timezone.now()
    reason = clean_text(reason, "reason")
    old = locked_appointment(appointment)
    if old.status not in Appointment.BOOKED_STATUSES:
        raise _not_bookable_any_more(old, "moved")
    provider = provider or old.provider
    location = location or old.location
    appointment_type = appointment_type or old.appointment_type
    new_start = aware_utc(start, "start")
    if (
        new_start == old.start
        and provider.pk == old.provider_id
        and location.pk == old.location_id
        and appointment_type.pk == old.appointment_type_id
        and (room is None or room.pk == old.room_id)
    ):
        raise errors.invalid(
            errors.INVALID, "The new time is the same as the current one.", "start"
        )
    # Release the old time first, so the new one may overlap it (9:00 -> 9:10).
    before = _mark_cancelled(old, actor=actor, reason=RESCHEDULED, at=now)
    new = book_one(
        actor=actor,
        patient=old.patient,
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        start=new_start,
        room=room,
        overbook_reason=overbook_reason,
        allow_outside_template=allow_outside_template,
        notes=old.notes,
        now=now,
        series=old.series,
        rescheduled_from=old,
        # The visit keeps its chosen coverage if that still covers the new date; otherwise
        # billing falls back to the patient's coverages in order.
        coverage=old.coverage if covers(old.coverage, location, new_start) else None,
    )
    record_event(
        old,
        kind=Appointment.CANCELLED,
        from_status=before,
        to_status=Appointment.CANCELLED,
        actor=actor,
        at=now,
        reason=reason or RESCHEDULED,
        detail={"rescheduled_to": new.pk},
    )
    copy_back(appointment, old, ["status", "cancelled_at", "cancelled_by_id", "cancel_reason"])
    return new
