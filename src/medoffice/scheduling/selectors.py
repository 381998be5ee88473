"""Reads of the schedule: a location's day, what occupies a provider or room, local time helpers.

Times are stored in UTC and meant in a location's zone. ``local_to_utc`` and
``location_day_bounds`` are the one way to turn "Monday 9:30 at Main" into
the instants the database holds; the open-slot finder, the day view and the
booking service all use them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from medoffice.core.models import Location
from medoffice.scheduling.models import (
    Appointment,
    AppointmentEvent,
    AppointmentType,
    AvailabilityTemplate,
    Provider,
    Room,
    ScheduleException,
)

# Statuses that hold a provider's and a room's time (everything but cancelled and no-show).
OCCUPYING_STATUSES: tuple[str, ...] = Appointment.OCCUPYING_STATUSES


def occupying_statuses() -> tuple[str, ...]:
    """The statuses that hold a provider's and a room's time: all but cancelled and no-show.

    The database's no-double-booking guards (migration 0003) use the same list.
    """
    return OCCUPYING_STATUSES


def local_to_utc(location: Location, day: dt.date, time: dt.time) -> dt.datetime:
    """The UTC instant of wall-clock ``time`` on ``day`` at ``location``.

    Around daylight-saving changes zoneinfo decides: a time that does not exist
    (2:30 on the spring-forward night) lands an hour later, an ambiguous one
    (1:30 on the fall-back night) is its first occurrence.
    """
    local = dt.datetime.combine(day, time.replace(tzinfo=None), tzinfo=location.zone)
    return local.astimezone(dt.UTC)


def to_local(location: Location, moment: dt.datetime) -> dt.datetime:
    """``moment`` (aware) as wall-clock time at ``location``."""
    return moment.astimezone(location.zone)


def location_today(location: Location, *, now: dt.datetime | None = None) -> dt.date:
    from django.utils import timezone

    return (now or timezone.now()).astimezone(location.zone).date()


def location_day_bounds(location: Location, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where ``day`` begins and ends at ``location`` (23 or 25 h on DST days)."""
    return (
        local_to_utc(location, day, dt.time(0)),
        local_to_utc(location, day + dt.timedelta(days=1), dt.time(0)),
    )


def appointments_for_day(
    *,
    location: Location,
    day: dt.date,
    providers: Iterable[Provider | int] | None = None,
    include_cancelled: bool = False,
) -> QuerySet[Appointment]:
    """The appointments starting on ``day`` (location time) at ``location``, earliest first.

    Patient, provider, room, type and location come in the same query, so a
    day view costs one query however many visits it shows. No-shows are
    included (the day sheet shows them); cancelled visits only when asked.
    """
    start, end = location_day_bounds(location, day)
    qs = Appointment.objects.filter(location=location, start__gte=start, start__lt=end)
    if providers is not None:
        qs = qs.filter(provider__in=[p.pk if isinstance(p, Provider) else p for p in providers])
    if not include_cancelled:
        qs = qs.exclude(status=Appointment.CANCELLED)
    return qs.select_related(
        "patient", "provider", "room", "appointment_type", "location"
    ).order_by("start", "provider__last_name", "id")


def occupying_appointments(
    *,
    start: dt.datetime,
    end: dt.datetime,
    provider: Provider | int | None = None,
    room: Room | int | None = None,
    exclude_ids: Iterable[int] = (),
) -> QuerySet[Appointment]:
    """Occupying appointments overlapping ``[start, end)`` of ``provider`` and/or ``room``.

    With both given, an appointment matches if it holds either. Overbooked
    appointments are included: they hold the time too.
    """
    if provider is None and room is None:
        raise ValueError("give a provider, a room, or both")
    who = Q()
    if provider is not None:
        who |= Q(provider=provider)
    if room is not None:
        who |= Q(room=room)
    # No visit lasts longer than the longest type allows, so the lower bound on start lets
    # the (provider, start) and (room, start) indexes read a few rows, not all history.
    earliest = start - dt.timedelta(minutes=AppointmentType.MAX_MINUTES)
    qs = Appointment.objects.filter(
        who, status__in=OCCUPYING_STATUSES, start__lt=end, end__gt=start, start__gt=earliest
    )
    ids = list(exclude_ids)
    if ids:
        qs = qs.exclude(pk__in=ids)
    return qs.order_by("start", "id")


def blocks_for_day(
    *, provider: Provider | int, location: Location | int, day: dt.date
) -> list[AvailabilityTemplate]:
    """The provider's availability blocks at ``location`` in effect on ``day``, earliest first.

    Each block's ``appointment_types`` are prefetched (empty = every type).
    """
    return list(
        AvailabilityTemplate.objects.filter(
            provider=provider, location=location, weekday=day.weekday(), effective_from__lte=day
        )
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .prefetch_related("appointment_types")
        .order_by("start_time")
    )


def exceptions_overlapping(
    *,
    start: dt.datetime,
    end: dt.datetime,
    provider: Provider | int | None = None,
    location: Location | int | None = None,
) -> QuerySet[ScheduleException]:
    """Blocked time overlapping ``[start, end)`` that applies to ``provider`` at ``location``.

    An exception without a provider applies to everyone at its location; one
    without a location applies everywhere.
    """
    qs = ScheduleException.objects.filter(start__lt=end, end__gt=start)
    if provider is not None:
        qs = qs.filter(Q(provider__isnull=True) | Q(provider=provider))
    if location is not None:
        qs = qs.filter(Q(location__isnull=True) | Q(location=location))
    return qs.select_related("provider", "location").order_by("start")


def appointment_history(appointment: Appointment | int) -> QuerySet[AppointmentEvent]:
    """Every recorded change of an appointment, oldest first, with who made it."""
    return AppointmentEvent.objects.filter(appointment=appointment).select_related("by")
