"""A provider's read-only iCalendar feed behind a secret URL.

The URL's token is ``{"p": provider id, "v": feed version}`` signed with
Django's signing (HMAC with SECRET_KEY and a salt of our own), so no table of
tokens is needed and a token cannot be guessed or altered. The version comes
from ``Provider.feed_version`` once that field exists (then raising it
revokes one provider's URL); until then every URL stays valid until
SECRET_KEY is rotated (see docs/decisions.md).

Each event carries the patient's initials and the visit type, nothing else
about the patient: no name, date of birth, phone or notes. The calendar
text itself is written by the ``icalendar`` package (RFC 5545: CRLF line
ends, lines folded at 75 octets, escaping).
"""

from __future__ import annotations

import datetime as dt

import icalendar
from django.core import signing
from django.utils import timezone

from medoffice.scheduling.models import Appointment, Provider

SALT = "medoffice.scheduling.ical-feed"
DAYS_BACK = 30
DAYS_AHEAD = 90
PRODID = "-//medoffice//provider schedule//EN"


def feed_version(provider: Provider) -> int:
    return int(getattr(provider, "feed_version", 1) or 1)


def feed_token(provider: Provider) -> str:
    """The secret part of the provider's feed URL (the same every time it is asked for)."""
    return signing.Signer(salt=SALT).sign_object({"p": provider.pk, "v": feed_version(provider)})


def provider_for_token(token: str) -> Provider | None:
    """The active provider a token was issued for, or None (forged, revoked or unknown)."""
    try:
        data = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        return None
    provider = Provider.objects.filter(pk=data["p"], active=True).first()
    if provider is None or data.get("v") != feed_version(provider):
        return None
    return provider


def initials(first_name: str, last_name: str) -> str:
    """ "M.L." — the most a feed says about who the patient is."""
    letters = [n.strip()[:1].upper() for n in (first_name, last_name) if n and n.strip()]
    return "".join(f"{c}." for c in letters) or "?"


def feed_appointments(provider: Provider, *, now: dt.datetime) -> list[Appointment]:
    """The provider's visits that hold time, from DAYS_BACK days ago to DAYS_AHEAD ahead."""
    return list(
        Appointment.objects.filter(
            provider=provider,
            status__in=Appointment.OCCUPYING_STATUSES,
            start__gte=now - dt.timedelta(days=DAYS_BACK),
            start__lt=now + dt.timedelta(days=DAYS_AHEAD),
        )
        .select_related("patient", "appointment_type", "location", "room")
        .only(
            "pk",
            "start",
            "end",
            "status",
            "booked_at",
            "patient__first_name",
            "patient__last_name",
            "appointment_type__name",
            "location__name",
            "room__name",
        )
        .order_by("start", "pk")
    )


def provider_calendar(provider: Provider, *, host: str, now: dt.datetime | None = None) -> bytes:
    """The iCalendar text of the provider's feed."""
    now = (now or timezone.now()).astimezone(dt.UTC).replace(microsecond=0)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{provider.schedule_name} — medoffice")
    cal.add("x-published-ttl", "PT15M")
    for appt in feed_appointments(provider, now=now):
        event = icalendar.Event()
        event.add("uid", f"appointment-{appt.pk}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", appt.start.astimezone(dt.UTC))
        event.add("dtend", appt.end.astimezone(dt.UTC))
        who = initials(appt.patient.first_name, appt.patient.last_name)
        event.add("summary", f"{who} · {appt.appointment_type.name}")
        where = appt.location.name + (f", {appt.room.name}" if appt.room_id else "")
        event.add("location", where)
        event.add("status", "CONFIRMED" if appt.status != Appointment.SCHEDULED else "TENTATIVE")
        event.add("transp", "OPAQUE")
        event.add("class", "PRIVATE")
        cal.add_component(event)
    return cal.to_ical()
