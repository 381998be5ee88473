"""Claims: built in coverage order, moved only along the lifecycle, corrected by replacement
and void claims; every change recorded with who and when."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from medoffice.billing.errors import BAD_TRANSITION, DomainError, FieldErrors
from medoffice.billing.models import Claim, ClaimEvent
from medoffice.billing.services import claims as svc
from medoffice.billing.services.charges import LineInput, enter_charges, update_charges
from medoffice.patients.models import Coverage

pytestmark = pytest.mark.django_db


# `biller` and `charged` (a visit with 99213 + 87880, primary coverage) come from conftest.


def walk(claim, biller, *steps):
    for to in steps:
        claim = svc.move_claim(actor=biller, claim=claim, to=to, note=f"to {to}")
    return claim


def test_claim_built_for_the_primary_payer_with_a_copy_of_the_charges(charged, biller):
    claim = svc.build_claim(actor=biller, charge=charged)
    assert claim.status == Claim.DRAFT and claim.payer_order == Coverage.PRIMARY
    assert claim.patient_control_number == f"MO{claim.pk:09d}"
    assert claim.diagnoses == ["J06.9"]
    assert [(x.code, x.charge_amount) for x in claim.lines.all()] == [
        ("99213", Decimal("135.00")),
        ("87880", Decimal("30.00")),
    ]
    assert claim.total_charge == Decimal("165.00")
    event = claim.events.get()
    assert (event.user, event.from_status, event.to_status) == (biller, "", "draft")
    # Asked again while the primary is undecided: the same claim, no second one.
    assert svc.build_claim(actor=biller, charge=charged) == claim


def test_secondary_after_the_primary_is_decided(charged, biller, make_coverage, medicare):
    make_coverage(
        patient=charged.patient, payer=medicare, order=Coverage.SECONDARY, member_id="1EG4TE5MK73"
    )
    primary = svc.build_claim(actor=biller, charge=charged)
    walk(primary, biller, "scrubbed", "ready", "submitted", "accepted", "partly_paid")
    secondary = svc.build_claim(actor=biller, charge=charged)
    assert (secondary.payer, secondary.payer_order) == (medicare, Coverage.SECONDARY)
    walk(secondary, biller, "scrubbed", "ready", "submitted", "accepted", "paid")
    with pytest.raises(FieldErrors):
        svc.build_claim(actor=biller, charge=charged)


def test_self_pay_and_ended_coverage_make_no_claim(
    make_visit, make_coverage, make_patient, services, biller
):
    patient = make_patient()
    make_coverage(
        patient=patient, effective_date=dt.date(2024, 1, 1), end_date=dt.date(2025, 12, 31)
    )
    charge = enter_charges(
        actor=biller,
        appointment=make_visit(patient=patient),
        diagnoses=["I10"],
        lines=[LineInput(code="99213", pointers="1")],
    )
    assert svc.build_claim(actor=biller, charge=charge) is None
    assert not Claim.objects.exists()


def test_the_lifecycle_refuses_skipped_steps_and_records_each_move(charged, biller):
    claim = svc.build_claim(actor=biller, charge=charged)
    with pytest.raises(DomainError) as err:
        svc.move_claim(actor=biller, claim=claim, to=Claim.SUBMITTED)
    assert err.value.code == BAD_TRANSITION and err.value.status == 409
    claim = walk(claim, biller, "scrubbed", "ready", "submitted")
    with pytest.raises(FieldErrors):
        svc.record_rejection(actor=biller, claim=claim, reason=" ")
    claim = svc.record_rejection(actor=biller, claim=claim, reason="Subscriber id not found")
    claim = svc.reopen_claim(actor=biller, claim=claim)
    assert claim.status == Claim.DRAFT
    claim = walk(claim, biller, "scrubbed", "ready", "submitted")
    claim = svc.record_acceptance(actor=biller, claim=claim, payer_claim_number="ICN-555")
    claim = walk(claim, biller, "paid", "closed")
    assert claim.payer_claim_number == "ICN-555"
    moves = [(e.from_status, e.to_status) for e in ClaimEvent.objects.filter(claim=claim)]
    assert moves[:5] == [
        ("", "draft"),
        ("draft", "scrubbed"),
        ("scrubbed", "ready"),
        ("ready", "submitted"),
        ("submitted", "rejected"),
    ]
    assert moves[-1] == ("paid", "closed")
    assert (
        ClaimEvent.objects.get(claim=claim, to_status="rejected").note == "Subscriber id not found"
    )
    with pytest.raises(DomainError):
        svc.move_claim(actor=biller, claim=claim, to=Claim.DRAFT)


def test_changing_charges_refreshes_an_unsent_claim_and_locks_a_sent_one(charged, biller):
    claim = walk(svc.build_claim(actor=biller, charge=charged), biller, "scrubbed")
    update_charges(
        actor=biller,
        charge=charged,
        diagnoses=["J02.9"],
        lines=[LineInput(code="99212", pointers="1")],
    )
    claim.refresh_from_db()
    assert claim.status == Claim.DRAFT and claim.diagnoses == ["J02.9"]
    assert [x.code for x in claim.lines.all()] == ["99212"] and claim.total_charge == Decimal(
        "90.00"
    )
    walk(claim, biller, "scrubbed", "ready", "submitted")
    with pytest.raises(DomainError) as err:
        update_charges(
            actor=biller,
            charge=charged,
            diagnoses=["J02.9"],
            lines=[LineInput(code="99213", pointers="1")],
        )
    assert err.value.code == BAD_TRANSITION


def test_replacement_and_void_name_the_original_payer_number(charged, biller):
    claim = walk(svc.build_claim(actor=biller, charge=charged), biller, "scrubbed", "ready")
    with pytest.raises(FieldErrors):
        svc.replace_claim(actor=biller, claim=claim)
    claim = walk(claim, biller, "submitted")
    claim = svc.record_acceptance(actor=biller, claim=claim, payer_claim_number="ICN-1")
    claim = walk(claim, biller, "denied")
    update_charges(
        actor=biller,
        charge=charged,
        diagnoses=["J06.9"],
        lines=[LineInput(code="99214", pointers="1")],
    )
    claim.refresh_from_db()
    assert [x.code for x in claim.lines.all()] == ["99213", "87880"]  # what was sent stays
    new = svc.replace_claim(actor=biller, claim=claim, note="Visit level corrected")
    assert (new.frequency_code, new.original, new.original_payer_claim_number) == (
        "7",
        claim,
        "ICN-1",
    )
    assert [x.code for x in new.lines.all()] == ["99214"]
    claim.refresh_from_db()
    assert claim.status == Claim.CLOSED
    assert new.patient_control_number != claim.patient_control_number
    with pytest.raises(FieldErrors):
        svc.replace_claim(actor=biller, claim=claim)
    new = walk(new, biller, "scrubbed", "ready", "submitted")
    new = svc.record_acceptance(actor=biller, claim=new, payer_claim_number="ICN-2")
    with pytest.raises(FieldErrors):
        svc.void_claim(actor=biller, claim=new, note="")
    void = svc.void_claim(actor=biller, claim=new, note="Billed to the wrong payer")
    assert (void.frequency_code, void.original_payer_claim_number) == ("8", "ICN-2")
    assert [x.code for x in void.lines.all()] == ["99214"] and void.total_charge == new.total_charge


def test_patient_control_numbers_are_unique(charged, biller):
    claim = svc.build_claim(actor=biller, charge=charged)
    other = Claim.objects.get(pk=claim.pk)
    other.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()


def test_a_correction_must_name_the_original(charged, biller):
    claim = svc.build_claim(actor=biller, charge=charged)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(frequency_code="7")


def test_a_coverage_chosen_at_booking_is_billed_first_as_the_primary(
    make_visit, make_coverage, make_patient, services, biller, medicare
):
    patient = make_patient()
    make_coverage(patient=patient)
    accident = make_coverage(
        patient=patient, payer=medicare, order=Coverage.SECONDARY, member_id="1EG4TE5MK73"
    )
    visit = make_visit(patient=patient)
    visit.coverage = accident  # what book_appointment(coverage=...) stores
    visit.save(update_fields=["coverage"])
    charge = enter_charges(
        actor=biller, appointment=visit, diagnoses=["J06.9"], lines=[LineInput(code="99213")]
    )

    first = svc.build_claim(actor=biller, charge=charge)

    assert (first.payer, first.payer_order) == (medicare, Coverage.PRIMARY)
    walk(first, biller, "scrubbed", "ready", "submitted", "accepted", "partly_paid")
    second = svc.build_claim(actor=biller, charge=charge)
    assert (second.coverage.order, second.payer_order) == (Coverage.PRIMARY, Coverage.SECONDARY)
