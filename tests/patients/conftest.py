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
    from medoffice.patients.services.patients import next_mrn

    def make(**fields) -> Patient:
        fields.setdefault("mrn", next_mrn())  # never one the registration service hands out
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


# What a browser sends when the front desk fills in the registration form.
FORM_DATA = {
    "first_name": "Ana",
    "last_name": "Reyes",
    "date_of_birth": "1985-04-09",
    "sex_at_birth": "F",
    "address1": "7 Elm St",
    "city": "Columbus",
    "state": "ga",
    "zip": "31901",
    "phone_mobile": "(706) 555-0150",
    "preferred_contact": "sms",
    "contact_hours_start": "09:00",
    "contact_hours_end": "18:00",
    "consent_sms": "on",
    "consent_sms_on": "2025-01-02",
    "guarantor_relationship": "self",
}

# The first bytes of each kind of file the office may upload.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private-files"
    return settings.MEDIA_ROOT


@pytest.fixture
def make_document(db, media_root, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from medoffice.patients.services.documents import upload_document

    def make(patient, *, kind="insurance_card_front", content=JPEG, name="card.jpg"):
        return upload_document(
            actor=make_user("front_desk"),
            patient=patient,
            kind=kind,
            upload=SimpleUploadedFile(name, content),
        )

    return make
