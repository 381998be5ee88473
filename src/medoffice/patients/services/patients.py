"""Registering a patient and changing their record."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from medoffice.core.audit import CREATE, UPDATE, record_access
from medoffice.core.errors import DomainError
from medoffice.patients import errors
from medoffice.patients.models import Patient, mrn_from_sequence

# Every field the office fills in, in the order the form shows them.
PATIENT_FIELDS: tuple[str, ...] = (
    "first_name",
    "middle_name",
    "last_name",
    "name_suffix",
    "preferred_name",
    "date_of_birth",
    "sex_at_birth",
    "gender_identity",
    "address1",
    "address2",
    "city",
    "state",
    "zip",
    "home_location",
    "phone_home",
    "phone_mobile",
    "email",
    "preferred_contact",
    "contact_hours_start",
    "contact_hours_end",
    "consent_sms",
    "consent_sms_on",
    "consent_email",
    "consent_email_on",
    "consent_voice",
    "consent_voice_on",
    "guarantor_relationship",
    "guarantor_first_name",
    "guarantor_last_name",
    "guarantor_date_of_birth",
    "guarantor_address1",
    "guarantor_city",
    "guarantor_state",
    "guarantor_zip",
    "guarantor_phone",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "active",
)
PHONE_FIELDS = ("phone_home", "phone_mobile", "guarantor_phone", "emergency_contact_phone")
_PHONE_FORMATTING = re.compile(r"[\s().\-]")
_PHONE_SHAPE = re.compile(r"^\+?1?\d{10}$")
MRN_ATTEMPTS = 5


def normalize_phone(raw: str | None) -> str:
    """A phone typed any way ("(706) 555-0142", "+1 706.555.0142") as its 10 digits.

    Anything that is not a 10-digit number comes back as typed (trimmed), for
    the field's validator to say what is wrong with it.
    """
    text = (raw or "").strip()
    stripped = _PHONE_FORMATTING.sub("", text)
    if _PHONE_SHAPE.match(stripped):
        return stripped[-10:]
    return text


def _tidy(values: dict) -> dict:
    """What was typed, in the shape it is stored: trimmed, phones as digits, states in capitals."""
    tidy = {}
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip()
            if name in PHONE_FIELDS:
                value = normalize_phone(value)
            elif name in ("state", "guarantor_state"):
                value = value.upper()
            elif name in ("zip", "guarantor_zip"):
                value = value.replace("-", "").replace(" ", "")
        elif value is None and name in PATIENT_FIELDS:
            field = Patient._meta.get_field(name)
            if field.get_internal_type() in ("CharField", "EmailField"):
                value = ""  # "nothing" for a text field is the empty string
        tidy[name] = value
    return tidy


def _check_names(values: dict) -> None:
    unknown = sorted(set(values) - set(PATIENT_FIELDS))
    if unknown:
        raise errors.invalid(f"{unknown[0]} is not a patient field.", unknown[0])


def _validate(patient: Patient) -> None:
    """Every rule of the record, all problems at once, in the form's order."""
    problems: dict[str | None, list[str]] = {}
    try:
        patient.full_clean(exclude=["mrn"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        problems.update(errors.from_validation_error(exc, model=Patient).errors)
    start, end = patient.contact_hours_start, patient.contact_hours_end
    if start and end and end <= start and "contact_hours_end" not in problems:
        problems["contact_hours_end"] = ["Contact hours must end after they start."]
    if problems:
        rank = {name: i for i, name in enumerate(PATIENT_FIELDS)}
        ordered = dict(sorted(problems.items(), key=lambda kv: rank.get(kv[0], len(rank))))
        raise errors.FieldErrors(ordered)


def next_mrn() -> str:
    """The MRN after the highest one on file (MRNs are 8 digits, so text order is number order)."""
    last = Patient.objects.order_by("-mrn").values_list("mrn", flat=True).first()
    number = int(last[:-1]) - 1_000_000 + 1 if last else 1
    return mrn_from_sequence(number)


def _insert_with_new_mrn(patient: Patient) -> None:
    """Save a new patient under the next free MRN (another desk may take one at the same time)."""
    for _ in range(MRN_ATTEMPTS):
        patient.mrn = next_mrn()
        try:
            with transaction.atomic():
                patient.save(force_insert=True)
            return
        except IntegrityError:
            if not Patient.objects.filter(mrn=patient.mrn).exists():
                raise
            patient.pk = None
    raise DomainError(
        "mrn_busy", "Many patients are being registered at once; save again.", status=409
    )


@transaction.atomic
def register_patient(*, actor, ip_address: str = "", **fields) -> Patient:
    """Add a new patient with the next MRN; every rule is checked first, all at once."""
    _check_names(fields)
    patient = Patient(**_tidy(fields))
    _validate(patient)
    _insert_with_new_mrn(patient)
    record_access(
        user=actor,
        action=CREATE,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        ip_address=ip_address,
    )
    return patient


def locked_patient(patient_id: int) -> Patient:
    """The patient's row, locked until the transaction ends; a merged record cannot change."""
    try:
        patient = Patient.objects.select_for_update().get(pk=patient_id)
    except Patient.DoesNotExist:
        raise errors.not_found("patient", patient_id) from None
    if patient.merged_into_id is not None:
        raise DomainError(
            errors.ALREADY_MERGED,
            "This record was merged into another one; make changes on the record that was kept.",
            status=409,
        )
    return patient


@transaction.atomic
def update_patient(*, actor, patient: Patient, ip_address: str = "", **changes) -> Patient:
    """Change a patient's record; the access log names the fields that changed."""
    _check_names(changes)
    patient = locked_patient(patient.pk)
    changed = []
    for name, value in _tidy(changes).items():
        if getattr(patient, name) != value:
            changed.append(name)
        setattr(patient, name, value)
    _validate(patient)
    if changed:
        patient.save()
        record_access(
            user=actor,
            action=UPDATE,
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
            ip_address=ip_address,
            detail=("changed: " + ", ".join(changed))[:200],
        )
    return patient
