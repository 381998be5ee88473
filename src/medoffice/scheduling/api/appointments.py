"""Book, list, read, cancel, move, confirm appointments, and record their flow steps."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status

from medoffice.core.audit import CREATE, UPDATE, VIEW, client_address
from medoffice.core.audit import record_access as write_access_log
from medoffice.core.models import Location
from medoffice.patients.models import Coverage, Patient
from medoffice.scheduling.api.common import (
    BOOKING_ROLES,
    FLOW_ROLES,
    acting_user,
    appointment_or_404,
    appointment_out,
    find,
    log_access,
    require_perm,
    require_role,
)
from medoffice.scheduling.api.schemas import (
    ERRORS,
    AppointmentIn,
    AppointmentOut,
    CancelIn,
    ConfirmIn,
    ErrorOut,
    FlowIn,
    Id,
    RescheduleIn,
    SeriesIn,
    SeriesOut,
)
from medoffice.scheduling.models import AppointmentType, Provider, Room
from medoffice.scheduling.selectors import appointments_for_day
from medoffice.scheduling.services import (
    book_appointment,
    book_series,
    cancel_appointment,
    confirm_appointment,
    record_flow_step,
    reschedule_appointment,
)

router = Router()


def _visit_parties(payload: AppointmentIn | SeriesIn) -> dict:
    """The patient, provider, location, visit type and room a booking names, each looked up
    (an unknown id is a 422 naming its field)."""
    return {
        "patient": find(Patient, payload.patient, "patient", "patient"),
        "provider": find(Provider, payload.provider, "provider", "provider"),
        "location": find(Location, payload.location, "location", "location"),
        "appointment_type": find(
            AppointmentType, payload.appointment_type, "appointment_type", "appointment type"
        ),
        "room": find(Room, payload.room, "room", "room"),
    }


@router.post(
    "/appointments",
    response={201: AppointmentOut, **ERRORS},
    summary="Book an appointment (409 slot_taken when the provider or room is occupied)",
)
def createappointment_or_404(request: HttpRequest, payload: AppointmentIn):
    require_role(request, BOOKING_ROLES, "book appointments")
    with transaction.atomic():
        appt = book_appointment(
            actor=acting_user(request),
            **_visit_parties(payload),
            start=payload.start,
            end=payload.end,
            overbook_reason=payload.overbook_reason,
            allow_outside_template=payload.allow_outside_template,
            notes=payload.notes,
            coverage=find(Coverage, payload.coverage, "coverage", "coverage"),
        )
        log_access(request, appt, CREATE, "booked")
    return Status(201, appointment_out(appointment_or_404(appt.pk)))


@router.post(
    "/appointment-series",
    response={201: SeriesOut, **ERRORS},
    summary="Book a recurring visit, every occurrence or none (409 series_conflicts lists "
    "the dates that cannot be booked)",
)
def create_series(request: HttpRequest, payload: SeriesIn):
    require_role(request, BOOKING_ROLES, "book appointments")
    with transaction.atomic():
        series = book_series(
            actor=acting_user(request),
            **_visit_parties(payload),
            start=payload.start,
            interval_weeks=payload.interval_weeks,
            count=payload.count,
            until=payload.until,
            allow_outside_template=payload.allow_outside_template,
            notes=payload.notes,
        )
        visits = list(series.appointments.order_by("start"))
        for visit in visits:
            log_access(request, visit, CREATE, "booked in a series")
    return Status(
        201,
        {
            "id": series.pk,
            "interval_weeks": series.interval_weeks,
            "count": series.count,
            "until": series.until,
            "appointments": [appointment_out(appointment_or_404(v.pk)) for v in visits],
        },
    )


@router.get(
    "/appointments",
    response={200: list[AppointmentOut], 403: ErrorOut, 422: ErrorOut},
    summary="A location's appointments on one day (its local date), earliest first",
)
def list_appointments(
    request: HttpRequest,
    location: Id,
    date: dt.date,
    provider: Annotated[list[Id] | None, Query(max_length=100)] = None,
    include_cancelled: bool = False,
):
    require_perm(request, "scheduling.view_appointment")
    where = find(Location, location, "location", "location")
    rows = appointments_for_day(
        location=where, day=date, providers=provider, include_cancelled=include_cancelled
    )
    result = [appointment_out(a) for a in rows]
    write_access_log(
        user=acting_user(request),
        action=VIEW,
        object_type="appointment list",
        object_id="",
        ip_address=client_address(request),
        detail=f"location={where.pk} date={date.isoformat()} rows={len(result)}",
    )
    return result


@router.get(
    "/appointments/{appointment_id}",
    response={200: AppointmentOut, 403: ErrorOut, 404: ErrorOut},
    summary="One appointment",
)
def getappointment_or_404(request: HttpRequest, appointment_id: Id):
    require_perm(request, "scheduling.view_appointment")
    appt = appointment_or_404(appointment_id)
    log_access(request, appt, VIEW)
    return appointment_out(appt)


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, **ERRORS},
    summary="Cancel a visit that has not started (a reason is required)",
)
def cancel(request: HttpRequest, appointment_id: Id, payload: CancelIn):
    require_role(request, BOOKING_ROLES, "cancel appointments")
    appt = appointment_or_404(appointment_id)
    with transaction.atomic():
        cancel_appointment(actor=acting_user(request), appointment=appt, reason=payload.reason)
        log_access(request, appt, UPDATE, "cancelled")
    return appointment_out(appointment_or_404(appointment_id))


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response={201: AppointmentOut, **ERRORS},
    summary="Move a visit: books the new time, cancels the old one ('rescheduled')",
)
def reschedule(request: HttpRequest, appointment_id: Id, payload: RescheduleIn):
    require_role(request, BOOKING_ROLES, "move appointments")
    appt = appointment_or_404(appointment_id)
    with transaction.atomic():
        new = reschedule_appointment(
            actor=acting_user(request),
            appointment=appt,
            start=payload.start,
            provider=find(Provider, payload.provider, "provider", "provider"),
            location=find(Location, payload.location, "location", "location"),
            appointment_type=find(
                AppointmentType, payload.appointment_type, "appointment_type", "appointment type"
            ),
            room=find(Room, payload.room, "room", "room"),
            overbook_reason=payload.overbook_reason,
            allow_outside_template=payload.allow_outside_template,
            reason=payload.reason,
        )
        log_access(request, appt, UPDATE, f"rescheduled to appointment {new.pk}")
        log_access(request, new, CREATE, f"rescheduled from appointment {appt.pk}")
    return Status(201, appointment_out(appointment_or_404(new.pk)))


@router.post(
    "/appointments/{appointment_id}/flow",
    response={200: AppointmentOut, **ERRORS},
    summary="Record a flow step: arrived, roomed, with_provider, checked_out, no_show, "
    "left_without_being_seen",
)
def flow(request: HttpRequest, appointment_id: Id, payload: FlowIn):
    require_role(request, FLOW_ROLES, "record patient flow")
    appt = appointment_or_404(appointment_id)
    with transaction.atomic():
        record_flow_step(
            actor=acting_user(request),
            appointment=appt,
            step=payload.step,
            room=find(Room, payload.room, "room", "room"),
            reason=payload.reason,
        )
        log_access(request, appt, UPDATE, payload.step)
    return appointment_out(appointment_or_404(appointment_id))


@router.post(
    "/appointments/{appointment_id}/confirm",
    response={200: AppointmentOut, **ERRORS},
    summary="The patient confirmed they will come",
)
def confirm(request: HttpRequest, appointment_id: Id, payload: ConfirmIn):
    require_role(request, BOOKING_ROLES, "confirm appointments")
    appt = appointment_or_404(appointment_id)
    with transaction.atomic():
        confirm_appointment(actor=acting_user(request), appointment=appt, via=payload.via)
        log_access(request, appt, UPDATE, "confirmed")
    return appointment_out(appointment_or_404(appointment_id))
