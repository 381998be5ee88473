"""The one door to the books: post ledger entries in an open month, reverse them, read balances.

Every amount that changes what someone owes goes through :func:`post`, which
puts it on the first open accounting day (a day of a closed month moves to the
first day after the last closed month — "later corrections post to the open
month") and never edits an entry already there. :func:`reverse` undoes an
entry with its opposite. A visit's charges enter the books with
:func:`post_visit_charges` (to the visit's first payer, or to the patient when
nothing covers it) and follow a change of charges by reversal and re-posting.

Balances are sums: a payer's share of a visit is the sum of the visit's
entries for that payer; the patient's balance is the sum of their entries
with no payer (below zero: a credit).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from medoffice.billing.errors import DomainError
from medoffice.billing.models import Charge, ClosedPeriod, LedgerEntry

ZERO = Decimal("0.00")
PERIOD_CLOSED = "period_closed"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def last_closed_month() -> dt.date | None:
    return ClosedPeriod.objects.aggregate(m=Max("month"))["m"]


def books_today() -> dt.date:
    """Today on the practice's books: the date at its first active office.

    One day for everyone who posts, whatever their own office's zone, and the
    same in a page, a background job or a command (which have no zone of their
    own: in UTC an evening's payment in Chicago would be dated tomorrow).
    """
    from medoffice.core.models import Location

    zone = Location.practice_zone()
    return timezone.localdate(timezone=zone) if zone else timezone.localdate()


def open_day(day: dt.date | None = None) -> dt.date:
    """``day`` (default the books' today) if its month is open, else the first day of the
    first open month."""
    day = day or books_today()
    closed = last_closed_month()
    if closed is not None and month_start(day) <= closed:
        return next_month(closed)
    return day


def post(
    *, kind: str, amount, patient_id: int, actor=None, day: dt.date | None = None, **links
) -> LedgerEntry:
    """Add one entry (never changes one); its day is moved into the open period if needed."""
    return LedgerEntry.objects.create(
        kind=kind,
        amount=Decimal(amount).quantize(Decimal("0.01")),
        patient_id=patient_id,
        posted_on=open_day(day),
        created_by=actor,
        **links,
    )


def post_many(entries: list[LedgerEntry], *, actor=None, day: dt.date | None = None) -> None:
    """Insert prepared entries in one statement, each on the open day for ``day``."""
    posted_on = open_day(day)
    now = timezone.now()
    for entry in entries:
        entry.posted_on = posted_on
        entry.created_at = now
        entry.created_by = actor
        entry.amount = Decimal(entry.amount).quantize(Decimal("0.01"))
    LedgerEntry.objects.bulk_create(entries)


@transaction.atomic
def reverse(*, entry: LedgerEntry, actor, note: str, day: dt.date | None = None) -> LedgerEntry:
    """Undo ``entry`` with its opposite, posted in the open period; an entry reverses once."""
    entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise DomainError("already_reversed", "This entry has already been reversed.", None)
    if entry.reverses_id is not None:
        raise DomainError("is_reversal", "A reversal cannot itself be reversed.", None)
    return post(
        kind=entry.kind,
        amount=-entry.amount,
        patient_id=entry.patient_id,
        actor=actor,
        day=day,
        charge_id=entry.charge_id,
        payer_id=entry.payer_id,
        claim_id=entry.claim_id,
        claim_line_id=entry.claim_line_id,
        remittance_id=entry.remittance_id,
        patient_payment_id=entry.patient_payment_id,
        adjustment_group=entry.adjustment_group,
        reason_code=entry.reason_code,
        reverses=entry,
        note=note[:300],
    )


def first_payer_id(charge: Charge) -> int | None:
    """The payer billed first for the visit (as :func:`build_claim` chooses), None for self-pay."""
    from medoffice.billing.services.claims import coverages_on

    chosen = charge.appointment.coverage_id if charge.appointment_id else None
    active = coverages_on(patient_id=charge.patient_id, day=charge.date_of_service, first=chosen)
    return active[0].payer_id if active else None


@transaction.atomic
def post_visit_charges(*, charge: Charge, actor, day: dt.date | None = None) -> list[LedgerEntry]:
    """Put the visit's charges on the books (again): reverse what was posted before for
    them, then post the current total to the first payer, or to the patient."""
    previous = LedgerEntry.objects.filter(
        charge=charge, kind=LedgerEntry.CHARGE, reverses__isnull=True, reversed_by__isnull=True
    )
    posted = [reverse(entry=e, actor=actor, note="Charges changed", day=day) for e in previous]
    total = charge.total
    if total:
        posted.append(
            post(
                kind=LedgerEntry.CHARGE,
                amount=total,
                patient_id=charge.patient_id,
                actor=actor,
                day=day,
                charge=charge,
                payer_id=first_payer_id(charge),
                note=f"Visit of {charge.date_of_service:%Y-%m-%d}",
            )
        )
    return posted


def _sum(qs) -> Decimal:
    return qs.aggregate(s=Sum("amount"))["s"] or ZERO


def patient_balance(patient_id: int) -> Decimal:
    """What the patient owes (negative: a credit on their account)."""
    return _sum(LedgerEntry.objects.filter(patient_id=patient_id, payer__isnull=True))


def payer_balance(*, charge_id: int, payer_id: int) -> Decimal:
    """What the payer still owes on the visit."""
    return _sum(LedgerEntry.objects.filter(charge_id=charge_id, payer_id=payer_id))


def visit_balances(charge_id: int) -> dict[int | None, Decimal]:
    """Each open share of the visit: {payer id (None = patient): balance}."""
    rows = (
        LedgerEntry.objects.filter(charge_id=charge_id)
        .values("payer_id")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    return {r["payer_id"]: r["s"] for r in rows if r["s"]}


def may_close_months(user) -> bool:
    """Closing a month is the office manager's alone. Billers hold every billing permission
    (``billing.*``), so this is the role itself, not a permission (docs/decisions.md)."""
    from medoffice.core import roles

    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and roles.OFFICE_MANAGER in roles.roles_of(user)
    )


@transaction.atomic
def close_month(*, month: dt.date, actor, note: str = "") -> ClosedPeriod:
    """Close ``month`` and every month before it: nothing may be posted on their days again.

    Only a month that has ended may close, and months close in order (closing
    March when February is open closes February too)."""
    month = month_start(month)
    today = books_today()
    if month >= month_start(today):
        raise DomainError(
            PERIOD_CLOSED, "Only a month that has ended can be closed.", "month", status=422
        )
    closed = last_closed_month()
    if closed is not None and month <= closed:
        raise DomainError(PERIOD_CLOSED, f"{month:%B %Y} is already closed.", "month", status=409)
    return ClosedPeriod.objects.create(month=month, closed_by=actor, note=note[:200])
