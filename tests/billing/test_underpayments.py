"""Underpaid lines against the contract, totals per payer, the dispute CSV; and the queue's
groups and the denial rate per payer."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from medoffice.billing import denial_selectors as sel
from medoffice.billing.models import ClaimPayment
from medoffice.billing.services.charges import LineInput, enter_charges
from tests.billing.denial_factory import deny_claim, pay_claim, sent_claim

pytestmark = pytest.mark.django_db

PAID_ON = dt.date(2026, 4, 2)


@pytest.fixture
def visit(make_visit, make_coverage, make_patient, services, biller):
    def make(payer=None):
        patient = make_patient()
        make_coverage(patient=patient, **({"payer": payer} if payer else {}))
        return enter_charges(
            actor=biller,
            appointment=make_visit(patient=patient),
            diagnoses=["J06.9"],
            lines=[LineInput(code="99213", pointers="1"), LineInput(code="87880", pointers="1")],
        )

    return make


def test_underpaid_lines_expected_paid_short_and_totals(visit, biller, medicare):
    short = sent_claim(charge=visit(), actor=biller)
    # 99213: contract 100, paid 70 + patient 20 = 90 -> short 10; 87880: paid as agreed.
    pay_claim(short, actor=biller, day=PAID_ON, lines=[("70", "20", "100"), ("20", "5", "25")])
    fine = sent_claim(charge=visit(), actor=biller)
    pay_claim(fine, actor=biller, day=PAID_ON, lines=[("80", "20", "100"), ("25", "0", None)])
    mc = sent_claim(charge=visit(medicare), actor=biller)
    pay_claim(mc, actor=biller, day=PAID_ON, lines=[("50", "10", "90"), ("10", "0", "12.50")])
    denied = sent_claim(charge=visit(), actor=biller)
    deny_claim(denied, actor=biller, day=PAID_ON)  # denied lines are not underpayments

    lines = list(sel.underpaid_lines())
    assert [(x.claim_payment.claim, x.code, x.short) for x in lines] == [
        (short, "99213", Decimal("10.00")),
        (mc, "99213", Decimal("30.00")),
        (mc, "87880", Decimal("2.50")),
    ]
    assert lines[0].got == Decimal("90.00") and lines[0].underpaid_by == Decimal("10.00")
    totals = {t.payer_name: t for t in sel.underpayment_totals()}
    assert (totals["Medicare Part B"].lines, totals["Medicare Part B"].short) == (
        2,
        Decimal("32.50"),
    )
    assert totals["Medicare Part B"].expected == Decimal("102.50")
    assert totals["Peachtree Health Plan"].short == Decimal("10.00")
    # A payment the payer later reverses is no longer disputed (the new one will be).
    first = short.payments.get()
    ClaimPayment.objects.create(
        remittance=first.remittance,
        claim=short,
        patient_control_number=first.patient_control_number,
        status_code="22",
        charge=-first.charge,
        paid=-first.paid,
        payer_claim_number=first.payer_claim_number,
        posted=True,
    )
    assert short not in {x.claim_payment.claim for x in sel.underpaid_lines()}
    only = sel.underpaid_lines(sel.UnderpaymentFilters(payer_id=medicare.pk))
    assert {x.claim_payment.claim_id for x in only} == {mc.pk}
    assert not sel.underpaid_lines(sel.UnderpaymentFilters(since=dt.date(2026, 3, 10))).exists()


def test_dispute_csv_has_one_row_per_line_with_the_columns(visit, biller, medicare):
    mc = sent_claim(charge=visit(medicare), actor=biller, payer_claim_number="MCR555")
    pay_claim(mc, actor=biller, day=PAID_ON, lines=[("50", "10", "90"), ("10", "0", "12.50")])
    text = sel.underpayments_csv(sel.UnderpaymentFilters(payer_id=medicare.pk))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == sel.CSV_COLUMNS
    assert len(rows) == 2
    first = rows[0]
    assert first["payer"] == "Medicare Part B" and first["payer_claim_number"] == "MCR555"
    assert first["our_claim_number"] == mc.patient_control_number
    assert (first["procedure_code"], first["date_of_service"]) == ("99213", "2026-03-09")
    assert (first["contracted_amount"], first["paid"], first["short"]) == (
        "90.00",
        "50.00",
        "30.00",
    )
    assert first["patient_responsibility"] == "10.00" and "CO-45:75.00" in first["adjustment_codes"]


def test_queue_groups_by_reason_payer_age_and_amount(visit, biller, medicare):
    today = dt.date(2026, 6, 1)
    a = sent_claim(charge=visit(), actor=biller)
    deny_claim(a, actor=biller, day=dt.date(2026, 5, 20), reason="50")  # 135 + 30, 12 days
    b = sent_claim(charge=visit(medicare), actor=biller)
    deny_claim(b, actor=biller, day=dt.date(2026, 2, 1), reason="197")  # 120 days
    groups = {g.key: g for g in sel.denial_groups(by="reason", today=today)}
    assert (groups["50"].count, groups["50"].total) == (2, Decimal("165.00"))
    assert "medically necessary" in groups["50"].label and groups["197"].hint
    ages = {g.key: g.count for g in sel.denial_groups(by="age", today=today)}
    assert ages == {"0-30": 2, "90+": 2}
    amounts = {g.key: g.count for g in sel.denial_groups(by="amount", today=today)}
    assert amounts == {"under-100": 2, "100-500": 2}
    payers = [g.label for g in sel.denial_groups(by="payer", today=today)]
    assert sorted(payers) == ["Medicare Part B", "Peachtree Health Plan"]
    f = sel.DenialFilters(payer_id=medicare.pk, min_amount=Decimal("100"))
    assert [d.claim for d in sel.denial_queue(f, today=today)] == [b]
    assert sel.denial_queue(sel.DenialFilters(age="31-60"), today=today).count() == 0
    assert sel.denial_queue(sel.DenialFilters(reason="197"), today=today).count() == 2
    assert sel.queue_totals(today=today) == (4, Decimal("330.00"))
    assert sel.denial_queue(sel.DenialFilters(status="written_off"), today=today).count() == 0


def test_denial_rate_and_top_reasons_per_payer(visit, biller, medicare):
    for _ in range(3):
        pay_claim(
            sent_claim(charge=visit(), actor=biller), actor=biller, day=PAID_ON,
            lines=[("80", "20", None), ("20", "0", None)],
        )  # fmt: skip
    deny_claim(sent_claim(charge=visit(), actor=biller), actor=biller, day=PAID_ON, reason="197")
    deny_claim(sent_claim(charge=visit(medicare), actor=biller), actor=biller, day=PAID_ON)
    # Outside the period: counted nowhere.
    deny_claim(sent_claim(charge=visit(), actor=biller), actor=biller, day=dt.date(2026, 1, 5))
    stats = {
        s.payer_name: s
        for s in sel.denial_stats(since=dt.date(2026, 4, 1), until=dt.date(2026, 4, 30))
    }
    php = stats["Peachtree Health Plan"]
    assert (php.adjudicated, php.denied, php.rate) == (4, 1, Decimal("25.0"))
    assert php.top_reasons[0][0] == "197" and php.top_reasons[0][2] == 2
    assert php.denied_amount == Decimal("165.00")
    assert (stats["Medicare Part B"].rate, stats["Medicare Part B"].adjudicated) == (
        Decimal("100.0"),
        1,
    )
