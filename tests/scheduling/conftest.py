"""A small office to book in: Dr. Patel at Main (Chicago), two exam rooms, a procedure room,
the usual visit types, weekday blocks 8:00–12:00 and 13:00–17:00, and a few patients.

Days are real future dates (``clinic_day`` is a Monday about five weeks ahead), so
"not in the past" checks hold whenever the suite runs; times are written as
Chicago wall-clock times with ``at(day, "9:30")``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest

from medoffice.edi.values import npi_check_digit
from medoffice.patients.models import Patient, mrn_from_sequence
from medoffice.scheduling.models import (
    AppointmentType,
    AvailabilityTemplate,
    Provider,
    Room,
)
from medoffice.scheduling.services import book_appointment

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
_mrn = itertools.count(500_001)
_npi = itertools.count(1)


def valid_npi(seed: int) -> str:
    """A 10-digit NPI with a correct Luhn check digit (prefix 80840), from a sequence number."""
    body = f"1{seed:08d}"
    return body + str(npi_check_digit(body))


def at(day: dt.date, hhmm: str, zone: zoneinfo.ZoneInfo = CHICAGO) -> dt.datetime:
    """``day`` at wall-clock ``hhmm`` in ``zone`` (Chicago by default), timezone-aware."""
    hour, minute = (int(p) for p in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def next_weekday(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def clinic_day() -> dt.date:
    """A Monday five to six weeks from today (Chicago)."""
    today = dt.datetime.now(CHICAGO).date()
    return next_weekday(today + dt.timedelta(days=35), 0)


@pytest.fixture
def today_chicago() -> dt.date:
    return dt.datetime.now(CHICAGO).date()


@pytest.fixture
def make_provider(db, location):
    def make(**fields) -> Provider:
        n = next(_npi)
        values = {
            "first_name": "Priya",
            "last_name": "Patel",
            "credentials": "MD",
            "npi": valid_npi(n),
        }
        values.update(fields)
        where = values.pop("locations", [location])
        provider = Provider.objects.create(**values)
        provider.locations.set(where)
        return provider

    return make


@pytest.fixture
def provider(make_provider) -> Provider:
    return make_provider()


@pytest.fixture
def rooms(location) -> dict[str, Room]:
    return {
        "exam1": Room.objects.create(location=location, name="Exam 1", kind=Room.EXAM),
        "exam2": Room.objects.create(location=location, name="Exam 2", kind=Room.EXAM),
        "proc": Room.objects.create(location=location, name="Procedure", kind=Room.PROCEDURE),
    }


@pytest.fixture
def types(db) -> dict[str, AppointmentType]:
    def make(name, code, minutes, **fields):
        return AppointmentType.objects.create(
            name=name, code=code, duration_minutes=minutes, **fields
        )

    return {
        "follow_up": make("Follow-up", "FU", 20, room_kind=Room.EXAM),
        "new": make("New patient", "NP", 40, room_kind=Room.EXAM, patient_status="new"),
        "procedure": make("Minor procedure", "PROC", 30, room_kind=Room.PROCEDURE),
        "video": make("Video visit", "TEL", 20, telehealth=True),
        "phone": make("Phone call", "PH", 15),
    }


@pytest.fixture
def make_template(db):
    def make(provider, location, weekday, start, end, *, allowed=(), **fields):
        template = AvailabilityTemplate.objects.create(
            provider=provider,
            location=location,
            weekday=weekday,
            start_time=dt.time.fromisoformat(start),
            end_time=dt.time.fromisoformat(end),
            effective_from=fields.pop("effective_from", dt.date(2020, 1, 1)),
            **fields,
        )
        if allowed:
            template.appointment_types.set(allowed)
        return template

    return make


@pytest.fixture
def weekday_blocks(provider, location, make_template):
    """Dr. Patel at Main, Monday to Friday, 8:00–12:00 and 13:00–17:00, every type."""
    blocks = []
    for weekday in range(5):
        blocks.append(make_template(provider, location, weekday, "08:00", "12:00"))
        blocks.append(make_template(provider, location, weekday, "13:00", "17:00"))
    return blocks


@pytest.fixture
def make_patient_record(db):
    def make(**fields) -> Patient:
        values = {
            "mrn": mrn_from_sequence(next(_mrn)),
            "first_name": "Maria",
            "last_name": "Lopez",
            "date_of_birth": dt.date(1980, 5, 17),
            "sex_at_birth": "F",
            "address1": "12 Oak St",
            "city": "Springfield",
            "state": "IL",
            "zip": "62701",
        }
        values.update(fields)
        return Patient.objects.create(**values)

    return make


@pytest.fixture
def patient(make_patient_record) -> Patient:
    return make_patient_record()


@pytest.fixture
def other_patient(make_patient_record) -> Patient:
    return make_patient_record(first_name="Min", last_name="Lee")


@pytest.fixture
def front_desk(make_user):
    return make_user("front_desk", username="frontdesk1")


@pytest.fixture
def office(location, provider, rooms, types, weekday_blocks):
    """Everything above at once (most tests want the whole office)."""
    return {"location": location, "provider": provider, "rooms": rooms, "types": types}


def book_visit(office, front_desk, patient, start: dt.datetime, type_key="follow_up", **changes):
    """Book ``patient`` at ``start`` in ``office`` by ``front_desk``: with its provider at its
    location, a ``type_key`` visit (a follow-up), unless ``changes`` say otherwise."""
    values = {
        "actor": front_desk,
        "patient": patient,
        "provider": office["provider"],
        "location": office["location"],
        "appointment_type": office["types"][type_key],
        "start": start,
    }
    values.update(changes)
    return book_appointment(**values)


@pytest.fixture
def book(office, patient, front_desk):
    """book(start, **changes) -> Appointment: Dr. Patel, Main, a follow-up, by the front desk."""

    def make(start: dt.datetime, **changes):
        changes.setdefault("patient", patient)
        return book_visit(office, front_desk, start=start, **changes)

    return make
