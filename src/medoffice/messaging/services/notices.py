"""One-off notices that are about no visit, sent for another part of the office (a payment
plan's reminder before an installment, its notice when one is missed).

A notice goes on the first channel that reaches the patient (their preferred one first,
with their consent and not opted out), keeping to quiet and contact hours like every
message. Each names a ``topic`` and there is one message per topic (a database
constraint), so the caller may plan the same notice as often as it likes: the first
queues it, the others find it there. Nothing is queued when no channel reaches the
patient; the caller then leaves the matter to a person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from medoffice.messaging import channels, templating
from medoffice.messaging.models import Message
from medoffice.messaging.services.messages import cancel_message, opted_out_channels, queue_message
from medoffice.patients.models import Patient

QUEUED = "queued"
ALREADY = "already"  # a message on this topic exists (queued, sent or cancelled)
NO_CHANNEL = "no_channel"


@dataclass(frozen=True)
class Notice:
    outcome: str
    message: Message | None = None
    why: str = ""


def topics_used(topics) -> set[str]:
    """Which of ``topics`` already have their message."""
    topics = [t for t in topics if t]
    if not topics:
        return set()
    return set(
        Message.objects.filter(topic__in=topics, fallback_of__isnull=True).values_list(
            "topic", flat=True
        )
    )


def queue_notice(
    *,
    patient: Patient,
    purpose: str,
    topic: str,
    values: dict[str, str],
    note: str = "",
    planned_for: dt.datetime | None = None,
    actor=None,
    now: dt.datetime | None = None,
) -> Notice:
    """Queue the one message on ``topic`` for ``patient`` unless it exists already."""
    if not topic:
        raise ValueError("a notice needs a topic")
    if purpose not in templating.PURPOSE_LABELS:
        raise ValueError(f"unknown purpose {purpose!r}")
    now = now or timezone.now()
    if topics_used([topic]):
        return Notice(ALREADY)
    opted = opted_out_channels(patient)
    routes = channels.routes_for(patient, opted_out=opted)
    if not routes:
        reasons = [
            f"{templating.CHANNEL_LABELS[c].lower()}: {why}"
            for c in channels.ORDER
            if (why := channels.why_not(patient, c, opted))
        ]
        return Notice(NO_CHANNEL, why="; ".join(reasons))
    try:
        with transaction.atomic():
            message = queue_message(
                patient=patient,
                route=routes[0],
                purpose=purpose,
                values=values,
                planned_for=planned_for or now,
                actor=actor,
                note=note,
                now=now,
                topic=topic,
            )
    except IntegrityError:
        return Notice(ALREADY)  # queued at the same moment by another worker
    return Notice(QUEUED, message)


def cancel_notices(*, topics, reason: str, actor=None, now: dt.datetime | None = None) -> int:
    """Cancel the notices on ``topics`` (and their fallbacks) that have not gone yet."""
    topics = [t for t in topics if t]
    if not topics:
        return 0
    cancelled = 0
    for message in Message.objects.filter(topic__in=topics, status=Message.QUEUED):
        cancelled += cancel_message(message, reason=reason, actor=actor, now=now)
    return cancelled
