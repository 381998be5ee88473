"""The Django admin pages for patients and coverages (used by administrators)."""

from __future__ import annotations

import pytest


@pytest.fixture
def superuser_client(client, make_user):
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    return client


def test_coverages_are_found_by_member_id_however_it_is_typed(superuser_client, make_coverage):
    wanted = make_coverage(member_id="PHP987654321")
    wanted.patient.last_name = "Quill"
    wanted.patient.save()
    make_coverage(member_id="PHP111111111")

    page = superuser_client.get("/admin/patients/coverage/", {"q": "php-987 654 321"})

    assert page.status_code == 200
    assert "Quill" in page.content.decode()
    assert "1 result" in page.content.decode()


def test_patient_pages_open(superuser_client, make_coverage):
    coverage = make_coverage()

    assert superuser_client.get("/admin/patients/patient/").status_code == 200
    change = superuser_client.get(f"/admin/patients/patient/{coverage.patient.pk}/change/")
    assert change.status_code == 200
    assert "PHP123456789" in change.content.decode()  # the inline shows the plain member id


def test_opening_a_patient_in_the_admin_writes_the_access_log(superuser_client, make_coverage):
    from medoffice.core.audit import verify_chain
    from medoffice.core.models import AccessLogEntry

    coverage = make_coverage()
    patient = coverage.patient

    superuser_client.get(f"/admin/patients/patient/{patient.pk}/change/")
    superuser_client.get(f"/admin/patients/coverage/{coverage.pk}/change/")
    superuser_client.get(f"/admin/patients/patient/{patient.pk}/history/")
    superuser_client.get("/admin/patients/patient/", {"q": "Quill"})

    rows = list(AccessLogEntry.objects.values_list("object_type", "patient_id", "action"))
    assert rows == [
        ("patient", patient.pk, "view"),
        ("coverage", patient.pk, "view"),
        ("patient", patient.pk, "view"),
        ("patient list", None, "view"),
    ]
    assert AccessLogEntry.objects.last().detail == "admin search: Quill"
    assert verify_chain().ok


def test_a_missing_patient_in_the_admin_logs_nothing(superuser_client, db):
    from medoffice.core.models import AccessLogEntry

    superuser_client.get("/admin/patients/patient/999999/change/")
    assert AccessLogEntry.objects.count() == 0


def test_documents_and_merges_are_listed_read_only(superuser_client, make_document, make_patient):
    document = make_document(make_patient())
    listing = superuser_client.get("/admin/patients/patientdocument/")
    assert listing.status_code == 200
    page = superuser_client.get(f"/admin/patients/patientdocument/{document.pk}/change/")
    assert page.status_code == 200
    assert document.file.name not in page.content.decode()  # no link around the private storage
    assert superuser_client.get("/admin/patients/patientdocument/add/").status_code == 403
    assert superuser_client.get("/admin/patients/patientmerge/").status_code == 200
