"""Reads of the schedule set-up pages: searchable lists, and a provider's week as a grid."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from medoffice.core.models import Location
from medoffice.scheduling.models import (
    WEEKDAY_CHOICES,
    AppointmentType,
    AvailabilityTemplate,
    Provider,
    Room,
    ScheduleException,
)


def _status(qs: QuerySet, status: str | None) -> QuerySet:
    """``active``, ``inactive``, or anything else for both."""
    if status == "active":
        return qs.filter(active=True)
    if status == "inactive":
        return qs.filter(active=False)
    return qs


def providers_matching(
    *, text: str = "", status: str | None = "active", location: Location | None = None
) -> QuerySet[Provider]:
    """Providers whose name, NPI or specialty contains each word typed, with their locations."""
    qs = Provider.objects.all()
    for word in text.split():
        qs = qs.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(npi__startswith=word)
            | Q(specialty__icontains=word)
        )
    if location is not None:
        qs = qs.filter(locations=location)
    return (
        _status(qs, status)
        .annotate(blocks=Count("availability_templates", distinct=True))
        .prefetch_related("locations")
        .order_by("last_name", "first_name", "pk")
    )


def rooms_matching(
    *, text: str = "", status: str | None = "active", location: Location | None = None
) -> QuerySet[Room]:
    qs = Room.objects.select_related("location")
    for word in text.split():
        qs = qs.filter(Q(name__icontains=word) | Q(location__name__icontains=word))
    if location is not None:
        qs = qs.filter(location=location)
    return _status(qs, status).order_by("location__name", "name", "pk")


def appointment_types_matching(
    *, text: str = "", status: str | None = "active"
) -> QuerySet[AppointmentType]:
    qs = AppointmentType.objects.all()
    for word in text.split():
        qs = qs.filter(Q(name__icontains=word) | Q(code__istartswith=word))
    return _status(qs, status).order_by("name", "pk")


def exceptions_matching(
    *,
    text: str = "",
    when: str = "upcoming",
    location: Location | None = None,
    now: dt.datetime,
) -> QuerySet[ScheduleException]:
    """Blocked time: ``when`` upcoming (not over yet, soonest first) or past (latest first)."""
    qs = ScheduleException.objects.select_related("provider", "location").prefetch_related(
        "provider__locations"
    )
    for word in text.split():
        qs = qs.filter(
            Q(reason__icontains=word)
            | Q(provider__last_name__icontains=word)
            | Q(provider__first_name__icontains=word)
            | Q(kind__icontains=word)
        )
    if location is not None:
        qs = qs.filter(Q(location=location) | Q(location__isnull=True))
    if when == "past":
        return qs.filter(end__lte=now).order_by("-start", "pk")
    return qs.filter(end__gt=now).order_by("start", "pk")


@dataclass
class GridBlock:
    block: AvailabilityTemplate
    top: float  # percent of the day column
    height: float
    codes: list[str]


@dataclass
class GridDay:
    weekday: int
    name: str
    blocks: list[GridBlock] = field(default_factory=list)


@dataclass
class WeekGrid:
    """A provider's blocks in effect during one week, laid out Monday to Sunday."""

    days: list[GridDay]
    hours: list[tuple[str, float]]  # ("8:00", percent from the top) for each hour line
    first: int  # minutes after midnight at the top
    last: int
    other_blocks: list[AvailabilityTemplate]  # ended before or starting after that week


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def week_grid(*, provider: Provider, location: Location | None, week_of: dt.date) -> WeekGrid:
    """The provider's blocks (at ``location``, or everywhere) in effect in ``week_of``'s week."""
    monday = week_of - dt.timedelta(days=week_of.weekday())
    sunday = monday + dt.timedelta(days=6)
    qs = (
        AvailabilityTemplate.objects.filter(provider=provider)
        .select_related("location")
        .prefetch_related("appointment_types")
        .order_by("weekday", "start_time", "effective_from")
    )
    if location is not None:
        qs = qs.filter(location=location)
    current, other = [], []
    for block in qs:
        ended = block.effective_to is not None and block.effective_to < monday
        if block.effective_from > sunday or ended:
            other.append(block)
        else:
            current.append(block)
    first = min([_minutes(b.start_time) for b in current] + [8 * 60])
    last = max([_minutes(b.end_time) for b in current] + [17 * 60])
    first, last = first // 60 * 60, -(-last // 60) * 60
    span = last - first
    days = [GridDay(weekday=n, name=name) for n, name in WEEKDAY_CHOICES]
    for block in current:
        top = (_minutes(block.start_time) - first) / span * 100
        height = (_minutes(block.end_time) - _minutes(block.start_time)) / span * 100
        codes = sorted(t.code for t in block.appointment_types.all())
        days[block.weekday].blocks.append(GridBlock(block, round(top, 2), round(height, 2), codes))
    hours = [
        (f"{hour}:00", round((hour * 60 - first) / span * 100, 2))
        for hour in range(first // 60, last // 60 + 1)
    ]
    return WeekGrid(days=days, hours=hours, first=first, last=last, other_blocks=other)


def _day(value: dt.date, *, year: bool) -> str:
    text = f"{value:%a} {value:%b} {value.day}"
    return f"{text}, {value.year}" if year else text


def _clock(moment: dt.datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def exception_when(exception: ScheduleException, *, office_zones: list, default_zone) -> str:
    """Blocked time as the office says it: "Mon Dec 21 – Fri Dec 25, 2026 (whole days)",
    "Wed Dec 9, 2026, 8:00–9:00 CST" — in the zone of its location (or its provider's
    first location); time for everyone everywhere is read in every office's zone."""
    if exception.location is not None:
        zones = [exception.location.zone]
    elif exception.provider is not None:
        first = next(iter(exception.provider.locations.all()), None)
        zones = [first.zone] if first is not None else [default_zone]
    else:
        zones = office_zones or [default_zone]
    midnight = dt.time(0)
    start_zone = next((z for z in zones if exception.start.astimezone(z).time() == midnight), None)
    end_zone = next((z for z in zones if exception.end.astimezone(z).time() == midnight), None)
    if start_zone is not None and end_zone is not None:
        first = exception.start.astimezone(start_zone).date()
        last = exception.end.astimezone(end_zone).date() - dt.timedelta(days=1)
        if last <= first:
            return f"{_day(first, year=True)} (whole day)"
        return f"{_day(first, year=first.year != last.year)} – {_day(last, year=True)} (whole days)"
    zone = zones[0]
    start, end = exception.start.astimezone(zone), exception.end.astimezone(zone)
    if start.date() == end.date():
        return f"{_day(start.date(), year=True)}, {_clock(start)}–{_clock(end)} {end:%Z}"
    return (
        f"{_day(start.date(), year=True)} {_clock(start)} – "
        f"{_day(end.date(), year=True)} {_clock(end)} {end:%Z}"
    )
