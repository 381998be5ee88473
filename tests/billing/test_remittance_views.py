"""Remittance pages and API: import with its report, the list and one payment, the unmatched
queue (find, match, dismiss), and refusals in the one error shape."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from medoffice.billing.models import Claim, ClaimPayment, LedgerEntry, RemittanceFile
from medoffice.billing.services import claims as claim_svc
from medoffice.billing.services import ledger
from medoffice.core.services.tokens import create_token
from tests.billing.x835text import claim_payment, file_835, line

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(charged, biller):
    claim = claim_svc.build_claim(actor=biller, charge=charged)
    for to in (Claim.SCRUBBED, Claim.READY, Claim.SUBMITTED):
        claim = claim_svc.move_claim(actor=biller, claim=claim, to=to)
    return claim


def era(claim, **kw) -> str:
    first, second = claim.lines.order_by("line_number")
    return file_835(
        [
            claim_payment(claim, [line(first, 90, CO45=45), line(second, 20, CO45=10)]),
            claim_payment(claim, pcn="STRANGER1", paid=7, charge=7),
        ],
        trace="CHK7788",
        **kw,
    )


def test_import_page_posts_and_shows_the_report_then_the_list_and_detail(client_as, claim):
    client = client_as("biller")
    upload = SimpleUploadedFile("april.835", era(claim).encode(), content_type="text/plain")

    page = client.post(reverse("remittance_import"), {"file": upload})

    text = page.content.decode()
    assert page.status_code == 200 and "Payment CHK7788" in text
    assert "Reconciled (claims paid − PLB = payment)" in text and "$110.00" in text
    assert ledger.payer_balance(charge_id=claim.charge_id, payer_id=claim.payer_id) == 0

    listing = client.get(reverse("remittance_list"), {"q": "chk77"}).content.decode()
    assert "CHK7788" in listing and "Unmatched payments: 1" in listing
    assert "CHK7788" not in client.get(reverse("remittance_list"), {"q": "nope"}).content.decode()
    remittance = RemittanceFile.objects.get().remittances.get()
    detail = client.get(reverse("remittance_detail", args=[remittance.pk])).content.decode()
    assert claim.patient_control_number in detail and "CO-45 $45.00" in detail
    assert "STRANGER1" in detail and "unmatched" in detail
    assert client_as("medical_assistant").get(reverse("remittance_list")).status_code == 403


def test_import_page_refuses_a_broken_file_naming_the_segment(client_as, claim):
    text = era(claim)
    upload = SimpleUploadedFile("cut.835", text[:200].encode(), content_type="text/plain")

    page = client_as("biller").post(reverse("remittance_import"), {"file": upload})

    assert "nothing was posted: segment" in page.content.decode()
    assert not RemittanceFile.objects.exists()


def test_unmatched_queue_find_match_and_dismiss(client_as, claim, charged, biller):
    from medoffice.billing.services.remittances import import_835

    import_835(era(claim), actor=biller)
    client = client_as("biller")
    stranger = ClaimPayment.objects.get(claim__isnull=True)

    page = client.get(reverse("remittance_unmatched"), {"find": claim.patient_control_number})
    assert "STRANGER1" in page.content.decode()
    assert f'<option value="{claim.pk}">' in page.content.decode()

    refused = client.post(reverse("cp_drop", args=[stranger.pk]), {"note": ""}, follow=True)
    assert "Say why" in refused.content.decode()

    client.post(reverse("cp_drop", args=[stranger.pk]), {"note": "Not our patient"})
    stranger.refresh_from_db()
    assert stranger.resolution_note == "Not our patient"
    assert "Nothing waiting" in client.get(reverse("remittance_unmatched")).content.decode()

    # Another one, matched by hand from the page: posted to the claim.
    import_835(file_835([claim_payment(claim, pcn="TYPO0001", paid=5, charge=5)], control=5,
                        trace="CHK9"), actor=biller)  # fmt: skip
    typo = ClaimPayment.objects.get(patient_control_number="TYPO0001")
    done = client.post(reverse("cp_match", args=[typo.pk]), {"claim": claim.pk}, follow=True)
    assert f"Payment of $5.00 posted to claim {claim.patient_control_number}" in (
        done.content.decode()
    )
    typo.refresh_from_db()
    assert typo.claim == claim and typo.posted


def test_api_import_list_detail_match_and_dismiss(client, make_user, claim, biller):
    user = make_user("biller")
    headers = {"Authorization": f"Bearer {create_token(user=user)}"}
    text = era(claim)

    r = client.post("/api/v1/billing/remittances?filename=a.835", data=text,
                    content_type="application/edi-x12", headers=headers)  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["claims_posted"], body["unmatched"], body["reconciled"]) == (1, 1, True)
    again = client.post("/api/v1/billing/remittances", data=text,
                        content_type="application/edi-x12", headers=headers)  # fmt: skip
    assert again.status_code == 200 and again.json()["duplicate"] is True

    bad = client.post("/api/v1/billing/remittances", data=text[:300],
                      content_type="application/edi-x12", headers=headers)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["field"] == "file"
    assert "segment" in bad.json()["detail"]

    rows = client.get("/api/v1/billing/remittances", {"q": "CHK7788"}, headers=headers).json()
    assert rows["count"] == 1
    rid = rows["results"][0]["id"]
    detail = client.get(f"/api/v1/billing/remittances/{rid}", headers=headers).json()
    assert detail["summary"]["paid_posted"] == "110.00"
    posted = next(c for c in detail["claims"] if c["claim"] == claim.pk)
    assert [a["reason"] for a in posted["lines"][0]["adjustments"]] == ["45"]

    queue = client.get("/api/v1/billing/remittances/unmatched", headers=headers).json()
    assert [c["patient_control_number"] for c in queue] == ["STRANGER1"]
    pid = queue[0]["id"]
    missing = client.post(f"/api/v1/billing/claim-payments/{pid}/match", data={"claim": 999999},
                          content_type="application/json", headers=headers)  # fmt: skip
    assert missing.status_code == 422 and missing.json()["field"] == "claim"
    entries = LedgerEntry.objects.count()
    matched = client.post(f"/api/v1/billing/claim-payments/{pid}/match", data={"claim": claim.pk},
                          content_type="application/json", headers=headers)  # fmt: skip
    assert matched.status_code == 200 and matched.json()["posted"] is True
    assert LedgerEntry.objects.count() == entries + 1  # the $7 paid, no lines, no CAS
    dismissed = client.post(f"/api/v1/billing/claim-payments/{pid}/dismiss",
                            data={"note": "late"}, content_type="application/json",
                            headers=headers)  # fmt: skip
    assert dismissed.status_code == 409

    nurse = {"Authorization": f"Bearer {create_token(user=make_user('medical_assistant'))}"}
    assert client.get("/api/v1/billing/remittances", headers=nurse).status_code == 403
