"""Fee schedule pages: the service list, one service with its payers' amounts, CSV import
(preview, then apply) and export, and loading the starter list."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from medoffice.billing import selectors
from medoffice.billing.errors import FieldErrors
from medoffice.billing.forms import ImportForm, PayerFeeForm, ServiceForm, ServiceSearchForm
from medoffice.billing.models import PayerFee, Service
from medoffice.billing.services import fee_import
from medoffice.billing.services.fee_schedules import save_service, set_payer_fee
from medoffice.billing.views.common import needs, page_of, show_refusal
from medoffice.patients.models import Payer


@needs("view_service", "see the fee schedule")
def fee_schedule(request):
    form = ServiceSearchForm(request.GET or None)
    text, status = "", "active"
    if form.is_valid():
        text = form.cleaned_data["q"]
        status = form.cleaned_data["status"] or "active"
    page, query = page_of(request, selectors.service_list(text=text, status=status))
    return render(
        request,
        "billing/fee_schedule.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "may_edit": request.user.has_perm("billing.change_service"),
            "empty_list": not Service.objects.exists(),
            "payers": Payer.objects.exclude(kind=Payer.SELF_PAY),
        },
    )


@needs("change_service", "change the fee schedule")
def service_edit(request, pk: int | None = None):
    service = get_object_or_404(Service, pk=pk) if pk else None
    if request.method == "POST":
        form = ServiceForm(request.POST)
        if form.is_valid():
            try:
                saved = save_service(service=service, **form.cleaned_data)
            except FieldErrors as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, f"{saved.label} saved.")
                return redirect("service_edit", pk=saved.pk)
    elif service:
        form = ServiceForm(
            initial={
                "code": service.code,
                "modifiers": service.modifiers,
                "description": service.description,
                "standard_charge": service.standard_charge,
                "rvus": service.rvus if service.rvus is not None else "",
                "active": service.active,
            }
        )
    else:
        form = ServiceForm()
    return _service_page(request, service, form, PayerFeeForm(prefix="fee"))


def _service_page(request, service, form, fee_form):
    fees = (
        PayerFee.objects.filter(service=service)
        .select_related("payer")
        .order_by("payer__name", "effective_date")
        if service
        else []
    )
    return render(
        request,
        "billing/service_form.html",
        {"service": service, "form": form, "fee_form": fee_form, "fees": fees},
    )


@require_POST
@needs("add_payerfee", "change the fee schedule")
def payer_fee_add(request, pk: int):
    service = get_object_or_404(Service, pk=pk)
    fee_form = PayerFeeForm(request.POST, prefix="fee")
    if fee_form.is_valid():
        try:
            set_payer_fee(service=service, **fee_form.cleaned_data)
        except FieldErrors as exc:
            show_refusal(fee_form, exc)
        else:
            messages.success(request, "Contracted amount saved.")
            return redirect("service_edit", pk=service.pk)
    form = ServiceForm(
        initial={
            "code": service.code,
            "modifiers": service.modifiers,
            "description": service.description,
            "standard_charge": service.standard_charge,
            "rvus": service.rvus if service.rvus is not None else "",
            "active": service.active,
        }
    )
    return _service_page(request, service, form, fee_form)


@needs("add_service", "import the fee schedule")
def fee_import_page(request):
    """Upload shows the preview; 'Apply' posts the same text back, checked again whole."""
    plan = text = None
    form = ImportForm()
    if request.method == "POST" and "apply" in request.POST:
        text = request.POST.get("text", "")
        kind = request.POST.get("kind", "")
        if kind == fee_import.PAYER_FEES and not request.user.has_perm("billing.add_payerfee"):
            messages.error(request, "Your role cannot import contracted amounts.")
            return redirect("fee_import")
        try:
            plan = fee_import.apply_import(kind=kind, text=text)
        except fee_import.ImportRejected as exc:
            plan = exc.plan
            messages.error(request, "Nothing was imported: the file has refused lines.")
        except FieldErrors as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"Imported: {len(plan.added)} added, {len(plan.changed)} changed, "
                f"{plan.unchanged} unchanged.",
            )
            return redirect("fee_schedule")
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                text = fee_import.decode(form.cleaned_data["file"].read())
            except FieldErrors as exc:
                show_refusal(form, exc)
            else:
                kind = form.cleaned_data["kind"] or fee_import.detect_kind(text)
                if kind is None:
                    form.add_error(
                        "kind",
                        "The header names neither a service list nor contracted amounts; "
                        "choose which it is.",
                    )
                else:
                    plan = fee_import.preview_import(kind=kind, text=text)
    return render(request, "billing/fee_import.html", {"form": form, "plan": plan, "text": text})


@needs("view_service", "see the fee schedule")
def fee_export(request, kind: str):
    if kind == fee_import.SERVICES:
        text = fee_import.export_services()
    elif kind == fee_import.PAYER_FEES:
        text = fee_import.export_payer_fees()
    else:
        return HttpResponse("Unknown export.", status=404)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response


@require_POST
@needs("add_service", "change the fee schedule")
def load_starter(request):
    try:
        plan = fee_import.load_starter_services()
    except FieldErrors as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Starter list: {len(plan.added)} services added, {plan.unchanged} already there.",
        )
    return redirect("fee_schedule")
