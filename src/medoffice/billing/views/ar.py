"""A/R pages: the aging (by payer or by patient, at any day, as CSV too) with the metrics panel,
a payer's or a patient's open visits, and closing a month."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from medoffice.billing import ar
from medoffice.billing.errors import DomainError
from medoffice.billing.services import ledger
from medoffice.billing.views.common import needs, page_of
from medoffice.core import csvsafe
from medoffice.core.audit import VIEW, log_patient_access
from medoffice.patients.models import Patient, Payer


class AgingForm(forms.Form):
    by = forms.ChoiceField(
        choices=[(ar.BY_PAYER, "By payer"), (ar.BY_PATIENT, "By patient")], required=False
    )
    as_of = forms.DateField(
        label="As of", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class CloseForm(forms.Form):
    month = forms.CharField(max_length=7)
    confirm = forms.BooleanField(
        label="I have checked these totals; close the month", required=True
    )

    def clean_month(self) -> dt.date:
        text = self.cleaned_data["month"]
        try:
            return dt.date.fromisoformat(f"{text}-01")
        except ValueError:
            raise forms.ValidationError("Give the month as YYYY-MM.") from None


def _aging_params(request) -> tuple[AgingForm, str, dt.date]:
    form = AgingForm(request.GET or None)
    by, as_of = ar.BY_PAYER, ledger.books_today()
    if form.is_valid():
        by = form.cleaned_data["by"] or by
        as_of = form.cleaned_data["as_of"] or as_of
    elif request.GET.get("by") == ar.BY_PATIENT:  # a bad day: today, the chosen view kept
        by = ar.BY_PATIENT
    return form, by, as_of


def _csv(report: ar.Aging) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="ar-aging-by-{report.by}-{report.as_of}.csv"'
    )
    csvsafe.writer(response).writerows(ar.aging_table(report))
    return response


@needs("view_ledgerentry", "see accounts receivable")
def ar_aging(request):
    form, by, as_of = _aging_params(request)
    report = ar.aging_buckets(as_of, by=by)
    if request.GET.get("format") == "csv":
        return _csv(report)
    page, query = page_of(request, report.rows, size=100)
    return render(
        request,
        "billing/ar.html",
        {
            "form": form,
            "report": report,
            "page": page,
            "query": query,
            "by": by,
            "as_of": as_of,
            "metrics": ar.standard_metrics(ledger.books_today()),
            "may_close": ledger.may_close_months(request.user),
        },
    )


@needs("view_ledgerentry", "see accounts receivable")
def ar_visits(request):
    """The open visits behind one aging row: a payer's, or one patient's (all their shares)."""
    form, _by, as_of = _aging_params(request)
    payer = patient = None
    if request.GET.get("payer"):
        payer = get_object_or_404(Payer, pk=_int(request.GET["payer"]))
    elif request.GET.get("patient"):
        patient = get_object_or_404(Patient, pk=_int(request.GET["patient"]))
        log_patient_access(request, patient_id=patient.pk, action=VIEW, detail="A/R open visits")
    elif request.GET.get("self") != "1":
        return redirect("ar_aging")
    visits = ar.open_visits(
        as_of,
        payer_id=payer.pk if payer else None,
        patient_id=patient.pk if patient else None,
    )
    if payer is None and patient is None:  # the "Patient" row: every patient's own share
        visits = [v for v in visits if v.payer_id is None]
    page, query = page_of(request, visits, size=100)
    return render(
        request,
        "billing/ar_visits.html",
        {
            "form": form,
            "payer": payer,
            "patient": patient,
            "as_of": as_of,
            "page": page,
            "query": query,
            "total": sum((v.balance for v in visits), ar.ZERO),
        },
    )


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


@needs("view_ledgerentry", "see accounts receivable")
def period_close(request):
    today = ledger.books_today()
    may_close = ledger.may_close_months(request.user)
    form = None
    if request.method == "POST":
        if not may_close:
            raise PermissionDenied("Only the office manager can close a month.")
        form = CloseForm(request.POST)
        if form.is_valid():
            month = form.cleaned_data["month"]
            try:
                ledger.close_month(month=month, actor=request.user)
            except DomainError as exc:
                form.add_error("month", exc.message)
            else:
                messages.success(
                    request, f"{month:%B %Y} is closed; later corrections post to the open month."
                )
                return redirect("period_close")
    upcoming = ar.next_month_to_close(today)
    if form is None and upcoming is not None:
        form = CloseForm(initial={"month": f"{upcoming:%Y-%m}"})
    return render(
        request,
        "billing/period_close.html",
        {
            "closed": ar.closed_months(),
            "upcoming": upcoming,
            "totals": ar.month_totals(upcoming) if upcoming else None,
            "form": form,
            "may_close": may_close,
        },
    )
