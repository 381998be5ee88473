"""The open-slot finder: the first times a visit can be booked, earliest first.

A slot is offered only when ``book_appointment`` would take it without an
override: the provider and the location are active and the provider works
there; a weekly block that takes the visit's type is in effect that day and
holds the whole visit (start and end read as wall-clock times in the
location's zone, so a 9:00 block is 9:00 on both sides of a daylight-saving
change); no blocked time (the provider's, everyone's at the location, or the
whole practice's) overlaps it; the provider has no occupying appointment
overlapping it; a room of the kind the type needs is free (the lowest id
first, as the booking picks it; telehealth visits at a location without
virtual lines need none); and it starts no earlier than now. Start times lie
on each block's grid (``slot_minutes``, or the ``step`` asked for) counted
from the block's start.

How it stays fast: the provider/location pairs, their blocks (with the types
each takes), the blocked time and the rooms are read once (four queries);
then the window is walked in chunks of growing length (1, 2, 4 … 32 days).
For each chunk the candidate times are computed in Python from the blocks,
and only when there are any is the busy time of those providers and rooms in
that chunk read — one query — and the candidates checked against it with
sorted intervals, earliest first, until ``limit`` slots are found. A search
that is satisfied by tomorrow reads tomorrow's appointments and nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from medoffice.core.models import Location
from medoffice.patients.models import Patient
from medoffice.scheduling import errors
from medoffice.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityTemplate,
    Provider,
    Room,
    ScheduleException,
)
from medoffice.scheduling.models.availability import hhmm
from medoffice.scheduling.selectors import OCCUPYING_STATUSES
from medoffice.scheduling.services.checks import aware_utc
from medoffice.scheduling.slots.intervals import EMPTY, Busy
from medoffice.scheduling.slots.preferences import TimeWishes, parse_time_wishes, parse_weekdays

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
DEFAULT_DAYS = 90
MAX_WINDOW_DAYS = 366
MIN_STEP, MAX_STEP = 5, 240
FIRST_CHUNK_DAYS = 1
MAX_CHUNK_DAYS = 32
# book_appointment refuses visits longer than this, so an appointment that overlaps a
# window starts at most this long before it: the lower bound that keeps the busy-time
# query on the (provider, start) and (room, start) indexes instead of all of history.
LONGEST_VISIT = dt.timedelta(minutes=AppointmentType.MAX_MINUTES)


@dataclass(frozen=True)
class Slot:
    """A time ``appointment_type`` can be booked with ``provider`` at ``location``.

    ``start``/``end`` are UTC instants; ``room`` is the room the booking would
    take (None when the visit needs none).
    """

    provider: Provider
    location: Location
    room: Room | None
    start: dt.datetime
    end: dt.datetime
    appointment_type: AppointmentType

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(self.location.zone)

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(self.location.zone)

    @property
    def local_hours(self) -> str:
        return f"{hhmm(self.local_start)}–{hhmm(self.local_end)}"


@dataclass
class _Pair:
    """One provider at one location, with the blocks that take the visit's type there."""

    provider: Provider
    location: Location
    blocks_by_weekday: dict[int, list[AvailabilityTemplate]] = field(
        default_factory=lambda: defaultdict(list)
    )
    blocked: Busy = EMPTY


def _ids(values: Iterable | None, model) -> list[int] | None:
    if values is None:
        return None
    if isinstance(values, model | int):
        values = [values]
    return sorted({v.pk if isinstance(v, model) else int(v) for v in values})


def _check_window(start, end, *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    start = now if start is None else aware_utc(start, "start")
    end = start + dt.timedelta(days=DEFAULT_DAYS) if end is None else aware_utc(end, "end")
    if end <= start:
        raise errors.invalid(
            errors.END_BEFORE_START, "The end of the search must be after its start.", "end"
        )
    if end - start > dt.timedelta(days=MAX_WINDOW_DAYS):
        raise errors.invalid(
            errors.INVALID_WINDOW,
            f"Search at most {MAX_WINDOW_DAYS} days at a time; choose an earlier end.",
            "end",
        )
    return start, end


def _check_limit(limit) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise errors.invalid(errors.INVALID, f"Ask for 1 to {MAX_LIMIT} slots at a time.", "limit")
    return limit


def _check_step(step) -> int | None:
    if step is None:
        return None
    if (
        isinstance(step, bool)
        or not isinstance(step, int)
        or not MIN_STEP <= step <= MAX_STEP
        or step % 5
    ):
        raise errors.invalid(
            errors.INVALID,
            f"The slot step is {MIN_STEP} to {MAX_STEP} minutes, in steps of 5.",
            "step",
        )
    return step


class _Finder:
    def __init__(
        self,
        *,
        appointment_type: AppointmentType,
        provider_ids: list[int] | None,
        location_ids: list[int] | None,
        start: dt.datetime,
        end: dt.datetime,
        now: dt.datetime,
        weekdays: frozenset[int],
        times: TimeWishes,
        patient_id: int | None,
        step: int | None,
    ) -> None:
        self.type = appointment_type
        self.duration = dt.timedelta(minutes=appointment_type.duration_minutes)
        self.start, self.end = start, end
        self.now = now
        self.weekdays = weekdays
        self.times = times
        self.patient_id = patient_id
        self.step = step
        self.pairs = self._load_pairs(provider_ids, location_ids)
        self.rooms_by_location: dict[int, list[Room]] = {}
        if self.pairs:
            self._load_rooms()
        if self.pairs:
            self._load_blocks()
        if self.pairs:
            self._load_blocked_time()

    # -- what is read once ------------------------------------------------------------

    def _load_pairs(self, provider_ids, location_ids) -> list[_Pair]:
        """Active providers at active locations where they work (one query)."""
        links = Provider.locations.through.objects.filter(
            provider__active=True, location__active=True
        )
        if provider_ids is not None:
            links = links.filter(provider_id__in=provider_ids)
        if location_ids is not None:
            links = links.filter(location_id__in=location_ids)
        providers: dict[int, Provider] = {}
        locations: dict[int, Location] = {}
        pairs = []
        for link in links.select_related("provider", "location"):
            provider = providers.setdefault(link.provider_id, link.provider)
            location = locations.setdefault(link.location_id, link.location)
            pairs.append(_Pair(provider=provider, location=location))
        return pairs

    def _load_rooms(self) -> None:
        """Rooms of the kind the visit needs, lowest id first; drop locations without one."""
        if not self.type.room_kind:
            return
        location_ids = {p.location.pk for p in self.pairs}
        rooms = Room.objects.filter(
            location_id__in=location_ids, kind=self.type.room_kind, active=True
        ).order_by("pk")
        for room in rooms:
            self.rooms_by_location.setdefault(room.location_id, []).append(room)
        if not self.type.telehealth:  # a video visit goes ahead without a virtual line
            self.pairs = [p for p in self.pairs if p.location.pk in self.rooms_by_location]

    def _load_blocks(self) -> None:
        """The blocks in effect in the window that take the type (one query)."""
        first_day = (self.start - dt.timedelta(days=1)).date()
        last_day = (self.end + dt.timedelta(days=1)).date()
        through = AvailabilityTemplate.appointment_types.through
        takes_types = through.objects.filter(availabilitytemplate_id=OuterRef("pk"))
        blocks = (
            AvailabilityTemplate.objects.filter(
                provider_id__in={p.provider.pk for p in self.pairs},
                location_id__in={p.location.pk for p in self.pairs},
                effective_from__lte=last_day,
            )
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=first_day))
            .annotate(
                limited=Exists(takes_types),
                takes=Exists(takes_types.filter(appointmenttype_id=self.type.pk)),
            )
            .filter(Q(limited=False) | Q(takes=True))
            .order_by("start_time", "pk")
        )
        by_key = {(p.provider.pk, p.location.pk): p for p in self.pairs}
        for block in blocks:
            pair = by_key.get((block.provider_id, block.location_id))
            if pair is None:
                continue  # a block at a location the provider no longer works at
            length = dt.datetime.combine(dt.date.min, block.end_time) - dt.datetime.combine(
                dt.date.min, block.start_time
            )
            if length < self.duration:
                continue
            if self.weekdays and block.weekday not in self.weekdays:
                continue
            pair.blocks_by_weekday[block.weekday].append(block)
        self.pairs = [p for p in self.pairs if p.blocks_by_weekday]

    def _load_blocked_time(self) -> None:
        """Vacations, holidays, meetings that touch the window (one query)."""
        provider_ids = {p.provider.pk for p in self.pairs}
        location_ids = {p.location.pk for p in self.pairs}
        rows = (
            ScheduleException.objects.filter(start__lt=self.end + self.duration, end__gt=self.start)
            .filter(Q(provider__isnull=True) | Q(provider_id__in=provider_ids))
            .filter(Q(location__isnull=True) | Q(location_id__in=location_ids))
            .values_list("provider_id", "location_id", "start", "end")
        )
        spans: dict[tuple[int | None, int | None], list] = defaultdict(list)
        for provider_id, location_id, start, end in rows:
            spans[(provider_id, location_id)].append((start, end))
        if not spans:
            return
        for pair in self.pairs:
            p, loc = pair.provider.pk, pair.location.pk
            mine = spans[(p, loc)] + spans[(None, loc)] + spans[(p, None)] + spans[(None, None)]
            if mine:
                pair.blocked = Busy(mine)

    # -- the walk -----------------------------------------------------------------------

    def _candidates(self, lo: dt.datetime, hi: dt.datetime) -> list[tuple]:
        """Every grid time starting in ``[lo, hi)`` that a block holds, unchecked for busy time.

        Each is ``(start, end, provider sort key, location name, pair)``, sorted.
        """
        found: dict[tuple[int, int, dt.datetime], tuple] = {}
        duration_minutes = self.type.duration_minutes
        for pair in self.pairs:
            zone = pair.location.zone
            day = lo.astimezone(zone).date()
            last = hi.astimezone(zone).date()
            provider = pair.provider
            order = (provider.last_name, provider.first_name, provider.pk)
            while day <= last:
                for block in pair.blocks_by_weekday.get(day.weekday(), ()):
                    if not block.in_effect_on(day):
                        continue
                    step = self.step or block.slot_minutes
                    first = block.start_time.hour * 60 + block.start_time.minute
                    closing = block.end_time.hour * 60 + block.end_time.minute
                    if block.end_time.second or block.end_time.microsecond:
                        closing += 1  # a block ending 16:59:30 still holds a visit ending 16:59
                    minute = first
                    while minute + duration_minutes <= closing:
                        wall = dt.datetime.combine(
                            day, dt.time(minute // 60, minute % 60), tzinfo=zone
                        )
                        minute += step
                        start = wall.astimezone(dt.UTC)
                        if start < lo or start >= hi:
                            continue
                        end = start + self.duration
                        if end > self.end:
                            continue
                        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
                        # The booking's own test, so daylight-saving nights agree with it.
                        if not block.covers(local_start, local_end):
                            continue
                        if self.weekdays and local_start.weekday() not in self.weekdays:
                            continue
                        if not self.times.accepts(local_start, local_end):
                            continue
                        if pair.blocked and pair.blocked.overlaps(start, end):
                            continue
                        key = (provider.pk, pair.location.pk, start)
                        if key not in found:
                            found[key] = (start, end, order, pair.location.name, pair)
                day += dt.timedelta(days=1)
        return sorted(found.values(), key=lambda c: (c[0], c[2], c[3], c[4].location.pk))

    def _busy(self, candidates: list[tuple], lo: dt.datetime, hi: dt.datetime):
        """Occupying appointments of the candidates' providers and rooms (and the patient)
        overlapping ``[lo, hi)``: one query."""
        provider_ids = {c[4].provider.pk for c in candidates}
        room_ids = set()
        for location_id in {c[4].location.pk for c in candidates}:
            room_ids.update(r.pk for r in self.rooms_by_location.get(location_id, ()))
        who = Q(provider_id__in=provider_ids)
        if room_ids:
            who |= Q(room_id__in=room_ids)
        if self.patient_id is not None:
            who |= Q(patient_id=self.patient_id)
        rows = Appointment.objects.filter(
            who,
            status__in=OCCUPYING_STATUSES,
            start__lt=hi,
            start__gte=lo - LONGEST_VISIT,
            end__gt=lo,
        ).values_list("provider_id", "room_id", "patient_id", "start", "end")
        by_provider: dict[int, list] = defaultdict(list)
        by_room: dict[int, list] = defaultdict(list)
        by_patient: list = []
        for provider_id, room_id, patient_id, start, end in rows:
            if provider_id in provider_ids:
                by_provider[provider_id].append((start, end))
            if room_id in room_ids:
                by_room[room_id].append((start, end))
            if self.patient_id is not None and patient_id == self.patient_id:
                by_patient.append((start, end))
        return (
            {k: Busy(v) for k, v in by_provider.items()},
            {k: Busy(v) for k, v in by_room.items()},
            Busy(by_patient),
        )

    def _free_room(self, location: Location, busy_rooms, start, end) -> tuple[bool, Room | None]:
        if not self.type.room_kind:
            return True, None
        rooms = self.rooms_by_location.get(location.pk)
        if not rooms:
            return self.type.telehealth, None
        for room in rooms:
            if not busy_rooms.get(room.pk, EMPTY).overlaps(start, end):
                return True, room
        return False, None

    def find(self, limit: int) -> list[Slot]:
        slots: list[Slot] = []
        lo = max(self.start, self.now)
        days = FIRST_CHUNK_DAYS
        while self.pairs and lo < self.end and len(slots) < limit:
            hi = min(lo + dt.timedelta(days=days), self.end)
            candidates = self._candidates(lo, hi)
            if candidates:
                busy_providers, busy_rooms, busy_patient = self._busy(
                    candidates, lo, hi + self.duration
                )
                for start, end, _order, _name, pair in candidates:
                    if busy_providers.get(pair.provider.pk, EMPTY).overlaps(start, end):
                        continue
                    if busy_patient and busy_patient.overlaps(start, end):
                        continue
                    ok, room = self._free_room(pair.location, busy_rooms, start, end)
                    if not ok:
                        continue
                    slots.append(
                        Slot(
                            provider=pair.provider,
                            location=pair.location,
                            room=room,
                            start=start,
                            end=end,
                            appointment_type=self.type,
                        )
                    )
                    if len(slots) >= limit:
                        break
            lo = hi
            days = min(days * 2, MAX_CHUNK_DAYS)
        return slots


def open_slots(
    *,
    appointment_type: AppointmentType,
    providers: Iterable[Provider | int] | Provider | int | None = None,
    locations: Iterable[Location | int] | Location | int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    preferred_weekdays: Iterable[int] | None = None,
    preferred_times=None,
    patient: Patient | int | None = None,
    step: int | None = None,
    now: dt.datetime | None = None,
) -> list[Slot]:
    """The first ``limit`` open slots for ``appointment_type``, earliest first.

    ``providers``/``locations``: None = any (active, and where the provider
    works). ``start``/``end``: aware datetimes bounding the search (default now
    and 90 days on; at most 366 days); a slot lies wholly inside. ``limit``: 1
    to 100. ``preferred_weekdays``: 0 (Monday) … 6 (Sunday), empty = any;
    ``preferred_times``: "morning" (starts before 12:00 local), "afternoon",
    a range "9:00-11:00" or ``(time, time)`` (starts at or after, ends by), or
    a list of those. ``patient``: leave out times the patient is already booked.
    ``step``: offer times every ``step`` minutes instead of each block's own
    slot step. Ties at one time go by provider name, then location. Raises
    DomainError (422, naming the field) for a window, limit, step or wish that
    makes no sense, or a type that is no longer offered.
    """
    now = (now or timezone.now()).astimezone(dt.UTC)
    start, end = _check_window(start, end, now=now)
    limit = _check_limit(limit)
    step = _check_step(step)
    weekdays = parse_weekdays(preferred_weekdays)
    times = parse_time_wishes(preferred_times)
    if not appointment_type.active:
        raise errors.invalid(
            errors.INACTIVE,
            f"'{appointment_type.name}' is no longer offered; choose another appointment type.",
            "appointment_type",
        )
    finder = _Finder(
        appointment_type=appointment_type,
        provider_ids=_ids(providers, Provider),
        location_ids=_ids(locations, Location),
        start=start,
        end=end,
        now=now,
        weekdays=weekdays,
        times=times,
        patient_id=patient.pk if isinstance(patient, Patient) else patient,
        step=step,
    )
    return finder.find(limit)
