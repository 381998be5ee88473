"""Recurring visits, booked all-or-nothing."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from medoffice.core.errors import DomainError
from medoffice.core.models import Location
from medoffice.patients.models import Patient
from medoffice.scheduling import errors
from medoffice.scheduling.models import AppointmentSeries, AppointmentType, Provider, Room
from medoffice.scheduling.selectors import local_to_utc
from medoffice.scheduling.services import guards
from medoffice.scheduling.services.booking import book_one, race_error
from medoffice.scheduling.services.checks import check_parties, check_times


def series_starts(
    *,
    location: Location,
    start: dt.datetime,
    interval_weeks: int,
    count: int | None,
    until: dt.date | None,
) -> list[dt.datetime]:
    """The UTC starts of a series: the first visit's local weekday and wall-clock time."""
    local = start.astimezone(location.zone)
    step = dt.timedelta(weeks=interval_weeks)
    days: list[dt.date] = []
    day = local.date()
    limit = AppointmentSeries.MAX_OCCURRENCES
    while len(days) < (count or limit + 1) and (until is None or day <= until):
        days.append(day)
        day += step
    return [local_to_utc(location, d, local.time()) for d in days]


def _check_series(*, interval_weeks, count, until, first_day: dt.date) -> None:
    if (count is None) == (until is None):
        raise errors.invalid(
            errors.INVALID_SERIES, "Give either the number of visits or the last date.", "count"
        )
    if not isinstance(interval_weeks, int) or not 1 <= interval_weeks <= 52:
        raise errors.invalid(errors.INVALID_SERIES, "Repeat every 1 to 52 weeks.", "interval_weeks")
    most = AppointmentSeries.MAX_OCCURRENCES
    if count is not None and not 2 <= count <= most:
        raise errors.invalid(errors.INVALID_SERIES, f"A series has 2 to {most} visits.", "count")
    if until is not None:
        if until <= first_day:
            raise errors.invalid(
                errors.INVALID_SERIES, "The last date must be after the first visit.", "until"
            )
        if (until - first_day).days // (7 * interval_weeks) + 1 > most:
            raise errors.invalid(
                errors.INVALID_SERIES,
                f"That is more than {most} visits; choose an earlier last date.",
                "until",
            )


@transaction.atomic
def book_series(
    *,
    actor,
    patient: Patient,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    interval_weeks: int = 1,
    count: int | None = None,
    until: dt.date | None = None,
    room: Room | None = None,
    allow_outside_template: bool = False,
    notes: str = "",
    now: dt.datetime | None = None,
) -> AppointmentSeries:
    """Book a recurring visit all-or-nothing: every occurrence, or none and a list of why not.

    Occurrences fall every ``interval_weeks`` weeks on the first visit's local
    weekday and wall-clock time (so 9:00 stays 9:00 across daylight saving),
    ``count`` times or up to ``until`` (a local date). A failure raises
    :class:`~medoffice.scheduling.errors.SeriesConflicts` listing every date
    that could not be booked, and nothing is saved.
    """
    now = now or timezone.now()
    first_start, _ = check_times(
        location=location, appointment_type=appointment_type, start=start, now=now
    )
    _check_series(
        interval_weeks=interval_weeks,
        count=count,
        until=until,
        first_day=first_start.astimezone(location.zone).date(),
    )
    check_parties(
        patient=patient, provider=provider, location=location, appointment_type=appointment_type
    )
    series = AppointmentSeries.objects.create(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        first_start=first_start,
        interval_weeks=interval_weeks,
        count=count,
        until=until,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
    )
    starts = series_starts(
        location=location,
        start=first_start,
        interval_weeks=interval_weeks,
        count=count,
        until=until,
    )
    conflicts: list[tuple[str, str]] = []
    for occurrence in starts:
        label = guards.day_label(occurrence.astimezone(location.zone))
        try:
            with transaction.atomic():
                book_one(
                    actor=actor,
                    patient=patient,
                    provider=provider,
                    location=location,
                    appointment_type=appointment_type,
                    start=occurrence,
                    room=room,
                    allow_outside_template=allow_outside_template,
                    notes=notes,
                    now=now,
                    series=series,
                )
        except DomainError as exc:
            conflicts.append((label, exc.message))
        except (IntegrityError, OperationalError) as exc:
            if not guards.is_slot_race(exc):
                raise
            race = race_error(
                exc,
                provider=provider,
                room=room,
                location=location,
                appointment_type=appointment_type,
                start=occurrence,
                end=None,
            )
            conflicts.append((label, race.message))
    if conflicts:
        raise errors.SeriesConflicts(conflicts, len(starts))
    return series
