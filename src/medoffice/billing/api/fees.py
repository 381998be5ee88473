"""The service list, payers' contracted amounts, CSV import (preview or apply) and export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from medoffice.billing import selectors
from medoffice.billing.api.common import ERRORS, ErrorOut, Id, find, get_or_404, require_perm
from medoffice.billing.models import PayerFee, Service
from medoffice.billing.services import fee_import
from medoffice.billing.services.fee_schedules import save_service, set_payer_fee
from medoffice.patients.models import Payer

router = Router()
Kind = Literal["services", "payer_fees"]


class ServiceOut(Schema):
    id: int
    code: str
    modifiers: str
    description: str
    standard_charge: Decimal
    rvus: Decimal | None
    active: bool


class ServiceIn(Schema):
    code: Annotated[str, Field(max_length=20)]
    modifiers: Annotated[str, Field(max_length=40)] = ""
    description: Annotated[str, Field(max_length=200)]
    standard_charge: Annotated[str, Field(max_length=20)]
    rvus: Annotated[str, Field(max_length=20)] | None = None
    active: bool = True


class PayerFeeOut(Schema):
    id: int
    payer: int
    payer_name: str
    service: int
    code: str
    modifiers: str
    allowed_amount: Decimal
    effective_date: dt.date
    end_date: dt.date | None


class PayerFeeIn(Schema):
    payer: Id
    service: Id
    allowed_amount: Annotated[str, Field(max_length=20)]
    effective_date: dt.date
    end_date: dt.date | None = None


class ProblemOut(Schema):
    line: int
    column: str
    reason: str


class ImportOut(Schema):
    kind: str
    applied: bool
    rows: int
    added: int
    changed: int
    unchanged: int
    problems: list[ProblemOut]


def _service(s: Service) -> dict:
    return {
        "id": s.pk,
        "code": s.code,
        "modifiers": s.modifiers,
        "description": s.description,
        "standard_charge": s.standard_charge,
        "rvus": s.rvus,
        "active": s.active,
    }


def _fee(f: PayerFee) -> dict:
    return {
        "id": f.pk,
        "payer": f.payer_id,
        "payer_name": f.payer.name,
        "service": f.service_id,
        "code": f.service.code,
        "modifiers": f.service.modifiers,
        "allowed_amount": f.allowed_amount,
        "effective_date": f.effective_date,
        "end_date": f.end_date,
    }


def _plan(plan) -> dict:
    return {
        "kind": plan.kind,
        "applied": plan.applied,
        "rows": plan.rows,
        "added": len(plan.added),
        "changed": len(plan.changed),
        "unchanged": plan.unchanged,
        "problems": [
            {"line": p.line, "column": p.column, "reason": p.reason} for p in plan.problems
        ],
    }


@router.get(
    "/billing/services", response={200: list[ServiceOut], **ERRORS}, summary="The service list"
)
def list_services(
    request,
    q: Annotated[str, Field(max_length=80)] = "",
    status: Literal["active", "inactive", "all"] = "active",
):
    require_perm(request, "billing.view_service", "see the fee schedule")
    return [_service(s) for s in selectors.service_list(text=q, status=status)]


@router.post("/billing/services", response={201: ServiceOut, **ERRORS}, summary="Add a service")
def add_service(request, body: ServiceIn):
    require_perm(request, "billing.add_service", "change the fee schedule")
    return Status(201, _service(save_service(**body.dict())))


@router.put(
    "/billing/services/{service_id}",
    response={200: ServiceOut, **ERRORS},
    summary="Change a service",
)
def change_service(request, service_id: Id, body: ServiceIn):
    require_perm(request, "billing.change_service", "change the fee schedule")
    service = get_or_404(Service.objects.all(), service_id, "service")
    return _service(save_service(service=service, **body.dict()))


@router.get(
    "/billing/payer-fees",
    response={200: list[PayerFeeOut], **ERRORS},
    summary="Contracted amounts (optionally one payer's, or those in force on a day)",
)
def list_payer_fees(request, payer: Id | None = None, on: dt.date | None = None):
    require_perm(request, "billing.view_payerfee", "see the fee schedule")
    qs = PayerFee.objects.select_related("payer", "service")
    if payer is not None:
        qs = qs.filter(payer_id=payer)
    if on is not None:
        qs = qs.filter(effective_date__lte=on).exclude(end_date__lt=on)
    return [_fee(f) for f in qs]


@router.post(
    "/billing/payer-fees",
    response={201: PayerFeeOut, **ERRORS},
    summary="Record a payer's contracted amount (409-free: overlapping dates are a 422)",
)
def add_payer_fee(request, body: PayerFeeIn):
    require_perm(request, "billing.add_payerfee", "change the fee schedule")
    fee = set_payer_fee(
        payer=find(Payer, body.payer, "payer", "payer"),
        service=find(Service, body.service, "service", "service"),
        allowed_amount=body.allowed_amount,
        effective_date=body.effective_date,
        end_date=body.end_date,
    )
    return Status(201, _fee(PayerFee.objects.select_related("payer", "service").get(pk=fee.pk)))


@router.post(
    "/billing/fee-schedule/import",
    response={200: ImportOut, 422: ImportOut, 400: ErrorOut, 403: ErrorOut},
    summary="Import a CSV (the request body): preview by default, apply=true writes it "
    "all or nothing; 422 lists every refused line",
)
def import_fee_schedule(request, kind: Kind, apply: bool = False):
    perm = "billing.add_service" if kind == "services" else "billing.add_payerfee"
    require_perm(request, perm, "import the fee schedule")
    text = fee_import.decode(request.body)
    if not apply:
        plan = fee_import.preview_import(kind=kind, text=text)
        return Status(200 if plan.ok else 422, _plan(plan))
    try:
        plan = fee_import.apply_import(kind=kind, text=text)
    except fee_import.ImportRejected as exc:
        return Status(422, _plan(exc.plan))
    return _plan(plan)


@router.get(
    "/billing/fee-schedule/export",
    response={200: None, **ERRORS},
    summary="The service list or the contracted amounts as CSV (the import's columns)",
)
def export_fee_schedule(request, kind: Kind, payer: Id | None = None):
    require_perm(request, "billing.view_service", "see the fee schedule")
    if kind == "services":
        text = fee_import.export_services()
    else:
        text = fee_import.export_payer_fees(payer=find(Payer, payer, "payer", "payer"))
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response
