"""GET providers, appointment types and rooms."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from medoffice.core.models import Location
from medoffice.scheduling.api.common import find, require_perm
from medoffice.scheduling.api.schemas import (
    AppointmentTypeOut,
    ErrorOut,
    Id,
    ProviderOut,
    RoomOut,
)
from medoffice.scheduling.models import AppointmentType, Provider, Room

router = Router()


@router.get(
    "/providers",
    response={200: list[ProviderOut], 403: ErrorOut, 422: ErrorOut},
    summary="Active providers (optionally those working at one location)",
)
def list_providers(request: HttpRequest, location: Id | None = None):
    require_perm(request, "scheduling.view_provider")
    qs = Provider.objects.filter(active=True).prefetch_related("locations")
    if location is not None:
        qs = qs.filter(locations=find(Location, location, "location", "location"))
    return [
        {
            "id": p.pk,
            "name": p.display_name,
            "schedule_name": p.schedule_name,
            "first_name": p.first_name,
            "last_name": p.last_name,
            "credentials": p.credentials,
            "specialty": p.specialty,
            "npi": p.npi,
            "locations": sorted(loc.pk for loc in p.locations.all()),
            "accepts_overbook": p.accepts_overbook,
            "colour": p.colour,
        }
        for p in qs
    ]


@router.get(
    "/appointment-types",
    response={200: list[AppointmentTypeOut], 403: ErrorOut},
    summary="The visit kinds that can be booked",
)
def list_appointment_types(request: HttpRequest):
    require_perm(request, "scheduling.view_appointmenttype")
    return [
        {
            "id": t.pk,
            "name": t.name,
            "code": t.code,
            "duration_minutes": t.duration_minutes,
            "colour": t.colour,
            "room_kind": t.room_kind or None,
            "patient_status": t.patient_status,
            "telehealth": t.telehealth,
        }
        for t in AppointmentType.objects.filter(active=True)
    ]


@router.get(
    "/rooms",
    response={200: list[RoomOut], 403: ErrorOut, 422: ErrorOut},
    summary="Rooms in use (optionally at one location)",
)
def list_rooms(request: HttpRequest, location: Id | None = None):
    require_perm(request, "scheduling.view_room")
    qs = Room.objects.filter(active=True)
    if location is not None:
        qs = qs.filter(location=find(Location, location, "location", "location"))
    return [{"id": r.pk, "name": r.name, "kind": r.kind, "location": r.location_id} for r in qs]
