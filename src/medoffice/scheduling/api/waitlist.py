"""Add a patient to the waitlist, take them off."""

from __future__ import annotations

from typing import Annotated

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status

from medoffice.core.audit import CREATE, UPDATE, log_patient_access
from medoffice.core.models import Location
from medoffice.patients.models import Patient
from medoffice.scheduling.api.common import (
    BOOKING_ROLES,
    acting_user,
    find,
    require_role,
    waitlist_out,
)
from medoffice.scheduling.api.schemas import ERRORS, Id, WaitlistIn, WaitlistOut
from medoffice.scheduling.models import AppointmentType, Provider
from medoffice.scheduling.services import add_to_waitlist, remove_from_waitlist

router = Router()


@router.post(
    "/waitlist",
    response={201: WaitlistOut, **ERRORS},
    summary="Put a patient on the waitlist for an earlier visit",
)
def create_waitlist_entry(request: HttpRequest, payload: WaitlistIn):
    require_role(request, BOOKING_ROLES, "keep the waitlist")
    providers = [find(Provider, pk, "providers", "provider") for pk in payload.providers]
    with transaction.atomic():
        entry = add_to_waitlist(
            actor=acting_user(request),
            patient=find(Patient, payload.patient, "patient", "patient"),
            appointment_type=find(
                AppointmentType, payload.appointment_type, "appointment_type", "appointment type"
            ),
            providers=providers,
            location=find(Location, payload.location, "location", "location"),
            earliest_date=payload.earliest_date,
            latest_date=payload.latest_date,
            preferred_weekdays=payload.preferred_weekdays,
            preferred_time=payload.preferred_time,
            note=payload.note,
        )
        log_patient_access(
            request,
            patient_id=entry.patient_id,
            action=CREATE,
            object_type="waitlist entry",
            object_id=entry.pk,
        )
    return Status(201, waitlist_out(entry))


@router.delete(
    "/waitlist/{int:entry_id}",
    response={200: WaitlistOut, **ERRORS},
    summary="Take a patient off the waitlist (the entry is kept, marked removed)",
)
def delete_waitlist_entry(
    request: HttpRequest, entry_id: Id, reason: Annotated[str, Query(max_length=200)] = ""
):
    require_role(request, BOOKING_ROLES, "keep the waitlist")
    with transaction.atomic():
        entry = remove_from_waitlist(actor=acting_user(request), entry=entry_id, reason=reason)
        log_patient_access(
            request,
            patient_id=entry.patient_id,
            action=UPDATE,
            object_type="waitlist entry",
            object_id=entry.pk,
            detail="removed",
        )
    return waitlist_out(entry)
