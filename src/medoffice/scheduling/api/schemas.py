"""What the schedule's API takes and gives: ids, appointments, flow steps, waitlist entries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema

from medoffice.scheduling.models import WaitlistEntry

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Text = Annotated[str, Field(max_length=1000)]


class ErrorOut(Schema):
    detail: str
    code: str
    field: str | None


class ProviderOut(Schema):
    id: int
    name: str
    schedule_name: str
    first_name: str
    last_name: str
    credentials: str
    specialty: str
    npi: str
    locations: list[int]
    accepts_overbook: bool
    colour: str


class AppointmentTypeOut(Schema):
    id: int
    name: str
    code: str
    duration_minutes: int
    colour: str
    room_kind: str | None
    patient_status: str
    telehealth: bool


class RoomOut(Schema):
    id: int
    name: str
    kind: str
    location: int


class AppointmentIn(Schema):
    patient: Id
    provider: Id
    location: Id
    appointment_type: Id
    start: dt.datetime
    end: dt.datetime | None = None
    room: Id | None = None
    overbook_reason: Text = ""
    allow_outside_template: bool = False
    notes: Text = ""
    coverage: Id | None = None


class SeriesIn(Schema):
    """A recurring visit: the first one, then every ``interval_weeks`` weeks on the same
    weekday and local time, ``count`` times or through ``until`` (a local date)."""

    patient: Id
    provider: Id
    location: Id
    appointment_type: Id
    start: dt.datetime
    interval_weeks: Annotated[int, Field(ge=1, le=52)] = 1
    count: int | None = None
    until: dt.date | None = None
    room: Id | None = None
    allow_outside_template: bool = False
    notes: Text = ""


class AppointmentOut(Schema):
    id: int
    patient: int
    patient_name: str
    provider: int
    provider_name: str
    location: int
    location_name: str
    room: int | None
    room_name: str | None
    appointment_type: int
    appointment_type_name: str
    start: dt.datetime
    end: dt.datetime
    status: str
    next_steps: list[str]
    overbook: bool
    overbook_reason: str
    outside_template: bool
    notes: str
    series: int | None
    coverage: int | None
    rescheduled_from: int | None
    booked_at: dt.datetime
    confirmed_at: dt.datetime | None
    arrived_at: dt.datetime | None
    roomed_at: dt.datetime | None
    with_provider_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    no_show_at: dt.datetime | None
    left_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str


class CancelIn(Schema):
    reason: Text = ""


class RescheduleIn(Schema):
    start: dt.datetime
    provider: Id | None = None
    location: Id | None = None
    appointment_type: Id | None = None
    room: Id | None = None
    overbook_reason: Text = ""
    allow_outside_template: bool = False
    reason: Text = ""


class FlowIn(Schema):
    step: Annotated[str, Field(max_length=40)]
    room: Id | None = None
    reason: Text = ""


class ConfirmIn(Schema):
    via: Annotated[str, Field(max_length=40)] = ""


class WaitlistIn(Schema):
    patient: Id
    appointment_type: Id
    providers: Annotated[list[Id], Field(max_length=50)] = []
    location: Id | None = None
    earliest_date: dt.date
    latest_date: dt.date
    preferred_weekdays: Annotated[list[int], Field(max_length=7)] = []
    preferred_time: Annotated[str, Field(max_length=20)] = WaitlistEntry.ANY_TIME
    note: Text = ""


class WaitlistOut(Schema):
    id: int
    patient: int
    appointment_type: int
    providers: list[int]
    location: int | None
    earliest_date: dt.date
    latest_date: dt.date
    preferred_weekdays: list[int]
    preferred_time: str
    note: str
    status: str
    created_at: dt.datetime


ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class SeriesOut(Schema):
    id: int
    interval_weeks: int
    count: int | None
    until: dt.date | None
    appointments: list[AppointmentOut]
