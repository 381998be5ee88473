"""The A/R pages and API: aging by payer and patient, CSV, drill-down, metrics, closing a month."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from medoffice.billing.models import ClosedPeriod, LedgerEntry
from medoffice.billing.services import ledger
from medoffice.core.models import AccessLogEntry

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_MONTH = ledger.month_start(ledger.month_start(TODAY) - dt.timedelta(days=1))


@pytest.fixture
def credit(charged):
    """The charged visit (165.00 owed by the payer) and its patient's 20.00 paid on account."""
    ledger.post(
        kind=LedgerEntry.PATIENT_PAYMENT, amount=Decimal("-20.00"), patient_id=charged.patient_id
    )
    return charged


def test_aging_by_payer_with_drill_down_links_and_metrics(client_as, credit, commercial_payer):
    client = client_as("biller")

    page = client.get(reverse("ar_aging"))

    html = page.content.decode()
    assert page.status_code == 200
    assert commercial_payer.name in html and "$165.00" in html
    assert f"{reverse('ar_visits')}?payer={commercial_payer.pk}" in html
    assert "Credits: $20.00 owed to patients" in html
    assert "Days in A/R" in html and "Net collection rate" in html
    assert 'aria-current="page">A/R<' in html


def test_aging_by_patient_and_a_bad_day_named(client_as, credit):
    client = client_as("biller")

    page = client.get(reverse("ar_aging"), {"by": "patient", "as_of": "2026-02-31"})

    html = page.content.decode()
    assert page.status_code == 200
    assert "As of: Enter a valid date." in html
    assert f"?patient={credit.patient_id}" in html  # the credit's row links to the patient


def test_aging_csv_export(client_as, credit, commercial_payer):
    client = client_as("biller")

    response = client.get(
        reverse("ar_aging"), {"by": "payer", "as_of": str(TODAY), "format": "csv"}
    )

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Payer" and rows[0][-1] == "Total"
    assert rows[1][0] == commercial_payer.name and rows[1][-1] == "165.00"
    assert rows[2][0] == "Total" and rows[-1][-1] == "-20.00"


def test_open_visits_of_a_payer_and_of_a_patient(client_as, credit, commercial_payer):
    client = client_as("biller")

    by_payer = client.get(reverse("ar_visits"), {"payer": commercial_payer.pk})
    by_patient = client.get(reverse("ar_visits"), {"patient": credit.patient_id})

    assert "$165.00" in by_payer.content.decode()
    assert credit.patient.mrn in by_patient.content.decode()
    assert AccessLogEntry.objects.filter(patient_id=credit.patient_id).exists()
    assert client.get(reverse("ar_visits"), {"payer": "x"}).status_code == 404
    # The "Patient" row: patients' own shares only (here none on a visit).
    patients = client.get(reverse("ar_visits"), {"self": "1"}).content.decode()
    assert "No open visit." in patients and "$165.00" not in patients


def test_ar_is_for_billers_and_the_office_manager(client_as):
    assert client_as("front_desk").get(reverse("ar_aging")).status_code == 403
    assert client_as("office_manager").get(reverse("ar_aging")).status_code == 200


def test_close_the_month_shows_totals_then_closes(client_as, credit):
    ledger.post(
        kind=LedgerEntry.CHARGE,
        amount=Decimal("40.00"),
        patient_id=credit.patient_id,
        charge=credit,
        payer_id=ledger.first_payer_id(credit),
        day=LAST_MONTH + dt.timedelta(days=4),
    )
    client = client_as("office_manager")

    page = client.get(reverse("period_close"))
    html = page.content.decode()
    assert f"{LAST_MONTH:%B %Y}" in html and "$40.00" in html
    assert "No month has been closed yet." in html

    refused = client.post(reverse("period_close"), {"month": f"{LAST_MONTH:%Y-%m}"})
    assert refused.status_code == 200 and not ClosedPeriod.objects.exists()  # not confirmed

    done = client.post(
        reverse("period_close"), {"month": f"{LAST_MONTH:%Y-%m}", "confirm": "on"}, follow=True
    )
    assert ClosedPeriod.objects.get().month == LAST_MONTH
    assert "is closed; later corrections post to the open month" in done.content.decode()


def test_a_biller_sees_but_cannot_close(client_as):
    client = client_as("biller")

    page = client.get(reverse("period_close"))
    refused = client.post(reverse("period_close"), {"month": f"{LAST_MONTH:%Y-%m}", "confirm": 1})

    assert "Only the office manager can close a month." in page.content.decode()
    assert refused.status_code == 403 and not ClosedPeriod.objects.exists()


def test_closing_the_current_month_is_refused_on_the_field(client_as):
    client = client_as("office_manager")

    page = client.post(reverse("period_close"), {"month": f"{TODAY:%Y-%m}", "confirm": "on"})

    assert "Only a month that has ended can be closed." in page.content.decode()
    assert not ClosedPeriod.objects.exists()


# --- API ------------------------------------------------------------------------------------


@pytest.fixture
def api(client, make_user):
    from medoffice.core.services.tokens import create_token

    def caller(role):
        user = make_user(role)
        headers = {"Authorization": f"Bearer {create_token(user=user)}"}

        class Caller:
            def get(self, url, **params):
                return client.get(url, params, headers=headers)

            def post(self, url, body):
                return client.post(
                    url, data=json.dumps(body), content_type="application/json", headers=headers
                )

        return Caller()

    return caller


def test_api_aging_by_payer_and_patient(api, credit, commercial_payer):
    biller = api("biller")

    by_payer = biller.get("/api/v1/billing/ar/aging").json()
    by_patient = biller.get("/api/v1/billing/ar/aging", by="patient", as_of=str(TODAY)).json()

    assert by_payer["buckets"] == ["0–30", "31–60", "61–90", "91–120", "Over 120"]
    assert [(r["payer"], r["total"]) for r in by_payer["rows"]] == [(commercial_payer.pk, "165.00")]
    assert by_payer["credits"][0]["patient"] == credit.patient_id
    assert by_payer["credit_total"] == "20.00" and by_patient["rows"] == []


def test_api_aging_refuses_bad_input_naming_the_field(api):
    biller = api("biller")

    bad_day = biller.get("/api/v1/billing/ar/aging", as_of="2026-02-30")
    bad_by = biller.get("/api/v1/billing/ar/aging", by="visit")
    payer_by_patient = biller.get("/api/v1/billing/ar/aging", by="patient", payer=1)

    assert bad_day.status_code == 422 and "as_of" in bad_day.json()["field"]
    assert bad_by.status_code == 422 and "by" in bad_by.json()["field"]
    assert payer_by_patient.status_code == 422 and payer_by_patient.json()["field"] == "payer"
    assert api("front_desk").get("/api/v1/billing/ar/aging").status_code == 403


def test_api_metrics(api, credit):
    biller = api("biller")

    standard = biller.get("/api/v1/billing/ar/metrics").json()
    month = biller.get("/api/v1/billing/ar/metrics", month=f"{TODAY:%Y-%m}").json()

    assert len(standard) == 2
    (this,) = month
    assert this["net_collection_rate"]["value"] is not None  # charges were posted today
    assert this["first_pass_resolution_rate"] == {
        "value": None,
        "numerator": "0",
        "denominator": "0",
        "unit": "%",
    }
    assert biller.get("/api/v1/billing/ar/metrics", month="2026-13").status_code == 422


def test_api_close_a_month_office_manager_only(api, credit):
    manager, biller = api("office_manager"), api("biller")

    refused = biller.post("/api/v1/billing/ar/periods", {"month": f"{LAST_MONTH:%Y-%m}"})
    done = manager.post("/api/v1/billing/ar/periods", {"month": f"{LAST_MONTH:%Y-%m}"})
    again = manager.post("/api/v1/billing/ar/periods", {"month": f"{LAST_MONTH:%Y-%m}"})
    bad = manager.post("/api/v1/billing/ar/periods", {"month": "March"})
    listed = biller.get("/api/v1/billing/ar/periods").json()

    assert refused.status_code == 403
    assert done.status_code == 201 and done.json()["month"] == f"{LAST_MONTH:%Y-%m}"
    assert again.status_code == 409 and again.json()["field"] == "month"
    assert bad.status_code == 422 and "month" in bad.json()["field"]
    assert [p["month"] for p in listed["closed"]] == [f"{LAST_MONTH:%Y-%m}"]
    assert listed["open_from"] == str(ledger.month_start(TODAY))
    assert listed["next_to_close"] is None and listed["may_close"] is False
