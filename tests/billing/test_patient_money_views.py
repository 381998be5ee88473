"""Patient money pages and API as the front desk and a biller use them, and who may do what."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from medoffice.billing.models import PatientPayment, PaymentPlan, Statement, StatementRun
from medoffice.billing.services import patient_money as pm
from medoffice.billing.services import statements as st
from medoffice.core.models import AccessLogEntry
from medoffice.core.services.tokens import create_token
from tests.billing.test_patient_payments import covered_patient, visit_owing  # noqa: F401

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def owing(covered_patient, visit_owing):  # noqa: F811
    visit_owing(covered_patient, dt.date(2026, 2, 2), "80.00")
    return covered_patient


def test_front_desk_takes_a_copay_from_the_schedule_panel_link(
    client_as,
    covered_patient,  # noqa: F811
    make_visit,
):
    visit = make_visit(patient=covered_patient, status="arrived")
    client = client_as("front_desk")
    panel = client.get(reverse("schedule_appointment", args=[visit.pk]))
    link = f"{reverse('payment_new', args=[covered_patient.pk])}?appointment={visit.pk}"
    assert panel.status_code == 200 and link in panel.content.decode()
    assert "Collect copay" in panel.content.decode()
    form = client.get(link)
    assert form.status_code == 200 and 'value="copay" selected' in form.content.decode()
    url = reverse("payment_new", args=[covered_patient.pk])
    bad = client.post(
        url,
        {
            "amount": "-3",
            "method": "card",
            "reference": "4111111111111111",
            "kind": "copay",
            "appointment": visit.pk,
        },
    )
    text = bad.content.decode()
    assert bad.status_code == 200 and not PatientPayment.objects.exists()
    assert "greater than or equal to 0.01" in text and "last 4 digits" in text
    bad = client.post(url, {"amount": "5.123", "method": "check", "kind": "payment"})
    text = bad.content.decode()
    assert "decimal places" in text and "check number" in text
    assert "This field is required" in client.post(url, {"amount": "5"}).content.decode()
    done = client.post(
        url,
        {
            "amount": "25.00",
            "method": "card",
            "reference": "4242",
            "kind": "copay",
            "appointment": visit.pk,
        },
    )
    payment = PatientPayment.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "payment_receipt", args=[payment.pk]
    )
    assert payment.kind == "copay" and payment.appointment == visit
    receipt = client.get(done["Location"]).content.decode()
    assert f"Receipt {payment.receipt_number}" in receipt and "card ending 4242" in receipt
    assert "25.00" in receipt and "4111" not in receipt
    pdf = client.get(reverse("payment_receipt_pdf", args=[payment.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # The front desk takes money; it does not refund, void, or run statements.
    assert client.get(reverse("refund_new", args=[covered_patient.pk])).status_code == 403
    void = client.post(reverse("payment_void", args=[payment.pk]), {"reason": "x"})
    assert void.status_code == 403
    assert client.post(reverse("statement_run_now")).status_code == 403
    assert client.get(reverse("statement_list")).status_code == 200
    assert AccessLogEntry.objects.filter(
        patient_id=covered_patient.pk, object_type="receipt"
    ).exists()


def test_medical_assistant_cannot_see_accounts_or_the_copay_link(client_as, owing, make_visit):
    visit = make_visit(patient=owing, status="arrived")
    client = client_as("medical_assistant")
    assert client.get(reverse("patient_account", args=[owing.pk])).status_code == 403
    assert client.get(reverse("payment_new", args=[owing.pk])).status_code == 403
    panel = client.get(reverse("schedule_appointment", args=[visit.pk])).content.decode()
    assert "Collect copay" not in panel


def test_biller_account_refund_void_plan_and_statements(client_as, owing):
    client = client_as("biller")
    patient_page = client.get(reverse("patient_detail", args=[owing.pk])).content.decode()
    assert reverse("patient_account", args=[owing.pk]) in patient_page
    pm.take_payment(patient=owing, amount="100.00", method="cash", actor=client.user)
    account = client.get(reverse("patient_account", args=[owing.pk]))
    text = account.content.decode()
    assert account.status_code == 200 and "credit $20.00" in text
    refund_url = reverse("refund_new", args=[owing.pk])
    too_much = client.post(refund_url, {"amount": "20.01", "method": "cash", "reason": "Overpaid"})
    assert "Only the credit on account can be refunded: 20.00" in too_much.content.decode()
    done = client.post(refund_url, {"amount": "20.00", "method": "cash", "reason": "Overpaid"})
    assert done.status_code == 302 and PatientPayment.objects.filter(kind="refund").exists()
    refund = PatientPayment.objects.get(kind="refund")
    client.post(reverse("payment_void", args=[refund.pk]), {"reason": "Patient kept the credit"})
    refund.refresh_from_db()
    assert refund.voided_at is not None and pm.credit_on_account(owing.pk) == D("20.00")
    # A plan for a balance: a new visit owing 60.
    pm.void_payment(
        payment=PatientPayment.objects.get(kind="payment"), actor=client.user, reason="Bounced"
    )
    plan_url = reverse("plan_new", args=[owing.pk])
    bad = client.post(plan_url, {"total": "80.00", "first_due": "", "interval_months": "1"})
    text = bad.content.decode()
    assert "number of installments or their amount" in text or "required" in text
    ok = client.post(
        plan_url,
        {
            "total": "80.00",
            "installments": "3",
            "interval_months": "1",
            "first_due": timezone.localdate().isoformat(),
            "send_reminders": "on",
        },
    )
    assert ok.status_code == 302 and PaymentPlan.objects.get().installments.count() == 3
    plans_page = client.get(reverse("plan_list")).content.decode()
    assert owing.last_name in plans_page and "Payment plans" in plans_page
    # Statements: a run made now, its per-patient PDF and the batch.
    report = st.run_statements(timezone.localdate(), client.user)
    statement = Statement.objects.get()
    listing = client.get(reverse("statement_list")).content.decode()
    assert reverse("statement_batch", args=[report.run.pk]) in listing
    assert client.get(reverse("statement_pdf", args=[statement.pk])).content.startswith(b"%PDF")
    batch = client.get(reverse("statement_batch", args=[report.run.pk]))
    assert batch.status_code == 200 and batch.content.startswith(b"%PDF")
    # Starting a run from the page queues it for the worker (one at a time).
    StatementRun.objects.filter(pk=report.run.pk).update(finished_at=None)
    busy = client.post(reverse("statement_run_now"), {"run_on": "2026-06-01"}, follow=True)
    assert "has not finished yet" in busy.content.decode()
    assert client.get(reverse("statement_progress")).status_code == 200


def test_api_payments_plans_runs(client, make_user, owing):
    user = make_user("biller")
    headers = {"Authorization": f"Bearer {create_token(user=user)}"}

    def post(url, body):
        return client.post(
            url, data=json.dumps(body), content_type="application/json", headers=headers
        )

    base = f"/api/v1/billing/patients/{owing.pk}"
    bad = post(f"{base}/payments", {"amount": "1.001", "method": "cash"})
    assert bad.status_code == 422 and bad.json()["field"] == "amount"
    bad = post(f"{base}/payments", {"amount": "5", "method": "card", "reference": "12"})
    assert bad.status_code == 422 and bad.json()["field"] == "reference"
    r = post(f"{base}/payments", {"amount": "30.00", "method": "check", "reference": "501"})
    assert r.status_code == 201 and r.json()["balance_after"] == "50.00"
    payment_id = r.json()["id"]
    balance = client.get(f"{base}/balance", headers=headers).json()
    assert balance["balance"] == "50.00" and balance["visits"][0]["patient_share"] == "50.00"
    r = post(f"{base}/refunds", {"amount": "1.00", "method": "cash", "reason": "x"})
    assert r.status_code == 422 and r.json()["field"] == "amount"
    r = post(f"/api/v1/billing/payments/{payment_id}/void", {"reason": "Wrong"})
    assert r.status_code == 200 and r.json()["voided"] is True
    assert post(f"/api/v1/billing/payments/{payment_id}/void", {"reason": "x"}).status_code == 409
    r = post(
        f"{base}/plans",
        {"total": "80.00", "installments": 4, "first_due": timezone.localdate().isoformat()},
    )
    assert r.status_code == 201 and [i["amount"] for i in r.json()["installments"]] == ["20.00"] * 4
    assert (
        post(
            f"{base}/plans",
            {"total": "1.00", "installments": 2, "first_due": timezone.localdate().isoformat()},
        ).status_code
        == 409
    )
    assert client.get("/api/v1/billing/plans", headers=headers).json()[0]["status"] == "active"
    r = post("/api/v1/billing/statement-runs", {"run_on": "2026-05-01"})
    assert r.status_code == 202 and r.json()["finished"] is False
    assert post("/api/v1/billing/statement-runs", {}).status_code == 409
    desk = make_user("medical_assistant")
    denied = client.get(
        f"{base}/balance", headers={"Authorization": f"Bearer {create_token(user=desk)}"}
    )
    assert denied.status_code == 403
