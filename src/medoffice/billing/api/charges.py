"""Visits ready to bill, charge entry and change, and building a visit's next claim."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, Router, Schema, Status

from medoffice.billing import selectors
from medoffice.billing.api.claims import ClaimOut, claim_out
from medoffice.billing.api.common import ERRORS, Id, find, get_or_404, log_access, require_perm
from medoffice.billing.models import Charge
from medoffice.billing.services import claims as claim_services
from medoffice.billing.services.charges import LineInput, enter_charges, update_charges
from medoffice.core.audit import CREATE, UPDATE, VIEW
from medoffice.scheduling.models import Appointment, Provider

router = Router()
Short = Annotated[str, Field(max_length=100)]


class VisitOut(Schema):
    appointment: int
    patient: int
    patient_name: str
    provider: int
    provider_name: str
    location: str
    start: dt.datetime


class LineIn(Schema):
    code: Short
    modifiers: Short | list[Short] = ""
    units: int | Short = 1
    pointers: Short | list[int] = ""
    charge: Short | None = None


class ChargeIn(Schema):
    diagnoses: Annotated[list[Short], Field(max_length=20)] = []
    lines: Annotated[list[LineIn], Field(max_length=60)]
    rendering_provider: Id | None = None
    billing_provider: Id | None = None
    referring_name: Short = ""
    referring_npi: Short = ""
    prior_authorization: Short = ""
    place_of_service: Annotated[str, Field(max_length=2)] | None = None


class NewChargeIn(ChargeIn):
    appointment: Id


class LineOut(Schema):
    line_number: int
    code: str
    modifiers: list[str]
    units: int
    pointers: list[int]
    charge: Decimal
    service: int


class ChargeOut(Schema):
    id: int
    appointment: int | None
    patient: int
    date_of_service: dt.date
    place_of_service: str
    rendering_provider: int
    billing_provider: int | None
    referring_name: str
    referring_npi: str
    prior_authorization: str
    diagnoses: list[str]
    lines: list[LineOut]
    total: Decimal
    claims: list[int]


def charge_out(charge: Charge) -> dict:
    return {
        "id": charge.pk,
        "appointment": charge.appointment_id,
        "patient": charge.patient_id,
        "date_of_service": charge.date_of_service,
        "place_of_service": charge.place_of_service,
        "rendering_provider": charge.rendering_provider_id,
        "billing_provider": charge.billing_provider_id,
        "referring_name": charge.referring_name,
        "referring_npi": charge.referring_npi,
        "prior_authorization": charge.prior_authorization,
        "diagnoses": [d.code for d in charge.diagnoses.all()],
        "lines": [
            {
                "line_number": x.line_number,
                "code": x.code,
                "modifiers": x.modifier_list,
                "units": x.units,
                "pointers": x.pointers,
                "charge": x.charge_amount,
                "service": x.service_id,
            }
            for x in charge.lines.all()
        ],
        "total": charge.total,
        "claims": [c.pk for c in charge.claims.all()],
    }


def _fields(body: ChargeIn) -> dict:
    return {
        "diagnoses": list(body.diagnoses),
        "lines": [
            LineInput(
                code=x.code,
                modifiers=x.modifiers,
                units=x.units,
                pointers=x.pointers,
                charge=x.charge,
            )
            for x in body.lines
        ],
        "rendering_provider": find(
            Provider, body.rendering_provider, "rendering_provider", "provider"
        ),
        "billing_provider": find(Provider, body.billing_provider, "billing_provider", "provider"),
        "referring_name": body.referring_name,
        "referring_npi": body.referring_npi,
        "prior_authorization": body.prior_authorization,
        "place_of_service": body.place_of_service,
    }


@router.get(
    "/billing/ready-to-bill",
    response={200: list[VisitOut], **ERRORS},
    summary="Checked-out visits with no charges yet, oldest first",
)
def ready_to_bill(
    request, since: dt.date | None = None, limit: Annotated[int, Field(ge=1, le=500)] = 100
):
    require_perm(request, "billing.add_charge", "enter charges")
    return [
        {
            "appointment": a.pk,
            "patient": a.patient_id,
            "patient_name": f"{a.patient.last_name}, {a.patient.first_name}",
            "provider": a.provider_id,
            "provider_name": a.provider.display_name,
            "location": a.location.name,
            "start": a.start.astimezone(a.location.zone),
        }
        for a in selectors.visits_ready_to_bill(since=since)[:limit]
    ]


@router.post(
    "/billing/charges",
    response={201: ChargeOut, **ERRORS},
    summary="Enter a checked-out visit's charges (422 names the field: diagnoses.<n>, "
    "lines.<n>.code|modifiers|units|pointers|charge)",
)
def add_charges(request, body: NewChargeIn):
    require_perm(request, "billing.add_charge", "enter charges")
    appointment = find(Appointment, body.appointment, "appointment", "appointment")
    charge = enter_charges(actor=request.auth, appointment=appointment, **_fields(body))
    log_access(
        request,
        patient_id=charge.patient_id,
        action=CREATE,
        object_type="charge",
        object_id=charge.pk,
    )
    return Status(201, charge_out(selectors.charge_detail(charge.pk)))


@router.get(
    "/billing/charges/{charge_id}", response={200: ChargeOut, **ERRORS}, summary="A visit's charges"
)
def get_charges(request, charge_id: Id):
    require_perm(request, "billing.view_charge", "see charges")
    charge = selectors.charge_detail(charge_id) or get_or_404(
        Charge.objects.none(), charge_id, "charge"
    )
    log_access(
        request,
        patient_id=charge.patient_id,
        action=VIEW,
        object_type="charge",
        object_id=charge.pk,
    )
    return charge_out(charge)


@router.put(
    "/billing/charges/{charge_id}",
    response={200: ChargeOut, **ERRORS},
    summary="Replace a visit's diagnoses and lines (409 while a claim awaits the payer)",
)
def change_charges(request, charge_id: Id, body: ChargeIn):
    require_perm(request, "billing.change_charge", "change charges")
    charge = get_or_404(Charge.objects.all(), charge_id, "charge")
    update_charges(actor=request.auth, charge=charge, **_fields(body))
    log_access(
        request,
        patient_id=charge.patient_id,
        action=UPDATE,
        object_type="charge",
        object_id=charge.pk,
    )
    return charge_out(selectors.charge_detail(charge.pk))


@router.post(
    "/billing/charges/{charge_id}/claims",
    response={201: ClaimOut, 204: None, **ERRORS},
    summary="Build the visit's next claim, in coverage order (204: nothing covers the visit)",
)
def build_claim(request, charge_id: Id):
    require_perm(request, "billing.add_claim", "make claims")
    charge = get_or_404(Charge.objects.all(), charge_id, "charge")
    claim = claim_services.build_claim(actor=request.auth, charge=charge)
    if claim is None:
        return Status(204, None)
    log_access(
        request,
        patient_id=charge.patient_id,
        action=CREATE,
        object_type="claim",
        object_id=claim.pk,
    )
    return Status(201, claim_out(selectors.claim_detail(claim.pk)))
