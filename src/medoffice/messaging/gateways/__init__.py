"""How a message leaves the building: one small interface, one gateway per channel.

A gateway's ``send`` returns the provider's message id and status, or raises
:class:`TemporaryFailure` (worth retrying later: 5xx, timeouts, a dropped
connection) or :class:`PermanentFailure` (retrying will not help: an invalid
or landline number, a refused address; ``unreachable`` marks "this address
cannot receive on this channel", which sends the message to the next channel).
Every try of one message passes the same ``idempotency_key``, so a provider
that saw it before answers with the first result instead of sending again.

- email: :class:`medoffice.messaging.gateways.email.EmailGateway` (Django's mail backends)
- text and call: :class:`medoffice.messaging.gateways.http.HttpGateway`
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from medoffice.messaging import conf
from medoffice.messaging.templating import EMAIL, SMS, VOICE


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str
    idempotency_key: str


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    status: str = "sent"


class TemporaryFailure(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class PermanentFailure(Exception):
    def __init__(self, reason: str, *, code: str = "", unreachable: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.unreachable = unreachable


class Gateway(Protocol):
    channel: str

    def send(self, message: Outgoing) -> SendResult: ...


_local = threading.local()


def gateway_for(channel: str) -> Gateway:
    """The gateway for ``channel`` as configured now (one per thread, reused: kept-alive
    connections)."""
    from medoffice.messaging.gateways.email import EmailGateway
    from medoffice.messaging.gateways.http import HttpGateway

    if channel == EMAIL:
        key = (EMAIL, conf.email_from())
    elif channel in (SMS, VOICE):
        prefix = "SMS" if channel == SMS else "VOICE"
        key = (
            channel,
            conf.setting(f"{prefix}_URL"),
            conf.setting(f"{prefix}_TOKEN"),
            conf.setting(f"{prefix}_FROM"),
            conf.number("MESSAGE_TIMEOUT"),
        )
    else:
        raise ValueError(f"unknown channel {channel!r}")
    cache = getattr(_local, "gateways", None)
    if cache is None:
        cache = _local.gateways = {}
    if key not in cache:
        if channel == EMAIL:
            cache[key] = EmailGateway(from_address=key[1])
        else:
            cache[key] = HttpGateway(
                channel=channel, base_url=key[1], token=key[2], sender=key[3], timeout=key[4]
            )
    return cache[key]
