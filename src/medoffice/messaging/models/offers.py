"""Offering a freed slot to the waitlist: who was asked, who answered first."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from medoffice.core.models import Location
from medoffice.messaging.models.messages import Message
from medoffice.patients.models import Patient
from medoffice.scheduling.models import Appointment, AppointmentType, Provider, WaitlistEntry


class WaitlistOffer(models.Model):
    """A freed time (usually a cancelled visit's) offered by text, email or call to the waitlisted
    patients it fits. The first to accept gets it booked through scheduling's booking service;
    the others are told it is gone. ``code`` tells offers apart in replies ("YES 4821").
    open → filled (booked for someone), or closed (the time passed, was taken otherwise, or
    nobody fitted).
    """

    OPEN = "open"
    FILLED = "filled"
    CLOSED = "closed"
    STATUS_CHOICES = [(OPEN, "Open"), (FILLED, "Filled"), (CLOSED, "Closed")]

    source_appointment = models.OneToOneField(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="waitlist_offer",
        help_text="The cancelled visit whose time this is.",
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    code = models.CharField(max_length=4)
    status = models.CharField(max_length=6, choices=STATUS_CHOICES, default=OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    booked_appointment = models.OneToOneField(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "start"], name="offer_open_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "filled", "closed"]), name="offer_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status="filled") | Q(booked_appointment__isnull=False),
                name="offer_filled_has_visit",
            ),
        ]

    def __str__(self) -> str:
        return f"Offer {self.code}: {self.provider} {self.start:%Y-%m-%d %H:%M} UTC"


class OfferRecipient(models.Model):
    """One waitlisted patient asked about an offer, and how it ended for them."""

    OFFERED = "offered"
    ACCEPTED = "accepted"
    TOO_LATE = "too_late"
    TOLD_GONE = "told_gone"
    STATUS_CHOICES = [
        (OFFERED, "Offered"),
        (ACCEPTED, "Accepted: booked"),
        (TOO_LATE, "Answered too late"),
        (TOLD_GONE, "Told it is gone"),
    ]

    offer = models.ForeignKey(WaitlistOffer, on_delete=models.PROTECT, related_name="recipients")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=9, choices=STATUS_CHOICES, default=OFFERED)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["offer", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "entry"], name="offerrecipient_once")
        ]
        indexes = [models.Index(fields=["patient", "status"], name="offerrecipient_patient_idx")]

    def __str__(self) -> str:
        return f"{self.patient_id} for offer {self.offer_id}: {self.status}"
