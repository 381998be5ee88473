"""Messaging settings: a Django setting ``MESSAGING_<NAME>`` wins, else ``MEDOFFICE_<NAME>`` from
the environment, else the default. Read at the moment of use, so tests and operators can change
them without a restart of anything but the process.

The variables (all optional; docs/user-guide.md, "Reminders and messages", says more):
``MEDOFFICE_SMS_URL``, ``_SMS_TOKEN``, ``_SMS_FROM`` (the text provider: base URL, bearer
token, sending number; texts are POSTed to ``<url>/messages``), ``MEDOFFICE_VOICE_URL``,
``_VOICE_TOKEN``, ``_VOICE_FROM`` (calls, ``<url>/calls``), ``MEDOFFICE_SMS_WEBHOOK_SECRET``
(HMAC-SHA256 key of the inbound and status webhooks), ``MEDOFFICE_SMS_UNREACHABLE_CODES``
(provider codes meaning "cannot receive texts", default 21614,landline,not_mobile),
``MEDOFFICE_EMAIL_FROM``, ``MEDOFFICE_EMAIL_HOST``/``_PORT``/``_USER``/``_PASSWORD``/``_USE_TLS``
(override Django's ``EMAIL_*`` for reminder email),
``MEDOFFICE_QUIET_HOURS`` (default 21:00-08:00, or "off"),
``MEDOFFICE_MESSAGE_ATTEMPTS`` (4), ``MEDOFFICE_MESSAGE_BACKOFF`` (60 s, doubling),
``MEDOFFICE_MESSAGE_LEASE`` (300 s: when a dead worker's message is taken up again),
``MEDOFFICE_MESSAGE_SENDERS`` (2 send tasks at once), ``MEDOFFICE_MESSAGE_TIMEOUT`` (10 s),
``MEDOFFICE_MESSAGING_CLOCK`` (60 s between planning rounds).
"""

from __future__ import annotations

import datetime as dt
import os

from django.conf import settings

DEFAULTS: dict[str, str] = {
    "SMS_URL": "",
    "SMS_TOKEN": "",
    "SMS_FROM": "",
    "VOICE_URL": "",
    "VOICE_TOKEN": "",
    "VOICE_FROM": "",
    "SMS_WEBHOOK_SECRET": "",
    "SMS_UNREACHABLE_CODES": "21614,landline,not_mobile",
    "EMAIL_FROM": "",
    "EMAIL_HOST": "",
    "EMAIL_PORT": "",
    "EMAIL_USER": "",
    "EMAIL_PASSWORD": "",
    "EMAIL_USE_TLS": "",
    "QUIET_HOURS": "21:00-08:00",
    "MESSAGE_ATTEMPTS": "4",
    "MESSAGE_BACKOFF": "60",
    "MESSAGE_LEASE": "300",
    "MESSAGE_SENDERS": "2",
    "MESSAGE_TIMEOUT": "10",
    "MESSAGING_CLOCK": "60",
}


def setting(name: str) -> str:
    if name not in DEFAULTS:
        raise KeyError(name)
    value = getattr(settings, f"MESSAGING_{name}", None)
    if value is None:
        value = os.environ.get(f"MEDOFFICE_{name}", "")
    value = str(value).strip()
    return value or DEFAULTS[name]


def number(name: str) -> float:
    raw = setting(name)
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"MEDOFFICE_{name} must be a number, not {raw!r}") from None
    if value < 0:
        raise ValueError(f"MEDOFFICE_{name} must not be negative")
    return value


def quiet_hours() -> tuple[dt.time, dt.time] | None:
    """The local span with no texts or calls, as (start, end); None when switched off ("off")."""
    raw = setting("QUIET_HOURS")
    if raw.lower() in {"off", "none", "0"}:
        return None
    try:
        start, end = (dt.time.fromisoformat(p.strip()) for p in raw.split("-"))
    except ValueError:
        raise ValueError(
            f"MEDOFFICE_QUIET_HOURS must look like 21:00-08:00 (or 'off'), not {raw!r}"
        ) from None
    return start, end


def unreachable_codes() -> set[str]:
    return {c.strip().lower() for c in setting("SMS_UNREACHABLE_CODES").split(",") if c.strip()}


def email_connection_options() -> dict:
    """Host, port, user, password and TLS for the mail backend, where the environment sets them."""
    options: dict = {}
    if setting("EMAIL_HOST"):
        options["host"] = setting("EMAIL_HOST")
    if setting("EMAIL_PORT"):
        options["port"] = int(number("EMAIL_PORT"))
    if setting("EMAIL_USER"):
        options["username"] = setting("EMAIL_USER")
    if setting("EMAIL_PASSWORD"):
        options["password"] = setting("EMAIL_PASSWORD")
    if setting("EMAIL_USE_TLS"):
        options["use_tls"] = setting("EMAIL_USE_TLS").lower() in {"1", "true", "yes", "on"}
    return options


def email_from() -> str:
    return setting("EMAIL_FROM") or settings.DEFAULT_FROM_EMAIL
