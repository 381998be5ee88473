"""The waitlist: patients who want an earlier visit than the one the schedule could give them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from medoffice.core.models import Location
from medoffice.patients.models import Patient
from medoffice.scheduling.models.appointments import Appointment
from medoffice.scheduling.models.availability import WEEKDAY_NAMES
from medoffice.scheduling.models.resources import AppointmentType, Provider

ALL_WEEKDAYS = 0b111_1111


def weekday_mask(days) -> int:
    """The bit mask for weekdays 0 (Monday) … 6 (Sunday); no days = 0 (any day)."""
    mask = 0
    for day in days:
        if not 0 <= int(day) <= 6:
            raise ValueError(f"weekday {day!r} is not 0 (Monday) to 6 (Sunday)")
        mask |= 1 << int(day)
    return mask


class WaitlistEntry(models.Model):
    """A patient waiting for an earlier slot of one appointment type, within a date window.

    ``providers`` empty = any provider; ``location`` empty = any location.
    ``preferred_weekdays`` is a bit mask (bit 0 = Monday … bit 6 = Sunday;
    0 = any day; see :func:`weekday_mask`), ``preferred_time`` morning (before
    noon, local), afternoon (noon on) or any. When a slot frees up, the
    matching entries are offered in order of ``created_at``. ``status``:
    waiting → offered → booked, or removed (with who, when and why).
    """

    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    REMOVED = "removed"
    STATUS_CHOICES = [
        (WAITING, "Waiting"),
        (OFFERED, "Offered a slot"),
        (BOOKED, "Booked"),
        (REMOVED, "Removed"),
    ]
    OPEN_STATUSES = (WAITING, OFFERED)
    MORNING = "morning"
    AFTERNOON = "afternoon"
    ANY_TIME = "any"
    TIME_CHOICES = [(MORNING, "Morning"), (AFTERNOON, "Afternoon"), (ANY_TIME, "Any time")]
    NOON = dt.time(12, 0)

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waitlist_entries")
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    providers = models.ManyToManyField(
        Provider, blank=True, related_name="waitlist_entries", help_text="None chosen = any."
    )
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
        help_text="Empty = any location.",
    )
    earliest_date = models.DateField()
    latest_date = models.DateField()
    preferred_weekdays = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(ALL_WEEKDAYS)],
        help_text="Bit mask, bit 0 = Monday … bit 6 = Sunday; 0 = any day.",
    )
    preferred_time = models.CharField(max_length=9, choices=TIME_CHOICES, default=ANY_TIME)
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=STATUS_CHOICES, default=WAITING)
    booked_appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waitlist entries"
        indexes = [
            models.Index(fields=["status", "appointment_type"], name="waitlist_open_by_type_idx"),
            models.Index(fields=["patient", "status"], name="waitlist_patient_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latest_date__gte=F("earliest_date")),
                name="waitlist_window_order",
                violation_error_message="The latest date cannot be before the earliest date.",
            ),
            models.CheckConstraint(
                condition=Q(preferred_weekdays__gte=0) & Q(preferred_weekdays__lte=ALL_WEEKDAYS),
                name="waitlist_weekday_mask_range",
                violation_error_message="Preferred weekdays are a mask of 7 bits.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "offered", "booked", "removed"]),
                name="waitlist_status_known",
                violation_error_message="Unknown waitlist status.",
            ),
            models.CheckConstraint(
                condition=Q(preferred_time__in=["morning", "afternoon", "any"]),
                name="waitlist_time_known",
                violation_error_message="Choose morning, afternoon or any time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} waits for {self.appointment_type} ({self.get_status_display()})"

    @property
    def weekdays(self) -> list[int]:
        """The preferred weekdays (0 = Monday); empty = any day."""
        return [d for d in range(7) if self.preferred_weekdays & (1 << d)]

    @property
    def weekdays_display(self) -> str:
        return ", ".join(WEEKDAY_NAMES[d][:3] for d in self.weekdays) or "Any day"

    def accepts_weekday(self, weekday: int) -> bool:
        return self.preferred_weekdays == 0 or bool(self.preferred_weekdays & (1 << weekday))

    def accepts_local_time(self, local_start: dt.time) -> bool:
        if self.preferred_time == self.MORNING:
            return local_start < self.NOON
        if self.preferred_time == self.AFTERNOON:
            return local_start >= self.NOON
        return True

    def clean(self) -> None:
        if self.earliest_date and self.latest_date and self.latest_date < self.earliest_date:
            raise ValidationError(
                {"latest_date": "The latest date cannot be before the earliest date."}
            )
