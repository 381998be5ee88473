"""Billing pages as a biller and office manager use them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from medoffice.billing.models import Charge, Claim, ScrubFinding, Service
from medoffice.billing.services import claims as claim_services
from medoffice.billing.services.charges import LineInput, enter_charges
from medoffice.core.models import AccessLogEntry

pytestmark = pytest.mark.django_db


def charge_post(**changes):
    data = {"rendering_provider": "", "place_of_service": "11", "line_count": "6", "dx1": "J06.9"}
    data |= {"line1_code": "99213", "line1_pointers": "1", "line1_units": "1"}
    data.update(changes)
    return data


def test_nav_and_ready_to_bill_list(client_as, make_visit, services):
    visit = make_visit()
    client = client_as("biller")
    page = client.get(reverse("billing_ready"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ready to bill" in text and "Claims" in text and "Fee schedule" in text
    assert reverse("charge_new", args=[visit.pk]) in text
    assert client_as("medical_assistant").get(reverse("billing_ready")).status_code == 403


def test_charge_entry_shows_field_errors_then_drafts_the_claim(
    client_as, make_visit, make_coverage, make_patient, services, provider
):
    patient = make_patient()
    make_coverage(patient=patient)
    visit = make_visit(patient=patient)
    client = client_as("biller")
    url = reverse("charge_new", args=[visit.pk])
    assert client.get(url).status_code == 200
    data = charge_post(
        rendering_provider=str(provider.pk), dx1="E11", line1_code="99999", line1_pointers="4",
        line2_code="99213", line2_modifiers="2", line2_pointers="1",
    )  # fmt: skip
    page = client.post(url, data)
    text = page.content.decode()
    assert page.status_code == 200 and not Charge.objects.exists()
    assert "category, not a billable code" in text
    assert (
        "not on the practice" in text
        and "is not a modifier" in text
        and "points to no diagnosis" in text
    )
    page = client.post(url, charge_post(rendering_provider=str(provider.pk)))
    claim = Claim.objects.get()
    assert page.status_code == 302 and page["Location"] == reverse("claim_detail", args=[claim.pk])
    assert AccessLogEntry.objects.filter(patient_id=patient.pk, object_type="charge").exists()


def test_claim_list_counts_and_detail_with_findings_and_fix_links(
    client_as, make_visit, make_coverage, make_patient, services, make_user
):
    biller = make_user("biller")
    patient = make_patient()
    make_coverage(patient=patient)
    charge = enter_charges(
        actor=biller, appointment=make_visit(patient=patient), diagnoses=["I10"],
        lines=[LineInput(code="99213", pointers="1")],
    )  # fmt: skip
    claim = claim_services.build_claim(actor=biller, charge=charge)
    Claim.objects.filter(pk=claim.pk).update(place_of_service="")
    client = client_as("biller")
    response = client.post(reverse("claim_action", args=[claim.pk]), {"action": "scrub"})
    assert response.status_code == 302
    assert ScrubFinding.objects.filter(claim=claim, rule__code="pos_missing").exists()
    page = client.get(reverse("claim_list"), {"status": "draft"})
    text = page.content.decode()
    assert claim.patient_control_number in text and "1 error" in text
    detail = client.get(reverse("claim_detail", args=[claim.pk])).content.decode()
    assert "Place of service missing" in detail
    assert reverse("charge_edit", args=[charge.pk]) + "#place_of_service" in detail
    assert AccessLogEntry.objects.filter(patient_id=patient.pk, object_type="claim").exists()
    response = client.post(reverse("claim_action", args=[claim.pk]), {"action": "submitted"})
    claim.refresh_from_db()
    assert claim.status == Claim.DRAFT  # refused: a draft cannot be submitted


def test_claim_list_query_count_does_not_grow(
    client_as,
    make_visit,
    make_coverage,
    make_patient,
    services,
    make_user,
    django_assert_max_num_queries,
):
    biller = make_user("biller")
    for _ in range(5):
        patient = make_patient()
        make_coverage(patient=patient)
        charge = enter_charges(
            actor=biller, appointment=make_visit(patient=patient), diagnoses=["I10"],
            lines=[LineInput(code="99213", pointers="1")],
        )  # fmt: skip
        claim_services.build_claim(actor=biller, charge=charge)
    client = client_as("biller")
    client.get(reverse("claim_list"))
    with django_assert_max_num_queries(14):
        assert client.get(reverse("claim_list")).status_code == 200


def test_fee_import_preview_then_apply(client_as):
    client = client_as("office_manager")
    csv = b"code,modifiers,description,standard_charge\n99213,,Visit,135\n9921,,Bad,1\n"
    page = client.post(reverse("fee_import"), {"file": SimpleUploadedFile("f.csv", csv)})
    text = page.content.decode()
    assert (
        "1 refused" in text
        and "not a CPT or HCPCS code" in text
        and "Apply this import" not in text
    )
    good = b"code,modifiers,description,standard_charge\n99213,,Visit,135\n"
    page = client.post(reverse("fee_import"), {"file": SimpleUploadedFile("f.csv", good)})
    assert "Apply this import" in page.content.decode() and not Service.objects.exists()
    page = client.post(
        reverse("fee_import"), {"apply": "1", "kind": "services", "text": good.decode()}
    )
    assert page.status_code == 302 and Service.objects.get().code == "99213"


def test_fee_schedule_starter_and_edit(client_as):
    client = client_as("office_manager")
    assert "Load the starter list" in client.get(reverse("fee_schedule")).content.decode()
    client.post(reverse("fee_starter"))
    assert Service.objects.count() > 30
    service = Service.objects.get(code="99213", modifiers="")
    page = client.post(
        reverse("service_edit", args=[service.pk]),
        {"code": "99213", "description": "Visit", "standard_charge": "-1", "active": "on"},
    )
    assert "cannot be negative" in page.content.decode()
    export = client.get(reverse("fee_export", args=["services"]))
    assert export.status_code == 200 and b"99213" in export.content


def test_scrub_rules_page_office_manager_only(client_as, commercial_payer):
    manager = client_as("office_manager")
    page = manager.get(reverse("scrub_rules"))
    assert page.status_code == 200 and "Duplicate line" in page.content.decode()
    manager.post(
        reverse("scrub_rules"),
        {"rule": "referring_missing", "payer": commercial_payer.pk, "enabled": "on"},
    )
    assert commercial_payer.scrub_rules.get().enabled is True


@pytest.fixture
def unsent_claims(make_visit, make_coverage, make_patient, services, make_user):
    """clean scrubbed, draft with a scrubber error, draft never scrubbed, ready."""
    import datetime as dt

    from medoffice.billing.services.scrubber import scrub_claims

    biller = make_user("biller")

    def claim(*, pos="11"):
        patient = make_patient()
        make_coverage(patient=patient)
        charge = enter_charges(
            actor=biller, appointment=make_visit(patient=patient), diagnoses=["I10"],
            lines=[LineInput(code="99213", pointers="1")], place_of_service=pos,
        )  # fmt: skip
        return claim_services.build_claim(actor=biller, charge=charge)

    clean, broken, unscrubbed, ready = claim(), claim(), claim(), claim()
    Claim.objects.filter(pk=broken.pk).update(place_of_service="")
    scrub_claims(
        actor=biller, claim_ids=[clean.pk, broken.pk, ready.pk], today=dt.date(2026, 3, 20)
    )
    claim_services.mark_ready(actor=biller, claim=Claim.objects.get(pk=ready.pk))
    found = {c.pk: c.status for c in Claim.objects.all()}
    assert [found[c.pk] for c in (clean, broken, unscrubbed, ready)] == [
        "scrubbed", "draft", "draft", "ready",
    ]  # fmt: skip
    return clean, broken, unscrubbed, ready


def test_bulk_ready_moves_only_clean_scrubbed_claims_and_says_why(client_as, unsent_claims):
    clean, broken, unscrubbed, ready = unsent_claims
    client = client_as("biller")
    page = client.get(reverse("claim_list")).content.decode()
    assert "Mark the scrubbed claims ready" in page and 'form="bulk-ready"' in page
    response = client.post(reverse("claims_ready"), {"query": ""}, follow=True)
    text = response.content.decode()
    assert "1 claim marked ready to send; 2 held back (1 with scrubber errors to fix; " in text
    assert "1 not scrubbed yet (draft))" in text
    statuses = dict(Claim.objects.values_list("pk", "status"))
    assert statuses == {clean.pk: "ready", broken.pk: "draft", unscrubbed.pk: "draft",
                        ready.pk: "ready"}  # fmt: skip
    assert clean.events.last().note.startswith("Marked ready to send")
    assert client_as("front_desk").post(reverse("claims_ready"), {}).status_code == 403


def test_bulk_ready_for_ticked_claims_and_by_api(client_as, client, make_user, unsent_claims):
    from medoffice.core.services.tokens import create_token

    clean, broken, unscrubbed, ready = unsent_claims
    browser = client_as("biller")
    text = browser.post(
        reverse("claims_ready"), {"claim": [str(broken.pk), str(ready.pk)]}, follow=True
    ).content.decode()
    assert "0 claims marked ready to send; 2 held back (1 with scrubber errors to fix; " in text
    assert "1 already ready or sent)" in text
    assert Claim.objects.get(pk=clean.pk).status == "scrubbed"  # not ticked, not moved
    token = create_token(user=make_user("biller"))
    r = client.post(
        "/api/v1/billing/mark-ready",
        data={"claims": [clean.pk, unscrubbed.pk]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200
    assert r.json()["moved"] == 1 and r.json()["held_because"] == {"not scrubbed yet (draft)": 1}
    assert Claim.objects.get(pk=clean.pk).status == "ready"
    desk = create_token(user=make_user("front_desk"))
    r = client.post(
        "/api/v1/billing/mark-ready",
        data={"claims": [clean.pk]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {desk}"},
    )
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    r = client.post(
        "/api/v1/billing/mark-ready",
        data={"claims": []},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code in (400, 422) and r.json()["field"]
