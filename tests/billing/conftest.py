"""A small office to bill in: payers (commercial, Medicare, self-pay), a provider, a patient
with coverage, a checked-out visit, and the starter service list.

Fixtures of the patients and scheduling tests are reused by importing them here.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from medoffice.billing.models import Service
from medoffice.scheduling.models import Appointment, AppointmentType
from tests.billing.sent_claims import claim  # noqa: F401 - fixture
from tests.patients.conftest import (  # noqa: F401 - fixtures
    commercial_payer,
    make_coverage,
    make_patient,
    medicare,
    self_pay,
)
from tests.scheduling.conftest import (  # noqa: F401 - fixtures
    CHICAGO,
    make_provider,
    provider,
    valid_npi,
)

VISIT_DAY = dt.date(2026, 3, 9)
_slot = itertools.count()


@pytest.fixture
def services(db) -> dict[str, Service]:
    from medoffice.billing.services.fee_import import load_starter_services

    load_starter_services()
    return {s.label: s for s in Service.objects.all()}


@pytest.fixture
def visit_type(db) -> AppointmentType:
    return AppointmentType.objects.create(name="Follow-up", code="FU", duration_minutes=20)


@pytest.fixture
def make_visit(db, location, provider, visit_type, make_patient):  # noqa: F811
    """make_visit(patient=..., day=...) -> a checked-out appointment (9:00 Chicago)."""

    def make(*, patient=None, day: dt.date = VISIT_DAY, status=Appointment.CHECKED_OUT, **fields):
        minutes = 20 * (next(_slot) % 30)  # each visit its own 20 minutes, 7:00-16:40
        start = dt.datetime.combine(day, dt.time(7, 0), tzinfo=CHICAGO) + dt.timedelta(
            minutes=minutes
        )
        values = {
            "patient": patient or make_patient(),
            "provider": provider,
            "location": location,
            "appointment_type": visit_type,
            "start": start,
            "end": start + dt.timedelta(minutes=20),
            "status": status,
        }
        if status == Appointment.CHECKED_OUT:
            values["checked_out_at"] = start + dt.timedelta(minutes=40)
        values.update(fields)
        return Appointment.objects.create(**values)

    return make


@pytest.fixture
def biller(make_user):
    return make_user("biller")


@pytest.fixture
def charged(make_visit, make_coverage, make_patient, services, biller):  # noqa: F811
    """A visit with charges (99213 + 87880) for a patient with primary coverage (from 2024)."""
    from medoffice.billing.services.charges import LineInput, enter_charges

    patient = make_patient()
    make_coverage(patient=patient)
    visit = make_visit(patient=patient)
    return enter_charges(
        actor=biller,
        appointment=visit,
        diagnoses=["J06.9"],
        lines=[LineInput(code="99213", pointers="1"), LineInput(code="87880", pointers="1")],
    )
