"""Which channel reaches a patient, at which address, and when a text or call may go.

A channel is usable when the patient agreed to it (the dated consent on their
record), has an address for it (a mobile number for texts; a mobile or home
number for calls; an email address) and has not opted out of it. The
patient's preferred channel comes first, then the others in the order text,
email, call. Texts and calls keep to the patient's contact hours and stay out
of the office's quiet hours (``MEDOFFICE_QUIET_HOURS``, default 21:00–08:00),
both read in the local time of the office (the visit's location, else the
patient's home location); email goes at any hour.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from medoffice.core.models import Location
from medoffice.messaging import conf
from medoffice.messaging.templating import EMAIL, SMS, VOICE
from medoffice.patients.models import Patient

ORDER = (SMS, EMAIL, VOICE)
TIMED = (SMS, VOICE)


@dataclass(frozen=True)
class Route:
    channel: str
    address: str


def address_for(patient: Patient, channel: str) -> str:
    if channel == SMS:
        return patient.phone_mobile
    if channel == EMAIL:
        return patient.email
    if channel == VOICE:
        return patient.phone_mobile or patient.phone_home
    return ""


def why_not(patient: Patient, channel: str, opted_out: Iterable[str] = ()) -> str | None:
    """None when ``channel`` can reach the patient, else the reason in the office's words."""
    label = {SMS: "text messages", EMAIL: "email", VOICE: "automated calls"}[channel]
    if not getattr(patient, f"consent_{channel}"):
        return f"has not agreed to {label}"
    if channel in opted_out:
        return f"opted out of {label}"
    if not address_for(patient, channel):
        return {
            SMS: "has no mobile number",
            EMAIL: "has no email address",
            VOICE: "has no phone number",
        }[channel]
    return None


def routes_for(
    patient: Patient, *, opted_out: Iterable[str] = (), exclude: Iterable[str] = ()
) -> list[Route]:
    """The channels that can reach the patient, preferred first."""
    opted_out, exclude = set(opted_out), set(exclude)
    order = list(ORDER)
    if patient.preferred_contact in order:
        order.remove(patient.preferred_contact)
        order.insert(0, patient.preferred_contact)
    return [
        Route(c, address_for(patient, c))
        for c in order
        if c not in exclude and why_not(patient, c, opted_out) is None
    ]


def zone_for(patient: Patient, location: Location | None = None) -> zoneinfo.ZoneInfo:
    """The local time messages to this patient keep to."""
    if location is not None:
        return location.zone
    if patient.home_location_id:
        return patient.home_location.zone
    first = Location.objects.order_by("pk").only("time_zone").first()
    return first.zone if first else zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _allowed(local: dt.time, patient: Patient, quiet) -> bool:
    if not (patient.contact_hours_start <= local < patient.contact_hours_end):
        return False
    if quiet is None:
        return True
    start, end = quiet
    if start <= end:
        return not (start <= local < end)
    return end <= local < start  # quiet span over midnight: allowed only between end and start


def _boundaries(day: dt.date, patient: Patient, quiet, zone) -> list[dt.datetime]:
    marks = {patient.contact_hours_start, patient.contact_hours_end}
    if quiet:
        marks |= set(quiet)
    return sorted(dt.datetime.combine(day, t, tzinfo=zone) for t in marks)


def next_allowed(when: dt.datetime, *, patient: Patient, channel: str, zone) -> dt.datetime:
    """The first moment at or after ``when`` a message on ``channel`` may reach the patient."""
    if channel not in TIMED:
        return when
    quiet = conf.quiet_hours()
    local = when.astimezone(zone)
    if _allowed(local.time(), patient, quiet):
        return when
    for days in range(0, 3):
        day = local.date() + dt.timedelta(days=days)
        for mark in _boundaries(day, patient, quiet, zone):
            if mark > local and _allowed(mark.timetz().replace(tzinfo=None), patient, quiet):
                return mark.astimezone(dt.UTC)
    return when  # no allowed moment at all (contact hours inside quiet hours): send as planned


def last_allowed_before(
    when: dt.datetime, *, patient: Patient, channel: str, zone
) -> dt.datetime | None:
    """The last allowed moment before ``when`` (a minute before a window closes), or None."""
    if channel not in TIMED:
        return when
    quiet = conf.quiet_hours()
    local = when.astimezone(zone)
    for days in range(0, 3):
        day = local.date() - dt.timedelta(days=days)
        for mark in reversed(_boundaries(day, patient, quiet, zone)):
            candidate = mark - dt.timedelta(minutes=1)
            if candidate < local and _allowed(
                candidate.timetz().replace(tzinfo=None), patient, quiet
            ):
                return candidate.astimezone(dt.UTC)
    return None


def send_time(
    planned: dt.datetime,
    *,
    patient: Patient,
    channel: str,
    zone,
    not_after: dt.datetime | None = None,
) -> tuple[dt.datetime | None, str]:
    """When to send a message planned for ``planned``, and the words for the log if it moved.

    Pushed later out of quiet or outside contact hours; when that would be at or after
    ``not_after`` (the visit), pulled earlier to the last allowed moment instead; None when
    neither works.
    """
    later = next_allowed(planned, patient=patient, channel=channel, zone=zone)
    if later == planned:
        return planned, ""
    why = _window_words(patient)
    if not_after is None or later < not_after:
        return later, f"moved to {_local(later, zone)} ({why})"
    earlier = last_allowed_before(planned, patient=patient, channel=channel, zone=zone)
    if earlier is not None:
        return earlier, f"moved earlier to {_local(earlier, zone)} ({why}; the visit comes first)"
    return None, f"no allowed time before the visit ({why})"


def _window_words(patient: Patient) -> str:
    quiet = conf.quiet_hours()
    words = f"contact hours {patient.contact_hours_start:%H:%M}–{patient.contact_hours_end:%H:%M}"
    if quiet:
        words += f", quiet hours {quiet[0]:%H:%M}–{quiet[1]:%H:%M}"
    return words


def _local(when: dt.datetime, zone) -> str:
    return when.astimezone(zone).strftime("%a %b %-d %H:%M %Z")
