"""Merging a duplicate record into the one that stays, and undoing it exactly."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps

from medoffice.core.audit import verify_chain
from medoffice.core.errors import DomainError
from medoffice.core.models import AccessLogEntry
from medoffice.patients.models import Coverage, Patient, PatientDocument, PatientMerge, Payer
from medoffice.patients.services.merges import merge_patients, plan_merge, pointing_fields
from medoffice.patients.services.merges import unmerge_patients as unmerge

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user):
    return make_user("office_manager")


@pytest.fixture
def pair(make_patient):
    survivor = make_patient(first_name="Maria", last_name="Lopez")
    duplicate = make_patient(first_name="Maria", last_name="Lopes")
    return survivor, duplicate


@pytest.fixture
def other_payer(db):
    return Payer.objects.create(name="Bluebonnet Mutual", kind=Payer.COMMERCIAL, payer_id="BBM01")


def places(rows) -> dict:
    """Which patient each row points at now."""
    return {
        (type(r)._meta.label_lower, r.pk): type(r).objects.get(pk=r.pk).patient_id for r in rows
    }


def test_every_relation_to_a_patient_is_found_except_the_merge_records():
    found = {(m._meta.label_lower, f.name) for m, f in pointing_fields()}
    assert ("patients.coverage", "patient") in found
    assert ("patients.patientdocument", "patient") in found
    assert ("patients.patient", "merged_into") in found
    assert not {label for label, _ in found} & {"patients.patientmerge"}
    if apps.is_installed("medoffice.scheduling") and any(
        m._meta.label == "scheduling.Appointment" for m in apps.get_models()
    ):
        assert ("scheduling.appointment", "patient") in found


def test_merge_moves_coverages_and_documents_and_unmerge_moves_them_back(
    manager, pair, make_coverage, make_document, other_payer
):
    survivor, duplicate = pair
    theirs = make_coverage(patient=survivor, member_id="S-1")
    dup_secondary = make_coverage(patient=duplicate, payer=other_payer, member_id="D-2", order=2)
    card = make_document(duplicate)
    survivor_card = make_document(survivor, kind="photo_id")
    before = places([theirs, dup_secondary, card, survivor_card])

    merge = merge_patients(
        actor=manager, survivor=survivor, duplicate=duplicate, reason="registered twice"
    )

    duplicate.refresh_from_db()
    assert (duplicate.active, duplicate.merged_into_id) == (False, survivor.pk)
    assert dup_secondary.pk in survivor.coverages.values_list("pk", flat=True)
    assert PatientDocument.objects.get(pk=card.pk).patient_id == survivor.pk
    assert sorted((r["model"], r["pk"]) for r in merge.moved_rows) == sorted(
        [("patients.coverage", dup_secondary.pk), ("patients.patientdocument", card.pk)]
    )
    assert (merge.merged_by, merge.reason) == (manager, "registered twice")
    merges = AccessLogEntry.objects.filter(action="merge")
    assert sorted(merges.values_list("patient_id", flat=True)) == sorted(
        [survivor.pk, duplicate.pk]
    )

    unmerge(actor=manager, merge=merge, reason="not the same person")

    assert places([theirs, dup_secondary, card, survivor_card]) == before
    duplicate.refresh_from_db()
    assert (duplicate.active, duplicate.merged_into_id) == (True, None)
    merge.refresh_from_db()
    assert merge.undone and merge.unmerged_by == manager
    assert AccessLogEntry.objects.filter(action="merge").count() == 4
    assert verify_chain().ok


def test_the_same_policy_on_both_records_stays_with_the_duplicate(manager, pair, make_coverage):
    survivor, duplicate = pair
    make_coverage(patient=survivor, member_id="PHP123456789")
    same = make_coverage(patient=duplicate, member_id="php-123 456 789")

    plan = plan_merge(survivor=survivor, duplicate=duplicate)
    assert plan.kept == [same]
    merge = merge_patients(actor=manager, survivor=survivor, duplicate=duplicate, reason="dup")

    assert Coverage.objects.get(pk=same.pk).patient_id == duplicate.pk
    assert merge.kept_rows == [{"model": "patients.coverage", "field": "patient", "pk": same.pk}]
    assert merge.moved_rows == []


def test_a_different_policy_in_the_same_order_on_the_same_dates_stops_the_merge(
    manager, pair, make_coverage, other_payer
):
    survivor, duplicate = pair
    make_coverage(patient=survivor)
    make_coverage(patient=duplicate, payer=other_payer, member_id="B-9")

    with pytest.raises(DomainError) as caught:
        merge_patients(actor=manager, survivor=survivor, duplicate=duplicate, reason="dup")
    assert caught.value.code == "merge_conflict"
    assert "Bluebonnet Mutual" in caught.value.message
    duplicate.refresh_from_db()
    assert duplicate.active and not PatientMerge.objects.exists()


def test_a_merge_needs_two_records_and_a_reason(manager, pair):
    survivor, duplicate = pair
    with pytest.raises(DomainError) as caught:
        merge_patients(actor=manager, survivor=survivor, duplicate=survivor, reason="x")
    assert caught.value.field == "duplicate"
    with pytest.raises(DomainError) as caught:
        merge_patients(actor=manager, survivor=survivor, duplicate=duplicate, reason="  ")
    assert caught.value.field == "reason"


def test_a_record_merges_only_once_and_unmerges_only_once(manager, pair, make_patient):
    survivor, duplicate = pair
    merge = merge_patients(actor=manager, survivor=survivor, duplicate=duplicate, reason="dup")
    with pytest.raises(DomainError) as caught:
        merge_patients(actor=manager, survivor=make_patient(), duplicate=duplicate, reason="x")
    assert caught.value.code == "already_merged"
    with pytest.raises(DomainError) as caught:
        merge_patients(actor=manager, survivor=duplicate, duplicate=make_patient(), reason="x")
    assert caught.value.field == "survivor"

    unmerge(actor=manager, merge=merge)
    with pytest.raises(DomainError) as caught:
        unmerge(actor=manager, merge=merge)
    assert caught.value.code == "not_merged"


def test_chained_merges_undo_in_reverse_order(manager, make_patient, make_coverage, other_payer):
    a, b, c = make_patient(), make_patient(), make_patient()
    on_a = make_coverage(patient=a, payer=other_payer, member_id="A", order=3)
    first = merge_patients(actor=manager, survivor=b, duplicate=a, reason="a is b")
    second = merge_patients(actor=manager, survivor=c, duplicate=b, reason="b is c")

    assert Coverage.objects.get(pk=on_a.pk).patient_id == c.pk
    assert Patient.objects.get(pk=a.pk).merged_into_id == c.pk  # chains stay flat

    with pytest.raises(DomainError) as caught:
        unmerge(actor=manager, merge=first)
    assert "undo that later merge first" in caught.value.message

    unmerge(actor=manager, merge=second)
    assert Patient.objects.get(pk=a.pk).merged_into_id == b.pk
    unmerge(actor=manager, merge=first)
    assert Coverage.objects.get(pk=on_a.pk).patient_id == a.pk
    assert Patient.objects.filter(active=True).count() == 3


def test_an_inactive_duplicate_stays_inactive_after_unmerge(manager, pair):
    survivor, duplicate = pair
    duplicate.active = False
    duplicate.save()
    merge = merge_patients(actor=manager, survivor=survivor, duplicate=duplicate, reason="dup")
    unmerge(actor=manager, merge=merge)
    duplicate.refresh_from_db()
    assert duplicate.active is False and duplicate.merged_into_id is None


def test_rows_added_to_the_survivor_after_the_merge_stay_there(
    manager, pair, make_document, media_root
):
    survivor, duplicate = pair
    merge = merge_patients(actor=manager, survivor=survivor, duplicate=duplicate, reason="dup")
    later = make_document(survivor)
    unmerge(actor=manager, merge=merge)
    assert PatientDocument.objects.get(pk=later.pk).patient_id == survivor.pk


def test_merged_records_leave_search_unless_asked_for(manager, pair):
    from medoffice.patients.selectors import search_patients

    survivor, duplicate = pair
    merge_patients(actor=manager, survivor=survivor, duplicate=duplicate, reason="dup")
    assert duplicate not in search_patients(query="lopes")
    assert duplicate in search_patients(query="lopes", include_inactive=True)
    assert search_patients(query=duplicate.mrn) == [duplicate]


def test_merge_dates_are_recorded(manager, pair):
    survivor, duplicate = pair
    merge = merge_patients(actor=manager, survivor=survivor, duplicate=duplicate, reason="dup")
    assert abs(merge.merged_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_appointments_move_with_the_merge_and_back(manager, pair, location):
    """Visits booked on the duplicate follow it to the survivor (found generically)."""
    if not any(m._meta.label == "scheduling.Appointment" for m in apps.get_models()):
        pytest.skip("no appointments in this build")
    Appointment = apps.get_model("scheduling", "Appointment")
    Provider = apps.get_model("scheduling", "Provider")
    AppointmentType = apps.get_model("scheduling", "AppointmentType")
    survivor, duplicate = pair
    provider = Provider.objects.create(
        first_name="Asha", last_name="Patel", credentials="MD", npi="1234567893"
    )
    kind = AppointmentType.objects.create(name="Follow-up", code="FU", duration_minutes=15)
    start = dt.datetime(2030, 3, 4, 15, 0, tzinfo=dt.UTC)
    visit = Appointment.objects.create(
        patient=duplicate,
        provider=provider,
        location=location,
        appointment_type=kind,
        start=start,
        end=start + dt.timedelta(minutes=15),
    )

    merge = merge_patients(actor=manager, survivor=survivor, duplicate=duplicate, reason="dup")
    assert Appointment.objects.get(pk=visit.pk).patient_id == survivor.pk
    assert {"model": "scheduling.appointment", "field": "patient", "pk": visit.pk} in (
        merge.moved_rows
    )

    unmerge(actor=manager, merge=merge)
    assert Appointment.objects.get(pk=visit.pk).patient_id == duplicate.pk
