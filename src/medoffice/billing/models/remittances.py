"""Remittances (X12 835) as imported and posted, and the denials they leave to work.

One :class:`RemittanceFile` is one imported file (its SHA-256 is unique, so
the same file never posts twice); it holds one :class:`Remittance` per 835
transaction (one check or EFT), which explains :class:`ClaimPayment` rows
(CLP), their :class:`LinePayment` rows (SVC) and :class:`RemitAdjustment`
rows (CAS), plus :class:`ProviderAdjustment` rows (PLB). A claim payment that
names no claim of ours stays unmatched (``claim`` empty) in a work queue until
someone matches or dismisses it. The money itself is in the ledger
(:mod:`medoffice.billing.models.ledger`); these rows say where it came from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from medoffice.billing.models.claims import Claim, ClaimLine
from medoffice.patients.models import Payer

MONEY = {"max_digits": 12, "decimal_places": 2}


class RemittanceFile(models.Model):
    """One imported 835 file, kept as received, with the posting report."""

    sha256 = models.CharField(max_length=64, unique=True)
    filename = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    report = models.TextField(blank=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return self.filename or f"835 file {self.pk}"


class Remittance(models.Model):
    """One payment (835 transaction): a check or EFT from a payer, and what it covers."""

    file = models.ForeignKey(RemittanceFile, on_delete=models.PROTECT, related_name="remittances")
    payer = models.ForeignKey(
        Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="remittances"
    )
    payer_name = models.CharField(max_length=60, blank=True)
    payer_identifier = models.CharField(max_length=80, blank=True)
    trace_number = models.CharField(max_length=50, blank=True, db_index=True)
    method = models.CharField(max_length=3, blank=True)
    payment_date = models.DateField(null=True, blank=True)
    total_paid = models.DecimalField(**MONEY)
    claims_paid = models.DecimalField(**MONEY)
    provider_adjusted = models.DecimalField(default=0, **MONEY)
    posted_on = models.DateField(help_text="The accounting day the payment was posted on.")
    claim_count = models.PositiveIntegerField(default=0)
    matched_count = models.PositiveIntegerField(default=0)
    reconciled = models.BooleanField(
        default=False, help_text="Claims paid less provider adjustments equals the payment."
    )

    class Meta:
        ordering = ["-payment_date", "-pk"]

    def __str__(self) -> str:
        return f"{self.payer_name} {self.trace_number} {self.total_paid}"


class ClaimPayment(models.Model):
    """One claim's adjudication (CLP) in a remittance, matched to our claim when we can."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="claims")
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    patient_control_number = models.CharField(max_length=38, db_index=True)
    status_code = models.CharField(max_length=2)
    charge = models.DecimalField(**MONEY)
    paid = models.DecimalField(**MONEY)
    patient_responsibility = models.DecimalField(default=0, **MONEY)
    payer_claim_number = models.CharField(max_length=50, blank=True)
    patient_name = models.CharField(max_length=80, blank=True)
    member_id = models.CharField(max_length=80, blank=True)
    remark_codes = models.CharField(max_length=120, blank=True)
    posted = models.BooleanField(default=False)
    # The unmatched work queue: someone matched it by hand, or dismissed it.
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    resolution_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["remittance_id", "pk"]

    def __str__(self) -> str:
        return f"{self.patient_control_number}: paid {self.paid}"

    @property
    def is_reversal(self) -> bool:
        return self.status_code == "22"

    @property
    def is_denied(self) -> bool:
        return self.status_code == "4"


class LinePayment(models.Model):
    """One service line's adjudication (SVC), with what the contract says it should pay."""

    claim_payment = models.ForeignKey(ClaimPayment, on_delete=models.CASCADE, related_name="lines")
    claim_line = models.ForeignKey(
        ClaimLine, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    code = models.CharField(max_length=48)
    modifiers = models.CharField(max_length=11, blank=True)
    units = models.DecimalField(max_digits=9, decimal_places=2, default=1)
    service_date = models.DateField(null=True, blank=True)
    charge = models.DecimalField(**MONEY)
    paid = models.DecimalField(**MONEY)
    allowed = models.DecimalField(null=True, blank=True, **MONEY)
    patient_responsibility = models.DecimalField(default=0, **MONEY)
    contracted_amount = models.DecimalField(
        null=True, blank=True, help_text="The payer's allowed amount in our fee schedule.",
        **MONEY,
    )  # fmt: skip
    remark_codes = models.CharField(max_length=120, blank=True)
    line_control_number = models.CharField(
        max_length=50, blank=True,
        help_text="REF*6R: our line item control number as the payer sent it back.",
    )  # fmt: skip

    class Meta:
        ordering = ["claim_payment_id", "pk"]

    def __str__(self) -> str:
        return f"{self.code}: paid {self.paid} of {self.charge}"

    @property
    def underpaid_by(self):
        """What the payer paid short of the contract (0 when paid as agreed or no contract)."""
        if self.contracted_amount is None:
            return 0
        short = self.contracted_amount - self.patient_responsibility - self.paid
        return short if short > 0 else 0


class RemitAdjustment(models.Model):
    """One CAS reason: on a whole claim (``line`` empty) or on one service line."""

    claim_payment = models.ForeignKey(
        ClaimPayment, on_delete=models.CASCADE, related_name="adjustments"
    )
    line = models.ForeignKey(
        LinePayment, null=True, blank=True, on_delete=models.CASCADE, related_name="adjustments"
    )
    group = models.CharField(max_length=2)
    reason = models.CharField(max_length=5)
    amount = models.DecimalField(**MONEY)
    quantity = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["claim_payment_id", "pk"]

    def __str__(self) -> str:
        return f"{self.group}-{self.reason} {self.amount}"


class ProviderAdjustment(models.Model):
    """PLB: money added to or taken from a payment, not tied to one claim."""

    remittance = models.ForeignKey(
        Remittance, on_delete=models.CASCADE, related_name="provider_adjustments"
    )
    provider_identifier = models.CharField(max_length=50, blank=True)
    fiscal_period_end = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=2)
    reference = models.CharField(max_length=50, blank=True)
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["remittance_id", "pk"]

    def __str__(self) -> str:
        return f"PLB {self.reason} {self.amount}"


class Denial(models.Model):
    """A claim (or one line of it) the payer refused to pay, to be worked.

    Opened by posting when a claim comes back denied (CLP02 = 4) or a line
    pays nothing for a reason other than the patient's share. Closed by one
    of the work queue's actions, each leaving who, when and how.
    """

    OPEN = "open"
    RESUBMITTED = "resubmitted"
    APPEALED = "appealed"
    WRITTEN_OFF = "written_off"
    TO_PATIENT = "to_patient"
    RESOLVED = "resolved"
    STATUS_CHOICES = [
        (OPEN, "Open"),
        (RESUBMITTED, "Corrected and resubmitted"),
        (APPEALED, "Appealed"),
        (WRITTEN_OFF, "Written off"),
        (TO_PATIENT, "Moved to the patient"),
        (RESOLVED, "Resolved"),
    ]
    CLOSED = (RESUBMITTED, WRITTEN_OFF, TO_PATIENT, RESOLVED)

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="denials")
    claim_payment = models.ForeignKey(
        ClaimPayment, on_delete=models.PROTECT, related_name="denials"
    )
    line = models.ForeignKey(
        LinePayment, null=True, blank=True, on_delete=models.PROTECT, related_name="denials"
    )
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="denials")
    group = models.CharField(max_length=2, blank=True)
    reason_code = models.CharField(max_length=5, blank=True, db_index=True)
    remark_codes = models.CharField(max_length=120, blank=True)
    amount = models.DecimalField(**MONEY)
    denied_on = models.DateField()
    status = models.CharField(max_length=12, choices=STATUS_CHOICES, default=OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["denied_on", "pk"]
        indexes = [
            models.Index(fields=["status", "payer"], name="billing_denial_status_payer"),
        ]

    def __str__(self) -> str:
        return f"Denial {self.group}-{self.reason_code} on {self.claim}"


class WriteOffRequest(models.Model):
    """A write-off asked for; above the policy's threshold it waits for approval."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    STATUS_CHOICES = [
        (PENDING, "Waiting for approval"),
        (APPROVED, "Approved"),
        (REFUSED, "Refused"),
    ]

    denial = models.ForeignKey(
        Denial, null=True, blank=True, on_delete=models.PROTECT, related_name="write_offs"
    )
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="write_offs"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="write_offs"
    )
    payer = models.ForeignKey(
        Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Whose balance is written off; empty for the patient's.",
    )  # fmt: skip
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=8, choices=STATUS_CHOICES, default=PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"Write-off {self.amount} ({self.get_status_display()})"
