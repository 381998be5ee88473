"""Seed getting paid: the books of the history, and the payers' 835s posted the real way.

:mod:`.billing` walks each claim as far as its age makes plausible, up to the
payer's decision (paid, partly paid, denied) and, later, closed. Here:

1. every visit's charges go on the books (to its first payer, or to the
   patient), on the date of service;
2. each decided claim is put back to "accepted", and the decision is written
   as the payer would send it: one 835 per payer per week, with the
   contracted allowed amount (CO-45 takes the rest of the charge), the
   patient's share (copays for office visits of commercial plans, 20 %
   coinsurance for Medicare and some commercial lines, a deductible early in
   the year), about 6 % of paid claims paid short of the contract (an old fee
   schedule: underpayments to find), partly paid claims with a bundled line
   denied (CO-97), denied claims with the reason the history drew, and now
   and then interest (PLB L6) on a late payment;
3. each file is imported with :func:`import_835`, exactly as an office
   imports one (posting dates its entries on the payment day), and the claim
   events and the file are dated back to that day too (ledger rows cannot be
   changed once written, so they keep the moment of the seed as entry time);
4. claims settled long ago are closed again, patients pay most of what they
   owe (at the desk on the day for self-pay visits, within weeks for their
   share after insurance), and the months before last are closed.

Only the last year is on the books (:data:`BOOKS_MONTHS`): the practice
opened its books in medoffice then, and older visits keep the claim statuses
the history gave them. A year is what the A/R, the month-end close and the
monthly figures read, and posting every visit of a longer history would make
the demo seed several minutes slower.

The draws come from the ``remits`` stream: the same seed gives the same files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Sum

from medoffice.billing.models import (
    Charge,
    ChargeLine,
    Claim,
    ClaimEvent,
    ClaimLine,
    ClosedPeriod,
    Denial,
    LedgerEntry,
    PatientPayment,
    PayerFee,
    RemittanceFile,
)
from medoffice.core import roles
from medoffice.core.models import Practice, User
from medoffice.demo.bulk import RowWriter, next_id
from medoffice.demo.context import HOME_ZONE, SeedContext
from medoffice.edi.x835 import Adjustment, ClaimPayment, ProviderAdjustment, Remittance
from medoffice.edi.x835 import ServicePayment as LinePaid
from medoffice.edi.x835.writer import demo_envelope, write_835
from medoffice.patients.models import Payer

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DECIDED = (Claim.PAID, Claim.PARTLY_PAID, Claim.DENIED)
FILING = {Payer.MEDICARE: "MB", Payer.MEDICAID: "MC", Payer.COMMERCIAL: "12"}
COPAY = Decimal("25.00")
BOOKS_MONTHS = 12  # whole months before this one on the books


@dataclass
class RemitSummary:
    files: int = 0
    claims: int = 0
    underpaid: int = 0
    denied: int = 0
    patient_payments: int = 0


@dataclass
class _Decision:
    claim_id: int
    outcome: str  # paid, partly_paid, denied
    on: dt.date
    note: str
    close_at: dt.datetime | None
    close_note: str = ""


def create_remittances(*, ctx: SeedContext, say: Callable[[str], None] | None = None):
    """Books, 835s and patient payments for the history made by :func:`create_billing`."""
    from medoffice.billing.services.remittances import import_835

    rng = ctx.rng("remits")
    summary = RemitSummary()
    biller = User.objects.filter(groups__name=roles.ROLES[roles.BILLER].name).order_by("pk").first()
    opened = books_opened(ctx)
    _post_charges(ctx, opened)
    decisions = _take_back_decisions(opened)
    files = _files(ctx, rng, decisions, summary)
    if say:
        say(f"  {len(files):,} remittance files for {summary.claims:,} decided claims; posting")
    receiver = _receiver()
    for n, (payer, paid_on, remittance) in enumerate(files, start=1):
        created = dt.datetime.combine(paid_on, dt.time(6, 0))
        envelope = demo_envelope(
            control=n, created=created, payer_id=payer.payer_id, receiver=receiver
        )
        text = write_835([remittance], envelope)
        last_event = ClaimEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        import_835(text, actor=biller, filename=f"835-{payer.payer_id}-{paid_on:%Y%m%d}.txt")
        at = dt.datetime.combine(paid_on, dt.time(9, 0), tzinfo=HOME_ZONE)
        ClaimEvent.objects.filter(pk__gt=last_event).update(at=at)
        Claim.objects.filter(events__pk__gt=last_event).update(status_changed_at=at)
        sha = hashlib.sha256(text.encode()).hexdigest()
        RemittanceFile.objects.filter(sha256=sha).update(imported_at=at)
        if say and (n % 100 == 0 or n == len(files)):
            say(f"  posted {n:,} of {len(files):,} files, through {paid_on:%Y-%m-%d}")
    _close_settled(decisions, biller)
    summary.files = len(files)
    summary.patient_payments = _patients_pay(ctx, rng, biller)
    _close_months(ctx, biller)
    return summary


def books_opened(ctx: SeedContext) -> dt.date:
    """The first day on the books: the first of the month :data:`BOOKS_MONTHS` months ago."""
    month = ctx.today.replace(day=1)
    for _ in range(BOOKS_MONTHS):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return month


def _post_charges(ctx: SeedContext, opened: dt.date) -> None:
    """A CHARGE entry per visit since ``opened``: to its primary claim's payer, else to the
    patient."""
    primary = dict(
        Claim.objects.filter(payer_order=1, frequency_code=Claim.ORIGINAL).values_list(
            "charge_id", "payer_id"
        )
    )
    totals = dict(
        ChargeLine.objects.values("charge_id")
        .annotate(t=Sum("charge_amount"))
        .values_list("charge_id", "t")
    )
    entries = RowWriter(LedgerEntry, ["id", "posted_on", "kind", "amount", "patient", "charge",
                                      "payer", "note", "created_at", "created_by"])  # fmt: skip
    pk = next_id(LedgerEntry)
    rows = (
        Charge.objects.filter(date_of_service__gte=opened)
        .order_by("pk")
        .values_list("pk", "patient_id", "date_of_service", "created_at", "created_by_id")
    )
    for charge_id, patient_id, dos, made, by in rows.iterator(chunk_size=5000):
        total = totals.get(charge_id)
        if not total:
            continue
        entries.add((pk, dos, LedgerEntry.CHARGE, total, patient_id, charge_id,
                     primary.get(charge_id), f"Visit of {dos:%Y-%m-%d}", made, by))  # fmt: skip
        pk += 1
    entries.close()


def _take_back_decisions(opened: dt.date) -> list[_Decision]:
    """Put each decided claim back to accepted; what the payer decided is returned.

    A denied claim the history corrected with a replacement keeps the note of its
    closing ("Replacement claim ... made"): posting denies it, then it is closed again.
    """
    decided = {}
    events = ClaimEvent.objects.filter(
        to_status__in=[*DECIDED, Claim.CLOSED], claim__date_of_service__gte=opened
    ).order_by("at", "pk")
    for claim_id, to, at, note in events.values_list("claim_id", "to_status", "at", "note"):
        if to in DECIDED and claim_id not in decided:
            decided[claim_id] = _Decision(claim_id, to, at.astimezone(HOME_ZONE).date(), note, None)
        elif to == Claim.CLOSED and claim_id in decided:
            decided[claim_id].close_at = at
            decided[claim_id].close_note = note
    ids = list(decided)
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        ClaimEvent.objects.filter(
            claim_id__in=chunk, to_status__in=[*DECIDED, Claim.CLOSED]
        ).delete()
        Claim.objects.filter(pk__in=chunk).update(status=Claim.ACCEPTED)
    return sorted(decided.values(), key=lambda d: (d.on, d.claim_id))


def _contract(payer_id: int, service_id: int | None, day: dt.date, fees) -> Decimal | None:
    for start, end, amount in fees.get((payer_id, service_id), ()):
        if start <= day and (end is None or day <= end):
            return amount
    return None


def _files(ctx, rng, decisions: list[_Decision], summary: RemitSummary):
    """One Remittance per payer per week (paid on the Friday after the decision)."""
    claims = {
        c.pk: c
        for c in Claim.objects.filter(pk__in=[d.claim_id for d in decisions]).select_related(
            "payer", "patient", "coverage"
        )
    }
    lines = defaultdict(list)
    for line in ClaimLine.objects.filter(claim_id__in=list(claims)).order_by(
        "claim_id", "line_number"
    ):
        lines[line.claim_id].append(line)
    service_of: dict[tuple[int, int], int] = {}  # (visit, line number) -> service
    for charge_id, number, service_id in ChargeLine.objects.filter(
        charge_id__in=[c.charge_id for c in claims.values()]
    ).values_list("charge_id", "line_number", "service_id"):
        service_of[(charge_id, number)] = service_id
    fees = defaultdict(list)
    for payer_id, service_id, start, end, amount in PayerFee.objects.values_list(
        "payer_id", "service_id", "effective_date", "end_date", "allowed_amount"
    ):
        fees[(payer_id, service_id)].append((start, end, amount))
    practice = Practice.objects.order_by("pk").first()
    grouped: dict[tuple[int, dt.date], list[ClaimPayment]] = defaultdict(list)
    payers: dict[int, Payer] = {}
    for decision in decisions:
        claim = claims[decision.claim_id]
        payers[claim.payer_id] = claim.payer
        friday = decision.on + dt.timedelta(days=(4 - decision.on.weekday()) % 7)
        if friday > ctx.today:
            friday = decision.on
        payment = _claim_payment(rng, claim, lines[claim.pk], decision, service_of, fees, summary)
        grouped[(claim.payer_id, friday)].append(payment)
    files = []
    for (payer_id, friday), paid in sorted(grouped.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        payer = payers[payer_id]
        plb = ()
        if payer.kind == Payer.MEDICARE and rng.random() < 0.08:
            interest = Decimal(rng.randint(50, 900)) / 100
            plb = (ProviderAdjustment(practice.group_npi, dt.date(friday.year, 12, 31), "L6",
                                      -interest, ""),)  # fmt: skip
        total = sum((p.paid for p in paid), ZERO) - sum((a.amount for a in plb), ZERO)
        trace = f"{(payer.payer_id or 'P')[:5]}{friday:%y%m%d}{payer_id:03d}"
        files.append(
            (
                payer,
                friday,
                Remittance(
                    control_number="0001",
                    handling="I" if total > 0 else "H",
                    total_paid=max(total, ZERO),
                    credit_debit="C",
                    method="ACH" if payer.kind != Payer.MEDICAID else "CHK",
                    payment_date=friday,
                    trace_number=trace,
                    payer_trace_id="",
                    payer_name=payer.name.upper()[:60],
                    payer_id=payer.payer_id,
                    payee_name=practice.name.upper()[:60],
                    payee_id_qualifier="XX",
                    payee_id=practice.group_npi,
                    payee_tax_id=practice.tax_id,
                    claims=tuple(paid),
                    provider_adjustments=plb,
                ),
            )
        )
    return files


def _claim_payment(rng, claim, lines, decision, service_of, fees, summary) -> ClaimPayment:
    kind = claim.payer.kind
    summary.claims += 1
    services = []
    claim_adjustments: tuple[Adjustment, ...] = ()
    status = "1" if claim.payer_order == 1 else "2"
    if decision.outcome == Claim.DENIED:
        summary.denied += 1
        status = "4"
        head = (decision.note or "CO-50").split(":")[0]
        group, _, reason = head.partition("-")
        if group not in ("CO", "PR", "OA", "PI") or not reason.isdigit():
            group, reason = "CO", "50"
        total = sum((ln.charge_amount for ln in lines), ZERO)
        claim_adjustments = (Adjustment(group, reason, total),)
        charge, paid = total, ZERO
    else:
        deductible = kind == Payer.COMMERCIAL and decision.on.month <= 3 and rng.random() < 0.25
        short = decision.outcome == Claim.PAID and rng.random() < 0.06
        bundled = decision.outcome == Claim.PARTLY_PAID and len(lines) > 1
        if short:
            summary.underpaid += 1
        for n, ln in enumerate(lines):
            if bundled and n == len(lines) - 1:
                bundle = (Adjustment("CO", "97", ln.charge_amount),)
                services.append(_line(ln, paid=ZERO, allowed=ZERO, adjustments=bundle))
                continue
            service_id = service_of.get((claim.charge_id, ln.line_number))
            per_unit = _contract(claim.payer_id, service_id, ln.date_of_service, fees)
            allowed = (
                (per_unit * ln.units) if per_unit is not None else ln.charge_amount * Decimal("0.7")
            )
            allowed = min(allowed, ln.charge_amount).quantize(CENT)
            if short and n == 0 or (decision.outcome == Claim.PARTLY_PAID and len(lines) == 1):
                allowed = (allowed * Decimal("0.92")).quantize(CENT)
            patient: list[Adjustment] = []
            rest = allowed
            if deductible and n == 0:
                part = min(rest, Decimal(rng.choice([40, 75, 120, 150])))
                patient.append(Adjustment("PR", "1", part))
                rest -= part
            if kind == Payer.COMMERCIAL and ln.code.startswith("992") and rest > 0:
                part = min(rest, COPAY)
                patient.append(Adjustment("PR", "3", part))
                rest -= part
            elif rest > 0 and (
                kind == Payer.MEDICARE or (kind == Payer.COMMERCIAL and rng.random() < 0.4)
            ):
                part = (rest * Decimal("0.20")).quantize(CENT)
                patient.append(Adjustment("PR", "2", part))
                rest -= part
            adjustments = []
            if ln.charge_amount > allowed:
                adjustments.append(Adjustment("CO", "45", ln.charge_amount - allowed))
            adjustments += patient
            services.append(_line(ln, paid=rest, allowed=allowed, adjustments=tuple(adjustments)))
    if services:
        charge = sum((s.charge for s in services), ZERO)
        paid = sum((s.paid for s in services), ZERO)
    patient_share = sum(
        (a.amount for a in (*claim_adjustments, *(a for s in services for a in s.adjustments))
         if a.group == "PR"),
        ZERO,
    )  # fmt: skip
    patient = claim.patient
    return ClaimPayment(
        patient_control_number=claim.patient_control_number,
        status=status,
        charge=charge,
        paid=paid,
        patient_responsibility=patient_share,
        payer_claim_number=claim.payer_claim_number or f"X{claim.pk:011d}",
        claim_filing_indicator=FILING.get(kind, "12"),
        facility_type=claim.place_of_service or "11",
        frequency=claim.frequency_code,
        patient_last_name=patient.last_name.upper()[:60],
        patient_first_name=patient.first_name.upper()[:35],
        member_id=claim.coverage.member_id,
        adjustments=claim_adjustments,
        services=tuple(services),
    )


def _line(ln: ClaimLine, *, paid, adjustments, allowed) -> LinePaid:
    return LinePaid(
        procedure_code=ln.code,
        charge=ln.charge_amount,
        paid=paid,
        modifiers=tuple(ln.modifiers.split()),
        units=Decimal(ln.units),
        service_date=ln.date_of_service,
        adjustments=adjustments,
        control_number=str(ln.line_number),
        allowed=allowed,
    )


def _receiver() -> str:
    from medoffice.billing.models import SubmissionSettings

    settings = SubmissionSettings.objects.order_by("pk").first()
    return settings.sender_id if settings else "MEDOFFICE"


def _close_settled(decisions: list[_Decision], biller) -> None:
    """Claims the history closed are closed again once posting decided them: paid ones as
    settled, denied ones corrected with a replacement claim (their denial resubmitted)."""
    close = {d.claim_id: d for d in decisions if d.close_at is not None}
    replaced = {pk for pk, d in close.items() if d.close_note.startswith("Replacement claim")}
    decided = {
        pk: status
        for pk, status in Claim.objects.filter(
            pk__in=list(close), status__in=[Claim.PAID, Claim.DENIED]
        ).values_list("pk", "status")
        if status == Claim.PAID or pk in replaced
    }
    events = [
        ClaimEvent(claim_id=pk, at=close[pk].close_at, user=biller, from_status=status,
                   to_status=Claim.CLOSED, note=close[pk].close_note or "Balance settled")
        for pk, status in sorted(decided.items())
    ]  # fmt: skip
    ClaimEvent.objects.bulk_create(events, batch_size=2000)
    ids = list(decided)
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        Claim.objects.filter(pk__in=chunk).update(status=Claim.CLOSED)
    for pk in sorted(replaced & set(decided)):
        Denial.objects.filter(claim_id=pk, status=Denial.OPEN).update(
            status=Denial.RESUBMITTED, closed_at=close[pk].close_at, closed_by=biller
        )


def _patients_pay(ctx: SeedContext, rng, biller) -> int:
    """Most patients pay what they owe: self-pay visits at the desk that day, their share
    after insurance two to six weeks after the payer paid; the last weeks stay open."""
    owed = (
        LedgerEntry.objects.filter(payer__isnull=True, charge__isnull=False)
        .values("patient_id", "charge_id", "charge__date_of_service")
        .annotate(balance=Sum("amount"), last=Max("posted_on"))
        .order_by("charge_id")
    )
    payments = RowWriter(PatientPayment, ["id", "patient", "kind", "method", "amount", "reference",
                                          "receipt_number", "received_at", "received_by",
                                          "posted_on", "note"])  # fmt: skip
    entries = RowWriter(LedgerEntry, ["posted_on", "kind", "amount", "patient", "charge",
                                      "patient_payment", "note", "created_at",
                                      "created_by"])  # fmt: skip
    pk = next_id(PatientPayment)
    receipt = (PatientPayment.objects.order_by("-receipt_number").values_list(
        "receipt_number", flat=True).first() or 0)  # fmt: skip
    count = 0
    biller_id = biller.pk if biller else None
    for row in owed.iterator(chunk_size=5000):
        balance = row["balance"]
        if balance <= 0:
            continue
        self_pay = row["last"] == row["charge__date_of_service"]
        day = row["last"] if self_pay else row["last"] + dt.timedelta(days=rng.randint(14, 42))
        if day > ctx.today - dt.timedelta(days=10) or rng.random() < 0.12:
            continue  # still owed: recent, or a patient who has not paid
        receipt += 1
        method = rng.choice([PatientPayment.CARD, PatientPayment.CARD, PatientPayment.CASH,
                             PatientPayment.CHECK])  # fmt: skip
        reference = {"card": f"x{rng.randint(1000, 9999)}", "check": str(rng.randint(1001, 9999))}
        at = dt.datetime.combine(day, dt.time(10, 30), tzinfo=HOME_ZONE)
        payments.add((pk, row["patient_id"], PatientPayment.PAYMENT, method, balance,
                      reference.get(method, ""), receipt, at, biller_id, day, ""))  # fmt: skip
        entries.add((day, LedgerEntry.PATIENT_PAYMENT, -balance, row["patient_id"],
                     row["charge_id"], pk, f"Receipt {receipt}", at, biller_id))  # fmt: skip
        pk += 1
        count += 1
    payments.close()
    entries.close()
    if count:
        from medoffice.billing.models import ControlNumber

        ControlNumber.objects.update_or_create(name="receipt", defaults={"last": receipt})
    return count


def _close_months(ctx: SeedContext, biller) -> None:
    """The books of every month before last are closed, as an office closes them."""
    first = LedgerEntry.objects.order_by("posted_on").values_list("posted_on", flat=True).first()
    if first is None:
        return
    month = first.replace(day=1)
    stop = (ctx.today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    rows = []
    while month < stop:
        rows.append(ClosedPeriod(month=month, closed_by=biller, note="Closed at month end"))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    ClosedPeriod.objects.bulk_create(rows)


__all__ = ["RemitSummary", "create_remittances"]
