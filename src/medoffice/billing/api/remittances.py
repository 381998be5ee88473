"""835 remittances: import a file (posted whole or refused whole), list and read payments,
and work the unmatched queue (match a claim payment to our claim, or dismiss it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, Query, Router, Schema, Status

from medoffice.billing.api.common import ERRORS, Id, find, get_or_404, log_access, require_perm
from medoffice.billing.errors import invalid
from medoffice.billing.models import Claim, ClaimPayment, Remittance
from medoffice.billing.services import remittances as svc
from medoffice.core.audit import UPDATE, VIEW

router = Router()
MAX_BYTES = 200 * 1024 * 1024


class SummaryOut(Schema):
    remittance: int | None
    payer: str
    payer_known: bool
    trace_number: str
    payment_date: dt.date | None
    posted_on: dt.date | None
    total_paid: Decimal
    claim_count: int
    matched: int
    unmatched: int
    paid_posted: Decimal
    unmatched_paid: Decimal
    contractual: Decimal
    patient_responsibility: Decimal
    denied: Decimal
    claims_paid: Decimal
    provider_adjusted: Decimal
    reconciled: bool
    skipped: bool
    warnings: list[str]


class ImportOut(Schema):
    file: int
    filename: str
    duplicate: bool
    already_imported_on: dt.datetime | None
    claims_posted: int
    unmatched: int
    paid_posted: Decimal
    reconciled: bool
    report: str
    remittances: list[SummaryOut]


class RemittanceRowOut(Schema):
    id: int
    file: int
    payer: int | None
    payer_name: str
    payer_identifier: str
    trace_number: str
    method: str
    payment_date: dt.date | None
    posted_on: dt.date
    total_paid: Decimal
    claims_paid: Decimal
    provider_adjusted: Decimal
    claim_count: int
    matched_count: int
    reconciled: bool


class PageOut(Schema):
    count: int
    results: list[RemittanceRowOut]


class AdjustmentOut(Schema):
    group: str
    reason: str
    amount: Decimal


class LineOut(Schema):
    code: str
    modifiers: str
    claim_line: int | None
    service_date: dt.date | None
    charge: Decimal
    paid: Decimal
    allowed: Decimal | None
    contracted_amount: Decimal | None
    underpaid_by: Decimal
    patient_responsibility: Decimal
    adjustments: list[AdjustmentOut]


class ClaimPaymentOut(Schema):
    id: int
    remittance: int
    patient_control_number: str
    claim: int | None
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_number: str
    patient_name: str
    posted: bool
    resolved_at: dt.datetime | None
    resolution_note: str
    adjustments: list[AdjustmentOut]
    lines: list[LineOut]


class RemittanceOut(RemittanceRowOut):
    summary: SummaryOut
    provider_adjustments: list[AdjustmentOut]
    claims: list[ClaimPaymentOut]


class ListQuery(Schema):
    q: Annotated[str, Field(max_length=80)] = ""
    since: dt.date | None = None
    until: dt.date | None = None
    offset: Annotated[int, Field(ge=0)] = 0
    limit: Annotated[int, Field(ge=1, le=500)] = 50


class MatchIn(Schema):
    claim: Id
    note: Annotated[str, Field(max_length=300)] = ""


class DismissIn(Schema):
    note: Annotated[str, Field(max_length=300)]


def _summary(s: svc.RemittanceSummary) -> dict:
    out = {k: getattr(s, k) for k in SummaryOut.model_fields if k != "remittance"}
    out["remittance"] = s.remittance_id
    return out


_NAMED = ("id", "file", "payer", "payer_name")


def _row(r: Remittance) -> dict:
    return {
        "id": r.pk,
        "file": r.file_id,
        "payer": r.payer_id,
        "payer_name": r.payer.name if r.payer_id else r.payer_name,
        **{k: getattr(r, k) for k in RemittanceRowOut.model_fields if k not in _NAMED},
    }


def _adjustments(items) -> list[dict]:
    return [{"group": a.group, "reason": a.reason, "amount": a.amount} for a in items]


def _claim_payment(cp: ClaimPayment) -> dict:
    adjustments = list(cp.adjustments.all())
    return {
        "id": cp.pk,
        "remittance": cp.remittance_id,
        "patient_control_number": cp.patient_control_number,
        "claim": cp.claim_id,
        "status_code": cp.status_code,
        "charge": cp.charge,
        "paid": cp.paid,
        "patient_responsibility": cp.patient_responsibility,
        "payer_claim_number": cp.payer_claim_number,
        "patient_name": cp.patient_name,
        "posted": cp.posted,
        "resolved_at": cp.resolved_at,
        "resolution_note": cp.resolution_note,
        "adjustments": _adjustments(a for a in adjustments if a.line_id is None),
        "lines": [
            {
                "code": x.code,
                "modifiers": x.modifiers,
                "claim_line": x.claim_line_id,
                "service_date": x.service_date,
                "charge": x.charge,
                "paid": x.paid,
                "allowed": x.allowed,
                "contracted_amount": x.contracted_amount,
                "underpaid_by": x.underpaid_by,
                "patient_responsibility": x.patient_responsibility,
                "adjustments": _adjustments(a for a in adjustments if a.line_id == x.pk),
            }
            for x in cp.lines.all()
        ],
    }


def _report(report: svc.ImportReport) -> dict:
    return {
        "file": report.file_id,
        "filename": report.filename,
        "duplicate": report.duplicate,
        "already_imported_on": report.already_imported_on,
        "claims_posted": report.claims_posted,
        "unmatched": report.unmatched,
        "paid_posted": report.paid_posted,
        "reconciled": report.reconciled,
        "report": report.text(),
        "remittances": [_summary(s) for s in report.remittances],
    }


@router.post(
    "/billing/remittances",
    response={200: ImportOut, 201: ImportOut, **ERRORS},
    summary="Import an 835 (the request body, as received) and post it: 201 imported, 200 the "
    "same file was imported before (nothing posted again); 422 a malformed file, naming the "
    "segment and position, nothing kept",
)
def import_remittance(request, filename: Annotated[str, Field(max_length=200)] = ""):
    require_perm(request, "billing.add_remittancefile", "import remittances")
    if len(request.body) > MAX_BYTES:
        raise invalid(f"The file is larger than {MAX_BYTES // 2**20} MB.", "file")
    report = svc.import_835(request.body, actor=request.auth, filename=filename)
    return Status(200 if report.duplicate else 201, _report(report))


@router.get(
    "/billing/remittances",
    response={200: PageOut, **ERRORS},
    summary="Imported payments, newest first: by payer or trace number (q) and payment date",
)
def list_remittances(request, query: Query[ListQuery]):
    require_perm(request, "billing.view_remittance", "see remittances")
    qs = svc.remittance_list(text=query.q, since=query.since, until=query.until)
    rows = qs[query.offset : query.offset + query.limit]
    return {"count": qs.count(), "results": [_row(r) for r in rows]}


@router.get(
    "/billing/remittances/unmatched",
    response={200: list[ClaimPaymentOut], **ERRORS},
    summary="The unmatched queue: claim payments naming no claim of ours, not yet matched or "
    "dismissed",
)
def unmatched(request, offset: Annotated[int, Field(ge=0)] = 0):
    require_perm(request, "billing.view_claimpayment", "see the unmatched payments")
    qs = svc.unmatched_queue().prefetch_related("lines", "adjustments")[offset : offset + 200]
    return [_claim_payment(cp) for cp in qs]


@router.get(
    "/billing/remittances/{remittance_id}",
    response={200: RemittanceOut, **ERRORS},
    summary="One payment: its figures and reconciliation, PLB, and its claims (500 a page) with "
    "lines and CAS adjustments",
)
def remittance_detail(request, remittance_id: Id, offset: Annotated[int, Field(ge=0)] = 0):
    require_perm(request, "billing.view_remittance", "see remittances")
    r = get_or_404(svc.remittance_list(), remittance_id, "remittance")
    claims = list(svc.remittance_claims(r)[offset : offset + 500])
    for patient_id in {cp.claim.patient_id for cp in claims if cp.claim_id}:
        log_access(request, patient_id=patient_id, action=VIEW, object_type="remittance",
                   object_id=r.pk)  # fmt: skip
    return {
        **_row(r),
        "summary": _summary(svc.summary_of(r)),
        "provider_adjustments": [
            {"group": "", "reason": p.reason, "amount": p.amount}
            for p in r.provider_adjustments.all()
        ],
        "claims": [_claim_payment(cp) for cp in claims],
    }


@router.post(
    "/billing/claim-payments/{payment_id}/match",
    response={200: ClaimPaymentOut, **ERRORS},
    summary="Match an unmatched claim payment to our claim and post it (409 already matched or "
    "dismissed; 422 a claim not sent or closed)",
)
def match(request, payment_id: Id, body: MatchIn):
    require_perm(request, "billing.change_claimpayment", "match payments to claims")
    cp = get_or_404(ClaimPayment.objects.all(), payment_id, "claim payment")
    claim = find(Claim, body.claim, "claim", "claim")
    cp, _warnings = svc.match_claim_payment(
        claim_payment=cp, claim=claim, actor=request.auth, note=body.note
    )
    log_access(request, patient_id=claim.patient_id, action=UPDATE, object_type="claim",
               object_id=claim.pk)  # fmt: skip
    return _claim_payment(cp)


@router.post(
    "/billing/claim-payments/{payment_id}/dismiss",
    response={200: ClaimPaymentOut, **ERRORS},
    summary="Take an unmatched claim payment off the queue without posting it (note: why)",
)
def dismiss(request, payment_id: Id, body: DismissIn):
    require_perm(request, "billing.change_claimpayment", "dismiss unmatched payments")
    cp = get_or_404(ClaimPayment.objects.all(), payment_id, "claim payment")
    return _claim_payment(svc.dismiss_claim_payment(claim_payment=cp, actor=request.auth,
                                                    note=body.note))  # fmt: skip
