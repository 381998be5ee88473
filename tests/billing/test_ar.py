"""A/R from the books: aging by the visit's age at a day, credits apart, and the three metrics
on a small example worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from medoffice.billing import ar
from medoffice.billing.models import (
    Claim,
    ClaimPayment,
    Denial,
    LedgerEntry,
    Remittance,
    RemittanceFile,
)
from medoffice.billing.services import claims as claim_svc
from medoffice.billing.services import ledger
from medoffice.billing.services.charges import LineInput, enter_charges

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = timezone.localdate()


@pytest.fixture
def bill(make_visit, make_patient, make_coverage, services, biller, commercial_payer):
    """bill(age=..., amount=...) -> charges of a visit ``age`` days before today (posted today),
    billed to the commercial payer, or to the patient with ``covered=False``."""

    def make(*, age: int, amount="100.00", covered=True, patient=None):
        if patient is None:
            patient = make_patient()
            if covered:
                make_coverage(patient=patient, payer=commercial_payer)
        return enter_charges(
            actor=biller,
            appointment=make_visit(patient=patient, day=TODAY - dt.timedelta(days=age)),
            diagnoses=["J06.9"],
            lines=[LineInput(code="99213", pointers="1", charge=amount)],
        )

    return make


def post(charge, kind, amount, *, day=TODAY, payer="same", **links):
    payer_id = ledger.first_payer_id(charge) if payer == "same" else payer
    return ledger.post(
        kind=kind,
        amount=D(amount),
        patient_id=charge.patient_id,
        day=day,
        charge=charge,
        payer_id=payer_id,
        **links,
    )


def buckets(row) -> list[str]:
    return [str(b) for b in row.buckets]


def test_a_payers_balances_age_by_date_of_service_with_the_edges(bill, commercial_payer):
    for age, amount in [(0, "1"), (30, "2"), (31, "4"), (120, "8"), (121, "16")]:
        bill(age=age, amount=amount)

    aging = ar.aging_buckets(TODAY, by="payer")

    (row,) = aging.rows
    assert row.label == commercial_payer.name and row.payer_id == commercial_payer.pk
    assert buckets(row) == ["3.00", "4.00", "0.00", "8.00", "16.00"]
    assert aging.totals == [D("3"), D("4"), D("0"), D("8"), D("16")]
    assert aging.total == D("31.00") == ar.total_ar(TODAY)


def test_sixty_and_ninety_days_end_their_buckets(bill):
    for age, amount in [(60, "1"), (61, "2"), (90, "4"), (91, "8")]:
        bill(age=age, amount=amount)

    (row,) = ar.aging_buckets(TODAY).rows

    assert buckets(row) == ["0.00", "1.00", "6.00", "8.00", "0.00"]


def test_as_of_counts_only_entries_posted_by_that_day(bill):
    charge = bill(age=10, amount="100.00")
    later = TODAY + dt.timedelta(days=5)
    post(charge, LedgerEntry.PAYER_PAYMENT, "-60.00", day=later)

    assert ar.aging_buckets(TODAY - dt.timedelta(days=1)).rows == []
    assert ar.aging_buckets(TODAY).total == D("100.00")
    # Five days on, the same visit is 15 days old and 60 was paid.
    assert buckets(ar.aging_buckets(later).rows[0]) == ["40.00", "0.00", "0.00", "0.00", "0.00"]


def test_patients_balance_is_aged_and_credits_are_listed_apart(
    bill, make_patient, commercial_payer
):
    owing = bill(age=45, amount="100.00")
    # The payer paid 70 and moved 30 coinsurance to the patient.
    post(owing, LedgerEntry.PAYER_PAYMENT, "-70.00")
    post(owing, LedgerEntry.TRANSFER, "-30.00", adjustment_group="PR", reason_code="2")
    post(owing, LedgerEntry.TRANSFER, "30.00", payer=None, adjustment_group="PR", reason_code="2")
    # A second patient, self-pay, with a visit 10 days old, who paid too much on account.
    over = bill(age=10, amount="50.00", covered=False)
    ledger.post(kind=LedgerEntry.PATIENT_PAYMENT, amount=D("-80.00"), patient_id=over.patient_id)

    by_payer = ar.aging_buckets(TODAY, by="payer")
    by_patient = ar.aging_buckets(TODAY, by="patient")

    assert [r.label for r in by_payer.rows] == ["Patient"]  # the payer owes nothing now
    assert buckets(by_payer.rows[0]) == ["0.00", "30.00", "0.00", "0.00", "0.00"]
    assert [(c.patient_id, c.amount) for c in by_payer.credits] == [(over.patient_id, D("30.00"))]
    (row,) = by_patient.rows
    assert (row.patient_id, row.mrn, row.total) == (owing.patient_id, owing.patient.mrn, D(30))
    assert row.label == f"{owing.patient.last_name}, {owing.patient.first_name}"
    assert by_patient.credit_total == D("30.00")
    assert by_payer.total == by_patient.total == D("30.00")  # credits not netted in


def test_money_on_account_pays_the_oldest_visit_first(bill, make_patient):
    patient = make_patient()
    bill(age=100, amount="40.00", covered=False, patient=patient)
    bill(age=5, amount="25.00", covered=False, patient=patient)
    ledger.post(kind=LedgerEntry.PATIENT_PAYMENT, amount=D("-50.00"), patient_id=patient.pk)

    (row,) = ar.aging_buckets(TODAY, by="patient").rows

    assert buckets(row) == ["15.00", "0.00", "0.00", "0.00", "0.00"]


def test_patients_are_sorted_by_what_they_owe(bill):
    small = bill(age=3, amount="10.00", covered=False)
    large = bill(age=3, amount="90.00", covered=False)

    rows = ar.aging_buckets(TODAY, by="patient").rows

    assert [r.patient_id for r in rows] == [large.patient_id, small.patient_id]


def test_one_payers_row_and_its_open_visits(bill, medicare, make_patient, make_coverage):
    bill(age=5, amount="10.00")
    patient = make_patient()
    make_coverage(patient=patient, payer=medicare)
    theirs = bill(age=40, amount="20.00", patient=patient)

    aging = ar.aging_buckets(TODAY, by="payer", payer=medicare)
    visits = ar.open_visits(TODAY, payer_id=medicare.pk)

    assert [(r.label, r.total) for r in aging.rows] == [(medicare.name, D("20.00"))]
    assert [(v.charge_id, v.balance, v.bucket) for v in visits] == [(theirs.pk, D(20), "31–60")]
    with pytest.raises(ValueError):
        ar.aging_buckets(TODAY, by="visit")


# --- Metrics on a worked example ------------------------------------------------------------
#
# Two visits charged 100 and 50 (posted today, both owed by the payer). On day 5 the payer pays
# 60 on the first with 25 contractual adjustment and moves 15 to the patient, who pays 15 on
# day 6; on day 7 a self-pay visit's 20 is paid 30 and 10 refunded.
#   charges 170, contractual 25, payments 60 + 15 + 30 - 10 = 95
#   NCR = 95 / (170 - 25) = 65.5 %
#   A/R at day 7: payer 50 (second visit); patients 0  -> days in A/R (30 days) = 50 / (170/30)


@pytest.fixture
def example(bill):
    first = bill(age=3, amount="100.00")
    second = bill(age=3, amount="50.00")
    cash = bill(age=1, amount="20.00", covered=False)
    d5, d6, d7 = (TODAY + dt.timedelta(days=n) for n in (5, 6, 7))
    post(first, LedgerEntry.PAYER_PAYMENT, "-60.00", day=d5)
    post(first, LedgerEntry.CONTRACTUAL, "-25.00", day=d5, adjustment_group="CO")
    post(first, LedgerEntry.TRANSFER, "-15.00", day=d5)
    post(first, LedgerEntry.TRANSFER, "15.00", day=d5, payer=None)
    post(first, LedgerEntry.PATIENT_PAYMENT, "-15.00", day=d6, payer=None)
    post(cash, LedgerEntry.PATIENT_PAYMENT, "-30.00", day=d7, payer=None)
    post(cash, LedgerEntry.REFUND, "10.00", day=d7, payer=None)
    return {"first": first, "second": second, "day7": d7}


def test_net_collection_rate_by_hand(example):
    ncr = ar.net_collection_rate(TODAY, example["day7"])

    assert (ncr.numerator, ncr.denominator, ncr.value) == (D("95.00"), D("145.00"), D("65.5"))
    assert str(ncr) == "65.5%"
    assert ar.net_collection_rate(TODAY, TODAY).value == D("0.0")  # charges only that day
    assert ar.net_collection_rate(TODAY - dt.timedelta(9), TODAY - dt.timedelta(1)).value is None


def test_days_in_ar_by_hand(example):
    dar = ar.days_in_ar(example["day7"], days=30)

    assert dar.numerator == D("50.00")
    assert dar.value == (D(50) / (D(170) / 30)).quantize(D("0.1")) == D("8.8")
    # Charges more than `days` ago do not count: no charges in the window, no figure.
    assert ar.days_in_ar(TODAY + dt.timedelta(days=60), days=30).value is None


def _adjudicate(claim, *, status="1", paid="100.00", on=TODAY, trace="T1"):
    file = RemittanceFile.objects.create(sha256=f"{trace:0>64}", text="ISA")
    remittance = Remittance.objects.create(
        file=file, payer=claim.payer, total_paid=D(paid), claims_paid=D(paid), posted_on=on
    )
    return ClaimPayment.objects.create(
        remittance=remittance,
        claim=claim,
        patient_control_number=claim.patient_control_number,
        status_code=status,
        charge=claim.total_charge,
        paid=D(paid),
    )


def _sent(charge, biller, *, rejected_first=False):
    claim = claim_svc.build_claim(actor=biller, charge=charge)
    steps = [Claim.SCRUBBED, Claim.READY, Claim.SUBMITTED]
    if rejected_first:  # a 277CA rejection, corrected and sent again
        steps += [Claim.REJECTED, Claim.DRAFT, Claim.SCRUBBED, Claim.READY, Claim.SUBMITTED]
    for to in [*steps, Claim.ACCEPTED]:
        claim = claim_svc.move_claim(actor=biller, claim=claim, to=to, note="bad member id")
    return claim


def test_first_pass_resolution_rate_by_hand(bill, biller):
    clean, denied, later = (_sent(bill(age=9, amount="80.00"), biller) for _ in range(3))
    rejected = _sent(bill(age=9, amount="80.00"), biller, rejected_first=True)
    week = TODAY + dt.timedelta(days=7)
    _adjudicate(clean, trace="1")
    payment = _adjudicate(denied, status="4", paid="0", trace="2")
    Denial.objects.create(
        claim=denied, claim_payment=payment, payer=denied.payer, amount=D(80), denied_on=TODAY
    )
    # Rejected once, sent again, then paid: not first pass.
    _adjudicate(rejected, trace="3")
    # First adjudicated after the period: out of it.
    _adjudicate(later, on=week, trace="4")

    fprr = ar.first_pass_resolution_rate(TODAY, TODAY + dt.timedelta(days=6))

    assert (fprr.numerator, fprr.denominator, fprr.value) == (D(1), D(3), D("33.3"))
    assert ar.first_pass_resolution_rate(week, week).value == D("100.0")
    after = week + dt.timedelta(days=1)
    assert ar.first_pass_resolution_rate(after, after).value is None


def test_a_claim_later_replaced_is_not_first_pass(bill, biller):
    claim = _sent(bill(age=9, amount="80.00"), biller)
    _adjudicate(claim, trace="5")
    claim = claim_svc.move_claim(actor=biller, claim=claim, to=Claim.PAID, payer_claim_number="X")
    assert ar.first_pass_resolution_rate(TODAY, TODAY).value == D("100.0")

    claim_svc.replace_claim(actor=biller, claim=claim, note="wrong units")

    assert ar.first_pass_resolution_rate(TODAY, TODAY).value == D("0.0")


def test_standard_periods_are_the_last_month_and_the_last_three():
    last, three = ar.standard_metrics(dt.date(2026, 3, 15))

    assert (last.start, last.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert (three.start, three.end) == (dt.date(2025, 12, 1), dt.date(2026, 2, 28))
    assert last.label == "February 2026"
