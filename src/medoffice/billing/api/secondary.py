"""Secondary claims: the visits waiting for a claim to their next payer, and building them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, Router, Schema

from medoffice.billing.api.common import ERRORS, Id, log_access, require_perm
from medoffice.billing.models import Claim
from medoffice.billing.services.secondary import (
    build_secondary_claims,
    visits_waiting_for_secondary,
)
from medoffice.core.audit import UPDATE

router = Router()


class WaitingOut(Schema):
    charge: int
    patient: int
    patient_name: str
    date_of_service: dt.date
    prior_claim: int
    prior_claim_number: str
    prior_payer: str
    prior_paid: Decimal
    payer: int
    payer_name: str
    payer_order: int
    balance: Decimal


class BuildIn(Schema):
    charges: Annotated[list[Id], Field(max_length=2000)] | None = Field(
        None, description="Only these visits (charge ids); all waiting visits when left out."
    )


class BuildOut(Schema):
    built: list[int]
    skipped: dict[int, str]
    clean: int
    with_errors: int
    summary: str


@router.get(
    "/billing/secondary-claims/waiting",
    response={200: list[WaitingOut], **ERRORS},
    summary="Visits whose primary has paid or denied (posted) and whose next payer has a "
    "balance but no claim yet",
)
def waiting(request):
    require_perm(request, "billing.view_claim", "see claims")
    return [
        {
            "charge": w.charge_id,
            "patient": w.patient_id,
            "patient_name": w.patient_name,
            "date_of_service": w.date_of_service,
            "prior_claim": w.prior_claim_id,
            "prior_claim_number": w.prior_claim_number,
            "prior_payer": w.prior_payer,
            "prior_paid": w.prior_paid,
            "payer": w.payer_id,
            "payer_name": w.payer,
            "payer_order": w.payer_order,
            "balance": w.balance,
        }  # fmt: skip
        for w in visits_waiting_for_secondary()
    ]


@router.post(
    "/billing/secondary-claims",
    response={200: BuildOut, **ERRORS},
    summary="Build (and scrub) the secondary claims of the waiting visits",
)
def build(request, body: BuildIn):
    require_perm(request, "billing.add_claim", "build claims")
    summary = build_secondary_claims(actor=request.auth, charge_ids=body.charges)
    for claim_id, patient_id in Claim.objects.filter(pk__in=summary.built).values_list(
        "pk", "patient_id"
    ):
        log_access(
            request, patient_id=patient_id, action=UPDATE, object_type="claim", object_id=claim_id
        )
    return {
        "built": summary.built,
        "skipped": summary.skipped,
        "clean": summary.scrub.clean,
        "with_errors": summary.scrub.with_errors,
        "summary": summary.describe(),
    }
