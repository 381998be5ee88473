"""Patient, payer and coverage rules an office worker would run into."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from medoffice.core.crypto import identifier_hash
from medoffice.patients.models import (
    Coverage,
    Payer,
    mbi_ok,
    mrn_from_sequence,
    validate_mrn,
)
from tests.patients.conftest import build_patient


def _errors(obj) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    return caught.value.message_dict


def test_mrns_carry_a_check_digit_that_catches_typos():
    mrn = mrn_from_sequence(1)

    assert len(mrn) == 8
    validate_mrn(mrn)
    typo = mrn[:3] + str((int(mrn[3]) + 1) % 10) + mrn[4:]
    with pytest.raises(ValidationError, match="check digit"):
        validate_mrn(typo)
    assert mrn_from_sequence(2) > mrn  # numbered in order


def test_a_valid_patient_passes_every_check(db):
    build_patient().full_clean()


def test_text_messages_need_a_mobile_number_and_consent(db):
    errors = _errors(build_patient(phone_mobile="", consent_sms=False, consent_sms_on=None))

    assert "mobile" in errors["phone_mobile"][0]
    assert "not agreed" in errors["consent_sms"][0]


def test_a_minor_needs_a_guarantor_other_than_themselves(db):
    child = build_patient(date_of_birth=timezone.localdate() - dt.timedelta(days=365 * 8))

    assert "under 18" in _errors(child)["guarantor_relationship"][0]
    child.guarantor_relationship = "parent"
    child.guarantor_first_name = "Rosa"
    child.guarantor_last_name = "Lopez"
    child.full_clean()


def test_a_birth_date_in_the_future_is_refused(db):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    assert "future" in _errors(build_patient(date_of_birth=tomorrow))["date_of_birth"][0]


def test_the_database_refuses_a_consent_without_its_date(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        build_patient(consent_sms_on=None).save()


def test_the_database_refuses_contact_hours_that_end_before_they_start(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        build_patient(contact_hours_start=dt.time(18), contact_hours_end=dt.time(9)).save()


def test_a_commercial_payer_needs_its_edi_id(db):
    payer = Payer(name="Acme Health", kind=Payer.COMMERCIAL)

    assert "EDI payer id" in _errors(payer)["payer_id"][0]


def test_coverage_cannot_end_before_it_starts(make_coverage):
    coverage = make_coverage()
    coverage.end_date = coverage.effective_date - dt.timedelta(days=1)

    assert "before the effective date" in _errors(coverage)["end_date"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        coverage.save()


def test_self_pay_is_not_a_coverage(make_coverage, self_pay):
    coverage = make_coverage()
    coverage.payer = self_pay

    assert "Self-pay" in _errors(coverage)["payer"][0]


def test_medicare_member_ids_must_look_like_an_mbi(make_coverage, medicare):
    assert mbi_ok("1EG4-TE5-MK73")
    coverage = make_coverage(payer=medicare, member_id="1EG4TE5MK73")
    coverage.full_clean()

    coverage.set_member_id("123456789A")
    assert "MBI" in _errors(coverage)["member_id"][0]


def test_a_dependent_coverage_names_its_subscriber(make_coverage):
    coverage = make_coverage()
    coverage.subscriber_relationship = "child"

    errors = _errors(coverage)
    assert set(errors) >= {"subscriber_first_name", "subscriber_date_of_birth"}
    with pytest.raises(IntegrityError), transaction.atomic():
        coverage.save()


def test_a_changed_member_id_keeps_its_search_hash_in_step_on_clean(make_coverage):
    coverage = make_coverage(member_id="PHP123456789")
    coverage.member_id = "PHP000000001"  # as a form would set it
    coverage.full_clean()
    coverage.save()

    assert not Coverage.objects.filter(member_id_hash=identifier_hash("PHP123456789")).exists()
    assert Coverage.objects.get(member_id_hash=identifier_hash("PHP000000001")) == coverage
