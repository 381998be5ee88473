"""Patients' money: payments and refunds at the desk, payment plans, statements, collections.

A :class:`PatientPayment` is money received from (or, for a refund, given
back to) a patient, with a receipt number that is never reused; how it is
applied to the patient's visits is in the ledger. A :class:`PaymentPlan`
spreads a balance over :class:`PlanInstallment` rows. A
:class:`StatementRun` makes one :class:`Statement` per patient with a
balance, each at a dunning level; :class:`CollectionsFlag` marks a patient
whose account goes to collections.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from medoffice.patients.models import Patient
from medoffice.scheduling.models import Appointment

MONEY = {"max_digits": 12, "decimal_places": 2}


class PatientPayment(models.Model):
    """Money from a patient (a copay, a payment) or back to them (a refund)."""

    PAYMENT = "payment"
    COPAY = "copay"
    REFUND = "refund"
    KIND_CHOICES = [(PAYMENT, "Payment"), (COPAY, "Copay"), (REFUND, "Refund")]
    CASH = "cash"
    CARD = "card"
    CHECK = "check"
    OTHER = "other"
    METHOD_CHOICES = [(CASH, "Cash"), (CARD, "Card"), (CHECK, "Check"), (OTHER, "Other")]

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=8, choices=KIND_CHOICES, default=PAYMENT)
    method = models.CharField(max_length=6, choices=METHOD_CHOICES)
    amount = models.DecimalField(**MONEY, help_text="Always positive; the kind says which way.")
    reference = models.CharField(
        max_length=40, blank=True, help_text="Card authorization or last 4 digits, check number."
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    receipt_number = models.PositiveIntegerField(unique=True)
    received_at = models.DateTimeField(default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_payment_positive"),
        ]

    def __str__(self) -> str:
        return f"Receipt {self.receipt_number}: {self.get_kind_display()} {self.amount}"


class PaymentPlan(models.Model):
    """A balance the patient pays in installments."""

    ACTIVE = "active"
    COMPLETED = "completed"
    DELINQUENT = "delinquent"
    CANCELLED = "cancelled"
    STATUS_CHOICES = [
        (ACTIVE, "Active"),
        (COMPLETED, "Paid off"),
        (DELINQUENT, "Behind"),
        (CANCELLED, "Cancelled"),
    ]

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="payment_plans")
    total = models.DecimalField(**MONEY)
    installment_amount = models.DecimalField(**MONEY)
    first_due = models.DateField()
    interval_months = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=ACTIVE)
    send_reminders = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Plan of {self.total} for patient {self.patient_id}"


class PlanInstallment(models.Model):
    """One due date of a payment plan and how much of it has been paid."""

    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="installments")
    number = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    amount = models.DecimalField(**MONEY)
    paid = models.DecimalField(default=0, **MONEY)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="billing_installment_no"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.amount} due {self.due_on}"


class StatementRun(models.Model):
    """One statement run: every patient with a balance gets a statement."""

    run_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    statement_count = models.PositiveIntegerField(default=0)
    total_due = models.DecimalField(default=0, **MONEY)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-run_on", "-pk"]

    def __str__(self) -> str:
        return f"Statements of {self.run_on}"


class Statement(models.Model):
    """One patient's statement: balance, dunning level, and the PDF as sent."""

    FIRST, SECOND, FINAL = 1, 2, 3
    LEVEL_CHOICES = [(FIRST, "Statement"), (SECOND, "Second notice"), (FINAL, "Final notice")]

    run = models.ForeignKey(StatementRun, on_delete=models.PROTECT, related_name="statements")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="statements")
    statement_date = models.DateField()
    balance = models.DecimalField(**MONEY)
    level = models.PositiveSmallIntegerField(choices=LEVEL_CHOICES, default=FIRST)
    pdf = models.BinaryField()

    class Meta:
        ordering = ["-statement_date", "patient_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "patient"], name="billing_statement_once"),
        ]

    def __str__(self) -> str:
        return f"Statement {self.statement_date} for patient {self.patient_id}: {self.balance}"


class CollectionsFlag(models.Model):
    """A patient whose unpaid balance goes (or went) to a collection agency."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="collections")
    balance = models.DecimalField(**MONEY)
    flagged_at = models.DateTimeField(default=timezone.now)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=200)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    def __str__(self) -> str:
        return f"Collections: patient {self.patient_id}"
