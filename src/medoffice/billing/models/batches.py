"""Claim batches: the 837P files the office sends, their control numbers, and how to send them."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from medoffice.billing.models.claims import Claim
from medoffice.core.crypto import EncryptedTextField
from medoffice.patients.models import Payer

X12_ID = RegexValidator(r"^[A-Za-z0-9 ]{1,15}$", "Up to 15 letters, digits or spaces.")


class SubmissionSettings(models.Model):
    """How the office's 837P files are addressed: the clearinghouse's ids for us and for
    itself (ISA/GS, 1000A/1000B), a contact for questions, and whether files are tests;
    and how they are delivered: into an outbox folder or to the clearinghouse over SFTP.

    One row (the first is used). ``zip_plus_four`` completes the practice's
    billing ZIP when it has only 5 digits: the 837P needs all 9 for the
    billing provider. The SFTP password and private key are encrypted at rest
    (the field keys, as for member ids); the server's host key is pinned by
    its SHA256 fingerprint and a server showing another key is refused.
    """

    OUTBOX = "outbox"
    SFTP = "sftp"
    DELIVERY_CHOICES = [(OUTBOX, "Outbox folder"), (SFTP, "SFTP to the clearinghouse")]

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
    delivery = models.CharField(
        "how batches are delivered", max_length=6, choices=DELIVERY_CHOICES, default=OUTBOX
    )
    outbox_path = models.CharField(
        "outbox folder",
        max_length=500,
        blank=True,
        help_text="Where batch files are written; empty for the data folder's 'outbox'.",
    )
    sftp_host = models.CharField("SFTP host", max_length=255, blank=True)
    sftp_port = models.PositiveIntegerField(
        "SFTP port", default=22, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    sftp_username = models.CharField("SFTP user name", max_length=100, blank=True)
    sftp_password = EncryptedTextField("SFTP password", blank=True)
    sftp_private_key = EncryptedTextField(
        "SFTP private key",
        blank=True,
        help_text="An unencrypted OpenSSH or PEM private key, if the clearinghouse uses keys.",
    )
    sftp_directory = models.CharField(
        "SFTP remote folder", max_length=255, blank=True, help_text="Empty for the login folder."
    )
    sftp_host_key_fingerprint = models.CharField(
        "SFTP host key fingerprint",
        max_length=100,
        blank=True,
        validators=[
            RegexValidator(
                r"^SHA256:[A-Za-z0-9+/]{43}=?$",
                "The server's SHA256 fingerprint, as 'SHA256:' and 43 characters.",
            )
        ],
        help_text="The clearinghouse's host key fingerprint (SHA256:...); any other key is "
        "refused.",
    )

    class Meta:
        verbose_name_plural = "submission settings"

    def __str__(self) -> str:
        return f"837P to {self.receiver_name}"

    def outbox_folder(self) -> Path:
        if self.outbox_path.strip():
            return Path(self.outbox_path.strip())
        return Path(settings.DATA_DIR) / "outbox"


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
    # Delivery: the last successful send, and the attempts and last failure.
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    destination = models.CharField(max_length=600, blank=True)
    send_queued_at = models.DateTimeField(null=True, blank=True)
    send_attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # The clearinghouse's 999 verdict on the file, once imported.
    acknowledgement = models.CharField(max_length=100, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Batch {self.interchange_control_number:09d}"

    @property
    def delivery_status(self) -> str:
        """As the batches page says it: 'waiting to be sent', 'not delivered: <reason>',
        'sent' or 'not sent yet'."""
        last = self.last_attempt_at
        if self.send_queued_at is not None and (last is None or self.send_queued_at > last):
            return "waiting to be sent"
        if self.last_error:
            return f"not delivered: {self.last_error}"
        if self.sent_at is not None:
            return "sent"
        return "not sent yet"

    @property
    def delivered(self) -> bool:
        return self.delivery_status == "sent"

    @property
    def file_name(self) -> str:
        return f"837P-{self.interchange_control_number:09d}.txt"
