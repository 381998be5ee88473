"""Reading denials and underpayments: the work queue and its groups, denial rates and top
reasons per payer, underpaid lines and the dispute export.

Definitions (docs/decisions.md):

* Age of a denial = days from ``denied_on`` to today; buckets 0–30, 31–60, 61–90, >90.
* Denial rate of a payer over a period = claims with at least one denial from a claim
  payment received in the period ÷ distinct claims the payer adjudicated in the period
  (claim payments matched to our claims, reversals not counted), both dated by the
  remittance's payment date (its posting day when the 835 has none).
* An underpaid line = a line payment with a contracted amount where paid + patient's share
  < contracted amount, on a claim payment that is neither a denial nor a reversal nor
  reversed later, and not itself denied (denials are worked in the queue, not disputed).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from medoffice.billing import carc
from medoffice.billing.models import ClaimPayment, Denial, LinePayment
from medoffice.core import csvsafe

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _money(value) -> Decimal:
    """A database sum as money (SQLite hands back 165 for 165.00)."""
    return Decimal(value or 0).quantize(CENT)


MONEY = DecimalField(max_digits=12, decimal_places=2)

AGE_BUCKETS = [
    ("0-30", "0–30 days", 0, 30),
    ("31-60", "31–60 days", 31, 60),
    ("61-90", "61–90 days", 61, 90),
    ("90+", "Over 90 days", 91, None),
]
AMOUNT_BANDS = [
    ("under-100", "Under $100", None, Decimal("100")),
    ("100-500", "$100 – $499.99", Decimal("100"), Decimal("500")),
    ("500-1000", "$500 – $999.99", Decimal("500"), Decimal("1000")),
    ("1000+", "$1,000 and more", Decimal("1000"), None),
]
GROUPINGS = {"reason": "Reason", "payer": "Payer", "age": "Age", "amount": "Amount"}
STATUS_WORKING = "working"  # open or appealed: still in the queue
STATUS_FILTERS = [
    (STATUS_WORKING, "To work (open or appealed)"),
    *Denial.STATUS_CHOICES,
    ("all", "Any status"),
]


@dataclass(frozen=True)
class DenialFilters:
    payer_id: int | None = None
    reason: str = ""
    age: str = ""
    status: str = STATUS_WORKING
    min_amount: Decimal | None = None


def _age_range(key: str, today: dt.date) -> Q:
    for code, _label, low, high in AGE_BUCKETS:
        if code == key:
            q = Q(denied_on__lte=today - dt.timedelta(days=low))
            if high is not None:
                q &= Q(denied_on__gte=today - dt.timedelta(days=high))
            return q
    return Q()


def denial_queue(filters: DenialFilters = DenialFilters(), *, today: dt.date | None = None):
    """The denials to work, oldest first, with what each page row shows."""
    today = today or timezone.localdate()
    qs = Denial.objects.select_related("claim", "claim__patient", "payer", "line")
    if filters.status == STATUS_WORKING:
        qs = qs.filter(status__in=(Denial.OPEN, Denial.APPEALED))
    elif filters.status and filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.payer_id:
        qs = qs.filter(payer_id=filters.payer_id)
    if filters.reason:
        qs = qs.filter(reason_code=filters.reason.strip().upper())
    if filters.age:
        qs = qs.filter(_age_range(filters.age, today))
    if filters.min_amount is not None:
        qs = qs.filter(amount__gte=filters.min_amount)
    return qs.order_by("denied_on", "pk")


def age_bucket(denied_on: dt.date, today: dt.date | None = None) -> str:
    days = ((today or timezone.localdate()) - denied_on).days
    for code, _label, _low, high in AGE_BUCKETS:
        if high is None or days <= high:
            return code
    return AGE_BUCKETS[-1][0]


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    hint: str
    count: int
    total: Decimal


def _bucket_case(today: dt.date) -> Case:
    whens = []
    for code, _label, _low, high in AGE_BUCKETS[:-1]:
        whens.append(When(denied_on__gte=today - dt.timedelta(days=high), then=Value(code)))
    return Case(*whens, default=Value(AGE_BUCKETS[-1][0]), output_field=CharField())


def _band_case() -> Case:
    whens = [When(amount__lt=high, then=Value(code)) for code, _l, _low, high in AMOUNT_BANDS[:-1]]
    return Case(*whens, default=Value(AMOUNT_BANDS[-1][0]), output_field=CharField())


def denial_groups(
    filters: DenialFilters = DenialFilters(), *, by: str = "reason", today: dt.date | None = None
) -> list[Group]:
    """The queue grouped by reason, payer, age bucket or amount band: count and total each."""
    today = today or timezone.localdate()
    qs = denial_queue(filters, today=today).order_by()
    if by == "payer":
        rows = qs.values("payer_id", "payer__name").annotate(n=Count("pk"), t=Sum("amount"))
        out = [
            Group(str(r["payer_id"]), r["payer__name"], "", r["n"], _money(r["t"])) for r in rows
        ]
        return sorted(out, key=lambda g: (-g.total, g.label))
    if by == "age":
        rows = (
            qs.annotate(k=_bucket_case(today)).values("k").annotate(n=Count("pk"), t=Sum("amount"))
        )
        found = {r["k"]: r for r in rows}
        return [
            Group(code, label, "", found[code]["n"], _money(found[code]["t"]))
            for code, label, _l, _h in AGE_BUCKETS
            if code in found
        ]
    if by == "amount":
        rows = qs.annotate(k=_band_case()).values("k").annotate(n=Count("pk"), t=Sum("amount"))
        found = {r["k"]: r for r in rows}
        return [
            Group(code, label, "", found[code]["n"], _money(found[code]["t"]))
            for code, label, _l, _h in AMOUNT_BANDS
            if code in found
        ]
    rows = qs.values("group", "reason_code").annotate(n=Count("pk"), t=Sum("amount"))
    out = []
    for r in rows:
        reason = carc.carc(r["reason_code"])
        key = r["reason_code"]
        out.append(
            Group(key, f"{r['group']}-{key}: {reason.text}", reason.hint, r["n"], _money(r["t"]))
        )
    return sorted(out, key=lambda g: (-g.count, -g.total, g.key))


def queue_totals(filters: DenialFilters = DenialFilters(), *, today: dt.date | None = None):
    agg = denial_queue(filters, today=today).aggregate(n=Count("pk"), t=Sum("amount"))
    return agg["n"], _money(agg["t"])


# --- denial rate and top reasons -----------------------------------------------------------


@dataclass(frozen=True)
class PayerDenialStats:
    payer_id: int
    payer_name: str
    adjudicated: int
    denied: int
    denied_amount: Decimal
    top_reasons: list[tuple[str, str, int, Decimal]]  # (code, plain words, count, amount)

    @property
    def rate(self) -> Decimal:
        if not self.adjudicated:
            return ZERO
        return (Decimal(self.denied) * 100 / self.adjudicated).quantize(Decimal("0.1"))


def _payments_in(since: dt.date, until: dt.date):
    return (
        ClaimPayment.objects.filter(claim__isnull=False)
        .exclude(status_code="22")
        .annotate(day=Coalesce("remittance__payment_date", "remittance__posted_on"))
        .filter(day__gte=since, day__lte=until)
    )


def denial_stats(*, since: dt.date, until: dt.date, top: int = 3) -> list[PayerDenialStats]:
    """Per payer over [since, until]: claims adjudicated, claims denied, the rate, and the
    ``top`` reasons (by count) of the denials from those claim payments."""
    payments = _payments_in(since, until)
    adjudicated = {
        r["claim__payer_id"]: (r["claim__payer__name"], r["n"])
        for r in payments.values("claim__payer_id", "claim__payer__name")
        .annotate(n=Count("claim_id", distinct=True))
        .order_by()
    }
    denials = Denial.objects.filter(claim_payment__in=payments.values("pk"))
    denied = {
        r["payer_id"]: (r["n"], _money(r["t"]))
        for r in denials.values("payer_id")
        .annotate(n=Count("claim_id", distinct=True), t=Sum("amount"))
        .order_by()
    }
    reasons: dict[int, list] = {}
    for r in (
        denials.values("payer_id", "reason_code")
        .annotate(n=Count("pk"), t=Sum("amount"))
        .order_by("payer_id", "-n", "-t", "reason_code")
    ):
        rows = reasons.setdefault(r["payer_id"], [])
        if len(rows) < top:
            code = r["reason_code"]
            rows.append((code, carc.carc(code).text, r["n"], _money(r["t"])))
    out = []
    for payer_id, (name, n) in adjudicated.items():
        count, amount = denied.get(payer_id, (0, ZERO))
        out.append(PayerDenialStats(payer_id, name, n, count, amount, reasons.get(payer_id, [])))
    return sorted(out, key=lambda s: (-s.rate, s.payer_name))


# --- underpayments -------------------------------------------------------------------------


@dataclass(frozen=True)
class UnderpaymentFilters:
    payer_id: int | None = None
    since: dt.date | None = None  # date of service
    until: dt.date | None = None


def underpaid_lines(filters: UnderpaymentFilters = UnderpaymentFilters()):
    """Paid lines short of the contract: ``expected`` (contracted), ``got`` (paid + the
    patient's share) and ``short`` annotated; oldest service first."""
    got = ExpressionWrapper(F("paid") + F("patient_responsibility"), output_field=MONEY)
    # A payment the payer took back later (CLP02 22 naming the same payer claim number).
    reversal = ClaimPayment.objects.filter(
        claim_id=OuterRef("claim_payment__claim_id"),
        status_code="22",
        payer_claim_number=OuterRef("claim_payment__payer_claim_number"),
        pk__gt=OuterRef("claim_payment_id"),
    )
    qs = (
        LinePayment.objects.filter(
            contracted_amount__isnull=False, claim_payment__claim__isnull=False
        )
        .exclude(claim_payment__status_code__in=("4", "22"))
        .exclude(denials__isnull=False)
        .exclude(Exists(reversal))
        .annotate(got=got)
        .annotate(
            short=ExpressionWrapper(F("contracted_amount") - F("got"), output_field=MONEY),
            payer_id=F("claim_payment__claim__payer_id"),
            day=Coalesce("service_date", "claim_payment__claim__date_of_service"),
        )
        .filter(short__gt=0)
        .select_related(
            "claim_payment__claim__payer",
            "claim_payment__claim__patient",
            "claim_payment__remittance",
        )  # fmt: skip
    )
    if filters.payer_id:
        qs = qs.filter(claim_payment__claim__payer_id=filters.payer_id)
    if filters.since:
        qs = qs.filter(day__gte=filters.since)
    if filters.until:
        qs = qs.filter(day__lte=filters.until)
    return qs.order_by("day", "pk")


@dataclass(frozen=True)
class PayerShortfall:
    payer_id: int
    payer_name: str
    lines: int
    expected: Decimal
    paid: Decimal
    short: Decimal


def underpayment_totals(filters: UnderpaymentFilters = UnderpaymentFilters()):
    rows = (
        underpaid_lines(filters)
        .order_by()
        .values("claim_payment__claim__payer_id", "claim_payment__claim__payer__name")
        .annotate(
            n=Count("pk"),
            expected=Sum("contracted_amount"),
            got=Sum("paid"),
            short=Sum("short"),
        )
    )
    out = [
        PayerShortfall(
            r["claim_payment__claim__payer_id"],
            r["claim_payment__claim__payer__name"],
            r["n"],
            _money(r["expected"]),
            _money(r["got"]),
            _money(r["short"]),
        )  # fmt: skip
        for r in rows
    ]
    return sorted(out, key=lambda s: (-s.short, s.payer_name))


CSV_COLUMNS = [
    "payer",
    "payer_claim_number",
    "our_claim_number",
    "patient_name",
    "member_id",
    "date_of_service",
    "procedure_code",
    "modifiers",
    "units",
    "charge",
    "contracted_amount",
    "allowed",
    "paid",
    "patient_responsibility",
    "short",
    "adjustment_codes",
    "remark_codes",
    "payment_date",
    "trace_number",
]


def underpayments_csv(filters: UnderpaymentFilters) -> str:
    """The dispute export of one payer's (or every payer's) underpaid lines, a row a line."""
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for lp in underpaid_lines(filters).prefetch_related("adjustments"):
        cp = lp.claim_payment
        claim = cp.claim
        writer.writerow(
            [
                claim.payer.name,
                cp.payer_claim_number or claim.payer_claim_number,
                claim.patient_control_number,
                cp.patient_name or f"{claim.patient.last_name}, {claim.patient.first_name}",
                cp.member_id,
                lp.day.isoformat() if lp.day else "",
                lp.code,
                lp.modifiers,
                Decimal(f"{lp.units:g}"),  # numbers as numbers: never quoted
                _money(lp.charge),
                _money(lp.contracted_amount),
                _money(lp.allowed) if lp.allowed is not None else "",
                _money(lp.paid),
                _money(lp.patient_responsibility),
                _money(lp.short),
                " ".join(f"{a.group}-{a.reason}:{a.amount:.2f}" for a in lp.adjustments.all()),
                lp.remark_codes,
                cp.remittance.payment_date.isoformat() if cp.remittance.payment_date else "",
                cp.remittance.trace_number,
            ]
        )
    return out.getvalue()
