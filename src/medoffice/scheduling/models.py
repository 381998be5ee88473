"""The people and places the schedule books: providers and rooms."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from medoffice.core.models import Location
from medoffice.core.validators import validate_npi

TAXONOMY_CODE = RegexValidator(
    r"^[0-9]{3}[0-9A-Z]{6}X$",
    "A taxonomy code has 10 characters ending in X, e.g. 207Q00000X (Family Medicine).",
)
HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour such as #2a6f97.")


class Provider(models.Model):
    """A clinician patients book with and claims name as rendering provider (MD, DO, NP, PA).

    ``user`` is the provider's login, if they have one; ``locations`` are the
    offices where they see patients. ``accepts_overbook`` lets the front desk
    book over a taken slot for this provider.
    """

    CREDENTIAL_CHOICES = [
        ("MD", "MD — Doctor of Medicine"),
        ("DO", "DO — Doctor of Osteopathic Medicine"),
        ("NP", "NP — Nurse Practitioner"),
        ("PA", "PA — Physician Assistant"),
        ("CNM", "CNM — Certified Nurse Midwife"),
        ("DPM", "DPM — Doctor of Podiatric Medicine"),
    ]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="provider",
    )
    first_name = models.CharField(max_length=35)
    last_name = models.CharField(max_length=60)
    credentials = models.CharField(max_length=3, choices=CREDENTIAL_CHOICES)
    npi = models.CharField("NPI", max_length=10, unique=True, validators=[validate_npi])
    taxonomy_code = models.CharField(
        max_length=10,
        blank=True,
        validators=[TAXONOMY_CODE],
        help_text="NUCC provider taxonomy, sent on claims (e.g. 207Q00000X).",
    )
    specialty = models.CharField(max_length=60, blank=True)
    locations = models.ManyToManyField(Location, related_name="providers", blank=True)
    accepts_overbook = models.BooleanField(
        default=False, help_text="The front desk may book over a taken slot."
    )
    active = models.BooleanField(default=True)
    colour = models.CharField(
        max_length=7, default="#2a6f97", validators=[HEX_COLOUR], help_text="On the schedule."
    )

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}, {self.credentials}"


class Room(models.Model):
    """A room at a location that a visit occupies: exam, procedure, lab, or a telehealth line."""

    EXAM = "exam"
    PROCEDURE = "procedure"
    LAB = "lab"
    TELEHEALTH = "telehealth"
    KIND_CHOICES = [
        (EXAM, "Exam room"),
        (PROCEDURE, "Procedure room"),
        (LAB, "Lab"),
        (TELEHEALTH, "Telehealth (virtual)"),
    ]

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=KIND_CHOICES, default=EXAM)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"],
                name="room_name_unique_per_location",
                violation_error_message="This location already has a room with that name.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.location} · {self.name}"
