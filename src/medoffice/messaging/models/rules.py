"""What the office sends and when: reminder rules per visit type, and the templates' words."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from medoffice.core.errors import DomainError
from medoffice.messaging import templating
from medoffice.scheduling.models import AppointmentType

MAX_MINUTES_BEFORE = 60 * 24 * 60  # 60 days


def describe_offset(minutes: int) -> str:
    """ "7 days", "2 hours", "1 day 2 hours" — a rule's offset as the office says it."""
    days, rest = divmod(minutes, 60 * 24)
    hours, mins = divmod(rest, 60)
    parts = []
    for value, word in ((days, "day"), (hours, "hour"), (mins, "minute")):
        if value:
            parts.append(f"{value} {word}{'s' if value != 1 else ''}")
    return " ".join(parts) or "0 minutes"


class ReminderRule(models.Model):
    """Send a reminder this long before every visit of one appointment type (e.g. 7 days, 2 days
    and 2 hours before a new-patient visit). Switched off rules stay, for the messages they made.
    """

    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="reminder_rules"
    )
    minutes_before = models.PositiveIntegerField(
        validators=[MinValueValidator(15), MaxValueValidator(MAX_MINUTES_BEFORE)],
        help_text="How long before the visit: 15 minutes to 60 days.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["appointment_type__name", "-minutes_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment_type", "minutes_before"],
                name="reminderrule_one_per_type_offset",
                violation_error_message="This visit type already has a reminder at that time.",
            ),
            models.CheckConstraint(
                condition=Q(minutes_before__gte=15) & Q(minutes_before__lte=MAX_MINUTES_BEFORE),
                name="reminderrule_offset_range",
                violation_error_message="A reminder goes 15 minutes to 60 days before the visit.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type}: {self.offset_display} before"

    @property
    def offset_display(self) -> str:
        return describe_offset(self.minutes_before)


class RecallRule(models.Model):
    """Patients are due again ``months_after`` months after their last visit of one type (e.g. an
    annual physical 12 months after the last); the recall list shows those with nothing booked."""

    appointment_type = models.OneToOneField(
        AppointmentType, on_delete=models.PROTECT, related_name="recall_rule"
    )
    months_after = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="1 to 60 months after the last visit of this type.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["appointment_type__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(months_after__gte=1) & Q(months_after__lte=60),
                name="recallrule_months_range",
                violation_error_message="A recall comes 1 to 60 months after the last visit.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type}: {self.months_after} months after the last"


class MessageTemplate(models.Model):
    """The office's own words for one purpose on one channel (a reminder by text, by email …).

    Without a row, the built-in words in :mod:`medoffice.messaging.templating` are used.
    Placeholders are checked on save: an unknown one is refused, naming it.
    """

    purpose = models.CharField(max_length=20, choices=templating.PURPOSE_CHOICES)
    channel = models.CharField(max_length=5, choices=templating.CHANNEL_CHOICES)
    subject = models.CharField(max_length=150, blank=True, help_text="Email only.")
    body = models.TextField(max_length=2000)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["purpose", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "channel"],
                name="messagetemplate_one_per_purpose_channel",
                violation_error_message="There is already a template for this purpose and channel.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} ({self.get_channel_display()})"

    def save(self, *args, **kwargs):
        # The placeholder check guards every write path (admin, API, scripts), not only forms.
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            templating.check_template(
                subject=self.subject, body=self.body, channel=self.channel, purpose=self.purpose
            )
        except DomainError as exc:
            raise ValidationError({exc.field or "body": exc.message}) from None
