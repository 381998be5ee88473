"""Next open slot: "any provider, any location, first 10 slots in the next 90 days".

Builds its own practice in a dedicated database (or measures one already
seeded, with ``--existing``): 5 locations in four time zones, 50 providers
(10 per location, 5 of them also working a second location two days a week),
weekday blocks 8:00–12:00 and 13:00–17:00 (afternoons take no new patients),
9 exam rooms, a procedure room and a lab per location, six visit types,
practice holidays and provider vacations, two years of history and the next
60 days about 70 % booked — fuller in the first weeks, emptier later, as a
real schedule is. Then times ``--calls`` calls of ``open_slots`` with a random
visit type and a random start within the next 90 days, each searching 90 days
for the first 10 slots, and prints p50/p95/p99 in milliseconds with the
queries per call.

    DATABASE_URL=postgres://127.0.0.1:5432/mo_bench_slots \\
        python benchmarks/next_slot.py --calls 500

The data is built once per database and day (``--fresh`` drops and rebuilds
the database; a database built on an earlier day is rebuilt, because "the
next 60 days" moved). To measure the shared benchmark practice instead:

    DATABASE_URL=postgres://127.0.0.1:5432/mo_bench_schedule \
        python benchmarks/next_slot.py --existing --calls 500
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchdb  # noqa: E402
import booking_common  # noqa: E402

DEFAULT_URL = "postgres://127.0.0.1:5432/mo_bench_slots"
ZONES = [
    "America/Chicago",
    "America/New_York",
    "America/Denver",
    "America/Los_Angeles",
    "America/Chicago",
]
MARK = "Slot bench"  # the practice's name: this database holds our data
TYPES = [  # code, name, minutes, room kind, telehealth, share of bookings
    ("FU", "Follow-up", 20, "exam", False, 0.40),
    ("NP", "New patient", 40, "exam", False, 0.15),
    ("PE", "Annual physical", 30, "exam", False, 0.15),
    ("PROC", "Minor procedure", 30, "procedure", False, 0.05),
    ("LAB", "Lab draw", 15, "lab", False, 0.10),
    ("TEL", "Video visit", 20, "", True, 0.15),
]
HISTORY_DAYS = 730
FUTURE_DAYS = 60
PATIENTS = 20_000


# -- the database --------------------------------------------------------------------------


def configure(url: str, *, fresh: bool, migrate: bool = True) -> None:
    benchdb.setup_django(url, data_dir="mo-bench-slots", migrate=migrate, fresh=fresh)


def built_on() -> dt.date | None:
    from medoffice.core.models import Practice

    practice = Practice.objects.filter(name=MARK).first()
    if practice is None:
        return None
    return dt.date.fromisoformat(practice.billing_address2 or "2000-01-01")


# -- building the practice -----------------------------------------------------------------


def build(rng: random.Random, *, history_days: int, patients: int) -> dict:
    from django.db import connection, transaction

    from medoffice.core.models import Location, Practice
    from medoffice.patients.models import Patient, mrn_from_sequence
    from medoffice.scheduling.models import (
        AppointmentType,
        AvailabilityTemplate,
        Provider,
        Room,
        ScheduleException,
    )

    today = dt.datetime.now(zoneinfo.ZoneInfo(ZONES[0])).date()
    with transaction.atomic():
        practice = Practice.objects.create(
            name=MARK,
            group_npi="1234567893",
            tax_id="123456789",
            billing_address1="1 Bench St",
            billing_address2=today.isoformat(),
            billing_city="Springfield",
            billing_state="IL",
            billing_zip="62701",
        )
        locations = [
            Location.objects.create(
                practice=practice,
                name=f"Bench {n + 1}",
                address1="1 Bench St",
                city="Springfield",
                state="IL",
                zip="62701",
                phone="2175550199",
                time_zone=zone,
            )
            for n, zone in enumerate(ZONES)
        ]
        rooms = []
        for location in locations:
            rooms += [Room(location=location, name=f"Exam {i + 1}", kind="exam") for i in range(9)]
            rooms.append(Room(location=location, name="Procedure", kind="procedure"))
            rooms.append(Room(location=location, name="Lab", kind="lab"))
        Room.objects.bulk_create(rooms)
        types = {
            code: AppointmentType.objects.create(
                name=name,
                code=code,
                duration_minutes=minutes,
                room_kind=kind,
                telehealth=tele,
            )
            for code, name, minutes, kind, tele, _share in TYPES
        }
        providers, homes = [], {}
        for n in range(50):
            provider = Provider.objects.create(
                first_name=f"Bench{n:02d}",
                last_name=f"Doctor{n:02d}",
                credentials=rng.choice(["MD", "DO", "NP", "PA"]),
                npi=benchdb.valid_npi(n + 1),
            )
            home = locations[n // 10]
            second = locations[(n // 10 + 1) % 5] if n % 10 == 9 or n % 10 == 4 else None
            provider.locations.set([home] + ([second] if second else []))
            homes[provider.pk] = (home, second)
            providers.append(provider)
        first = today - dt.timedelta(days=history_days + 7)
        blocks = []
        for provider in providers:
            home, second = homes[provider.pk]
            step = rng.choice([15, 15, 15, 20])
            for weekday in range(5):
                where = second if second and weekday in (1, 3) else home
                for start, end in ((dt.time(8), dt.time(12)), (dt.time(13), dt.time(17))):
                    blocks.append(
                        AvailabilityTemplate(
                            provider=provider,
                            location=where,
                            weekday=weekday,
                            start_time=start,
                            end_time=end,
                            slot_minutes=step,
                            effective_from=first,
                        )
                    )
        AvailabilityTemplate.objects.bulk_create(blocks)
        afternoon_types = [t for code, t in types.items() if code != "NP"]
        for block in AvailabilityTemplate.objects.filter(start_time=dt.time(13)):
            block.appointment_types.set(afternoon_types)
        # Practice holidays and a week of vacation for every fifth provider.
        for days_ahead in (17, 45):
            day = today + dt.timedelta(days=days_ahead)
            start = dt.datetime.combine(day, dt.time(0), tzinfo=zoneinfo.ZoneInfo(ZONES[1]))
            ScheduleException.objects.create(
                start=start, end=start + dt.timedelta(days=1, hours=3), kind="holiday"
            )
        for provider in providers[::5]:
            day = today + dt.timedelta(days=rng.randrange(3, 80))
            start = dt.datetime.combine(day, dt.time(0), tzinfo=zoneinfo.ZoneInfo(ZONES[0]))
            ScheduleException.objects.create(
                provider=provider, start=start, end=start + dt.timedelta(days=7), kind="vacation"
            )
        people = []
        for n in range(patients):
            patient = Patient(
                mrn=mrn_from_sequence(7_000_000 + n),
                first_name=f"P{n}",
                last_name=f"Slotbench{n:06d}",
                date_of_birth=dt.date(1940, 1, 1) + dt.timedelta(days=n % 25_000),
                sex_at_birth="U",
                address1="1 Bench St",
                city="Springfield",
                state="IL",
                zip="62701",
            )
            patient.refresh_search_keys()
            people.append(patient)
        Patient.objects.bulk_create(people, batch_size=5000)
    patient_ids = list(Patient.objects.values_list("pk", flat=True))
    connection.close()
    return {"types": types, "homes": homes, "patients": patient_ids, "today": today}


def fill(rng: random.Random, parts: dict, *, history_days: int) -> dict:
    """Appointments block by block: history at ~70 %, the next 60 days ~80 % booked in the first
    week down to ~60 % in the last (about 70 % in all: the print-out says exactly).

    Rooms are taken lowest free first, as booking does, so the database's exclusion
    constraints hold; past visits end checked out, no-show or cancelled.
    """
    from django.db import transaction

    from medoffice.scheduling.models import (
        Appointment,
        AvailabilityTemplate,
        Room,
        ScheduleException,
    )

    today = parts["today"]
    now = dt.datetime.now(dt.UTC)
    types = parts["types"]
    weights = [share for *_rest, share in TYPES]
    codes = [code for code, *_rest in TYPES]
    rooms: dict[tuple[int, str], list[int]] = {}
    for room in Room.objects.order_by("pk"):
        rooms.setdefault((room.location_id, room.kind), []).append(room.pk)
    blocks: dict[tuple[int, int], list] = {}
    for block in AvailabilityTemplate.objects.select_related("location"):
        blocks.setdefault((block.weekday, block.location_id), []).append(block)
    off = list(ScheduleException.objects.values_list("provider_id", "start", "end"))
    patients = parts["patients"]
    batch: list[Appointment] = []
    booked_minutes = offered_minutes = 0
    week_booked = week_offered = 0
    total = 0

    def flush() -> None:
        nonlocal batch, total
        with transaction.atomic():
            Appointment.objects.bulk_create(batch, batch_size=5000)
        total += len(batch)
        batch = []

    for offset in range(-history_days, FUTURE_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        target = 0.8 if offset < 0 else 0.9 - 0.25 * offset / FUTURE_DAYS
        busy: dict[int, list[tuple]] = {}
        for (weekday, _location_id), day_blocks in blocks.items():
            if weekday != day.weekday():
                continue
            for block in day_blocks:
                zone = block.location.zone
                minute = block.start_time.hour * 60
                closing = block.end_time.hour * 60
                offered_minutes += closing - minute if offset >= 0 else 0
                week_offered += closing - minute if 0 <= offset < 7 else 0
                while minute < closing:
                    code = rng.choices(codes, weights)[0]
                    kind = types[code]
                    length = kind.duration_minutes
                    take = rng.random() < target / (target + (1 - target) * length / 15)
                    if not take or minute + length > closing:
                        minute += 15
                        continue
                    start = dt.datetime.combine(
                        day, dt.time(minute // 60, minute % 60), tzinfo=zone
                    ).astimezone(dt.UTC)
                    end = start + dt.timedelta(minutes=length)
                    if any(
                        (p is None or p == block.provider_id) and s < end and e > start
                        for p, s, e in off
                    ):
                        minute += 15
                        continue
                    room_id = None
                    if kind.room_kind:
                        for candidate in rooms.get((block.location_id, kind.room_kind), []):
                            taken = busy.setdefault(candidate, [])
                            if not any(s < end and e > start for s, e in taken):
                                room_id = candidate
                                taken.append((start, end))
                                break
                        if room_id is None:
                            minute += 15
                            continue
                    if end <= now:
                        status = rng.choices(
                            ["checked_out", "no_show", "cancelled"], [0.85, 0.08, 0.07]
                        )[0]
                    else:
                        status = rng.choices(["scheduled", "confirmed"], [0.6, 0.4])[0]
                    if offset >= 0 and status in Appointment.OCCUPYING_STATUSES:
                        booked_minutes += length
                        week_booked += length if offset < 7 else 0
                    batch.append(
                        Appointment(
                            patient_id=rng.choice(patients),
                            provider_id=block.provider_id,
                            location_id=block.location_id,
                            room_id=room_id,
                            appointment_type=kind,
                            start=start,
                            end=end,
                            status=status,
                            booked_at=start - dt.timedelta(days=rng.randrange(1, 60)),
                            cancelled_at=start - dt.timedelta(days=1)
                            if status == "cancelled"
                            else None,
                            cancel_reason="patient called" if status == "cancelled" else "",
                            checked_out_at=end if status == "checked_out" else None,
                        )
                    )
                    minute += length
        if len(batch) >= 20_000:
            flush()
    if batch:
        flush()
    return {
        "appointments": total,
        "future_share": booked_minutes / offered_minutes if offered_minutes else 0.0,
        "week_share": week_booked / week_offered if week_offered else 0.0,
    }


# -- measuring -----------------------------------------------------------------------------


def measure(rng: random.Random, *, calls: int, warmup: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from medoffice.scheduling.models import AppointmentType
    from medoffice.scheduling.slots import open_slots

    kinds = list(AppointmentType.objects.filter(active=True))
    now = dt.datetime.now(dt.UTC)
    timings: list[float] = []
    cpu: list[float] = []
    queries: list[int] = []
    found: list[int] = []
    for n in range(warmup + calls):
        kind = rng.choice(kinds)
        start = now + dt.timedelta(days=rng.randrange(0, 90), minutes=rng.randrange(0, 24 * 60))
        with CaptureQueriesContext(connection) as seen:
            c0, t0 = time.process_time(), time.perf_counter()
            slots = open_slots(
                appointment_type=kind,
                start=start,
                end=start + dt.timedelta(days=90),
                limit=10,
            )
            elapsed = (time.perf_counter() - t0) * 1000
            used = (time.process_time() - c0) * 1000
        if n >= warmup:
            timings.append(elapsed)
            cpu.append(used)
            queries.append(len(seen.captured_queries))
            found.append(len(slots))
    timings.sort()
    cpu.sort()

    def pct(p: float, values: list[float] = timings) -> float:
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]

    return {
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "max": timings[-1],
        "cpu_p50": pct(50, cpu),
        "cpu_p95": pct(95, cpu),
        "mean": statistics.fmean(timings),
        "queries": statistics.fmean(queries),
        "max_queries": max(queries),
        "short": sum(1 for f in found if f < 10),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help=f"default $DATABASE_URL or {DEFAULT_URL}")
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the database")
    parser.add_argument(
        "--existing",
        action="store_true",
        help="measure the practice already in the database, read-only (e.g. the one "
        "benchmarks/seed_large.py builds with medoffice seed's generator)",
    )
    parser.add_argument("--history-days", type=int, default=HISTORY_DAYS)
    parser.add_argument("--patients", type=int, default=PATIENTS)
    args = parser.parse_args(argv)
    url = args.database_url or os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        print("next_slot.py measures PostgreSQL: give a postgres:// URL", file=sys.stderr)
        return 2
    configure(url, fresh=args.fresh and not args.existing, migrate=not args.existing)
    rng = random.Random(args.seed)
    if not args.existing:
        built = built_on()
        if built is not None and built != dt.datetime.now(zoneinfo.ZoneInfo(ZONES[0])).date():
            configure(url, fresh=True)
            built = None
        if built is None:
            t0 = time.perf_counter()
            parts = build(rng, history_days=args.history_days, patients=args.patients)
            filled = fill(rng, parts, history_days=args.history_days)
            from django.db import connection

            with connection.cursor() as cur:
                cur.execute("ANALYZE")
            print(
                f"built: {filled['appointments']:,} appointments, next {FUTURE_DAYS} days "
                f"{filled['future_share']:.0%} booked (first week {filled['week_share']:.0%}), "
                f"in {time.perf_counter() - t0:.0f} s"
            )
    from medoffice.scheduling.models import Appointment, Provider

    print(f"machine: {booking_common.machine_facts()}")
    print(
        f"data: {Provider.objects.filter(active=True).count()} providers, "
        f"{Appointment.objects.count():,} appointments"
    )
    load_before = f"{os.getloadavg()[0]:.1f}"
    result = measure(rng, calls=args.calls, warmup=args.warmup)
    print(
        f"open_slots, any provider, any location, first 10 in 90 days, {args.calls} calls: "
        f"p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, p99 {result['p99']:.1f} ms, "
        f"max {result['max']:.1f} ms, mean {result['mean']:.1f} ms; "
        f"{result['queries']:.1f} queries per call (max {result['max_queries']}); "
        f"{result['short']} calls found fewer than 10"
    )
    print(
        f"CPU time of this process per call: p50 {result['cpu_p50']:.1f} ms, "
        f"p95 {result['cpu_p95']:.1f} ms; load average before/after: {load_before} / "
        f"{os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
