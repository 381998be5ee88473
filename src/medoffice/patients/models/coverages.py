"""Insurance coverages: which payer covers a patient, in which order, from when to when."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from medoffice.core.crypto import EncryptedTextField, identifier_hash
from medoffice.patients.models.identifiers import MEMBER_ID, mbi_ok
from medoffice.patients.models.patients import Patient, Payer


class Coverage(models.Model):
    """One insurance policy covering a patient, in a billing order (primary, secondary...).

    The member id is encrypted at rest; ``member_id_hash`` (a keyed hash of the
    normalised id) finds it exactly: set both with :meth:`set_member_id`, search
    with ``Coverage.objects.filter(member_id_hash=identifier_hash(typed))``.
    Patients who pay for themselves have no coverage, so no coverage names the
    self-pay payer. A coverage ends on ``end_date`` (inclusive) or is open-ended.
    """

    PRIMARY, SECONDARY, TERTIARY = 1, 2, 3
    ORDER_CHOICES = [(PRIMARY, "Primary"), (SECONDARY, "Secondary"), (TERTIARY, "Tertiary")]
    SELF = "self"
    RELATIONSHIP_CHOICES = [
        (SELF, "Self"),
        ("spouse", "Spouse"),
        ("child", "Child"),
        ("other", "Other"),
    ]
    # Individual relationship codes for the 837P SBR02 / PAT01 segments.
    X12_RELATIONSHIP = {SELF: "18", "spouse": "01", "child": "19", "other": "G8"}

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    order = models.PositiveSmallIntegerField(choices=ORDER_CHOICES, default=PRIMARY)
    member_id = EncryptedTextField(validators=[MEMBER_ID])
    member_id_hash = models.CharField(max_length=64, editable=False)
    group_number = models.CharField(max_length=50, blank=True)
    subscriber_relationship = models.CharField(
        "patient's relationship to the subscriber",
        max_length=6,
        choices=RELATIONSHIP_CHOICES,
        default=SELF,
    )
    subscriber_first_name = models.CharField(max_length=35, blank=True)
    subscriber_last_name = models.CharField(max_length=60, blank=True)
    subscriber_date_of_birth = models.DateField(null=True, blank=True)
    subscriber_sex = models.CharField(max_length=1, choices=Patient.SEX_CHOICES, blank=True)
    effective_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Last covered day; empty if open.")
    copay = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True,
        help_text="The office-visit copay on the card, collected at check-in; empty if none.",
    )  # fmt: skip

    class Meta:
        ordering = ["patient_id", "order", "-effective_date"]
        indexes = [models.Index(fields=["member_id_hash"], name="coverage_member_id_hash_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("effective_date")),
                name="coverage_end_not_before_effective",
                violation_error_message="The end date cannot be before the effective date.",
            ),
            models.CheckConstraint(
                condition=Q(order__in=[1, 2, 3]),
                name="coverage_order_1_to_3",
                violation_error_message="Order is 1 (primary), 2 (secondary) or 3 (tertiary).",
            ),
            models.CheckConstraint(
                condition=~Q(member_id_hash=""),
                name="coverage_member_id_hash_set",
                violation_error_message="Set the member id with set_member_id().",
            ),
            models.CheckConstraint(
                condition=Q(subscriber_relationship="self")
                | (
                    ~Q(subscriber_first_name="")
                    & ~Q(subscriber_last_name="")
                    & Q(subscriber_date_of_birth__isnull=False)
                ),
                name="coverage_subscriber_named",
                violation_error_message=(
                    "When the patient is not the subscriber, enter the subscriber's "
                    "name and date of birth."
                ),
            ),
            models.UniqueConstraint(
                fields=["patient", "order", "effective_date"],
                name="coverage_one_per_order_and_start",
                violation_error_message=(
                    "The patient already has a coverage in this order starting that day."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} — {self.payer} ({self.get_order_display().lower()})"

    def set_member_id(self, raw: str) -> None:
        """Store the member id as typed (trimmed) and its search hash."""
        self.member_id = raw.strip()
        self.member_id_hash = identifier_hash(self.member_id)

    def is_active_on(self, day: dt.date) -> bool:
        return self.effective_date <= day and (self.end_date is None or day <= self.end_date)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.member_id and self.member_id_hash != identifier_hash(self.member_id):
            self.member_id_hash = identifier_hash(self.member_id)
        payer = self.payer if self.payer_id else None
        if payer is not None and payer.kind == Payer.SELF_PAY:
            errors["payer"] = "Self-pay is not insurance: a self-pay patient has no coverage."
        medicare = payer is not None and payer.kind == Payer.MEDICARE
        if medicare and self.member_id and not mbi_ok(self.member_id):
            errors["member_id"] = (
                "A Medicare member id (MBI) has 11 characters such as 1EG4-TE5-MK73."
            )
        if self.subscriber_relationship != self.SELF:
            if not self.subscriber_first_name:
                errors["subscriber_first_name"] = "Enter the subscriber's first name."
            if not self.subscriber_last_name:
                errors["subscriber_last_name"] = "Enter the subscriber's last name."
            if not self.subscriber_date_of_birth:
                errors["subscriber_date_of_birth"] = "Enter the subscriber's date of birth."
        if self.end_date and self.effective_date and self.end_date < self.effective_date:
            errors["end_date"] = "The end date cannot be before the effective date."
        if errors:
            raise ValidationError(errors)
