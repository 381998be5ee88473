"""Patient money pages: a patient's account, taking a payment or copay, refunds, voids,
receipts (page and PDF), payment plans, statement runs and the collections flag."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.contrib import messages
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from medoffice.billing.errors import DomainError
from medoffice.billing.models import (
    CollectionsFlag,
    LedgerEntry,
    PatientPayment,
    PaymentPlan,
    PlanInstallment,
    Statement,
    StatementRun,
)
from medoffice.billing.services import ledger
from medoffice.billing.services import patient_money as pm
from medoffice.billing.services import plans as plan_services
from medoffice.billing.services import statements as st
from medoffice.billing.views.common import needs, page_of, show_refusal
from medoffice.core.audit import CREATE, PRINT, UPDATE, VIEW, log_patient_access
from medoffice.patients.models import Patient
from medoffice.scheduling.models import Appointment

METHODS = [("", "Choose…"), *PatientPayment.METHOD_CHOICES]


class PaymentForm(forms.Form):
    amount = forms.DecimalField(min_value=0.01, max_digits=8, decimal_places=2)
    method = forms.ChoiceField(choices=METHODS)
    reference = forms.CharField(
        required=False,
        max_length=40,
        help_text="Check number for a check; the card's last 4 digits for a card.",
    )
    kind = forms.ChoiceField(
        choices=[(PatientPayment.PAYMENT, "Payment"), (PatientPayment.COPAY, "Copay")],
        initial=PatientPayment.PAYMENT,
    )
    appointment = forms.IntegerField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(required=False, max_length=200)

    def clean(self):
        data = super().clean()
        method, reference = data.get("method"), (data.get("reference") or "").strip()
        if method:
            try:
                pm.check_method_and_reference(method, reference)
            except DomainError as exc:
                show_refusal(self, exc)
        return data


class RefundForm(forms.Form):
    amount = forms.DecimalField(min_value=0.01, max_digits=8, decimal_places=2)
    method = forms.ChoiceField(choices=METHODS)
    reference = forms.CharField(
        required=False, max_length=40, help_text="Check number or card's last 4 digits."
    )
    reason = forms.CharField(max_length=200)


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=200)


class PlanForm(forms.Form):
    total = forms.DecimalField(min_value=0.01, max_digits=8, decimal_places=2)
    installments = forms.IntegerField(required=False, min_value=2, max_value=120)
    amount = forms.DecimalField(
        required=False, min_value=0.01, max_digits=8, decimal_places=2,
        label="or installment amount",
    )  # fmt: skip
    first_due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    interval_months = forms.IntegerField(
        min_value=1, max_value=12, initial=1, label="every (months)"
    )
    send_reminders = forms.BooleanField(required=False, initial=True)
    note = forms.CharField(required=False, max_length=200)


def _patient(pk: int) -> Patient:
    return get_object_or_404(Patient, pk=pk)


def _apply(form, exc) -> None:
    show_refusal(form, exc)


def _submit(request, form, patient: Patient, service, *, fields, object_type, said, then, **more):
    """Hand a valid form's ``fields`` (and ``more``) to ``service`` for the patient; done: log
    it, say ``said(obj)`` and go to ``then(obj)``. Not valid or refused: None, with the reasons
    on the form's fields (the view shows the form again)."""
    if not form.is_valid():
        return None
    values = {name: form.cleaned_data[name] for name in fields}
    try:
        obj = service(patient=patient, actor=request.user, **values, **more)
    except DomainError as exc:
        _apply(form, exc)
        return None
    log_patient_access(
        request, patient_id=patient.pk, action=CREATE, object_type=object_type, object_id=obj.pk
    )
    messages.success(request, said(obj))
    return then(obj)


def _change(request, write, *, patient_id: int, object_type: str, object_id, detail, said):
    """A one-button change (``write()``): refused, its reason shows on the next page; done,
    it is logged and ``said``."""
    try:
        write()
    except DomainError as exc:
        messages.error(request, exc.message)
        return
    log_patient_access(
        request, patient_id=patient_id, action=UPDATE, object_type=object_type,
        object_id=object_id, detail=detail,
    )  # fmt: skip
    messages.success(request, said)


def _to_receipt(payment: PatientPayment):
    return redirect("payment_receipt", payment.pk)


# ----------------------------------------------------------------------- the account


@needs("view_patientpayment", "see patients' accounts")
def patient_account(request, pk: int):
    patient = _patient(pk)
    pm.apply_credits(patient, request.user)  # a share that appeared since: use the credit
    entries = LedgerEntry.objects.filter(patient=patient).select_related("charge", "payer")
    visits = pm.open_visit_shares(patient.pk)
    charges = {
        c.pk: c
        for c in patient.charges.filter(pk__in=[v[0] for v in visits]).select_related(
            "rendering_provider"
        )
    }
    page, query = page_of(request, entries.order_by("-posted_on", "-pk"), size=50)
    log_patient_access(request, patient_id=patient.pk, action=VIEW, object_type="account")
    user = request.user
    return render(
        request,
        "billing/account.html",
        {
            "tab": "account",
            "patient": patient,
            "balance": pm.cents(ledger.patient_balance(patient.pk)),
            "credit": pm.credit_on_account(patient.pk),
            "visits": [(charges[cid], share) for cid, share in visits if cid in charges],
            "page": page,
            "query": query,
            "payments": patient.payments.select_related("received_by", "appointment")[:50],
            "plans": patient.payment_plans.prefetch_related("installments"),
            "statements": patient.statements.select_related("run").defer("pdf")[:24],
            "flag": CollectionsFlag.objects.filter(patient=patient).first(),
            "may_pay": user.has_perm("billing.add_patientpayment"),
            "may_refund": user.has_perm("billing.change_patientpayment"),
            "may_plan": user.has_perm("billing.add_paymentplan"),
            "may_clear": user.has_perm("billing.change_collectionsflag"),
        },
    )


@needs("add_patientpayment", "take payments")
def payment_new(request, pk: int):
    patient = _patient(pk)
    appointment = None
    appt_pk = request.POST.get("appointment") or request.GET.get("appointment")
    if appt_pk:
        if not re.fullmatch(r"[0-9]{1,18}", str(appt_pk)):
            raise Http404("No such visit of this patient.")
        appointment = Appointment.objects.filter(pk=appt_pk, patient=patient).first()
        if appointment is None:
            raise Http404("No such visit of this patient.")
    if request.method == "POST":
        form = PaymentForm(request.POST)
        done = _submit(
            request, form, patient, pm.take_payment,
            fields=("amount", "method", "reference", "kind", "note"), appointment=appointment,
            object_type="patient_payment",
            said=lambda p: f"Payment of ${p.amount} taken: receipt {p.receipt_number}.",
            then=_to_receipt,
        )  # fmt: skip
        if done is not None:
            return done
    coverage, copay = pm.copay_on_card(appointment) if appointment else (None, None)
    if request.method != "POST":
        initial = {"appointment": appointment.pk if appointment else None}
        if appointment is not None:
            initial["kind"] = PatientPayment.COPAY
            if copay:  # the card's copay, proposed; the desk may change it
                initial["amount"] = copay
        form = PaymentForm(initial=initial)
    return render(
        request,
        "billing/payment_form.html",
        {
            "patient": patient,
            "form": form,
            "appointment": appointment,
            "coverage": coverage,
            "copay": copay,
            "balance": pm.cents(ledger.patient_balance(patient.pk)),
            "credit": pm.credit_on_account(patient.pk),
        },
    )


@needs("change_patientpayment", "give refunds")
def refund_new(request, pk: int):
    patient = _patient(pk)
    form = RefundForm(request.POST or None)
    if request.method == "POST":
        done = _submit(
            request, form, patient, pm.refund,
            fields=("amount", "method", "reference", "reason"),
            object_type="patient_refund",
            said=lambda p: f"Refund of ${p.amount}: receipt {p.receipt_number}.",
            then=_to_receipt,
        )  # fmt: skip
        if done is not None:
            return done
    return render(
        request,
        "billing/payment_refund.html",
        {"patient": patient, "form": form, "credit": pm.credit_on_account(patient.pk)},
    )


@require_POST
@needs("change_patientpayment", "void payments")
def payment_void(request, pk: int):
    payment = get_object_or_404(PatientPayment, pk=pk)
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the payment is voided.")
    else:
        _change(
            request,
            lambda: pm.void_payment(
                payment=payment, actor=request.user, reason=form.cleaned_data["reason"]
            ),
            patient_id=payment.patient_id, object_type="patient_payment", object_id=payment.pk,
            detail="void", said=f"Receipt {payment.receipt_number} voided.",
        )  # fmt: skip
    return redirect("patient_account", payment.patient_id)


def _receipt_html(request, payment: PatientPayment, *, for_pdf: bool) -> str:
    context = {"r": pm.receipt_for(payment)}
    if not for_pdf:
        context["pdf_url"] = reverse("payment_receipt_pdf", args=[payment.pk])
        context["account_url"] = reverse("patient_account", args=[payment.patient_id])
    return render_to_string("billing/receipt.html", context, request=None)


@needs("view_patientpayment", "see receipts")
def payment_receipt(request, pk: int):
    payment = get_object_or_404(PatientPayment.objects.select_related("patient"), pk=pk)
    log_patient_access(
        request, patient_id=payment.patient_id, action=VIEW,
        object_type="receipt", object_id=payment.pk,
    )  # fmt: skip
    return HttpResponse(_receipt_html(request, payment, for_pdf=False))


@needs("view_patientpayment", "see receipts")
def payment_receipt_pdf(request, pk: int):
    payment = get_object_or_404(PatientPayment.objects.select_related("patient"), pk=pk)
    pdf = pm.render_pdf(_receipt_html(request, payment, for_pdf=True))
    log_patient_access(
        request, patient_id=payment.patient_id, action=PRINT,
        object_type="receipt", object_id=payment.pk,
    )  # fmt: skip
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{payment.receipt_number}.pdf"'
    return response


# ----------------------------------------------------------------------- payment plans


@needs("view_paymentplan", "see payment plans")
def plan_list(request):
    from medoffice.billing.tasks import book_payment_plans_review

    book_payment_plans_review()  # the daily review runs once the worker is up
    status = request.GET.get("status", "")
    qs = PaymentPlan.objects.filter(status__in=plan_services.OPEN).select_related("patient")
    if status in plan_services.OPEN:
        qs = qs.filter(status=status)
    late = timezone.localdate() - dt.timedelta(days=plan_services.GRACE_DAYS)
    unpaid_late = Q(installments__due_on__lt=late) & Q(
        installments__paid__lt=F("installments__amount")
    )
    qs = qs.annotate(behind=Count("installments", filter=unpaid_late)).order_by(
        "status", "patient__last_name", "pk"
    )
    page, query = page_of(request, qs)
    return render(
        request,
        "billing/plans.html",
        {
            "tab": "plans",
            "page": page,
            "query": query,
            "status": status,
            "reminders": plan_services.reminders_due()[:200],
            "may_remind": request.user.has_perm("billing.change_planinstallment"),
        },
    )


@needs("add_paymentplan", "set up payment plans")
def plan_new(request, pk: int):
    patient = _patient(pk)
    balance = pm.cents(ledger.patient_balance(patient.pk))
    form = PlanForm(request.POST or None, initial={"total": balance if balance > 0 else None})
    if request.method == "POST":
        done = _submit(
            request, form, patient, plan_services.create_plan,
            fields=("total", "installments", "amount", "first_due", "interval_months", "note",
                    "send_reminders"),
            object_type="payment_plan",
            said=lambda plan: f"Payment plan of ${plan.total} set up.",
            then=lambda plan: redirect("patient_account", patient.pk),
        )  # fmt: skip
        if done is not None:
            return done
    return render(
        request, "billing/plan_form.html", {"patient": patient, "form": form, "balance": balance}
    )


@require_POST
@needs("change_paymentplan", "cancel payment plans")
def plan_cancel(request, pk: int):
    plan = get_object_or_404(PaymentPlan, pk=pk)
    try:
        plan_services.cancel_plan(
            plan=plan, actor=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Payment plan cancelled.")
    return redirect("patient_account", plan.patient_id)


@require_POST
@needs("change_planinstallment", "record plan reminders")
def plan_reminded(request, pk: int):
    installment = get_object_or_404(PlanInstallment, pk=pk)
    plan_services.mark_reminded(installment=installment, actor=request.user)
    messages.success(request, "Marked as reminded.")
    return redirect("plan_list")


# ----------------------------------------------------------------------- statements


@needs("view_statement", "see statements")
def statement_list(request):
    runs = StatementRun.objects.select_related("created_by")
    page, query = page_of(request, runs)
    running = st.unfinished_run()
    rows = [(run, st.batch_path(run).exists()) for run in page.object_list]
    return render(
        request,
        "billing/statements.html",
        {
            "tab": "statements",
            "page": page,
            "rows": rows,
            "query": query,
            "running": running,
            "today": timezone.localdate(),
            "may_run": request.user.has_perm("billing.add_statementrun"),
            "flags": CollectionsFlag.objects.filter(cleared_at__isnull=True).select_related(
                "patient"
            )[:200],
            "may_clear": request.user.has_perm("billing.change_collectionsflag"),
        },
    )


@needs("view_statement", "see statements")
def statement_progress(request):
    return render(request, "billing/statement_progress.html", {"running": st.unfinished_run()})


@require_POST
@needs("add_statementrun", "run statements")
def statement_run_now(request):
    from medoffice.billing.tasks import statement_run_task

    try:
        run_on = dt.date.fromisoformat(request.POST.get("run_on") or str(timezone.localdate()))
    except ValueError:
        messages.error(request, "Statement date: enter a date (YYYY-MM-DD).")
        return redirect("statement_list")
    try:
        run = st.start_run(run_on=run_on, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("statement_list")
    statement_run_task.enqueue(run.pk, request.user.pk)
    messages.success(request, f"The statement run of {run_on} has started.")
    return redirect("statement_list")


@needs("view_statement", "see statements")
def statement_run_detail(request, pk: int):
    run = get_object_or_404(StatementRun, pk=pk)
    statements = (
        run.statements.select_related("patient")
        .defer("pdf")
        .order_by("patient__last_name", "patient__first_name")
    )
    page, query = page_of(request, statements)
    return render(
        request,
        "billing/statement_run.html",
        {"tab": "statements", "run": run, "page": page, "query": query,
         "has_batch": st.batch_path(run).exists()},
    )  # fmt: skip


@needs("view_statement", "download statements")
def statement_batch(request, pk: int):
    run = get_object_or_404(StatementRun, pk=pk)
    pdf = st.batch_pdf(run)
    if pdf is None:
        raise Http404("This run has no print batch (not finished, or no statements).")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="statements-{run.run_on}.pdf"'
    return response


@needs("view_statement", "see statements")
def statement_pdf(request, pk: int):
    statement = get_object_or_404(Statement, pk=pk)
    log_patient_access(
        request, patient_id=statement.patient_id, action=PRINT,
        object_type="statement", object_id=statement.pk,
    )  # fmt: skip
    response = HttpResponse(bytes(statement.pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="statement-{statement.statement_date}-{statement.patient_id}.pdf"'
    )
    return response


@require_POST
@needs("change_collectionsflag", "clear collections flags")
def collections_clear(request, pk: int):
    flag = get_object_or_404(CollectionsFlag, pk=pk)
    _change(
        request,
        lambda: st.clear_collections_flag(
            flag=flag, actor=request.user, note=request.POST.get("note", "")[:100]
        ),
        patient_id=flag.patient_id, object_type="collections_flag", object_id=flag.pk,
        detail="cleared", said="Collections flag cleared.",
    )  # fmt: skip
    if request.POST.get("next") == "statements":
        return redirect("statement_list")
    return redirect("patient_account", flag.patient_id)
