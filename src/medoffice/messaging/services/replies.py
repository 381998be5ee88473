"""Texts patients send us: confirm (C, Y), call me for a new time (R), STOP, HELP; anything
else goes to the front desk's call-back list for a person to read. And the provider's delivery
reports for what we sent.

Both arrive as webhooks signed by the provider: HMAC-SHA256 of the raw request body with
``MEDOFFICE_SMS_WEBHOOK_SECRET``, hex, in the ``X-Signature`` header (``sha256=`` prefix
optional). A request whose signature does not match is refused (403) and logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from medoffice.core.errors import DomainError
from medoffice.messaging import channels, conf
from medoffice.messaging.models import (
    CallbackRequest,
    InboundMessage,
    Message,
    MessageEvent,
)
from medoffice.messaging.services.composing import values_for
from medoffice.messaging.services.messages import log, opt_out, queue_message
from medoffice.messaging.templating import (
    CALLBACK_REPLY,
    CONFIRMED_REPLY,
    HELP_REPLY,
    REMINDER,
    SMS,
    STOP_REPLY,
)
from medoffice.patients.models import Patient
from medoffice.patients.search_keys import phone_key
from medoffice.scheduling.models import Appointment
from medoffice.scheduling.services import confirm_appointment

logger = logging.getLogger("medoffice.messaging.webhooks")

CONFIRM_WORDS = {"C", "Y", "YES", "CONFIRM", "CONFIRMED", "OK"}
RESCHEDULE_WORDS = {"R", "RESCHEDULE", "CHANGE"}
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"}
HELP_WORDS = {"HELP", "INFO"}
REPLY_WINDOW = dt.timedelta(days=30)


def signature_ok(body: bytes, header: str) -> bool:
    """Whether ``header`` is the HMAC-SHA256 of ``body`` under the webhook secret."""
    secret = conf.setting("SMS_WEBHOOK_SECRET")
    if not secret or not header:
        return False
    given = header.strip().removeprefix("sha256=").lower()
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given, expected)


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def refuse_bad_signature(*, what: str, address: str) -> DomainError:
    reason = (
        "no webhook secret is set (MEDOFFICE_SMS_WEBHOOK_SECRET)"
        if not conf.setting("SMS_WEBHOOK_SECRET")
        else "the signature does not match"
    )
    logger.warning("refused %s webhook from %s: %s", what, address or "unknown", reason)
    return DomainError("bad_signature", f"Refused: {reason}.", "X-Signature", status=403)


def first_word(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text or "")
    return words[0].upper() if words else ""


def patient_for_number(number: str) -> Patient | None:
    key = phone_key(number)
    if not key:
        return None
    return (
        Patient.objects.filter(phone_mobile_key=key, active=True, merged_into__isnull=True)
        .select_related("home_location")
        .order_by("-pk")
        .first()
    )


def _last_sent_to(patient: Patient, now: dt.datetime) -> Message | None:
    return (
        Message.objects.filter(
            patient=patient,
            channel=SMS,
            status__in=Message.GONE_STATUSES,
            sent_at__gte=now - REPLY_WINDOW,
        )
        .select_related("appointment")
        .order_by("-sent_at", "-pk")
        .first()
    )


def _visit_to_confirm(patient: Patient, replied_to: Message | None, now) -> Appointment | None:
    if (
        replied_to is not None
        and replied_to.purpose == REMINDER
        and replied_to.appointment is not None
        and replied_to.appointment.status in Appointment.BOOKED_STATUSES
        and replied_to.appointment.start > now
    ):
        return replied_to.appointment
    return (
        Appointment.objects.filter(
            patient=patient,
            status__in=Appointment.BOOKED_STATUSES,
            start__gt=now,
            start__lte=now + REPLY_WINDOW,
        )
        .order_by("start")
        .first()
    )


def _answer(patient, number, purpose, *, appointment=None, now):
    values = (
        values_for(patient, appointment=appointment)
        if appointment is not None
        else values_for(patient)
    )
    return queue_message(
        patient=patient,
        route=channels.Route(SMS, number),
        purpose=purpose,
        values=values,
        planned_for=now,
        appointment=appointment,
        note="answer to the patient's text",
        now=now,
        immediate=True,
    )


def _to_callback_list(inbound, patient, number, reason, appointment, text, now):
    return CallbackRequest.objects.create(
        patient=patient,
        from_number=number,
        appointment=appointment,
        reason=reason,
        text=text[:1600],
        inbound=inbound,
        created_at=now,
    )


def receive_text(
    *,
    provider_message_id: str,
    from_number: str,
    body: str,
    to_number: str = "",
    now: dt.datetime | None = None,
) -> InboundMessage:
    """Act on a text a patient sent; the same provider id twice is acted on once."""
    now = now or timezone.now()
    existing = InboundMessage.objects.filter(provider_message_id=provider_message_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _receive(provider_message_id, from_number, body, to_number, now)
    except IntegrityError:
        return InboundMessage.objects.get(provider_message_id=provider_message_id)


def _receive(provider_message_id, from_number, body, to_number, now) -> InboundMessage:
    from medoffice.messaging.services import offers

    patient = patient_for_number(from_number)
    replied_to = _last_sent_to(patient, now) if patient else None
    inbound = InboundMessage.objects.create(
        provider_message_id=provider_message_id[:100],
        from_number=from_number[:20],
        to_number=to_number[:20],
        body=body[:1600],
        received_at=now,
        patient=patient,
        in_reply_to=replied_to,
        action=InboundMessage.UNKNOWN,
    )
    word = first_word(body)
    action, detail = InboundMessage.UNKNOWN, ""
    if patient is None:
        detail = "no active patient has this mobile number"
        _to_callback_list(
            inbound, None, from_number, CallbackRequest.UNKNOWN_REPLY, None, body, now
        )
    elif word in STOP_WORDS:
        opt_out(patient=patient, channel=SMS, source=f"replied {word} from {from_number}", now=now)
        _answer(patient, from_number, STOP_REPLY, now=now)
        action, detail = InboundMessage.OPTED_OUT, "no more text messages"
    elif word in HELP_WORDS:
        _answer(patient, from_number, HELP_REPLY, now=now)
        action, detail = InboundMessage.HELP, "sent the office's phone number"
    elif (taken := offers.take_offer_by_reply(patient=patient, text=body, now=now)) is not None:
        action, detail = taken
    elif word in CONFIRM_WORDS:
        visit = _visit_to_confirm(patient, replied_to, now)
        if visit is None:
            detail = "nothing booked to confirm"
            _to_callback_list(
                inbound, patient, from_number, CallbackRequest.UNKNOWN_REPLY, None, body, now
            )
        else:
            confirm_appointment(actor=None, appointment=visit, at=now, via="text reply")
            _answer(patient, from_number, CONFIRMED_REPLY, appointment=visit, now=now)
            action, detail = InboundMessage.CONFIRMED, f"confirmed appointment {visit.pk}"
    elif word in RESCHEDULE_WORDS:
        visit = _visit_to_confirm(patient, replied_to, now)
        _to_callback_list(
            inbound, patient, from_number, CallbackRequest.RESCHEDULE, visit, body, now
        )
        _answer(patient, from_number, CALLBACK_REPLY, now=now)
        action, detail = InboundMessage.CALLBACK, "on the call-back list for a new time"
    else:
        detail = "not understood: on the call-back list for a person to read"
        _to_callback_list(
            inbound, patient, from_number, CallbackRequest.UNKNOWN_REPLY, None, body, now
        )
    inbound.action, inbound.detail = action, detail[:300]
    inbound.save(update_fields=["action", "detail"])
    if replied_to is not None:
        log(
            replied_to, MessageEvent.REPLY, f"patient replied {word or '(empty)'}: {detail}", at=now
        )
    return inbound


DELIVERED_WORDS = {"delivered", "read", "completed", "answered"}
FAILED_WORDS = {"failed", "undelivered", "busy", "no-answer", "canceled", "rejected"}


def record_delivery_status(
    *,
    provider_message_id: str,
    status: str,
    error_code: str = "",
    error_message: str = "",
    now: dt.datetime | None = None,
) -> Message | None:
    """Record what the provider says became of a message it took (delivered, or failed and why).

    Unknown ids are ignored (None); a report that changes nothing changes nothing.
    """
    from medoffice.messaging.services.sending import SendReport, _fall_back

    now = now or timezone.now()
    status = status.strip().lower()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(provider_message_id=provider_message_id)
            .first()
        )
        if message is None:
            return None
        if status in DELIVERED_WORDS and message.status == Message.SENT:
            message.status, message.delivered_at = Message.DELIVERED, now
            message.save(update_fields=["status", "delivered_at"])
            log(message, MessageEvent.DELIVERED, f"the provider reports {status}", at=now)
            return message
        if status not in FAILED_WORDS or message.status not in Message.GONE_STATUSES:
            return message
        words = f"the provider reports {status}"
        if error_code or error_message:
            words += f" ({error_code}{': ' if error_code and error_message else ''}{error_message})"
        message.status, message.failed_at = Message.FAILED, now
        message.error, message.error_code = words[:300], error_code[:40]
        message.save(update_fields=["status", "failed_at", "error", "error_code"])
        log(message, MessageEvent.FAILED, words, at=now)
    message = Message.objects.select_related("patient", "appointment", "fallback_of", "rule").get(
        pk=message.pk
    )
    _fall_back(message, words, now, SendReport())
    return message
