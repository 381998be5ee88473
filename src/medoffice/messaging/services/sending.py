"""Sending what is due, exactly once, however many workers run and whichever of them dies.

A worker *claims* due messages in one short transaction (PostgreSQL: ``SELECT … FOR UPDATE
SKIP LOCKED``, so two workers never take the same rows; SQLite: writers queue, and the
claim is a conditional ``UPDATE … WHERE status = 'queued'``), marking them ``sending`` with
its claim token and the moment. It then sends them one by one, recording each result as
soon as it has it. A message left ``sending`` by a worker that died is claimed again once
its lease (``MEDOFFICE_MESSAGE_LEASE``) has run out; the provider sees the same
idempotency key and does not send it twice.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from medoffice.messaging import channels, conf
from medoffice.messaging.gateways import (
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
    gateway_for,
)
from medoffice.messaging.models import Message, MessageEvent, OptOut
from medoffice.messaging.services.composing import values_for
from medoffice.messaging.services.messages import log, queue_message
from medoffice.messaging.services.reminders import why_stale
from medoffice.messaging.templating import CHANNEL_LABELS, SMS, STOP_REPLY
from medoffice.scheduling.models import Appointment

BATCH = 50
# Successes are recorded this many at a time (one commit each).
RECORD_EVERY = 25


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    cancelled: int = 0
    fallbacks: int = 0

    def add(self, other: SendReport) -> None:
        for name in ("sent", "failed", "retried", "cancelled", "fallbacks"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def due_filter(now: dt.datetime) -> Q:
    lease = dt.timedelta(seconds=conf.number("MESSAGE_LEASE"))
    return Q(status=Message.QUEUED, scheduled_for__lte=now) | Q(
        status=Message.SENDING, claimed_at__lt=now - lease
    )


def claim_due(
    *, limit: int = BATCH, now: dt.datetime | None = None, token: str = ""
) -> list[Message]:
    """Take up to ``limit`` due messages for this worker (marks them sending); earliest first."""
    now = now or timezone.now()
    token = token or secrets.token_hex(8)
    with transaction.atomic():
        candidates = Message.objects.filter(due_filter(now)).order_by("scheduled_for", "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        Message.objects.filter(Q(pk__in=ids) & due_filter(now)).update(
            status=Message.SENDING,
            claimed_at=now,
            claimed_by=token,
            attempts=F("attempts") + 1,
        )
    return list(
        Message.objects.filter(pk__in=ids, claimed_by=token, status=Message.SENDING)
        .select_related("patient", "appointment__location", "fallback_of")
        .order_by("scheduled_for", "id")
    )


def _finish(message: Message, **fields) -> bool:
    """Record a result, if this worker still holds the message (it was not reclaimed and done)."""
    done = Message.objects.filter(
        pk=message.pk, status=Message.SENDING, claimed_by=message.claimed_by
    ).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)
    return bool(done)


def _tried_channels(message: Message) -> set[str]:
    tried, current = set(), message
    while current is not None:
        tried.add(current.channel)
        current = current.fallback_of
    return tried


def _fall_back(message: Message, reason: str, now: dt.datetime, report: SendReport) -> None:
    opted = set(
        OptOut.objects.filter(patient_id=message.patient_id, ended_at__isnull=True).values_list(
            "channel", flat=True
        )
    )
    routes = channels.routes_for(message.patient, opted_out=opted, exclude=_tried_channels(message))
    if not routes:
        others = [
            f"{CHANNEL_LABELS[c].lower()}: {why}"
            for c in channels.ORDER
            if c not in _tried_channels(message)
            and (why := channels.why_not(message.patient, c, opted))
        ]
        log(
            message,
            MessageEvent.FAILED,
            "no other channel reaches the patient" + (f" ({'; '.join(others)})" if others else ""),
            at=now,
        )
        return
    route = routes[0]
    if message.appointment_id and why_stale(message.appointment, now):
        return
    values = (
        values_for(message.patient, appointment=message.appointment)
        if message.appointment_id
        else values_for(message.patient)
    )
    values.update(message.kept_values or {})  # a plan's amount and date, as first said
    with transaction.atomic():
        fallback = queue_message(
            patient=message.patient,
            route=route,
            purpose=message.purpose,
            values=values,
            planned_for=now,
            appointment=message.appointment,
            rule=message.rule,
            fallback_of=message,
            topic=message.topic,
            note=f"fallback for {CHANNEL_LABELS[message.channel].lower()} #{message.pk}: {reason}",
            now=now,
        )
        if fallback is not None:
            log(
                message,
                MessageEvent.FALLBACK,
                f"sent instead by {CHANNEL_LABELS[route.channel].lower()} (#{fallback.pk}) "
                f"because {reason}",
                at=now,
            )
            report.fallbacks += 1


def _failure_words(message: Message, exc: PermanentFailure) -> str:
    if exc.unreachable and message.channel == SMS:
        return f"the number {message.to_address} cannot receive text messages ({exc.reason})"
    if exc.unreachable:
        label = CHANNEL_LABELS[message.channel].lower()
        return f"{message.to_address} cannot receive {label} ({exc.reason})"
    return exc.reason


def deliver(
    message: Message,
    *,
    now: dt.datetime | None = None,
    report: SendReport | None = None,
    opted_out: set[str] | None = None,
    sent_later: list | None = None,
) -> str:
    """Send one claimed message and record what happened; returns its new status.

    With ``sent_later``, a success is appended there for :func:`record_sent` instead of
    written at once (failures are always written at once). A worker that dies before
    recording leaves the message ``sending``; it is sent again after the lease with the
    same idempotency key, which the provider answers without delivering twice.
    """
    now = now or timezone.now()
    report = report if report is not None else SendReport()
    if message.appointment_id:
        # The visit as it is now, not as it was when the message was claimed.
        current = (
            Appointment.objects.filter(pk=message.appointment_id).values("status", "start").get()
        )
        message.appointment.status, message.appointment.start = current["status"], current["start"]
        why = why_stale(message.appointment, now)
        if why:
            if _finish(message, status=Message.CANCELLED, cancelled_at=now, error=why):
                log(message, MessageEvent.CANCELLED, why, at=now)
                report.cancelled += 1
            return message.status
    if opted_out is None:
        opted_out = set(
            OptOut.objects.filter(patient_id=message.patient_id, ended_at__isnull=True).values_list(
                "channel", flat=True
            )
        )
    why = channels.why_not(message.patient, message.channel, opted_out)
    if why and "opted out" in why and message.purpose != STOP_REPLY:
        if _finish(message, status=Message.CANCELLED, cancelled_at=now, error=f"patient {why}"):
            log(message, MessageEvent.CANCELLED, f"patient {why}", at=now)
            report.cancelled += 1
        return message.status
    try:
        result = gateway_for(message.channel).send(
            Outgoing(
                to=message.to_address,
                subject=message.subject,
                body=message.body,
                idempotency_key=str(message.idempotency_key),
            )
        )
    except TemporaryFailure as exc:
        return _temporary(message, exc.reason, now, report)
    except PermanentFailure as exc:
        words = _failure_words(message, exc)
        with transaction.atomic():
            if _finish(
                message,
                status=Message.FAILED,
                failed_at=now,
                error=words[:300],
                error_code=exc.code[:40],
            ):
                log(message, MessageEvent.FAILED, words, at=now)
                report.failed += 1
        if message.status == Message.FAILED:
            _fall_back(message, words, now, report)
        return message.status
    if sent_later is not None:
        sent_later.append((message, result, now))
        message.status = Message.SENT
        return message.status
    record_sent([(message, result, now)], report)
    return message.status


def record_sent(outcomes: list, report: SendReport) -> None:
    """Record messages the provider took, in one transaction (a batch costs one commit)."""
    events = []
    with transaction.atomic():
        for message, result, now in outcomes:
            if _finish(
                message,
                status=Message.SENT,
                sent_at=now,
                provider_message_id=result.provider_message_id[:100],
                error="",
            ):
                events.append(
                    MessageEvent(
                        message=message,
                        kind=MessageEvent.SENT,
                        at=now,
                        detail=(
                            f"accepted by the provider as {result.provider_message_id}"
                            + (f" ({result.status})" if result.status else "")
                        )[:300],
                    )
                )
        MessageEvent.objects.bulk_create(events)
    report.sent += len(events)


def _temporary(message: Message, reason: str, now: dt.datetime, report: SendReport) -> str:
    allowed = int(conf.number("MESSAGE_ATTEMPTS"))
    if message.attempts >= allowed:
        words = f"gave up after {message.attempts} tries; last: {reason}"
        with transaction.atomic():
            if _finish(message, status=Message.FAILED, failed_at=now, error=words[:300]):
                log(message, MessageEvent.FAILED, words, at=now)
                report.failed += 1
        if message.status == Message.FAILED:
            _fall_back(message, words, now, report)
        return message.status
    wait = dt.timedelta(seconds=conf.number("MESSAGE_BACKOFF") * (2 ** (message.attempts - 1)))
    with transaction.atomic():
        if _finish(
            message,
            status=Message.QUEUED,
            scheduled_for=now + wait,
            claimed_at=None,
            error=reason[:300],
        ):
            log(
                message,
                MessageEvent.RETRY,
                f"try {message.attempts} of {allowed} failed ({reason}); "
                f"next try in {int(wait.total_seconds())} s",
                at=now,
            )
            report.retried += 1
    return message.status


def send_due_messages(
    *,
    batch: int = BATCH,
    budget_seconds: float | None = None,
    clock: Callable[[], dt.datetime] = timezone.now,
) -> SendReport:
    """Claim and send due messages until none are due (or the time budget is spent)."""
    started = time.monotonic()
    report = SendReport()
    while True:
        claimed = claim_due(limit=batch, now=clock())
        if not claimed:
            return report
        opted: dict[int, set[str]] = {}
        for patient_id, channel in OptOut.objects.filter(
            patient_id__in={m.patient_id for m in claimed}, ended_at__isnull=True
        ).values_list("patient_id", "channel"):
            opted.setdefault(patient_id, set()).add(channel)
        sent_later: list = []
        for message in claimed:
            deliver(
                message,
                now=clock(),
                report=report,
                opted_out=opted.get(message.patient_id, set()),
                sent_later=sent_later,
            )
            if len(sent_later) >= RECORD_EVERY:
                record_sent(sent_later, report)
                sent_later = []
        if sent_later:
            record_sent(sent_later, report)
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            return report


def due_count(now: dt.datetime | None = None) -> int:
    return Message.objects.filter(due_filter(now or timezone.now())).count()
