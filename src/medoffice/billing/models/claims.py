"""Claims: a visit's charges billed to one payer, their lines as sent, and every status change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from medoffice.billing.models.charges import Charge
from medoffice.billing.models.fees import MODIFIERS_FIELD, PROCEDURE_CODE_FIELD
from medoffice.core.models import PLACE_OF_SERVICE_CHOICES
from medoffice.patients.models import Coverage, Patient, Payer
from medoffice.scheduling.models import Provider


class Claim(models.Model):
    """A bill for one visit's charges to one payer (primary, secondary or tertiary).

    A claim keeps its own copy of what it bills (header fields, diagnoses and
    :class:`ClaimLine` rows), taken from the charges when it is built and
    refreshed while it has not left the office; once sent it never changes, and
    a correction goes out as a replacement claim (frequency 7) or a void (8)
    naming the payer's number for the original. ``status`` changes only through
    :mod:`medoffice.billing.services.claims`, which writes a :class:`ClaimEvent`.
    ``patient_control_number`` (CLM01) is unique: acknowledgements and
    remittances name the claim by it.
    """

    DRAFT = "draft"
    SCRUBBED = "scrubbed"
    READY = "ready"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PAID = "paid"
    DENIED = "denied"
    PARTLY_PAID = "partly_paid"
    CLOSED = "closed"
    STATUS_CHOICES = [
        (DRAFT, "Draft"),
        (SCRUBBED, "Scrubbed"),
        (READY, "Ready to send"),
        (SUBMITTED, "Submitted"),
        (ACCEPTED, "Accepted"),
        (REJECTED, "Rejected"),
        (PAID, "Paid"),
        (DENIED, "Denied"),
        (PARTLY_PAID, "Partly paid"),
        (CLOSED, "Closed"),
    ]
    STATUS_LABELS = dict(STATUS_CHOICES)
    # Where each status may go next (the one door is services.claims.move_claim).
    TRANSITIONS: dict[str, tuple[str, ...]] = {
        DRAFT: (SCRUBBED, CLOSED),
        SCRUBBED: (READY, DRAFT, SCRUBBED, CLOSED),
        READY: (SUBMITTED, DRAFT, SCRUBBED, CLOSED),
        SUBMITTED: (ACCEPTED, REJECTED),
        ACCEPTED: (PAID, DENIED, PARTLY_PAID, CLOSED),
        REJECTED: (DRAFT, CLOSED),
        # Back to ACCEPTED: the payer reversed its payment or denial (835 CLP02 = 22).
        PAID: (CLOSED, ACCEPTED),
        DENIED: (CLOSED, PAID, PARTLY_PAID, ACCEPTED),
        PARTLY_PAID: (PAID, CLOSED, ACCEPTED),
        CLOSED: (),
    }
    UNSENT = (DRAFT, SCRUBBED, READY)
    IN_FLIGHT = (SUBMITTED, ACCEPTED)
    ADJUDICATED = (ACCEPTED, PAID, DENIED, PARTLY_PAID)

    ORIGINAL, REPLACEMENT, VOID = "1", "7", "8"
    FREQUENCY_CHOICES = [
        (ORIGINAL, "1 Original"),
        (REPLACEMENT, "7 Replacement of a prior claim"),
        (VOID, "8 Void of a prior claim"),
    ]

    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="claims")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="claims")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="claims")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="claims")
    payer_order = models.PositiveSmallIntegerField(choices=Coverage.ORDER_CHOICES)
    status = models.CharField(max_length=12, choices=STATUS_CHOICES, default=DRAFT)
    frequency_code = models.CharField(max_length=1, choices=FREQUENCY_CHOICES, default=ORIGINAL)
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    original_payer_claim_number = models.CharField(max_length=50, blank=True)
    payer_claim_number = models.CharField(
        max_length=50, blank=True, help_text="The payer's number for this claim (ICN)."
    )
    patient_control_number = models.CharField(max_length=20, unique=True)
    date_of_service = models.DateField()
    place_of_service = models.CharField(max_length=2, choices=PLACE_OF_SERVICE_CHOICES, blank=True)
    rendering_provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    billing_provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    referring_name = models.CharField(max_length=95, blank=True)
    referring_npi = models.CharField(max_length=10, blank=True)
    prior_authorization = models.CharField(max_length=50, blank=True)
    diagnosis_codes = models.CharField(
        max_length=120, blank=True, help_text="Comma-separated, in pointer order."
    )
    total_charge = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    scrubbed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date_of_service", "-pk"]
        indexes = [
            models.Index(fields=["status", "date_of_service"], name="billing_claim_status_dos"),
            models.Index(fields=["payer", "status"], name="billing_claim_payer_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "draft",
                        "scrubbed",
                        "ready",
                        "submitted",
                        "accepted",
                        "rejected",
                        "paid",
                        "denied",
                        "partly_paid",
                        "closed",
                    ]
                ),
                name="billing_claim_status_known",
            ),
            models.CheckConstraint(
                condition=Q(frequency_code="1", original__isnull=True)
                | (
                    Q(frequency_code__in=["7", "8"], original__isnull=False)
                    & ~Q(original_payer_claim_number="")
                ),
                name="billing_claim_correction_names_original",
                violation_error_message=(
                    "A replacement or void names the original claim and the payer's number for it."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.patient_control_number}"

    @property
    def diagnoses(self) -> list[str]:
        return [c for c in self.diagnosis_codes.split(",") if c]

    @property
    def status_label(self) -> str:
        return self.STATUS_LABELS.get(self.status, self.status)

    @property
    def is_unsent(self) -> bool:
        return self.status in self.UNSENT


class ClaimLine(models.Model):
    """One service line of a claim as billed (SV1): a copy of a charge line."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=5, validators=[PROCEDURE_CODE_FIELD])
    modifiers = models.CharField(max_length=11, blank=True, validators=[MODIFIERS_FIELD])
    units = models.PositiveIntegerField(default=1)
    charge_amount = models.DecimalField(max_digits=12, decimal_places=2)
    diagnosis_pointers = models.CharField(max_length=11, blank=True)
    date_of_service = models.DateField()

    class Meta:
        ordering = ["claim_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "line_number"], name="billing_claimline_no"),
        ]

    def __str__(self) -> str:
        return f"{self.line_number}: {self.code} {self.modifiers}".strip()

    @property
    def pointers(self) -> list[int]:
        return [int(p) for p in self.diagnosis_pointers.split(",") if p]


class ClaimEvent(models.Model):
    """One change of a claim: who, when, from which status to which, and why (append-only)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["claim_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.from_status or '—'} → {self.to_status}"
