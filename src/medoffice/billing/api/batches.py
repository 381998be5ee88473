"""837P batches: list them, make one from the ready claims, download its file, send it;
and the 999/277CA acknowledgements that come back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from medoffice.billing.api.common import ERRORS, Id, find, get_or_404, require_perm
from medoffice.billing.models import ClaimBatch
from medoffice.billing.services.acknowledgements import (
    MAX_BYTES,
    AcknowledgementError,
    import_acknowledgement,
)
from medoffice.billing.services.batches import create_batch
from medoffice.billing.services.submission import queue_send, send_batch
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
    delivery_status: str
    sent_at: dt.datetime | None
    destination: str
    send_attempts: int
    last_error: str
    acknowledgement: str


class AckOut(Schema):
    id: int
    kind: str
    filename: str
    duplicate: bool
    imported_at: dt.datetime
    accepted: int
    rejected: int
    unknown: int
    unchanged: int
    report: list[str]


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
        "delivery_status": b.delivery_status,
        "sent_at": b.sent_at,
        "destination": b.destination,
        "send_attempts": b.send_attempts,
        "last_error": b.last_error,
        "acknowledgement": b.acknowledgement,
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


@router.post(
    "/billing/batches/{batch_id}/send",
    response={200: BatchOut, 202: BatchOut, **ERRORS},
    summary="Send (or send again) the batch's file to the outbox or the clearinghouse: by "
    "the worker (202), or ?now=true to deliver before answering (200; 409 not_delivered says "
    "why)",
)
def send(request, batch_id: Id, now: bool = False):
    require_perm(request, "billing.add_claimbatch", "send claim batches")
    batch = get_or_404(ClaimBatch.objects.all(), batch_id, "batch")
    if now:
        return Status(200, _batch(send_batch(batch=batch, actor=request.auth)))
    queue_send(batch=batch, actor=request.auth)
    batch.refresh_from_db()
    return Status(202, _batch(batch))


def _ack(result) -> dict:
    f = result.file
    return {
        "id": f.pk,
        "kind": f.kind,
        "filename": f.filename,
        "duplicate": result.duplicate,
        "imported_at": f.imported_at,
        "accepted": f.accepted_count,
        "rejected": f.rejected_count,
        "unknown": f.unknown_count,
        "unchanged": f.unchanged_count,
        "report": result.report_lines,
    }


@router.post(
    "/billing/acknowledgements",
    response={200: AckOut, 201: AckOut, **ERRORS},
    summary="Import a 999 or 277CA (the request body, as received): claims become accepted or "
    "rejected; 201 imported, 200 the same file was imported before (nothing changed); 422 a "
    "malformed file, naming the segment and position",
)
def import_ack(request, filename: Annotated[str, Field(max_length=255)] = ""):
    require_perm(request, "billing.add_acknowledgementfile", "import acknowledgements")
    if len(request.body) > MAX_BYTES:
        raise AcknowledgementError(f"The file is larger than {MAX_BYTES // 2**20} MB.")
    result = import_acknowledgement(request.body, actor=request.auth, filename=filename)
    return Status(200 if result.duplicate else 201, _ack(result))
