"""Charges: what was done at a visit and why — the diagnoses and the billed procedure lines."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from medoffice.billing.models.fees import MODIFIERS_FIELD, PROCEDURE_CODE_FIELD, Service
from medoffice.core.models import PLACE_OF_SERVICE_CHOICES, Location
from medoffice.patients.models import Patient
from medoffice.scheduling.models import Appointment, Provider


class Charge(models.Model):
    """The charges of one visit: who saw the patient, where, when, for what, and which lines.

    Made from a checked-out appointment by ``enter_charges``; changed only by
    ``update_charges`` while no claim for it has left the office. The billing
    provider is a provider billing in their own name, or empty when the
    practice bills as a group (its group NPI). A referring provider is often
    outside the practice, so only their name and NPI are kept.
    """

    appointment = models.OneToOneField(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="charge"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="charges")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    date_of_service = models.DateField(db_index=True)
    place_of_service = models.CharField(max_length=2, choices=PLACE_OF_SERVICE_CHOICES, blank=True)
    rendering_provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    billing_provider = models.ForeignKey(
        Provider,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: the practice bills as a group under its group NPI.",
    )
    referring_name = models.CharField("referring provider", max_length=95, blank=True)
    referring_npi = models.CharField("referring provider's NPI", max_length=10, blank=True)
    prior_authorization = models.CharField("prior authorization number", max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-date_of_service", "-pk"]

    def __str__(self) -> str:
        return f"Charges of {self.date_of_service:%Y-%m-%d} for patient {self.patient_id}"

    @property
    def total(self):
        return sum((line.charge_amount for line in self.lines.all()), start=0)


class ChargeDiagnosis(models.Model):
    """One ICD-10-CM diagnosis of a visit, in its place (1 to 12) that lines point to."""

    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="diagnoses")
    position = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    code = models.CharField(max_length=8)

    class Meta:
        ordering = ["charge_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["charge", "position"], name="billing_dx_position"),
            models.UniqueConstraint(fields=["charge", "code"], name="billing_dx_once"),
            models.CheckConstraint(
                condition=Q(position__gte=1, position__lte=12), name="billing_dx_position_1_12"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}: {self.code}"


class ChargeLine(models.Model):
    """One billed procedure of a visit: code, modifiers, units, charge, diagnosis pointers.

    ``diagnosis_pointers`` holds up to 4 positions of the visit's diagnoses,
    comma-separated, most important first ("1,3"). ``charge_amount`` is the
    whole line (units included).
    """

    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=5, validators=[PROCEDURE_CODE_FIELD])
    modifiers = models.CharField(max_length=11, blank=True, validators=[MODIFIERS_FIELD])
    units = models.PositiveIntegerField(default=1)
    charge_amount = models.DecimalField(max_digits=12, decimal_places=2)
    diagnosis_pointers = models.CharField(max_length=11, blank=True)

    class Meta:
        ordering = ["charge_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["charge", "line_number"], name="billing_line_number"),
        ]

    def __str__(self) -> str:
        return f"{self.line_number}: {self.code} {self.modifiers}".strip()

    @property
    def pointers(self) -> list[int]:
        return [int(p) for p in self.diagnosis_pointers.split(",") if p]

    @property
    def modifier_list(self) -> list[str]:
        return self.modifiers.split()
