"""Builders for patients, payers and coverages (valid by default; tests change one thing)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from medoffice.patients.models import Coverage, Patient, Payer, mrn_from_sequence

_mrn = itertools.count(1)


@pytest.fixture
def commercial_payer(db) -> Payer:
    return Payer.objects.create(
        name="Peachtree Health Plan", kind=Payer.COMMERCIAL, payer_id="PCHTR", timely_filing_days=90
    )


@pytest.fixture
def medicare(db) -> Payer:
    return Payer.objects.create(
        name="Medicare Part B", kind=Payer.MEDICARE, payer_id="MCRJJ", timely_filing_days=365
    )


@pytest.fixture
def self_pay(db) -> Payer:
    return Payer.objects.create(name="Self-pay", kind=Payer.SELF_PAY)


def build_patient(**fields) -> Patient:
    """An unsaved adult patient who prefers text messages and agreed to them."""
    values = {
        "mrn": mrn_from_sequence(next(_mrn)),
        "first_name": "Maria",
        "last_name": "Lopez",
        "date_of_birth": dt.date(1980, 5, 17),
        "sex_at_birth": "F",
        "address1": "12 Oak St",
        "city": "Columbus",
        "state": "GA",
        "zip": "31901",
        "phone_mobile": "7065550142",
        "preferred_contact": Patient.SMS,
        "consent_sms": True,
        "consent_sms_on": dt.date(2025, 1, 2),
    }
    values.update(fields)
    return Patient(**values)


@pytest.fixture
def make_patient(db):
    def make(**fields) -> Patient:
        patient = build_patient(**fields)
        patient.save()
        return patient

    return make


@pytest.fixture
def make_coverage(db, commercial_payer, make_patient):
    def make(*, member_id: str = "PHP123456789", **fields) -> Coverage:
        fields.setdefault("payer", commercial_payer)
        fields.setdefault("effective_date", dt.date(2024, 1, 1))
        if "patient" not in fields:
            fields["patient"] = make_patient()
        coverage = Coverage(**fields)
        coverage.set_member_id(member_id)
        coverage.save()
        return coverage

    return make
