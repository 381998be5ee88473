"""Putting a patient on the waitlist for an earlier visit, and taking them off it.

Matching entries to freed slots is the open-slot finder's work; these are the
two doors for the entries themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from medoffice.core.errors import DomainError
from medoffice.core.models import Location
from medoffice.patients.models import Patient
from medoffice.scheduling import errors
from medoffice.scheduling.models import AppointmentType, Provider, WaitlistEntry, weekday_mask
from medoffice.scheduling.services.events import acting_user

MAX_WINDOW_DAYS = 366


@transaction.atomic
def add_to_waitlist(
    *,
    actor,
    patient: Patient,
    appointment_type: AppointmentType,
    earliest_date: dt.date,
    latest_date: dt.date,
    providers: Iterable[Provider] = (),
    location: Location | None = None,
    preferred_weekdays: Iterable[int] = (),
    preferred_time: str = WaitlistEntry.ANY_TIME,
    note: str = "",
    now: dt.datetime | None = None,
) -> WaitlistEntry:
    """Add a patient who wants an earlier ``appointment_type`` visit between two dates.

    ``providers`` empty = any provider, ``location`` None = any location,
    ``preferred_weekdays`` 0 (Monday) … 6 (Sunday), empty = any day;
    ``preferred_time`` morning, afternoon or any.
    """
    now = now or timezone.now()
    providers = list(providers)
    if not patient.active:
        raise errors.invalid(errors.INACTIVE, "This patient's record is inactive.", "patient")
    if not appointment_type.active:
        raise errors.invalid(
            errors.INACTIVE,
            f"'{appointment_type.name}' is no longer offered.",
            "appointment_type",
        )
    if latest_date < earliest_date:
        raise errors.invalid(
            errors.INVALID_WINDOW,
            "The latest date cannot be before the earliest date.",
            "latest_date",
        )
    zone = location.zone if location is not None else timezone.get_current_timezone()
    if latest_date < now.astimezone(zone).date():
        raise errors.invalid(
            errors.INVALID_WINDOW, "The latest date is already past.", "latest_date"
        )
    if (latest_date - earliest_date).days > MAX_WINDOW_DAYS:
        raise errors.invalid(
            errors.INVALID_WINDOW, "Keep the window to a year at most.", "latest_date"
        )
    if location is not None and not location.active:
        raise errors.invalid(errors.INACTIVE, f"{location.name} is closed.", "location")
    for provider in providers:
        if not provider.active:
            raise errors.invalid(
                errors.INACTIVE, f"{provider.schedule_name} is no longer active.", "providers"
            )
        if location is not None and not provider.locations.filter(pk=location.pk).exists():
            raise errors.invalid(
                errors.NOT_AT_LOCATION,
                f"{provider.schedule_name} does not see patients at {location.name}.",
                "providers",
            )
    try:
        mask = weekday_mask(preferred_weekdays)
    except (TypeError, ValueError):
        raise errors.invalid(
            errors.INVALID,
            "Preferred weekdays are numbers 0 (Monday) to 6 (Sunday).",
            "preferred_weekdays",
        ) from None
    if preferred_time not in dict(WaitlistEntry.TIME_CHOICES):
        raise errors.invalid(
            errors.INVALID, "Preferred time is morning, afternoon or any.", "preferred_time"
        )
    note = (note or "").strip()
    if len(note) > 200:
        raise errors.invalid(errors.INVALID, "Keep the note to 200 characters.", "note")
    entry = WaitlistEntry.objects.create(
        patient=patient,
        appointment_type=appointment_type,
        location=location,
        earliest_date=earliest_date,
        latest_date=latest_date,
        preferred_weekdays=mask,
        preferred_time=preferred_time,
        note=note,
        created_by=acting_user(actor),
        created_at=now,
    )
    if providers:
        entry.providers.set(providers)
    return entry


@transaction.atomic
def remove_from_waitlist(
    *,
    actor,
    entry: WaitlistEntry | int,
    reason: str = "",
    now: dt.datetime | None = None,
) -> WaitlistEntry:
    """Take an open entry off the waitlist (the patient found a time, or no longer wants one)."""
    pk = entry.pk if isinstance(entry, WaitlistEntry) else entry
    locked = locked_waitlist_entry(pk, field=None)
    locked.status = WaitlistEntry.REMOVED
    locked.removed_at = now or timezone.now()
    locked.removed_by = acting_user(actor)
    locked.removed_reason = (reason or "").strip()[:200]
    locked.save(update_fields=["status", "removed_at", "removed_by", "removed_reason"])
    if isinstance(entry, WaitlistEntry) and entry is not locked:
        entry.status = locked.status
        entry.removed_at = locked.removed_at
        entry.removed_by_id = locked.removed_by_id
        entry.removed_reason = locked.removed_reason
    return locked


def locked_waitlist_entry(pk: int, *, field: str | None) -> WaitlistEntry:
    """The entry, row-locked, if it is still open; a clear refusal otherwise."""
    locked = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("patient", "appointment_type")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise DomainError(
            errors.NOT_FOUND, f"There is no waitlist entry {pk}.", "entry", status=404
        )
    if locked.status not in WaitlistEntry.OPEN_STATUSES:
        raise errors.conflict(
            errors.INVALID_TRANSITION,
            f"This waitlist entry is already {locked.get_status_display().lower()}.",
            field,
        )
    return locked


@transaction.atomic
def mark_waitlist_booked(*, entry: WaitlistEntry | int, appointment) -> WaitlistEntry:
    """Close an open entry because the patient now has ``appointment``.

    Called inside the transaction that booked the visit, so the entry and the visit
    land together or not at all. The entry must be the same patient's.
    """
    pk = entry.pk if isinstance(entry, WaitlistEntry) else entry
    locked = locked_waitlist_entry(pk, field="entry")
    if locked.patient_id != appointment.patient_id:
        raise DomainError(
            errors.INVALID,
            "The visit is for another patient than this waitlist entry.",
            "entry",
            status=422,
        )
    locked.status = WaitlistEntry.BOOKED
    locked.booked_appointment = appointment
    locked.save(update_fields=["status", "booked_appointment"])
    if isinstance(entry, WaitlistEntry) and entry is not locked:
        entry.status, entry.booked_appointment = locked.status, appointment
    return locked
