"""The copay on the insurance card: kept on the coverage (page and API, refused with the field
named when it is not an amount), and offered as the amount when the front desk collects a
copay at check-in (still changeable)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from medoffice.patients.errors import FieldErrors
from medoffice.patients.models import Coverage
from medoffice.patients.services.coverages import add_coverage, update_coverage
from tests.patients.test_api import api, assert_error  # noqa: F401 - fixture and helper

pytestmark = pytest.mark.django_db
D = Decimal


def page_text(response) -> str:
    return response.content.decode()


COVERAGE_FORM = {
    "payer": None,
    "order": "1",
    "member_id": "PHP 777",
    "subscriber_relationship": "self",
    "effective_date": "01/01/2025",
}


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("-5", "The copay cannot be negative."),
        ("12.345", "The copay has at most two decimal places (cents)."),
        ("abc", "Enter the copay as an amount such as 25.00, or leave it empty."),
        ("1234567", "The copay cannot be more than 999999.99."),
    ],
)
def test_the_coverage_page_refuses_a_copay_that_is_not_an_amount(
    client_as, make_patient, commercial_payer, typed, problem
):
    patient = make_patient()
    client = client_as("front_desk")
    data = {**COVERAGE_FORM, "payer": commercial_payer.pk, "copay": typed}
    refused = client.post(reverse("coverage_create", args=[patient.pk]), data)
    assert refused.status_code == 200 and not Coverage.objects.exists()
    assert refused.context["form"].errors["copay"] == [problem]
    assert problem in page_text(refused)


def test_the_coverage_page_keeps_the_copay_and_empty_means_none(
    client_as, make_patient, commercial_payer
):
    patient = make_patient()
    client = client_as("front_desk")
    page = client.get(reverse("coverage_create", args=[patient.pk]))
    assert 'name="copay"' in page_text(page)
    data = {**COVERAGE_FORM, "payer": commercial_payer.pk, "copay": "25.5"}
    assert client.post(reverse("coverage_create", args=[patient.pk]), data).status_code == 302
    coverage = Coverage.objects.get()
    assert coverage.copay == D("25.50")
    edit = client.get(reverse("coverage_edit", args=[coverage.pk]))
    assert 'value="25.50"' in page_text(edit)
    cleared = client.post(reverse("coverage_edit", args=[coverage.pk]), {**data, "copay": ""})
    assert cleared.status_code == 302
    coverage.refresh_from_db()
    assert coverage.copay is None


def test_the_service_judges_the_copay_for_every_caller(make_patient, commercial_payer, make_user):
    patient = make_patient()
    actor = make_user("front_desk")
    values = {
        "payer": commercial_payer,
        "member_id": "PHP 1",
        "effective_date": dt.date(2025, 1, 1),
    }
    for bad in ("-0.01", "1.001", "NaN", "Infinity", "1e30", "twenty"):
        with pytest.raises(FieldErrors) as refused:
            add_coverage(actor=actor, patient=patient, copay=bad, **values)
        assert refused.value.field == "copay", bad
    assert not Coverage.objects.exists()
    coverage = add_coverage(actor=actor, patient=patient, copay="0", **values)
    assert coverage.copay == D("0.00")
    with pytest.raises(FieldErrors):
        update_coverage(actor=actor, coverage=coverage, copay="-1")
    coverage.refresh_from_db()
    assert coverage.copay == D("0.00")  # nothing half-written


def test_the_api_sets_shows_and_refuses_the_copay(api, make_patient, commercial_payer):  # noqa: F811
    patient = make_patient()
    caller = api("front_desk")
    url = f"/api/v1/patients/{patient.pk}/coverages"
    base = {"payer": commercial_payer.pk, "member_id": "PHP 9", "effective_date": "2024-01-01"}
    made = caller.post(url, {**base, "copay": "30.00"})
    assert made.status_code == 201, made.content
    assert made.json()["copay"] == "30.00"
    coverage_id = made.json()["id"]
    item = f"/api/v1/coverages/{coverage_id}"
    negative = assert_error(caller.patch(item, {"copay": "-5"}), 422, "invalid", "copay")
    assert "negative" in negative["detail"]
    cents = assert_error(caller.patch(item, {"copay": 1.234}), 422, "invalid", "copay")
    assert "two decimal places" in cents["detail"]
    assert_error(caller.patch(item, {"copay": "a lot"}), 422, "invalid", "copay")
    assert Coverage.objects.get().copay == D("30.00")
    changed = caller.patch(item, {"copay": 15})
    assert changed.status_code == 200 and changed.json()["copay"] == "15.00"
    listed = caller.get(url).json()
    assert [c["copay"] for c in listed] == ["15.00"]
    cleared = caller.patch(item, {"copay": None})
    assert cleared.json()["copay"] is None
    other = caller.post(
        f"/api/v1/patients/{make_patient().pk}/coverages", {**base, "member_id": "PHP 10"}
    )
    assert other.status_code == 201 and other.json()["copay"] is None


def test_collecting_a_copay_at_check_in_offers_the_cards_copay(
    client_as, make_patient, make_coverage, make_visit, medicare
):
    patient = make_patient()
    primary = make_coverage(patient=patient, copay=D("25.00"))
    visit = make_visit(patient=patient, status="arrived")
    client = client_as("front_desk")
    url = reverse("payment_new", args=[patient.pk])
    page = page_text(client.get(url, {"appointment": visit.pk}))
    assert 'name="amount" value="25.00"' in page
    assert "Copay on the card (Peachtree Health Plan, primary): $25.00" in page
    # Still the desk's to change: what is typed is what is taken.
    done = client.post(
        url,
        {"amount": "20.00", "method": "cash", "kind": "copay", "appointment": visit.pk},
    )
    assert done.status_code == 302
    assert patient.payments.get().amount == D("20.00")
    # The coverage the front desk chose for the visit wins over the primary.
    chosen = make_coverage(
        patient=patient, payer=medicare, order=2, member_id="1EG4-TE5-MK73", copay=D("0.00")
    )
    other_visit = make_visit(patient=patient, status="arrived", coverage=chosen)
    page = page_text(client.get(url, {"appointment": other_visit.pk}))
    assert "shows no copay ($0.00)" in page and 'name="amount" value=' not in page
    # No copay on the record: nothing offered, and the page says so.
    Coverage.objects.filter(pk=primary.pk).update(copay=None)
    page = page_text(client.get(url, {"appointment": visit.pk}))
    assert "No copay is on the record" in page and 'name="amount" value=' not in page
    # A payment that is not at check-in offers nothing.
    assert "Copay on the card" not in page_text(client.get(url))


def test_a_visit_that_is_not_a_number_or_not_the_patients_is_not_found(
    client_as, make_patient, make_visit
):
    patient = make_patient()
    someone_else = make_visit(patient=make_patient(), status="arrived")
    client = client_as("front_desk")
    url = reverse("payment_new", args=[patient.pk])
    for bad in ("abc", "²", "1" * 30, "-1"):
        assert client.get(url, {"appointment": bad}).status_code == 404, bad
    assert client.get(url, {"appointment": someone_else.pk}).status_code == 404
