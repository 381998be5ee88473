"""A/R: the aging (by payer or patient, at a day), the metrics of a month or the standard
periods, the closed months with the next one's totals, and closing a month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema, Status

from medoffice.billing import ar
from medoffice.billing import errors as billing_errors
from medoffice.billing.api.common import ERRORS, Id, require_perm
from medoffice.billing.services import ledger
from medoffice.core.errors import DomainError

router = Router()

Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-03"])]


class AgingQuery(Schema):
    by: Literal["payer", "patient"] = "payer"
    as_of: dt.date | None = None
    payer: Id | None = None


class AgingRowOut(Schema):
    label: str
    payer: int | None
    patient: int | None
    mrn: str
    buckets: list[Decimal]
    total: Decimal


class CreditOut(Schema):
    patient: int
    name: str
    mrn: str
    amount: Decimal


class AgingOut(Schema):
    as_of: dt.date
    by: str
    buckets: list[str]
    rows: list[AgingRowOut]
    totals: list[Decimal]
    total: Decimal
    credits: list[CreditOut]
    credit_total: Decimal


class RatioOut(Schema):
    value: Decimal | None
    numerator: Decimal
    denominator: Decimal
    unit: str


class MetricsOut(Schema):
    label: str
    start: dt.date
    end: dt.date
    days_in_ar: RatioOut
    net_collection_rate: RatioOut
    first_pass_resolution_rate: RatioOut


class MetricsQuery(Schema):
    month: Month | None = None


class MonthTotalsOut(Schema):
    month: str
    beginning: Decimal
    charges: Decimal
    payments: Decimal
    adjustments: Decimal
    transfers: Decimal
    ending: Decimal
    unmatched_payments: int


class ClosedOut(Schema):
    month: str
    closed_at: dt.datetime
    closed_by: int | None
    note: str


class PeriodsOut(Schema):
    closed: list[ClosedOut]
    open_from: dt.date
    next_to_close: MonthTotalsOut | None
    may_close: bool


class CloseIn(Schema):
    month: Month
    note: Annotated[str, Field(max_length=200)] = ""


def _month(text: str) -> dt.date:
    return dt.date.fromisoformat(f"{text}-01")


def _ratio(r: ar.Ratio) -> dict:
    return {
        "value": r.value,
        "numerator": r.numerator,
        "denominator": r.denominator,
        "unit": r.unit,
    }


def _metrics(m: ar.Metrics) -> dict:
    return {
        "label": m.label,
        "start": m.start,
        "end": m.end,
        "days_in_ar": _ratio(m.days_in_ar),
        "net_collection_rate": _ratio(m.net_collection_rate),
        "first_pass_resolution_rate": _ratio(m.first_pass_resolution_rate),
    }


def _totals(t: ar.MonthTotals) -> dict:
    return {
        "month": f"{t.month:%Y-%m}",
        "beginning": t.beginning,
        "charges": t.charges,
        "payments": t.payments,
        "adjustments": t.adjustments,
        "transfers": t.transfers,
        "ending": t.ending,
        "unmatched_payments": t.unmatched_payments,
    }


def _closed(p) -> dict:
    return {
        "month": f"{p.month:%Y-%m}",
        "closed_at": p.closed_at,
        "closed_by": p.closed_by_id,
        "note": p.note,
    }


@router.get(
    "/billing/ar/aging",
    response={200: AgingOut, **ERRORS},
    summary="Open balances by age of the visit, by payer or by patient, at a day",
)
def aging(request, query: Query[AgingQuery]):
    require_perm(request, "billing.view_ledgerentry", "see accounts receivable")
    if query.payer is not None and query.by != ar.BY_PAYER:
        raise billing_errors.invalid("A payer narrows the aging by payer only.", "payer")
    report = ar.aging_buckets(query.as_of or ledger.books_today(), query.by, query.payer)
    return {
        "as_of": report.as_of,
        "by": report.by,
        "buckets": report.labels,
        "rows": [
            {
                "label": r.label,
                "payer": r.payer_id,
                "patient": r.patient_id,
                "mrn": r.mrn,
                "buckets": r.buckets,
                "total": r.total,
            }
            for r in report.rows
        ],
        "totals": report.totals,
        "total": report.total,
        "credits": [
            {"patient": c.patient_id, "name": c.label, "mrn": c.mrn, "amount": c.amount}
            for c in report.credits
        ],
        "credit_total": report.credit_total,
    }


@router.get(
    "/billing/ar/metrics",
    response={200: list[MetricsOut], **ERRORS},
    summary="Days in A/R, net collection rate, first-pass resolution rate (docs/metrics.md)",
)
def metrics(request, query: Query[MetricsQuery]):
    """One month's figures with ``month``, else the last full month and the last three."""
    require_perm(request, "billing.view_ledgerentry", "see accounts receivable")
    if query.month:
        start = _month(query.month)
        return [_metrics(ar.metrics_for(start, ar.month_end(start), f"{start:%B %Y}"))]
    return [_metrics(m) for m in ar.standard_metrics(ledger.books_today())]


@router.get(
    "/billing/ar/periods",
    response={200: PeriodsOut, **ERRORS},
    summary="Closed months, and the totals of the next month to close",
)
def periods(request):
    require_perm(request, "billing.view_ledgerentry", "see accounts receivable")
    upcoming = ar.next_month_to_close(ledger.books_today())
    return {
        "closed": [_closed(p) for p in ar.closed_months()],
        "open_from": ledger.open_day(dt.date(1900, 1, 1))
        if ledger.last_closed_month()
        else dt.date(1900, 1, 1),
        "next_to_close": _totals(ar.month_totals(upcoming)) if upcoming else None,
        "may_close": ledger.may_close_months(request.auth),
    }


@router.post(
    "/billing/ar/periods",
    response={201: ClosedOut, **ERRORS},
    summary="Close a month (and every month before it); office manager only",
)
def close(request, body: CloseIn):
    if not ledger.may_close_months(request.auth):
        raise DomainError(
            billing_errors.PERMISSION_DENIED,
            "Only the office manager can close a month.",
            None,
            status=403,
        )
    period = ledger.close_month(month=_month(body.month), actor=request.auth, note=body.note)
    return Status(201, _closed(period))
