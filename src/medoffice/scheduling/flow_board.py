"""Reads behind the flow board: today's patients at a location by step, and how long each waits.

A visit's clock is the time since it entered its current status
(``Appointment.status_since``): since arrival in the waiting room, since
rooming, since the provider came in. Checked-out visits show the minutes each
step took. One query for the day's visits (plain values, no model objects), whatever
their number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q
from django.utils import timezone

from medoffice.core.models import Location
from medoffice.scheduling.day_view import (
    Visit,
    minutes_between,
    url_maker,
    visits_between,
    wait_level,
)
from medoffice.scheduling.models import Appointment
from medoffice.scheduling.models.availability import hhmm
from medoffice.scheduling.selectors import location_day_bounds

EXPECTED = "expected"
# (key, title, statuses) in the order a patient moves through the office.
COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (EXPECTED, "Expected", Appointment.BOOKED_STATUSES),
    (Appointment.ARRIVED, "Waiting room", (Appointment.ARRIVED,)),
    (Appointment.ROOMED, "Roomed", (Appointment.ROOMED,)),
    (Appointment.WITH_PROVIDER, "With provider", (Appointment.WITH_PROVIDER,)),
    (Appointment.CHECKED_OUT, "Checked out", (Appointment.CHECKED_OUT,)),
)
# The button that moves a card one step on: status -> (step, label).
NEXT_ACTION: dict[str, tuple[str, str]] = {
    Appointment.SCHEDULED: (Appointment.ARRIVED, "Check in"),
    Appointment.CONFIRMED: (Appointment.ARRIVED, "Check in"),
    Appointment.ARRIVED: (Appointment.ROOMED, "Room"),
    Appointment.ROOMED: (Appointment.WITH_PROVIDER, "With provider"),
    Appointment.WITH_PROVIDER: (Appointment.CHECKED_OUT, "Check out"),
}
STEP_WORDS = {
    Appointment.SCHEDULED: "booked",
    Appointment.CONFIRMED: "confirmed",
    Appointment.ARRIVED: "waiting",
    Appointment.ROOMED: "in the room",
    Appointment.WITH_PROVIDER: "with the provider",
    Appointment.CHECKED_OUT: "checked out",
}


@dataclass
class Card:
    visit: Visit
    patient: str
    provider: str
    type_code: str
    type_name: str
    colour: str
    hours: str
    room: str
    status: str
    since: dt.datetime | None
    minutes: int | None
    level: str
    late: int | None = None
    action_step: str = ""
    action_label: str = ""
    steps: list[tuple[str, int | None]] = field(default_factory=list)
    total: int | None = None
    url: str = ""
    step_url: str = ""

    @property
    def needs_room(self) -> bool:
        return self.action_step == Appointment.ROOMED


@dataclass
class BoardColumn:
    key: str
    title: str
    cards: list[Card]


@dataclass
class Board:
    location: Location
    day: dt.date
    now: dt.datetime
    columns: list[BoardColumn]
    no_shows: int
    left: int
    waiting: int
    longest_wait: int | None

    @property
    def is_today(self) -> bool:
        return self.day == self.now.astimezone(self.location.zone).date()

    @property
    def visits(self) -> int:
        return sum(len(c.cards) for c in self.columns)


def visit_steps(visit: Visit) -> list[tuple[str, int | None]]:
    """The minutes each step of a visit took: waiting room, room, provider."""
    return [
        ("Waiting room", minutes_between(visit.arrived_at, visit.roomed_at)),
        ("Roomed", minutes_between(visit.roomed_at, visit.with_provider_at)),
        ("With provider", minutes_between(visit.with_provider_at, visit.checked_out_at)),
    ]


def card_for(visit: Visit, *, now: dt.datetime, zone, url_for=None, step_url_for=None) -> Card:
    in_office = visit.status in Appointment.IN_OFFICE_STATUSES
    since = visit.since if in_office else None
    minutes = minutes_between(since, now) if in_office else None
    late = None
    if visit.status in Appointment.BOOKED_STATUSES and visit.start < now:
        late = minutes_between(visit.start, now)
    step, label = NEXT_ACTION.get(visit.status, ("", ""))
    card = Card(
        visit=visit,
        patient=visit.patient,
        provider=visit.provider_name,
        type_code=visit.type_code,
        type_name=visit.type_name,
        colour=visit.type_colour,
        hours=f"{hhmm(visit.start.astimezone(zone))}–{hhmm(visit.end.astimezone(zone))}",
        room=visit.room_name,
        status=visit.status,
        since=since,
        minutes=minutes,
        level=wait_level(minutes),
        late=late,
        action_step=step,
        action_label=label,
        url=url_for(visit.pk) if url_for else "",
        step_url=step_url_for(visit.pk) if step_url_for else "",
    )
    if visit.status == Appointment.CHECKED_OUT:
        card.steps = visit_steps(visit)
        card.total = minutes_between(visit.arrived_at, visit.checked_out_at)
    return card


def flow_board(*, location: Location, day: dt.date, now: dt.datetime | None = None) -> Board:
    """The day's visits at ``location`` by step, each with the minutes in its current step."""
    now = now or timezone.now()
    columns = {key: BoardColumn(key, title, []) for key, title, _ in COLUMNS}
    column_of = {status: key for key, _, statuses in COLUMNS for status in statuses}
    no_shows = left = 0
    start, end = location_day_bounds(location, day)
    zone = location.zone
    url_for = url_maker("schedule_appointment")
    step_url_for = url_maker("flow_board_step")
    for visit in visits_between(location=location, start=start, end=end):
        if visit.status == Appointment.NO_SHOW:
            no_shows += 1
            continue
        if visit.status == Appointment.LEFT_WITHOUT_BEING_SEEN:
            left += 1
            continue
        card = card_for(visit, now=now, zone=zone, url_for=url_for, step_url_for=step_url_for)
        columns[column_of[visit.status]].cards.append(card)
    # Those waiting longest first; the expected and the finished in time order.
    for key in (Appointment.ARRIVED, Appointment.ROOMED, Appointment.WITH_PROVIDER):
        columns[key].cards.sort(key=lambda c: c.since or now)
    columns[Appointment.CHECKED_OUT].cards.sort(
        key=lambda c: c.visit.checked_out_at or now, reverse=True
    )
    waiting = columns[Appointment.ARRIVED].cards
    return Board(
        location=location,
        day=day,
        now=now,
        columns=list(columns.values()),
        no_shows=no_shows,
        left=left,
        waiting=len(waiting),
        longest_wait=max((c.minutes or 0 for c in waiting), default=None),
    )


@dataclass
class TodaySummary:
    location: Location
    booked: int
    unconfirmed: int
    waiting: int
    in_office: int
    longest_wait: int | None


def today_summary(*, location: Location, now: dt.datetime | None = None) -> TodaySummary:
    """Counts for the home page: visits still to come unconfirmed, patients waiting now."""
    now = now or timezone.now()
    day = now.astimezone(location.zone).date()
    start, end = location_day_bounds(location, day)
    counts = Appointment.objects.filter(
        location=location, start__gte=start, start__lt=end
    ).aggregate(
        booked=Count("pk", filter=Q(status__in=Appointment.OCCUPYING_STATUSES)),
        unconfirmed=Count("pk", filter=Q(status=Appointment.SCHEDULED, end__gt=now)),
        waiting=Count("pk", filter=Q(status=Appointment.ARRIVED)),
        in_office=Count("pk", filter=Q(status__in=Appointment.IN_OFFICE_STATUSES)),
        first_arrival=Min("arrived_at", filter=Q(status=Appointment.ARRIVED)),
    )
    first = counts["first_arrival"]
    return TodaySummary(
        location=location,
        booked=counts["booked"],
        unconfirmed=counts["unconfirmed"],
        waiting=counts["waiting"],
        in_office=counts["in_office"],
        longest_wait=minutes_between(first, now) if first else None,
    )
