"""The people, places and visit kinds the schedule books: providers, rooms, appointment types."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Mod
from django.db.models.lookups import Exact

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
    DOCTOR_CREDENTIALS = frozenset({"MD", "DO", "DPM"})

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

    @property
    def schedule_name(self) -> str:
        """How the front desk says it: "Dr. Patel" for physicians, "Ann Lee, NP" otherwise."""
        if self.credentials in self.DOCTOR_CREDENTIALS:
            return f"Dr. {self.last_name}"
        return self.display_name


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


def validate_multiple_of_five(value: int) -> None:
    if value is not None and value % 5:
        raise ValidationError("Use a multiple of 5 minutes.", code="not_multiple_of_five")


class AppointmentType(models.Model):
    """A kind of visit the front desk books: "New patient", "Follow-up", "Annual physical".

    The type sets how long the visit takes (``duration_minutes``: 5 to 480, in
    steps of 5), its colour on the schedule, the kind of room it needs
    (``room_kind``, one of :attr:`Room.KIND_CHOICES`, or empty for none), whether
    it is for new or established patients, and whether it happens by video
    (``telehealth``: such a visit never needs a physical room). Inactive types
    stay on past appointments but cannot be booked.
    """

    NEW = "new"
    ESTABLISHED = "established"
    ANY = "any"
    PATIENT_STATUS_CHOICES = [
        (NEW, "New patients"),
        (ESTABLISHED, "Established patients"),
        (ANY, "Any patient"),
    ]
    MIN_MINUTES = 5
    MAX_MINUTES = 480

    name = models.CharField(max_length=60, unique=True)
    code = models.CharField(
        "short code",
        max_length=10,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z0-9]{1,10}$", "Use up to 10 capital letters or digits, e.g. NP or FU30."
            )
        ],
        help_text="What the schedule prints in a small cell, e.g. NP, FU, PE.",
    )
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(MIN_MINUTES),
            MaxValueValidator(MAX_MINUTES),
            validate_multiple_of_five,
        ],
        help_text="5 to 480 minutes, in steps of 5.",
    )
    colour = models.CharField(max_length=7, default="#6c757d", validators=[HEX_COLOUR])
    room_kind = models.CharField(
        "room needed",
        max_length=10,
        choices=Room.KIND_CHOICES,
        blank=True,
        help_text="Empty when the visit needs no particular room.",
    )
    patient_status = models.CharField(
        "for", max_length=11, choices=PATIENT_STATUS_CHOICES, default=ANY
    )
    telehealth = models.BooleanField(default=False, help_text="A video visit: no physical room.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5)
                & Q(duration_minutes__lte=480)
                & Q(Exact(Mod("duration_minutes", 5), 0)),
                name="appointmenttype_duration_5_to_480_by_5",
                violation_error_message="A visit lasts 5 to 480 minutes, in steps of 5.",
            ),
            models.CheckConstraint(
                condition=Q(telehealth=False) | Q(room_kind__in=["", Room.TELEHEALTH]),
                name="appointmenttype_telehealth_no_physical_room",
                violation_error_message="A telehealth visit cannot need a physical room.",
            ),
            models.CheckConstraint(
                condition=Q(room_kind__in=["", *(k for k, _ in Room.KIND_CHOICES)]),
                name="appointmenttype_room_kind_known",
                violation_error_message="Choose a room kind from the list, or none.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_room(self) -> bool:
        return bool(self.room_kind)

    def clean(self) -> None:
        if self.telehealth and self.room_kind not in ("", Room.TELEHEALTH):
            raise ValidationError(
                {"room_kind": "A telehealth visit needs no exam or procedure room."}
            )
