"""Closing a month: its totals, who may close, and the database refusing to change the books."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from medoffice.billing import ar
from medoffice.billing.errors import DomainError
from medoffice.billing.models import (
    ClaimPayment,
    ClosedPeriod,
    LedgerEntry,
    Remittance,
    RemittanceFile,
)
from medoffice.billing.services import ledger

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = timezone.localdate()
THIS_MONTH = ledger.month_start(TODAY)
LAST_MONTH = ledger.month_start(THIS_MONTH - dt.timedelta(days=1))
TWO_AGO = ledger.month_start(LAST_MONTH - dt.timedelta(days=1))


def entry(charge, kind, amount, day, *, payer="same"):
    return ledger.post(
        kind=kind,
        amount=D(amount),
        patient_id=charge.patient_id,
        day=day,
        charge=charge,
        payer_id=ledger.first_payer_id(charge) if payer == "same" else payer,
    )


@pytest.fixture
def books(charged):
    """Charges of 165 posted today; last month: 200 charged, 120 paid, 30 adjusted, 10 moved
    to the patient; two months ago 50 charged."""
    entry(charged, LedgerEntry.CHARGE, "50.00", TWO_AGO + dt.timedelta(days=3))
    day = LAST_MONTH + dt.timedelta(days=9)
    entry(charged, LedgerEntry.CHARGE, "200.00", day)
    entry(charged, LedgerEntry.PAYER_PAYMENT, "-120.00", day)
    entry(charged, LedgerEntry.CONTRACTUAL, "-30.00", day)
    entry(charged, LedgerEntry.TRANSFER, "-10.00", day)
    entry(charged, LedgerEntry.TRANSFER, "10.00", day, payer=None)
    return charged


def test_a_months_totals_roll_forward(books):
    totals = ar.month_totals(LAST_MONTH)

    assert totals.beginning == D("50.00")
    assert (totals.charges, totals.payments, totals.adjustments) == (D(200), D(-120), D(-30))
    assert totals.transfers == D("0.00")
    assert totals.ending == D("100.00") == totals.beginning + D(200 - 120 - 30)
    assert totals.unmatched_payments == 0


def test_unmatched_payments_of_the_month_are_counted(books, commercial_payer):
    file = RemittanceFile.objects.create(sha256="a" * 64, text="ISA")
    remittance = Remittance.objects.create(
        file=file,
        payer=commercial_payer,
        payment_date=LAST_MONTH + dt.timedelta(days=2),
        total_paid=D(10),
        claims_paid=D(10),
        posted_on=TODAY,
    )
    ClaimPayment.objects.create(
        remittance=remittance, patient_control_number="X1", status_code="1", charge=10, paid=10
    )

    assert ar.month_totals(LAST_MONTH).unmatched_payments == 1
    assert ar.month_totals(TWO_AGO).unmatched_payments == 0


def test_the_next_month_to_close_follows_the_last_closed(books, make_user):
    manager = make_user("office_manager")
    assert ar.next_month_to_close(TODAY) == TWO_AGO  # the oldest entry's month

    ledger.close_month(month=TWO_AGO, actor=manager)

    assert ar.next_month_to_close(TODAY) == LAST_MONTH
    ledger.close_month(month=LAST_MONTH, actor=manager)
    assert ar.next_month_to_close(TODAY) is None  # this month has not ended
    assert [p.month for p in ar.closed_months()] == [LAST_MONTH, TWO_AGO]


def test_only_the_office_manager_may_close(make_user):
    assert ledger.may_close_months(make_user("office_manager"))
    assert not ledger.may_close_months(make_user("biller"))
    assert not ledger.may_close_months(make_user("front_desk"))
    assert not ledger.may_close_months(make_user("admin"))
    assert not ledger.may_close_months(None)


def test_a_correction_of_a_closed_month_posts_to_the_open_one(books, make_user):
    ledger.close_month(month=LAST_MONTH, actor=make_user("office_manager"))
    before = ar.month_totals(LAST_MONTH)

    late = entry(books, LedgerEntry.CORRECTION, "-5.00", LAST_MONTH + dt.timedelta(days=20))

    assert late.posted_on == THIS_MONTH
    assert ar.month_totals(LAST_MONTH) == before
    assert ar.aging_buckets(ar.month_end(LAST_MONTH)).total == before.ending


# --- The database's own guard (PostgreSQL and SQLite triggers) ------------------------------


def _raw(sql: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _insert_sql(charge, day: dt.date):
    return (
        "INSERT INTO billing_ledgerentry (posted_on, kind, amount, patient_id, charge_id, "
        "payer_id, adjustment_group, reason_code, note, created_at) "
        "VALUES (%s, 'correction', 1, %s, %s, NULL, '', '', 'raw', %s)",
        (day, charge.patient_id, charge.pk, timezone.now()),
    )


def test_the_database_refuses_an_entry_in_a_closed_month(books, make_user):
    ledger.close_month(month=LAST_MONTH, actor=make_user("office_manager"))

    for day in (ar.month_end(LAST_MONTH), TWO_AGO, dt.date(2001, 1, 1)):
        with pytest.raises(DatabaseError, match="period_closed"):
            _raw(*_insert_sql(books, day))
    with pytest.raises(DatabaseError, match="period_closed"), transaction.atomic():
        LedgerEntry.objects.bulk_create(  # bulk inserts too
            [LedgerEntry(posted_on=TWO_AGO, kind="correction", amount=1, patient=books.patient)]
        )

    _raw(*_insert_sql(books, THIS_MONTH))
    assert LedgerEntry.objects.filter(note="raw").count() == 1


def test_the_database_refuses_to_change_an_entry(books, make_user):
    open_entry = LedgerEntry.objects.filter(posted_on__gte=THIS_MONTH).first()
    ledger.close_month(month=LAST_MONTH, actor=make_user("office_manager"))
    closed_entry = LedgerEntry.objects.filter(posted_on__lt=THIS_MONTH).first()

    for target in (open_entry, closed_entry):
        with pytest.raises(DatabaseError, match="append-only"):
            _raw("UPDATE billing_ledgerentry SET amount = 0 WHERE id = %s", [target.pk])
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            LedgerEntry.objects.filter(pk=target.pk).update(note="edited")
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM billing_ledgerentry WHERE id = %s", [closed_entry.pk])
    if connection.vendor == "postgresql":  # SQLite keeps open months' DELETE for its test flush
        with pytest.raises(DatabaseError, match="append-only"):
            _raw("DELETE FROM billing_ledgerentry WHERE id = %s", [open_entry.pk])
    assert LedgerEntry.objects.get(pk=closed_entry.pk).amount == closed_entry.amount


def test_a_merge_may_point_an_entry_at_the_kept_patient(books, make_patient):
    kept = make_patient()
    moved = LedgerEntry.objects.filter(patient=books.patient).update(patient=kept)

    assert moved == LedgerEntry.objects.filter(patient=kept).count() > 0


def test_closing_refuses_an_open_or_closed_month(make_user):
    manager = make_user("office_manager")
    with pytest.raises(DomainError, match="ended"):
        ledger.close_month(month=TODAY, actor=manager)
    ledger.close_month(month=LAST_MONTH, actor=manager)
    with pytest.raises(DomainError, match="already closed"):
        ledger.close_month(month=TWO_AGO, actor=manager)
    assert ClosedPeriod.objects.get().closed_by == manager
