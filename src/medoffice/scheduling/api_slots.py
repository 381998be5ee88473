"""API: the next open slots (``GET /api/v1/slots``) and who fits a freed slot
(``GET /api/v1/waitlist/matches``).

The handlers only translate: query strings become rows and aware datetimes,
``open_slots`` and ``waitlist_matches`` do the work. Every bad input is a 422
naming the query parameter (an unknown id too: it is the request that is
wrong, not a missing page); nothing a caller sends makes a 500. Times go out
in the location's zone with their offset.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema

from medoffice.core.audit import VIEW, client_address, record_access
from medoffice.core.models import Location
from medoffice.patients.models import Patient
from medoffice.scheduling import errors
from medoffice.scheduling.api.common import require_perm, waitlist_out
from medoffice.scheduling.api.schemas import ErrorOut, WaitlistOut
from medoffice.scheduling.models import Appointment, AppointmentType, Provider
from medoffice.scheduling.slots import DEFAULT_LIMIT, open_slots
from medoffice.scheduling.waitlist_matching import freed_slot_of, waitlist_matches

router = Router(tags=["slots"])

MAX_ID = 2**63 - 1
MAX_REPEAT = 200
ERRORS = {403: ErrorOut, 409: ErrorOut, 422: ErrorOut}
# "2026-03-02T09:00:00 05:00": a "+" sent unencoded arrives as a space.
_SPACE_OFFSET = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d(?::?\d\d)?)$")


class SlotOut(Schema):
    provider: int
    location: int
    room: int | None
    start: dt.datetime
    end: dt.datetime
    provider_name: str
    location_name: str
    room_name: str | None


class WaitlistMatchOut(WaitlistOut):
    patient_name: str
    rank: int


def _id(value: str, field: str) -> int:
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise errors.invalid(
            errors.INVALID, f"'{text[:20]}' is not an id; give a whole number.", field
        )
    return int(text)


def _rows(model, values: list[str], field: str, label: str) -> list:
    """The rows the ids name, or a 422 naming the field and the first unknown id."""
    if len(values) > MAX_REPEAT:
        raise errors.invalid(errors.INVALID, f"Give at most {MAX_REPEAT} {field} ids.", field)
    ids = [_id(v, field) for v in values]
    found = model.objects.in_bulk(ids)
    for pk in ids:
        if pk not in found:
            raise errors.invalid(errors.NOT_FOUND, f"There is no {label} with id {pk}.", field)
    return [found[pk] for pk in dict.fromkeys(ids)]


def _instant(value: str | None, field: str) -> dt.datetime | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    spaced = _SPACE_OFFSET.match(text)
    if spaced:
        text = f"{spaced.group(1)}+{spaced.group(2)}"
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise errors.invalid(
            errors.INVALID_TIME,
            f"Give the {field} as an ISO date and time with its offset, "
            "e.g. 2026-03-02T09:00:00-06:00.",
            field,
        ) from None


def _limit(value: str | None) -> int:
    if value is None or not value.strip():
        return DEFAULT_LIMIT
    text = value.strip()
    if not text.lstrip("-").isdigit() or len(text) > 6:
        raise errors.invalid(errors.INVALID, "Give the limit as a whole number, 1 to 100.", "limit")
    return int(text)


def _slot_out(slot) -> dict:
    zone = slot.location.zone
    return {
        "provider": slot.provider.pk,
        "location": slot.location.pk,
        "room": slot.room.pk if slot.room else None,
        "start": slot.start.astimezone(zone),
        "end": slot.end.astimezone(zone),
        "provider_name": slot.provider.display_name,
        "location_name": slot.location.name,
        "room_name": slot.room.name if slot.room else None,
    }


@router.get(
    "/slots",
    response={200: list[SlotOut], **ERRORS},
    summary="The first open slots for a visit type, earliest first",
    description=(
        "Times `appointment_type` can be booked now, honouring the providers' weekly blocks, "
        "blocked time, bookings and rooms: each one books with POST /appointments. "
        "`provider` and `location` may repeat; leave them out for any. `start` and `end` "
        "are ISO datetimes with their offset (default: now and 90 days on; at most 366 "
        "days apart); a slot lies wholly between them. `limit` 1 to 100 (default 10). "
        "Optional wishes: `weekday` 0 (Monday) to 6, repeatable; `time` morning, "
        "afternoon or a range such as 09:00-11:00, repeatable; `patient` leaves out times "
        "that patient is already booked."
    ),
)
def slots(
    request: HttpRequest,
    appointment_type: Annotated[str | None, Query(description="Appointment type id")] = None,
    provider: Annotated[list[str] | None, Query(description="Provider id(s); none = any")] = None,
    location: Annotated[list[str] | None, Query(description="Location id(s); none = any")] = None,
    start: Annotated[str | None, Query(description="ISO datetime with offset")] = None,
    end: Annotated[str | None, Query(description="ISO datetime with offset")] = None,
    limit: Annotated[str | None, Query(description="1 to 100, default 10")] = None,
    weekday: Annotated[list[str] | None, Query(description="0 (Monday) to 6")] = None,
    time: Annotated[list[str] | None, Query(description="morning, afternoon, 09:00-11:00")] = None,
    patient: Annotated[str | None, Query(description="Patient id")] = None,
):
    require_perm(request, "scheduling.view_appointment")
    if appointment_type is None or not appointment_type.strip():
        raise errors.invalid(
            errors.INVALID, "Choose the appointment type (its id).", "appointment_type"
        )
    kind = _rows(AppointmentType, [appointment_type], "appointment_type", "appointment type")[0]
    providers = _rows(Provider, provider, "provider", "provider") if provider else None
    locations = _rows(Location, location, "location", "location") if location else None
    who = _rows(Patient, [patient], "patient", "patient")[0] if patient else None
    days = None
    if weekday:
        days = []
        for value in weekday:
            text = value.strip()
            if not text.isdigit() or len(text) > 1:
                raise errors.invalid(
                    errors.INVALID, "A weekday is 0 (Monday) to 6 (Sunday).", "weekday"
                )
            days.append(int(text))
    try:
        found = open_slots(
            appointment_type=kind,
            providers=providers,
            locations=locations,
            start=_instant(start, "start"),
            end=_instant(end, "end"),
            limit=_limit(limit),
            preferred_weekdays=days,
            preferred_times=time or None,
            patient=who,
        )
    except errors.DomainError as exc:
        # The finder names its own arguments; say them as the query parameters.
        exc.field = {"preferred_weekdays": "weekday", "preferred_times": "time"}.get(
            exc.field, exc.field
        )
        raise
    return [_slot_out(s) for s in found]


@router.get(
    "/waitlist/matches",
    response={200: list[WaitlistMatchOut], **ERRORS},
    summary="Who on the waitlist fits the time a cancelled appointment freed, in calling order",
    description=(
        "Waiting entries that want the cancelled appointment's type, provider (or any), "
        "location (or any), with its date in their window and its weekday and time among "
        "their wishes; oldest entry first, then the narrower window. The patient who "
        "cancelled is left out. 422 when the appointment is not cancelled or its time has "
        "passed; 409 when the time has been booked or blocked again."
    ),
)
def waitlist_matches_for(
    request: HttpRequest,
    appointment: Annotated[str | None, Query(description="The cancelled appointment's id")] = None,
):
    require_perm(request, "scheduling.view_waitlistentry")
    if appointment is None or not appointment.strip():
        raise errors.invalid(
            errors.INVALID, "Give the cancelled appointment (its id).", "appointment"
        )
    pk = _id(appointment, "appointment")
    cancelled = (
        Appointment.objects.select_related(
            "patient", "provider", "location", "room", "appointment_type"
        )
        .filter(pk=pk)
        .first()
    )
    if cancelled is None:
        raise errors.invalid(errors.NOT_FOUND, f"There is no appointment {pk}.", "appointment")
    freed_slot_of(cancelled)
    entries = waitlist_matches(appointment=cancelled)
    record_access(
        user=request.user,
        action=VIEW,
        object_type="waitlist matches",
        object_id=cancelled.pk,
        ip_address=client_address(request),
        detail=f"api: {len(entries)} waiting patients for appointment {cancelled.pk}",
    )
    return [
        {
            **waitlist_out(entry),
            "patient_name": f"{entry.patient.last_name}, {entry.patient.first_name}",
            "rank": rank,
        }
        for rank, entry in enumerate(entries, start=1)
    ]
