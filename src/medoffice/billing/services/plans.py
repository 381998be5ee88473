"""Payment plans: a balance spread over monthly (or every n months) installments.

The schedule is fixed when the plan is made: equal installments, the last one
taking what rounding leaves. What has been paid on a plan is not typed in: it
is the patient's payments (kind "payment", not voided) received since the plan
was made, filling the plans oldest first and each plan's installments oldest
first (:func:`refill_plans`, run after every payment and void). A plan is
*behind* (delinquent) when an installment is more than 15 days past due and
not paid, *paid off* when every installment is paid; :func:`review_plans` (the
daily job) sets both and sends the patient the plan's messages.

Messages (through the messaging app, on the patient's preferred channel they
agreed to, with their quiet and contact hours; only for plans with reminders
on): a reminder 3 days before each installment is due, and a notice when an
installment is missed (more than 15 days late: the plan is behind). Each says
the amount and the date and nothing of what the money is for. Each is sent
once: the reminder marks its installment reminded in the same transaction
(the "reminders due" list, where a person marks the ones they phoned, is the
same mark), and every message names its installment as its messaging topic,
of which there is one message. A payment that pays an installment, or a plan
cancelled, cancels that installment's messages not yet gone; a patient no
channel reaches stays on the "reminders due" list for a person to call.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

from django.apps import apps
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from medoffice.billing.errors import DomainError, FieldErrors, invalid
from medoffice.billing.models import PatientPayment, PaymentPlan, PlanInstallment
from medoffice.billing.services import ledger
from medoffice.billing.services.patient_money import cents, money
from medoffice.patients.models import Patient

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
GRACE_DAYS = 15
REMIND_DAYS_BEFORE = 3
MAX_INSTALLMENTS = 120
OPEN = (PaymentPlan.ACTIVE, PaymentPlan.DELINQUENT)
PLAN_EXISTS = "plan_exists"


def due_topic(installment_id: int) -> str:
    """The messaging topic of an installment's reminder."""
    return f"plan-installment:{installment_id}:due"


def missed_topic(installment_id: int) -> str:
    """The messaging topic of the notice that an installment was missed."""
    return f"plan-installment:{installment_id}:missed"


def _messaging() -> bool:
    """Plans send messages when the messaging app is part of the install."""
    return apps.is_installed("medoffice.messaging")


def _cancel_messages(topics: list[str], reason: str, actor=None) -> None:
    if topics and _messaging():
        from medoffice.messaging.services.notices import cancel_notices

        cancel_notices(topics=topics, reason=reason, actor=actor)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def installments_of(total: Decimal, amount: Decimal) -> int:
    return int((total / amount).to_integral_value(rounding=ROUND_CEILING))


def schedule(
    total: Decimal, *, installments: int | None = None, amount: Decimal | None = None
) -> list[Decimal]:
    """The installment amounts: equal ones, the last taking the rounding remainder."""
    if installments:
        each = (total / installments).quantize(CENT, rounding=ROUND_DOWN)
        count = installments
    else:
        each = amount
        count = installments_of(total, amount)
    amounts = [each] * (count - 1)
    amounts.append(total - each * (count - 1))
    return amounts


@transaction.atomic
def create_plan(
    *,
    patient: Patient,
    total,
    installments=None,
    amount=None,
    first_due,
    interval_months=1,
    actor,
    note: str = "",
    send_reminders: bool = True,
) -> PaymentPlan:
    """Spread ``total`` over ``installments`` (or installments of ``amount``)."""
    errors: dict[str, list[str]] = {}
    try:
        total = money(total, "total")
    except FieldErrors as exc:
        errors.update(exc.errors)
        total = None
    if (installments in (None, "")) == (amount in (None, "")):
        errors["installments"] = ["Give either the number of installments or their amount."]
    elif installments not in (None, ""):
        try:
            installments = int(installments)
        except (TypeError, ValueError):
            installments = 0
        if not 2 <= installments <= MAX_INSTALLMENTS:
            errors["installments"] = [f"A plan has 2 to {MAX_INSTALLMENTS} installments."]
        amount = None
    else:
        try:
            amount = money(amount, "amount")
        except FieldErrors as exc:
            errors.update(exc.errors)
            amount = None
        installments = None
        if amount is not None and total is not None:
            if amount >= total:
                errors["amount"] = ["An installment must be less than the total."]
            elif installments_of(total, amount) > MAX_INSTALLMENTS:
                errors["amount"] = [f"That makes more than {MAX_INSTALLMENTS} installments."]
    if not isinstance(first_due, dt.date):
        errors["first_due"] = ["Enter the first due date."]
    elif first_due < ledger.books_today() - dt.timedelta(days=GRACE_DAYS):
        errors["first_due"] = ["The first installment cannot be due that long ago."]
    try:
        interval_months = int(interval_months)
    except (TypeError, ValueError):
        interval_months = 0
    if not 1 <= interval_months <= 12:
        errors["interval_months"] = ["Installments come every 1 to 12 months."]
    if len(note or "") > 200:
        errors["note"] = ["The note is at most 200 characters."]
    if errors:
        raise FieldErrors(errors)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    balance = cents(ledger.patient_balance(patient.pk))
    if total > balance:
        raise invalid(f"The plan cannot be more than the patient's balance ({balance}).", "total")
    if PaymentPlan.objects.filter(patient=patient, status__in=OPEN).exists():
        raise DomainError(
            PLAN_EXISTS,
            "This patient already has a plan; cancel it before making another.",
            None,
            status=409,
        )
    amounts = schedule(total, installments=installments, amount=amount)
    plan = PaymentPlan.objects.create(
        patient=patient,
        total=total,
        installment_amount=amounts[0],
        first_due=first_due,
        interval_months=interval_months,
        send_reminders=send_reminders,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        note=note or "",
    )
    PlanInstallment.objects.bulk_create(
        PlanInstallment(
            plan=plan,
            number=n,
            due_on=add_months(first_due, (n - 1) * interval_months),
            amount=value,
        )
        for n, value in enumerate(amounts, start=1)
    )
    return plan


@transaction.atomic
def cancel_plan(*, plan: PaymentPlan, actor, reason: str) -> PaymentPlan:
    reason = (reason or "").strip()
    if not reason:
        raise invalid("Say why the plan is cancelled.", "reason")
    plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status not in OPEN:
        raise DomainError("bad_transition", "Only a running plan can be cancelled.", None, 409)
    plan.status = PaymentPlan.CANCELLED
    plan.note = f"Cancelled: {reason}"[:200]
    plan.save(update_fields=["status", "note"])
    ids = list(plan.installments.values_list("pk", flat=True))
    _cancel_messages(
        [topic(i) for i in ids for topic in (due_topic, missed_topic)],
        "the payment plan was cancelled",
        actor,
    )
    return plan


def _status(plan: PaymentPlan, installments: list[PlanInstallment], today: dt.date) -> str:
    if all(i.paid >= i.amount for i in installments):
        return PaymentPlan.COMPLETED
    late = today - dt.timedelta(days=GRACE_DAYS)
    if any(i.paid < i.amount and i.due_on < late for i in installments):
        return PaymentPlan.DELINQUENT
    return PaymentPlan.ACTIVE


def refill_plans(patient: Patient | int, today: dt.date | None = None) -> None:
    """Spread the patient's payments since each plan began over its installments."""
    pk = patient.pk if isinstance(patient, Patient) else patient
    plans = list(
        PaymentPlan.objects.filter(patient_id=pk)
        .exclude(status=PaymentPlan.CANCELLED)
        .order_by("created_at", "pk")
        .prefetch_related("installments")
    )
    if not plans:
        return
    today = today or ledger.books_today()
    payments = PatientPayment.objects.filter(
        patient_id=pk,
        kind=PatientPayment.PAYMENT,
        voided_at__isnull=True,
        received_at__gte=plans[0].created_at,
    ).order_by("received_at", "pk")
    room = {p.pk: p.total for p in plans}
    filled = {p.pk: ZERO for p in plans}
    for payment in payments:
        left = payment.amount
        for plan in plans:
            if plan.created_at > payment.received_at or left <= 0:
                continue
            take = min(left, room[plan.pk])
            room[plan.pk] -= take
            filled[plan.pk] += take
            left -= take
    stale: list[str] = []  # messages no longer true: the installment is paid, or not missed
    for plan in plans:
        left = filled[plan.pk]
        installments = list(plan.installments.all())
        changed = []
        for inst in installments:
            paid = min(left, inst.amount)
            left -= paid
            if inst.paid != paid:
                inst.paid = paid
                changed.append(inst)
                if paid >= inst.amount:
                    stale += [due_topic(inst.pk), missed_topic(inst.pk)]
        if changed:
            PlanInstallment.objects.bulk_update(changed, ["paid"])
        status = _status(plan, installments, today)
        if status != plan.status:
            PaymentPlan.objects.filter(pk=plan.pk).update(status=status)
            if plan.status == PaymentPlan.DELINQUENT:
                stale += [missed_topic(i.pk) for i in installments]
            plan.status = status
    _cancel_messages(sorted(set(stale)), "paid since the message was planned")


@dataclass
class PlanReview:
    completed: int = 0
    delinquent: int = 0
    back_on_track: int = 0
    reminders_due: list[int] = field(default_factory=list)
    reminders_sent: int = 0
    missed_notices_sent: int = 0
    no_channel: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "completed": self.completed,
            "delinquent": self.delinquent,
            "back_on_track": self.back_on_track,
            "reminders_due": len(self.reminders_due),
            "reminders_sent": self.reminders_sent,
            "missed_notices_sent": self.missed_notices_sent,
            "no_channel": len(self.no_channel),
        }


def reminders_due(today: dt.date | None = None):
    """Unpaid installments of running plans due within 3 days that nobody has reminded."""
    today = today or ledger.books_today()
    return (
        PlanInstallment.objects.filter(
            plan__status__in=OPEN,
            plan__send_reminders=True,
            reminded_at__isnull=True,
            due_on__gte=today,
            due_on__lte=today + dt.timedelta(days=REMIND_DAYS_BEFORE),
        )
        .filter(paid__lt=F("amount"))
        .select_related("plan__patient__home_location__practice")
        .order_by("due_on", "pk")
    )


def mark_reminded(*, installment: PlanInstallment, actor) -> PlanInstallment:
    """The patient was told (by phone, letter or a message): remember when."""
    PlanInstallment.objects.filter(pk=installment.pk, reminded_at__isnull=True).update(
        reminded_at=timezone.now()
    )
    installment.refresh_from_db()
    return installment


class _NotSent(Exception):
    """Undo marking an installment reminded: no message could go."""


def _send_reminder(inst: PlanInstallment, now: dt.datetime, report: PlanReview) -> None:
    """Mark the installment reminded and queue its message, both or neither."""
    from medoffice.messaging.services import notices
    from medoffice.messaging.services.composing import values_for
    from medoffice.messaging.templating import PLAN_DUE

    patient = inst.plan.patient
    try:
        with transaction.atomic():
            # The conditional update is the claim: a second review (another worker, a re-run)
            # waits for this one's row lock, then finds the installment reminded.
            if not PlanInstallment.objects.filter(pk=inst.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                return
            notice = notices.queue_notice(
                patient=patient,
                purpose=PLAN_DUE,
                topic=due_topic(inst.pk),
                values=values_for(patient, amount_due=inst.amount - inst.paid, due_on=inst.due_on),
                note=f"payment plan: installment {inst.number} due {inst.due_on:%Y-%m-%d}",
                now=now,
            )
            if notice.outcome == notices.NO_CHANNEL:
                raise _NotSent
    except _NotSent:
        report.no_channel.append(inst.pk)
        return
    if notice.outcome == notices.QUEUED:
        report.reminders_sent += 1


def _missed(installments: list[PlanInstallment], today: dt.date) -> list[PlanInstallment]:
    late = today - dt.timedelta(days=GRACE_DAYS)
    return [i for i in installments if i.paid < i.amount and i.due_on < late]


def _send_missed_notices(today: dt.date, now: dt.datetime, report: PlanReview) -> None:
    """For each plan behind: a notice about its latest missed installment, once (a plan that
    misses another installment later gets another notice)."""
    from medoffice.messaging.services import notices
    from medoffice.messaging.services.composing import values_for
    from medoffice.messaging.templating import PLAN_MISSED

    behind = (
        PaymentPlan.objects.filter(status=PaymentPlan.DELINQUENT, send_reminders=True)
        .select_related("patient__home_location__practice")
        .prefetch_related("installments")
        .order_by("pk")
    )
    wanted = []
    for plan in behind.iterator(chunk_size=500):
        installments = list(plan.installments.all())
        missed = _missed(installments, today)
        if missed:
            wanted.append((plan, installments, missed))
    used = notices.topics_used(missed_topic(m[-1].pk) for _p, _i, m in wanted)
    for plan, installments, missed in wanted:
        topic = missed_topic(missed[-1].pk)
        if topic in used:
            continue
        past_due = sum(
            (i.amount - i.paid for i in installments if i.due_on < today and i.paid < i.amount),
            ZERO,
        )
        notice = notices.queue_notice(
            patient=plan.patient,
            purpose=PLAN_MISSED,
            topic=topic,
            values=values_for(plan.patient, amount_due=past_due, due_on=missed[0].due_on),
            note=f"payment plan behind: installment {missed[-1].number} missed",
            now=now,
        )
        if notice.outcome == notices.QUEUED:
            report.missed_notices_sent += 1
        elif notice.outcome == notices.NO_CHANNEL:
            report.no_channel.append(missed[-1].pk)


def review_plans(today: dt.date | None = None, *, now: dt.datetime | None = None) -> PlanReview:
    """The daily job: plans behind (> 15 days past due), paid off, back on track; the
    reminders of installments due within 3 days and the notices of missed ones, each once."""
    today = today or ledger.books_today()
    now = now or timezone.now()
    report = PlanReview()
    plans = PaymentPlan.objects.filter(status__in=OPEN).prefetch_related("installments")
    for plan in plans.iterator(chunk_size=500):
        status = _status(plan, list(plan.installments.all()), today)
        if status == plan.status:
            continue
        with transaction.atomic():
            updated = PaymentPlan.objects.filter(pk=plan.pk, status=plan.status).update(
                status=status
            )
        if not updated:
            continue
        if status == PaymentPlan.COMPLETED:
            report.completed += 1
        elif status == PaymentPlan.DELINQUENT:
            report.delinquent += 1
        else:
            report.back_on_track += 1
    due = list(reminders_due(today))
    report.reminders_due = [i.pk for i in due]
    if _messaging():
        for inst in due:
            _send_reminder(inst, now, report)
        _send_missed_notices(today, now, report)
        if report.reminders_sent or report.missed_notices_sent:
            from medoffice.messaging.tasks import ensure_messaging_clock

            ensure_messaging_clock()  # the clock starts the senders
    return report
