"""The fee schedule: what the office charges for each service, and what each payer allows."""

from __future__ import annotations

import datetime as dt

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from medoffice.patients.models import Payer

PROCEDURE_CODE_FIELD = RegexValidator(
    r"^(?:\d{5}|\d{4}[FT]|[A-V]\d{4})$",
    "Use a CPT code (5 digits, or 4 digits and F or T) or a HCPCS code (a letter and 4 digits).",
)
MODIFIERS_FIELD = RegexValidator(
    r"^(?:[A-Z0-9]{2}(?: [A-Z0-9]{2}){0,3})?$",
    "Up to 4 modifiers of 2 letters or digits, separated by spaces (25 59).",
)


class Service(models.Model):
    """A line of the practice's service list: a CPT/HCPCS code (with its modifiers) it bills.

    ``description`` is the office's own short wording (never a licensed
    descriptor); ``standard_charge`` is the price per unit before any payer's
    contract; ``rvus`` (total relative value units) is optional. Inactive
    services stay on old charges but cannot be entered on new ones.
    """

    code = models.CharField(max_length=5, validators=[PROCEDURE_CODE_FIELD])
    modifiers = models.CharField(max_length=11, blank=True, validators=[MODIFIERS_FIELD])
    description = models.CharField(max_length=80)
    standard_charge = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    rvus = models.DecimalField("RVUs", max_digits=7, decimal_places=2, null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code", "modifiers"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "modifiers"],
                name="billing_service_code_modifiers_unique",
                violation_error_message="This code with these modifiers is already listed.",
            ),
            models.CheckConstraint(
                condition=Q(standard_charge__gte=0),
                name="billing_service_charge_not_negative",
                violation_error_message="The standard charge cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} — {self.description}"

    @property
    def label(self) -> str:
        return f"{self.code}-{self.modifiers.replace(' ', '-')}" if self.modifiers else self.code


class PayerFee(models.Model):
    """What one payer's contract allows for one service, from ``effective_date`` to ``end_date``.

    ``end_date`` is the last day (inclusive), or empty for open-ended. Two rows
    for the same payer and service never overlap in time: the services refuse
    it, and on PostgreSQL an exclusion constraint does too.
    """

    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="fees")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="payer_fees")
    allowed_amount = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    effective_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Last day; empty if open.")

    class Meta:
        ordering = ["payer__name", "service__code", "service__modifiers", "effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "service", "effective_date"],
                name="billing_payerfee_one_per_start",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("effective_date")),
                name="billing_payerfee_end_not_before_start",
                violation_error_message="The end date cannot be before the effective date.",
            ),
            models.CheckConstraint(
                condition=Q(allowed_amount__gte=0),
                name="billing_payerfee_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer} · {self.service.label} · {self.allowed_amount}"

    def covers(self, day: dt.date) -> bool:
        return self.effective_date <= day and (self.end_date is None or day <= self.end_date)
