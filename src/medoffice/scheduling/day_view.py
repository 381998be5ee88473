"""Reads behind the schedule pages: one location's day laid out on a grid, its week, the day sheet.

Everything here is read-only and costs a fixed number of queries whatever
the number of appointments: the location list, the providers (and rooms),
the day's availability blocks with the visit types they take, the blocked
time, and the appointments with their patient, provider, room and type in
one query. Layout (which row and lane each appointment takes) is plain
Python on those rows.

Times on the grid are wall-clock minutes after local midnight at the
location; instants stay in UTC until they are placed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Case, F, Q, When
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from medoffice.core.models import Location
from medoffice.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityTemplate,
    Provider,
    Room,
    ScheduleException,
)
from medoffice.scheduling.selectors import (
    blocks_for_day,
    exceptions_overlapping,
    location_day_bounds,
    location_today,
)

STEP_CHOICES = (5, 10, 15, 20, 30, 60)
DEFAULT_STEP = 15
# The grid shows at least these hours, widened to every block and appointment of the day.
OPENING_MINUTE = 8 * 60
CLOSING_MINUTE = 17 * 60
DAY_MINUTES = 24 * 60
# Waits longer than these (minutes) are highlighted: amber, then red.
WAIT_WARN_MINUTES = 15
WAIT_BAD_MINUTES = 30

BY_PROVIDER = "provider"
BY_ROOM = "room"

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOUR = "#6c757d"


def safe_colour(value: str) -> str:
    """A colour fit for a style attribute: ``#rrggbb`` or the default grey."""
    return value if value and _HEX.match(value) else DEFAULT_COLOUR


def short_name(patient) -> str:
    """ "Lee, M." — how the schedule names a patient."""
    return f"{patient.last_name}, {patient.first_name[:1]}."


def wait_level(minutes: int | None) -> str:
    if minutes is None:
        return ""
    if minutes > WAIT_BAD_MINUTES:
        return "bad"
    if minutes > WAIT_WARN_MINUTES:
        return "warn"
    return ""


def minutes_between(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() // 60))


def minute_of_day(moment: dt.datetime, day: dt.date, zone) -> int:
    """Wall-clock minutes after midnight of ``day`` at the location (clamped to the day)."""
    local = moment.astimezone(zone)
    minutes = (local.date() - day).days * DAY_MINUTES + local.hour * 60 + local.minute
    return min(max(minutes, 0), DAY_MINUTES)


def time_minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def minute_label(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


# --- the visits themselves ------------------------------------------------------------

_VISIT_FIELDS = (
    "id",
    "start",
    "end",
    "status",
    "provider_id",
    "room_id",
    "patient__first_name",
    "patient__last_name",
    "provider__first_name",
    "provider__last_name",
    "provider__credentials",
    "provider__colour",
    "room__name",
    "appointment_type__name",
    "appointment_type__code",
    "appointment_type__colour",
    "since",
    "patient_id",
    "appointment_type_id",
    "arrived_at",
    "roomed_at",
    "with_provider_at",
    "checked_out_at",
)


def _status_since() -> Case:
    """The moment the visit entered its status, chosen in SQL (one column instead of nine)."""
    return Case(
        *(
            When(status=status, then=F(stamp))
            for status, (stamp, _by) in Appointment.STATUS_STAMPS.items()
        ),
        default=None,
    )


@dataclass(slots=True)
class Visit:
    """What the schedule pages show of an appointment, read as plain values (no model objects:
    a busy day has hundreds, and building model instances would be most of the page's time)."""

    pk: int
    start: dt.datetime
    end: dt.datetime
    status: str
    since: dt.datetime | None
    provider_id: int
    room_id: int | None
    patient: str
    provider_name: str
    provider_colour: str
    room_name: str
    type_name: str
    type_code: str
    type_colour: str
    patient_id: int
    appointment_type_id: int
    arrived_at: dt.datetime | None
    roomed_at: dt.datetime | None
    with_provider_at: dt.datetime | None
    checked_out_at: dt.datetime | None

    @property
    def is_occupying(self) -> bool:
        return self.status in Appointment.OCCUPYING_STATUSES


def _provider_name(first: str, last: str, credentials: str) -> str:
    if credentials in Provider.DOCTOR_CREDENTIALS:
        return f"Dr. {last}"
    return f"{first} {last}, {credentials}"


def visits_between(
    *,
    location: Location,
    start: dt.datetime,
    end: dt.datetime,
    include_cancelled: bool = False,
    occupying_only: bool = False,
) -> list[Visit]:
    """The visits at ``location`` starting in ``[start, end)``, earliest first, in one query.

    Cancelled visits only when asked; ``occupying_only`` also leaves out no-shows.
    """
    qs = Appointment.objects.filter(location=location, start__gte=start, start__lt=end)
    if occupying_only:
        qs = qs.filter(status__in=Appointment.OCCUPYING_STATUSES)
    elif not include_cancelled:
        qs = qs.exclude(status=Appointment.CANCELLED)
    rows = (
        qs.annotate(since=_status_since())
        .order_by("start", "provider__last_name", "id")
        .values_list(*_VISIT_FIELDS)
    )
    return [
        Visit(
            pk=pk,
            start=begins,
            end=ends,
            status=status,
            since=since,
            provider_id=provider_id,
            room_id=room_id,
            patient=f"{last}, {first[:1]}.",
            provider_name=_provider_name(p_first, p_last, credentials),
            provider_colour=safe_colour(p_colour),
            room_name=room or "",
            type_name=type_name,
            type_code=type_code,
            type_colour=safe_colour(type_colour),
            patient_id=patient_id,
            appointment_type_id=appointment_type_id,
            arrived_at=arrived_at,
            roomed_at=roomed_at,
            with_provider_at=with_provider_at,
            checked_out_at=checked_out_at,
        )
        for (
            pk,
            begins,
            ends,
            status,
            provider_id,
            room_id,
            first,
            last,
            p_first,
            p_last,
            credentials,
            p_colour,
            room,
            type_name,
            type_code,
            type_colour,
            since,
            patient_id,
            appointment_type_id,
            arrived_at,
            roomed_at,
            with_provider_at,
            checked_out_at,
        ) in rows
    ]


# --- locations ------------------------------------------------------------------------


def schedule_locations() -> list[Location]:
    """The active locations, for the location filter."""
    return list(Location.objects.filter(active=True).order_by("name"))


def pick_location(user, locations: list[Location], wanted: int | None) -> Location | None:
    """The location asked for (if active), else the user's home location, else the first."""
    by_id = {loc.pk: loc for loc in locations}
    if wanted is not None and wanted in by_id:
        return by_id[wanted]
    home = getattr(user, "home_location_id", None)
    if home in by_id:
        return by_id[home]
    return locations[0] if locations else None


def location_providers(location: Location) -> list[Provider]:
    return list(
        Provider.objects.filter(locations=location, active=True).order_by(
            "last_name", "first_name", "pk"
        )
    )


def location_rooms(location: Location) -> list[Room]:
    return list(Room.objects.filter(location=location, active=True).order_by("name", "pk"))


def day_blocks(location: Location, day: dt.date) -> list[AvailabilityTemplate]:
    """Every provider's blocks at ``location`` in effect on ``day`` (the grid's open rows)."""
    return list(
        AvailabilityTemplate.objects.filter(
            location=location, weekday=day.weekday(), effective_from__lte=day
        )
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .order_by("provider_id", "start_time")
    )


# --- the day grid ---------------------------------------------------------------------


@dataclass
class Slot:
    """One empty row of a column: open (inside a block), closed (outside), or blocked."""

    row: int
    label: str
    state: str
    book_url: str = ""
    major: bool = False


@dataclass
class Shade:
    """Blocked time drawn over a column."""

    top: float
    span: float
    label: str

    @property
    def style(self) -> str:
        return f"--top:{self.top:.3f};--span:{self.span:.3f}"


@dataclass
class Item:
    """One appointment placed on the grid."""

    visit: Visit
    top: float
    span: float
    lane: int = 0
    lanes: int = 1
    start_minute: int = 0
    end_minute: int = 0
    status: str = ""
    status_label: str = ""
    patient: str = ""
    type_code: str = ""
    type_name: str = ""
    colour: str = DEFAULT_COLOUR
    hours: str = ""
    room: str = ""
    provider: str = ""
    since: dt.datetime | None = None
    minutes_in_step: int | None = None
    level: str = ""
    url: str = ""
    show_provider: bool = False

    @property
    def in_office(self) -> bool:
        return self.status in Appointment.IN_OFFICE_STATUSES

    @property
    def start_label(self) -> str:
        return minute_label(self.start_minute)

    @property
    def css(self) -> str:
        """The block's classes: status, wait highlight, and how many lines its height allows."""
        classes = f"appt st-{self.status}"
        if self.level:
            classes += f" wait-{self.level}"
        if self.span < 1.2:
            classes += " short"
        elif self.span < 2:
            classes += " medium"
        return classes

    @property
    def title(self) -> str:
        return f"{self.patient} · {self.type_name} · {self.hours} · {self.status_label}"

    @property
    def details(self) -> str:
        """ "9:30–9:50 · Exam 2" (and the provider, on the room view)."""
        parts = [self.hours]
        if self.room:
            parts.append(self.room)
        if self.show_provider:
            parts.append(self.provider)
        return " · ".join(parts)

    @property
    def style(self) -> str:
        """The CSS custom properties that place the appointment (numbers and a checked colour)."""
        return (
            f"--top:{self.top:.3f};--span:{self.span:.3f};--lane:{self.lane};"
            f"--lanes:{self.lanes};--type:{self.colour}"
        )

    @property
    def closed(self) -> bool:
        return self.status in Appointment.NOT_OCCUPYING_STATUSES


@dataclass
class Column:
    """A provider's (or room's) column; ``bookable`` is False for one no longer in use here."""

    key: str
    title: str
    subtitle: str = ""
    provider_id: int | None = None
    room_id: int | None = None
    bookable: bool = True
    colour: str = DEFAULT_COLOUR
    slots: list[Slot] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    shades: list[Shade] = field(default_factory=list)
    hours: str = ""

    @property
    def booked(self) -> int:
        return sum(1 for i in self.items if not i.closed)

    @property
    def slots_html(self) -> str:
        """The column's empty rows as HTML: a booking link per open row, a plain cell otherwise.

        Built here rather than in the template: a day has hundreds of them, and the
        template engine would spend most of the page's time on these few attributes.
        The column's title and the booking address are escaped once; the rest are our
        own class names and times. The column element boosts its links with htmx (one
        set of attributes for all of them), so each link is only its address and title.
        """
        title = escape(self.title)
        cells = []
        for s in self.slots:
            classes = f"dg-slot {s.state} major" if s.major else f"dg-slot {s.state}"
            if s.book_url:
                url = escape(s.book_url)
                cells.append(
                    f'<a class="{classes}" href="{url}" title="Book {title} at {s.label}"></a>'
                )
            else:
                cells.append(f'<div class="{classes}"></div>')
        return mark_safe("".join(cells))  # noqa: S308 - escaped above


@dataclass
class DayGrid:
    location: Location
    day: dt.date
    today: dt.date
    by: str
    step: int
    show_all: bool
    start_minute: int
    end_minute: int
    rows: list[dict]
    columns: list[Column]
    now_row: float | None
    appointments: int
    waiting: int
    hidden: int

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def is_past(self) -> bool:
        return self.day < self.today


def _grid_bounds(
    step: int, blocks: list[AvailabilityTemplate], minutes: list[tuple[int, int]]
) -> tuple[int, int]:
    first = [OPENING_MINUTE, *(time_minutes(b.start_time) for b in blocks)]
    last = [CLOSING_MINUTE, *(time_minutes(b.end_time) for b in blocks)]
    for start, end in minutes:
        first.append(start)
        last.append(max(end, start + step))
    start = min(first) // step * step
    end = -(-max(last) // step) * step
    return max(start, 0), min(end, DAY_MINUTES)


def _assign_lanes(items: list[Item]) -> None:
    """Side-by-side lanes for overlapping appointments (overbooks) within one column."""
    items.sort(key=lambda i: (i.start_minute, i.end_minute))
    cluster: list[Item] = []
    lane_ends: list[int] = []
    cluster_end = -1

    def close_cluster():
        for member in cluster:
            member.lanes = max(len(lane_ends), 1)

    for item in items:
        if cluster and item.start_minute >= cluster_end:
            close_cluster()
            cluster, lane_ends = [], []
        for lane, end in enumerate(lane_ends):
            if end <= item.start_minute:
                lane_ends[lane] = item.end_minute
                item.lane = lane
                break
        else:
            item.lane = len(lane_ends)
            lane_ends.append(item.end_minute)
        cluster.append(item)
        cluster_end = max(cluster_end, item.end_minute)
    close_cluster()


_URL_MARK = 987654321


def url_maker(name: str):
    """pk -> the URL named ``name`` for that pk, reversing the pattern once instead of per row."""
    pattern = reverse(name, args=[_URL_MARK])
    head, tail = pattern.split(str(_URL_MARK))
    return lambda pk: f"{head}{pk}{tail}"


def appointment_url_maker():
    """pk -> the appointment's page URL."""
    return url_maker("schedule_appointment")


def place(
    visit: Visit,
    *,
    day: dt.date,
    zone,
    start_minute: int,
    step: int,
    now,
    url_for=None,
) -> Item:
    a_start = minute_of_day(visit.start, day, zone)
    a_end = max(minute_of_day(visit.end, day, zone), a_start + 1)
    since = visit.since if visit.status in Appointment.IN_OFFICE_STATUSES else None
    waited = minutes_between(since, now)
    return Item(
        visit=visit,
        top=(a_start - start_minute) / step,
        span=(a_end - a_start) / step,
        start_minute=a_start,
        end_minute=a_end,
        status=visit.status,
        status_label=Appointment.STATUS_LABELS.get(visit.status, visit.status),
        patient=visit.patient,
        type_code=visit.type_code,
        type_name=visit.type_name,
        colour=visit.type_colour,
        hours=f"{minute_label(a_start)}–{minute_label(a_end)}",
        room=visit.room_name,
        provider=visit.provider_name,
        since=since,
        minutes_in_step=waited,
        level=wait_level(waited),
        url=url_for(visit.pk) if url_for else "",
    )


def _exception_span(exc: ScheduleException, day: dt.date, zone) -> tuple[int, int]:
    return minute_of_day(exc.start, day, zone), minute_of_day(exc.end, day, zone)


def exception_label(exc: ScheduleException) -> str:
    label = exc.get_kind_display()
    return f"{label}: {exc.reason}" if exc.reason else label


def build_day_grid(
    *,
    location: Location,
    day: dt.date,
    by: str = BY_PROVIDER,
    step: int = DEFAULT_STEP,
    show_all: bool = False,
    now: dt.datetime | None = None,
    bookable: bool = True,
) -> DayGrid:
    """The day of ``location`` as columns (providers or rooms) of ``step``-minute rows.

    ``show_all`` also shows cancelled visits and no-shows (hidden otherwise).
    ``bookable`` gives empty open slots a booking link (on today and later days).
    """
    now = now or timezone.now()
    step = step if step in STEP_CHOICES else DEFAULT_STEP
    zone = location.zone
    today = location_today(location, now=now)
    providers = location_providers(location)
    rooms = location_rooms(location) if by == BY_ROOM else []
    blocks = day_blocks(location, day)
    day_start, day_end = location_day_bounds(location, day)
    exceptions = list(exceptions_overlapping(start=day_start, end=day_end, location=location))
    hidden = 0
    visible = []
    for visit in visits_between(
        location=location, start=day_start, end=day_end, include_cancelled=show_all
    ):
        if not show_all and visit.status == Appointment.NO_SHOW:
            hidden += 1
            continue
        visible.append(visit)

    spans = [(minute_of_day(a.start, day, zone), minute_of_day(a.end, day, zone)) for a in visible]
    start_minute, end_minute = _grid_bounds(step, blocks, spans)
    rows = [
        {
            "row": n,
            "minute": m,
            "label": minute_label(m),
            "major": m % 60 == 0,
            "show": m % max(step, 15) == 0,
        }
        for n, m in enumerate(range(start_minute, end_minute, step))
    ]

    columns = _columns(by, providers, rooms, visible)
    by_key = {c.key: c for c in columns}
    url_for = appointment_url_maker()
    for visit in visible:
        item = place(
            visit,
            day=day,
            zone=zone,
            start_minute=start_minute,
            step=step,
            now=now,
            url_for=url_for,
        )
        item.show_provider = by == BY_ROOM
        by_key[_column_key(by, visit)].items.append(item)

    bookable = bookable and day >= today
    book_base = reverse("schedule_book")
    blocks_by_provider: dict[int, list[AvailabilityTemplate]] = {}
    for block in blocks:
        blocks_by_provider.setdefault(block.provider_id, []).append(block)
    for column in columns:
        _assign_lanes(column.items)
        applicable = [
            e for e in exceptions if e.provider_id is None or e.provider_id == column.provider_id
        ]
        spans_blocked = [_exception_span(e, day, zone) for e in applicable]
        column.shades = [
            Shade(
                top=(max(a, start_minute) - start_minute) / step,
                span=(min(b, end_minute) - max(a, start_minute)) / step,
                label=exception_label(e),
            )
            for e, (a, b) in zip(applicable, spans_blocked, strict=True)
            if min(b, end_minute) > max(a, start_minute)
        ]
        own_blocks = blocks_by_provider.get(column.provider_id, [])
        if column.provider_id is not None and column.bookable:
            column.hours = ", ".join(b.hours for b in own_blocks) or "no hours this day"
        column.slots = _slots(
            column,
            rows=rows,
            step=step,
            own_blocks=own_blocks,
            blocked=spans_blocked,
            by=by,
            location=location,
            day=day,
            book_base=book_base if bookable and column.bookable else "",
        )

    now_minute = minute_of_day(now, day, zone) if day == today else None
    now_row = (
        (now_minute - start_minute) / step
        if now_minute is not None and start_minute <= now_minute <= end_minute
        else None
    )
    return DayGrid(
        location=location,
        day=day,
        today=today,
        by=by,
        step=step,
        show_all=show_all,
        start_minute=start_minute,
        end_minute=end_minute,
        rows=rows,
        columns=columns,
        now_row=now_row,
        appointments=sum(1 for a in visible if a.is_occupying),
        waiting=sum(1 for a in visible if a.status in Appointment.IN_OFFICE_STATUSES),
        hidden=hidden,
    )


def _column_key(by: str, visit: Visit) -> str:
    if by == BY_ROOM:
        return f"r{visit.room_id or 0}"
    return f"p{visit.provider_id}"


def _columns(by: str, providers, rooms, visible: list[Visit]) -> list[Column]:
    if by == BY_ROOM:
        columns = [
            Column(key=f"r{r.pk}", title=r.name, subtitle=r.get_kind_display(), room_id=r.pk)
            for r in rooms
        ]
        known = {c.key for c in columns}
        extra: dict[str, Column] = {}
        for visit in visible:
            key = _column_key(by, visit)
            if key in known or key in extra:
                continue
            if visit.room_id:
                extra[key] = Column(
                    key=key,
                    title=visit.room_name,
                    subtitle="not in use",
                    room_id=visit.room_id,
                    bookable=False,
                )
            else:
                extra[key] = Column(key=key, title="No room", subtitle="phone, video, lab")
        return columns + sorted(extra.values(), key=lambda c: (c.room_id is None, c.title))
    columns = [
        Column(
            key=f"p{p.pk}",
            title=p.schedule_name,
            subtitle=p.specialty,
            provider_id=p.pk,
            colour=safe_colour(p.colour),
        )
        for p in providers
    ]
    known = {c.key for c in columns}
    for visit in visible:  # a provider no longer at the location still shows their visits
        key = _column_key(by, visit)
        if key not in known:
            known.add(key)
            columns.append(
                Column(
                    key=key,
                    title=visit.provider_name,
                    subtitle="not at this location any more",
                    provider_id=visit.provider_id,
                    bookable=False,
                    colour=visit.provider_colour,
                )
            )
    return columns


def _slots(
    column: Column,
    *,
    rows: list[dict],
    step: int,
    own_blocks: list[AvailabilityTemplate],
    blocked: list[tuple[int, int]],
    by: str,
    location: Location,
    day: dt.date,
    book_base: str,
) -> list[Slot]:
    windows = [(time_minutes(b.start_time), time_minutes(b.end_time)) for b in own_blocks]
    fixed = {"location": location.pk, "date": day.isoformat()}
    if column.provider_id is not None:
        fixed["provider"] = column.provider_id
    if column.room_id is not None:
        fixed["room"] = column.room_id
    prefix = f"{book_base}?{urlencode(fixed)}&time=" if book_base else ""
    slots = []
    for row in rows:
        m = row["minute"]
        end = m + step
        if any(a < end and m < b for a, b in blocked):
            state = "blocked"
        elif by == BY_ROOM or any(a <= m and end <= b for a, b in windows):
            state = "open"
        else:
            state = "closed"
        url = f"{prefix}{row['label']}" if prefix and state != "blocked" else ""
        slots.append(
            Slot(row=row["row"], label=row["label"], state=state, book_url=url, major=row["major"])
        )
    return slots


# --- booking form helpers -------------------------------------------------------------


def covering_block(
    *, provider: Provider, location: Location, day: dt.date, minute: int, minutes: int
) -> AvailabilityTemplate | None:
    """The provider's block that holds ``minutes`` from wall-clock ``minute`` on ``day``."""
    for block in blocks_for_day(provider=provider, location=location, day=day):
        if time_minutes(block.start_time) <= minute and minute + minutes <= time_minutes(
            block.end_time
        ):
            return block
    return None


def bookable_types(block: AvailabilityTemplate | None) -> list[AppointmentType]:
    """The active visit types a block takes (every active type when it names none, or no block)."""
    if block is not None:
        named = [t for t in block.appointment_types.all() if t.active]
        if named:
            return sorted(named, key=lambda t: t.name)
    return list(AppointmentType.objects.filter(active=True).order_by("name"))
