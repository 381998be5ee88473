"""Denial pages: the work queue (filters, grouping, paging), one denial with its actions and
the appeal letter, write-offs waiting for approval, denial rates, and underpayments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from medoffice.billing import carc
from medoffice.billing import denial_selectors as sel
from medoffice.billing.errors import DomainError, FieldErrors
from medoffice.billing.models import Denial, WriteOffRequest
from medoffice.billing.services import denials as svc
from medoffice.billing.views.common import needs, page_of, show_refusal
from medoffice.core.audit import UPDATE, VIEW, log_patient_access
from medoffice.patients.models import Payer

PAYERS = Payer.objects.exclude(kind=Payer.SELF_PAY)
DATE = forms.DateInput(attrs={"type": "date"})


class QueueFilterForm(forms.Form):
    payer = forms.ModelChoiceField(PAYERS, required=False, empty_label="Any payer")
    reason = forms.CharField(required=False, max_length=5, label="Reason code")
    age = forms.ChoiceField(
        required=False, choices=[("", "Any age"), *[(c, lbl) for c, lbl, _l, _h in sel.AGE_BUCKETS]]
    )
    status = forms.ChoiceField(required=False, choices=sel.STATUS_FILTERS)
    min_amount = forms.DecimalField(
        required=False, min_value=0, max_digits=12, decimal_places=2, label="Amount at least ($)"
    )
    group = forms.ChoiceField(
        required=False, choices=[("", "No grouping"), *sel.GROUPINGS.items()], label="Group by"
    )


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=300)


class AppealForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=svc.APPEAL_TEXT_MAX,
        label="Why the claim should be paid",
        help_text="Goes into the letter as written; leave a blank line between paragraphs.",
    )


class WriteOffForm(forms.Form):
    amount = forms.CharField(max_length=20, label="Amount ($)")
    reason = forms.CharField(max_length=200)

    def clean_amount(self):
        try:
            return svc.parse_amount(self.cleaned_data["amount"])
        except FieldErrors as exc:
            raise forms.ValidationError(exc.message) from None


class ToPatientForm(forms.Form):
    note = forms.CharField(max_length=300, required=False)


class PeriodForm(forms.Form):
    since = forms.DateField(required=False, widget=DATE, label="From")
    until = forms.DateField(required=False, widget=DATE, label="to")


class UnderpaymentFilterForm(PeriodForm):
    payer = forms.ModelChoiceField(PAYERS, required=False, empty_label="Any payer")


def _queue_filters(form) -> sel.DenialFilters:
    if not form.is_valid():
        return sel.DenialFilters()
    data = form.cleaned_data
    return sel.DenialFilters(
        payer_id=data["payer"].pk if data["payer"] else None,
        reason=data["reason"].strip().upper(),
        age=data["age"],
        status=data["status"] or sel.STATUS_WORKING,
        min_amount=data["min_amount"],
    )


@needs("view_denial", "see denials")
def denial_queue(request):
    form = QueueFilterForm(request.GET or None)
    filters = _queue_filters(form)
    group = form.cleaned_data.get("group", "") if form.is_bound and form.is_valid() else ""
    page, query = page_of(request, sel.denial_queue(filters))
    today = timezone.localdate()
    rows = [(d, carc.carc(d.reason_code), (today - d.denied_on).days) for d in page.object_list]
    count, total = sel.queue_totals(filters)
    return render(
        request,
        "billing/denials.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query,
            "groups": sel.denial_groups(filters, by=group) if group else [],
            "group_name": sel.GROUPINGS.get(group, ""),
            "count": count,
            "total": total,
        },
    )


def _detail_context(request, denial: Denial, **forms_given) -> dict:
    may_act = request.user.has_perm("billing.change_denial")
    return {
        "denial": denial,
        "claim": denial.claim,
        "reason": carc.carc(denial.reason_code),
        "group": carc.group_label(denial.group),
        "remarks": carc.remark_list(denial.remark_codes),
        "working": denial.status in svc.WORKING,
        "may_act": may_act,
        "may_write_off": request.user.has_perm("billing.add_writeoffrequest"),
        "threshold": svc.approval_threshold(),
        "appeal_record": svc.recorded_appeal(denial),
        "write_offs": denial.write_offs.select_related("requested_by", "decided_by"),
        "payer_owes": svc._payer_owes(denial.claim, denial.payer_id),
        "resubmit_form": forms_given.get("resubmit") or NoteForm(prefix="resubmit"),
        "appeal_form": forms_given.get("appeal") or AppealForm(prefix="appeal"),
        "write_off_form": forms_given.get("write_off")
        or WriteOffForm(prefix="write_off", initial={"amount": denial.amount}),
        "to_patient_form": forms_given.get("to_patient") or ToPatientForm(prefix="to_patient"),
        "resolve_form": forms_given.get("resolve") or NoteForm(prefix="resolve"),
        "preview": forms_given.get("preview"),
    }


def _denial(pk: int) -> Denial:
    return get_object_or_404(
        Denial.objects.select_related(
            "claim", "claim__patient", "claim__coverage", "payer", "line", "claim_payment",
            "closed_by",
        ),
        pk=pk,
    )  # fmt: skip


@needs("view_denial", "see denials")
def denial_detail(request, pk: int):
    denial = _denial(pk)
    log_patient_access(
        request, patient_id=denial.claim.patient_id, action=VIEW, object_type="denial",
        object_id=denial.pk,
    )  # fmt: skip
    return render(request, "billing/denial_detail.html", _detail_context(request, denial))


ACTIONS = ("resubmit", "appeal", "preview", "write_off", "to_patient", "resolve")


@require_POST
@needs("change_denial", "work denials")
def denial_action(request, pk: int):
    denial = _denial(pk)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, "Unknown action.")
        return redirect("denial_detail", pk=denial.pk)
    prefix = "appeal" if action == "preview" else action
    form_class = {
        "resubmit": NoteForm, "appeal": AppealForm, "write_off": WriteOffForm,
        "to_patient": ToPatientForm, "resolve": NoteForm,
    }[prefix]  # fmt: skip
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "preview":
                html = svc.appeal_letter_html(denial, text=data["text"])
                context = _detail_context(request, denial, appeal=form, preview=html)
                return render(request, "billing/denial_detail.html", context)
            done = _act(request, denial, action, data)
        except FieldErrors as exc:
            show_refusal(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("denial_detail", pk=denial.pk)
        else:
            log_patient_access(
                request, patient_id=denial.claim.patient_id, action=UPDATE,
                object_type="denial", object_id=denial.pk, detail=action,
            )  # fmt: skip
            messages.success(request, done)
            return redirect("denial_detail", pk=denial.pk)
    context = _detail_context(request, denial, **{prefix: form})
    return render(request, "billing/denial_detail.html", context, status=422)


def _act(request, denial: Denial, action: str, data: dict) -> str:
    user = request.user
    if action == "resubmit":
        if not user.has_perm("billing.add_claim"):
            raise PermissionDenied("Your role cannot make claims.")
        claim = svc.resubmit_corrected(denial=denial, actor=user, note=data["note"])
        return f"Claim {claim.patient_control_number} is ready to correct and scrub."
    if action == "appeal":
        svc.appeal(denial=denial, actor=user, text=data["text"])
        return "Appeal recorded. Download the letter below and send it with the records."
    if action == "write_off":
        if not user.has_perm("billing.add_writeoffrequest"):
            raise PermissionDenied("Your role cannot ask for write-offs.")
        req = svc.request_write_off(
            denial=denial, actor=user, amount=data["amount"], reason=data["reason"]
        )
        if req.status == WriteOffRequest.PENDING:
            return f"Write-off of ${req.amount} is waiting for an office manager's approval."
        return f"${req.amount} written off."
    if action == "to_patient":
        svc.move_to_patient(denial=denial, actor=user, note=data["note"])
        return "The denied amount is now the patient's to pay."
    svc.resolve(denial=denial, actor=user, note=data["note"])
    return "Denial closed as resolved."


@needs("view_denial", "see denials")
def appeal_letter(request, pk: int):
    """The recorded appeal's letter as PDF (made again from the denial each time)."""
    denial = _denial(pk)
    try:
        pdf = svc.appeal_letter_pdf(denial)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("denial_detail", pk=denial.pk)
    log_patient_access(
        request, patient_id=denial.claim.patient_id, action=VIEW, object_type="appeal_letter",
        object_id=denial.pk,
    )  # fmt: skip
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"appeal-{denial.claim.patient_control_number}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@needs("view_writeoffrequest", "see write-offs")
def write_offs(request):
    status = request.GET.get("status", WriteOffRequest.PENDING)
    qs = WriteOffRequest.objects.select_related(
        "patient", "payer", "claim", "denial", "requested_by", "decided_by"
    ).order_by("requested_at", "pk")
    if status in dict(WriteOffRequest.STATUS_CHOICES):
        qs = qs.filter(status=status)
    page, query = page_of(request, qs)
    return render(
        request,
        "billing/writeoffs.html",
        {
            "page": page,
            "query": query,
            "status": status,
            "statuses": WriteOffRequest.STATUS_CHOICES,
            "may_decide": svc.may_decide_write_offs(request.user),
            "threshold": svc.approval_threshold(),
        },
    )


@require_POST
@needs("change_writeoffrequest", "decide write-offs")
def write_off_decide(request, pk: int):
    req = get_object_or_404(WriteOffRequest, pk=pk)
    decision = request.POST.get("decision", "")
    try:
        if decision == "approve":
            svc.approve_write_off(request=req, actor=request.user)
            messages.success(request, f"Write-off of ${req.amount} approved and posted.")
        elif decision == "refuse":
            svc.refuse_write_off(request=req, actor=request.user, note=request.POST.get("note", ""))
            messages.success(request, f"Write-off of ${req.amount} refused.")
        else:
            messages.error(request, "Choose approve or refuse.")
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from None
        messages.error(request, exc.message)
    else:
        log_patient_access(
            request, patient_id=req.patient_id, action=UPDATE, object_type="write_off",
            object_id=req.pk, detail=decision,
        )  # fmt: skip
    return redirect("write_offs")


def _period(form) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    data = form.cleaned_data if form.is_valid() else {}
    until = data.get("until") or today
    since = data.get("since") or until - dt.timedelta(days=89)
    return since, until


@needs("view_denial", "see denials")
def denial_stats(request):
    form = PeriodForm(request.GET or None)
    since, until = _period(form)
    if since > until:
        form.add_error("since", "The start comes after the end.")
        stats = []
    else:
        stats = sel.denial_stats(since=since, until=until)
    return render(
        request,
        "billing/denial_stats.html",
        {"form": form, "stats": stats, "since": since, "until": until},
    )


def _underpayment_filters(form) -> sel.UnderpaymentFilters:
    if not form.is_valid():
        return sel.UnderpaymentFilters()
    data = form.cleaned_data
    return sel.UnderpaymentFilters(
        payer_id=data["payer"].pk if data["payer"] else None,
        since=data["since"],
        until=data["until"],
    )


@needs("view_remittance", "see payments")
def underpayments(request):
    form = UnderpaymentFilterForm(request.GET or None)
    filters = _underpayment_filters(form)
    page, query = page_of(request, sel.underpaid_lines(filters))
    totals = sel.underpayment_totals(filters)
    return render(
        request,
        "billing/underpayments.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "totals": totals,
            "grand": sum((t.short for t in totals), start=Decimal("0.00")),
        },
    )


@needs("view_remittance", "see payments")
def underpayments_csv(request):
    form = UnderpaymentFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return HttpResponse(problems, status=422, content_type="text/plain")
    filters = _underpayment_filters(form)
    text = sel.underpayments_csv(filters)
    payer = form.cleaned_data.get("payer") if form.is_bound else None
    slug = f"payer-{payer.pk}" if payer else "all-payers"
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    name = f"underpayments-{slug}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
