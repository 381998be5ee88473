"""The billing API's shared pieces as a caller meets them: a list read page by page (limit and
offset) gives every row once, a bad page is refused on its field, and each patient record read
or written through the API leaves its access-log row (whose record, what, which row)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from medoffice.billing.models import WriteOffRequest
from medoffice.core.audit import CREATE, UPDATE, VIEW
from medoffice.core.models import AccessLogEntry
from medoffice.core.services.tokens import create_token
from tests.billing.denial_factory import deny_claim, pay_claim, sent_claim
from tests.billing.test_patient_payments import covered_patient, visit_owing  # noqa: F401

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 4, 2)


@pytest.fixture
def call(client, make_user):
    """call(role) -> (get, post) for an API caller of that role."""

    def make(role):
        headers = {"Authorization": f"Bearer {create_token(user=make_user(role))}"}

        def get(url, **params):
            return client.get(url, params, headers=headers)

        def post(url, body=None):
            return client.post(
                url, data=json.dumps(body or {}), content_type="application/json",
                headers=headers,
            )  # fmt: skip

        return get, post

    return make


@pytest.fixture
def others(make_patient):
    """Three other patients made first, so a record's patient and its own row never share an
    id by chance (a log row naming the wrong one would then still match)."""
    return [make_patient(last_name=f"Other{n}") for n in range(3)]


def logged(**row) -> bool:
    return AccessLogEntry.objects.filter(**row).exists()


def read_in_pages(get, url, size: int) -> tuple[list[list[int]], int]:
    """Every page of ``url`` of ``size`` rows until an empty one; the ids of each page and
    the count the list reports."""
    pages, offset = [], 0
    while True:
        body = get(url, limit=size, offset=offset).json()
        ids = [row["id"] for row in body["results"]]
        if not ids:
            return pages, body["count"]
        assert len(ids) <= size, f"a page of {size} came back with {len(ids)} rows"
        pages.append(ids)
        offset += size


def test_the_denial_queue_read_page_by_page_gives_each_denial_once(call, charged, biller):
    claim = sent_claim(charge=charged, actor=biller)
    denials = deny_claim(claim, actor=biller, day=DAY)
    get, _ = call("biller")

    pages, count = read_in_pages(get, "/api/v1/billing/denials", 1)

    assert count == len(denials) == 2 and len(pages) == 2
    assert sorted(i for ids in pages for i in ids) == sorted(d.pk for d in denials)
    whole = get("/api/v1/billing/denials").json()["results"]
    assert [row["id"] for row in whole] == [i for ids in pages for i in ids]


def test_underpaid_lines_read_page_by_page_give_each_line_once(call, charged, biller):
    claim = sent_claim(charge=charged, actor=biller)
    pay_claim(claim, actor=biller, day=DAY, lines=[("70", "20", "100"), ("20", "5", "30")])
    get, _ = call("biller")

    pages, count = read_in_pages(get, "/api/v1/billing/underpayments", 1)

    assert count == 2 and len(pages) == 2
    whole = get("/api/v1/billing/underpayments").json()["results"]
    assert [row["id"] for row in whole] == [i for ids in pages for i in ids]
    assert get("/api/v1/billing/underpayments", limit=1, offset=2).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "first"}, "offset"),
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/billing/denials", "/api/v1/billing/underpayments"])
def test_a_bad_page_is_refused_on_its_field(call, url, params, field):
    get, _ = call("biller")

    r = get(url, **params)

    assert r.status_code == 422
    assert field in (r.json().get("field") or "")


def test_payments_refunds_voids_and_plans_leave_their_access_log_rows(
    others,
    call,
    covered_patient,  # noqa: F811
    visit_owing,  # noqa: F811
):
    visit_owing(covered_patient, DAY, "80.00")
    _, post = call("biller")
    get, _ = call("biller")
    base = f"/api/v1/billing/patients/{covered_patient.pk}"
    mine = {"patient_id": covered_patient.pk}

    plan = post(
        f"{base}/plans",
        {"total": "80.00", "installments": 2, "first_due": timezone.localdate().isoformat()},
    )
    assert plan.status_code == 201, plan.json()
    assert logged(
        **mine, action=CREATE, object_type="payment_plan", object_id=str(plan.json()["id"])
    )

    paid = post(f"{base}/payments", {"amount": "100.00", "method": "cash"})
    assert paid.status_code == 201, paid.json()
    payment = str(paid.json()["id"])
    assert logged(**mine, action=CREATE, object_type="patient_payment", object_id=payment)

    refund = post(f"{base}/refunds", {"amount": "5.00", "method": "cash", "reason": "Overpaid"})
    assert refund.status_code == 201, refund.json()
    refunded = str(refund.json()["id"])
    assert logged(**mine, action=CREATE, object_type="patient_refund", object_id=refunded)

    assert get(f"/api/v1/billing/payments/{refunded}").status_code == 200
    assert logged(**mine, action=VIEW, object_type="patient_payment", object_id=refunded)

    assert post(f"/api/v1/billing/payments/{refunded}/void", {"reason": "Wrong"}).status_code == 200
    assert logged(**mine, action=UPDATE, object_type="patient_payment", object_id=refunded)


def test_working_denials_and_write_offs_leave_their_access_log_rows(others, call, charged, biller):
    claim = sent_claim(charge=charged, actor=biller)
    visit, lab = deny_claim(claim, actor=biller, day=DAY)
    _, post = call("biller")
    _, manager = call("office_manager")
    mine = {"patient_id": claim.patient_id}

    r = post(f"/api/v1/billing/denials/{lab.pk}/resolve", {"note": "Paid on appeal"})
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    assert logged(**mine, action=UPDATE, object_type="denial", object_id=str(lab.pk))

    r = post("/api/v1/billing/write-offs", {"claim": claim.pk, "amount": "135", "reason": "Big"})
    assert r.status_code == 201 and r.json()["status"] == "pending"
    asked = r.json()["id"]
    assert logged(**mine, action=UPDATE, object_type="write_off", object_id=str(asked))
    before = AccessLogEntry.objects.filter(object_type="write_off").count()

    r = manager(f"/api/v1/billing/write-offs/{asked}/refuse", {"note": "Appeal first"})
    assert r.status_code == 200 and r.json()["status"] == WriteOffRequest.REFUSED
    assert AccessLogEntry.objects.filter(**mine, object_type="write_off").count() == before + 1

    r = post(f"/api/v1/billing/denials/{visit.pk}/appeal", {"text": "Authorization on file."})
    assert r.status_code == 200 and r.json()["status"] == "appealed"
    assert AccessLogEntry.objects.filter(
        **mine, action=UPDATE, object_type="denial", object_id=str(visit.pk)
    ).exists()
