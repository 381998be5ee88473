"""The schedule's past and near future: every visit of the history span, and the weeks ahead.

The generator walks each provider's weekly blocks day by day (honouring
holidays, vacations and meetings) and fills them the way an office does:

- **Past** (before today): about 95 % of the block time is booked. About 8 % of
  the visits are cancelled (with a reason; a third of those are moved to a
  later day — ``rescheduled_from`` links the new visit to the old — and half
  of the freed slots are taken by someone else). Between 5 and 15 % of the
  visits that were not cancelled are no-shows, more on Mondays, for young
  adults, for long lead times and for a few habitual no-showers, fewer when the
  patient confirmed. The rest went through the office: arrival 0–15 minutes
  before the start (some late), arrived → roomed a median of 10 minutes with a
  long tail, roomed → with the provider about 8, the visit near the type's
  length, checkout about 3 minutes; Monday mornings at the first office run
  slower. A few left without being seen.
- **Today and the next 59 days**: booked or confirmed, none arrived; the near
  days nearly full and the far ones half, about 70 % overall.

Each appointment comes with the events the services would have written for
the same changes (booked, confirmed, cancelled, arrived …), with the same
statuses, moments and people. Visits of one provider never overlap, nor do
two visits in one room, unless one of them was cancelled or a no-show — the
database refuses anything else. Rows are written with :class:`RowWriter`
(COPY on PostgreSQL) rather than model instances: millions of events would
otherwise take minutes.

Every draw comes from the ``history`` random stream; dates follow today's
calendar, and every moment recorded is before today's midnight, so the same
seed on the same day gives the same history whatever the hour.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection

from medoffice.core.models import Location
from medoffice.demo.bulk import RowWriter, bulk_load, next_id, roomy_sqlite_cache
from medoffice.demo.context import SeedContext, weighted
from medoffice.demo.schedule import EST, SICK, TEL, Block, Closure, SchedulePlan, VisitKind
from medoffice.patients.models import Patient
from medoffice.scheduling.models import Appointment, AppointmentEvent, Room

A = Appointment
HOUR = 3600
DAY = 86400
MINUTE = 60

APPOINTMENT_FIELDS = (
    "id",
    "patient",
    "provider",
    "location",
    "room",
    "appointment_type",
    "start",
    "end",
    "status",
    "booked_at",
    "booked_by",
    "confirmed_at",
    "confirmed_by",
    "arrived_at",
    "arrived_by",
    "roomed_at",
    "roomed_by",
    "with_provider_at",
    "with_provider_by",
    "checked_out_at",
    "checked_out_by",
    "no_show_at",
    "no_show_by",
    "left_at",
    "left_by",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
    "overbook",
    "overbook_reason",
    "outside_template",
    "series",
    "rescheduled_from",
    "notes",
)
_BLANK = {
    name: None for name in APPOINTMENT_FIELDS if name.endswith(("_at", "_by")) or name == "room"
}
_BLANK.update(
    cancel_reason="",
    overbook=False,
    overbook_reason="",
    outside_template=False,
    series=None,
    rescheduled_from=None,
    notes="",
)
EVENT_FIELDS = ("appointment", "kind", "from_status", "to_status", "at", "by", "reason", "detail")

RESCHEDULED = "rescheduled"  # the reason the reschedule service records
CANCEL_REASONS = (
    ("Patient asked to cancel", 0.30),
    ("Feeling better", 0.14),
    ("Work conflict", 0.14),
    ("No transportation", 0.07),
    ("Provider out of the office", 0.05),
    ("Bad weather", 0.03),
    (RESCHEDULED, 0.27),
)
PLAIN_CANCEL = CANCEL_REASONS[0][0]
LEFT_REASON = "Could not wait any longer"
CONFIRM_CHANNELS = (("sms", 0.6), ("email", 0.25), ("voice", 0.15))

PAST_FILL = 0.95
CANCEL_RATE = 0.095
FUTURE_CANCEL_RATE = 0.03
BACKFILL_RATE = 0.5
NO_SHOW_BASE = 0.1
NO_SHOW_BY_WEEKDAY = (1.45, 0.92, 0.88, 0.93, 1.08, 0.8, 0.8)  # Monday worst
LEFT_RATE = 0.004
CONFIRM_RATE = 0.72  # of visits the patient kept; no-shows confirm less
# A patient's own no-show habit: (multiplier, share of patients).
NO_SHOW_HABITS = ((0.55, 0.66), (1.3, 0.27), (3.2, 0.07))


@dataclass(frozen=True)
class PatientFacts:
    """What the generator needs to know of a saved patient."""

    id: int
    location_id: int
    age: int
    active: bool


@dataclass
class Staff:
    """Who books, rooms and sees patients (user ids), by office."""

    front_desk: dict[int, list[int]]
    assistants: dict[int, list[int]]
    provider_user: dict[int, int | None]


@dataclass
class HistorySummary:
    appointments: int = 0
    events: int = 0
    past: int = 0
    future: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass
class _Pending:
    """A visit cancelled to be moved, waiting for its new slot (the row is held until then)."""

    row: dict
    events: list[list]
    cancel_event: list
    kind: VisitKind
    patient_id: int
    not_before: int


class _Patients:
    """Who fills a provider's slots: their own panel mostly, the office's patients, anyone."""

    def __init__(self, rng, facts: list[PatientFacts], providers_at: dict[int, list[int]]):
        self.rng = rng
        self.everyone: list[int] = []
        self.at_location: dict[int, list[int]] = defaultdict(list)
        self.panel: dict[int, list[int]] = defaultdict(list)
        self.unseen: dict[int, list[int]] = defaultdict(list)
        self.inactive = {p.id for p in facts if not p.active}
        self.habit: dict[int, float] = {}
        self.age: dict[int, int] = {}
        turn: dict[int, int] = defaultdict(int)
        habits = [(m, w) for m, w in NO_SHOW_HABITS]
        for p in facts:
            # Older patients come more often: they appear more times in the lists drawn from.
            visits = 3 if p.age >= 65 else 2 if p.age >= 45 or p.age < 2 else 1
            self.everyone += [p.id] * visits
            self.at_location[p.location_id] += [p.id] * visits
            doctors = providers_at.get(p.location_id) or []
            if doctors:
                own = doctors[turn[p.location_id] % len(doctors)]
                turn[p.location_id] += 1
                self.panel[own] += [p.id] * visits
                self.unseen[own].append(p.id)
            self.habit[p.id] = weighted(rng, habits)
            self.age[p.id] = p.age
        for waiting in self.unseen.values():
            rng.shuffle(waiting)
        self.seen: set[int] = set()

    def __bool__(self) -> bool:
        return bool(self.everyone)

    def pick(self, *, provider_id: int, location_id: int, today: set[int], future: bool) -> int:
        rng = self.rng
        for _ in range(6):
            roll = rng.random()
            pool = self.panel.get(provider_id) if roll < 0.8 else None
            if not pool and roll < 0.95:
                pool = self.at_location.get(location_id)
            pool = pool or self.everyone
            patient = pool[int(rng.random() * len(pool))]
            if patient not in today and not (future and patient in self.inactive):
                break
        today.add(patient)
        self.seen.add(patient)
        return patient

    def new_patient(self, *, provider_id: int, today: set[int], future: bool) -> int | None:
        waiting = self.unseen.get(provider_id)
        while waiting:
            patient = waiting.pop()
            if patient in self.seen or patient in today or (future and patient in self.inactive):
                continue
            today.add(patient)
            self.seen.add(patient)
            return patient
        return None


class HistoryMaker:
    """Walks every provider's blocks from the first day of history to the end of the future."""

    def __init__(
        self,
        *,
        ctx: SeedContext,
        plan: SchedulePlan,
        locations: list[Location],
        sites: dict[int, list[Location]],
        rooms: list[Room],
        patients: list[PatientFacts],
        staff: Staff,
        say: Callable[[str], None],
    ) -> None:
        self.rng = ctx.rng("history")
        self.plan = plan
        self.locations = locations
        self.main_id = locations[0].pk
        self.say = say
        self.staff = staff
        self.providers_at: dict[int, list[int]] = defaultdict(list)
        for provider_id, where in sorted(sites.items()):
            for location in where:
                self.providers_at[location.pk].append(provider_id)
        self.exams: dict[int, list[int]] = defaultdict(list)
        self.shared: dict[tuple[int, str], list[int]] = defaultdict(list)
        for room in sorted(rooms, key=lambda r: r.pk):
            if not room.active:
                continue
            if room.kind == Room.EXAM:
                self.exams[room.location_id].append(room.pk)
            else:
                self.shared[(room.location_id, room.kind)].append(room.pk)
        self.patients = _Patients(self.rng, patients, self.providers_at)
        self.appointments = RowWriter(Appointment, APPOINTMENT_FIELDS)
        self.events = RowWriter(AppointmentEvent, EVENT_FIELDS)
        self.next_id = next_id(Appointment)
        self.pending: dict[int, list[_Pending]] = defaultdict(list)
        self.summary = HistorySummary()
        self._bases: dict[tuple[dt.date, int], int] = {}
        self._zones = {loc.pk: loc.zone for loc in locations}
        self._choices: dict[tuple[str, ...], tuple[list[VisitKind], list[float]]] = {}

    # -- time -----------------------------------------------------------------

    def base(self, day: dt.date, location_id: int) -> int:
        """Epoch seconds of local midnight (clinic hours never cross a DST change)."""
        key = (day, location_id)
        found = self._bases.get(key)
        if found is None:
            noon = dt.datetime.combine(day, dt.time(12), tzinfo=self._zones[location_id])
            found = int(noon.timestamp()) - 12 * HOUR
            self._bases[key] = found
        return found

    def office_moment(self, day: dt.date, location_id: int, earliest=8.0, latest=17.5) -> int:
        """A moment during office hours (local) on ``day``, to the minute."""
        minutes = int(self.rng.uniform(earliest * 60, latest * 60))
        return self.base(day, location_id) + minutes * MINUTE

    def office_moment_between(self, low: int, high: int, location_id: int) -> int | None:
        """A moment during office hours after ``low`` and before ``high`` (None if none fits)."""
        if high - low < 10 * MINUTE:
            return None
        zone = self._zones[location_id]
        first = dt.datetime.fromtimestamp(low, zone).date()
        days = (dt.datetime.fromtimestamp(high, zone).date() - first).days
        for _ in range(4):
            day = first + dt.timedelta(days=int(self.rng.random() * (days + 1)))
            moment = self.office_moment(day, location_id, 7.5, 18)
            if low < moment < high:
                return moment
        return None

    # -- the walk -------------------------------------------------------------

    def run(self) -> HistorySummary:
        if not self.patients:
            self.say("  no patients: no appointment history")
            return self.summary
        with bulk_load(Appointment, AppointmentEvent), roomy_sqlite_cache():
            self._walk_days()
            for waiting in self.pending.values():
                for pending in waiting:
                    self._give_up_moving(pending)
            self.appointments.close()
            self.events.close()
        overlaps = overlapping_appointments()
        if overlaps:
            raise RuntimeError(f"the history has {overlaps} overlapping visits (a seed bug)")
        self._registered_before_first_booking()
        if connection.vendor == "postgresql":
            # Fresh statistics, so the first queries after a bulk load plan well.
            with connection.cursor() as cursor:
                for model in (Appointment, AppointmentEvent, Patient):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        return self.summary

    def _walk_days(self) -> None:
        plan = self.plan
        day = plan.first_day
        reported = day
        while day < plan.end_day:
            future = day >= plan.today
            closures = plan.closures.get(day, ())
            booked_today: set[int] = set()
            for location in self.locations:
                busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
                for rank, provider_id in enumerate(self.providers_at[location.pk]):
                    blocks = [
                        b
                        for b in plan.blocks.get((provider_id, day.weekday()), ())
                        if b.location_id == location.pk and b.in_effect_on(day)
                    ]
                    if not blocks:
                        continue
                    closed = [c for c in closures if c.applies(provider_id, location.pk)]
                    for block in blocks:
                        self._walk(block, day, rank, closed, busy, booked_today, future)
            day += dt.timedelta(days=1)
            if day in (plan.today, plan.end_day) or (day - reported).days >= 91:
                when = "past" if day <= plan.today else "ahead"
                self.say(
                    f"  {when}: through {day - dt.timedelta(days=1)}, "
                    f"{self.summary.appointments:,} appointments"
                )
                reported = day

    def _fill(self, day: dt.date) -> float:
        if day < self.plan.today:
            return PAST_FILL
        ahead = (day - self.plan.today).days
        return max(0.3, 0.97 - 0.0085 * ahead)

    def _kinds(self, codes: tuple[str, ...]) -> tuple[list[VisitKind], list[float]]:
        found = self._choices.get(codes)
        if found is None:
            kinds = [self.plan.kinds[c] for c in codes]
            cumulative, total = [], 0.0
            for kind in kinds:
                total += kind.share
                cumulative.append(total)
            found = self._choices[codes] = (kinds, cumulative)
        return found

    def _draw_kind(self, codes: tuple[str, ...], room_left: int) -> VisitKind | None:
        kinds, cumulative = self._kinds(codes)
        kind = self.rng.choices(kinds, cum_weights=cumulative)[0]
        if kind.minutes <= room_left:
            return kind
        fitting = [(k, k.share) for k in kinds if k.minutes <= room_left]
        return weighted(self.rng, fitting) if fitting else None

    def _walk(self, block: Block, day, rank, closed, busy, booked_today, future) -> None:
        rng = self.rng
        base = self.base(day, block.location_id)
        fill = self._fill(day)
        minute = block.start
        turn = 0
        while minute < block.end:
            kind = self._draw_kind(block.kinds, block.end - minute)
            if kind is None:
                return
            start = base + minute * MINUTE
            end = start + kind.minutes * MINUTE
            blocking = next((c for c in closed if c.start < end and c.end > start), None)
            if blocking is not None:
                reopens = (blocking.end - base) // MINUTE
                minute = max(minute + 5, -(-reopens // 5) * 5)
                continue
            if rng.random() >= fill:
                minute += kind.minutes
                continue
            moved = self._pending_for(block, start, block.end - minute)
            if moved is not None:
                kind = moved.kind
                end = start + kind.minutes * MINUTE
            room = self._room(kind, block.location_id, rank, turn, start, end, busy)
            if room is None and moved is None:
                kind = next(
                    (
                        self.plan.kinds[c]
                        for c in (EST, SICK)
                        if c in block.kinds and self.plan.kinds[c].minutes <= block.end - minute
                    ),
                    None,
                )
                if kind is None:
                    minute += 5
                    continue
                end = start + kind.minutes * MINUTE
                room = self._room(kind, block.location_id, rank, turn, start, end, busy)
            elif room is None:
                self.pending[block.provider_id].insert(0, moved)  # try another slot
                minute += kind.minutes
                continue
            turn += 1
            if moved is not None:
                booked_today.add(moved.patient_id)
                self._book_moved(moved, block, day, kind, room, start, end, future)
            else:
                patient = self._pick_patient(kind, block, booked_today, future)
                self._visit(
                    block=block,
                    day=day,
                    kind=kind,
                    room=room,
                    start=start,
                    end=end,
                    patient=patient,
                    future=future,
                    booked_today=booked_today,
                )
            minute += kind.minutes

    def _pick_patient(self, kind: VisitKind, block: Block, booked_today, future) -> int:
        if kind.code == "NP":
            patient = self.patients.new_patient(
                provider_id=block.provider_id, today=booked_today, future=future
            )
            if patient is not None:
                return patient
        return self.patients.pick(
            provider_id=block.provider_id,
            location_id=block.location_id,
            today=booked_today,
            future=future,
        )

    def _room(self, kind, location_id, rank, turn, start, end, busy) -> int | None:
        """The provider's own pair of exam rooms in turn; a shared room only when free."""
        if kind.room_kind == Room.EXAM:
            exams = self.exams.get(location_id)
            if not exams:
                return None
            return exams[(2 * rank + turn % 2) % len(exams)]
        for room in self.shared.get((location_id, kind.room_kind), ()):
            taken = busy[room]
            if all(e <= start or s >= end for s, e in taken):
                taken.append((start, end))
                return room
        return None

    # -- one visit --------------------------------------------------------------

    def _front_desk(self, location_id: int) -> int | None:
        people = self.staff.front_desk.get(location_id)
        return people[int(self.rng.random() * len(people))] if people else None

    def _assistant(self, location_id: int) -> int | None:
        people = self.staff.assistants.get(location_id)
        return people[int(self.rng.random() * len(people))] if people else None

    def _cutoff(self, location_id: int) -> int:
        """Local midnight today: every recorded moment is before it."""
        return self.base(self.plan.today, location_id)

    def _booked_at(self, kind: VisitKind, day: dt.date, start: int, location_id: int) -> int:
        rng = self.rng
        if kind.code == SICK:
            lead = 0 if rng.random() < 0.6 else 1
        elif kind.code == "PE":
            lead = min(120, 3 + int(rng.expovariate(1 / 35)))
        elif kind.code == "LAB":
            lead = min(60, 1 + int(rng.expovariate(1 / 7)))
        else:
            lead = min(90, 1 + int(rng.expovariate(1 / 14)))
        moment = self.office_moment(day - dt.timedelta(days=lead), location_id, 7.5)
        if moment > start - 30 * MINUTE:
            moment = start - int(rng.uniform(30, 150)) * MINUTE
        if day >= self.plan.today:
            cutoff = self._cutoff(location_id)
            if moment >= cutoff:
                back = dt.timedelta(days=1 + int(rng.random() * 3))
                moment = self.office_moment(self.plan.today - back, location_id)
        return moment

    def _visit(
        self,
        *,
        block: Block,
        day: dt.date,
        kind: VisitKind,
        room: int | None,
        start: int,
        end: int,
        patient: int,
        future: bool,
        booked_today: set[int],
        booked_at: int | None = None,
        booked_by: int | None = None,
        moved_from: int | None = None,
        may_cancel: bool = True,
    ) -> None:
        """One appointment and its events, from booking to where it ended (or stands today)."""
        rng = self.rng
        location_id = block.location_id
        appointment_id = self.next_id
        self.next_id += 1
        if booked_at is None:
            booked_at = self._booked_at(kind, day, start, location_id)
            booked_by = self._front_desk(location_id) if rng.random() < 0.9 else None
        row = dict(
            _BLANK,
            id=appointment_id,
            patient=patient,
            provider=block.provider_id,
            location=location_id,
            room=room,
            appointment_type=kind.id,
            start=start,
            end=end,
            status=A.SCHEDULED,
            booked_at=booked_at,
            booked_by=booked_by,
            rescheduled_from=moved_from,
        )
        detail: dict = {"room": "picked"} if room is not None else {}
        if moved_from is not None:
            detail["rescheduled_from"] = moved_from
        events = [[appointment_id, "booked", "", A.SCHEDULED, booked_at, booked_by, "", detail]]
        cutoff = self._cutoff(location_id)

        # Cancelled before the visit (by cutoff, for visits still ahead)?
        cancel_rate = 0.0
        if may_cancel:
            cancel_rate = FUTURE_CANCEL_RATE if future else CANCEL_RATE
            cancel_rate *= 0.4 if kind.code == SICK else 1.0
        cancelled_at = None
        if rng.random() < cancel_rate:
            if future:  # cancelled at some moment between the booking and today
                cancelled_at = self.office_moment_between(
                    booked_at + 5 * MINUTE, cutoff, location_id
                )
            else:
                cancelled_at = self._cancel_moment(day, start, booked_at, location_id)

        no_show = False
        if cancelled_at is None and not future:
            no_show = rng.random() < self._no_show_chance(patient, day, kind, start - booked_at)

        # Confirmed one to three days before (a reminder reply, or a call to the desk).
        confirm_rate = CONFIRM_RATE * (0.4 if no_show else 1.0)
        if future:
            confirm_rate = 0.6 if (day - self.plan.today).days <= 2 else 0.0
        if start - booked_at > DAY and rng.random() < confirm_rate:
            before = dt.timedelta(days=1 + int(rng.random() * 3))
            confirmed_at = self.office_moment(day - before, location_id, 9, 19)
            late_enough = confirmed_at > booked_at
            in_time = confirmed_at < cutoff if future else True
            if cancelled_at is not None:
                in_time = in_time and confirmed_at < cancelled_at
            if late_enough and in_time:
                by_desk = rng.random() < 0.3
                confirmed_by = self._front_desk(location_id) if by_desk else None
                via = "phone" if by_desk else weighted(rng, CONFIRM_CHANNELS)
                row.update(status=A.CONFIRMED, confirmed_at=confirmed_at, confirmed_by=confirmed_by)
                events.append(
                    [
                        appointment_id,
                        A.CONFIRMED,
                        A.SCHEDULED,
                        A.CONFIRMED,
                        confirmed_at,
                        confirmed_by,
                        "",
                        {"via": via},
                    ]
                )

        if cancelled_at is not None:
            self._cancel(row, events, kind, block, day, cancelled_at, booked_today, future)
            return
        if no_show:
            at = start + int(rng.uniform(15, 45)) * MINUTE
            by = self._front_desk(location_id)
            events.append([appointment_id, A.NO_SHOW, row["status"], A.NO_SHOW, at, by, "", {}])
            row.update(status=A.NO_SHOW, no_show_at=at, no_show_by=by)
        elif not future:
            self._through_the_office(row, events, kind, day, block)
        self._emit(row, events)

    def _no_show_chance(self, patient: int, day: dt.date, kind: VisitKind, lead: int) -> float:
        chance = NO_SHOW_BASE * NO_SHOW_BY_WEEKDAY[day.weekday()] * self.patients.habit[patient]
        age = self.patients.age[patient]
        if 18 <= age <= 35:
            chance *= 1.35
        elif age >= 65:
            chance *= 0.7
        if lead > 21 * DAY:
            chance *= 1.3
        if kind.code == SICK:
            chance *= 0.5
        return min(chance, 0.6)

    def _cancel_moment(self, day: dt.date, start: int, booked_at: int, location_id: int):
        rng = self.rng
        days_before = min(int(rng.expovariate(1 / 2.5)), max(0, (start - booked_at) // DAY))
        moment = self.office_moment(day - dt.timedelta(days=days_before), location_id, 7.5, 18)
        if not booked_at + 5 * MINUTE < moment < start - 30 * MINUTE:
            span = start - 30 * MINUTE - booked_at
            if span < 10 * MINUTE:
                return None
            moment = booked_at + int(span * rng.uniform(0.3, 0.95))
        return moment

    def _cancel(self, row, events, kind, block, day, cancelled_at, booked_today, future) -> None:
        """Cancel the visit; it may be moved to a later day, and its slot given to another."""
        rng = self.rng
        location_id = block.location_id
        by = self._front_desk(location_id)
        reason = weighted(rng, CANCEL_REASONS)
        cancel_event = [row["id"], A.CANCELLED, row["status"], A.CANCELLED, cancelled_at, by]
        cancel_event += [reason, {}]
        events.append(cancel_event)
        row.update(status=A.CANCELLED, cancelled_at=cancelled_at, cancelled_by=by)
        row["cancel_reason"] = reason
        if reason == RESCHEDULED:
            not_before = cancelled_at + int(rng.uniform(2, 21) * DAY)
            self.pending[block.provider_id].append(
                _Pending(row, events, cancel_event, kind, row["patient"], not_before)
            )
        else:
            self._emit(row, events)

        # Someone else takes the freed slot (booked after the cancellation).
        start = row["start"]
        latest = start - HOUR
        if future:
            latest = min(latest, self._cutoff(location_id) - MINUTE)
        booked_at = self.office_moment_between(cancelled_at + 5 * MINUTE, latest, location_id)
        if booked_at is not None and rng.random() < BACKFILL_RATE:
            patient = self.patients.pick(
                provider_id=block.provider_id,
                location_id=location_id,
                today=booked_today,
                future=future,
            )
            self._visit(
                block=block,
                day=day,
                kind=kind,
                room=row["room"],
                start=start,
                end=row["end"],
                patient=patient,
                future=future,
                booked_today=booked_today,
                booked_at=booked_at,
                booked_by=self._front_desk(location_id),
                may_cancel=False,
            )

    def _through_the_office(self, row, events, kind: VisitKind, day: dt.date, block: Block):
        """Arrived, roomed, with the provider, checked out (or left without being seen)."""
        rng = self.rng
        start = row["start"]
        location_id = block.location_id
        slow = (
            1.6 if day.weekday() == 0 and location_id == self.main_id and block.start < 720 else 1
        )
        video = 0.5 if kind.code == TEL else 1.0
        if rng.random() < 0.88:
            arrived = start - int(rng.uniform(0, 15) * MINUTE)
        else:
            arrived = start + int(rng.uniform(0, 12) * MINUTE)
        desk = self._front_desk(location_id)
        appointment_id = row["id"]
        previous = row["status"]
        events.append([appointment_id, A.ARRIVED, previous, A.ARRIVED, arrived, desk, "", {}])
        row.update(arrived_at=arrived, arrived_by=desk)
        if rng.random() < LEFT_RATE:
            left = arrived + int(rng.uniform(30, 75) * MINUTE)
            events.append(
                [appointment_id, A.LEFT_WITHOUT_BEING_SEEN, A.ARRIVED, A.LEFT_WITHOUT_BEING_SEEN]
                + [left, desk, LEFT_REASON, {}]
            )
            row.update(status=A.LEFT_WITHOUT_BEING_SEEN, left_at=left, left_by=desk)
            return
        to_room = min(90.0, max(1.0, rng.lognormvariate(math.log(10), 0.55) * slow * video))
        roomed = arrived + int(to_room * MINUTE)
        assistant = self._assistant(location_id)
        to_provider = min(60.0, max(1.0, rng.lognormvariate(math.log(8), 0.5) * slow * video))
        seen = roomed + int(to_provider * MINUTE)
        provider_user = self.staff.provider_user.get(block.provider_id)
        visit = kind.minutes * min(1.6, max(0.6, rng.normalvariate(1.0, 0.15)))
        checkout = min(20.0, max(1.0, rng.lognormvariate(math.log(3), 0.4)))
        done = seen + int((visit + checkout) * MINUTE)
        out_by = self._front_desk(location_id)
        events += [
            [appointment_id, A.ROOMED, A.ARRIVED, A.ROOMED, roomed, assistant, "", {}],
            [
                appointment_id,
                A.WITH_PROVIDER,
                A.ROOMED,
                A.WITH_PROVIDER,
                seen,
                provider_user,
                "",
                {},
            ],
            [appointment_id, A.CHECKED_OUT, A.WITH_PROVIDER, A.CHECKED_OUT, done, out_by, "", {}],
        ]
        row.update(
            status=A.CHECKED_OUT,
            roomed_at=roomed,
            roomed_by=assistant,
            with_provider_at=seen,
            with_provider_by=provider_user,
            checked_out_at=done,
            checked_out_by=out_by,
        )

    # -- moved visits -----------------------------------------------------------

    def _pending_for(self, block: Block, start: int, room_left: int) -> _Pending | None:
        waiting = self.pending.get(block.provider_id)
        if not waiting:
            return None
        for index, pending in enumerate(waiting):
            if pending.not_before > start:
                continue
            if pending.kind.code in block.kinds and pending.kind.minutes <= room_left:
                return waiting.pop(index)
        return None

    def _book_moved(self, pending: _Pending, block, day, kind, room, start, end, future) -> None:
        """The new visit of a moved one, booked the moment the old one was cancelled."""
        old = pending.row
        new_id = self.next_id
        pending.cancel_event[7] = {"rescheduled_to": new_id}
        self._emit(old, pending.events)
        self._visit(
            block=block,
            day=day,
            kind=kind,
            room=room,
            start=start,
            end=end,
            patient=pending.patient_id,
            future=future,
            booked_today=set(),
            booked_at=old["cancelled_at"],
            booked_by=old["cancelled_by"],
            moved_from=old["id"],
            may_cancel=False,
        )

    def _give_up_moving(self, pending: _Pending) -> None:
        """Never found a new slot: record it as an ordinary cancellation."""
        pending.row["cancel_reason"] = PLAIN_CANCEL
        pending.cancel_event[6] = PLAIN_CANCEL
        self._emit(pending.row, pending.events)

    # -- writing ----------------------------------------------------------------

    def _emit(self, row: dict, events: list[list]) -> None:
        self.appointments.add(tuple(row[name] for name in APPOINTMENT_FIELDS))
        for event in events:
            self.events.add(tuple(event))
        summary = self.summary
        summary.appointments += 1
        summary.events += len(events)
        summary.by_status[row["status"]] += 1
        if row["start"] < self._cutoff(row["location"]):
            summary.past += 1
        else:
            summary.future += 1

    def _registered_before_first_booking(self) -> None:
        """A patient's record exists before their first booking: move created_at back to it."""
        patients = connection.ops.quote_name(Patient._meta.db_table)
        visits = connection.ops.quote_name(Appointment._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {patients} SET created_at = (
                    SELECT MIN(a.booked_at) FROM {visits} a WHERE a.patient_id = {patients}.id
                )
                WHERE EXISTS (
                    SELECT 1 FROM {visits} a
                    WHERE a.patient_id = {patients}.id AND a.booked_at < {patients}.created_at
                )
                """  # noqa: S608 - table names from the models, no input
            )


def overlapping_appointments() -> int:
    """Occupying, non-overbooked visits that start before an earlier one of the same provider,
    or in the same room, has ended (0 in a sound schedule). One sorted pass per column."""
    table = connection.ops.quote_name(Appointment._meta.db_table)
    found = 0
    with connection.cursor() as cursor:
        for column in ("provider_id", "room_id"):
            cursor.execute(
                f"""
                SELECT COUNT(*) FROM (
                    SELECT "start", MAX("end") OVER (
                        PARTITION BY {column} ORDER BY "start", id
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                    ) AS earlier_end
                    FROM {table}
                    WHERE {column} IS NOT NULL AND overbook = %s
                      AND status NOT IN (%s, %s)
                ) AS ordered
                WHERE earlier_end > "start"
                """,  # noqa: S608 - names from the model, values as parameters
                [False, *Appointment.NOT_OCCUPYING_STATUSES],
            )
            found += cursor.fetchone()[0]
    return found


def make_history(**kwargs) -> HistorySummary:
    """Generate and write the history; see :class:`HistoryMaker` for the arguments."""
    return HistoryMaker(**kwargs).run()


__all__ = ["Closure", "HistorySummary", "PatientFacts", "Staff", "make_history"]
