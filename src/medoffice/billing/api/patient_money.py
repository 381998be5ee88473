"""Patient money: a patient's balance, payments and copays, refunds, voids, payment plans
and statement runs. The same services as the pages; every patient read or write is logged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from medoffice.billing.api.common import (
    ERRORS,
    Id,
    find,
    get_or_404,
    log_access,
    log_row,
    require_perm,
)
from medoffice.billing.models import CollectionsFlag, PatientPayment, PaymentPlan, StatementRun
from medoffice.billing.services import ledger
from medoffice.billing.services import patient_money as pm
from medoffice.billing.services import plans as plan_services
from medoffice.billing.services import statements as st
from medoffice.core.audit import CREATE, UPDATE, VIEW
from medoffice.patients.models import Patient
from medoffice.scheduling.models import Appointment

router = Router()

Amount = Annotated[str, Field(max_length=20, examples=["25.00"])]
Short = Annotated[str, Field(max_length=200)]


class VisitShareOut(Schema):
    charge: int
    date_of_service: dt.date
    patient_share: Decimal


class BalanceOut(Schema):
    patient: int
    balance: Decimal
    credit: Decimal
    visits: list[VisitShareOut]
    collections_flag: bool


class PaymentIn(Schema):
    amount: Amount
    method: Annotated[str, Field(max_length=10)]
    reference: Annotated[str, Field(max_length=40)] = ""
    kind: Literal["payment", "copay"] = "payment"
    appointment: Id | None = None
    note: Short = ""


class RefundIn(Schema):
    amount: Amount
    method: Annotated[str, Field(max_length=10)]
    reference: Annotated[str, Field(max_length=40)] = ""
    reason: Short


class VoidIn(Schema):
    reason: Short


class PaymentOut(Schema):
    id: int
    patient: int
    receipt_number: int
    kind: str
    method: str
    amount: Decimal
    reference: str
    appointment: int | None
    received_at: dt.datetime
    posted_on: dt.date
    voided: bool
    void_reason: str
    balance_after: Decimal


class PlanIn(Schema):
    total: Amount
    installments: Annotated[int, Field(ge=0, le=1000)] | None = None
    amount: Amount | None = None
    first_due: dt.date
    interval_months: Annotated[int, Field(ge=0, le=100)] = 1
    send_reminders: bool = True
    note: Short = ""


class InstallmentOut(Schema):
    number: int
    due_on: dt.date
    amount: Decimal
    paid: Decimal


class PlanOut(Schema):
    id: int
    patient: int
    total: Decimal
    installment_amount: Decimal
    first_due: dt.date
    interval_months: int
    status: str
    installments: list[InstallmentOut]


class RunIn(Schema):
    run_on: dt.date | None = None


class RunOut(Schema):
    id: int
    run_on: dt.date
    statement_count: int
    total_due: Decimal
    finished: bool
    batch_ready: bool


def _patient(pk: int) -> Patient:
    return get_or_404(Patient.objects.all(), pk, "patient")


def _payment(p: PatientPayment) -> dict:
    return {
        "id": p.pk,
        "patient": p.patient_id,
        "receipt_number": p.receipt_number,
        "kind": p.kind,
        "method": p.method,
        "amount": p.amount,
        "reference": pm.shown_reference(p),
        "appointment": p.appointment_id,
        "received_at": p.received_at,
        "posted_on": p.posted_on,
        "voided": p.voided_at is not None,
        "void_reason": p.void_reason,
        "balance_after": pm.receipt_for(p).balance_after,
    }


def _plan(plan: PaymentPlan) -> dict:
    return {
        "id": plan.pk,
        "patient": plan.patient_id,
        "total": plan.total,
        "installment_amount": plan.installment_amount,
        "first_due": plan.first_due,
        "interval_months": plan.interval_months,
        "status": plan.status,
        "installments": [
            {"number": i.number, "due_on": i.due_on, "amount": i.amount, "paid": i.paid}
            for i in plan.installments.all()
        ],
    }


def _run(run: StatementRun) -> dict:
    return {
        "id": run.pk,
        "run_on": run.run_on,
        "statement_count": run.statement_count,
        "total_due": run.total_due,
        "finished": run.finished_at is not None,
        "batch_ready": st.batch_path(run).exists(),
    }


@router.get(
    "/billing/patients/{patient_id}/balance",
    response={200: BalanceOut, **ERRORS},
    summary="The patient's own balance, credit on account and each visit's open share",
)
def patient_balance(request, patient_id: Id):
    require_perm(request, "billing.view_patientpayment", "see patients' accounts")
    patient = _patient(patient_id)
    shares = pm.open_visit_shares(patient.pk)
    days = dict(
        patient.charges.filter(pk__in=[c for c, _ in shares]).values_list("pk", "date_of_service")
    )
    log_access(request, patient_id=patient.pk, action=VIEW, object_type="account", object_id=None)
    return {
        "patient": patient.pk,
        "balance": pm.cents(ledger.patient_balance(patient.pk)),
        "credit": pm.credit_on_account(patient.pk),
        "visits": [
            {"charge": c, "date_of_service": days[c], "patient_share": s} for c, s in shares
        ],
        "collections_flag": CollectionsFlag.objects.filter(
            patient=patient, cleared_at__isnull=True
        ).exists(),
    }


@router.get(
    "/billing/patients/{patient_id}/payments",
    response={200: list[PaymentOut], **ERRORS},
    summary="The patient's payments, copays and refunds, newest first (at most 200)",
)
def list_payments(request, patient_id: Id):
    require_perm(request, "billing.view_patientpayment", "see patients' payments")
    patient = _patient(patient_id)
    log_access(request, patient_id=patient.pk, action=VIEW, object_type="patient_payment",
               object_id=None)  # fmt: skip
    return [_payment(p) for p in patient.payments.all()[:200]]


@router.post(
    "/billing/patients/{patient_id}/payments",
    response={201: PaymentOut, **ERRORS},
    summary="Take a payment or copay: applied to the oldest open visits, the rest is credit "
    "(422 names the field: amount, method, reference for a check number or a card's last 4)",
)
def take_payment(request, patient_id: Id, body: PaymentIn):
    require_perm(request, "billing.add_patientpayment", "take payments")
    patient = _patient(patient_id)
    appointment = find(Appointment, body.appointment, "appointment", "appointment")
    payment = pm.take_payment(
        patient=patient, amount=body.amount, method=body.method, reference=body.reference,
        actor=request.auth, appointment=appointment, kind=body.kind, note=body.note,
    )  # fmt: skip
    log_row(request, payment, action=CREATE, object_type="patient_payment")
    return Status(201, _payment(payment))


@router.post(
    "/billing/patients/{patient_id}/refunds",
    response={201: PaymentOut, **ERRORS},
    summary="Refund credit on account (never more than the credit: 422 on amount)",
)
def refund(request, patient_id: Id, body: RefundIn):
    require_perm(request, "billing.change_patientpayment", "give refunds")
    patient = _patient(patient_id)
    payment = pm.refund(
        patient=patient, amount=body.amount, method=body.method, reference=body.reference,
        actor=request.auth, reason=body.reason,
    )  # fmt: skip
    log_row(request, payment, action=CREATE, object_type="patient_refund")
    return Status(201, _payment(payment))


@router.get(
    "/billing/payments/{payment_id}",
    response={200: PaymentOut, **ERRORS},
    summary="One payment or refund, with the patient's balance right after it",
)
def get_payment(request, payment_id: Id):
    require_perm(request, "billing.view_patientpayment", "see patients' payments")
    payment = get_or_404(PatientPayment.objects.all(), payment_id, "payment")
    log_row(request, payment, action=VIEW, object_type="patient_payment")
    return _payment(payment)


@router.post(
    "/billing/payments/{payment_id}/void",
    response={200: PaymentOut, **ERRORS},
    summary="Void a payment or refund: its ledger entries are reversed in the open month "
    "(409 already void)",
)
def void(request, payment_id: Id, body: VoidIn):
    require_perm(request, "billing.change_patientpayment", "void payments")
    payment = get_or_404(PatientPayment.objects.all(), payment_id, "payment")
    payment = pm.void_payment(payment=payment, actor=request.auth, reason=body.reason)
    log_row(request, payment, action=UPDATE, object_type="patient_payment")
    return _payment(payment)


@router.get(
    "/billing/plans",
    response={200: list[PlanOut], **ERRORS},
    summary="Running payment plans (?status=active|delinquent|completed|cancelled; at most 500)",
)
def list_plans(request, status: Annotated[str, Field(max_length=12)] = ""):
    require_perm(request, "billing.view_paymentplan", "see payment plans")
    qs = PaymentPlan.objects.prefetch_related("installments")
    qs = qs.filter(status=status) if status else qs.filter(status__in=plan_services.OPEN)
    return [_plan(p) for p in qs[:500]]


@router.post(
    "/billing/patients/{patient_id}/plans",
    response={201: PlanOut, **ERRORS},
    summary="Set up a payment plan: installments (count) or amount (each); the last takes the "
    "rounding (409 when the patient already has a running plan)",
)
def create_plan(request, patient_id: Id, body: PlanIn):
    require_perm(request, "billing.add_paymentplan", "set up payment plans")
    patient = _patient(patient_id)
    plan = plan_services.create_plan(
        patient=patient, total=body.total, installments=body.installments, amount=body.amount,
        first_due=body.first_due, interval_months=body.interval_months, actor=request.auth,
        note=body.note, send_reminders=body.send_reminders,
    )  # fmt: skip
    log_row(request, plan, action=CREATE, object_type="payment_plan")
    return Status(201, _plan(plan))


@router.get(
    "/billing/statement-runs",
    response={200: list[RunOut], **ERRORS},
    summary="Statement runs, newest first (at most 100)",
)
def list_runs(request):
    require_perm(request, "billing.view_statement", "see statements")
    return [_run(r) for r in StatementRun.objects.all()[:100]]


@router.post(
    "/billing/statement-runs",
    response={202: RunOut, **ERRORS},
    summary="Start a statement run in the background (409 while another is working)",
)
def start_run(request, body: RunIn):
    from medoffice.billing.tasks import statement_run_task

    require_perm(request, "billing.add_statementrun", "run statements")
    run = st.start_run(run_on=body.run_on or timezone.localdate(), actor=request.auth)
    statement_run_task.enqueue(run.pk, request.auth.pk)
    return Status(202, _run(run))


@router.get(
    "/billing/statement-runs/{run_id}",
    response={200: RunOut, **ERRORS},
    summary="One statement run and how far it has got",
)
def get_run(request, run_id: Id):
    require_perm(request, "billing.view_statement", "see statements")
    return _run(get_or_404(StatementRun.objects.all(), run_id, "statement run"))
