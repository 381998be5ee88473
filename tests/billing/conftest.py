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
