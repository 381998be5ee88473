"""Appointments, the recurring series they may belong to, and the history of every change.

An appointment changes only through :mod:`medoffice.scheduling.services`
(``book_appointment``, ``cancel_appointment``, ``record_flow_step`` …), which
also writes its :class:`AppointmentEvent`. Code that calls ``.save()`` on an
appointment directly is a bug (the seed's bulk history is the one exception).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from medoffice.core.models import Location
from medoffice.patients.models import Patient
from medoffice.scheduling.models.availability import hhmm
from medoffice.scheduling.models.resources import AppointmentType, Provider, Room

USER = settings.AUTH_USER_MODEL


class AppointmentSeries(models.Model):
    """A recurring visit booked in one go: every ``interval_weeks`` weeks on the first visit's
    weekday and local time, either ``count`` times or until ``until`` (inclusive).

    The series is booked all-or-nothing (``book_series``); its appointments
    point back here and are cancelled or moved one by one afterwards.
    """

    MAX_OCCURRENCES = 52

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="+"
    )
    first_start = models.DateTimeField()
    interval_weeks = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    count = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(2), MaxValueValidator(MAX_OCCURRENCES)],
        help_text="How many visits; or give an end date instead.",
    )
    until = models.DateField(null=True, blank=True, help_text="Last possible visit date (local).")
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "appointment series"
        constraints = [
            models.CheckConstraint(
                condition=(Q(count__isnull=False) & Q(until__isnull=True))
                | (Q(count__isnull=True) & Q(until__isnull=False)),
                name="series_count_or_until",
                violation_error_message="Give either a number of visits or an end date.",
            ),
            models.CheckConstraint(
                condition=Q(interval_weeks__gte=1) & Q(interval_weeks__lte=52),
                name="series_interval_1_to_52_weeks",
                violation_error_message="Repeat every 1 to 52 weeks.",
            ),
        ]

    def __str__(self) -> str:
        every = "week" if self.interval_weeks == 1 else f"{self.interval_weeks} weeks"
        span = f"{self.count} times" if self.count else f"until {self.until}"
        return f"Every {every}, {span}, from {self.first_start:%Y-%m-%d}"


class Appointment(models.Model):
    """One booked visit: a patient with a provider at a location (and maybe a room) for a time.

    ``start``/``end`` are instants stored in UTC; show them in the location's
    zone (``local_start``). ``end`` is ``start`` plus the type's duration unless
    the booking gave one. The visit moves through the patient-flow states
    (``NEXT_STEPS``): scheduled → confirmed → arrived → roomed → with provider
    → checked out, or ends as no-show, cancelled, or left without being seen.
    Each flow step records when and by whom (``*_at`` / ``*_by``).

    An appointment *occupies* its provider and room unless it is cancelled or
    a no-show (``OCCUPYING_STATUSES``). The database refuses two occupying,
    non-overbooked appointments of one provider, or of one room, that overlap
    (PostgreSQL exclusion constraints, SQLite triggers; migration 0003). An
    overbook (``overbook`` with ``overbook_reason``) is the front desk's
    explicit choice to double-book a provider who accepts it.
    ``outside_template`` marks a booking made outside the provider's weekly
    blocks as an override. ``rescheduled_from`` links a visit to the one it
    replaced (which was cancelled with the reason "rescheduled").
    """

    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    ARRIVED = "arrived"
    ROOMED = "roomed"
    WITH_PROVIDER = "with_provider"
    CHECKED_OUT = "checked_out"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    LEFT_WITHOUT_BEING_SEEN = "left_without_being_seen"
    STATUS_CHOICES = [
        (SCHEDULED, "Scheduled"),
        (CONFIRMED, "Confirmed"),
        (ARRIVED, "Arrived"),
        (ROOMED, "Roomed"),
        (WITH_PROVIDER, "With provider"),
        (CHECKED_OUT, "Checked out"),
        (NO_SHOW, "No-show"),
        (CANCELLED, "Cancelled"),
        (LEFT_WITHOUT_BEING_SEEN, "Left without being seen"),
    ]
    STATUS_LABELS = dict(STATUS_CHOICES)
    # Statuses that hold the provider's (and the room's) time.
    OCCUPYING_STATUSES = (
        SCHEDULED,
        CONFIRMED,
        ARRIVED,
        ROOMED,
        WITH_PROVIDER,
        CHECKED_OUT,
        LEFT_WITHOUT_BEING_SEEN,
    )
    NOT_OCCUPYING_STATUSES = (CANCELLED, NO_SHOW)
    # Before the patient is in the building: these can be moved, cancelled, marked no-show.
    BOOKED_STATUSES = (SCHEDULED, CONFIRMED)
    # In the building: the flow board's statuses.
    IN_OFFICE_STATUSES = (ARRIVED, ROOMED, WITH_PROVIDER)
    FINAL_STATUSES = (CHECKED_OUT, NO_SHOW, CANCELLED, LEFT_WITHOUT_BEING_SEEN)
    # The patient-flow state machine: status -> the flow steps allowed from it.
    FLOW_STEPS = (ARRIVED, ROOMED, WITH_PROVIDER, CHECKED_OUT, NO_SHOW, LEFT_WITHOUT_BEING_SEEN)
    NEXT_STEPS: dict[str, tuple[str, ...]] = {
        SCHEDULED: (ARRIVED, NO_SHOW),
        CONFIRMED: (ARRIVED, NO_SHOW),
        ARRIVED: (ROOMED, LEFT_WITHOUT_BEING_SEEN),
        ROOMED: (WITH_PROVIDER, LEFT_WITHOUT_BEING_SEEN),
        WITH_PROVIDER: (CHECKED_OUT,),
        CHECKED_OUT: (),
        NO_SHOW: (),
        CANCELLED: (),
        LEFT_WITHOUT_BEING_SEEN: (),
    }
    # The field pair each status records its moment and person in.
    STATUS_STAMPS: dict[str, tuple[str, str | None]] = {
        SCHEDULED: ("booked_at", "booked_by"),
        CONFIRMED: ("confirmed_at", "confirmed_by"),
        ARRIVED: ("arrived_at", "arrived_by"),
        ROOMED: ("roomed_at", "roomed_by"),
        WITH_PROVIDER: ("with_provider_at", "with_provider_by"),
        CHECKED_OUT: ("checked_out_at", "checked_out_by"),
        NO_SHOW: ("no_show_at", "no_show_by"),
        CANCELLED: ("cancelled_at", "cancelled_by"),
        LEFT_WITHOUT_BEING_SEEN: ("left_at", "left_by"),
    }
    NOTES_MAX = 200

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="appointments")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=24, choices=STATUS_CHOICES, default=SCHEDULED)

    booked_at = models.DateTimeField(default=timezone.now)
    booked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    arrived_at = models.DateTimeField(null=True, blank=True)
    arrived_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    roomed_at = models.DateTimeField(null=True, blank=True)
    roomed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    with_provider_at = models.DateTimeField(null=True, blank=True)
    with_provider_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_out_at = models.DateTimeField(null=True, blank=True)
    checked_out_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    no_show_at = models.DateTimeField(null=True, blank=True)
    no_show_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    left_at = models.DateTimeField("left without being seen at", null=True, blank=True)
    left_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.CharField(max_length=200, blank=True)

    overbook = models.BooleanField(
        default=False, help_text="Booked over a taken slot, on purpose, with a reason."
    )
    overbook_reason = models.CharField(max_length=200, blank=True)
    outside_template = models.BooleanField(
        default=False, help_text="Booked outside the provider's weekly blocks, as an override."
    )
    coverage = models.ForeignKey(
        "patients.Coverage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The insurance the front desk chose for this visit, active on its date; "
        "empty: billing takes the patient's coverages in order (or self-pay).",
    )
    series = models.ForeignKey(
        AppointmentSeries,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    rescheduled_from = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rescheduled_to",
        help_text="The cancelled appointment this one replaced.",
    )
    notes = models.CharField(
        max_length=NOTES_MAX,
        blank=True,
        help_text="For the front desk (e.g. 'needs interpreter'); never clinical notes.",
    )

    class Meta:
        ordering = ["start", "provider_id"]
        indexes = [
            models.Index(fields=["provider", "start"], name="appointment_provider_start"),
            models.Index(fields=["location", "start"], name="appointment_location_start"),
            models.Index(fields=["patient", "start"], name="appointment_patient_start"),
            models.Index(fields=["status", "start"], name="appointment_status_start"),
            models.Index(fields=["room", "start"], name="appointment_room_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="appointment_end_after_start",
                violation_error_message="The appointment must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "scheduled",
                        "confirmed",
                        "arrived",
                        "roomed",
                        "with_provider",
                        "checked_out",
                        "no_show",
                        "cancelled",
                        "left_without_being_seen",
                    ]
                ),
                name="appointment_status_known",
                violation_error_message="Unknown appointment status.",
            ),
            models.CheckConstraint(
                condition=Q(overbook=False) | ~Q(overbook_reason=""),
                name="appointment_overbook_has_reason",
                violation_error_message="An overbooked appointment needs a reason.",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled")
                | (Q(cancelled_at__isnull=False) & ~Q(cancel_reason="")),
                name="appointment_cancel_has_reason",
                violation_error_message="A cancelled appointment needs its time and reason.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_short_name} · {self.provider} · {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def patient_short_name(self) -> str:
        """ "Lee, M." — the patient as the schedule and conflict messages name them."""
        patient = self.patient
        return f"{patient.last_name}, {patient.first_name[:1]}."

    @property
    def zone(self):
        return self.location.zone

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(self.location.zone)

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(self.location.zone)

    @property
    def local_hours(self) -> str:
        """ "9:30–9:50" in the location's time zone."""
        return f"{hhmm(self.local_start)}–{hhmm(self.local_end)}"

    @property
    def duration(self) -> dt.timedelta:
        return self.end - self.start

    @property
    def is_occupying(self) -> bool:
        return self.status in self.OCCUPYING_STATUSES

    @property
    def next_steps(self) -> tuple[str, ...]:
        """The flow steps ``record_flow_step`` accepts now."""
        return self.NEXT_STEPS.get(self.status, ())

    @property
    def status_since(self) -> dt.datetime | None:
        """When the appointment entered its current status (the flow board's clock)."""
        field, _by = self.STATUS_STAMPS[self.status]
        return getattr(self, field)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start and self.end and self.end <= self.start:
            errors["end"] = "The appointment must end after it starts."
        if self.room_id and self.location_id and self.room.location_id != self.location_id:
            errors["room"] = f"{self.room.name} is not at {self.location}."
        if self.overbook and not self.overbook_reason.strip():
            errors["overbook_reason"] = "Give the reason for overbooking."
        if errors:
            raise ValidationError(errors)


class AppointmentEvent(models.Model):
    """One change in an appointment's life, append-only: booked, confirmed, arrived, roomed …

    ``kind`` says what happened (the flow step, or ``booked``/``cancelled``/
    ``room_changed``), ``from_status``/``to_status`` the state before and after,
    ``by`` who did it (empty for the system, e.g. a reminder reply), ``reason``
    the words they gave, ``detail`` the structured rest (overrides used, the
    appointment it was rescheduled to or from, the room).
    """

    BOOKED = "booked"
    CONFIRMED = Appointment.CONFIRMED
    ARRIVED = Appointment.ARRIVED
    ROOMED = Appointment.ROOMED
    WITH_PROVIDER = Appointment.WITH_PROVIDER
    CHECKED_OUT = Appointment.CHECKED_OUT
    NO_SHOW = Appointment.NO_SHOW
    CANCELLED = Appointment.CANCELLED
    LEFT_WITHOUT_BEING_SEEN = Appointment.LEFT_WITHOUT_BEING_SEEN
    ROOM_CHANGED = "room_changed"
    KIND_CHOICES = [
        (BOOKED, "Booked"),
        (CONFIRMED, "Confirmed"),
        (ARRIVED, "Arrived"),
        (ROOMED, "Roomed"),
        (WITH_PROVIDER, "With provider"),
        (CHECKED_OUT, "Checked out"),
        (NO_SHOW, "No-show"),
        (CANCELLED, "Cancelled"),
        (LEFT_WITHOUT_BEING_SEEN, "Left without being seen"),
        (ROOM_CHANGED, "Room changed"),
    ]

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=KIND_CHOICES)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["appointment", "at"], name="appointment_event_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M} UTC"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Appointment history is append-only; events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Appointment history is append-only; events cannot be removed.")
