"""Registering and editing patients, and their coverages: the rules and what gets logged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from medoffice.core.crypto import identifier_hash
from medoffice.core.errors import DomainError
from medoffice.core.models import AccessLogEntry
from medoffice.patients.errors import FieldErrors
from medoffice.patients.models import Coverage, Payer, validate_mrn
from medoffice.patients.selectors import coverage_for
from medoffice.patients.services.coverages import add_coverage, end_coverage, update_coverage
from medoffice.patients.services.patients import normalize_phone, register_patient, update_patient

pytestmark = pytest.mark.django_db

NEW = {
    "first_name": "Ana",
    "last_name": "Reyes",
    "date_of_birth": dt.date(1985, 4, 9),
    "sex_at_birth": "F",
    "address1": "7 Elm St",
    "city": "Columbus",
    "state": "GA",
    "zip": "31901",
}


@pytest.fixture
def desk(make_user):
    return make_user("front_desk")


def register(actor, **changes):
    return register_patient(actor=actor, ip_address="10.0.0.5", **{**NEW, **changes})


def problem(call) -> FieldErrors:
    with pytest.raises(FieldErrors) as caught:
        call()
    return caught.value


# --- registering ----------------------------------------------------------------------


def test_registering_gives_the_next_mrn_and_logs_the_creation(desk, make_patient):
    make_patient()
    patient = register(desk, phone_mobile="(706) 555-0150", state="ga", zip="31901-1234")

    validate_mrn(patient.mrn)
    assert patient.phone_mobile == "7065550150"
    assert patient.state == "GA" and patient.zip == "319011234"
    assert patient.search_last == "REYES"
    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.object_type, entry.patient_id) == ("create", "patient", patient.pk)
    assert (entry.username, entry.ip_address) == (desk.username, "10.0.0.5")


def test_mrns_count_up(desk):
    first = register(desk)
    second = register(desk, first_name="Luis")
    assert int(second.mrn[:-1]) == int(first.mrn[:-1]) + 1


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("(706) 555-0150", "7065550150"),
        ("+1 706.555.0150", "7065550150"),
        ("1-706-555-0150", "7065550150"),
        ("555-0150", "555-0150"),  # left as typed: the validator explains
        ("", ""),
    ],
)
def test_phones_typed_any_way_are_stored_as_ten_digits(raw, stored):
    assert normalize_phone(raw) == stored


def test_a_birth_date_in_the_future_names_the_field(desk):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    exc = problem(lambda: register(desk, date_of_birth=tomorrow))
    assert exc.field == "date_of_birth"
    assert "future" in exc.message
    assert exc.status == 422


def test_a_birth_date_more_than_120_years_ago_is_refused(desk):
    exc = problem(lambda: register(desk, date_of_birth=dt.date(1890, 1, 1)))
    assert exc.field == "date_of_birth"
    assert "120 years" in exc.message


@pytest.mark.parametrize(
    ("phone", "words"),
    [("555-0150", "10-digit"), ("(012) 555-0150", "area code"), ("706-155-0150", "7-digit")],
)
def test_a_malformed_phone_is_refused(desk, phone, words):
    exc = problem(lambda: register(desk, phone_home=phone))
    assert exc.field == "phone_home"
    assert words in exc.message


def test_every_problem_is_reported_on_its_own_field(desk):
    exc = problem(
        lambda: register(
            desk, first_name="", preferred_contact="sms", date_of_birth=dt.date(2015, 1, 1)
        )
    )
    assert exc.errors["first_name"] == ["Enter the first name."]
    assert exc.errors["phone_mobile"] == ["Text messages need a mobile phone number."]
    assert "consent_sms" in exc.errors
    assert exc.errors["guarantor_relationship"] == [
        "A patient under 18 needs a parent or guardian as guarantor."
    ]
    assert exc.field == "first_name"  # the first, in the form's order


def test_contact_hours_must_end_after_they_start(desk):
    exc = problem(
        lambda: register(desk, contact_hours_start=dt.time(18), contact_hours_end=dt.time(9))
    )
    assert exc.field == "contact_hours_end"


def test_an_unknown_field_is_refused(desk):
    exc = problem(lambda: register(desk, mrn="10000016"))
    assert exc.field == "mrn"


# --- editing --------------------------------------------------------------------------


def test_editing_saves_and_logs_which_fields_changed(desk, make_patient):
    patient = make_patient()
    update_patient(actor=desk, patient=patient, last_name="Lopez-Garcia", phone_home="205 555 0111")
    patient.refresh_from_db()
    assert patient.last_name == "Lopez-Garcia"
    assert patient.phone_home == "2055550111"
    assert patient.search_last == "LOPEZGARCIA"
    entry = AccessLogEntry.objects.get()
    assert entry.action == "update"
    assert entry.detail == "changed: last_name, phone_home"


def test_an_edit_that_changes_nothing_logs_nothing(desk, make_patient):
    patient = make_patient()
    update_patient(actor=desk, patient=patient, last_name=patient.last_name)
    assert not AccessLogEntry.objects.exists()


def test_an_edit_breaking_a_rule_changes_nothing(desk, make_patient):
    patient = make_patient()
    exc = problem(lambda: update_patient(actor=desk, patient=patient, phone_mobile=""))
    assert exc.field == "phone_mobile"
    patient.refresh_from_db()
    assert patient.phone_mobile == "7065550142"


# --- coverages ------------------------------------------------------------------------


@pytest.fixture
def patient(make_patient):
    return make_patient()


def add(actor, patient, payer, **fields):
    values = {"payer": payer, "member_id": "PHP123456789", "effective_date": dt.date(2024, 1, 1)}
    return add_coverage(actor=actor, patient=patient, **{**values, **fields})


def test_a_coverage_is_added_with_its_member_id_encrypted(desk, patient, commercial_payer):
    coverage = add(desk, patient, commercial_payer, member_id=" PHP-123 456 ")
    stored = Coverage.objects.get()
    assert stored.member_id == "PHP-123 456"
    assert stored.member_id_hash == identifier_hash("php123456")
    assert coverage.subscriber_relationship == "self"
    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.object_type) == ("create", "coverage")


def test_end_before_effective_is_refused(desk, patient, commercial_payer):
    exc = problem(lambda: add(desk, patient, commercial_payer, end_date=dt.date(2023, 12, 31)))
    assert exc.field == "end_date"


def test_two_active_coverages_in_the_same_order_cannot_overlap(desk, patient, commercial_payer):
    other = Payer.objects.create(name="Other Plan", kind=Payer.COMMERCIAL, payer_id="OTHR")
    add(desk, patient, commercial_payer)
    exc = problem(
        lambda: add(desk, patient, other, member_id="X1", effective_date=dt.date(2025, 6, 1))
    )
    assert exc.field == "order"
    assert exc.code == "coverage_overlap"
    assert "Peachtree Health Plan" in exc.message

    add(desk, patient, other, member_id="X1", order=2, effective_date=dt.date(2025, 6, 1))
    assert Coverage.objects.count() == 2


def test_a_new_coverage_may_start_the_day_after_the_old_one_ends(
    desk, patient, commercial_payer, medicare
):
    old = add(desk, patient, commercial_payer)
    end_coverage(actor=desk, coverage=old, end_date=dt.date(2025, 6, 30))
    add(desk, patient, medicare, member_id="1EG4-TE5-MK73", effective_date=dt.date(2025, 7, 1))

    assert coverage_for(patient, on=dt.date(2025, 6, 30)).payer == commercial_payer
    assert coverage_for(patient, on=dt.date(2025, 7, 1)).payer == medicare


def test_self_pay_is_not_a_coverage(desk, patient, self_pay):
    exc = problem(lambda: add(desk, patient, self_pay))
    assert exc.field == "payer"
    assert exc.code == "self_pay_coverage"


def test_an_inactive_payer_cannot_be_chosen_for_a_new_coverage(desk, patient, commercial_payer):
    commercial_payer.active = False
    commercial_payer.save()
    assert problem(lambda: add(desk, patient, commercial_payer)).field == "payer"


def test_a_subscriber_other_than_the_patient_must_be_named(desk, patient, commercial_payer):
    exc = problem(lambda: add(desk, patient, commercial_payer, subscriber_relationship="spouse"))
    assert set(exc.errors) == {
        "subscriber_first_name",
        "subscriber_last_name",
        "subscriber_date_of_birth",
    }


def test_changing_the_member_id_keeps_its_search_hash(desk, patient, commercial_payer):
    coverage = add(desk, patient, commercial_payer)
    update_coverage(actor=desk, coverage=coverage, member_id="PHP000000001", group_number="G7")
    coverage.refresh_from_db()
    assert coverage.member_id == "PHP000000001"
    assert coverage.member_id_hash == identifier_hash("PHP000000001")
    assert AccessLogEntry.objects.last().detail == "changed: member_id, group_number"


def test_ending_a_coverage_before_it_started_is_refused(desk, patient, commercial_payer):
    coverage = add(desk, patient, commercial_payer)
    exc = problem(lambda: end_coverage(actor=desk, coverage=coverage, end_date=dt.date(2023, 1, 1)))
    assert exc.field == "end_date"


def test_coverage_for_finds_the_active_coverage_of_an_order(desk, patient, commercial_payer):
    primary = add(desk, patient, commercial_payer, end_date=dt.date(2024, 12, 31))
    assert coverage_for(patient, on=dt.date(2024, 6, 1)) == primary
    assert coverage_for(patient.pk, on=dt.date(2024, 6, 1), order=2) is None
    assert coverage_for(patient, on=dt.date(2025, 1, 1)) is None  # ended: inactive
    assert coverage_for(patient, on=dt.date(2023, 12, 31)) is None  # not yet in effect


def test_a_merged_record_cannot_be_changed(desk, make_patient, make_user):
    from medoffice.patients.services.merges import merge_patients

    survivor, duplicate = make_patient(), make_patient()
    merge_patients(
        actor=make_user("office_manager"), survivor=survivor, duplicate=duplicate, reason="twice"
    )
    with pytest.raises(DomainError) as caught:
        update_patient(actor=desk, patient=duplicate, first_name="New")
    assert caught.value.code == "already_merged"
