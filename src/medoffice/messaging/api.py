"""API for messaging: handlers translate and call the app's services and selectors.

The provider's webhooks (no sign-in; an HMAC signature instead) and, for staff, messages,
templates and reminder rules.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from django.http import HttpRequest
from ninja import Router, Schema

from medoffice.core.audit import client_address
from medoffice.core.errors import DomainError
from medoffice.messaging import errors
from medoffice.messaging.services import replies

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
