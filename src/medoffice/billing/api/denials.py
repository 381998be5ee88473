"""Denials and underpayments: the work queue with its groups, one denial, its actions (resubmit,
appeal and the letter, write-off, move to the patient, resolve), write-off approvals, denial
rates per payer, underpaid lines with per-payer totals and the dispute CSV."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from medoffice.billing import carc
from medoffice.billing import denial_selectors as sel
from medoffice.billing.api.common import (
    ERRORS,
    Id,
    Limit,
    Offset,
    find,
    get_or_404,
    log_access,
    log_row,
    page,
    require_perm,
)
from medoffice.billing.errors import FieldErrors
from medoffice.billing.models import Claim, Denial, WriteOffRequest
from medoffice.billing.services import denials as svc
from medoffice.core.audit import UPDATE, VIEW
from medoffice.patients.models import Patient, Payer

router = Router()

AgeName = Literal["0-30", "31-60", "61-90", "90+"]
StatusName = Literal[
    "working", "all", "open", "resubmitted", "appealed", "written_off", "to_patient", "resolved"
]
Money = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]


class CodeOut(Schema):
    code: str
    text: str
    hint: str


class DenialOut(Schema):
    id: int
    claim: int
    patient_control_number: str
    patient: int
    patient_name: str
    payer: int
    payer_name: str
    line_code: str | None
    group: str
    reason: CodeOut
    remarks: list[CodeOut]
    amount: Decimal
    denied_on: dt.date
    age_days: int
    status: str
    closed_at: dt.datetime | None
    closed_by: str | None
    note: str


class GroupOut(Schema):
    key: str
    label: str
    hint: str
    count: int
    total: Decimal


class QueueOut(Schema):
    count: int
    total: Decimal
    groups: list[GroupOut]
    results: list[DenialOut]


class QueueQuery(Schema):
    payer: Id | None = None
    reason: Annotated[str, Field(max_length=5)] = ""
    age: AgeName | None = None
    status: StatusName = "working"
    min_amount: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] | None = None
    group_by: Literal["reason", "payer", "age", "amount"] | None = None
    limit: Limit = 100
    offset: Offset = 0


class NoteIn(Schema):
    note: Annotated[str, Field(max_length=300)] = ""


class AppealIn(Schema):
    text: Annotated[str, Field(max_length=svc.APPEAL_TEXT_MAX)]


class WriteOffIn(Schema):
    amount: Money
    reason: Annotated[str, Field(max_length=200)]


class BalanceWriteOffIn(WriteOffIn):
    claim: Id | None = None
    patient: Id | None = None
    patient_share: bool = False


class WriteOffOut(Schema):
    id: int
    denial: int | None
    claim: int | None
    patient: int
    payer: int | None
    amount: Decimal
    reason: str
    status: str
    requested_at: dt.datetime
    requested_by: str | None
    decided_at: dt.datetime | None
    decided_by: str | None


class ResubmitOut(Schema):
    denial: DenialOut
    claim: int
    patient_control_number: str
    frequency_code: str
    status: str


class StatsOut(Schema):
    payer: int
    payer_name: str
    adjudicated: int
    denied: int
    rate_percent: Decimal
    denied_amount: Decimal
    top_reasons: list[dict]


class UnderpaidLineOut(Schema):
    id: int
    claim: int
    patient_control_number: str
    payer: int
    payer_name: str
    date_of_service: dt.date | None
    code: str
    modifiers: str
    units: Decimal
    expected: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    short: Decimal


class PayerShortOut(Schema):
    payer: int
    payer_name: str
    lines: int
    expected: Decimal
    paid: Decimal
    short: Decimal


class UnderpaymentsOut(Schema):
    count: int
    totals: list[PayerShortOut]
    results: list[UnderpaidLineOut]


class UnderpaymentQuery(Schema):
    payer: Id | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    limit: Limit = 100
    offset: Offset = 0


def _code(c: carc.Code) -> dict:
    return {"code": c.code, "text": c.text, "hint": c.hint}


def denial_out(d: Denial, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    patient = d.claim.patient
    return {
        "id": d.pk,
        "claim": d.claim_id,
        "patient_control_number": d.claim.patient_control_number,
        "patient": patient.pk,
        "patient_name": f"{patient.last_name}, {patient.first_name}",
        "payer": d.payer_id,
        "payer_name": d.payer.name,
        "line_code": d.line.code if d.line_id else None,
        "group": d.group,
        "reason": _code(carc.carc(d.reason_code)),
        "remarks": [_code(r) for r in carc.remark_list(d.remark_codes)],
        "amount": d.amount,
        "denied_on": d.denied_on,
        "age_days": (today - d.denied_on).days,
        "status": d.status,
        "closed_at": d.closed_at,
        "closed_by": d.closed_by.get_username() if d.closed_by_id else None,
        "note": d.note,
    }


def write_off_out(w: WriteOffRequest) -> dict:
    return {
        "id": w.pk,
        "denial": w.denial_id,
        "claim": w.claim_id,
        "patient": w.patient_id,
        "payer": w.payer_id,
        "amount": w.amount,
        "reason": w.reason,
        "status": w.status,
        "requested_at": w.requested_at,
        "requested_by": w.requested_by.get_username() if w.requested_by_id else None,
        "decided_at": w.decided_at,
        "decided_by": w.decided_by.get_username() if w.decided_by_id else None,
    }


def _denial(denial_id: int) -> Denial:
    qs = Denial.objects.select_related("claim", "claim__patient", "payer", "line", "closed_by")
    return get_or_404(qs, denial_id, "denial")


def _logged(request, denial: Denial, action: str = UPDATE) -> None:
    log_access(
        request, patient_id=denial.claim.patient_id, action=action, object_type="denial",
        object_id=denial.pk,
    )  # fmt: skip


def _work(request, denial_id: int, action, **fields) -> dict:
    """Work a denial with ``action`` (a denials service taking denial= and actor=), log it,
    and answer with the denial as it is now."""
    require_perm(request, "billing.change_denial", "work denials")
    denial = _denial(denial_id)
    action(denial=denial, actor=request.auth, **fields)
    _logged(request, denial)
    return denial_out(_denial(denial_id))


@router.get(
    "/billing/denials",
    response={200: QueueOut, **ERRORS},
    summary="The denial work queue, filtered, with totals and (group_by) counts per group",
)
def list_denials(request, query: Query[QueueQuery]):
    require_perm(request, "billing.view_denial", "see denials")
    filters = sel.DenialFilters(
        payer_id=query.payer,
        reason=query.reason,
        age=query.age or "",
        status=query.status,
        min_amount=query.min_amount,
    )
    qs = sel.denial_queue(filters)
    count, total = sel.queue_totals(filters)
    groups = sel.denial_groups(filters, by=query.group_by) if query.group_by else []
    return {
        "count": count,
        "total": total,
        "groups": [g.__dict__ for g in groups],
        "results": [denial_out(d) for d in page(qs, query)],
    }


@router.get(
    "/billing/denials/stats",
    response={200: list[StatsOut], **ERRORS},
    summary="Denial rate and top reasons per payer over a period (default: the last 90 days)",
)
def denial_stats(request, since: dt.date | None = None, until: dt.date | None = None):
    require_perm(request, "billing.view_denial", "see denials")
    until = until or timezone.localdate()
    since = since or until - dt.timedelta(days=89)
    if since > until:
        raise FieldErrors({"since": ["The start comes after the end."]})
    return [
        {
            "payer": s.payer_id,
            "payer_name": s.payer_name,
            "adjudicated": s.adjudicated,
            "denied": s.denied,
            "rate_percent": s.rate,
            "denied_amount": s.denied_amount,
            "top_reasons": [
                {"code": c, "text": t, "count": n, "amount": a} for c, t, n, a in s.top_reasons
            ],
        }
        for s in sel.denial_stats(since=since, until=until)
    ]


@router.get("/billing/denials/{denial_id}", response={200: DenialOut, **ERRORS}, summary="A denial")
def get_denial(request, denial_id: Id):
    require_perm(request, "billing.view_denial", "see denials")
    denial = _denial(denial_id)
    _logged(request, denial, VIEW)
    return denial_out(denial)


@router.post(
    "/billing/denials/{denial_id}/resubmit",
    response={201: ResubmitOut, **ERRORS},
    summary="Correct and resubmit: a replacement claim, or the rejected claim reopened",
)
def resubmit(request, denial_id: Id, body: NoteIn):
    require_perm(request, "billing.change_denial", "work denials")
    require_perm(request, "billing.add_claim", "make claims")
    denial = _denial(denial_id)
    claim = svc.resubmit_corrected(denial=denial, actor=request.auth, note=body.note)
    _logged(request, denial)
    return Status(
        201,
        {
            "denial": denial_out(_denial(denial_id)),
            "claim": claim.pk,
            "patient_control_number": claim.patient_control_number,
            "frequency_code": claim.frequency_code,
            "status": claim.status,
        },
    )


@router.post(
    "/billing/denials/{denial_id}/appeal",
    response={200: DenialOut, **ERRORS},
    summary="Record an appeal (its letter: GET …/appeal-letter)",
)
def appeal(request, denial_id: Id, body: AppealIn):
    return _work(request, denial_id, svc.appeal, text=body.text)


@router.get(
    "/billing/denials/{denial_id}/appeal-letter",
    response={200: None, **ERRORS},
    summary="The recorded appeal's letter as PDF (409 when the denial was not appealed)",
)
def appeal_letter(request, denial_id: Id):
    require_perm(request, "billing.view_denial", "see denials")
    denial = _denial(denial_id)
    pdf = svc.appeal_letter_pdf(denial)
    _logged(request, denial, VIEW)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"appeal-{denial.claim.patient_control_number}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.post(
    "/billing/denials/{denial_id}/write-off",
    response={201: WriteOffOut, **ERRORS},
    summary="Write off (part of) the denied amount: posted at once up to the policy's "
    "threshold, else waiting for an office manager",
)
def write_off_denial(request, denial_id: Id, body: WriteOffIn):
    require_perm(request, "billing.add_writeoffrequest", "ask for write-offs")
    denial = _denial(denial_id)
    req = svc.request_write_off(
        denial=denial, actor=request.auth, amount=body.amount, reason=body.reason
    )
    _logged(request, denial)
    return Status(201, write_off_out(req))


@router.post(
    "/billing/denials/{denial_id}/to-patient",
    response={200: DenialOut, **ERRORS},
    summary="Move the denied amount from the payer's balance to the patient's",
)
def to_patient(request, denial_id: Id, body: NoteIn):
    return _work(request, denial_id, svc.move_to_patient, note=body.note)


@router.post(
    "/billing/denials/{denial_id}/resolve",
    response={200: DenialOut, **ERRORS},
    summary="Close a denial that needs nothing more (the note says how it was resolved)",
)
def resolve(request, denial_id: Id, body: NoteIn):
    return _work(request, denial_id, svc.resolve, note=body.note)


@router.get(
    "/billing/write-offs",
    response={200: list[WriteOffOut], **ERRORS},
    summary="Write-off requests (default: those waiting for approval)",
)
def list_write_offs(request, status: Literal["pending", "approved", "refused", "all"] = "pending"):
    require_perm(request, "billing.view_writeoffrequest", "see write-offs")
    qs = WriteOffRequest.objects.select_related("requested_by", "decided_by").order_by(
        "requested_at", "pk"
    )
    if status != "all":
        qs = qs.filter(status=status)
    return [write_off_out(w) for w in qs[:500]]


@router.post(
    "/billing/write-offs",
    response={201: WriteOffOut, **ERRORS},
    summary="Write off a claim's payer balance, the patient's share of it (patient_share), "
    "or a patient's balance",
)
def write_off_balance(request, body: BalanceWriteOffIn):
    require_perm(request, "billing.add_writeoffrequest", "ask for write-offs")
    claim = find(Claim, body.claim, "claim", "claim")
    patient = find(Patient, body.patient, "patient", "patient")
    if claim is not None and patient is not None and claim.patient_id != patient.pk:
        raise FieldErrors({"patient": ["The claim is another patient's."]})
    req = svc.request_write_off(
        claim=claim, patient=patient, patient_share=body.patient_share, actor=request.auth,
        amount=body.amount, reason=body.reason,
    )  # fmt: skip
    log_row(request, req, action=UPDATE, object_type="write_off")
    return Status(201, write_off_out(req))


def _decide(request, write_off_id: int, decide, **extra):
    require_perm(request, "billing.change_writeoffrequest", "decide write-offs")
    req = get_or_404(WriteOffRequest.objects.all(), write_off_id, "write-off")
    req = decide(request=req, actor=request.auth, **extra)
    log_row(request, req, action=UPDATE, object_type="write_off")
    return write_off_out(WriteOffRequest.objects.get(pk=req.pk))


@router.post(
    "/billing/write-offs/{write_off_id}/approve",
    response={200: WriteOffOut, **ERRORS},
    summary="Approve and post a waiting write-off (office manager only)",
)
def approve(request, write_off_id: Id):
    return _decide(request, write_off_id, svc.approve_write_off)


@router.post(
    "/billing/write-offs/{write_off_id}/refuse",
    response={200: WriteOffOut, **ERRORS},
    summary="Refuse a waiting write-off; nothing is posted (office manager only)",
)
def refuse(request, write_off_id: Id, body: NoteIn):
    return _decide(request, write_off_id, svc.refuse_write_off, note=body.note)


def _underpayment_filters(query) -> sel.UnderpaymentFilters:
    if query.payer is not None:
        find(Payer, query.payer, "payer", "payer")
    if query.since and query.until and query.since > query.until:
        raise FieldErrors({"since": ["The start comes after the end."]})
    return sel.UnderpaymentFilters(payer_id=query.payer, since=query.since, until=query.until)


@router.get(
    "/billing/underpayments",
    response={200: UnderpaymentsOut, **ERRORS},
    summary="Lines paid below the contract, with totals per payer",
)
def underpayments(request, query: Query[UnderpaymentQuery]):
    require_perm(request, "billing.view_remittance", "see payments")
    filters = _underpayment_filters(query)
    qs = sel.underpaid_lines(filters)
    return {
        "count": qs.count(),
        "totals": [
            {
                "payer": t.payer_id,
                "payer_name": t.payer_name,
                "lines": t.lines,
                "expected": t.expected,
                "paid": t.paid,
                "short": t.short,
            }  # fmt: skip
            for t in sel.underpayment_totals(filters)
        ],
        "results": [
            {
                "id": x.pk,
                "claim": x.claim_payment.claim_id,
                "patient_control_number": x.claim_payment.claim.patient_control_number,
                "payer": x.claim_payment.claim.payer_id,
                "payer_name": x.claim_payment.claim.payer.name,
                "date_of_service": x.day,
                "code": x.code,
                "modifiers": x.modifiers,
                "units": x.units,
                "expected": x.contracted_amount,
                "paid": x.paid,
                "patient_responsibility": x.patient_responsibility,
                "short": x.short,
            }
            for x in page(qs, query)
        ],
    }


@router.get(
    "/billing/underpayments.csv",
    response={200: None, **ERRORS},
    summary="The dispute export (CSV) of the underpaid lines, usually of one payer",
)
def underpayments_csv(request, query: Query[UnderpaymentQuery]):
    require_perm(request, "billing.view_remittance", "see payments")
    filters = _underpayment_filters(query)
    response = HttpResponse(sel.underpayments_csv(filters), content_type="text/csv; charset=utf-8")
    slug = f"payer-{query.payer}" if query.payer else "all-payers"
    name = f"underpayments-{slug}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
