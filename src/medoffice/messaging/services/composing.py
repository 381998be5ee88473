"""Putting a message together: the template's words with the visit's details filled in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from medoffice.core.models import Location, Practice
from medoffice.messaging import templating
from medoffice.messaging.models import MessageTemplate
from medoffice.patients.models import Patient
from medoffice.scheduling.models import Appointment


def template_for(purpose: str, channel: str) -> tuple[str, str]:
    """(subject, body) the office uses for ``purpose`` on ``channel``: its own, else built in."""
    row = MessageTemplate.objects.filter(purpose=purpose, channel=channel).first()
    if row is not None:
        return row.subject, row.body
    if (purpose, channel) in templating.DEFAULTS:
        return templating.DEFAULTS[(purpose, channel)]
    _subject, body = templating.DEFAULTS[(purpose, templating.SMS)]
    return templating.PURPOSE_LABELS[purpose], body


def pretty_phone(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())[-10:]
    if len(digits) != 10:
        return number
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def local_date(when: dt.datetime, zone) -> str:
    return day_words(when.astimezone(zone).date())


def day_words(day: dt.date) -> str:
    """A calendar day as messages say it: Monday, March 9."""
    return f"{day:%A}, {day:%B} {day.day}"


def money_words(amount: Decimal) -> str:
    """An amount as messages say it: $1,085.50."""
    return f"${amount:,.2f}"


def local_time(when: dt.datetime, zone) -> str:
    local = when.astimezone(zone)
    return f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def values_for(
    patient: Patient,
    *,
    appointment: Appointment | None = None,
    location: Location | None = None,
    start: dt.datetime | None = None,
    provider=None,
    offer_code: str = "",
    amount_due: Decimal | None = None,
    due_on: dt.date | None = None,
) -> dict[str, str]:
    """What the placeholders stand for in a message to ``patient`` about a visit (or a slot,
    or a payment plan's installment: ``amount_due`` and ``due_on``)."""
    if appointment is not None:
        location = appointment.location
        start = appointment.start
        provider = appointment.provider
    if location is None:
        location = patient.home_location or Location.objects.order_by("pk").first()
    practice = location.practice if location is not None else Practice.objects.first()
    values = {
        "patient_first_name": patient.preferred_name or patient.first_name,
        "practice_name": practice.name if practice else "",
        "location_name": location.name if location else "",
        "location_phone": pretty_phone(location.phone) if location else "",
        "offer_code": offer_code,
    }
    if start is not None and location is not None:
        values["appointment_date"] = local_date(start, location.zone)
        values["appointment_time"] = local_time(start, location.zone)
    if provider is not None:
        values["provider_name"] = provider.schedule_name
    if amount_due is not None:
        values["amount_due"] = money_words(amount_due)
    if due_on is not None:
        values["due_date"] = day_words(due_on)
    return values


def compose(purpose: str, channel: str, values: dict[str, str]) -> tuple[str, str]:
    subject, body = template_for(purpose, channel)
    subject = templating.render(subject, values) if channel == templating.EMAIL else ""
    return subject, templating.render(body, values)
