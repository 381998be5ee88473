"""What the office keeps beside a patient's record: merges of duplicates, scanned documents."""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone

from medoffice.patients.models.patients import Patient


class PatientMerge(models.Model):
    """One duplicate record folded into the surviving one, kept so it can be undone.

    ``moved_rows`` lists every row that pointed at the duplicate and now points
    at the survivor, as ``{"model": "app_label.model", "field": "patient", "pk": 12}``;
    ``kept_rows`` the rows left on the duplicate (the same policy already on
    the survivor). Unmerging moves exactly the moved rows back.
    """

    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_kept")
    duplicate = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_folded")
    reason = models.CharField(max_length=200)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    duplicate_was_active = models.BooleanField(default=True)
    moved_rows = models.JSONField(default=list)
    kept_rows = models.JSONField(default=list)
    unmerged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unmerged_at = models.DateTimeField(null=True, blank=True)
    unmerge_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-merged_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.duplicate.mrn} merged into {self.survivor.mrn}"

    @property
    def undone(self) -> bool:
        return self.unmerged_at is not None


def document_path(instance: PatientDocument, filename: str) -> str:
    """A random file name under MEDIA_ROOT: nothing in it says whose document it is."""
    suffix = PurePosixPath(filename).suffix.lower()[:5]
    return f"patient-documents/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{suffix}"


class PatientDocument(models.Model):
    """A scanned insurance card (front or back), photo ID or other paper the patient brought.

    The file lives under ``MEDIA_ROOT`` (outside anything the web server
    serves) and is handed out only by the download view, which checks
    permission and writes the access log. ``content_type`` comes from the
    file's own first bytes, never from what the browser claimed.
    """

    CARD_FRONT = "insurance_card_front"
    CARD_BACK = "insurance_card_back"
    PHOTO_ID = "photo_id"
    OTHER = "other"
    KIND_CHOICES = [
        (CARD_FRONT, "Insurance card (front)"),
        (CARD_BACK, "Insurance card (back)"),
        (PHOTO_ID, "Photo ID"),
        (OTHER, "Other"),
    ]
    CONTENT_TYPE_CHOICES = [
        ("image/jpeg", "JPEG image"),
        ("image/png", "PNG image"),
        ("application/pdf", "PDF"),
    ]

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=24, choices=KIND_CHOICES)
    file = models.FileField(upload_to=document_path, max_length=200)
    original_name = models.CharField("file name", max_length=255, blank=True)
    content_type = models.CharField(max_length=20, choices=CONTENT_TYPE_CHOICES)
    size = models.PositiveIntegerField(help_text="Bytes.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["patient_id", "-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of patient {self.patient_id}"
