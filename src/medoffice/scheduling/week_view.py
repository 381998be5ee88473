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
    exception_label,
    location_providers,
    place,
    safe_colour,
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
    provider: Provider
    cells: list[WeekCell]
    booked: int

    @property
    def colour(self) -> str:
        return safe_colour(self.provider.colour)


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
    appts = list(
        Appointment.objects.filter(location=location, start__gte=start, start__lt=end)
        .exclude(status__in=Appointment.NOT_OCCUPYING_STATUSES)
        .select_related("patient", "provider", "room", "appointment_type")
        .order_by("start", "id")
    )
    blocks = list(
        AvailabilityTemplate.objects.filter(location=location, effective_from__lte=days[-1])
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=monday))
        .order_by("start_time")
    )
    exceptions = list(exceptions_overlapping(start=start, end=end, location=location))

    known = {p.pk for p in providers}
    for appt in appts:
        if appt.provider_id not in known:
            known.add(appt.provider_id)
            providers.append(appt.provider)
    by_cell: dict[tuple[int, dt.date], list[Appointment]] = {}
    for appt in appts:
        by_cell.setdefault((appt.provider_id, appt.local_start.date()), []).append(appt)
    day_url = reverse("schedule_day")
    bounds = [location_day_bounds(location, d) for d in days]
    rows = []
    totals = [0] * 7
    for provider in providers:
        cells = []
        for n, d in enumerate(days):
            visits = by_cell.get((provider.pk, d), [])
            hours = [b.hours for b in blocks if b.provider_id == provider.pk and b.in_effect_on(d)]
            d_start, d_end = bounds[n]
            off = [
                exception_label(e)
                for e in exceptions
                if (e.provider_id is None or e.provider_id == provider.pk)
                and e.start < d_end
                and e.end > d_start
            ]
            chips = [
                place(a, day=d, zone=zone, start_minute=0, step=DEFAULT_STEP, now=now)
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
        rows.append(WeekRow(provider=provider, cells=cells, booked=sum(c.booked for c in cells)))
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
