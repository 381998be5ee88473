"""Reads behind the week view and the printable day sheet of one location.

Like the day grid (:mod:`.day_view`), each costs a fixed number of queries
whatever the number of appointments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from medoffice.core.models import Location
from medoffice.scheduling.day_view import (
    DEFAULT_STEP,
    Item,
    Visit,
    appointment_url_maker,
    exception_label,
    location_providers,
    place,
    safe_colour,
    visits_between,
)
from medoffice.scheduling.models import Appointment, AvailabilityTemplate, Provider
from medoffice.scheduling.selectors import (
    appointments_for_day,
    exceptions_overlapping,
    location_day_bounds,
    location_today,
)

WEEK_CHIPS = 6  # appointments listed per provider and day in the week view


# --- the week -------------------------------------------------------------------------


@dataclass
class WeekCell:
    day: dt.date
    chips: list[Item]
    more: int
    booked: int
    hours: str
    blocked: list[str]
    day_url: str


@dataclass
class WeekRow:
    name: str
    colour: str
    cells: list[WeekCell]
    booked: int


@dataclass
class WeekGrid:
    location: Location
    monday: dt.date
    days: list[dt.date]
    today: dt.date
    rows: list[WeekRow]
    totals: list[int]


def build_week_grid(
    *, location: Location, day: dt.date, now: dt.datetime | None = None
) -> WeekGrid:
    """Monday to Sunday of the week holding ``day``: per provider and day, the visits."""
    now = now or timezone.now()
    zone = location.zone
    monday = day - dt.timedelta(days=day.weekday())
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    start, _ = location_day_bounds(location, monday)
    end, _ = location_day_bounds(location, monday + dt.timedelta(days=7))
    providers = location_providers(location)
    visits_of_week = visits_between(location=location, start=start, end=end, occupying_only=True)
    blocks = list(
        AvailabilityTemplate.objects.filter(location=location, effective_from__lte=days[-1])
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=monday))
        .order_by("start_time")
    )
    exceptions = list(exceptions_overlapping(start=start, end=end, location=location))

    rows_of = [(p.pk, p.schedule_name, safe_colour(p.colour)) for p in providers]
    known = {p.pk for p in providers}
    for visit in visits_of_week:  # a provider no longer at the location still shows their visits
        if visit.provider_id not in known:
            known.add(visit.provider_id)
            rows_of.append((visit.provider_id, visit.provider_name, visit.provider_colour))
    by_cell: dict[tuple[int, dt.date], list[Visit]] = {}
    for visit in visits_of_week:
        by_cell.setdefault((visit.provider_id, visit.start.astimezone(zone).date()), []).append(
            visit
        )
    day_url = reverse("schedule_day")
    url_for = appointment_url_maker()
    bounds = [location_day_bounds(location, d) for d in days]
    rows = []
    totals = [0] * 7
    for provider_id, name, colour in rows_of:
        cells = []
        for n, d in enumerate(days):
            visits = by_cell.get((provider_id, d), [])
            hours = [b.hours for b in blocks if b.provider_id == provider_id and b.in_effect_on(d)]
            d_start, d_end = bounds[n]
            off = [
                exception_label(e)
                for e in exceptions
                if (e.provider_id is None or e.provider_id == provider_id)
                and e.start < d_end
                and e.end > d_start
            ]
            chips = [
                place(
                    a, day=d, zone=zone, start_minute=0, step=DEFAULT_STEP, now=now, url_for=url_for
                )
                for a in visits[:WEEK_CHIPS]
            ]
            totals[n] += len(visits)
            cells.append(
                WeekCell(
                    day=d,
                    chips=chips,
                    more=max(len(visits) - WEEK_CHIPS, 0),
                    booked=len(visits),
                    hours=", ".join(hours),
                    blocked=off,
                    day_url=f"{day_url}?{urlencode({'location': location.pk, 'date': d})}",
                )
            )
        rows.append(
            WeekRow(name=name, colour=colour, cells=cells, booked=sum(c.booked for c in cells))
        )
    return WeekGrid(
        location=location,
        monday=monday,
        days=days,
        today=location_today(location, now=now),
        rows=rows,
        totals=totals,
    )


# --- the printable day sheet ----------------------------------------------------------


@dataclass
class SheetSection:
    provider: Provider
    appointments: list[Appointment]


def day_sheet(*, location: Location, day: dt.date) -> list[SheetSection]:
    """The day's visits per provider, earliest first (cancelled visits left out)."""
    sections: dict[int, SheetSection] = {}
    for appt in appointments_for_day(location=location, day=day):
        section = sections.get(appt.provider_id)
        if section is None:
            section = sections[appt.provider_id] = SheetSection(appt.provider, [])
        section.appointments.append(appt)
    return sorted(sections.values(), key=lambda s: (s.provider.last_name, s.provider.first_name))
