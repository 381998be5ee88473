"""The synthetic practice's schedule set-up: visit types, weekly blocks, and the time it is closed.

- Seven appointment types, from a 10-minute lab draw to a 40-minute new-patient visit; the
  procedure, the lab draw and the video visit each need their own kind of room.
- Every provider works Monday to Friday, 8:00–12:00 and 13:00–17:00 in the office's time
  zone; a provider at two offices spends Monday, Wednesday and Friday at the first and
  Tuesday and Thursday at the second. Some take a half day (every fourth provider has
  Wednesday afternoons off, nurse practitioners and physician assistants Friday
  afternoons); one provider runs a Saturday-morning sick clinic; one changed their
  Thursday afternoon six months ago (the old block ends, the new one begins).
- Closed time: the federal holidays (whole practice), a vacation week per provider per
  year plus one coming up, a monthly staff meeting per office, a CME afternoon.

Besides the rows, :func:`create_schedule` returns a :class:`SchedulePlan`: the same
set-up as plain numbers, which the history generator walks without asking the database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from medoffice.core.models import Location
from medoffice.demo.context import SeedContext, years_before
from medoffice.demo.holidays import holidays_between
from medoffice.scheduling.models import (
    AppointmentType,
    AvailabilityTemplate,
    Provider,
    Room,
    ScheduleException,
)

FUTURE_DAYS = 60  # the schedule is open (and partly booked) this far ahead

NP, EST, PE, SICK, TEL, PROC, LAB = "NP", "EST", "PE", "SICK", "TEL", "PROC", "LAB"

# (name, code, minutes, room kind, for, telehealth, colour, share of visits)
APPOINTMENT_TYPES = (
    ("New patient", NP, 40, Room.EXAM, AppointmentType.NEW, False, "#2a6f97", 0.07),
    (
        "Established patient",
        EST,
        20,
        Room.EXAM,
        AppointmentType.ESTABLISHED,
        False,
        "#3b8132",
        0.38,
    ),
    ("Annual physical", PE, 40, Room.EXAM, AppointmentType.ANY, False, "#6a4c93", 0.10),
    ("Sick visit", SICK, 15, Room.EXAM, AppointmentType.ANY, False, "#c06014", 0.18),
    (
        "Telehealth follow-up",
        TEL,
        20,
        Room.TELEHEALTH,
        AppointmentType.ESTABLISHED,
        True,
        "#1b998b",
        0.09,
    ),
    ("Procedure", PROC, 30, Room.PROCEDURE, AppointmentType.ANY, False, "#a23b72", 0.06),
    ("Lab draw", LAB, 10, Room.LAB, AppointmentType.ANY, False, "#7f5539", 0.12),
)
MORNING_TYPES = (NP, EST, PE, SICK, TEL, LAB)  # fasting labs are drawn in the morning
AFTERNOON_TYPES = (NP, EST, PE, SICK, TEL, PROC)
SATURDAY_TYPES = (SICK, EST, TEL)

MORNING = (8 * 60, 12 * 60)
AFTERNOON = (13 * 60, 17 * 60)
SHORT_THURSDAY = (13 * 60, 16 * 60)  # the block one provider had until six months ago
TEMPLATE_CHANGED_DAYS_AGO = 182
MEETING = (8 * 60, 9 * 60)  # second Wednesday of the month, every office


@dataclass(frozen=True)
class VisitKind:
    """An appointment type as the generator uses it."""

    id: int
    code: str
    minutes: int
    room_kind: str
    share: float


@dataclass(frozen=True)
class Block:
    """One weekly block: minutes after local midnight, the types it takes, when in effect."""

    provider_id: int
    location_id: int
    weekday: int
    start: int
    end: int
    kinds: tuple[str, ...]
    effective_from: dt.date
    effective_to: dt.date | None

    def in_effect_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True)
class Closure:
    """A schedule exception as epoch seconds (UTC); None = every provider / every office."""

    provider_id: int | None
    location_id: int | None
    start: int
    end: int

    def applies(self, provider_id: int, location_id: int) -> bool:
        return self.provider_id in (None, provider_id) and self.location_id in (None, location_id)


@dataclass
class SchedulePlan:
    """The schedule set-up in plain numbers, and the days the history covers."""

    first_day: dt.date  # the first day of history
    today: dt.date
    end_day: dt.date  # the first day after the booked future
    types: dict[str, AppointmentType]
    kinds: dict[str, VisitKind]
    # (provider id, weekday) -> that provider's blocks on that weekday, any office
    blocks: dict[tuple[int, int], list[Block]]
    # local date -> closures touching that date somewhere
    closures: dict[dt.date, list[Closure]] = field(default_factory=dict)
    templates: int = 0
    exceptions: int = 0


def epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _local(day: dt.date, minutes: int, location: Location) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=location.zone)


def create_appointment_types() -> dict[str, AppointmentType]:
    made = AppointmentType.objects.bulk_create(
        [
            AppointmentType(
                name=name,
                code=code,
                duration_minutes=minutes,
                room_kind=room_kind,
                patient_status=status,
                telehealth=telehealth,
                colour=colour,
            )
            for name, code, minutes, room_kind, status, telehealth, colour, _ in APPOINTMENT_TYPES
        ]
    )
    return {t.code: t for t in made}


def _weekly_plan(
    index: int, provider: Provider, sites: list[Location]
) -> list[tuple[int, Location, tuple[int, int], tuple[str, ...]]]:
    """(weekday, office, (start, end) minutes, types) of one provider's ordinary week."""
    week = []
    for weekday in range(5):
        # Two offices: Monday, Wednesday, Friday at the first; Tuesday, Thursday at the second.
        site = sites[weekday % len(sites)]
        week.append((weekday, site, MORNING, MORNING_TYPES))
        half_day = (index % 4 == 1 and weekday == 2) or (
            provider.credentials in ("NP", "PA") and weekday == 4
        )
        if not half_day:
            week.append((weekday, site, AFTERNOON, AFTERNOON_TYPES))
    return week


def create_schedule(
    *,
    ctx: SeedContext,
    providers: list[Provider],
    sites: dict[int, list[Location]],
    locations: list[Location],
) -> SchedulePlan:
    """Appointment types, every provider's weekly blocks, and the exceptions; see the module."""
    rng = ctx.rng("schedule")
    today = ctx.today
    first_day = years_before(today, ctx.years)
    end_day = today + dt.timedelta(days=FUTURE_DAYS)
    types = create_appointment_types()
    kinds = {
        code: VisitKind(types[code].pk, code, minutes, room_kind, share)
        for _, code, minutes, room_kind, _, _, _, share in APPOINTMENT_TYPES
    }
    plan = SchedulePlan(
        first_day=first_day, today=today, end_day=end_day, types=types, kinds=kinds, blocks={}
    )
    _create_templates(plan=plan, providers=providers, sites=sites, today=today)
    _create_exceptions(
        plan=plan, rng=rng, providers=providers, sites=sites, locations=locations, now=ctx.now
    )
    return plan


def _create_templates(
    *, plan: SchedulePlan, providers: list[Provider], sites: dict[int, list[Location]], today
) -> None:
    effective_from = plan.first_day - dt.timedelta(days=plan.first_day.weekday())
    changed_on = today - dt.timedelta(days=TEMPLATE_CHANGED_DAYS_AGO)
    # (provider, location, weekday, (start, end), types, from, to)
    rows: list[tuple] = []
    for index, provider in enumerate(providers):
        where = sites[provider.pk]
        for weekday, site, hours, kinds in _weekly_plan(index, provider, where):
            if index == 2 and weekday == 3 and hours == AFTERNOON:
                day_before = changed_on - dt.timedelta(days=1)
                rows.append(
                    (provider, site, weekday, SHORT_THURSDAY, kinds, effective_from, day_before)
                )
                rows.append((provider, site, weekday, hours, kinds, changed_on, None))
            else:
                rows.append((provider, site, weekday, hours, kinds, effective_from, None))
        if index == min(1, len(providers) - 1):
            rows.append((provider, where[0], 5, MORNING, SATURDAY_TYPES, effective_from, None))

    templates = AvailabilityTemplate.objects.bulk_create(
        [
            AvailabilityTemplate(
                provider=provider,
                location=site,
                weekday=weekday,
                start_time=dt.time(start // 60, start % 60),
                end_time=dt.time(end // 60, end % 60),
                effective_from=first,
                effective_to=last,
            )
            for provider, site, weekday, (start, end), _, first, last in rows
        ]
    )
    allowed = AvailabilityTemplate.appointment_types.through
    allowed.objects.bulk_create(
        [
            allowed(availabilitytemplate_id=t.pk, appointmenttype_id=plan.types[code].pk)
            for t, row in zip(templates, rows, strict=True)
            for code in row[4]
        ]
    )
    blocks: dict[tuple[int, int], list[Block]] = defaultdict(list)
    for provider, site, weekday, (start, end), kinds, first, last in rows:
        blocks[(provider.pk, weekday)].append(
            Block(provider.pk, site.pk, weekday, start, end, kinds, first, last)
        )
    plan.blocks = dict(blocks)
    plan.templates = len(templates)


def _create_exceptions(
    *,
    plan: SchedulePlan,
    rng,
    providers: list[Provider],
    sites: dict[int, list[Location]],
    locations: list[Location],
    now: dt.datetime,
) -> None:
    exceptions: list[ScheduleException] = []
    last_day = plan.end_day - dt.timedelta(days=1)

    # Holidays: from midnight in the easternmost office to midnight in the westernmost.
    for day, name in holidays_between(plan.first_day, last_day):
        starts = [_local(day, 0, loc) for loc in locations]
        ends = [_local(day + dt.timedelta(days=1), 0, loc) for loc in locations]
        exceptions.append(
            ScheduleException(
                kind=ScheduleException.HOLIDAY,
                start=min(starts),
                end=max(ends),
                reason=f"{name} (office closed)",
                created_at=now,
            )
        )

    # A vacation week (Monday to Friday) per provider per year, and one coming up.
    def vacation(provider: Provider, monday: dt.date, reason: str) -> ScheduleException:
        home = sites[provider.pk][0]
        return ScheduleException(
            provider=provider,
            kind=ScheduleException.VACATION,
            start=_local(monday, 0, home),
            end=_local(monday + dt.timedelta(days=5), 0, home),
            reason=reason,
            created_at=now,
        )

    history_days = (plan.today - plan.first_day).days
    for provider in providers:
        for year in range(max(1, history_days // 365)):
            day = plan.first_day + dt.timedelta(days=365 * year + rng.randint(14, 340))
            monday = day - dt.timedelta(days=day.weekday())
            if monday + dt.timedelta(days=7) < plan.today:
                exceptions.append(vacation(provider, monday, "Vacation"))
    coming = plan.today + dt.timedelta(days=24)
    exceptions.append(
        vacation(providers[-1], coming + dt.timedelta(days=7 - coming.weekday()), "Family vacation")
    )

    # The second Wednesday of every month, 8:00–9:00: staff meeting at every office.
    month = plan.first_day.replace(day=1)
    while month <= last_day:
        first_wednesday = month + dt.timedelta(days=(2 - month.weekday()) % 7)
        day = first_wednesday + dt.timedelta(days=7)
        if plan.first_day <= day <= last_day:
            for location in locations:
                exceptions.append(
                    ScheduleException(
                        location=location,
                        kind=ScheduleException.MEETING,
                        start=_local(day, MEETING[0], location),
                        end=_local(day, MEETING[1], location),
                        reason="Monthly staff meeting",
                        created_at=now,
                    )
                )
        month = (month + dt.timedelta(days=32)).replace(day=1)

    # A continuing-education afternoon for the first provider, about two weeks ahead.
    cme = plan.today + dt.timedelta(days=12)
    cme += dt.timedelta(days=(4 - cme.weekday()) % 7)  # a Friday
    home = sites[providers[0].pk][0]
    exceptions.append(
        ScheduleException(
            provider=providers[0],
            kind=ScheduleException.BLOCKED,
            start=_local(cme, AFTERNOON[0], home),
            end=_local(cme, AFTERNOON[1], home),
            reason="CME conference",
            created_at=now,
        )
    )

    ScheduleException.objects.bulk_create(exceptions)
    closures: dict[dt.date, list[Closure]] = defaultdict(list)
    for exc in exceptions:
        closure = Closure(exc.provider_id, exc.location_id, epoch(exc.start), epoch(exc.end))
        day = (exc.start - dt.timedelta(days=1)).date()
        while day <= (exc.end + dt.timedelta(days=1)).date():
            closures[day].append(closure)
            day += dt.timedelta(days=1)
    plan.closures = dict(closures)
    plan.exceptions = len(exceptions)
