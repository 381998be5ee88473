"""API for messaging: handlers translate and call the app's services and selectors.

The provider's webhooks (no sign-in; an HMAC signature instead) and, for staff, messages,
templates and reminder rules.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs

from django.http import HttpRequest
from ninja import Router, Schema, Status

from medoffice.core.audit import UPDATE, VIEW, client_address, log_patient_access, record_access
from medoffice.core.errors import DomainError
from medoffice.messaging import errors, selectors, templating
from medoffice.messaging.models import Message, MessageTemplate, ReminderRule
from medoffice.messaging.services import replies, setup
from medoffice.messaging.services.composing import template_for
from medoffice.messaging.services.messages import retry_message
from medoffice.scheduling.models import AppointmentType

router = Router(tags=["messaging"])


class WebhookOut(Schema):
    ok: bool
    action: str = ""


class ErrorOut(Schema):
    detail: str
    code: str
    field: str | None = None


def _payload(request: HttpRequest, what: str) -> dict[str, str]:
    if not replies.signature_ok(request.body, request.headers.get("X-Signature", "")):
        raise replies.refuse_bad_signature(what=what, address=client_address(request))
    content_type = request.headers.get("Content-Type", "")
    try:
        if content_type.startswith("application/json"):
            data = json.loads(request.body or b"{}")
            if not isinstance(data, dict):
                raise ValueError
            return {str(k): str(v) for k, v in data.items()}
        return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid(
            errors.INVALID, "The body is not a form or a JSON object.", None
        ) from None


def _need(data: dict[str, str], *names: str) -> str:
    for name in names:
        if data.get(name, "").strip():
            return data[name].strip()
    raise DomainError(errors.INVALID, f"{names[0]} is missing.", names[0], status=422)


@router.post(
    "/messaging/webhooks/sms",
    auth=None,
    response={200: WebhookOut, 403: ErrorOut, 422: ErrorOut},
    summary="Inbound text from a patient (signed by the provider: X-Signature)",
)
def inbound_sms(request: HttpRequest):
    data = _payload(request, "inbound text")
    inbound = replies.receive_text(
        provider_message_id=_need(data, "MessageId", "MessageSid", "id"),
        from_number=_need(data, "From", "from"),
        to_number=data.get("To", data.get("to", "")),
        body=data.get("Body", data.get("body", "")),
    )
    return {"ok": True, "action": inbound.action}


@router.post(
    "/messaging/webhooks/status",
    auth=None,
    response={200: WebhookOut, 403: ErrorOut, 422: ErrorOut},
    summary="Delivery report for a message we sent (signed by the provider: X-Signature)",
)
def delivery_status(request: HttpRequest):
    data = _payload(request, "delivery status")
    message = replies.record_delivery_status(
        provider_message_id=_need(data, "MessageId", "MessageSid", "id"),
        status=_need(data, "MessageStatus", "CallStatus", "status"),
        error_code=data.get("ErrorCode", ""),
        error_message=data.get("ErrorMessage", ""),
    )
    return {"ok": True, "action": message.status if message else "unknown message"}


# -- staff endpoints: messages, templates, reminder rules ---------------------------------


class MessageOut(Schema):
    id: int
    patient: int
    appointment: int | None
    channel: str
    purpose: str
    to: str
    subject: str
    body: str
    status: str
    planned_for: dt.datetime
    scheduled_for: dt.datetime
    attempts: int
    provider_message_id: str
    error: str
    fallback_of: int | None
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None


class EventOut(Schema):
    kind: str
    at: dt.datetime
    detail: str


class MessageDetailOut(MessageOut):
    events: list[EventOut]


class TemplateOut(Schema):
    purpose: str
    channel: str
    subject: str
    body: str
    custom: bool


class TemplateIn(Schema):
    subject: str = ""
    body: str


class RuleOut(Schema):
    id: int
    appointment_type: int
    minutes_before: int
    offset: str
    active: bool


class RuleIn(Schema):
    appointment_type: int
    minutes_before: int


class ActiveIn(Schema):
    active: bool


def _perm(request: HttpRequest, perm: str, doing: str) -> None:
    if not request.auth.has_perm(perm):
        raise DomainError(errors.PERMISSION_DENIED, f"Your role cannot {doing}.", None, status=403)


def _message_out(m: Message) -> dict:
    return {
        "id": m.pk,
        "patient": m.patient_id,
        "appointment": m.appointment_id,
        "channel": m.channel,
        "purpose": m.purpose,
        "to": m.to_address,
        "subject": m.subject,
        "body": m.body,
        "status": m.status,
        "planned_for": m.planned_for,
        "scheduled_for": m.scheduled_for,
        "attempts": m.attempts,
        "provider_message_id": m.provider_message_id,
        "error": m.error,
        "fallback_of": m.fallback_of_id,
        "sent_at": m.sent_at,
        "delivered_at": m.delivered_at,
    }


def _message_or_404(message_id: int) -> Message:
    found = Message.objects.filter(pk=message_id).first()
    if found is None:
        raise DomainError(errors.NOT_FOUND, f"There is no message {message_id}.", None, status=404)
    return found


@router.get(
    "/messaging/messages",
    response={200: list[MessageOut], 403: ErrorOut, 422: ErrorOut},
    summary="Messages, newest first: one patient's, or one day's (UTC date), or all",
)
def list_messages(
    request: HttpRequest,
    patient: int | None = None,
    day: dt.date | None = None,
    status: str = "",
    limit: int = 50,
    offset: int = 0,
):
    _perm(request, "messaging.view_message", "see messages")
    if status and status not in dict(Message.STATUS_CHOICES):
        raise errors.invalid(errors.INVALID, f"Unknown status {status!r}.", "status")
    if not 1 <= limit <= 500 or offset < 0:
        raise errors.invalid(errors.INVALID, "limit is 1 to 500; offset 0 or more.", "limit")
    rows = selectors.message_log(patient=patient, day=day, status=status)
    result = [_message_out(m) for m in rows[offset : offset + limit]]
    if patient is not None:
        log_patient_access(request, patient_id=patient, object_type="messages", detail="api")
    else:
        record_access(
            user=request.auth,
            action=VIEW,
            object_type="message log",
            object_id="",
            ip_address=client_address(request),
            detail=f"api day={day} rows={len(result)}",
        )
    return result


@router.get(
    "/messaging/messages/{message_id}",
    response={200: MessageDetailOut, 403: ErrorOut, 404: ErrorOut},
    summary="One message with its delivery log",
)
def get_message(request: HttpRequest, message_id: int):
    _perm(request, "messaging.view_message", "see messages")
    message = _message_or_404(message_id)
    log_patient_access(
        request, patient_id=message.patient_id, object_type="message", object_id=message.pk
    )
    out = _message_out(message)
    out["events"] = [{"kind": e.kind, "at": e.at, "detail": e.detail} for e in message.events.all()]
    return out


@router.post(
    "/messaging/messages/{message_id}/retry",
    response={200: MessageOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Queue a failed message to go again now",
)
def retry(request: HttpRequest, message_id: int):
    _perm(request, "messaging.change_message", "retry messages")
    message = retry_message(actor=request.auth, message=_message_or_404(message_id))
    log_patient_access(
        request,
        patient_id=message.patient_id,
        action=UPDATE,
        object_type="message",
        object_id=message.pk,
        detail="retry",
    )
    return _message_out(message)


@router.get(
    "/messaging/templates",
    response={200: list[TemplateOut], 403: ErrorOut},
    summary="The words of every purpose and channel (the office's own, or the built-in)",
)
def list_templates(request: HttpRequest):
    _perm(request, "messaging.view_messagetemplate", "see templates")
    custom = set(MessageTemplate.objects.values_list("purpose", "channel"))
    out = []
    for purpose, _ in templating.PURPOSE_CHOICES:
        for channel, _ in templating.CHANNEL_CHOICES:
            subject, body = template_for(purpose, channel)
            out.append(
                {
                    "purpose": purpose,
                    "channel": channel,
                    "subject": subject if channel == templating.EMAIL else "",
                    "body": body,
                    "custom": (purpose, channel) in custom,
                }
            )
    return out


@router.put(
    "/messaging/templates/{purpose}/{channel}",
    response={200: TemplateOut, 403: ErrorOut, 422: ErrorOut},
    summary="Set the words (422 unknown_placeholder names a placeholder we do not fill)",
)
def put_template(request: HttpRequest, purpose: str, channel: str, payload: TemplateIn):
    _perm(request, "messaging.change_messagetemplate", "change templates")
    row = setup.save_template(
        actor=request.auth,
        purpose=purpose,
        channel=channel,
        subject=payload.subject,
        body=payload.body,
    )
    return {
        "purpose": row.purpose,
        "channel": row.channel,
        "subject": row.subject,
        "body": row.body,
        "custom": True,
    }


def _rule_out(rule: ReminderRule) -> dict:
    return {
        "id": rule.pk,
        "appointment_type": rule.appointment_type_id,
        "minutes_before": rule.minutes_before,
        "offset": rule.offset_display,
        "active": rule.active,
    }


@router.get(
    "/messaging/reminder-rules",
    response={200: list[RuleOut], 403: ErrorOut},
    summary="Reminder rules per appointment type",
)
def list_rules(request: HttpRequest):
    _perm(request, "messaging.view_reminderrule", "see reminder rules")
    return [_rule_out(r) for r in ReminderRule.objects.all()]


@router.post(
    "/messaging/reminder-rules",
    response={201: RuleOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Remind this long before every visit of a type (409 duplicate)",
)
def add_rule(request: HttpRequest, payload: RuleIn):
    _perm(request, "messaging.add_reminderrule", "add reminder rules")
    kind = AppointmentType.objects.filter(pk=payload.appointment_type).first()
    if kind is None:
        raise errors.invalid(
            errors.NOT_FOUND,
            f"There is no appointment type {payload.appointment_type}.",
            "appointment_type",
        )
    rule = setup.add_reminder_rule(
        actor=request.auth, appointment_type=kind, minutes_before=payload.minutes_before
    )
    return Status(201, _rule_out(rule))


@router.post(
    "/messaging/reminder-rules/{rule_id}/active",
    response={200: RuleOut, 403: ErrorOut, 404: ErrorOut},
    summary="Switch a rule on or off (off cancels its queued reminders)",
)
def set_active(request: HttpRequest, rule_id: int, payload: ActiveIn):
    _perm(request, "messaging.change_reminderrule", "change reminder rules")
    rule = ReminderRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise DomainError(errors.NOT_FOUND, f"There is no rule {rule_id}.", None, status=404)
    return _rule_out(setup.set_rule_active(actor=request.auth, rule=rule, active=payload.active))
