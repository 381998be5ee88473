"""Acknowledgement files the office imported (999 and 277CA): each kept once, with its report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AcknowledgementFile(models.Model):
    """One imported 999 or 277CA file: its text as received, what it changed, and who
    imported it. ``sha256`` is unique, so the same file imported again changes nothing."""

    KIND_999 = "999"
    KIND_277 = "277"
    KIND_CHOICES = [
        (KIND_999, "999 implementation acknowledgment"),
        (KIND_277, "277CA claim acknowledgment"),
    ]

    sha256 = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=3, choices=KIND_CHOICES)
    filename = models.CharField(max_length=255, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    unknown_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    report = models.TextField(blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename or self.sha256[:12]}"
