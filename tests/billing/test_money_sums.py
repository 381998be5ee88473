"""Sums of money come back exact to the cent on both databases (SQLite adds floats)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from medoffice.billing.models import LedgerEntry
from medoffice.billing.services import ledger


def test_a_settled_visit_sums_to_zero_and_cents_stay_cents(make_patient):
    patient = make_patient()
    for amount in ("195.00", "-122.54", "-47.46", "-25.00"):
        ledger.post(kind=LedgerEntry.CORRECTION, amount=amount, patient_id=patient.pk)

    total = LedgerEntry.objects.filter(patient=patient).aggregate(s=Sum("amount"))["s"]
    assert total == 0 and str(total) == "0.00"

    for amount in ("0.10", "0.20", "2924.40"):
        ledger.post(kind=LedgerEntry.CORRECTION, amount=amount, patient_id=patient.pk)
    grouped = (
        LedgerEntry.objects.filter(patient=patient)
        .values("patient_id")
        .annotate(s=Sum("amount"))
        .get()["s"]
    )
    assert str(grouped) == "2924.70" and grouped == Decimal("2924.70")
