"""What every schedule handler needs: who is calling, may they, the rows the ids name, the
appointment as JSON, and the PHI access log."""

from __future__ import annotations

from django.http import HttpRequest

from medoffice.core import roles
from medoffice.core.audit import log_patient_access
from medoffice.core.errors import DomainError
from medoffice.scheduling import errors
from medoffice.scheduling.models import Appointment, WaitlistEntry

BOOKING_ROLES = frozenset({roles.FRONT_DESK, roles.OFFICE_MANAGER})
FLOW_ROLES = frozenset({roles.FRONT_DESK, roles.MEDICAL_ASSISTANT, roles.OFFICE_MANAGER})


def acting_user(request: HttpRequest):
    return request.auth


def require_role(request: HttpRequest, allowed: frozenset[str], doing: str) -> None:
    if not roles.roles_of(acting_user(request)) & allowed:
        who = " or ".join(roles.ROLES[r].name.lower() for r in sorted(allowed))
        raise DomainError(
            errors.PERMISSION_DENIED,
            f"Your role cannot {doing}; ask the {who}.",
            None,
            status=403,
        )


def require_perm(request: HttpRequest, perm: str) -> None:
    if not acting_user(request).has_perm(perm):
        raise DomainError(
            errors.PERMISSION_DENIED, "Your role cannot see the schedule.", None, status=403
        )


def find(model, pk: int | None, field: str, label: str):
    """The row with id ``pk``, or a 422 naming the field (None stays None)."""
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise errors.invalid(errors.NOT_FOUND, f"There is no {label} with id {pk}.", field)
    return found


def appointment_or_404(pk: int) -> Appointment:
    found = (
        Appointment.objects.select_related(
            "patient", "provider", "location", "room", "appointment_type"
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise DomainError(errors.NOT_FOUND, f"There is no appointment {pk}.", None, status=404)
    return found


def appointment_out(appt: Appointment) -> dict:
    zone = appt.location.zone

    def local(value):
        return value.astimezone(zone) if value is not None else None

    patient = appt.patient
    return {
        "id": appt.pk,
        "patient": appt.patient_id,
        "patient_name": f"{patient.last_name}, {patient.first_name}",
        "provider": appt.provider_id,
        "provider_name": appt.provider.display_name,
        "location": appt.location_id,
        "location_name": appt.location.name,
        "room": appt.room_id,
        "room_name": appt.room.name if appt.room_id else None,
        "appointment_type": appt.appointment_type_id,
        "appointment_type_name": appt.appointment_type.name,
        "start": local(appt.start),
        "end": local(appt.end),
        "status": appt.status,
        "next_steps": list(appt.next_steps),
        "overbook": appt.overbook,
        "overbook_reason": appt.overbook_reason,
        "outside_template": appt.outside_template,
        "notes": appt.notes,
        "series": appt.series_id,
        "coverage": appt.coverage_id,
        "rescheduled_from": appt.rescheduled_from_id,
        "booked_at": local(appt.booked_at),
        "confirmed_at": local(appt.confirmed_at),
        "arrived_at": local(appt.arrived_at),
        "roomed_at": local(appt.roomed_at),
        "with_provider_at": local(appt.with_provider_at),
        "checked_out_at": local(appt.checked_out_at),
        "no_show_at": local(appt.no_show_at),
        "left_at": local(appt.left_at),
        "cancelled_at": local(appt.cancelled_at),
        "cancel_reason": appt.cancel_reason,
    }


def log_access(request, appt: Appointment, action: str, detail: str = "") -> None:
    log_patient_access(
        request,
        patient_id=appt.patient_id,
        action=action,
        object_type="appointment",
        object_id=appt.pk,
        detail=detail,
    )


def waitlist_out(entry: WaitlistEntry) -> dict:
    return {
        "id": entry.pk,
        "patient": entry.patient_id,
        "appointment_type": entry.appointment_type_id,
        "providers": sorted(p.pk for p in entry.providers.all()),
        "location": entry.location_id,
        "earliest_date": entry.earliest_date,
        "latest_date": entry.latest_date,
        "preferred_weekdays": entry.weekdays,
        "preferred_time": entry.preferred_time,
        "note": entry.note,
        "status": entry.status,
        "created_at": entry.created_at,
    }
