"""Shared set-up of the booking benchmarks: a dedicated database, a small office, the checks.

Not a benchmark itself. ``booking_race.py`` and ``booking_throughput.py`` call
:func:`configure` first (it creates the database if missing, points Django at
it and migrates it), then :func:`build_office` for providers, rooms, a visit
type, 7-day templates and patients, and :func:`overlaps` to count double
bookings with a plain SQL self-join that trusts nothing in the application.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchdb  # noqa: E402

DEFAULT_URL = "postgres://127.0.0.1:5432/mo_bench_booking"
ZONE = zoneinfo.ZoneInfo("America/Chicago")


def database_url(cli_value: str | None) -> str:
    """--database-url, else $DATABASE_URL, else localhost PostgreSQL, database mo_bench_booking."""
    return cli_value or os.environ.get("DATABASE_URL") or DEFAULT_URL


def configure(url: str) -> None:
    """Create the database if needed, set Django up on it, and migrate it."""
    benchdb.setup_django(url, data_dir="mo-bench-booking")


@dataclass
class Office:
    location: object
    providers: list
    appointment_type: object
    patients: list
    first_day: dt.date


def build_office(*, providers: int, rooms: int, room_kind: str, patients: int) -> Office:
    """A benchmark office (created once, reused): every appointment is removed first."""
    from django.db import connection, transaction

    from medoffice.patients.models import Patient, mrn_from_sequence
    from medoffice.scheduling.models import (
        AppointmentType,
        AvailabilityTemplate,
        Provider,
        Room,
    )

    with transaction.atomic():
        clear_appointments()
        location = benchdb.bench_location(
            practice="Benchmark Family Practice", location="Bench Main"
        )
        for i in range(rooms):
            Room.objects.get_or_create(
                location=location, name=f"Exam {i + 1:02d}", defaults={"kind": Room.EXAM}
            )
        kind, _ = AppointmentType.objects.update_or_create(
            code="BENCH",
            defaults={"name": "Bench visit", "duration_minutes": 15, "room_kind": room_kind},
        )
        people = []
        for i in range(providers):
            provider, created = Provider.objects.get_or_create(
                npi=benchdb.valid_npi(i + 1, prefix="2"),
                defaults={
                    "first_name": "Bench",
                    "last_name": f"Doc{i + 1:02d}",
                    "credentials": "MD",
                },
            )
            if created:
                provider.locations.add(location)
                AvailabilityTemplate.objects.bulk_create(
                    AvailabilityTemplate(
                        provider=provider,
                        location=location,
                        weekday=d,
                        start_time=dt.time(6, 0),
                        end_time=dt.time(22, 0),
                        effective_from=dt.date(2020, 1, 1),
                    )
                    for d in range(7)
                )
            people.append(provider)
        have = Patient.objects.filter(last_name__startswith="Benchpatient").count()
        Patient.objects.bulk_create(
            Patient(
                mrn=mrn_from_sequence(8_000_000 + n),
                first_name=f"P{n}",
                last_name=f"Benchpatient{n:05d}",
                date_of_birth=dt.date(1970, 1, 1) + dt.timedelta(days=n),
                sex_at_birth="U",
                address1="1 Bench St",
                city="Springfield",
                state="IL",
                zip="62701",
            )
            for n in range(have, patients)
        )
    pool = list(Patient.objects.filter(last_name__startswith="Benchpatient").order_by("pk"))
    today = dt.datetime.now(ZONE).date()
    connection.close()
    return Office(
        location=location,
        providers=people,
        appointment_type=kind,
        patients=pool[:patients],
        first_day=today + dt.timedelta(days=7),
    )


def clear_appointments() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "TRUNCATE scheduling_appointmentevent, scheduling_waitlistentry_providers, "
                "scheduling_waitlistentry, scheduling_appointment, scheduling_appointmentseries "
                # and whatever other apps keep about the visits (charges, messages): this is
                # the benchmark's own database
                "CASCADE"
            )
        else:
            for table in (
                "scheduling_appointmentevent",
                "scheduling_waitlistentry_providers",
                "scheduling_waitlistentry",
                "scheduling_appointment",
                "scheduling_appointmentseries",
            ):
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names


OVERLAP_SQL = """
SELECT COUNT(*) FROM scheduling_appointment a
JOIN scheduling_appointment b
  ON a.id < b.id
 AND a."start" < b."end" AND b."start" < a."end"
 AND (a.provider_id = b.provider_id OR a.room_id = b.room_id)
WHERE a.status NOT IN ('cancelled', 'no_show') AND b.status NOT IN ('cancelled', 'no_show')
"""


def overlaps() -> int:
    """Pairs of occupying appointments sharing a provider or a room at overlapping times."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(OVERLAP_SQL)
        return cur.fetchone()[0]


def booked_count() -> int:
    from medoffice.scheduling.models import Appointment

    return Appointment.objects.count()


def machine_facts() -> str:
    return benchdb.machine_facts()
