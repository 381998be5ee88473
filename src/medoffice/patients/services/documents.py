"""Storing a scanned insurance card, photo ID or other document for a patient."""

from __future__ import annotations

from pathlib import PurePath

from django.db import transaction

from medoffice.core.audit import CREATE, record_access
from medoffice.patients import errors
from medoffice.patients.models import Patient, PatientDocument
from medoffice.patients.services.patients import locked_patient

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# What a file's first bytes say it is: (signature, content type, file suffix).
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)


def sniff_content_type(head: bytes) -> tuple[str, str] | None:
    """(content type, suffix) from a file's first bytes, or None if it is none we take."""
    for signature, content_type, suffix in SIGNATURES:
        if head.startswith(signature):
            return content_type, suffix
    return None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


@transaction.atomic
def upload_document(
    *, actor, patient: Patient, kind: str, upload, ip_address: str = ""
) -> PatientDocument:
    """Keep ``upload`` (a Django UploadedFile or File) as one of the patient's documents.

    Only JPEG, PNG and PDF files up to 10 MB are taken, judged by their
    contents. The stored file gets a random name under MEDIA_ROOT.
    """
    if kind not in dict(PatientDocument.KIND_CHOICES):
        raise errors.invalid("Choose what the document is (card front or back, ID, other).", "kind")
    if upload is None:
        raise errors.invalid("Choose a file to upload.", "file")
    size = upload.size or 0
    if size == 0:
        raise errors.invalid("The file is empty; scan the card again.", "file")
    if size > MAX_DOCUMENT_BYTES:
        raise errors.invalid(
            f"The file is {_megabytes(size)}; the limit is {_megabytes(MAX_DOCUMENT_BYTES)}. "
            "Scan at a lower resolution or save it as a JPEG.",
            "file",
            code=errors.FILE_TOO_BIG,
        )
    upload.seek(0)
    found = sniff_content_type(upload.read(16))
    upload.seek(0)
    if found is None:
        raise errors.invalid(
            "Upload a JPEG or PNG picture or a PDF; this file is none of these "
            "(its contents were checked, not its name).",
            "file",
            code=errors.FILE_TYPE,
        )
    content_type, suffix = found
    patient = locked_patient(patient.pk)
    document = PatientDocument(
        patient=patient,
        kind=kind,
        content_type=content_type,
        size=size,
        original_name=PurePath(getattr(upload, "name", "") or "").name[:255],
        uploaded_by=actor,
    )
    document.file.save(f"scan{suffix}", upload, save=False)
    try:
        document.save()
        record_access(
            user=actor,
            action=CREATE,
            object_type="document",
            object_id=document.pk,
            patient_id=patient.pk,
            ip_address=ip_address,
            detail=document.get_kind_display(),
        )
    except BaseException:
        document.file.delete(save=False)  # no file without its row
        raise
    return document
