"""Remittance pages: the payments imported (search, paging), importing an 835 with its report,
one payment's claims, lines and adjustments, and the unmatched queue (match or dismiss)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from medoffice.billing.errors import DomainError
from medoffice.billing.models import Claim, ClaimPayment, RemittanceFile
from medoffice.billing.services import remittances as svc
from medoffice.billing.views.common import needs, page_of
from medoffice.core.audit import UPDATE, VIEW, log_patient_access

MAX_BYTES = 200 * 1024 * 1024


class RemittanceFilterForm(forms.Form):
    q = forms.CharField(label="Payer or trace number", required=False, max_length=80)
    since = forms.DateField(label="Paid from", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    until = forms.DateField(label="Paid until", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip


class RemittanceUploadForm(forms.Form):
    file = forms.FileField(label="835 file", help_text="The remittance file as the payer sent it.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES // 2**20} MB.")
        return upload


class DismissForm(forms.Form):
    note = forms.CharField(label="Why", max_length=300)


@needs("view_remittance", "see remittances")
def remittance_list(request):
    form = RemittanceFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = svc.remittance_list(
        text=data.get("q") or "", since=data.get("since"), until=data.get("until")
    )
    page, query = page_of(request, qs)
    return render(
        request,
        "billing/remittance_list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "unmatched": svc.unmatched_queue().count(),
            "may_import": request.user.has_perm("billing.add_remittancefile"),
        },
    )


@needs("add_remittancefile", "import remittances")
def remittance_import(request):
    """Upload an 835: posted whole or refused whole, with the report shown."""
    report = None
    form = RemittanceUploadForm()
    if request.method == "POST":
        form = RemittanceUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = svc.import_835(upload.read(), actor=request.user,
                                        filename=upload.name or "")  # fmt: skip
            except DomainError as exc:
                form.add_error("file", exc.message)
    recent = RemittanceFile.objects.select_related("imported_by").defer("text")[:20]
    return render(
        request,
        "billing/remittance_import.html",
        {
            "form": form,
            "report": report,
            "report_text": report.text() if report else "",
            "recent": recent,
        },
    )


@needs("view_remittance", "see remittances")
def remittance_detail(request, pk: int):
    remittance = get_object_or_404(svc.remittance_list(), pk=pk)
    page, query = page_of(request, svc.remittance_claims(remittance), size=100)
    for patient_id in {cp.claim.patient_id for cp in page.object_list if cp.claim_id}:
        log_patient_access(request, patient_id=patient_id, action=VIEW,
                           object_type="remittance", object_id=remittance.pk)  # fmt: skip
    return render(
        request,
        "billing/remittance_detail.html",
        {
            "remittance": remittance,
            "summary": svc.summary_of(remittance),
            "page": page,
            "query": query,
            "plb": remittance.provider_adjustments.all(),
        },
    )


@needs("view_claimpayment", "see the unmatched payments")
def remittance_unmatched(request):
    page, query = page_of(request, svc.unmatched_queue())
    text = request.GET.get("find", "").strip()[:80]
    return render(
        request,
        "billing/remittance_unmatched.html",
        {
            "page": page,
            "query": query,
            "find": text,
            "candidates": svc.find_claims(text) if text else [],
            "for_payment": request.GET.get("payment", ""),
            "may_change": request.user.has_perm("billing.change_claimpayment"),
        },
    )


@require_POST
@needs("change_claimpayment", "match payments to claims")
def claim_payment_match(request, pk: int):
    cp = get_object_or_404(ClaimPayment, pk=pk)
    claim = Claim.objects.filter(pk=request.POST.get("claim") or 0).first()
    if claim is None:
        messages.error(request, "Choose the claim this payment belongs to.")
        return redirect("remittance_unmatched")
    try:
        _, warnings = svc.match_claim_payment(claim_payment=cp, claim=claim, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("remittance_unmatched")
    log_patient_access(request, patient_id=claim.patient_id, action=UPDATE,
                       object_type="claim", object_id=claim.pk)  # fmt: skip
    messages.success(
        request,
        f"Payment of ${cp.paid} posted to claim {claim.patient_control_number}."
        + "".join(f" {w}." for w in warnings),
    )
    return redirect("remittance_unmatched")


@require_POST
@needs("change_claimpayment", "dismiss unmatched payments")
def claim_payment_dismiss(request, pk: int):
    cp = get_object_or_404(ClaimPayment, pk=pk)
    form = DismissForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        svc.dismiss_claim_payment(claim_payment=cp, actor=request.user, note=note)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Payment {cp.patient_control_number} taken off the queue.")
    return redirect("remittance_unmatched")
