"""The checks a booking passes before it takes any lock, each naming the field it concerns.

In order: the times (aware, not before today at the location, end after
start), that patient, provider, location and type are active and the provider
works there, the room chosen (at the location, the kind the type needs), the
provider's weekly blocks (unless overridden), and blocked time. The
open-slot finder and the pages may call them to explain a refusal up front.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from medoffice.core.models import Location
from medoffice.patients.models import Patient
from medoffice.scheduling import errors
from medoffice.scheduling.models import AppointmentType, AvailabilityTemplate, Provider, Room
from medoffice.scheduling.models.availability import WEEKDAY_NAMES, hhmm
from medoffice.scheduling.selectors import blocks_for_day, exceptions_overlapping
from medoffice.scheduling.services import guards

EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


def with_article(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def aware_utc(value, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise errors.invalid(errors.INVALID_TIME, f"Give the {name} as a date and time.", name)
    if timezone.is_naive(value):
        raise errors.invalid(
            errors.INVALID_TIME,
            f"Give the {name} time with its time zone offset, e.g. 2026-03-02T09:30:00-06:00.",
            name,
        )
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise errors.invalid(
            errors.INVALID_TIME,
            f"The {name} time must be between {EARLIEST_YEAR} and {LATEST_YEAR}.",
            name,
        )
    return value.astimezone(dt.UTC)


def check_times(
    *,
    location: Location,
    appointment_type: AppointmentType,
    start,
    end=None,
    now: dt.datetime,
) -> tuple[dt.datetime, dt.datetime]:
    """``(start, end)`` in UTC, or the DomainError that says what is wrong with them."""
    start = aware_utc(start, "start")
    if end is None:
        end = start + dt.timedelta(minutes=appointment_type.duration_minutes)
    else:
        end = aware_utc(end, "end")
        if end <= start:
            raise errors.invalid(
                errors.END_BEFORE_START, "The end time must be after the start time.", "end"
            )
        if end - start > dt.timedelta(minutes=AppointmentType.MAX_MINUTES):
            raise errors.invalid(
                errors.INVALID_TIME, "An appointment lasts at most 8 hours.", "end"
            )
    zone = location.zone
    local_day = start.astimezone(zone).date()
    if local_day < now.astimezone(zone).date():
        raise errors.invalid(
            errors.IN_THE_PAST,
            f"{guards.day_label(local_day)} {local_day.year} is in the past; "
            "book today or a later day.",
            "start",
        )
    return start, end


def check_parties(
    *,
    patient: Patient,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    works_here: bool | None = None,
) -> None:
    if not patient.active:
        raise errors.invalid(
            errors.INACTIVE,
            f"{patient.first_name} {patient.last_name}'s record is inactive; "
            "reactivate it (or use the merged record) before booking.",
            "patient",
        )
    if not provider.active:
        raise errors.invalid(
            errors.INACTIVE, f"{provider.schedule_name} is no longer active.", "provider"
        )
    if not location.active:
        raise errors.invalid(errors.INACTIVE, f"{location.name} is closed (inactive).", "location")
    if not appointment_type.active:
        raise errors.invalid(
            errors.INACTIVE,
            f"'{appointment_type.name}' is no longer offered; choose another appointment type.",
            "appointment_type",
        )
    if works_here is None:
        works_here = provider.locations.filter(pk=location.pk).exists()
    if not works_here:
        raise errors.invalid(
            errors.NOT_AT_LOCATION,
            f"{provider.schedule_name} does not see patients at {location.name}.",
            "location",
        )


def covers(coverage, location: Location, start: dt.datetime) -> bool:
    """True when ``coverage`` is in force on the local date of a visit starting at ``start``."""
    if coverage is None:
        return False
    day = start.astimezone(location.zone).date()
    return coverage.effective_date <= day and (
        coverage.end_date is None or coverage.end_date >= day
    )


def check_coverage(*, coverage, patient: Patient, location: Location, start: dt.datetime) -> None:
    """The coverage chosen for a visit is the patient's and covers the visit's (local) date."""
    if coverage is None:
        return
    if coverage.patient_id != patient.pk:
        raise errors.invalid(
            errors.INVALID, "That coverage belongs to another patient.", "coverage"
        )
    day = start.astimezone(location.zone).date()
    payer = coverage.payer.name
    if coverage.effective_date > day:
        raise errors.invalid(
            errors.INACTIVE_COVERAGE,
            f"The {payer} coverage starts on {coverage.effective_date:%m/%d/%Y}, after the "
            f"visit ({day:%m/%d/%Y}); choose another coverage or book it as self-pay.",
            "coverage",
        )
    if coverage.end_date is not None and coverage.end_date < day:
        raise errors.invalid(
            errors.INACTIVE_COVERAGE,
            f"The {payer} coverage ended on {coverage.end_date:%m/%d/%Y}, before the visit "
            f"({day:%m/%d/%Y}); update the patient's insurance or book it as self-pay.",
            "coverage",
        )


def check_room(*, room: Room, location: Location, appointment_type: AppointmentType) -> None:
    """A room the front desk chose: at the location, in use, and the kind the visit needs."""
    if room.location_id != location.pk:
        raise errors.invalid(
            errors.NOT_AT_LOCATION, f"{room.name} is not at {location.name}.", "room"
        )
    if not room.active:
        raise errors.invalid(errors.INACTIVE, f"{room.name} is out of use (inactive).", "room")
    if appointment_type.telehealth and room.kind != Room.TELEHEALTH:
        raise errors.invalid(
            errors.WRONG_ROOM_KIND,
            f"'{appointment_type.name}' is a telehealth visit and needs no physical room; "
            "leave the room empty.",
            "room",
        )
    if appointment_type.room_kind and room.kind != appointment_type.room_kind:
        needed = dict(Room.KIND_CHOICES)[appointment_type.room_kind].lower()
        raise errors.invalid(
            errors.WRONG_ROOM_KIND,
            f"'{appointment_type.name}' needs {with_article(needed)}; {room.name} is "
            f"{with_article(room.get_kind_display().lower())}.",
            "room",
        )


def _covering_blocks(
    *,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    local_start: dt.datetime,
    local_end: dt.datetime,
):
    """Blocks in effect that day that cover the visit and take its type (a queryset)."""
    day = local_start.date()
    qs = AvailabilityTemplate.objects.filter(
        provider=provider,
        location=location,
        weekday=day.weekday(),
        effective_from__lte=day,
        start_time__lte=local_start.time(),
        end_time__gte=local_end.time(),
    )
    if local_end.date() != day:
        qs = qs.none()
    return qs.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day)).filter(
        Q(appointment_types__isnull=True) | Q(appointment_types=appointment_type)
    )


def fits_a_block(
    *,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    local_start: dt.datetime,
    local_end: dt.datetime,
) -> bool:
    """One query: does a block in effect that day cover the visit and take its type?"""
    if local_end.date() != local_start.date():
        return False
    return _covering_blocks(
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        local_start=local_start,
        local_end=local_end,
    ).exists()


# The same three questions as fits_a_block, check_parties and check_not_blocked ask, in one
# plain SQL statement: it runs on every booking, where building it with the ORM cost more
# CPU than answering it.
_PREFLIGHT_SQL = """
SELECT
  EXISTS (SELECT 1 FROM scheduling_provider_locations pl
          WHERE pl.provider_id = %s AND pl.location_id = %s),
  EXISTS (SELECT 1 FROM scheduling_availabilitytemplate t
          WHERE t.provider_id = %s AND t.location_id = %s AND t.weekday = %s
            AND t.effective_from <= %s AND (t.effective_to IS NULL OR t.effective_to >= %s)
            AND t.start_time <= %s AND t.end_time >= %s
            AND (NOT EXISTS (SELECT 1 FROM scheduling_availabilitytemplate_appointment_types x
                             WHERE x.availabilitytemplate_id = t.id)
                 OR EXISTS (SELECT 1 FROM scheduling_availabilitytemplate_appointment_types x
                            WHERE x.availabilitytemplate_id = t.id
                              AND x.appointmenttype_id = %s))),
  EXISTS (SELECT 1 FROM scheduling_scheduleexception e
          WHERE e."start" < %s AND e."end" > %s
            AND (e.provider_id IS NULL OR e.provider_id = %s)
            AND (e.location_id IS NULL OR e.location_id = %s))
"""


@dataclass(frozen=True)
class Preflight:
    """The three facts every booking needs from the database, read in one query."""

    works_here: bool
    fits_template: bool
    blocked: bool


def preflight(
    *,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    end: dt.datetime,
) -> Preflight:
    """Does the provider work at the location, does a block take the visit, is the time
    blocked — one round trip for the common case (the checks explain a "no" afterwards)."""
    zone = location.zone
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = local_start.date()
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            _PREFLIGHT_SQL,
            [
                provider.pk,
                location.pk,
                provider.pk,
                location.pk,
                day.weekday(),
                ops.adapt_datefield_value(day),
                ops.adapt_datefield_value(day),
                ops.adapt_timefield_value(local_start.time()),
                ops.adapt_timefield_value(local_end.time()),
                appointment_type.pk,
                ops.adapt_datetimefield_value(end),
                ops.adapt_datetimefield_value(start),
                provider.pk,
                location.pk,
            ],
        )
        works, fits, blocked = cursor.fetchone()
    fits = bool(fits) and local_end.date() == day
    return Preflight(works_here=bool(works), fits_template=fits, blocked=bool(blocked))


def check_template(
    *,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    end: dt.datetime,
    allow_outside_template: bool,
    fits: bool | None = None,
) -> bool:
    """True when the visit fits a block that takes its type; False for an allowed override."""
    zone = location.zone
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = local_start.date()
    if fits is None:
        fits = fits_a_block(
            provider=provider,
            location=location,
            appointment_type=appointment_type,
            local_start=local_start,
            local_end=local_end,
        )
    if fits:
        return True
    if allow_outside_template:
        return False
    # Refused: load the day's blocks to say what would have fitted.
    blocks = blocks_for_day(provider=provider, location=location, day=day)
    covering = [b for b in blocks if b.covers(local_start, local_end)]
    when = f"{WEEKDAY_NAMES[day.weekday()]} {guards.day_label(day)}"
    hours = f"{hhmm(local_start)}–{hhmm(local_end)}"
    if covering:
        block = covering[0]
        raise errors.invalid(
            errors.TYPE_NOT_ALLOWED,
            f"The {block.hours} block of {provider.schedule_name} on {when} at {location.name} "
            f"does not take '{appointment_type.name}' visits.",
            "appointment_type",
        )
    listed = (
        f"that day's blocks are {', '.join(b.hours for b in blocks)}"
        if blocks
        else "there are no blocks that day"
    )
    raise errors.invalid(
        errors.OUTSIDE_TEMPLATE,
        f"{provider.schedule_name} does not see patients at {location.name} on {when} "
        f"{hours}; {listed}. Choose a time inside a block, or book it as an override "
        "outside the template.",
        "start",
    )


def check_not_blocked(
    *,
    provider: Provider,
    location: Location,
    start: dt.datetime,
    end: dt.datetime,
    known_free: bool = False,
) -> None:
    if known_free:
        return
    blocked = exceptions_overlapping(
        start=start, end=end, provider=provider, location=location
    ).first()
    if blocked is None:
        return
    zone = location.zone
    a, b = blocked.start.astimezone(zone), blocked.end.astimezone(zone)
    span = (
        f"{guards.day_label(a)} {hhmm(a)}–{hhmm(b)}"
        if a.date() == b.date()
        else f"{guards.day_label(a)} {hhmm(a)} to {guards.day_label(b)} {hhmm(b)}"
    )
    who = provider.schedule_name if blocked.provider_id else f"everyone at {location.name}"
    why = f": {blocked.reason}" if blocked.reason else ""
    raise errors.invalid(
        errors.SCHEDULE_BLOCKED,
        f"That time is blocked for {who} ({blocked.get_kind_display().lower()}, {span}{why}).",
        "start",
    )


def clean_text(value: str | None, name: str, limit: int = 200) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise errors.invalid(errors.INVALID, f"Keep the {name} to {limit} characters.", name)
    return text
