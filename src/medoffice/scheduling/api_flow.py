"""API for the flow board and wait-time statistics (/api/v1/flow-board, /api/v1/wait-times).

The same selectors as the pages do the work. Anyone with the schedule's view
permission may read both; reading the flow board writes a row in the PHI
access log (a list of patients, like the page). Bad input is a 422 naming
the field, never a 500.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from medoffice.core.audit import VIEW, client_address, record_access
from medoffice.core.errors import INVALID, NOT_FOUND, PERMISSION_DENIED, DomainError
from medoffice.core.models import Location
from medoffice.scheduling import stats
from medoffice.scheduling.flow_board import flow_board
from medoffice.scheduling.forms import EARLIEST, LATEST, MAX_RANGE_DAYS
from medoffice.scheduling.selectors import location_today

router = Router(tags=["flow board"])

VIEW_PERM = "scheduling.view_appointment"
MAX_ID = 2**63 - 1
LocationId = Annotated[int, Field(gt=0, le=MAX_ID, description="A location id")]


class FlowCardOut(Schema):
    id: int
    patient: int
    patient_name: str = Field(description='Short name, e.g. "Lee, M."')
    provider: int
    provider_name: str
    appointment_type: int
    appointment_type_name: str
    room: int | None
    room_name: str | None
    start: dt.datetime
    end: dt.datetime
    status: str
    column: str = Field(
        description="expected, arrived, roomed, with_provider or checked_out (the board's column)"
    )
    status_since: dt.datetime | None = Field(description="When the current step began")
    minutes_in_step: int | None = Field(description="For patients in the office")
    minutes_late: int | None = Field(description="Expected patients past their time")
    visit_minutes: int | None = Field(description="Arrival to check-out, once checked out")


class FlowBoardOut(Schema):
    location: int
    location_name: str
    date: dt.date
    now: dt.datetime
    waiting: int
    longest_wait_minutes: int | None
    no_shows: int
    left_without_being_seen: int
    appointments: list[FlowCardOut]


class SummaryOut(Schema):
    count: int
    mean: float | None
    median: float | None
    p90: float | None


class GroupOut(Schema):
    key: int | str
    label: str
    visits: int
    steps: dict[str, SummaryOut]


class NoShowOut(Schema):
    no_shows: int
    due: int
    rate: float | None = Field(description="no_shows / due, 0 to 1; null when none were due")
    cancelled: int
    left_without_being_seen: int


class WaitTimesOut(Schema):
    location: int
    start: dt.date
    end: dt.date
    visits: int
    steps: dict[str, SummaryOut] = Field(
        description="arrival_to_roomed, roomed_to_provider, provider_to_checkout, "
        "arrival_to_checkout; minutes"
    )
    by_provider: list[GroupOut]
    by_appointment_type: list[GroupOut]
    by_hour: list[GroupOut]
    no_show: NoShowOut


def _bad(message: str, field: str) -> DomainError:
    return DomainError(INVALID, message, field, status=422)


def _require_view(request: HttpRequest) -> None:
    if not request.user.has_perm(VIEW_PERM):
        raise DomainError(PERMISSION_DENIED, "Your role cannot see the schedule.", None, status=403)


def _location(request: HttpRequest, pk: int | None) -> Location:
    if pk is None:
        home = getattr(request.user, "home_location", None)
        if home is not None and home.active:
            return home
        first = Location.objects.filter(active=True).order_by("name").first()
        if first is None:
            raise DomainError(NOT_FOUND, "There is no active location yet.", "location", status=422)
        return first
    found = Location.objects.filter(pk=pk).first()
    if found is None:
        raise DomainError(NOT_FOUND, f"There is no location with id {pk}.", "location", status=422)
    return found


def _in_range(day: dt.date | None, field: str) -> dt.date | None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise _bad(f"The {field} must be between 2000 and 2100.", field)
    return day


@router.get(
    "/flow-board",
    response=FlowBoardOut,
    summary="The flow board: a location's visits of a day with the minutes in their current step",
)
def flow_board_api(
    request: HttpRequest,
    location: Annotated[LocationId | None, Query(description="Default: your home location")] = None,
    date: Annotated[dt.date | None, Query(description="Default: today at the location")] = None,
):
    _require_view(request)
    place = _location(request, location)
    day = _in_range(date, "date") or location_today(place)
    board = flow_board(location=place, day=day)
    record_access(
        user=request.user,
        action=VIEW,
        object_type="flow board",
        object_id=f"{place.pk}:{day.isoformat()}",
        ip_address=client_address(request),
        detail=f"API flow board of {place.name}: {board.visits} visits",
    )
    zone = place.zone

    def local(value):
        return value.astimezone(zone) if value is not None else None

    cards = []
    for column in board.columns:
        for card in column.cards:
            visit = card.visit
            cards.append(
                {
                    "id": visit.pk,
                    "patient": visit.patient_id,
                    "patient_name": card.patient,
                    "provider": visit.provider_id,
                    "provider_name": card.provider,
                    "appointment_type": visit.appointment_type_id,
                    "appointment_type_name": card.type_name,
                    "room": visit.room_id,
                    "room_name": card.room or None,
                    "start": local(visit.start),
                    "end": local(visit.end),
                    "status": visit.status,
                    "column": column.key,
                    "status_since": local(card.since),
                    "minutes_in_step": card.minutes,
                    "minutes_late": card.late,
                    "visit_minutes": card.total,
                }
            )
    return {
        "location": place.pk,
        "location_name": place.name,
        "date": day,
        "now": local(board.now),
        "waiting": board.waiting,
        "longest_wait_minutes": board.longest_wait,
        "no_shows": board.no_shows,
        "left_without_being_seen": board.left,
        "appointments": cards,
    }


@router.get(
    "/wait-times",
    response=WaitTimesOut,
    summary="Wait-time statistics (minutes per step, provider, visit type and hour) and "
    "the no-show rate of a date range at a location",
)
def wait_times_api(
    request: HttpRequest,
    location: Annotated[LocationId, Query()],
    start: Annotated[dt.date, Query(description="First day (local), inclusive")],
    end: Annotated[dt.date, Query(description="Last day (local), inclusive")],
):
    _require_view(request)
    place = _location(request, location)
    _in_range(start, "start")
    _in_range(end, "end")
    if end < start:
        raise DomainError(
            INVALID, "The end date cannot be before the start date.", "end", status=422
        )
    if (end - start).days >= MAX_RANGE_DAYS:
        raise DomainError(
            INVALID, "Ask for at most a year (366 days) at a time.", "end", status=422
        )
    return stats.as_json(stats.wait_times(location=place, start=start, end=end))
