"""The office manager's set-up: reminder rules per visit type and the templates' words."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from medoffice.messaging import errors, templating
from medoffice.messaging.models import MessageTemplate, ReminderRule
from medoffice.messaging.models.rules import MAX_MINUTES_BEFORE, describe_offset
from medoffice.scheduling.models import AppointmentType


@transaction.atomic
def save_template(
    *, actor, purpose: str, channel: str, body: str, subject: str = ""
) -> MessageTemplate:
    """Set the office's words for ``purpose`` on ``channel``; an unknown placeholder is refused,
    naming it and the field."""
    if purpose not in templating.PURPOSE_LABELS:
        raise errors.invalid(errors.INVALID, f"Unknown purpose {purpose!r}.", "purpose")
    if channel not in templating.CHANNEL_LABELS:
        raise errors.invalid(errors.INVALID, f"Unknown channel {channel!r}.", "channel")
    subject, body = subject.strip(), body.strip()
    if channel != templating.EMAIL:
        subject = ""
    if len(subject) > 150:
        raise errors.invalid(errors.BAD_TEMPLATE, "Keep the subject to 150 characters.", "subject")
    if len(body) > 2000:
        raise errors.invalid(errors.BAD_TEMPLATE, "Keep the message to 2000 characters.", "body")
    templating.check_template(subject=subject, body=body, channel=channel, purpose=purpose)
    row, _ = MessageTemplate.objects.update_or_create(
        purpose=purpose,
        channel=channel,
        defaults={
            "subject": subject,
            "body": body,
            "updated_at": timezone.now(),
            "updated_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    return row


@transaction.atomic
def reset_template(*, actor, purpose: str, channel: str) -> None:
    """Go back to the built-in words."""
    MessageTemplate.objects.filter(purpose=purpose, channel=channel).delete()


def add_reminder_rule(
    *, actor, appointment_type: AppointmentType, minutes_before: int
) -> ReminderRule:
    """Remind patients this long before every visit of this type (switches an old one back on)."""
    if not isinstance(minutes_before, int) or not 15 <= minutes_before <= MAX_MINUTES_BEFORE:
        raise errors.invalid(
            errors.INVALID,
            "A reminder goes between 15 minutes and 60 days before the visit.",
            "minutes_before",
        )
    try:
        with transaction.atomic():
            existing = ReminderRule.objects.filter(
                appointment_type=appointment_type, minutes_before=minutes_before
            ).first()
            if existing is not None:
                if existing.active:
                    raise errors.conflict(
                        errors.DUPLICATE,
                        f"{appointment_type.name} visits already have a reminder "
                        f"{describe_offset(minutes_before)} before.",
                        "minutes_before",
                    )
                existing.active = True
                existing.save(update_fields=["active"])
                return existing
            return ReminderRule.objects.create(
                appointment_type=appointment_type, minutes_before=minutes_before
            )
    except IntegrityError:
        raise errors.conflict(
            errors.DUPLICATE,
            f"{appointment_type.name} visits already have a reminder "
            f"{describe_offset(minutes_before)} before.",
            "minutes_before",
        ) from None


@transaction.atomic
def set_rule_active(*, actor, rule: ReminderRule, active: bool) -> ReminderRule:
    """Switch a rule on or off; queued reminders of a rule switched off are cancelled."""
    from medoffice.messaging.models import Message
    from medoffice.messaging.services.messages import cancel_message

    rule.active = active
    rule.save(update_fields=["active"])
    if not active:
        for message in Message.objects.filter(rule=rule, status=Message.QUEUED):
            cancel_message(message, reason="the reminder rule was switched off", actor=actor)
    return rule


def parse_offset(text: str) -> int:
    """ "7d", "2 days", "2h", "90m", "1d 2h" → minutes; a DomainError naming the field otherwise."""
    import re

    units = {"d": 1440, "day": 1440, "h": 60, "hour": 60, "m": 1, "min": 1, "minute": 1}
    total, matched = 0, False
    cleaned = text.strip().lower()
    for amount, unit in re.findall(r"(\d+)\s*([a-z]+)", cleaned):
        unit = unit.rstrip("s") if unit not in ("m",) else unit
        if unit not in units:
            raise errors.invalid(
                errors.INVALID, f"Unknown unit {unit!r}: write e.g. 7d, 2h or 90m.", "offset"
            )
        total += int(amount) * units[unit]
        matched = True
    leftover = re.sub(r"(\d+)\s*([a-z]+)", "", cleaned).strip()
    if not matched or leftover:
        raise errors.invalid(
            errors.INVALID, "Write how long before the visit, e.g. 7d, 2 days, 2h or 90m.", "offset"
        )
    return total
