"""Reminders and patient messages.

- :mod:`.rules` — ``ReminderRule``, ``MessageTemplate``
- :mod:`.messages` — ``Message`` (with its ``MessageEvent`` delivery log), ``OptOut``,
  ``CallbackRequest``, ``InboundMessage``
- :mod:`.offers` — ``WaitlistOffer``, ``OfferRecipient``

Writes go through :mod:`medoffice.messaging.services`.
"""

from medoffice.messaging.models.messages import (
    CallbackRequest,
    InboundMessage,
    Message,
    MessageEvent,
    OptOut,
)
from medoffice.messaging.models.offers import OfferRecipient, WaitlistOffer
from medoffice.messaging.models.rules import MessageTemplate, RecallRule, ReminderRule

__all__ = [
    "CallbackRequest",
    "InboundMessage",
    "Message",
    "MessageEvent",
    "MessageTemplate",
    "OfferRecipient",
    "OptOut",
    "RecallRule",
    "ReminderRule",
    "WaitlistOffer",
]
