"""Real races: many clients, each with its own database connection, book the same slots at once.

Exactly one booking wins each slot, every loser is told ``slot_taken``, and a
plain SQL self-join finds no overlap afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection

from medoffice.core.errors import DomainError
from medoffice.scheduling.models import Appointment
from medoffice.scheduling.services import book_appointment
from tests.scheduling.conftest import at

ROOT = Path(__file__).resolve().parents[2]
OVERLAPS = """
SELECT COUNT(*) FROM scheduling_appointment a
JOIN scheduling_appointment b
  ON a.id < b.id AND a."start" < b."end" AND b."start" < a."end"
 AND (a.provider_id = b.provider_id OR a.room_id = b.room_id)
WHERE a.status NOT IN ('cancelled', 'no_show') AND b.status NOT IN ('cancelled', 'no_show')
"""


@pytest.mark.django_db(transaction=True)
def test_twenty_clients_race_for_five_slots(office, make_patient_record, clinic_day):
    if connection.vendor != "postgresql":
        pytest.skip(
            "the SQLite test database lives in memory, shared between threads through "
            "table locks rather than real transactions; the SQLite race runs on a file "
            "database in test_the_race_on_a_sqlite_file"
        )
    clients, slots = 20, 5
    patients = [make_patient_record(last_name=f"Racer{i:02d}") for i in range(clients)]
    starts = [at(clinic_day, "9:00") + dt.timedelta(minutes=20 * i) for i in range(slots)]
    barrier = threading.Barrier(clients)
    outcomes: list[str] = [""] * clients

    def client(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            book_appointment(
                actor=None,
                patient=patients[i],
                provider=office["provider"],
                location=office["location"],
                appointment_type=office["types"]["follow_up"],
                start=starts[i % slots],
            )
            outcomes[i] = "booked"
        except DomainError as exc:
            outcomes[i] = exc.code
        except Exception as exc:  # noqa: BLE001 - the assertion below shows it
            outcomes[i] = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(set(outcomes)) == ["booked", "slot_taken"], outcomes
    assert outcomes.count("booked") == slots
    assert outcomes.count("slot_taken") == clients - slots
    assert Appointment.objects.count() == slots
    assert sorted(a.start for a in Appointment.objects.all()) == starts
    with connection.cursor() as cur:
        cur.execute(OVERLAPS)
        assert cur.fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_providers_booking_one_hour_share_the_rooms_out(
    office, make_provider, make_template, make_patient_record, clinic_day
):
    """Eight providers book the same time at once with four exam rooms: four get a room each,
    the others hear that no exam room is free; nobody fails otherwise."""
    if connection.vendor != "postgresql":
        pytest.skip("room locks exist on PostgreSQL only; SQLite books one at a time")
    from medoffice.scheduling.models import Room

    location = office["location"]
    for n in (3, 4):
        Room.objects.create(location=location, name=f"Exam {n}", kind=Room.EXAM)
    providers = [office["provider"]]
    for i in range(7):
        colleague = make_provider(first_name=f"Doc{i}", last_name=f"Racer{i}")
        make_template(colleague, location, clinic_day.weekday(), "08:00", "12:00")
        providers.append(colleague)
    patients = [make_patient_record(last_name=f"Roomer{i}") for i in range(len(providers))]
    barrier = threading.Barrier(len(providers))
    outcomes: list[str] = [""] * len(providers)

    def client(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            book_appointment(
                actor=None,
                patient=patients[i],
                provider=providers[i],
                location=location,
                appointment_type=office["types"]["follow_up"],
                start=at(clinic_day, "9:00"),
            )
            outcomes[i] = "booked"
        except DomainError as exc:
            outcomes[i] = exc.code
        except Exception as exc:  # noqa: BLE001 - the assertion below shows it
            outcomes[i] = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(providers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(set(outcomes)) == ["booked", "slot_taken"], outcomes
    assert outcomes.count("booked") == 4
    rooms = sorted(Appointment.objects.values_list("room__name", flat=True))
    assert rooms == ["Exam 1", "Exam 2", "Exam 3", "Exam 4"]
    with connection.cursor() as cur:
        cur.execute(OVERLAPS)
        assert cur.fetchone()[0] == 0


def test_the_race_on_a_sqlite_file(tmp_path):
    """The benchmark's race, small, on its own SQLite file (IMMEDIATE transactions queue)."""
    env = {
        **os.environ,
        "MEDOFFICE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
    }
    got = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "booking_race.py"),
            "--clients",
            "20",
            "--slots",
            "5",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )

    assert got.returncode == 0, got.stdout + got.stderr
    assert "bookings made: 5 (expected 5)" in got.stdout
    assert "overlaps found by SQL self-join: 0" in got.stdout
    assert "losers told slot_taken: 15 (expected 15)" in got.stdout
    assert "other errors: 0" in got.stdout
