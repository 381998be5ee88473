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

How it stays fast (target: p95 ≤ 50 ms for "any provider, first 10 slots in
90 days" at 50 providers; see docs/benchmarks.md): the provider/location pairs,
their blocks (with the types each takes), the blocked time and the rooms are
read once, in four plain SQL queries (:mod:`.queries`). Each pair's grid times
are then generated lazily, day by day, and merged earliest first, so nights,
weekends and later weeks cost nothing until they are reached. Busy time (the
appointments of those providers and rooms) is read only for the candidates
about to be checked — about the first hour's at first, then twice as many at
each further read — as seconds since 1970, and checked with sorted intervals
until ``limit`` slots are found. Wall-clock-to-instant conversions are cached
across calls (``visit_at``).
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import itertools
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils import timezone

from medoffice.core.models import Location
from medoffice.patients.models import Patient
from medoffice.scheduling import errors
from medoffice.scheduling.models import (
    AppointmentType,
    Provider,
    Room,
)
from medoffice.scheduling.models.availability import hhmm
from medoffice.scheduling.selectors import OCCUPYING_STATUSES
from medoffice.scheduling.services.checks import aware_utc
from medoffice.scheduling.slots import queries
from medoffice.scheduling.slots.intervals import EMPTY, Busy
from medoffice.scheduling.slots.preferences import TimeWishes, parse_time_wishes, parse_weekdays

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
DEFAULT_DAYS = 90
MAX_WINDOW_DAYS = 366
MIN_STEP, MAX_STEP = 5, 240
# Candidate times checked per read of busy time: the first read covers about the first
# hour of a 50-provider practice; each further read covers twice as many as the last.
MIN_BATCH = 100
BATCH_PER_SLOT = 16
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


class _Block:
    """One weekly block, as plain values (the finder reads hundreds per call)."""

    __slots__ = ("closing", "end_time", "first", "start_time", "step", "until", "since", "weekday")

    def __init__(self, weekday, start_time, end_time, step, since, until) -> None:
        self.weekday = weekday
        self.start_time = start_time
        self.end_time = end_time
        self.step = step
        self.since = since
        self.until = until
        self.first = start_time.hour * 60 + start_time.minute
        if start_time.second or start_time.microsecond:
            self.first += 1  # a block opening 8:00:30 first holds a visit at 8:01
        self.closing = end_time.hour * 60 + end_time.minute  # 16:59:30 holds one ending 16:59

    def in_effect_on(self, day: dt.date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)

    def covers(self, local_start: dt.datetime, local_end: dt.datetime) -> bool:
        """``AvailabilityTemplate.covers``, the booking's own test, on plain values."""
        day = local_start.date()
        if local_end.date() != day or day.weekday() != self.weekday:
            return False
        if not self.in_effect_on(day):
            return False
        return self.start_time <= local_start.time() and local_end.time() <= self.end_time


class _Place:
    """A location as the finder needs it: its zone and name (and the instance for slots)."""

    __slots__ = ("instance", "name", "pk", "time_zone", "zone")

    def __init__(self, row: tuple) -> None:
        self.instance: Location = queries.instance(Location, row)
        self.pk = self.instance.pk
        self.name = self.instance.name
        self.time_zone = self.instance.time_zone
        self.zone = self.instance.zone


class _Pair:
    """One provider at one location, with the blocks that take the visit's type there.

    The provider's model instance is made only when a slot of theirs is returned.
    """

    __slots__ = (
        "blocked",
        "blocks_by_weekday",
        "key",
        "place",
        "provider_id",
        "provider_row",
        "rank",
    )

    def __init__(self, provider_row: tuple, place: _Place) -> None:
        self.provider_row = provider_row
        self.provider_id = provider_row[0]
        self.place = place
        self.blocks_by_weekday: dict[int, list[_Block]] = defaultdict(list)
        self.blocked: Busy = EMPTY
        self.rank = 0  # the place of ``key`` among all pairs' keys
        # Ties at one instant: provider name, then location name.
        self.key = (
            provider_row[_LAST_NAME],
            provider_row[_FIRST_NAME],
            self.provider_id,
            place.name,
            place.pk,
        )


_PROVIDER_FIELDS = [f.attname for f in Provider._meta.concrete_fields]
_LAST_NAME = _PROVIDER_FIELDS.index("last_name")
_FIRST_NAME = _PROVIDER_FIELDS.index("first_name")


@functools.lru_cache(maxsize=200_000)
def visit_at(time_zone: str, day: dt.date, minute: int, minutes: int) -> tuple:
    """A visit of ``minutes`` at wall-clock ``minute`` after midnight of ``day`` in
    ``time_zone``: ``(start, end, local start, local end, exact, start ts, end ts)``.

    ``exact`` when the zone keeps that wall-clock time and the visit's length that day
    (false only around a daylight-saving change); ``ts`` are seconds since 1970, the
    unit busy time is compared in. A pure function of its arguments, so calls share it:
    the providers of one location, and every search of the same days.
    """
    zone = zoneinfo.ZoneInfo(time_zone)
    wall = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)
    start = wall.astimezone(dt.UTC)
    end = start + dt.timedelta(minutes=minutes)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    exact = (
        local_start.replace(tzinfo=None) == wall.replace(tzinfo=None)
        and local_end.date() == day
        and local_end.hour * 60 + local_end.minute == minute + minutes
        and local_end.second == 0
    )
    return start, end, local_start, local_end, exact, start.timestamp(), end.timestamp()


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
        self._providers: dict[int, Provider] = {}
        self._rooms: dict[int, Room] = {}
        self.rooms_by_location: dict[int, list[tuple]] = {}
        self.pairs = self._load_pairs(provider_ids, location_ids)
        if self.pairs:
            self._load_rooms()
        if self.pairs:
            self._load_blocks()
        if self.pairs:
            self._load_blocked_time()

    # -- what is read once ------------------------------------------------------------

    def _load_pairs(self, provider_ids, location_ids) -> list[_Pair]:
        """Active providers at active locations where they work (one query)."""
        places: dict[int, _Place] = {}
        pairs = []
        for provider_row, location_row in queries.pairs(provider_ids, location_ids):
            place = places.get(location_row[0])
            if place is None:
                place = places[location_row[0]] = _Place(location_row)
            pairs.append(_Pair(provider_row, place))
        return pairs

    def _load_rooms(self) -> None:
        """Rooms of the kind the visit needs, lowest id first; drop locations without one."""
        if not self.type.room_kind:
            return
        location_ids = {p.place.pk for p in self.pairs}
        for row in queries.rooms(location_ids=location_ids, kind=self.type.room_kind):
            self.rooms_by_location.setdefault(row[1], []).append(row)
        if not self.type.telehealth:  # a video visit goes ahead without a virtual line
            self.pairs = [p for p in self.pairs if p.place.pk in self.rooms_by_location]

    def _load_blocks(self) -> None:
        """The blocks in effect in the window that take the type (one query)."""
        rows = queries.blocks(
            provider_ids={p.provider_id for p in self.pairs},
            location_ids={p.place.pk for p in self.pairs},
            first_day=(self.start - dt.timedelta(days=1)).date(),
            last_day=(self.end + dt.timedelta(days=1)).date(),
            appointment_type_id=self.type.pk,
        )
        by_key = {(p.provider_id, p.place.pk): p for p in self.pairs}
        minutes = self.type.duration_minutes
        for provider_id, location_id, weekday, *times in rows:
            pair = by_key.get((provider_id, location_id))
            if pair is None:
                continue  # a block at a location the provider no longer works at
            if self.weekdays and weekday not in self.weekdays:
                continue
            block = _Block(weekday, *times)
            if block.closing - block.first < minutes:
                continue
            pair.blocks_by_weekday[weekday].append(block)
        self.pairs = [p for p in self.pairs if p.blocks_by_weekday]

    def _load_blocked_time(self) -> None:
        """Vacations, holidays, meetings that touch the window (one query)."""
        rows = queries.blocked_time(
            provider_ids={p.provider_id for p in self.pairs},
            location_ids={p.place.pk for p in self.pairs},
            start=self.start,
            end=self.end + self.duration,
        )
        spans: dict[tuple[int | None, int | None], list] = defaultdict(list)
        for provider_id, location_id, start, end in rows:
            spans[(provider_id, location_id)].append((start, end))
        if not spans:
            return
        for pair in self.pairs:
            p, loc = pair.provider_id, pair.place.pk
            mine = spans[(p, loc)] + spans[(None, loc)] + spans[(p, None)] + spans[(None, None)]
            if mine:
                pair.blocked = Busy(mine)

    # -- the walk -----------------------------------------------------------------------

    def _times(self, pair: _Pair, lo: dt.datetime) -> Iterator[tuple]:
        """The pair's grid times from ``lo`` to the window's end that its blocks hold and
        nothing blocks, in order: ``(start ts, rank, end ts, start, end, pair)`` (``ts``:
        seconds since 1970), not yet checked against bookings. Lazy: a search that ends
        early never computes the later days.

        Wall-clock minutes become instants through the location's zone (``visit_at``). A
        time the zone moves (a daylight-saving night) is held to the booking's own test,
        ``covers``.
        """
        place = pair.place
        tz_name = place.time_zone
        zone = place.zone
        minutes = self.type.duration_minutes
        times, blocked = self.times, pair.blocked
        lo_ts, end_ts_max = lo.timestamp(), self.end.timestamp()
        day = lo.astimezone(zone).date()
        last = self.end.astimezone(zone).date()
        one_day = dt.timedelta(days=1)
        while day <= last:
            found = []
            latest, disordered = 0.0, False
            for block in pair.blocks_by_weekday.get(day.weekday(), ()):
                if not block.in_effect_on(day):
                    continue
                step = self.step or block.step
                for minute in range(block.first, block.closing - minutes + 1, step):
                    start, end, local_start, local_end, exact, start_ts, end_ts = visit_at(
                        tz_name, day, minute, minutes
                    )
                    if start_ts < lo_ts:
                        continue
                    if end_ts > end_ts_max:
                        break
                    if not exact and not block.covers(local_start, local_end):
                        continue
                    if not times.any_time and not times.accepts(local_start, local_end):
                        continue
                    if blocked and blocked.overlaps(start_ts, end_ts):
                        continue
                    disordered = disordered or start_ts <= latest
                    latest = start_ts
                    found.append((start_ts, pair.rank, end_ts, start, end, pair))
            if disordered:  # blocks that overlap (their form refuses it; the table allows it)
                found = sorted(set(found), key=lambda c: c[0])
            yield from found
            day += one_day

    def _busy(self, candidates: list[tuple], lo: dt.datetime, hi: dt.datetime):
        """Occupying appointments of the candidates' providers and rooms (and the patient)
        overlapping ``[lo, hi)``: one query."""
        provider_ids = {c[5].provider_id for c in candidates}
        room_ids = set()
        for location_id in {c[5].place.pk for c in candidates}:
            room_ids.update(row[0] for row in self.rooms_by_location.get(location_id, ()))
        rows = queries.busy(
            provider_ids=provider_ids,
            room_ids=room_ids,
            patient_id=self.patient_id,
            start=lo,
            end=hi,
            earliest_start=lo - LONGEST_VISIT,
            statuses=OCCUPYING_STATUSES,
        )
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

    def _free_room(self, place: _Place, busy_rooms, start, end) -> tuple[bool, Room | None]:
        """Whether the visit has its room then, and which (the lowest id free, as booking)."""
        if not self.type.room_kind:
            return True, None
        rooms = self.rooms_by_location.get(place.pk)
        if not rooms:
            return self.type.telehealth, None
        for row in rooms:
            if not busy_rooms.get(row[0], EMPTY).overlaps(start, end):
                room = self._rooms.get(row[0])
                if room is None:
                    room = self._rooms[row[0]] = queries.instance(Room, row)
                return True, room
        return False, None

    def _provider(self, pair: _Pair) -> Provider:
        provider = self._providers.get(pair.provider_id)
        if provider is None:
            provider = self._providers[pair.provider_id] = queries.instance(
                Provider, pair.provider_row
            )
        return provider

    def find(self, limit: int) -> list[Slot]:
        """Merge the pairs' times earliest first (ties by provider, then location name), and
        check them against bookings a batch at a time until ``limit`` slots are found."""
        for rank, pair in enumerate(sorted(self.pairs, key=lambda p: p.key)):
            pair.rank = rank
        lo = max(self.start, self.now)
        stream = heapq.merge(*(self._times(pair, lo) for pair in self.pairs))
        slots: list[Slot] = []
        batch = max(MIN_BATCH, BATCH_PER_SLOT * limit)
        while len(slots) < limit:
            part = list(itertools.islice(stream, batch))
            if not part:
                break
            batch *= 2
            busy_providers, busy_rooms, busy_patient = self._busy(
                part, part[0][3], max(c[4] for c in part)
            )
            for start_ts, _rank, end_ts, start, end, pair in part:
                if busy_providers.get(pair.provider_id, EMPTY).overlaps(start_ts, end_ts):
                    continue
                if busy_patient and busy_patient.overlaps(start_ts, end_ts):
                    continue
                ok, room = self._free_room(pair.place, busy_rooms, start_ts, end_ts)
                if not ok:
                    continue
                slots.append(
                    Slot(
                        provider=self._provider(pair),
                        location=pair.place.instance,
                        room=room,
                        start=start,
                        end=end,
                        appointment_type=self.type,
                    )
                )
                if len(slots) >= limit:
                    break
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
