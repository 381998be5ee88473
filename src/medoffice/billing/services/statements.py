"""Statements: the monthly run, one PDF per patient and a print-ready batch, and dunning.

Every patient whose own balance is at least ``BillingPolicy.minimum_statement_balance``
and who had no statement in the last ``statement_interval_days`` gets one.
Its dunning level follows the previous statement:

* no previous statement, or the previous statement's balance has been paid since
  (or the patient keeps to a payment plan): a **statement** (first notice);
* otherwise the next level: **second notice**, then **final notice** (and final again).

A patient whose final notice is ``collections_after_days`` old and still not paid
is flagged for collections (:class:`CollectionsFlag`) instead of getting another
statement; a biller can clear the flag.

A run commits its statements in small groups, so a run stopped half-way keeps
what it made and the next attempt of the same run carries on (a patient is in a
run once). Each statement's page is kept as HTML until the run ends, when all
pages become one PDF with page breaks (the batch for the printer), stored under
the private files folder.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from medoffice.billing.errors import DomainError
from medoffice.billing.models import (
    BillingPolicy,
    Charge,
    CollectionsFlag,
    LedgerEntry,
    PatientPayment,
    PaymentPlan,
    Statement,
    StatementRun,
)
from medoffice.billing.services import ledger
from medoffice.billing.services.patient_money import cents, render_pdf, shown_reference
from medoffice.patients.models import Patient

ZERO = Decimal("0.00")
CHUNK = 20
PAY_WITHIN_DAYS = 21
RUN_BUSY = "run_busy"
AGING = [(0, 30, "0–30 days"), (31, 60, "31–60"), (61, 90, "61–90"), (91, 120, "91–120")]
AGING_OVER = "over 120"
PAID_KINDS = (LedgerEntry.PATIENT_PAYMENT, LedgerEntry.REFUND)


def policy() -> BillingPolicy:
    """The office's policy row, or the defaults when none was saved."""
    return BillingPolicy.objects.order_by("pk").first() or BillingPolicy()


def dunning_message(level: int, pol: BillingPolicy, pay_by: dt.date) -> str:
    if level == Statement.FINAL:
        return (
            "FINAL NOTICE. Your account is past due and we have not had a payment. Please pay "
            f"the balance due or call us to arrange a payment plan within "
            f"{pol.collections_after_days} days; otherwise the account may be referred to a "
            "collection agency."
        )
    if level == Statement.SECOND:
        return (
            "SECOND NOTICE. The balance on your last statement has not been paid. Please pay "
            f"it by {pay_by:%B %-d, %Y}, or call us if you need a payment plan."
        )
    return (
        f"Thank you for choosing our practice. Please pay the balance due by "
        f"{pay_by:%B %-d, %Y}. Questions about your bill? Call us."
    )


# ----------------------------------------------------------------------- reading


def paid_since(patient_id: int, since: dt.datetime) -> Decimal:
    """What the patient paid (net of refunds and voids) on entries made after ``since``."""
    total = LedgerEntry.objects.filter(
        patient_id=patient_id, payer__isnull=True, kind__in=PAID_KINDS, created_at__gt=since
    ).aggregate(s=Sum("amount"))["s"]
    return -cents(total)


def next_level(patient_id: int, previous: Statement | None) -> int:
    if previous is None:
        return Statement.FIRST
    if paid_since(patient_id, previous.run.created_at) >= previous.balance:
        return Statement.FIRST
    if PaymentPlan.objects.filter(patient_id=patient_id, status=PaymentPlan.ACTIVE).exists():
        return Statement.FIRST
    return min(previous.level + 1, Statement.FINAL)


@dataclass
class VisitLine:
    date: dt.date
    provider: str
    charges: Decimal
    insurance_paid: Decimal
    adjustments: Decimal
    patient_paid: Decimal
    patient_share: Decimal


def statement_context(patient: Patient, run_on: dt.date, level: int, pol, since=None) -> dict:
    """Everything one statement shows, read from the books as they are now."""
    from medoffice.core.models import Practice

    sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    rows = (
        LedgerEntry.objects.filter(patient_id=patient.pk, charge__isnull=False)
        .values("charge_id", "kind", "payer_id")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    for r in rows:
        into = sums[r["charge_id"]]
        r["s"] = cents(r["s"])
        if r["payer_id"] is None:
            into["patient"] += r["s"]
        if r["kind"] == LedgerEntry.CHARGE:
            into["charges"] += r["s"]
        elif r["kind"] == LedgerEntry.PAYER_PAYMENT:
            into["insurance"] -= r["s"]
        elif r["kind"] in (LedgerEntry.CONTRACTUAL, LedgerEntry.WRITE_OFF):
            into["adjustments"] -= r["s"]
        elif r["kind"] == LedgerEntry.PATIENT_PAYMENT:
            into["patient_paid"] -= r["s"]
    open_ids = [cid for cid, s in sums.items() if s["patient"] > 0]
    charges = Charge.objects.filter(pk__in=open_ids).select_related("rendering_provider")
    visits = sorted(
        (
            VisitLine(
                date=c.date_of_service,
                provider=str(c.rendering_provider),
                charges=sums[c.pk]["charges"],
                insurance_paid=sums[c.pk]["insurance"],
                adjustments=sums[c.pk]["adjustments"],
                patient_paid=sums[c.pk]["patient_paid"],
                patient_share=sums[c.pk]["patient"],
            )
            for c in charges
        ),
        key=lambda v: v.date,
    )
    aging = {label: ZERO for *_, label in AGING} | {AGING_OVER: ZERO}
    for c in charges:
        age = (run_on - c.date_of_service).days
        label = next((lab for lo, hi, lab in AGING if age <= hi), AGING_OVER)
        aging[label] += sums[c.pk]["patient"]
    unapplied = cents(
        LedgerEntry.objects.filter(
            patient_id=patient.pk, payer__isnull=True, charge__isnull=True
        ).aggregate(s=Sum("amount"))["s"]
    )
    if unapplied > 0:
        aging[AGING[0][2]] += unapplied
    balance = sum((s["patient"] for s in sums.values()), ZERO) + unapplied
    payments = PatientPayment.objects.filter(patient=patient, voided_at__isnull=True)
    if since is not None:
        payments = payments.filter(received_at__gt=since)
    payments = list(payments.order_by("received_at")[:50])
    pay_by = run_on + dt.timedelta(days=PAY_WITHIN_DAYS)
    return {
        "practice": Practice.objects.order_by("pk").first(),
        "patient": patient,
        "statement_date": run_on,
        "pay_by": pay_by,
        "level": level,
        "level_label": dict(Statement.LEVEL_CHOICES)[level],
        "visits": visits,
        "visits_total": sum((v.patient_share for v in visits), ZERO),
        "payments": [
            {
                "date": p.received_at,
                "kind": p.get_kind_display(),
                "amount": p.amount,
                "reference": shown_reference(p),
                "refund": p.kind == PatientPayment.REFUND,
            }
            for p in payments
        ],  # fmt: skip
        "credit": max(ZERO, -unapplied),
        "balance": balance,
        "aging": list(aging.items()),
        "message": dunning_message(level, pol, pay_by),
    }


def render_statement_page(context: dict) -> str:
    return render_to_string("billing/statement_page.html", context)


def wrap_pages(pages: list[str], title: str) -> str:
    return render_to_string("billing/statement.html", {"pages": pages, "title": title})


def statement_pdf(page: str) -> bytes:
    return render_pdf(wrap_pages([page], "Statement"))


# ----------------------------------------------------------------------- the run


def batch_folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "statements"


def batch_path(run: StatementRun) -> Path:
    return batch_folder() / f"run-{run.pk}.pdf"


def _pages_folder(run: StatementRun) -> Path:
    return batch_folder() / f"run-{run.pk}-pages"


def unfinished_run() -> StatementRun | None:
    return StatementRun.objects.filter(finished_at__isnull=True).order_by("pk").first()


@transaction.atomic
def start_run(*, run_on: dt.date, actor) -> StatementRun:
    """A new run (empty until :func:`run_statements` fills it); one at a time."""
    busy = StatementRun.objects.select_for_update().filter(finished_at__isnull=True).first()
    if busy is not None:
        raise DomainError(
            RUN_BUSY,
            f"The statement run of {busy.run_on} has not finished yet; wait for it.",
            None,
            status=409,
        )
    return StatementRun.objects.create(
        run_on=run_on, created_by=actor if getattr(actor, "is_authenticated", False) else None
    )


def candidates(run: StatementRun, pol: BillingPolicy) -> list[int]:
    """Patients owing at least the minimum, without a recent statement or a collections
    flag, and not already in this run."""
    owing = (
        LedgerEntry.objects.filter(payer__isnull=True)
        .values("patient_id")
        .annotate(s=Sum("amount"))
        .filter(s__gte=max(pol.minimum_statement_balance, Decimal("0.01")))
        .order_by("patient_id")
        .values_list("patient_id", flat=True)
    )
    recent_since = run.run_on - dt.timedelta(days=pol.statement_interval_days)
    recent = set(
        Statement.objects.filter(statement_date__gt=recent_since).values_list(
            "patient_id", flat=True
        )
    )
    flagged = set(
        CollectionsFlag.objects.filter(cleared_at__isnull=True).values_list("patient_id", flat=True)
    )
    in_run = set(run.statements.values_list("patient_id", flat=True))
    return [pk for pk in owing if pk not in recent | flagged | in_run]


def _flag_for_collections(patient_id, last: Statement, pol, actor, run_on) -> bool:
    """Flag a patient whose final notice is old enough and still unpaid."""
    if last.level != Statement.FINAL:
        return False
    if last.statement_date + dt.timedelta(days=pol.collections_after_days) > run_on:
        return False
    if paid_since(patient_id, last.run.created_at) >= last.balance:
        return False
    balance = cents(
        LedgerEntry.objects.filter(patient_id=patient_id, payer__isnull=True).aggregate(
            s=Sum("amount")
        )["s"]
    )
    flag = CollectionsFlag.objects.filter(patient_id=patient_id).first()
    reason = f"Final notice of {last.statement_date} unpaid after {pol.collections_after_days} days"
    who = actor if getattr(actor, "is_authenticated", False) else None
    if flag is None:
        CollectionsFlag.objects.create(
            patient_id=patient_id, balance=balance, reason=reason, flagged_by=who
        )
        return True
    if flag.cleared_at is not None and flag.cleared_at < last.run.created_at:
        # Cleared before this final notice went out: the new notice went unpaid too.
        flag.balance, flag.reason, flag.flagged_by = balance, reason, who
        flag.flagged_at, flag.cleared_at, flag.cleared_by = timezone.now(), None, None
        flag.save()
        return True
    return False


@transaction.atomic
def clear_collections_flag(*, flag: CollectionsFlag, actor, note: str = "") -> CollectionsFlag:
    flag = CollectionsFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.cleared_at is not None:
        raise DomainError("already_cleared", "This flag was already cleared.", None, status=409)
    flag.cleared_at = timezone.now()
    flag.cleared_by = actor if getattr(actor, "is_authenticated", False) else None
    if note:
        flag.reason = f"{flag.reason} — cleared: {note}"[:200]
    flag.save(update_fields=["cleared_at", "cleared_by", "reason"])
    return flag


@dataclass
class RunReport:
    run: StatementRun
    statements: int
    flagged: int
    total_due: Decimal


def run_statements(
    run_on: dt.date | None = None, actor=None, progress=None, *, run: StatementRun | None = None
) -> RunReport:
    """Make (or carry on making) a run's statements; ``progress(done, total)`` after each group."""
    if run is None:
        run = start_run(run_on=run_on or ledger.books_today(), actor=actor)
    if run.finished_at is not None:
        return RunReport(run, run.statement_count, 0, run.total_due)
    pol = policy()
    pages_dir = _pages_folder(run)
    pages_dir.mkdir(parents=True, exist_ok=True)
    todo = candidates(run, pol)
    last_ids = (
        Statement.objects.filter(patient_id__in=todo, statement_date__lte=run.run_on)
        .exclude(run=run)
        .values("patient_id")
        .annotate(last=Max("pk"))
    )
    previous = {
        s.patient_id: s
        for s in Statement.objects.filter(pk__in=[r["last"] for r in last_ids])
        .select_related("run")
        .defer("pdf")
    }
    flagged = 0
    total = len(todo)
    for start in range(0, total, CHUNK):
        group = todo[start : start + CHUNK]
        patients = Patient.objects.in_bulk(group)
        with transaction.atomic():
            made = []
            for pk in group:
                last = previous.get(pk)
                if last is not None and _flag_for_collections(pk, last, pol, actor, run.run_on):
                    flagged += 1
                    continue
                level = next_level(pk, last)
                since = last.run.created_at if last else None
                context = statement_context(patients[pk], run.run_on, level, pol, since=since)
                page = render_statement_page(context)
                made.append(
                    Statement(
                        run=run,
                        patient_id=pk,
                        statement_date=run.run_on,
                        balance=context["balance"],
                        level=level,
                        pdf=statement_pdf(page),
                    )
                )
                (pages_dir / f"{pk:012d}.html").write_text(page, encoding="utf-8")
            Statement.objects.bulk_create(made)
            sums = run.statements.aggregate(t=Sum("balance"))
            StatementRun.objects.filter(pk=run.pk).update(
                statement_count=run.statements.count(), total_due=cents(sums["t"])
            )
        if progress is not None:
            progress(min(start + CHUNK, total), total)
    pages = [p.read_text(encoding="utf-8") for p in sorted(pages_dir.glob("*.html"))]
    path = batch_path(run)
    if pages:
        path.write_bytes(render_pdf(wrap_pages(pages, f"Statements of {run.run_on}")))
    shutil.rmtree(pages_dir, ignore_errors=True)
    run.refresh_from_db()
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    return RunReport(run, run.statement_count, flagged, run.total_due)


def batch_pdf(run: StatementRun) -> bytes | None:
    path = batch_path(run)
    return path.read_bytes() if path.exists() else None
