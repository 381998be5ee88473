"""Denial and underpayment pages and API as billers, office managers and the front desk use
them: the queue, the actions with field errors, the appeal letter, approvals, the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from medoffice.billing import denial_selectors as sel
from medoffice.billing.models import Denial, LedgerEntry, WriteOffRequest
from medoffice.billing.services import ledger
from medoffice.core.models import AccessLogEntry
from medoffice.core.services.tokens import create_token
from tests.billing.denial_factory import deny_claim, pay_claim, sent_claim

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 4, 2)


@pytest.fixture
def denied(charged, biller):
    claim = sent_claim(charge=charged, actor=biller)
    return deny_claim(claim, actor=biller, day=DAY, reason="197", remarks="N290")


def act(client, denial, action, **fields):
    data = {"action": action}
    prefix = "appeal" if action == "preview" else action
    data |= {f"{prefix}-{k}": v for k, v in fields.items()}
    return client.post(reverse("denial_action", args=[denial.pk]), data)


def test_queue_filters_groups_and_tab(client_as, denied):
    client = client_as("biller")
    page = client.get(reverse("denial_queue"), {"group": "reason"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Prior authorization" in text and denied[0].claim.patient_control_number in text
    assert 'id="denial-groups"' in text and "$165.00" in text
    assert reverse("denial_queue") in text and reverse("underpayments") in text  # the tabs
    none = client.get(reverse("denial_queue"), {"min_amount": "1000"}).content.decode()
    assert "No denial matches" in none
    bad = client.get(reverse("denial_queue"), {"min_amount": "lots"})
    assert bad.status_code == 200 and "Enter a number" in bad.content.decode()


def test_front_desk_cannot_see_or_work_denials(client_as, denied):
    desk = client_as("front_desk")
    assert desk.get(reverse("denial_queue")).status_code == 403
    assert desk.get(reverse("denial_detail", args=[denied[0].pk])).status_code == 403
    assert act(desk, denied[0], "to_patient").status_code == 403
    assert desk.get(reverse("underpayments")).status_code == 403
    assert desk.get(reverse("write_offs")).status_code == 403
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.TRANSFER).exists()


def test_detail_shows_plain_reason_and_field_errors(client_as, denied):
    client = client_as("biller")
    visit = denied[0]
    text = client.get(reverse("denial_detail", args=[visit.pk])).content.decode()
    assert "Prior authorization" in text and "N290" in text and "What to do" in text
    assert AccessLogEntry.objects.filter(object_type="denial", object_id=str(visit.pk)).exists()
    page = act(client, visit, "write_off", amount="12.345", reason="")
    text = page.content.decode()
    assert page.status_code == 422
    assert "two decimal places" in text and "This field is required" in text
    page = act(client, visit, "write_off", amount="500", reason="Too old")
    assert page.status_code == 422 and "owes only $165.00" in page.content.decode()
    assert not WriteOffRequest.objects.exists()


def test_move_to_patient_from_the_page(client_as, denied):
    client = client_as("biller")
    visit = denied[0]
    page = act(client, visit, "to_patient", note="Signed waiver")
    assert page.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Denial.TO_PATIENT
    assert ledger.patient_balance(visit.claim.patient_id) == Decimal("135.00")


def test_appeal_preview_record_and_pdf_download(client_as, denied, practice):
    client = client_as("biller")
    visit = denied[0]
    page = act(client, visit, "preview", text="")
    assert page.status_code == 422 and "This field is required" in page.content.decode()
    page = act(client, visit, "preview", text="Authorization 55-A was on file.")
    text = page.content.decode()
    assert page.status_code == 200 and "Authorization 55-A was on file." in text
    assert "srcdoc" in text
    visit.refresh_from_db()
    assert visit.status == Denial.OPEN  # a preview records nothing
    assert act(client, visit, "appeal", text="Authorization 55-A was on file.").status_code == 302
    pdf = client.get(reverse("appeal_letter", args=[visit.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert visit.claim.patient_control_number in pdf["Content-Disposition"]


def test_write_off_waits_then_only_the_office_manager_approves(client_as, client, denied):
    visit = denied[0]
    biller = client_as("biller")
    assert act(biller, visit, "write_off", amount="135", reason="Auth lost").status_code == 302
    req = WriteOffRequest.objects.get()
    assert req.status == WriteOffRequest.PENDING
    page = biller.get(reverse("write_offs")).content.decode()
    assert "Auth lost" in page and "Only an office manager" in page
    url = reverse("write_off_decide", args=[req.pk])
    assert biller.post(url, {"decision": "approve"}).status_code == 403
    req.refresh_from_db()
    assert req.status == WriteOffRequest.PENDING
    manager = client_as("office_manager")
    assert 'value="approve"' in manager.get(reverse("write_offs")).content.decode()
    assert manager.post(url, {"decision": "approve"}).status_code == 302
    req.refresh_from_db()
    assert (req.status, req.decided_by) == (WriteOffRequest.APPROVED, manager.user)
    assert LedgerEntry.objects.get(kind=LedgerEntry.WRITE_OFF).amount == Decimal("-135.00")


def test_stats_page_and_underpayments_page_with_csv(client_as, charged, biller, medicare):
    claim = sent_claim(charge=charged, actor=biller)
    pay_claim(claim, actor=biller, day=DAY, lines=[("70", "20", "100"), ("20", "5", None)])
    client = client_as("biller")
    page = client.get(reverse("underpayments")).content.decode()
    assert "Peachtree Health Plan" in page and "$10.00" in page
    resp = client.get(reverse("underpayments_csv"), {"payer": claim.payer_id})
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.content.decode())))
    assert rows[0] == sel.CSV_COLUMNS and len(rows) == 2
    assert client.get(reverse("underpayments_csv"), {"payer": "x"}).status_code == 422
    stats = client.get(reverse("denial_stats"), {"since": "2026-04-01", "until": "2026-04-30"})
    assert "Peachtree Health Plan" in stats.content.decode() and "0.0%" in stats.content.decode()
    bad = client.get(reverse("denial_stats"), {"since": "2026-05-01", "until": "2026-04-01"})
    assert "The start comes after the end." in bad.content.decode()


# --- API -----------------------------------------------------------------------------------


@pytest.fixture
def api(client, make_user):
    class Caller:
        def __init__(self, *roles):
            self.user = make_user(*roles)
            self.headers = {"Authorization": f"Bearer {create_token(user=self.user)}"}

        def get(self, url, **params):
            return client.get(url, params, headers=self.headers)

        def post(self, url, body=None):
            return client.post(
                url, data=json.dumps(body or {}), content_type="application/json",
                headers=self.headers,
            )  # fmt: skip

    return Caller


def test_api_queue_actions_and_approval(api, denied):
    visit, lab = denied
    biller = api("biller")
    r = biller.get("/api/v1/billing/denials", group_by="payer")
    body = r.json()
    assert r.status_code == 200 and body["count"] == 2 and body["total"] == "165.00"
    assert body["groups"][0]["count"] == 2
    assert body["results"][0]["reason"]["text"].startswith("Prior authorization")
    assert api("front_desk").get("/api/v1/billing/denials").status_code == 403
    r = biller.post(f"/api/v1/billing/denials/{lab.pk}/write-off", {"amount": "0", "reason": "x"})
    assert r.status_code == 422 and r.json()["field"] in ("amount", "body.amount")
    r = biller.post(
        f"/api/v1/billing/denials/{lab.pk}/write-off", {"amount": "30", "reason": "Small"}
    )
    assert r.status_code == 201 and r.json()["status"] == "approved"
    r = biller.post(
        f"/api/v1/billing/denials/{visit.pk}/write-off", {"amount": "135", "reason": "Big"}
    )
    pending = r.json()["id"]
    assert r.json()["status"] == "pending"
    assert biller.post(f"/api/v1/billing/write-offs/{pending}/approve").status_code == 403
    manager = api("office_manager")
    r = manager.post(f"/api/v1/billing/write-offs/{pending}/refuse", {"note": "Appeal"})
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert manager.post(f"/api/v1/billing/write-offs/{pending}/approve").status_code == 409
    r = biller.post(f"/api/v1/billing/denials/{visit.pk}/appeal", {"text": "Auth on file."})
    assert r.status_code == 200 and r.json()["status"] == "appealed"
    pdf = biller.get(f"/api/v1/billing/denials/{visit.pk}/appeal-letter")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert biller.get(f"/api/v1/billing/denials/{lab.pk}/appeal-letter").status_code == 409
    r = biller.post(f"/api/v1/billing/denials/{visit.pk}/resubmit", {"note": "Added auth"})
    assert r.status_code == 201 and r.json()["frequency_code"] == "7"
    assert r.json()["denial"]["status"] == "resubmitted"
    assert biller.post(f"/api/v1/billing/denials/{visit.pk}/to-patient").status_code == 409
    assert biller.get("/api/v1/billing/denials/999999").status_code == 404
    stats = biller.get("/api/v1/billing/denials/stats", since="2026-04-01", until="2026-04-30")
    assert stats.json()[0]["rate_percent"] == "100.0"


def test_api_underpayments_and_csv(api, charged, biller):
    claim = sent_claim(charge=charged, actor=biller)
    pay_claim(claim, actor=biller, day=DAY, lines=[("70", "20", "100"), ("20", "5", "30")])
    caller = api("biller")
    body = caller.get("/api/v1/billing/underpayments").json()
    assert body["count"] == 2 and body["totals"][0]["short"] == "15.00"
    r = caller.get("/api/v1/billing/underpayments.csv", payer=claim.payer_id)
    assert r.status_code == 200 and r.content.decode().startswith(",".join(sel.CSV_COLUMNS))
    assert caller.get("/api/v1/billing/underpayments", payer=99999).status_code == 422
    assert api("front_desk").get("/api/v1/billing/underpayments").status_code == 403
