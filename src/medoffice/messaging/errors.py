"""Messaging's error codes. Services raise ``DomainError(code, message, field, status=...)``."""

from __future__ import annotations

from medoffice.core.errors import INVALID, NOT_FOUND, PERMISSION_DENIED, DomainError

# A template names a placeholder we do not fill, or its braces do not pair up.
UNKNOWN_PLACEHOLDER = "unknown_placeholder"
BAD_TEMPLATE = "bad_template"
# A reminder rule that repeats another, or an offset out of range.
DUPLICATE = "duplicate"
# The patient has no channel they agreed to with an address to reach them.
NO_CHANNEL = "no_channel"
# A state change the message's status does not allow (retrying a sent message).
INVALID_TRANSITION = "invalid_transition"
# An inbound webhook whose signature does not match.
BAD_SIGNATURE = "bad_signature"
# A waitlist offer already taken by someone else, or closed.
OFFER_TAKEN = "offer_taken"

__all__ = [
    "BAD_SIGNATURE",
    "BAD_TEMPLATE",
    "DUPLICATE",
    "INVALID",
    "INVALID_TRANSITION",
    "NOT_FOUND",
    "NO_CHANNEL",
    "OFFER_TAKEN",
    "PERMISSION_DENIED",
    "UNKNOWN_PLACEHOLDER",
    "DomainError",
    "conflict",
    "invalid",
]


def invalid(code: str, message: str, field: str | None) -> DomainError:
    return DomainError(code, message, field, status=422)


def conflict(code: str, message: str, field: str | None = None) -> DomainError:
    return DomainError(code, message, field, status=409)
