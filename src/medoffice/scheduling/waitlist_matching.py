"""Who on the waitlist fits a freed slot, in the order the front desk calls them.

A waiting entry fits a slot when it wants the slot's appointment type, names
the slot's provider (or any provider) and location (or any location), its
date window holds the slot's local date, and the slot's local weekday and
start time suit its wishes. Fitting entries come oldest first (the patient
who has waited longest); between entries made at the same moment, the
narrower window first (the patient with fewer alternatives).

A *freed slot* is the time of an appointment cancelled in the last few days
that is still ahead, has not been booked again and is not blocked since.
``book_from_waitlist`` books an entry's patient into a slot through
``book_appointment`` and marks the entry booked, in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from medoffice.scheduling import errors
from medoffice.scheduling.models import Appointment, ScheduleException, WaitlistEntry
from medoffice.scheduling.selectors import OCCUPYING_STATUSES
from medoffice.scheduling.services import book_appointment, mark_waitlist_booked
from medoffice.scheduling.services.waitlist import locked_waitlist_entry
from medoffice.scheduling.slots import Slot
from medoffice.scheduling.slots.finder import LONGEST_VISIT

RECENT_DAYS = 7
MAX_FREED = 50


@dataclass(frozen=True)
class FreedSlot:
    """The time a cancelled appointment gave back, with that appointment."""

    appointment: Appointment
    slot: Slot


def slot_of(appointment: Appointment) -> Slot:
    """The slot an appointment held: its provider, location, room, times and type."""
    return Slot(
        provider=appointment.provider,
        location=appointment.location,
        room=appointment.room,
        start=appointment.start,
        end=appointment.end,
        appointment_type=appointment.appointment_type,
    )


def _fits(entry: WaitlistEntry, slot: Slot) -> bool:
    if entry.appointment_type_id != slot.appointment_type.pk:
        return False
    if entry.location_id is not None and entry.location_id != slot.location.pk:
        return False
    wanted = {p.pk for p in entry.providers.all()}
    if wanted and slot.provider.pk not in wanted:
        return False
    local = slot.local_start
    return (
        entry.earliest_date <= local.date() <= entry.latest_date
        and entry.accepts_weekday(local.weekday())
        and entry.accepts_local_time(local.time())
    )


def _order(entry: WaitlistEntry) -> tuple:
    return (entry.created_at, (entry.latest_date - entry.earliest_date).days, entry.pk)


def matches_for_slots(
    slots: Sequence[Slot], *, not_for_patients: Sequence[int | None] = ()
) -> list[list[WaitlistEntry]]:
    """For each slot, the waiting entries that fit it, in calling order (two queries in all).

    ``not_for_patients[i]`` leaves out that patient's entries for slot ``i`` (the
    patient who just cancelled it). Entries of inactive patient records never match.
    """
    if not slots:
        return []
    days = [s.local_start.date() for s in slots]
    entries = list(
        WaitlistEntry.objects.filter(
            status=WaitlistEntry.WAITING,
            patient__active=True,
            appointment_type_id__in={s.appointment_type.pk for s in slots},
            earliest_date__lte=max(days),
            latest_date__gte=min(days),
        )
        .filter(Q(location__isnull=True) | Q(location_id__in={s.location.pk for s in slots}))
        .select_related("patient", "appointment_type", "location")
        .prefetch_related("providers")
    )
    entries.sort(key=_order)
    excluded = list(not_for_patients) + [None] * (len(slots) - len(not_for_patients))
    return [
        [e for e in entries if e.patient_id != skip and _fits(e, slot)]
        for slot, skip in zip(slots, excluded, strict=True)
    ]


def _check_cancelled(appointment: Appointment) -> None:
    if appointment.status != Appointment.CANCELLED:
        raise errors.invalid(
            errors.INVALID,
            "Waitlist matches are for a cancelled appointment; this one is "
            f"{appointment.get_status_display().lower()}.",
            "appointment",
        )


def waitlist_matches(
    *, slot: Slot | None = None, appointment: Appointment | None = None
) -> list[WaitlistEntry]:
    """The waiting entries that fit ``slot``, or the time the cancelled ``appointment`` held
    (leaving out its own patient), earliest created first; ties: the narrower window first."""
    if (slot is None) == (appointment is None):
        raise ValueError("give a slot or a cancelled appointment")
    if appointment is not None:
        _check_cancelled(appointment)
        return matches_for_slots([slot_of(appointment)], not_for_patients=[appointment.patient_id])[
            0
        ]
    return matches_for_slots([slot])[0]


def _still_free():
    """Exists-subqueries: the time of the outer appointment is taken again, or blocked since."""
    taken = Appointment.objects.filter(
        provider=OuterRef("provider"),
        status__in=OCCUPYING_STATUSES,
        start__lt=OuterRef("end"),
        start__gte=OuterRef("start") - LONGEST_VISIT,
        end__gt=OuterRef("start"),
    )
    blocked = ScheduleException.objects.filter(
        Q(provider__isnull=True) | Q(provider=OuterRef("provider")),
        Q(location__isnull=True) | Q(location=OuterRef("location")),
        start__lt=OuterRef("end"),
        end__gt=OuterRef("start"),
    )
    return Exists(taken), Exists(blocked)


def freed_slots(
    *,
    now: dt.datetime | None = None,
    days: int = RECENT_DAYS,
    location=None,
    provider=None,
    appointment_type=None,
    limit: int = MAX_FREED,
) -> list[FreedSlot]:
    """Times given back by appointments cancelled in the last ``days`` days, still ahead and
    still free (nobody booked them again, no blocked time since), earliest first (one query).

    A time cancelled twice (booked again, cancelled again) is listed once, with its latest
    cancellation.
    """
    now = now or timezone.now()
    taken, blocked = _still_free()
    rows = (
        Appointment.objects.filter(
            status=Appointment.CANCELLED,
            cancelled_at__gte=now - dt.timedelta(days=days),
            start__gt=now,
            provider__active=True,
            location__active=True,
            appointment_type__active=True,
        )
        .annotate(taken=taken, blocked=blocked)
        .filter(taken=False, blocked=False)
        .select_related("patient", "provider", "location", "room", "appointment_type")
        .order_by("start", "provider__last_name", "-cancelled_at", "id")
    )
    if location is not None:
        rows = rows.filter(location=location)
    if provider is not None:
        rows = rows.filter(provider=provider)
    if appointment_type is not None:
        rows = rows.filter(appointment_type=appointment_type)
    freed: list[FreedSlot] = []
    seen = set()
    for appointment in rows[: limit * 2]:
        key = (appointment.provider_id, appointment.location_id, appointment.start, appointment.end)
        if key in seen:
            continue
        seen.add(key)
        freed.append(FreedSlot(appointment=appointment, slot=slot_of(appointment)))
        if len(freed) >= limit:
            break
    return freed


def freed_slot_of(appointment: Appointment, *, now: dt.datetime | None = None) -> Slot:
    """The slot a cancelled appointment freed, or the error saying why there is none to fill."""
    now = now or timezone.now()
    _check_cancelled(appointment)
    if appointment.start <= now:
        raise errors.invalid(
            errors.IN_THE_PAST, "That appointment's time has already passed.", "appointment"
        )
    taken, blocked = _still_free()
    state = (
        Appointment.objects.filter(pk=appointment.pk)
        .annotate(taken=taken, blocked=blocked)
        .values("taken", "blocked")
        .get()
    )
    if state["taken"]:
        raise errors.conflict(
            errors.SLOT_TAKEN,
            f"{appointment.provider.schedule_name}'s time "
            f"{slot_of(appointment).local_hours} has been booked again.",
            "appointment",
        )
    if state["blocked"]:
        raise errors.conflict(
            errors.SCHEDULE_BLOCKED, "That time has been blocked since.", "appointment"
        )
    return slot_of(appointment)


def book_from_waitlist(
    *, actor, entry: WaitlistEntry | int, slot: Slot, now: dt.datetime | None = None
) -> Appointment:
    """Book a waiting patient into ``slot`` and mark their entry booked, all or nothing.

    The visit is the entry's appointment type at the slot's provider, location and
    start, booked through ``book_appointment`` (so a slot taken meanwhile is its
    ``slot_taken`` error).
    """
    pk = entry.pk if isinstance(entry, WaitlistEntry) else entry
    with transaction.atomic():
        locked = locked_waitlist_entry(pk, field="entry")
        appointment = book_appointment(
            actor=actor,
            patient=locked.patient,
            provider=slot.provider,
            location=slot.location,
            appointment_type=locked.appointment_type,
            start=slot.start,
            notes="From the waitlist",
            now=now,
        )
        mark_waitlist_booked(entry=locked, appointment=appointment)
    if isinstance(entry, WaitlistEntry):
        entry.status, entry.booked_appointment = locked.status, appointment
    return appointment
