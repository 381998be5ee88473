"""The books: every amount owed, paid, adjusted or moved, as append-only ledger entries.

A :class:`LedgerEntry` changes one balance: a payer's share of one visit
(``payer`` set) or the patient's own (``payer`` empty). Positive amounts add
to what is owed (a charge, a balance moved in), negative ones take from it (a
payment, a contractual adjustment, a write-off, a balance moved out). So:

* what a payer still owes on a visit = the sum of that visit's entries for that payer;
* what a patient owes = the sum of their entries with no payer (below zero: a credit).

Entries are never edited or deleted: a mistake is undone by a reversing entry
(``reverses``). ``posted_on`` is the accounting day; it always falls in an
open month (:class:`ClosedPeriod`): a correction of a closed month posts to
the first open one. Only :mod:`medoffice.billing.services.ledger` writes here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from medoffice.billing.models.charges import Charge
from medoffice.billing.models.claims import Claim, ClaimLine
from medoffice.patients.models import Patient, Payer

MONEY = {"max_digits": 12, "decimal_places": 2}


class ClosedPeriod(models.Model):
    """A closed accounting month: nothing may be posted on a day of it any more."""

    month = models.DateField(unique=True, help_text="The first day of the closed month.")
    closed_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__day=1), name="billing_closedperiod_first_of_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%B %Y} (closed)"


class LedgerEntry(models.Model):
    """One movement of money on a patient's or a payer's balance (append-only)."""

    CHARGE = "charge"
    PAYER_PAYMENT = "payer_payment"
    CONTRACTUAL = "contractual"
    TRANSFER = "transfer"
    PATIENT_PAYMENT = "patient_payment"
    REFUND = "refund"
    WRITE_OFF = "write_off"
    CORRECTION = "correction"
    KIND_CHOICES = [
        (CHARGE, "Charge"),
        (PAYER_PAYMENT, "Insurance payment"),
        (CONTRACTUAL, "Insurance adjustment"),
        (TRANSFER, "Balance moved"),
        (PATIENT_PAYMENT, "Patient payment"),
        (REFUND, "Refund"),
        (WRITE_OFF, "Write-off"),
        (CORRECTION, "Correction"),
    ]
    KIND_LABELS = dict(KIND_CHOICES)

    posted_on = models.DateField(db_index=True)
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    amount = models.DecimalField(**MONEY)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="ledger")
    charge = models.ForeignKey(
        Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger",
        help_text="The visit; empty for money not yet applied to one (a credit on account).",
    )  # fmt: skip
    payer = models.ForeignKey(
        Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger",
        help_text="Whose balance: this payer's share of the visit; empty for the patient's.",
    )  # fmt: skip
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    claim_line = models.ForeignKey(
        ClaimLine, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    remittance = models.ForeignKey(
        "billing.Remittance", null=True, blank=True, on_delete=models.PROTECT,
        related_name="ledger",
    )  # fmt: skip
    patient_payment = models.ForeignKey(
        "billing.PatientPayment", null=True, blank=True, on_delete=models.PROTECT,
        related_name="ledger",
    )  # fmt: skip
    adjustment_group = models.CharField(max_length=2, blank=True, help_text="CAS group: CO, PR…")
    reason_code = models.CharField(max_length=5, blank=True, help_text="CARC, or ours.")
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["posted_on", "pk"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["patient", "payer"], name="billing_ledger_patient_payer"),
            models.Index(fields=["charge", "payer"], name="billing_ledger_charge_payer"),
            models.Index(fields=["payer", "posted_on"], name="billing_ledger_payer_day"),
            models.Index(fields=["kind", "posted_on"], name="billing_ledger_kind_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "charge",
                        "payer_payment",
                        "contractual",
                        "transfer",
                        "patient_payment",
                        "refund",
                        "write_off",
                        "correction",
                    ]
                ),
                name="billing_ledger_kind_known",
            ),
        ]

    def __str__(self) -> str:
        whose = self.payer.name if self.payer_id else "patient"
        return (
            f"{self.posted_on} {self.KIND_LABELS.get(self.kind, self.kind)} {self.amount} ({whose})"
        )

    @property
    def kind_label(self) -> str:
        return self.KIND_LABELS.get(self.kind, self.kind)


class BillingPolicy(models.Model):
    """The office's collection rules (one row; the first is used)."""

    write_off_approval_above = models.DecimalField(
        "write-offs above this need an office manager's approval",
        default=100,
        **MONEY,
    )
    minimum_statement_balance = models.DecimalField(
        "no statement for a balance below", default=5, **MONEY
    )
    statement_interval_days = models.PositiveSmallIntegerField(
        "days between statements", default=30
    )
    collections_after_days = models.PositiveSmallIntegerField(
        "flag for collections this many days after the final notice", default=30
    )

    class Meta:
        verbose_name_plural = "billing policy"

    def __str__(self) -> str:
        return "Billing policy"
