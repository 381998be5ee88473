"""When providers see patients: weekly availability blocks, and the exceptions that block time."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Mod
from django.db.models.lookups import Exact
from django.utils import timezone

from medoffice.core.models import Location
from medoffice.scheduling.models.resources import (
    AppointmentType,
    Provider,
    validate_multiple_of_five,
)

WEEKDAY_CHOICES = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
WEEKDAY_NAMES = dict(WEEKDAY_CHOICES)


def hhmm(value: dt.time | dt.datetime) -> str:
    """9:05, 14:30 — how the schedule writes a time of day."""
    return f"{value.hour}:{value.minute:02d}"


class AvailabilityTemplate(models.Model):
    """One weekly block in which a provider sees patients at a location, e.g. Mondays 8:00–12:00.

    ``start_time`` and ``end_time`` are wall-clock times in the *location's*
    time zone (a block at 8:00 stays at 8:00 across daylight-saving changes).
    ``weekday`` is Python's numbering (0 = Monday … 6 = Sunday). A visit fits
    the block when it starts at or after ``start_time`` and ends by
    ``end_time`` on that weekday, between ``effective_from`` and
    ``effective_to`` (inclusive; no end date = open-ended).
    ``appointment_types`` lists the visit kinds the block takes (empty = all);
    ``slot_minutes`` is the grid the open-slot finder offers times on (bookings
    themselves may start anywhere inside the block). Blocks of one provider on
    one weekday must not overlap while both are in effect (checked in clean()).
    """

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="availability_templates"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="availability_templates"
    )
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAY_CHOICES)
    start_time = models.TimeField(help_text="Local time at the location.")
    end_time = models.TimeField(help_text="Local time at the location.")
    appointment_types = models.ManyToManyField(
        AppointmentType,
        blank=True,
        related_name="availability_templates",
        help_text="The visit kinds this block takes; none chosen = every kind.",
    )
    slot_minutes = models.PositiveSmallIntegerField(
        "slot step (minutes)",
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(240), validate_multiple_of_five],
    )
    effective_from = models.DateField(default=timezone.localdate)
    effective_to = models.DateField(
        null=True, blank=True, help_text="Last day the block applies; empty = until changed."
    )

    class Meta:
        ordering = ["provider", "weekday", "start_time"]
        indexes = [
            models.Index(fields=["provider", "location", "weekday"], name="template_lookup_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="template_end_after_start",
                violation_error_message="The block must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0) & Q(weekday__lte=6),
                name="template_weekday_0_to_6",
                violation_error_message="The weekday is 0 (Monday) to 6 (Sunday).",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="template_effective_order",
                violation_error_message="The block cannot end before it takes effect.",
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5)
                & Q(slot_minutes__lte=240)
                & Q(Exact(Mod("slot_minutes", 5), 0)),
                name="template_slot_5_to_240_by_5",
                violation_error_message="The slot step is 5 to 240 minutes, in steps of 5.",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.provider} · {self.location} · {WEEKDAY_NAMES.get(self.weekday, '?')} "
            f"{hhmm(self.start_time)}–{hhmm(self.end_time)}"
        )

    @property
    def hours(self) -> str:
        return f"{hhmm(self.start_time)}–{hhmm(self.end_time)}"

    def in_effect_on(self, day: dt.date) -> bool:
        return (
            day.weekday() == self.weekday
            and self.effective_from <= day
            and (self.effective_to is None or day <= self.effective_to)
        )

    def covers(self, local_start: dt.datetime, local_end: dt.datetime) -> bool:
        """True when a visit from ``local_start`` to ``local_end`` (location time) fits the block.

        A visit must start and end on the same local day: no block runs past midnight.
        """
        if local_end.date() != local_start.date() or not self.in_effect_on(local_start.date()):
            return False
        return self.start_time <= local_start.time() and local_end.time() <= self.end_time

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            errors["end_time"] = "The block must end after it starts."
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            errors["effective_to"] = "The block cannot end before it takes effect."
        if self.provider_id and self.location_id:
            if not self.provider.locations.filter(pk=self.location_id).exists():
                errors["location"] = (
                    f"{self.provider.schedule_name} does not work at {self.location}; "
                    "add the location to the provider first."
                )
            elif self.start_time and self.end_time and self.weekday is not None:
                clash = self._overlapping_block()
                if clash is not None:
                    errors["start_time"] = (
                        f"This overlaps the {WEEKDAY_NAMES[clash.weekday]} block "
                        f"{clash.hours} at {clash.location} of {self.provider.schedule_name}."
                    )
        if errors:
            raise ValidationError(errors)

    def _overlapping_block(self) -> AvailabilityTemplate | None:
        others = AvailabilityTemplate.objects.filter(
            provider_id=self.provider_id,
            weekday=self.weekday,
            start_time__lt=self.end_time,
            end_time__gt=self.start_time,
        ).exclude(pk=self.pk)
        if self.effective_to is not None:
            others = others.filter(effective_from__lte=self.effective_to)
        if self.effective_from is not None:
            others = others.filter(
                Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from)
            )
        return others.select_related("location").first()


class ScheduleException(models.Model):
    """Time nobody can book: a provider's vacation, a holiday, a staff meeting, blocked time.

    ``provider`` empty = everyone at the location; ``location`` empty = every
    location (a holiday for the whole practice is both empty). ``start`` and
    ``end`` are instants (stored in UTC); an exception blocks every booking
    that overlaps it. Existing appointments are not touched: the front desk
    moves them (the schedule pages list them).
    """

    VACATION = "vacation"
    HOLIDAY = "holiday"
    MEETING = "meeting"
    BLOCKED = "blocked"
    KIND_CHOICES = [
        (VACATION, "Vacation"),
        (HOLIDAY, "Holiday"),
        (MEETING, "Meeting"),
        (BLOCKED, "Blocked time"),
    ]

    provider = models.ForeignKey(
        Provider,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="schedule_exceptions",
        help_text="Empty = every provider at the location.",
    )
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="schedule_exceptions",
        help_text="Empty = every location.",
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    kind = models.CharField(max_length=8, choices=KIND_CHOICES, default=BLOCKED)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["start", "end"], name="schedule_exception_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="schedule_exception_end_after_start",
                violation_error_message="The blocked time must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["vacation", "holiday", "meeting", "blocked"]),
                name="schedule_exception_kind_known",
                violation_error_message="Choose vacation, holiday, meeting or blocked time.",
            ),
        ]

    def __str__(self) -> str:
        who = self.provider.schedule_name if self.provider_id else "everyone"
        where = self.location.name if self.location_id else "all locations"
        return f"{self.get_kind_display()}: {who} at {where}, {self.start:%Y-%m-%d %H:%M} UTC"

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "The blocked time must end after it starts."})
        works_there = (
            not (self.provider_id and self.location_id)
            or self.provider.locations.filter(pk=self.location_id).exists()
        )
        if not works_there:
            raise ValidationError(
                {"location": f"{self.provider.schedule_name} does not work at {self.location}."}
            )
