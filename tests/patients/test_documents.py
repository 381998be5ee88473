"""Card and ID scans: only real JPEG, PNG or PDF files, stored privately, opened with a log."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from medoffice.core.models import AccessLogEntry
from medoffice.patients.errors import FieldErrors
from medoffice.patients.models import PatientDocument
from medoffice.patients.services.documents import MAX_DOCUMENT_BYTES, upload_document
from tests.patients.conftest import JPEG, PDF, PNG

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(JPEG, "image/jpeg"), (PNG, "image/png"), (PDF, "application/pdf")],
)
def test_cards_are_stored_under_a_random_name_outside_the_web_root(
    make_patient, make_document, media_root, content, content_type
):
    patient = make_patient()
    document = make_document(patient, content=content, name="maria lopez card.jpg")

    assert document.content_type == content_type  # from the bytes, not the name
    assert document.size == len(content)
    stored = Path(document.file.path)
    assert stored.is_file() and stored.read_bytes() == content
    assert media_root in stored.parents
    assert "maria" not in stored.name and "lopez" not in stored.name
    assert document.original_name == "maria lopez card.jpg"
    static_roots = [Path(settings.STATIC_ROOT), Path(settings.PACKAGE_DIR)]
    assert not any(root in stored.parents for root in static_roots)
    entry = AccessLogEntry.objects.get(object_type="document")
    assert (entry.action, entry.patient_id) == ("create", patient.pk)


@pytest.mark.parametrize(
    ("content", "name", "code", "words"),
    [
        (b"<html><script>alert(1)</script></html>", "card.jpg", "file_type", "JPEG or PNG"),
        (b"GIF89a" + b"\x00" * 50, "card.gif", "file_type", "JPEG or PNG"),
        (b"", "card.jpg", "invalid", "empty"),
    ],
)
def test_anything_but_a_picture_or_pdf_is_refused(
    make_patient, make_user, media_root, content, name, code, words
):
    with pytest.raises(FieldErrors) as caught:
        upload_document(
            actor=make_user("front_desk"),
            patient=make_patient(),
            kind="photo_id",
            upload=SimpleUploadedFile(name, content),
        )
    assert (caught.value.field, caught.value.code) == ("file", code)
    assert words in caught.value.message
    assert not PatientDocument.objects.exists()
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_a_file_over_10_mb_is_refused(make_patient, make_user, media_root):
    big = SimpleUploadedFile("scan.pdf", PDF + b"\x00" * MAX_DOCUMENT_BYTES)
    with pytest.raises(FieldErrors) as caught:
        upload_document(
            actor=make_user("front_desk"), patient=make_patient(), kind="other", upload=big
        )
    assert caught.value.code == "file_too_big"
    assert "10.0 MB" in caught.value.message


def test_uploading_from_the_patient_page(client_as, make_patient, media_root):
    patient = make_patient()
    client = client_as("front_desk")
    url = reverse("document_upload", args=[patient.pk])

    bad = client.post(url, {"kind": "photo_id", "file": SimpleUploadedFile("x.jpg", b"hello")})
    assert bad.status_code == 200
    assert "JPEG or PNG picture or a PDF" in bad.content.decode()

    done = client.post(url, {"kind": "photo_id", "file": SimpleUploadedFile("id.png", PNG)})
    assert done.status_code == 302
    page = client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert "Photo ID" in page and "PNG image" in page


def test_roles_that_only_view_cannot_upload(client_as, make_patient, media_root):
    patient = make_patient()
    response = client_as("medical_assistant").post(
        reverse("document_upload", args=[patient.pk]),
        {"kind": "photo_id", "file": SimpleUploadedFile("id.png", PNG)},
    )
    assert response.status_code == 403
    assert not PatientDocument.objects.exists()


def test_download_checks_permission_and_writes_the_access_log(
    client, client_as, make_patient, make_document
):
    patient = make_patient()
    document = make_document(patient, content=PDF)
    url = reverse("document_download", args=[document.pk])
    before = AccessLogEntry.objects.count()  # the upload's own row

    assert client.get(url).status_code == 302  # anonymous: sign in first
    assert client_as("auditor").get(url).status_code == 403
    assert AccessLogEntry.objects.count() == before

    response = client_as("medical_assistant").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PDF
    entry = AccessLogEntry.objects.order_by("position").last()
    assert AccessLogEntry.objects.count() == before + 1
    assert (entry.action, entry.object_type, entry.object_id, entry.patient_id) == (
        "view",
        "document",
        str(document.pk),
        patient.pk,
    )
    attachment = client.get(url, {"download": "1"})
    assert attachment["Content-Disposition"].startswith("attachment")


def test_the_stored_file_is_not_reachable_by_its_path(client_as, make_patient, make_document):
    document = make_document(make_patient())
    client = client_as("front_desk")
    for guess in (
        f"/{document.file.name}",
        f"/media/{document.file.name}",
        f"/static/{document.file.name}",
    ):
        assert client.get(guess).status_code == 404


def test_an_unknown_document_is_a_404(client_as, db):
    response = client_as("front_desk").get(reverse("document_download", args=[12345]))
    assert response.status_code == 404
