"""Claim batches: the 837P files the office sends, their control numbers, and how to send them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from medoffice.billing.models.claims import Claim
from medoffice.patients.models import Payer

X12_ID = RegexValidator(r"^[A-Za-z0-9 ]{1,15}$", "Up to 15 letters, digits or spaces.")


class SubmissionSettings(models.Model):
    """How the office's 837P files are addressed: the clearinghouse's ids for us and for
    itself (ISA/GS, 1000A/1000B), a contact for questions, and whether files are tests.

    One row (the first is used). ``zip_plus_four`` completes the practice's
    billing ZIP when it has only 5 digits: the 837P needs all 9 for the
    billing provider.
    """

    sender_id = models.CharField(
        "our id at the clearinghouse (ISA06)", max_length=15, validators=[X12_ID]
    )
    sender_qualifier = models.CharField(max_length=2, default="ZZ")
    receiver_id = models.CharField(
        "the clearinghouse's id (ISA08)", max_length=15, validators=[X12_ID]
    )
    receiver_qualifier = models.CharField(max_length=2, default="ZZ")
    receiver_name = models.CharField("clearinghouse name", max_length=60)
    submitter_id = models.CharField("submitter id (ETIN)", max_length=80)
    contact_name = models.CharField(max_length=60)
    contact_phone = models.CharField(max_length=10, help_text="10 digits.")
    zip_plus_four = models.CharField(
        "billing ZIP+4 (last 4)",
        max_length=4,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{4}$", "Four digits.")],
    )
    test_files = models.BooleanField("send as test files (usage T)", default=False)

    class Meta:
        verbose_name_plural = "submission settings"

    def __str__(self) -> str:
        return f"837P to {self.receiver_name}"


class ControlNumber(models.Model):
    """The last control number used of one kind (interchange, group, transaction):
    taken under a row lock, so no number is ever used twice."""

    name = models.CharField(max_length=20, unique=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last}"


class ClaimBatch(models.Model):
    """One 837P file made from ready claims: its control numbers, its text, and its claims.

    The text is kept exactly as made, so a download is what was sent; the
    control numbers are unique (a 999 acknowledgement quotes them back).
    """

    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    payer = models.ForeignKey(
        Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Only this payer's claims, if chosen.",
    )  # fmt: skip
    interchange_control_number = models.PositiveIntegerField(unique=True)
    group_control_number = models.PositiveIntegerField(unique=True)
    transaction_control_number = models.CharField(max_length=9, unique=True)
    usage = models.CharField(max_length=1, default="P")
    claims = models.ManyToManyField(Claim, related_name="batches")
    claim_count = models.PositiveIntegerField(default=0)
    total_charge = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    text = models.TextField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Batch {self.interchange_control_number:09d}"

    @property
    def file_name(self) -> str:
        return f"837P-{self.interchange_control_number:09d}.txt"
