"""The books: charges posted to the first payer or the patient, reversals, closed months."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from medoffice.billing.errors import DomainError
from medoffice.billing.models import ClosedPeriod, LedgerEntry
from medoffice.billing.services import ledger
from medoffice.billing.services.charges import LineInput, enter_charges, update_charges

pytestmark = pytest.mark.django_db


def test_charges_go_on_the_books_for_the_first_payer(charged, commercial_payer):
    entries = list(LedgerEntry.objects.filter(charge=charged))

    assert [(e.kind, e.payer_id, e.amount) for e in entries] == [
        (LedgerEntry.CHARGE, commercial_payer.pk, charged.total)
    ]
    assert charged.total > 0
    assert ledger.payer_balance(charge_id=charged.pk, payer_id=commercial_payer.pk) == charged.total
    assert ledger.patient_balance(charged.patient_id) == 0


def test_a_visit_nothing_covers_is_owed_by_the_patient(make_visit, services, biller):
    charge = enter_charges(
        actor=biller,
        appointment=make_visit(),
        diagnoses=["J06.9"],
        lines=[LineInput(code="99213", pointers="1")],
    )

    assert ledger.patient_balance(charge.patient_id) == charge.total > 0
    assert ledger.visit_balances(charge.pk) == {None: charge.total}


def test_changed_charges_reverse_the_old_total_and_post_the_new(charged, biller, commercial_payer):
    before = charged.total
    update_charges(
        actor=biller,
        charge=charged,
        diagnoses=["J06.9"],
        lines=[LineInput(code="99213", pointers="1")],
    )
    charged.refresh_from_db()

    amounts = list(
        LedgerEntry.objects.filter(charge=charged).order_by("pk").values_list("amount", flat=True)
    )
    assert amounts == [before, -before, charged.total]
    assert ledger.payer_balance(charge_id=charged.pk, payer_id=commercial_payer.pk) == charged.total


def test_an_entry_is_reversed_once_and_a_reversal_never(charged, biller):
    entry = LedgerEntry.objects.get(charge=charged)
    undo = ledger.reverse(entry=entry, actor=biller, note="entered on the wrong visit")

    assert undo.amount == -entry.amount and undo.reverses == entry
    with pytest.raises(DomainError):
        ledger.reverse(entry=entry, actor=biller, note="again")
    with pytest.raises(DomainError):
        ledger.reverse(entry=undo, actor=biller, note="undo the undo")


def test_a_closed_month_takes_no_entries_they_post_to_the_first_open_day(charged, biller):
    today = timezone.localdate()
    last_month = ledger.month_start(today) - dt.timedelta(days=1)
    ledger.close_month(month=last_month, actor=biller)

    entry = ledger.post(
        kind=LedgerEntry.CORRECTION,
        amount=Decimal("-5"),
        patient_id=charged.patient_id,
        actor=biller,
        day=last_month,
        charge=charged,
    )

    assert entry.posted_on == ledger.month_start(today)
    assert ledger.open_day(dt.date(2020, 1, 15)) == ledger.month_start(today)
    assert ledger.open_day(today) == today


def test_months_close_in_order_and_only_when_over(biller):
    today = timezone.localdate()
    with pytest.raises(DomainError, match="ended"):
        ledger.close_month(month=today, actor=biller)
    two_ago = ledger.month_start(ledger.month_start(today) - dt.timedelta(days=40))
    ledger.close_month(month=two_ago, actor=biller)
    with pytest.raises(DomainError, match="already closed"):
        ledger.close_month(month=two_ago - dt.timedelta(days=3), actor=biller)
    assert ClosedPeriod.objects.count() == 1
