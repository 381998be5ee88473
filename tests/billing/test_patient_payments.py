"""Payments at the desk: applied oldest visit first, credits, copays before charges, refunds
up to the credit, voids, receipts (numbers unique even when two desks take money at once)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from medoffice.billing.errors import DomainError, FieldErrors
from medoffice.billing.models import LedgerEntry, PatientPayment
from medoffice.billing.services import ledger
from medoffice.billing.services import patient_money as pm
from medoffice.billing.services.charges import LineInput, enter_charges

D = Decimal


@pytest.fixture
def covered_patient(make_patient, make_coverage):
    patient = make_patient()
    make_coverage(patient=patient)
    return patient


@pytest.fixture
def visit_owing(make_visit, services, biller):
    """visit_owing(patient, day, amount) -> a charged visit whose patient share is ``amount``
    (the payer moved it to the patient, as an 835's PR adjustment does)."""

    def make(patient, day: dt.date, amount: str | None):
        charge = enter_charges(
            actor=biller,
            appointment=make_visit(patient=patient, day=day),
            diagnoses=["J06.9"],
            lines=[LineInput(code="99213", pointers="1")],
        )
        if amount is not None:
            payer_id = ledger.first_payer_id(charge)
            ledger.post(
                kind=LedgerEntry.TRANSFER,
                amount=-D(amount),
                patient_id=patient.pk,
                charge=charge,
                payer_id=payer_id,
                adjustment_group="PR",
                reason_code="2",
            )
            ledger.post(kind=LedgerEntry.TRANSFER, amount=D(amount), patient_id=patient.pk,
                        charge=charge, note="Coinsurance")  # fmt: skip
        return charge

    return make


def share(charge) -> Decimal:
    return ledger.visit_balances(charge.pk).get(None, D("0"))


def test_payment_applies_to_the_oldest_visit_first_and_the_rest_is_credit(
    covered_patient, visit_owing, biller
):
    newer = visit_owing(covered_patient, dt.date(2026, 3, 9), "40.00")
    older = visit_owing(covered_patient, dt.date(2026, 2, 2), "25.00")
    payment = pm.take_payment(patient=covered_patient, amount="50.00", method="cash", actor=biller)
    assert share(older) == 0 and share(newer) == D("15.00")
    assert ledger.patient_balance(covered_patient.pk) == D("15.00")
    assert payment.posted_on == ledger.open_day() and payment.receipt_number >= 1
    entries = LedgerEntry.objects.filter(patient_payment=payment).order_by("pk")
    assert [(e.charge_id, e.amount) for e in entries] == [
        (older.pk, D("-25.00")),
        (newer.pk, D("-25.00")),
    ]
    assert all(e.payer_id is None and e.kind == LedgerEntry.PATIENT_PAYMENT for e in entries)
    second = pm.take_payment(
        patient=covered_patient, amount="20.00", method="check", reference="1042", actor=biller
    )
    assert second.receipt_number == payment.receipt_number + 1
    assert share(newer) == 0 and pm.credit_on_account(covered_patient.pk) == D("5.00")
    assert ledger.patient_balance(covered_patient.pk) == D("-5.00")


def test_copay_before_charges_is_credit_that_apply_credits_moves_onto_the_visit(
    covered_patient, make_visit, visit_owing, biller
):
    visit = make_visit(patient=covered_patient, day=dt.date(2026, 3, 9), status="arrived")
    copay = pm.take_payment(
        patient=covered_patient, amount="30.00", method="card", reference="4242",
        actor=biller, appointment=visit, kind="copay",
    )  # fmt: skip
    assert pm.credit_on_account(covered_patient.pk) == D("30.00")
    assert pm.apply_credits(covered_patient, biller) == []  # nothing open yet: nothing moves
    charge = visit_owing(covered_patient, dt.date(2026, 1, 5), "20.00")
    moved = pm.apply_credits(covered_patient, biller)
    assert [(e.charge_id, e.amount) for e in moved] == [
        (None, D("20.00")),
        (charge.pk, D("-20.00")),
    ]
    assert all(e.patient_payment_id == copay.pk for e in moved)
    assert share(charge) == 0 and pm.credit_on_account(covered_patient.pk) == D("10.00")
    assert pm.apply_credits(covered_patient, biller) == []  # idempotent
    # Voiding the copay undoes it wherever its money went.
    pm.void_payment(payment=copay, actor=biller, reason="Card charged twice")
    assert share(charge) == D("20.00") and pm.credit_on_account(covered_patient.pk) == 0
    assert ledger.patient_balance(covered_patient.pk) == D("20.00")


def test_refund_only_up_to_the_credit(covered_patient, visit_owing, biller):
    visit_owing(covered_patient, dt.date(2026, 2, 2), "25.00")
    pm.take_payment(patient=covered_patient, amount="40.00", method="cash", actor=biller)
    with pytest.raises(FieldErrors) as err:
        pm.refund(patient=covered_patient, amount="15.01", method="cash", actor=biller,
                  reason="Overpaid")  # fmt: skip
    assert err.value.field == "amount" and "15.00" in err.value.message
    back = pm.refund(patient=covered_patient, amount="15.00", method="check", reference="77",
                     actor=biller, reason="Overpaid")  # fmt: skip
    assert back.kind == PatientPayment.REFUND
    assert LedgerEntry.objects.get(patient_payment=back).amount == D("15.00")
    assert ledger.patient_balance(covered_patient.pk) == 0
    with pytest.raises(FieldErrors):
        pm.refund(patient=covered_patient, amount="0.01", method="cash", actor=biller,
                  reason="Again")  # fmt: skip


def test_void_reverses_in_the_open_period_and_only_once(covered_patient, visit_owing, biller):
    charge = visit_owing(covered_patient, dt.date(2026, 2, 2), "25.00")
    payment = pm.take_payment(patient=covered_patient, amount="25.00", method="cash", actor=biller)
    with pytest.raises(FieldErrors):
        pm.void_payment(payment=payment, actor=biller, reason=" ")
    voided = pm.void_payment(payment=payment, actor=biller, reason="Wrong patient")
    assert voided.voided_at and voided.voided_by == biller and voided.void_reason == "Wrong patient"
    reversals = LedgerEntry.objects.filter(patient_payment=payment, reverses__isnull=False)
    assert reversals.count() == 1 and reversals.get().amount == D("25.00")
    assert share(charge) == D("25.00")
    with pytest.raises(DomainError) as err:
        pm.void_payment(payment=voided, actor=biller, reason="Again")
    assert err.value.code == pm.ALREADY_VOIDED


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "-5"}, "amount", "more than zero"),
        ({"amount": "10.001"}, "amount", "two decimal"),
        ({"amount": "ten"}, "amount", "such as"),
        ({"amount": "NaN"}, "amount", "such as"),
        ({"method": ""}, "method", "Choose"),
        ({"method": "bitcoin"}, "method", "not a method"),
        ({"method": "check", "reference": ""}, "reference", "check number"),
        ({"method": "card", "reference": "4111111111111111"}, "reference", "last 4"),
    ],
)
def test_bad_payments_name_the_field(covered_patient, biller, fields, field, words):
    values = {"amount": "10.00", "method": "cash", "reference": ""} | fields
    with pytest.raises(FieldErrors) as err:
        pm.take_payment(patient=covered_patient, actor=biller, **values)
    assert field in err.value.errors and words in " ".join(err.value.errors[field])
    assert (
        not PatientPayment.objects.exists()
        and not LedgerEntry.objects.filter(kind=LedgerEntry.PATIENT_PAYMENT).exists()
    )


def test_payment_in_a_closed_month_posts_to_the_open_one(covered_patient, biller):
    from django.utils import timezone

    from medoffice.billing.models import ClosedPeriod

    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    ClosedPeriod.objects.create(month=last_month)
    payment = pm.take_payment(patient=covered_patient, amount="5.00", method="cash", actor=biller)
    assert payment.posted_on == ledger.open_day() and payment.posted_on > last_month


def test_receipt_shows_card_last4_and_the_balance_after(covered_patient, visit_owing, biller):
    visit_owing(covered_patient, dt.date(2026, 2, 2), "60.00")
    payment = pm.take_payment(patient=covered_patient, amount="25.00", method="card",
                              reference="1234", actor=biller)  # fmt: skip
    pm.take_payment(patient=covered_patient, amount="5.00", method="cash", actor=biller)
    receipt = pm.receipt_for(payment)
    assert receipt.balance_after == D("35.00")  # not the 30.00 after the later payment
    assert receipt.reference == "card ending 1234"


@pytest.mark.django_db(transaction=True)
def test_receipt_numbers_are_unique_when_two_desks_take_money_at_once(
    make_patient, django_user_model
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only real on PostgreSQL")
    patients = [make_patient(), make_patient()]
    numbers, failures = [], []
    barrier = threading.Barrier(2)

    def desk(patient):
        try:
            barrier.wait(timeout=10)
            for _ in range(5):
                paid = pm.take_payment(patient=patient, amount="1.00", method="cash", actor=None)
                numbers.append(paid.receipt_number)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=desk, args=(p,)) for p in patients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures
    assert len(numbers) == 10 and len(set(numbers)) == 10
