"""Writing an appointment's history, and loading an appointment to change it."""

from __future__ import annotations

import datetime as dt

from medoffice.core.errors import DomainError
from medoffice.scheduling import errors
from medoffice.scheduling.models import Appointment, AppointmentEvent


def acting_user(actor):
    """The user to record, or None for the system (no actor, or an anonymous one)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor


def record_event(
    appointment: Appointment,
    *,
    kind: str,
    from_status: str,
    to_status: str,
    actor,
    at: dt.datetime,
    reason: str = "",
    detail: dict | None = None,
) -> AppointmentEvent:
    return AppointmentEvent.objects.create(
        appointment=appointment,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        at=at,
        by=acting_user(actor),
        reason=reason[:200],
        detail=detail or {},
    )


def locked_appointment(appointment: Appointment | int) -> Appointment:
    """The appointment, re-read and row-locked until the transaction ends (call inside atomic)."""
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    try:
        return (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("patient", "provider", "location", "room", "appointment_type")
            .get(pk=pk)
        )
    except Appointment.DoesNotExist:
        raise DomainError(
            errors.NOT_FOUND, f"There is no appointment {pk}.", "appointment", status=404
        ) from None


def copy_back(target, source: Appointment, fields: list[str]) -> None:
    """Let the caller's instance show what the service changed."""
    if isinstance(target, Appointment) and target is not source:
        for name in fields:
            setattr(target, name, getattr(source, name))


def status_label(status: str) -> str:
    return Appointment.STATUS_LABELS.get(status, status).lower()
