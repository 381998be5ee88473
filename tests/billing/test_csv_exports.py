"""The office's CSV exports open in a spreadsheet without running what patients, payers or
staff typed: a cell from stored text that starts a formula is written with a leading
apostrophe, while the money we write stays a number; and the fee schedule export still
imports back as unchanged."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from medoffice.billing import denial_selectors as sel
from medoffice.billing.models import LedgerEntry, PayerFee, Service
from medoffice.billing.services import ledger
from medoffice.billing.services.charges import LineInput, enter_charges
from medoffice.billing.services.fee_import import (
    PAYER_FEES,
    SERVICES,
    apply_import,
    export_payer_fees,
    export_services,
    preview_import,
)
from medoffice.billing.services.fee_schedules import save_service, set_payer_fee
from medoffice.patients.models import Payer
from tests.billing.denial_factory import pay_claim, sent_claim

pytestmark = pytest.mark.django_db

# Synthetic: a patient whose last name was typed as a spreadsheet formula.
LINK = '=HYPERLINK("http://attacker.example/x","Click")'
PAID_ON = dt.date(2026, 4, 2)


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def formula_patient_paid(make_patient, make_coverage, make_visit, services, biller, medicare):
    """A visit of the patient named LINK, paid by Medicare under the contract (99213 short by
    30.00), the patient's share (10.00 + 0.00) moved to the patient."""
    patient = make_patient(last_name=LINK, first_name="Ana")
    make_coverage(patient=patient, payer=medicare, member_id="1EG4TE5MK73")
    charge = enter_charges(
        actor=biller,
        appointment=make_visit(patient=patient),
        diagnoses=["J06.9"],
        lines=[LineInput(code="99213", pointers="1"), LineInput(code="87880", pointers="1")],
    )
    claim = sent_claim(charge=charge, actor=biller, payer_claim_number="MCR555")
    pay_claim(claim, actor=biller, day=PAID_ON, lines=[("50", "10", "90"), ("10", "0", None)])
    return patient


def test_aging_by_patient_csv_quotes_the_name_and_keeps_money_numbers(
    client_as, formula_patient_paid, make_patient
):
    other = make_patient(last_name="Diaz", first_name="Rosa")
    ledger.post(kind=LedgerEntry.PATIENT_PAYMENT, amount=Decimal("-12.50"), patient_id=other.pk)
    client = client_as("biller")

    # The day the entries were posted on (the page's own "today" follows the office's zone).
    as_of = timezone.localdate().isoformat()
    response = client.get(reverse("ar_aging"), {"by": "patient", "as_of": as_of, "format": "csv"})

    assert response.status_code == 200
    text = response.content.decode()
    assert f",{LINK}" not in text and f"\n{LINK}" not in text  # never a bare formula cell
    rows = _rows(text)
    (row,) = [r for r in rows if LINK in r[0]]
    assert row[0] == f"'{LINK}, Ana"  # the apostrophe makes it text
    assert row[1] == formula_patient_paid.mrn
    assert row[-1] == "10.00"
    credit = rows[-1]
    assert credit[0] == "Credit: Diaz, Rosa" and credit[-1] == "-12.50"  # a number, no apostrophe


def test_aging_by_payer_csv_quotes_a_payer_name(client_as, charged, commercial_payer):
    Payer.objects.filter(pk=commercial_payer.pk).update(name="+Peachtree Health Plan")
    rows = _rows(
        client_as("biller")
        .get(
            reverse("ar_aging"),
            {"by": "payer", "as_of": timezone.localdate().isoformat(), "format": "csv"},
        )
        .content.decode()
    )
    assert rows[1][0] == "'+Peachtree Health Plan" and rows[1][-1] == "165.00"


def test_underpayment_dispute_csv_quotes_the_name_not_the_amounts(formula_patient_paid, medicare):
    text = sel.underpayments_csv(sel.UnderpaymentFilters(payer_id=medicare.pk))
    (line,) = list(csv.DictReader(io.StringIO(text)))
    assert line["patient_name"] == f"'{LINK}, Ana"
    assert (line["contracted_amount"], line["paid"], line["short"]) == ("90.00", "50.00", "30.00")
    assert line["units"] == "1.00" and line["payer_claim_number"] == "MCR555"


def test_fee_schedule_export_is_safe_and_still_imports_back_unchanged(commercial_payer):
    risky = {
        ("20610", ""): "-Left knee injection",
        ("99213", "25"): "=2+3 visit",
        ("99214", ""): "@home visit",
        ("36415", ""): "'-already quoted",
    }
    for (code, modifiers), description in risky.items():
        save_service(code=code, modifiers=modifiers, description=description, standard_charge="100")
    Payer.objects.filter(pk=commercial_payer.pk).update(name="-Peachtree Health Plan")
    set_payer_fee(
        payer=Payer.objects.get(pk=commercial_payer.pk),
        service=Service.objects.get(code="20610"),
        allowed_amount="92.10",
        effective_date=dt.date(2025, 1, 1),
    )

    services_csv, fees_csv = export_services(), export_payer_fees()

    exported = {r[2] for r in _rows(services_csv)[1:]}
    assert exported == {
        "'-Left knee injection",
        "'=2+3 visit",
        "'@home visit",
        "''-already quoted",
    }
    assert _rows(services_csv)[1][3] == "100.00"
    assert _rows(fees_csv)[1][:4] == ["'-Peachtree Health Plan", "20610", "", "92.10"]
    services_plan = preview_import(kind=SERVICES, text=services_csv)
    assert services_plan.ok and services_plan.unchanged == 4 and not services_plan.changed
    fees_plan = preview_import(kind=PAYER_FEES, text=fees_csv)
    assert fees_plan.ok and fees_plan.unchanged == 1 and not fees_plan.added
    apply_import(kind=SERVICES, text=services_csv)
    assert {(s.code, s.modifiers): s.description for s in Service.objects.all()} == risky
    assert PayerFee.objects.get().allowed_amount == Decimal("92.10")


def test_a_hand_made_file_may_quote_a_cell_as_a_spreadsheet_would():
    text = "code,modifiers,description,standard_charge\n20610,,'-Left knee injection,80\n"
    assert apply_import(kind=SERVICES, text=text).ok
    assert Service.objects.get(code="20610").description == "-Left knee injection"
