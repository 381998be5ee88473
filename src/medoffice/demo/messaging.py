"""Reminders for the demo practice: rules per visit type, a month of reminder history, and the
reminders already queued for the next two weeks.

Past visits got their reminders on the patient's channel; most were delivered, a few
bounced and went another way (a landline that cannot take texts was called instead), some
patients answered C (the visits the history shows confirmed) or R (on the call-back list,
some still open), one or two replied STOP. Deterministic: the same seed on the same day gives
the same messages (ids, provider ids and idempotency keys drawn from the seed's stream).
"""

from __future__ import annotations

import datetime as dt
import uuid

from medoffice.demo.context import SeedContext
from medoffice.demo.schedule import EST, NP, PE, PROC, SchedulePlan
from medoffice.messaging import channels
from medoffice.messaging.models import (
    CallbackRequest,
    InboundMessage,
    Message,
    MessageEvent,
    OptOut,
    RecallRule,
    ReminderRule,
)
from medoffice.messaging.services.composing import compose, values_for
from medoffice.scheduling.models import Appointment

DAY = 60 * 24
RULES = {NP: (7 * DAY, 2 * DAY, 120), PE: (2 * DAY, 120), EST: (2 * DAY, 120), PROC: (2 * DAY,)}
PAST_DAYS = 30
AHEAD_DAYS = 14


def create_messaging(*, ctx: SeedContext, plan: SchedulePlan) -> int:
    """Rules, a month of reminders and the next two weeks' queue; returns the messages made."""
    rng = ctx.rng("messaging")
    rules: dict[int, list[ReminderRule]] = {}
    for code, offsets in RULES.items():
        kind = plan.types.get(code)
        if kind is None:
            continue
        rules[kind.pk] = [
            ReminderRule.objects.create(appointment_type=kind, minutes_before=m, created_at=ctx.now)
            for m in offsets
        ]
    if PE in plan.types:
        RecallRule.objects.create(appointment_type=plan.types[PE], months_after=12)
    # On the hour: two seeds a few seconds apart draw the same messages.
    now = ctx.now.replace(minute=0, second=0, microsecond=0)
    visits = list(
        Appointment.objects.filter(
            start__gte=now - dt.timedelta(days=PAST_DAYS),
            start__lt=now + dt.timedelta(days=AHEAD_DAYS),
            appointment_type_id__in=rules.keys(),
        )
        .exclude(booked_at__gt=now)
        .select_related("patient__home_location", "provider", "location__practice")
        .order_by("start", "pk")
    )
    messages: list[Message] = []
    events: list[MessageEvent] = []
    replies: list[tuple[Message, str]] = []
    serial = 0
    for visit in visits:
        routes = channels.routes_for(visit.patient)
        if not routes:
            continue
        values = values_for(visit.patient, appointment=visit)
        for rule in rules[visit.appointment_type_id]:
            planned = visit.start - dt.timedelta(minutes=rule.minutes_before)
            if planned < visit.booked_at:
                continue  # booked too late for this one
            route = routes[0]
            when, _moved = channels.send_time(
                planned,
                patient=visit.patient,
                channel=route.channel,
                zone=visit.location.zone,
                not_after=visit.start,
            )
            if when is None:
                continue
            serial += 1
            subject, body = compose("reminder", route.channel, values)
            message = Message(
                patient=visit.patient,
                appointment=visit,
                rule=rule,
                channel=route.channel,
                purpose="reminder",
                to_address=route.address,
                subject=subject,
                body=body,
                planned_for=planned,
                scheduled_for=when,
                created_at=min(when, now) - dt.timedelta(days=1),
                idempotency_key=uuid.UUID(int=rng.getrandbits(128)),
            )
            _outcome(message, visit, when, now, rng, serial, replies)
            messages.append(message)
    Message.objects.bulk_create(messages, batch_size=1000)
    for message in messages:
        events.extend(_events(message))
    MessageEvent.objects.bulk_create(events, batch_size=2000)
    _replies(replies, rng, now)
    return len(messages)


def _outcome(message, visit, when, now, rng, serial, replies) -> None:
    if when > now:
        return  # still queued
    draw = rng.random()
    message.attempts = 1
    if draw < 0.03:
        message.status, message.failed_at = Message.FAILED, when
        if message.channel == "sms":
            message.error = (
                f"the number {message.to_address} cannot receive text messages "
                "(provider refused it (21614): 'To' number is not a valid mobile number)"
            )
            message.error_code = "21614"
        else:
            message.error = f"mail server refused {message.to_address}: 550 No such user here"
            message.error_code = "550"
        message.handled_at = when + dt.timedelta(hours=3) if draw < 0.015 else None
        return
    prefix = {"sms": "SM", "voice": "CA", "email": "EM"}[message.channel]
    message.provider_message_id = f"{prefix}{serial:08d}"
    message.sent_at = when
    if draw < 0.9:
        message.status, message.delivered_at = Message.DELIVERED, when + dt.timedelta(seconds=4)
    else:
        message.status = Message.SENT
    if message.channel == "sms" and message.rule.minutes_before >= 2 * DAY:
        if visit.confirmed_at is not None and visit.confirmed_at > when:
            replies.append((message, "C"))
        elif draw > 0.97:
            replies.append((message, "R"))
        elif draw > 0.965:
            replies.append((message, "STOP"))


def _events(message: Message) -> list[MessageEvent]:
    made = [MessageEvent(message=message, kind="queued", at=message.created_at, detail="")]
    if message.scheduled_for != message.planned_for:
        made.append(
            MessageEvent(
                message=message,
                kind="moved",
                at=message.created_at,
                detail="moved out of quiet or outside contact hours",
            )
        )
    if message.status == Message.FAILED:
        made.append(
            MessageEvent(message=message, kind="failed", at=message.failed_at, detail=message.error)
        )
    if message.sent_at:
        made.append(
            MessageEvent(
                message=message,
                kind="sent",
                at=message.sent_at,
                detail=f"accepted by the provider as {message.provider_message_id}",
            )
        )
    if message.delivered_at:
        made.append(
            MessageEvent(
                message=message,
                kind="delivered",
                at=message.delivered_at,
                detail="the provider reports delivered",
            )
        )
    return made


def _replies(replies, rng, now) -> None:
    for n, (message, word) in enumerate(replies):
        at = message.sent_at + dt.timedelta(minutes=rng.randint(2, 300))
        if at > now:
            continue
        action = {"C": "confirmed", "R": "callback", "STOP": "opted_out"}[word]
        inbound = InboundMessage.objects.create(
            provider_message_id=f"IN{n + 1:08d}",
            from_number=message.to_address,
            body=word,
            received_at=at,
            patient=message.patient,
            in_reply_to=message,
            action=action,
            detail={"C": "confirmed the visit", "R": "on the call-back list", "STOP": ""}[word],
        )
        MessageEvent.objects.create(
            message=message, kind="reply", at=at, detail=f"patient replied {word}"
        )
        if word == "R":
            old = at < now - dt.timedelta(days=3)
            CallbackRequest.objects.create(
                patient=message.patient,
                from_number=message.to_address,
                appointment=message.appointment,
                reason=CallbackRequest.RESCHEDULE,
                text=word,
                inbound=inbound,
                created_at=at,
                handled_at=at + dt.timedelta(hours=2) if old else None,
                outcome="called back; kept the visit" if old else "",
            )
        elif (
            word == "STOP"
            and not OptOut.objects.filter(
                patient=message.patient, channel="sms", ended_at__isnull=True
            ).exists()
        ):
            OptOut.objects.create(
                patient=message.patient,
                channel="sms",
                at=at,
                source=f"replied STOP from {message.to_address}",
            )
