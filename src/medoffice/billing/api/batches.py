"""837P batches: list them, make one from the ready claims, download its file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from ninja import Router, Schema, Status

from medoffice.billing.api.common import ERRORS, Id, find, get_or_404, require_perm
from medoffice.billing.models import ClaimBatch
from medoffice.billing.services.batches import create_batch
from medoffice.patients.models import Payer

router = Router()


class BatchIn(Schema):
    payer: Id | None = None
    since: dt.date | None = None


class BatchOut(Schema):
    id: int
    created_at: dt.datetime
    payer: int | None
    interchange_control_number: int
    group_control_number: int
    transaction_control_number: str
    usage: str
    claim_count: int
    total_charge: Decimal
    claims: list[int]


def _batch(b: ClaimBatch) -> dict:
    return {
        "id": b.pk,
        "created_at": b.created_at,
        "payer": b.payer_id,
        "interchange_control_number": b.interchange_control_number,
        "group_control_number": b.group_control_number,
        "transaction_control_number": b.transaction_control_number,
        "usage": b.usage,
        "claim_count": b.claim_count,
        "total_charge": b.total_charge,
        "claims": sorted(c.pk for c in b.claims.all()),
    }


@router.get("/billing/batches", response={200: list[BatchOut], **ERRORS}, summary="837P batches")
def list_batches(request):
    require_perm(request, "billing.view_claimbatch", "see claim batches")
    return [_batch(b) for b in ClaimBatch.objects.prefetch_related("claims")[:200]]


@router.post(
    "/billing/batches",
    response={201: BatchOut, **ERRORS},
    summary="Make an 837P batch of the ready claims (409 when none is ready); they become "
    "submitted",
)
def make_batch(request, body: BatchIn):
    require_perm(request, "billing.add_claimbatch", "make claim batches")
    payer = find(Payer, body.payer, "payer", "payer")
    batch = create_batch(actor=request.auth, payer=payer, since=body.since)
    return Status(201, _batch(batch))


@router.get(
    "/billing/batches/{batch_id}/837p",
    response={200: None, **ERRORS},
    summary="The batch's 837P file, exactly as made",
)
def batch_file(request, batch_id: Id):
    require_perm(request, "billing.view_claimbatch", "see claim batches")
    batch = get_or_404(ClaimBatch.objects.all(), batch_id, "batch")
    response = HttpResponse(batch.text, content_type="text/plain; charset=ascii")
    response["Content-Disposition"] = f'attachment; filename="{batch.file_name}"'
    return response
