"""How fast the day view of one location renders: a full day of about ten providers, N renders.

Usage:
    python benchmarks/day_view.py [--database-url URL] [--location NAME] [--date YYYY-MM-DD]
        [--renders 300] [--conn-max-age SECONDS]
    python benchmarks/day_view.py --own-day [--providers 10] [--per-provider 20]

By default it reads the shared benchmark practice (``benchmarks/seed_large.py``:
50 providers at 5 offices, 200,000 patients, two years of history and the
next 60 days; database from --database-url, else $DATABASE_URL, else
postgres://127.0.0.1:5432/mo_bench_schedule) and shows today at the location
with the most visits today (or --location / --date). It adds only a
front-desk user to sign in with, and the access-log rows the views write.

``--own-day`` instead sets up (once; reused on later runs) a location of its
own in postgres://127.0.0.1:5432/mo_bench_dayview: ``--providers`` providers
with weekday blocks 8:00–12:00 and 13:00–17:00, twelve exam rooms, four
visit types, and a full day a week ahead booked through ``book_appointment``
(about ``--per-provider`` visits each, the morning already through the flow,
a few cancellations and no-shows).

Each page is rendered through Django's test client, signed in, exactly as a
browser asks for it (session, middleware, permissions, the access-log row the
view writes, templates); it prints wall-clock p50/p95/p99 per render and the
CPU this process spent (the Django side, without PostgreSQL's own work). The
room view and the flow board of the same day are timed the same way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchdb  # noqa: E402

SHARED_URL = "postgres://127.0.0.1:5432/mo_bench_schedule"
OWN_URL = "postgres://127.0.0.1:5432/mo_bench_dayview"
DEFAULT_URL = OWN_URL  # kept for scripts that import this module
LOCATION = "Bench Day View"
USER = "bench-dayview"


def configure(url: str) -> None:
    benchdb.setup_django(url, data_dir="mo-bench-schedule")


def build_day(*, providers: int, per_provider: int, day: dt.date):
    """The location, its front-desk user and the day's visits (booked once, then reused)."""
    from django.db import transaction

    from medoffice.core.models import User
    from medoffice.core.roles import role_group
    from medoffice.patients.models import Patient, mrn_from_sequence
    from medoffice.scheduling.models import (
        Appointment,
        AppointmentType,
        AvailabilityTemplate,
        Provider,
        Room,
    )
    from medoffice.scheduling.selectors import local_to_utc
    from medoffice.scheduling.services import (
        book_appointment,
        cancel_appointment,
        record_flow_step,
    )

    location = benchdb.bench_location(
        practice="Benchmark Family Practice",
        location=LOCATION,
        address1="2 Bench St",
        phone="2175550198",
    )
    user, created = User.objects.get_or_create(
        username="bench-frontdesk", defaults={"first_name": "Maria", "home_location": location}
    )
    if created:
        user.groups.add(role_group("front_desk"))
    for n in range(1, 13):
        Room.objects.get_or_create(location=location, name=f"Exam {n:02d}")
    kinds = [
        AppointmentType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "duration_minutes": minutes,
                "room_kind": room_kind,
                "colour": colour,
            },
        )[0]
        for code, name, minutes, room_kind, colour in [
            ("BFU", "Bench follow-up", 20, Room.EXAM, "#2a6f97"),
            ("BNP", "Bench new patient", 40, Room.EXAM, "#7b4fa0"),
            ("BPE", "Bench physical", 30, Room.EXAM, "#2e7d4f"),
            ("BPH", "Bench phone call", 15, "", "#b5651d"),
        ]
    ]
    doctors = []
    for n in range(providers):
        doctor, made = Provider.objects.get_or_create(
            npi=benchdb.valid_npi(n + 1),
            defaults={
                "first_name": "Bench",
                "last_name": f"Doctor{n + 1:02d}",
                "credentials": "MD",
            },
        )
        if made:
            doctor.locations.add(location)
            AvailabilityTemplate.objects.bulk_create(
                AvailabilityTemplate(
                    provider=doctor,
                    location=location,
                    weekday=w,
                    start_time=start,
                    end_time=end,
                    effective_from=dt.date(2020, 1, 1),
                )
                for w in range(7)
                for start, end in ((dt.time(8), dt.time(12)), (dt.time(13), dt.time(17)))
            )
        doctors.append(doctor)

    have = Patient.objects.filter(last_name__startswith="Dayview").count()
    want = providers * per_provider
    Patient.objects.bulk_create(
        Patient(
            mrn=mrn_from_sequence(8_500_000 + n),
            first_name=f"Pat{n}",
            last_name=f"Dayview{n:04d}",
            date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=37 * n),
            sex_at_birth="U",
            address1="1 Bench St",
            city="Springfield",
            state="IL",
            zip="62701",
            phone_mobile=f"217555{n:04d}",
        )
        for n in range(have, want)
    )
    patients = list(Patient.objects.filter(last_name__startswith="Dayview").order_by("pk"))
    start, end = (
        local_to_utc(location, day, dt.time(0)),
        local_to_utc(location, day + dt.timedelta(days=1), dt.time(0)),
    )
    booked = Appointment.objects.filter(location=location, start__gte=start, start__lt=end)
    if booked.count() >= want * 0.9:
        return location, user, booked.count()

    pattern = [0, 3, 0, 2, 0, 1, 3, 0, 2, 0, 3, 1]  # mostly follow-ups, some of each other kind
    n = 0
    with transaction.atomic():
        for d, doctor in enumerate(doctors):
            for block_start, block_end in ((8 * 60, 12 * 60), (13 * 60, 17 * 60)):
                minute = block_start + 5 * (d % 3)
                count = 0
                while count < per_provider // 2:
                    kind = kinds[pattern[(n + d) % len(pattern)]]
                    if minute + kind.duration_minutes > block_end:
                        break
                    when = local_to_utc(location, day, dt.time(minute // 60, minute % 60))
                    appt = book_appointment(
                        actor=user,
                        patient=patients[n % len(patients)],
                        provider=doctor,
                        location=location,
                        appointment_type=kind,
                        start=when,
                        notes="needs an interpreter" if n % 17 == 0 else "",
                    )
                    _flow(appt, n, when, user, record_flow_step, cancel_appointment)
                    minute += kind.duration_minutes + (5 if n % 4 == 0 else 0)
                    n += 1
                    count += 1
    return location, user, booked.count()


def shared_day(*, location_name: str | None, day: dt.date | None):
    """The seeded practice's location and day to show, and a front-desk user there."""
    from django.db.models import Count

    from medoffice.core.models import Location, User
    from medoffice.core.roles import role_group
    from medoffice.scheduling.models import Appointment
    from medoffice.scheduling.selectors import location_day_bounds, location_today

    locations = list(Location.objects.filter(active=True))
    if not locations:
        raise SystemExit(
            "day_view.py: no practice in this database; run benchmarks/seed_large.py first "
            "(or pass --own-day)"
        )
    if location_name:
        chosen = [loc for loc in locations if loc.name == location_name]
        if not chosen:
            raise SystemExit(f"day_view.py: no location named {location_name!r}")
        location = chosen[0]
    else:
        counts = {}
        for loc in locations:
            start, end = location_day_bounds(loc, location_today(loc))
            counts[loc] = Appointment.objects.filter(
                location=loc, start__gte=start, start__lt=end
            ).aggregate(n=Count("pk"))["n"]
        location = max(locations, key=lambda loc: counts[loc])
    day = day or location_today(location)
    user, created = User.objects.get_or_create(
        username=USER, defaults={"first_name": "Bench", "home_location": location}
    )
    if created:
        user.groups.add(role_group("front_desk"))
    start, end = location_day_bounds(location, day)
    visits = Appointment.objects.filter(location=location, start__gte=start, start__lt=end)
    return location, user, day, visits.count(), visits.values("provider").distinct().count()


def _flow(appt, n: int, when: dt.datetime, user, record_flow_step, cancel_appointment) -> None:
    """The morning has happened: most visits went through, a few were cancelled or missed."""
    local = when.astimezone(appt.location.zone)
    if n % 23 == 0:
        cancel_appointment(actor=user, appointment=appt, reason="patient called")
        return
    if local.hour >= 11:
        return  # still to come
    if n % 19 == 0:
        record_flow_step(actor=user, appointment=appt, step="no_show", at=when)
        return
    steps = ["arrived", "roomed", "with_provider", "checked_out"]
    if local.hour == 10 and local.minute >= 30:
        steps = steps[: 1 + n % 3]  # still in the office
    at = when - dt.timedelta(minutes=3)
    for i, step in enumerate(steps):
        record_flow_step(actor=user, appointment=appt, step=step, at=at)
        at += dt.timedelta(minutes=(6, 9, 14, 4)[i] + n % 5)


def time_renders(client, url: str, renders: int) -> tuple[list[float], list[float], int]:
    """Wall-clock and CPU milliseconds of each render (CPU of this process: the Django side,
    without PostgreSQL's own work), and the page's size."""
    for _ in range(10):  # warm up: templates compiled, connections open
        assert client.get(url).status_code == 200
    times, cpu = [], []
    size = 0
    for _ in range(renders):
        c0, t0 = time.process_time(), time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200, response.status_code
        size = len(response.content)
    return times, cpu, size


class QueryCounter(list):
    """An execute wrapper that notes each statement (CaptureQueriesContext loses them when the
    request closes its connection)."""

    def __call__(self, execute, sql, params, many, context):
        self.append(sql)
        return execute(sql, params, many, context)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--location", default=None, help="a location's name (shared practice)")
    parser.add_argument("--date", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--renders", type=int, default=300)
    parser.add_argument("--own-day", action="store_true", help="build a small day of its own")
    parser.add_argument("--providers", type=int, default=10, help="with --own-day")
    parser.add_argument("--per-provider", type=int, default=20, help="with --own-day")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="keep database connections this many seconds (default: the settings', i.e. "
        "a new connection per request)",
    )
    args = parser.parse_args()

    url = args.database_url or os.environ.get("DATABASE_URL")
    url = url or (OWN_URL if args.own_day else SHARED_URL)
    configure(url)
    from django.db import connection

    if args.conn_max_age is not None:
        connection.close()
        connection.settings_dict["CONN_MAX_AGE"] = args.conn_max_age
    from django.test import Client

    t0 = time.perf_counter()
    if args.own_day:
        day = args.date or dt.datetime.now(dt.UTC).date() + dt.timedelta(days=7)
        location, user, visits = build_day(
            providers=args.providers, per_provider=args.per_provider, day=day
        )
        providers = args.providers
    else:
        location, user, day, visits, providers = shared_day(
            location_name=args.location, day=args.date
        )
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform(terse=True)}"
    )
    print(
        f"day: {day} at {location.name}: {visits} appointments of {providers} providers "
        f"(set-up {time.perf_counter() - t0:.1f} s)"
    )
    client = Client()
    client.force_login(user)
    pages = [
        ("day view (providers)", f"/schedule/?location={location.pk}&date={day}"),
        ("day view (rooms)", f"/schedule/?location={location.pk}&date={day}&by=room"),
        ("flow board", f"/flow-board/?location={location.pk}&date={day}"),
    ]
    reuse = connection.settings_dict.get("CONN_MAX_AGE") or 0
    print(
        f"{args.renders} renders each, signed in as a front-desk user (Django test client); "
        + (f"connections kept {reuse} s" if reuse else "a new database connection per request")
    )
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"{'page':22} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'mean':>6} "
        f"{'CPU p50':>7} queries  KiB"
    )
    for name, page_url in pages:
        executed = QueryCounter()
        with connection.execute_wrapper(executed):
            client.get(page_url)
        times, cpu, size = time_renders(client, page_url, args.renders)
        print(
            f"{name:22} {statistics.median(times):7.1f} {percentile(times, 0.95):7.1f} "
            f"{percentile(times, 0.99):7.1f} {statistics.fmean(times):6.1f} "
            f"{statistics.median(cpu):7.1f} {len(executed):7d} {size / 1024:5.0f}"
        )
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
