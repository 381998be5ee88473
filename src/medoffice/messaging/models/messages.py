"""Messages to and from patients, their delivery log, opt-outs and the front desk's call-backs."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from medoffice.messaging import templating
from medoffice.messaging.models.rules import ReminderRule
from medoffice.patients.models import Patient
from medoffice.scheduling.models import Appointment

USER = settings.AUTH_USER_MODEL


class Message(models.Model):
    """One message to one patient on one channel: a reminder, a waitlist offer, a recall, a reply.

    Status: queued (waiting for ``scheduled_for``) → sending (a worker claimed it) →
    sent (the provider took it; ``provider_message_id``) → delivered, or failed
    (with the provider's reason in ``error``), or cancelled before it went
    (the visit was cancelled or moved, the patient opted out). A temporary
    failure puts it back to queued for a later try (``attempts`` counts them).
    ``fallback_of`` links a message to the one whose failure it replaces on
    another channel. ``idempotency_key`` goes to the provider with every try,
    so a message retried after a crash is never delivered twice.
    ``planned_for`` is when the rule wanted it; ``scheduled_for`` may be later
    (quiet hours). A one-off notice that is about no visit (a payment plan's
    reminder) names its ``topic``: there is one message per topic, so planning it
    twice (two workers, the daily review run again) sends it once; a fallback
    carries its original's topic. ``kept_values`` holds the placeholder values no
    record gives again later (a plan's amount and date), for that fallback's words.
    """

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    STATUS_CHOICES = [
        (QUEUED, "Queued"),
        (SENDING, "Sending"),
        (SENT, "Sent"),
        (DELIVERED, "Delivered"),
        (FAILED, "Failed"),
        (CANCELLED, "Cancelled"),
    ]
    PENDING_STATUSES = (QUEUED, SENDING)
    GONE_STATUSES = (SENT, DELIVERED)

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="messages")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    rule = models.ForeignKey(
        ReminderRule, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    channel = models.CharField(max_length=5, choices=templating.CHANNEL_CHOICES)
    purpose = models.CharField(max_length=20, choices=templating.PURPOSE_CHOICES)
    to_address = models.CharField("to", max_length=254)
    subject = models.CharField(max_length=150, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=9, choices=STATUS_CHOICES, default=QUEUED)
    planned_for = models.DateTimeField()
    scheduled_for = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider_message_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    fallback_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="fallback"
    )
    topic = models.CharField(
        max_length=60, blank=True, help_text="What a one-off notice is about; one message each."
    )
    kept_values = models.JSONField(default=dict, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        indexes = [
            models.Index(fields=["status", "scheduled_for"], name="message_due_idx"),
            models.Index(fields=["patient", "scheduled_for"], name="message_patient_idx"),
            models.Index(fields=["scheduled_for"], name="message_day_idx"),
            models.Index(fields=["appointment", "status"], name="message_appointment_idx"),
            models.Index(fields=["provider_message_id"], name="message_provider_id_idx"),
        ]
        constraints = [
            # One reminder per visit and rule: planning twice (two workers, a retry) adds nothing.
            models.UniqueConstraint(
                fields=["appointment", "rule"],
                condition=Q(rule__isnull=False) & Q(fallback_of__isnull=True),
                name="message_one_reminder_per_rule",
            ),
            # One notice per topic: a daily review run twice (or by two workers) adds nothing.
            models.UniqueConstraint(
                fields=["topic"],
                condition=~Q(topic="") & Q(fallback_of__isnull=True),
                name="message_one_per_topic",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["queued", "sending", "sent", "delivered", "failed", "cancelled"]
                ),
                name="message_status_known",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["sms", "email", "voice"]), name="message_channel_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} by {self.get_channel_display()} to {self.patient_id}"

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING_STATUSES


class MessageEvent(models.Model):
    """One line of a message's delivery log, append-only: queued, moved for quiet hours, sent,
    delivered, a try that failed and will be retried, failed with the provider's reason, replaced
    by a fallback on another channel, cancelled — with the words that say why."""

    QUEUED = "queued"
    MOVED = "moved"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"
    FALLBACK = "fallback"
    CANCELLED = "cancelled"
    REQUEUED = "requeued"
    HANDLED = "handled"
    REPLY = "reply"
    KIND_CHOICES = [
        (QUEUED, "Queued"),
        (MOVED, "Moved"),
        (SENDING, "Sending"),
        (SENT, "Sent"),
        (DELIVERED, "Delivered"),
        (RETRY, "Will retry"),
        (FAILED, "Failed"),
        (FALLBACK, "Fallback"),
        (CANCELLED, "Cancelled"),
        (REQUEUED, "Queued again"),
        (HANDLED, "Marked handled"),
        (REPLY, "Reply received"),
    ]

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=10, choices=KIND_CHOICES)
    at = models.DateTimeField(default=timezone.now)
    detail = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["message", "at"], name="messageevent_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.detail}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("The delivery log is append-only.")
        super().save(*args, **kwargs)


class OptOut(models.Model):
    """The patient asked for no more messages on one channel (replied STOP, or told the office).

    Opting back in sets ``ended_at``; the row stays as the record of both.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="opt_outs")
    channel = models.CharField(max_length=5, choices=templating.CHANNEL_CHOICES)
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=80, help_text="e.g. 'replied STOP to 2175550100'")
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "channel"],
                condition=Q(ended_at__isnull=True),
                name="optout_one_open_per_channel",
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} opted out of {self.get_channel_display()}"


class InboundMessage(models.Model):
    """A text a patient sent us (a reply to a reminder, STOP, HELP, anything), and what we did."""

    CONFIRMED = "confirmed"
    CALLBACK = "callback"
    OPTED_OUT = "opted_out"
    HELP = "help"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_TOO_LATE = "offer_too_late"
    UNKNOWN = "unknown"
    ACTION_CHOICES = [
        (CONFIRMED, "Confirmed the visit"),
        (CALLBACK, "Asked for a call-back"),
        (OPTED_OUT, "Opted out"),
        (HELP, "Asked for help"),
        (OFFER_ACCEPTED, "Took an offered slot"),
        (OFFER_TOO_LATE, "Answered an offer already taken"),
        (UNKNOWN, "Not understood: to the call-back list"),
    ]

    provider_message_id = models.CharField(max_length=100, unique=True)
    from_number = models.CharField(max_length=20)
    to_number = models.CharField(max_length=20, blank=True)
    body = models.CharField(max_length=1600)
    received_at = models.DateTimeField(default=timezone.now)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="inbound_messages"
    )
    in_reply_to = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    action = models.CharField(max_length=14, choices=ACTION_CHOICES)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["patient", "received_at"], name="inbound_patient_idx")]

    def __str__(self) -> str:
        return f"From {self.from_number}: {self.body[:30]}"


class CallbackRequest(models.Model):
    """Someone at the front desk should call this patient back: they asked for a new time (R),
    or wrote something the system did not understand. Open until a person marks it handled."""

    RESCHEDULE = "reschedule"
    UNKNOWN_REPLY = "unknown_reply"
    OTHER = "other"
    REASON_CHOICES = [
        (RESCHEDULE, "Wants a new time"),
        (UNKNOWN_REPLY, "Reply not understood"),
        (OTHER, "Other"),
    ]

    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="callback_requests"
    )
    from_number = models.CharField(max_length=20, blank=True)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=13, choices=REASON_CHOICES)
    text = models.CharField("what they wrote", max_length=1600, blank=True)
    inbound = models.OneToOneField(
        InboundMessage, null=True, blank=True, on_delete=models.PROTECT, related_name="callback"
    )
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["handled_at", "created_at"]
        indexes = [models.Index(fields=["handled_at", "created_at"], name="callback_open_idx")]

    def __str__(self) -> str:
        return f"Call back {self.patient_id or self.from_number}: {self.get_reason_display()}"

    @property
    def is_open(self) -> bool:
        return self.handled_at is None
