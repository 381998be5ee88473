"""Schedule set-up: the one door for adding and changing providers, rooms, appointment types,
weekly availability blocks and blocked time.

Each function takes keyword arguments only, starting with ``actor`` (who does it),
checks what the office would get wrong in the office's words, and raises
:class:`FieldErrors` (a ``DomainError`` listing every field's problems; ``field``
and ``message`` are the first one) or a plain ``DomainError``. The models' own
validators and ``clean()`` are the source of most messages (the NPI check
digit, a block overlapping another, blocked time ending before it starts);
these functions add what a single row cannot know (a duplicate NPI or room
name, a location the provider still has blocks at) and save.

Nothing here moves booked visits: deactivating a provider or a room, or
blocking time, leaves existing appointments where they are and returns how
many are affected, so the page can say so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from medoffice.core.errors import DomainError
from medoffice.core.models import Location
from medoffice.scheduling import errors
from medoffice.scheduling.models import (
    WEEKDAY_NAMES,
    Appointment,
    AppointmentType,
    AvailabilityTemplate,
    Provider,
    Room,
    ScheduleException,
)


class FieldErrors(DomainError):
    """Several fields are wrong at once; ``fields`` maps each to its messages."""

    def __init__(self, fields: dict[str, list[str]], code: str = errors.INVALID):
        self.fields = fields
        field, messages = next(iter(fields.items()))
        super().__init__(code, messages[0], None if field == "__all__" else field, status=422)


def _problems(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            field: [m for e in items for m in e.messages] for field, items in exc.error_dict.items()
        }
    return {"__all__": list(exc.messages)}


def _check(
    instance,
    *,
    extra: dict[str, list[str]] | None = None,
    exclude=(),
    codes: dict[str, str] | None = None,
) -> None:
    """Run the model's validation (fields, then ``clean``) and raise every problem found.

    ``extra`` are problems found beforehand; ``codes`` give the error code of a field's
    problem (the first field found that has one decides), else ``invalid``.
    """
    found: dict[str, list[str]] = {}
    for field, messages in (extra or {}).items():
        found.setdefault(field, []).extend(messages)
    try:
        instance.full_clean(exclude=[*exclude, *found], validate_unique=False)
    except ValidationError as exc:
        for field, messages in _problems(exc).items():
            found.setdefault(field, []).extend(messages)
    # A constraint repeats what clean() said about a field: say it once, on the field.
    said = {m for field, messages in found.items() if field != "__all__" for m in messages}
    if "__all__" in found:
        found["__all__"] = [m for m in found["__all__"] if m not in said]
        if not found["__all__"]:
            del found["__all__"]
    if found:
        codes = dict(codes or {})
        if any("overlaps" in m for m in found.get("start_time", [])):
            codes["start_time"] = errors.BLOCK_OVERLAP
        code = next((codes[f] for f in found if f in codes), errors.INVALID)
        raise FieldErrors(found, code)


def _today() -> dt.date:
    return timezone.localdate()


def future_visits(**filters) -> int:
    """Occupying visits from now on that match ``filters`` (what a change leaves to move)."""
    return Appointment.objects.filter(
        start__gte=timezone.now(), status__in=Appointment.BOOKED_STATUSES, **filters
    ).count()


# --- providers -------------------------------------------------------------------------


def _provider_problems(provider: Provider, locations: list[Location]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    npi = (provider.npi or "").strip()
    twin = Provider.objects.filter(npi=npi).exclude(pk=provider.pk).first() if npi else None
    if twin is not None:
        found["npi"] = [f"{twin.display_name} already has NPI {npi}; an NPI belongs to one person."]
    if provider.active and not locations:
        found["locations"] = ["Choose at least one location where the provider sees patients."]
    if provider.pk:
        kept = {loc.pk for loc in locations}
        blocks = (
            AvailabilityTemplate.objects.filter(provider=provider)
            .exclude(location__in=kept)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=_today()))
            .select_related("location")
            .order_by("location__name", "weekday", "start_time")
        )
        if blocks:
            listed = ", ".join(
                f"{b.location.name} {WEEKDAY_NAMES[b.weekday][:3]} {b.hours}" for b in blocks[:4]
            )
            found["locations"] = [
                f"{provider.schedule_name} still has weekly blocks at the locations taken off "
                f"({listed}); end or remove those blocks first."
            ]
    return found


@transaction.atomic
def save_provider(
    *,
    actor,
    provider: Provider | None = None,
    first_name: str,
    last_name: str,
    credentials: str,
    npi: str,
    locations: Iterable[Location],
    taxonomy_code: str = "",
    specialty: str = "",
    accepts_overbook: bool = False,
    colour: str = "#2a6f97",
) -> Provider:
    """Add a provider (``provider`` None) or change one; the NPI must pass its check digit."""
    target = provider or Provider()
    target.first_name = first_name.strip()
    target.last_name = last_name.strip()
    target.credentials = credentials
    target.npi = "".join(ch for ch in (npi or "") if not ch.isspace() and ch != "-")
    target.taxonomy_code = (taxonomy_code or "").strip().upper()
    target.specialty = (specialty or "").strip()
    target.accepts_overbook = accepts_overbook
    target.colour = colour
    where = list(locations)
    _check(
        target,
        extra=_provider_problems(target, where),
        exclude=["user"],
        codes={"npi": errors.DUPLICATE, "locations": errors.STILL_SCHEDULED},
    )
    target.save()
    target.locations.set(where)
    return target


@transaction.atomic
def set_provider_active(*, actor, provider: Provider, active: bool) -> int:
    """Switch a provider off (no new bookings) or on again; returns their visits still ahead."""
    if active and not provider.locations.exists():
        raise errors.invalid(
            errors.INVALID,
            f"Give {provider.schedule_name} a location before switching them on.",
            "locations",
        )
    provider.active = active
    provider.save(update_fields=["active"])
    return future_visits(provider=provider)


# --- rooms -------------------------------------------------------------------------------


@transaction.atomic
def save_room(*, actor, room: Room | None = None, location: Location, name: str, kind: str) -> Room:
    """Add a room at a location, or rename / re-kind one."""
    target = room or Room()
    target.location = location
    target.name = " ".join((name or "").split())
    target.kind = kind
    found: dict[str, list[str]] = {}
    twin = (
        Room.objects.filter(location=location, name__iexact=target.name)
        .exclude(pk=target.pk)
        .exists()
    )
    if target.name and twin:
        found["name"] = [f"{location.name} already has a room called {target.name}."]
    if room is not None and room.kind != kind:
        booked = future_visits(room=room)
        if booked:
            found["kind"] = [
                f"{booked} visit{'s' if booked != 1 else ''} ahead use {room.name} as "
                f"{room.get_kind_display().lower()}; move them before changing the kind."
            ]
    _check(target, extra=found, codes={"name": errors.DUPLICATE, "kind": errors.STILL_SCHEDULED})
    target.save()
    return target


@transaction.atomic
def set_room_active(*, actor, room: Room, active: bool) -> int:
    """Take a room out of use (no new bookings in it) or back; returns its visits ahead."""
    room.active = active
    room.save(update_fields=["active"])
    return future_visits(room=room)


# --- appointment types -------------------------------------------------------------------


@transaction.atomic
def save_appointment_type(
    *,
    actor,
    appointment_type: AppointmentType | None = None,
    name: str,
    code: str,
    duration_minutes: int,
    colour: str,
    room_kind: str = "",
    patient_status: str = AppointmentType.ANY,
    telehealth: bool = False,
) -> AppointmentType:
    """Add a visit type or change one (visits already booked keep their times)."""
    target = appointment_type or AppointmentType()
    target.name = " ".join((name or "").split())
    target.code = (code or "").strip().upper()
    target.duration_minutes = duration_minutes
    target.colour = colour
    target.room_kind = room_kind or ""
    target.patient_status = patient_status
    target.telehealth = telehealth
    found: dict[str, list[str]] = {}
    others = AppointmentType.objects.exclude(pk=target.pk)
    if target.name and others.filter(name__iexact=target.name).exists():
        found["name"] = [f"There is already an appointment type called {target.name}."]
    if target.code and others.filter(code=target.code).exists():
        taken = others.get(code=target.code)
        found["code"] = [f"The short code {target.code} is taken by {taken.name}."]
    _check(target, extra=found, codes={"name": errors.DUPLICATE, "code": errors.DUPLICATE})
    target.save()
    return target


@transaction.atomic
def set_appointment_type_active(*, actor, appointment_type: AppointmentType, active: bool):
    """Stop offering a visit type (booked ones stay) or offer it again."""
    appointment_type.active = active
    appointment_type.save(update_fields=["active"])
    return future_visits(appointment_type=appointment_type)


# --- weekly availability blocks ----------------------------------------------------------


@transaction.atomic
def save_availability_block(
    *,
    actor,
    block: AvailabilityTemplate | None = None,
    provider: Provider,
    location: Location,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    appointment_types: Iterable[AppointmentType] = (),
    slot_minutes: int = 15,
    effective_from: dt.date,
    effective_to: dt.date | None = None,
) -> AvailabilityTemplate:
    """Add or change one weekly block. Refused when it overlaps another block of the provider
    on that weekday (the message names it), ends before it starts, or is at a location the
    provider does not work at."""
    target = block or AvailabilityTemplate()
    target.provider = provider
    target.location = location
    target.weekday = weekday
    target.start_time = start_time
    target.end_time = end_time
    target.slot_minutes = slot_minutes
    target.effective_from = effective_from
    target.effective_to = effective_to
    _check(target)
    target.save()
    target.appointment_types.set(list(appointment_types))
    return target


@transaction.atomic
def remove_availability_block(*, actor, block: AvailabilityTemplate) -> str:
    """Take a block off the schedule from today on: a block that never applied yet is deleted,
    one that did ends yesterday (past weeks keep it). Returns what was done, in words."""
    today = _today()
    if block.effective_from >= today:
        block.delete()
        return "removed"
    block.effective_to = today - dt.timedelta(days=1)
    block.save(update_fields=["effective_to"])
    return f"ended on {block.effective_to:%b} {block.effective_to.day}, {block.effective_to.year}"


# --- blocked time ------------------------------------------------------------------------


def exception_zone(*, provider: Provider | None, location: Location | None):
    """The time zone wall-clock times of blocked time are meant in."""
    if location is not None:
        return location.zone
    if provider is not None:
        first = provider.locations.order_by("pk").first()
        if first is not None:
            return first.zone
    return timezone.get_current_timezone()


def whole_days(
    *, first: dt.date, last: dt.date, provider: Provider | None, location: Location | None
) -> tuple[dt.datetime, dt.datetime]:
    """From midnight starting ``first`` to midnight ending ``last``; with no location, from the
    easternmost office's midnight to the westernmost's, so every office's days are covered."""
    if location is None and provider is None:
        zones = [loc.zone for loc in Location.objects.filter(active=True)] or [
            timezone.get_current_timezone()
        ]
    else:
        zones = [exception_zone(provider=provider, location=location)]
    starts = [dt.datetime.combine(first, dt.time(0), tzinfo=z) for z in zones]
    ends = [dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=z) for z in zones]
    return min(starts), max(ends)


@transaction.atomic
def save_schedule_exception(
    *,
    actor,
    exception: ScheduleException | None = None,
    kind: str,
    provider: Provider | None,
    location: Location | None,
    start: dt.datetime,
    end: dt.datetime,
    reason: str = "",
) -> tuple[ScheduleException, int]:
    """Block time for a provider, a location, or everyone (vacation, holiday, meeting…).

    Returns the exception and how many booked visits fall in it (they are not moved).
    """
    target = exception or ScheduleException(created_by=actor if actor and actor.pk else None)
    target.kind = kind
    target.provider = provider
    target.location = location
    target.start = start
    target.end = end
    target.reason = " ".join((reason or "").split())
    _check(target, exclude=["created_by"])
    target.save()
    visits = Appointment.objects.filter(
        start__lt=end, end__gt=start, status__in=Appointment.BOOKED_STATUSES
    )
    if provider is not None:
        visits = visits.filter(provider=provider)
    if location is not None:
        visits = visits.filter(location=location)
    return target, visits.count()


@transaction.atomic
def remove_schedule_exception(*, actor, exception: ScheduleException) -> None:
    """Open the time again (the exception is deleted; it holds no visit's history)."""
    exception.delete()
