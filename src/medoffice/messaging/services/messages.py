"""Queueing, cancelling and logging messages: the one door for each change of a message."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from medoffice.messaging import channels, errors, templating
from medoffice.messaging.models import Message, MessageEvent, OptOut
from medoffice.messaging.services.composing import compose
from medoffice.patients.models import Patient
from medoffice.scheduling.models import Appointment


def log(message: Message, kind: str, detail: str = "", *, by=None, at=None) -> MessageEvent:
    return MessageEvent.objects.create(
        message=message,
        kind=kind,
        detail=detail[:300],
        at=at or timezone.now(),
        by=by if getattr(by, "is_authenticated", False) else None,
    )


def opted_out_channels(patient: Patient | int) -> set[str]:
    pk = patient.pk if isinstance(patient, Patient) else patient
    return set(
        OptOut.objects.filter(patient_id=pk, ended_at__isnull=True).values_list(
            "channel", flat=True
        )
    )


def queue_message(
    *,
    patient: Patient,
    route: channels.Route,
    purpose: str,
    values: dict[str, str],
    planned_for: dt.datetime,
    appointment: Appointment | None = None,
    rule=None,
    fallback_of: Message | None = None,
    actor=None,
    note: str = "",
    now: dt.datetime | None = None,
    immediate: bool = False,
    topic: str = "",
) -> Message | None:
    """Compose and queue one message; its send time keeps to quiet and contact hours
    (unless ``immediate``: an answer to a text the patient just sent). A ``topic`` makes it
    the one message on that topic (a second raises IntegrityError; see ``notices``).

    Returns None (and queues nothing) when a reminder would have to go after the visit.
    """
    now = now or timezone.now()
    zone = channels.zone_for(patient, appointment.location if appointment else None)
    if immediate:
        when, moved = planned_for, ""
    else:
        when, moved = channels.send_time(
            max(planned_for, now) if fallback_of is not None else planned_for,
            patient=patient,
            channel=route.channel,
            zone=zone,
            not_after=appointment.start if appointment is not None else None,
        )
    if when is None:
        return None
    subject, body = compose(purpose, route.channel, values)
    message = Message.objects.create(
        patient=patient,
        appointment=appointment,
        rule=rule,
        channel=route.channel,
        purpose=purpose,
        to_address=route.address,
        subject=subject,
        body=body,
        planned_for=planned_for,
        scheduled_for=when,
        fallback_of=fallback_of,
        topic=topic,
        kept_values={k: values[k] for k in templating.KEPT_PLACEHOLDERS if values.get(k)},
        created_at=now,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    log(message, MessageEvent.QUEUED, note, by=actor, at=now)
    if moved:
        log(message, MessageEvent.MOVED, moved, at=now)
    return message


def cancel_message(message: Message, *, reason: str, actor=None, now=None) -> bool:
    """Cancel a message that has not gone yet; False when it had already gone (or was cancelled)."""
    now = now or timezone.now()
    changed = Message.objects.filter(pk=message.pk, status=Message.QUEUED).update(
        status=Message.CANCELLED, cancelled_at=now, error=reason[:300]
    )
    if changed:
        message.status, message.cancelled_at, message.error = Message.CANCELLED, now, reason[:300]
        log(message, MessageEvent.CANCELLED, reason, by=actor, at=now)
    return bool(changed)


@transaction.atomic
def retry_message(*, actor, message: Message | int, now=None) -> Message:
    """Put a failed message back in the queue to go now (the failed-deliveries queue's Retry)."""
    now = now or timezone.now()
    pk = message.pk if isinstance(message, Message) else message
    locked = Message.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise errors.DomainError(errors.NOT_FOUND, f"There is no message {pk}.", None, status=404)
    if locked.status != Message.FAILED:
        raise errors.conflict(
            errors.INVALID_TRANSITION,
            f"Only a failed message can be retried; this one is {locked.get_status_display()}.",
        )
    why = channels.why_not(locked.patient, locked.channel, opted_out_channels(locked.patient_id))
    if why:
        raise errors.conflict(errors.NO_CHANNEL, f"Cannot retry: the patient {why}.", "channel")
    locked.status = Message.QUEUED
    locked.scheduled_for = now
    locked.to_address = channels.address_for(locked.patient, locked.channel)
    locked.error, locked.error_code = "", ""
    locked.attempts = 0
    locked.handled_at, locked.handled_by = None, None
    locked.save(
        update_fields=[
            "status",
            "scheduled_for",
            "to_address",
            "error",
            "error_code",
            "attempts",
            "handled_at",
            "handled_by",
        ]
    )
    log(locked, MessageEvent.REQUEUED, "retry asked for from the failed-deliveries queue", by=actor)
    return locked


@transaction.atomic
def mark_failure_handled(*, actor, message: Message | int, note: str = "", now=None) -> Message:
    """Take a failed message off the failed-deliveries queue (someone phoned, or it no longer
    matters), saying so in its log."""
    now = now or timezone.now()
    pk = message.pk if isinstance(message, Message) else message
    locked = Message.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise errors.DomainError(errors.NOT_FOUND, f"There is no message {pk}.", None, status=404)
    if locked.status != Message.FAILED:
        raise errors.conflict(
            errors.INVALID_TRANSITION,
            f"Only a failed message can be marked handled; this one is "
            f"{locked.get_status_display()}.",
        )
    if locked.handled_at is None:
        locked.handled_at = now
        locked.handled_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.save(update_fields=["handled_at", "handled_by"])
        log(locked, MessageEvent.HANDLED, note.strip()[:300] or "marked handled", by=actor, at=now)
    return locked


@transaction.atomic
def opt_out(*, patient: Patient, channel: str, source: str, actor=None, now=None) -> OptOut:
    """Stop every future message to the patient on ``channel``; pending ones are cancelled."""
    now = now or timezone.now()
    existing = OptOut.objects.filter(
        patient=patient, channel=channel, ended_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    row = OptOut.objects.create(
        patient=patient,
        channel=channel,
        at=now,
        source=source[:80],
        by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    for message in Message.objects.filter(patient=patient, channel=channel, status=Message.QUEUED):
        cancel_message(message, reason=f"patient opted out ({source})"[:300], now=now)
    return row


@transaction.atomic
def opt_in(*, patient: Patient, channel: str, actor, now=None) -> int:
    """End the patient's opt-out of ``channel`` (they asked the office to be messaged again)."""
    now = now or timezone.now()
    return OptOut.objects.filter(patient=patient, channel=channel, ended_at__isnull=True).update(
        ended_at=now, ended_by=actor if getattr(actor, "is_authenticated", False) else None
    )


@transaction.atomic
def handle_callback(*, actor, request, outcome: str, now=None):
    """Someone called the patient back (or dealt with it otherwise): off the open list."""
    from medoffice.messaging.models import CallbackRequest

    now = now or timezone.now()
    pk = request.pk if isinstance(request, CallbackRequest) else request
    locked = CallbackRequest.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise errors.DomainError(
            errors.NOT_FOUND, f"There is no call-back request {pk}.", None, status=404
        )
    outcome = (outcome or "").strip()
    if not outcome:
        raise errors.invalid(
            errors.INVALID, "Say what was done (e.g. 'moved to Tue 9:00').", "outcome"
        )
    if len(outcome) > 200:
        raise errors.invalid(errors.INVALID, "Keep it to 200 characters.", "outcome")
    if locked.handled_at is not None:
        raise errors.conflict(errors.INVALID_TRANSITION, "This call-back was already handled.")
    locked.handled_at, locked.outcome = now, outcome
    locked.handled_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.save(update_fields=["handled_at", "handled_by", "outcome"])
    return locked
