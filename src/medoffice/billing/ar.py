"""Accounts receivable, read from the books: aging, days in A/R, collection and resolution rates,
and a month's totals for closing it.

Every figure here is a sum of ledger entries grouped in the database (one
``GROUP BY`` per report, the age bucket a ``CASE`` on the visit's date of
service), never a loop over entries; docs/metrics.md says exactly what each
one counts. All reads take an ``as_of`` day or a period and count only
entries posted on or before it, so a past month end can be reported again
and gives the same figures once that month is closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    DateField,
    Exists,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from medoffice.billing.models import (
    Claim,
    ClaimEvent,
    ClaimPayment,
    ClosedPeriod,
    Denial,
    LedgerEntry,
)
from medoffice.billing.services.ledger import month_start, next_month
from medoffice.patients.models import Payer

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# (key, label, youngest age in days, oldest age in days or None)
BUCKETS = [
    ("d0_30", "0–30", 0, 30),
    ("d31_60", "31–60", 31, 60),
    ("d61_90", "61–90", 61, 90),
    ("d91_120", "91–120", 91, 120),
    ("over_120", "Over 120", 121, None),
]
BUCKET_LABELS = [label for _key, label, _lo, _hi in BUCKETS]
UNAPPLIED = -1  # the bucket of patient money on no visit (a payment on account)
BY_PAYER, BY_PATIENT = "payer", "patient"

PAYMENT_KINDS = (LedgerEntry.PAYER_PAYMENT, LedgerEntry.PATIENT_PAYMENT, LedgerEntry.REFUND)
ADJUSTMENT_KINDS = (LedgerEntry.CONTRACTUAL, LedgerEntry.WRITE_OFF, LedgerEntry.CORRECTION)
# CLP02 values that mean "processed" (as primary, secondary, tertiary; 19-21 also forwarded).
PROCESSED_STATUSES = ("1", "2", "3", "19", "20", "21")
REVERSAL_STATUS = "22"


def _bucket_of_visit(as_of: dt.date) -> Case:
    """0..4: the age bucket of an entry's visit at ``as_of``; -1 for an entry on no visit.

    A visit dated after ``as_of`` (charges entered ahead) counts as 0–30."""
    dos = "charge__date_of_service"
    whens = [When(charge__isnull=True, then=Value(UNAPPLIED))]
    for index, (_key, _label, _youngest, oldest) in enumerate(BUCKETS[:-1]):
        whens.append(When(**{f"{dos}__gte": as_of - dt.timedelta(days=oldest)}, then=Value(index)))
    return Case(*whens, default=Value(len(BUCKETS) - 1), output_field=IntegerField())


def _posted_by(as_of: dt.date) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(posted_on__lte=as_of)


@dataclass
class AgingRow:
    label: str
    buckets: list[Decimal]
    payer_id: int | None = None
    patient_id: int | None = None
    mrn: str = ""

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, ZERO)

    @property
    def cells(self) -> list[tuple[str, Decimal]]:
        return list(zip(BUCKET_LABELS, self.buckets, strict=True))


@dataclass
class Credit:
    patient_id: int
    label: str
    mrn: str
    amount: Decimal  # what the office owes the patient (positive)


@dataclass
class Aging:
    as_of: dt.date
    by: str
    rows: list[AgingRow]
    credits: list[Credit] = field(default_factory=list)

    @property
    def totals(self) -> list[Decimal]:
        return [sum((r.buckets[i] for r in self.rows), ZERO) for i in range(len(BUCKETS))]

    @property
    def total(self) -> Decimal:
        return sum(self.totals, ZERO)

    @property
    def credit_total(self) -> Decimal:
        return sum((c.amount for c in self.credits), ZERO)

    @property
    def labels(self) -> list[str]:
        return BUCKET_LABELS


def _payer_rows(as_of: dt.date, payer_id: int | None = None) -> list[AgingRow]:
    qs = _posted_by(as_of).filter(payer__isnull=False)
    if payer_id is not None:
        qs = qs.filter(payer_id=payer_id)
    grouped = (
        qs.annotate(bucket=_bucket_of_visit(as_of))
        .values("payer_id", "bucket")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    by_payer: dict[int, list[Decimal]] = {}
    for row in grouped:
        buckets = by_payer.setdefault(row["payer_id"], [ZERO] * len(BUCKETS))
        # An entry of a payer always names a visit; were one not to, it is new money (0-30).
        buckets[max(row["bucket"], 0)] += row["amount"]
    names = dict(Payer.objects.filter(pk__in=by_payer).values_list("pk", "name"))
    rows = [
        AgingRow(label=names[pk], buckets=b, payer_id=pk) for pk, b in by_payer.items() if any(b)
    ]
    return sorted(rows, key=lambda r: r.label.lower())


def _allocate(buckets: list[Decimal], unapplied: Decimal) -> list[Decimal]:
    """A patient's buckets with money on no visit and overpaid visits taken from the oldest
    balance first (the way a payment on account is applied); the sum stays the same."""
    buckets = list(buckets)
    spare = -unapplied if unapplied < 0 else ZERO
    if unapplied > 0:  # owed on no visit (a refund of money on account): new
        buckets[0] += unapplied
    for i, amount in enumerate(buckets):
        if amount < 0:
            spare -= amount
            buckets[i] = ZERO
    for i in reversed(range(len(buckets))):
        take = min(spare, buckets[i])
        buckets[i] -= take
        spare -= take
    return buckets


def _patient_rows(as_of: dt.date, patient_id: int | None = None):
    """(rows of patients who owe, credits of patients owed) at ``as_of``."""
    qs = _posted_by(as_of).filter(payer__isnull=True)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    grouped = (
        qs.annotate(bucket=_bucket_of_visit(as_of))
        .values("patient_id", "patient__last_name", "patient__first_name", "patient__mrn", "bucket")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    people: dict[int, dict] = {}
    for row in grouped:
        person = people.setdefault(
            row["patient_id"],
            {
                "label": f"{row['patient__last_name']}, {row['patient__first_name']}",
                "mrn": row["patient__mrn"],
                "buckets": [ZERO] * len(BUCKETS),
                "unapplied": ZERO,
            },
        )
        if row["bucket"] == UNAPPLIED:
            person["unapplied"] += row["amount"]
        else:
            person["buckets"][row["bucket"]] += row["amount"]
    rows, credits = [], []
    for pk, p in people.items():
        balance = sum(p["buckets"], p["unapplied"])
        if balance > 0:
            buckets = _allocate(p["buckets"], p["unapplied"])
            rows.append(AgingRow(p["label"], buckets, patient_id=pk, mrn=p["mrn"]))
        elif balance < 0:
            credits.append(Credit(pk, p["label"], p["mrn"], -balance))
    rows.sort(key=lambda r: (-r.total, r.label))
    credits.sort(key=lambda c: (-c.amount, c.label))
    return rows, credits


def aging_buckets(as_of: dt.date, by: str = BY_PAYER, payer: Payer | int | None = None) -> Aging:
    """Open balances at the end of ``as_of`` by the age of their visit's date of service.

    ``by="payer"``: one row per payer with a balance, then one "Patient" row for what
    patients owe (``payer`` narrows it to that payer's row alone). ``by="patient"``: one
    row per patient who owes, largest total first. Patients the office owes (credits)
    are listed apart in both, never netted into the buckets."""
    payer_id = payer.pk if isinstance(payer, Payer) else payer
    if by == BY_PAYER:
        rows = _payer_rows(as_of, payer_id)
        if payer_id is not None:
            return Aging(as_of, by, rows)
        patient_rows, credits = _patient_rows(as_of)
        patients = AgingRow(
            "Patient",
            [sum((r.buckets[i] for r in patient_rows), ZERO) for i in range(len(BUCKETS))],
        )
        if any(patients.buckets):
            rows.append(patients)
        return Aging(as_of, by, rows, credits)
    if by == BY_PATIENT:
        if payer_id is not None:
            raise ValueError("a payer narrows the aging by payer only")
        rows, credits = _patient_rows(as_of)
        return Aging(as_of, by, rows, credits)
    raise ValueError(f"aging by {by!r}: use 'payer' or 'patient'")


def aging_table(report: Aging) -> list[list]:
    """The report as rows for a CSV file or a printed table: a header, one row per payer or
    patient, the totals, then each credit (a negative total, owed to the patient)."""
    first = ["Payer"] if report.by == BY_PAYER else ["Patient", "MRN"]
    table: list[list] = [[*first, *BUCKET_LABELS, "Total"]]
    for row in report.rows:
        name = [row.label] if report.by == BY_PAYER else [row.label, row.mrn]
        table.append([*name, *row.buckets, row.total])
    table.append(["Total", *[""] * (len(first) - 1), *report.totals, report.total])
    for c in report.credits:
        name = (
            [f"Credit: {c.label}", c.mrn]
            if report.by == BY_PATIENT
            else [f"Credit: {c.label} ({c.mrn})"]
        )
        table.append([*name, *[""] * len(BUCKETS), -c.amount])
    return table


def total_ar(as_of: dt.date) -> Decimal:
    """What payers and patients owe at ``as_of`` (the aging's grand total; credits not netted)."""
    return aging_buckets(as_of, BY_PAYER).total


@dataclass
class OpenVisit:
    charge_id: int
    date_of_service: dt.date
    patient_id: int
    patient_label: str
    mrn: str
    payer_id: int | None
    payer_name: str
    balance: Decimal
    age_days: int

    @property
    def bucket(self) -> str:
        for _key, label, _youngest, oldest in BUCKETS:
            if oldest is None or self.age_days <= oldest:
                return label
        return BUCKET_LABELS[-1]  # pragma: no cover


def open_visits(
    as_of: dt.date, *, payer_id: int | None = None, patient_id: int | None = None
) -> list[OpenVisit]:
    """Each visit's open share at ``as_of`` (a payer's, or with ``patient_id`` also the patient's
    own), oldest first: what the aging rows add up."""
    qs = _posted_by(as_of).filter(charge__isnull=False)
    if payer_id is not None:
        qs = qs.filter(payer_id=payer_id)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    grouped = (
        qs.values(
            "charge_id",
            "charge__date_of_service",
            "patient_id",
            "patient__last_name",
            "patient__first_name",
            "patient__mrn",
            "payer_id",
            "payer__name",
        )
        .annotate(balance=Sum("amount"))
        .exclude(balance=0)
        .order_by("charge__date_of_service", "charge_id", "payer_id")
    )
    return [
        OpenVisit(
            charge_id=r["charge_id"],
            date_of_service=r["charge__date_of_service"],
            patient_id=r["patient_id"],
            patient_label=f"{r['patient__last_name']}, {r['patient__first_name']}",
            mrn=r["patient__mrn"],
            payer_id=r["payer_id"],
            payer_name=r["payer__name"] or "Patient",
            balance=r["balance"],
            age_days=max((as_of - r["charge__date_of_service"]).days, 0),
        )
        for r in grouped
    ]


# --- Metrics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """A metric with its parts, so a page can show how it was reached."""

    name: str
    numerator: Decimal
    denominator: Decimal
    value: Decimal | None  # None when the denominator is zero
    unit: str  # "days" or "%"

    def __str__(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value} days" if self.unit == "days" else f"{self.value}%"


def _sum(qs) -> Decimal:
    return qs.aggregate(s=Sum("amount"))["s"] or ZERO


def _in(start: dt.date, end: dt.date) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(posted_on__gte=start, posted_on__lte=end)


def _check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")


def days_in_ar(as_of: dt.date, days: int = 90) -> Ratio:
    """Total A/R at ``as_of`` ÷ average daily charges over the ``days`` days ending on it."""
    if days < 1:
        raise ValueError("days must be at least 1")
    ar = total_ar(as_of)
    charges = _sum(_in(as_of - dt.timedelta(days=days - 1), as_of).filter(kind=LedgerEntry.CHARGE))
    daily = charges / days
    value = (ar / daily).quantize(Decimal("0.1")) if daily > 0 else None
    return Ratio("Days in A/R", ar, daily.quantize(CENT), value, "days")


def net_collection_rate(start: dt.date, end: dt.date) -> Ratio:
    """Payments (net of refunds) ÷ (charges − contractual adjustments), posted in the period."""
    _check_period(start, end)
    period = _in(start, end)
    sums = period.aggregate(
        paid=Sum("amount", filter=Q(kind__in=PAYMENT_KINDS)),
        charged=Sum("amount", filter=Q(kind=LedgerEntry.CHARGE)),
        contractual=Sum("amount", filter=Q(kind=LedgerEntry.CONTRACTUAL)),
    )
    payments = -(sums["paid"] or ZERO)
    # Contractual entries are negative (they take from what is owed): charges + them.
    collectible = (sums["charged"] or ZERO) + (sums["contractual"] or ZERO)
    value = (payments * 100 / collectible).quantize(Decimal("0.1")) if collectible > 0 else None
    return Ratio("Net collection rate", payments, collectible, value, "%")


def first_adjudicated_claims(start: dt.date, end: dt.date) -> QuerySet[Claim]:
    """Original claims to a primary payer whose first 835 adjudication was posted in the period."""
    _check_period(start, end)
    return (
        Claim.objects.filter(frequency_code=Claim.ORIGINAL, payer_order=1)
        .annotate(
            first_adjudicated=Min(
                "payments__remittance__posted_on",
                filter=~Q(payments__status_code=REVERSAL_STATUS),
            )
        )
        .filter(first_adjudicated__gte=start, first_adjudicated__lte=end)
    )


def first_pass_resolution_rate(start: dt.date, end: dt.date) -> Ratio:
    """Share of the period's first-adjudicated claims that the first submission resolved."""
    claims = first_adjudicated_claims(start, end)
    first_status = Subquery(
        ClaimPayment.objects.filter(claim=OuterRef("pk"))
        .exclude(status_code=REVERSAL_STATUS)
        .order_by("remittance__posted_on", "pk")
        .values("status_code")[:1]
    )
    clean = claims.annotate(first_status=first_status).filter(
        ~Exists(ClaimEvent.objects.filter(claim=OuterRef("pk"), to_status=Claim.REJECTED)),
        ~Exists(Denial.objects.filter(claim=OuterRef("pk"))),
        ~Exists(Claim.objects.filter(original=OuterRef("pk"))),
        first_status__in=PROCESSED_STATUSES,
    )
    total = Decimal(claims.count())
    resolved = Decimal(clean.count())
    value = (resolved * 100 / total).quantize(Decimal("0.1")) if total else None
    return Ratio("First-pass resolution rate", resolved, total, value, "%")


@dataclass(frozen=True)
class Metrics:
    label: str
    start: dt.date
    end: dt.date
    days_in_ar: Ratio
    net_collection_rate: Ratio
    first_pass_resolution_rate: Ratio


def month_end(month: dt.date) -> dt.date:
    return next_month(month) - dt.timedelta(days=1)


def metrics_for(start: dt.date, end: dt.date, label: str = "") -> Metrics:
    """The three figures for a period: days in A/R at its last day (90 days of charges)."""
    return Metrics(
        label or f"{start} to {end}",
        start,
        end,
        days_in_ar(end),
        net_collection_rate(start, end),
        first_pass_resolution_rate(start, end),
    )


def standard_metrics(today: dt.date) -> list[Metrics]:
    """The last full month and the last three full months before ``today``'s month."""
    last = month_start(month_start(today) - dt.timedelta(days=1))
    three_back = month_start(month_start(last - dt.timedelta(days=1)) - dt.timedelta(days=1))
    return [
        metrics_for(last, month_end(last), f"{last:%B %Y}"),
        metrics_for(three_back, month_end(last), f"{three_back:%b %Y} – {last:%b %Y}"),
    ]


# --- Closing a month ------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthTotals:
    """One month's activity and the balance it leaves; the first four add up to the change.

    ``beginning + charges + payments + adjustments + transfers == ending`` (payments and
    adjustments are negative, as in the books)."""

    month: dt.date
    beginning: Decimal
    charges: Decimal
    payments: Decimal
    adjustments: Decimal
    transfers: Decimal
    ending: Decimal
    unmatched_payments: int

    @property
    def end(self) -> dt.date:
        return month_end(self.month)


def month_totals(month: dt.date) -> MonthTotals:
    month = month_start(month)
    end = month_end(month)
    period = _in(month, end)
    sums = period.aggregate(
        charges=Sum("amount", filter=Q(kind=LedgerEntry.CHARGE)),
        payments=Sum("amount", filter=Q(kind__in=PAYMENT_KINDS)),
        adjustments=Sum("amount", filter=Q(kind__in=ADJUSTMENT_KINDS)),
        transfers=Sum("amount", filter=Q(kind=LedgerEntry.TRANSFER)),
    )
    beginning = _sum(LedgerEntry.objects.filter(posted_on__lt=month))
    unmatched = (
        ClaimPayment.objects.filter(claim__isnull=True, resolved_at__isnull=True)
        .annotate(
            day=Coalesce(
                "remittance__payment_date", "remittance__posted_on", output_field=DateField()
            )
        )
        .filter(Q(day__gte=month, day__lte=end) | Q(remittance__posted_on__range=(month, end)))
        .count()
    )
    values = {k: v or ZERO for k, v in sums.items()}
    return MonthTotals(
        month=month,
        beginning=beginning,
        ending=beginning + sum(values.values(), ZERO),
        unmatched_payments=unmatched,
        **values,
    )


def closed_months() -> list[ClosedPeriod]:
    return list(ClosedPeriod.objects.select_related("closed_by").order_by("-month"))


def next_month_to_close(today: dt.date) -> dt.date | None:
    """The month the office would close next: the one after the last closed, or (nothing closed
    yet) the month of the oldest entry; None when that month has not ended."""
    last = ClosedPeriod.objects.order_by("-month").values_list("month", flat=True).first()
    if last is not None:
        candidate = next_month(last)
    else:
        first = LedgerEntry.objects.order_by("posted_on").values_list("posted_on", flat=True)
        oldest = first.first()
        candidate = month_start(oldest) if oldest else month_start(today) - dt.timedelta(days=1)
        candidate = month_start(candidate)
    return candidate if candidate < month_start(today) else None
