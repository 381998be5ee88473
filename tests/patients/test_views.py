"""The patient pages as each role sees them: search, register, open, edit, coverages, merge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from medoffice.core.audit import verify_chain
from medoffice.core.models import AccessLogEntry
from medoffice.patients.models import Coverage, Patient, PatientMerge
from tests.patients.conftest import FORM_DATA

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def log_rows():
    return list(AccessLogEntry.objects.values_list("action", "object_type", "patient_id"))


# --- who may open what ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["patient_list", "patient_create"])
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_visitors_cannot_open_a_patient(client, make_patient):
    patient = make_patient()
    response = client.get(reverse("patient_detail", args=[patient.pk]))
    assert response.status_code == 302
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize(
    ("role", "view", "edit"),
    [
        ("front_desk", 200, 200),
        ("office_manager", 200, 200),
        ("biller", 200, 200),
        ("medical_assistant", 200, 403),
        ("provider", 200, 403),
        ("auditor", 403, 403),
    ],
)
def test_roles_open_and_edit_patients_as_their_job_needs(client_as, make_patient, role, view, edit):
    patient = make_patient()
    client = client_as(role)
    assert client.get(reverse("patient_detail", args=[patient.pk])).status_code == view
    assert client.get(reverse("patient_edit", args=[patient.pk])).status_code == edit
    posted = client.post(reverse("patient_edit", args=[patient.pk]), FORM_DATA)
    assert posted.status_code == (302 if edit == 200 else 403)


def test_only_registering_roles_may_register(client_as):
    assert client_as("front_desk").get(reverse("patient_create")).status_code == 200
    assert client_as("medical_assistant").get(reverse("patient_create")).status_code == 403
    assert client_as("biller").get(reverse("patient_create")).status_code == 403


def test_the_navigation_shows_patients_to_those_who_may_see_them(client_as):
    assert ">Patients</a>" in text(client_as("front_desk").get("/"))
    assert ">Patients</a>" not in text(client_as("auditor").get("/"))


def test_an_unknown_patient_is_a_404(client_as):
    client = client_as("front_desk")
    assert client.get(reverse("patient_detail", args=[999999])).status_code == 404
    assert client.get("/patients/99999999999999999999999/").status_code == 404


# --- search ---------------------------------------------------------------------------


def test_the_list_finds_patients_and_logs_the_search(client_as, make_patient, location):
    make_patient(last_name="Smith", first_name="John", home_location=location)
    make_patient(last_name="Jones", first_name="Amy")
    client = client_as("front_desk")

    page = client.get(reverse("patient_list"), {"q": "smi jo"})

    assert page.status_code == 200
    body = text(page)
    assert "Smith, John" in body and "Jones" not in body
    assert "(706) 555-0142" in body and "05/17/1980" in body and "Main" in body
    assert "<html" in body  # a whole page
    entry = AccessLogEntry.objects.get()
    assert (entry.object_type, entry.detail) == ("patient list", "search: smi jo")


def test_htmx_gets_only_the_results_block(client_as, make_patient):
    make_patient(last_name="Smith")
    page = client_as("front_desk").get(
        reverse("patient_list"), {"q": "smtih"}, headers={"HX-Request": "true"}
    )
    body = text(page)
    assert body.startswith('<div id="results">')
    assert "Smith" in body and "similar name" in body


def test_nothing_found_says_what_to_try(client_as, db):
    body = text(client_as("front_desk").get(reverse("patient_list"), {"q": "zzqx"}))
    assert "No patient matches" in body


def test_the_list_pages_through_every_patient(client_as, make_patient):
    for i in range(30):
        make_patient(last_name=f"Name{chr(65 + i // 26)}{chr(65 + i % 26)}")
    client = client_as("front_desk")
    first = text(client.get(reverse("patient_list")))
    second = text(client.get(reverse("patient_list"), {"page": "2"}))
    assert "NameAA" in first and "Next →" in first
    assert "NameBD" in second and "NameAA" not in second and "← Previous" in second
    assert client.get(reverse("patient_list"), {"page": "x"}).status_code == 200


def test_the_list_page_makes_the_same_number_of_queries_for_5_or_25_patients(
    client_as, make_patient, location, django_assert_max_num_queries, django_assert_num_queries
):
    client = client_as("front_desk")
    for _ in range(5):
        make_patient(home_location=location)
    client.get(reverse("patient_list"), {"q": "lopez"})  # warm the session and permissions

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as five:
        client.get(reverse("patient_list"), {"q": "lopez"})
    for _ in range(20):
        make_patient(home_location=location)
    with django_assert_num_queries(len(five.captured_queries)):
        client.get(reverse("patient_list"), {"q": "lopez"})
    with django_assert_max_num_queries(15):  # session, user, perms, 1 list query, log, shell
        client.get(reverse("patient_list"))


# --- register and edit ----------------------------------------------------------------


def test_registering_through_the_form(client_as):
    client = client_as("front_desk")
    response = client.post(reverse("patient_create"), FORM_DATA)

    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patient_detail", args=[patient.pk])
    assert (patient.phone_mobile, patient.state) == ("7065550150", "GA")
    assert log_rows() == [("create", "patient", patient.pk)]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "cannot be in the future"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth", "more than 120 years ago"),
        ({"date_of_birth": "13/45/1980"}, "date_of_birth", "Enter the date of birth as MM/DD/YYYY"),
        ({"phone_mobile": "555-0150"}, "phone_mobile", "10-digit phone number"),
        ({"first_name": ""}, "first_name", "Enter the first name."),
        ({"consent_sms": ""}, "consent_sms", "has not agreed to be contacted by text message"),
        ({"state": "Georgia"}, "state", "two-letter state code"),
    ],
)
def test_registration_errors_show_on_the_right_field(client_as, change, field, words):
    page = client_as("front_desk").post(reverse("patient_create"), {**FORM_DATA, **change})
    assert page.status_code == 200
    form = page.context["form"]
    assert any(words in e for e in form.errors[field]), form.errors
    assert words.split("'")[0] in text(page)
    assert not Patient.objects.exists()


def test_a_probable_duplicate_asks_before_registering(client_as, make_patient):
    existing = make_patient(first_name="Ana", last_name="Reyes", date_of_birth=dt.date(1985, 4, 9))
    client = client_as("front_desk")

    page = client.post(reverse("patient_create"), FORM_DATA)
    assert page.status_code == 200
    assert existing.mrn in text(page) and "different person" in text(page)
    assert Patient.objects.count() == 1

    done = client.post(reverse("patient_create"), {**FORM_DATA, "different_person": "1"})
    assert done.status_code == 302
    assert Patient.objects.count() == 2


def test_the_patient_page_shows_the_summary_and_logs_the_view(
    client_as, make_patient, make_coverage
):
    patient = make_patient(last_name="Quill", phone_home="2055550111")
    make_coverage(patient=patient, member_id="PHP555")
    page = client_as("medical_assistant").get(reverse("patient_detail", args=[patient.pk]))

    body = text(page)
    for shown in ("Quill, Maria", patient.mrn, "05/17/1980", "(706) 555-0142", "(205) 555-0111"):
        assert shown in body
    assert "Text message" in body  # preferred channel
    assert "PHP555" in body and "Peachtree Health Plan" in body
    assert 'id="documents"' in body
    assert ">Edit</a>" not in body  # may view, not edit
    assert log_rows() == [("view", "patient", patient.pk)]
    assert verify_chain().ok


def test_editing_logs_the_form_view_and_the_change(client_as, make_patient):
    patient = make_patient()
    client = client_as("front_desk")
    form_page = client.get(reverse("patient_edit", args=[patient.pk]))
    assert form_page.status_code == 200
    assert 'value="Maria"' in text(form_page)
    for section in ("Identity", "Address and phones", "Contact preferences", "Guarantor"):
        assert section in text(form_page)

    data = {**FORM_DATA, "first_name": "Marisol", "active": "on"}
    done = client.post(reverse("patient_edit", args=[patient.pk]), data)

    assert done.status_code == 302
    patient.refresh_from_db()
    assert patient.first_name == "Marisol"
    assert [r[:2] for r in log_rows()] == [("view", "patient"), ("update", "patient")]


def test_an_edit_with_an_error_keeps_the_record_as_it_was(client_as, make_patient):
    patient = make_patient()
    page = client_as("front_desk").post(
        reverse("patient_edit", args=[patient.pk]),
        {**FORM_DATA, "preferred_contact": "email", "email": "", "active": "on"},
    )
    assert page.status_code == 200
    assert "Enter an email address" in text(page)
    patient.refresh_from_db()
    assert patient.first_name == "Maria"


# --- coverages ------------------------------------------------------------------------


def test_adding_a_coverage_through_the_page(client_as, make_patient, commercial_payer, self_pay):
    patient = make_patient()
    client = client_as("front_desk")
    page = client.get(reverse("coverage_create", args=[patient.pk]))
    assert "Self-pay" not in text(page)  # never offered
    data = {
        "payer": commercial_payer.pk,
        "order": "1",
        "member_id": "PHP 777",
        "subscriber_relationship": "self",
        "effective_date": "01/01/2025",
    }
    done = client.post(reverse("coverage_create", args=[patient.pk]), data)
    assert done.status_code == 302
    assert Coverage.objects.get().member_id == "PHP 777"

    again = client.post(reverse("coverage_create", args=[patient.pk]), data)
    assert again.status_code == 200
    assert "already has a primary coverage" in text(again)

    refused = client.post(
        reverse("coverage_create", args=[patient.pk]),
        {**data, "payer": self_pay.pk, "order": "2"},
    )
    assert "payer" in refused.context["form"].errors


def test_ending_a_coverage_shows_it_as_inactive(client_as, make_patient, make_coverage):
    coverage = make_coverage(effective_date=dt.date(2024, 1, 1))
    client = client_as("biller")
    bad = client.post(reverse("coverage_end", args=[coverage.pk]), {"end_date": "2023-01-01"})
    assert "cannot be before the effective date" in text(bad)

    done = client.post(reverse("coverage_end", args=[coverage.pk]), {"end_date": "2024-06-30"})
    assert done.status_code == 302
    page = text(client.get(reverse("patient_detail", args=[coverage.patient_id])))
    assert "inactive: ended" in page and "coverage-ended" in page


def test_a_medical_assistant_cannot_change_coverages(client_as, make_coverage):
    coverage = make_coverage()
    client = client_as("medical_assistant")
    assert client.get(reverse("coverage_edit", args=[coverage.pk])).status_code == 403
    assert client.get(reverse("coverage_create", args=[coverage.patient_id])).status_code == 403


# --- merges ---------------------------------------------------------------------------


def test_the_office_manager_merges_through_a_confirmation(client_as, make_patient, make_coverage):
    keep = make_patient(last_name="Lopez")
    dup = make_patient(last_name="Lopes")
    make_coverage(patient=dup)
    client = client_as("office_manager")
    form = {"other_mrn": dup.mrn, "keep": "this", "reason": "typo at registration"}

    preview = client.post(reverse("patient_merge", args=[keep.pk]), form)
    assert preview.status_code == 200
    assert "1 coverages" in text(preview) or "1 coverage" in text(preview)
    assert not PatientMerge.objects.exists()

    done = client.post(reverse("patient_merge", args=[keep.pk]), {**form, "confirm": "1"})
    assert done.status_code == 302
    merge = PatientMerge.objects.get()
    assert (merge.survivor, merge.duplicate) == (keep, dup)
    dup_page = text(client.get(reverse("patient_detail", args=[dup.pk])))
    assert "This record was merged into" in dup_page

    undone = client.post(reverse("patient_unmerge", args=[merge.pk]), {"reason": "twins"})
    assert undone.status_code == 302
    merge.refresh_from_db()
    assert merge.undone and merge.unmerge_reason == "twins"


def test_a_wrong_mrn_is_named_on_the_merge_form(client_as, make_patient):
    from medoffice.patients.models import mrn_from_sequence

    keep = make_patient()
    client = client_as("office_manager")
    url = reverse("patient_merge", args=[keep.pk])
    unused = mrn_from_sequence(7_000_000)
    page = client.post(url, {"other_mrn": unused, "keep": "this", "reason": "x"})
    assert "No record has this MRN" in text(page)
    typo = client.post(url, {"other_mrn": unused[:-1] + "x", "keep": "this", "reason": "x"})
    assert "8 digits" in text(typo)


def test_the_front_desk_cannot_merge(client_as, make_patient):
    keep = make_patient()
    client = client_as("front_desk")
    assert client.get(reverse("patient_merge", args=[keep.pk])).status_code == 403
    assert client.post(reverse("patient_unmerge", args=[1])).status_code == 403


def test_a_malformed_phone_shows_together_with_missing_fields(client_as):
    page = client_as("front_desk").post(
        reverse("patient_create"), {**FORM_DATA, "last_name": "", "phone_mobile": "555-0150"}
    )
    errors = page.context["form"].errors
    assert errors["last_name"] == ["Enter the last name."]
    assert "10-digit phone number" in errors["phone_mobile"][0]
