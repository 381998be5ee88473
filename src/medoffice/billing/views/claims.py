"""Claim pages: the list with filters and status counts, one claim with its lines, history
and scrubber findings (each with a link to where it is fixed), its status actions, and the
scrubber's rule table with per-payer choices."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from medoffice.billing import selectors
from medoffice.billing.errors import DomainError
from medoffice.billing.forms import ClaimFilterForm
from medoffice.billing.models import (
    AcknowledgementFile,
    Claim,
    ClaimBatch,
    PayerScrubRule,
    ScrubRule,
    SubmissionSettings,
)
from medoffice.billing.services import claims as claim_services
from medoffice.billing.services.acknowledgements import MAX_BYTES, import_acknowledgement
from medoffice.billing.services.batches import create_batch, ready_claims
from medoffice.billing.services.scrubber import scrub_claims, set_rule_default, set_rule_for_payer
from medoffice.billing.services.submission import destination_of, queue_send
from medoffice.billing.views.common import may_set_rules, needs, page_of
from medoffice.core.audit import UPDATE, VIEW, log_patient_access
from medoffice.patients.models import Payer

SCRUB_LIMIT = 20_000


def _filters(request) -> tuple[ClaimFilterForm, selectors.ClaimFilters]:
    form = ClaimFilterForm(request.GET or None)
    if not form.is_valid():
        return form, selectors.ClaimFilters()
    data = form.cleaned_data
    return form, selectors.ClaimFilters(
        status=data["status"] or "",
        payer_id=data["payer"].pk if data["payer"] else None,
        since=data["since"],
        until=data["until"],
        text=data["q"],
    )


@needs("view_claim", "see claims")
def claim_list(request):
    form, filters = _filters(request)
    page, query = page_of(request, selectors.claim_list(filters))
    base = request.GET.copy()
    base.pop("page", None)
    base.pop("status", None)
    return render(
        request,
        "billing/claim_list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "counts": selectors.claim_status_counts(filters),
            "status": filters.status,
            "base_query": base.urlencode(),
            "may_scrub": request.user.has_perm("billing.change_claim"),
        },
    )


READY_LIMIT = 20_000


@require_POST
@needs("change_claim", "mark claims ready to send")
def ready_listed(request):
    """Mark ready the ticked claims, or else the unsent claims the list's filters select;
    only scrubbed claims with no scrubber error move, the others are counted by why."""
    ticked = [int(x) for x in request.POST.getlist("claim") if x.isascii() and x.isdigit()]
    if ticked:
        ids = ticked[:READY_LIMIT]
    else:
        request.GET = QueryDict(request.POST.get("query", ""))  # the list's filters, as shown
        _form, filters = _filters(request)
        ids = list(
            selectors.claim_list(filters)
            .filter(status__in=(Claim.DRAFT, Claim.SCRUBBED))
            .values_list("pk", flat=True)[:READY_LIMIT]
        )
    summary = claim_services.mark_scrubbed_ready(actor=request.user, claim_ids=ids)
    (messages.success if summary.moved else messages.warning)(request, summary.describe())
    query = request.POST.get("query", "")
    return redirect(reverse("claim_list") + (f"?{query}" if query else ""))


@require_POST
@needs("change_claim", "scrub claims")
def scrub_listed(request):
    """Scrub the unsent claims the list's filters select (at most 20,000 at once)."""
    request.GET = QueryDict(request.POST.get("query", ""))  # the list's filters, as shown
    _form, filters = _filters(request)
    ids = list(
        selectors.claim_list(filters)
        .filter(status__in=Claim.UNSENT)
        .values_list("pk", flat=True)[:SCRUB_LIMIT]
    )
    summary = scrub_claims(actor=request.user, claim_ids=ids)
    messages.success(
        request,
        f"Scrubbed {summary.claims} claim{'s' if summary.claims != 1 else ''}: "
        f"{summary.clean} clean, {summary.with_errors} with errors.",
    )
    query = request.POST.get("query", "")
    return redirect(reverse("claim_list") + (f"?{query}" if query else ""))


ACTIONS = {
    # action: (label, target status or None for a special service)
    "scrub": ("Scrub", None),
    "ready": ("Mark ready to send", Claim.READY),
    "submitted": ("Record as submitted", Claim.SUBMITTED),
    "accepted": ("Record acceptance", Claim.ACCEPTED),
    "rejected": ("Record rejection", Claim.REJECTED),
    "paid": ("Record as paid", Claim.PAID),
    "partly_paid": ("Record as partly paid", Claim.PARTLY_PAID),
    "denied": ("Record denial", Claim.DENIED),
    "closed": ("Close", Claim.CLOSED),
    "reopen": ("Reopen to correct", Claim.DRAFT),
    "replace": ("Send a replacement (7)", None),
    "void": ("Void (8)", None),
}


def _actions_for(claim: Claim) -> list[tuple[str, str]]:
    allowed = Claim.TRANSITIONS.get(claim.status, ())
    out = []
    if claim.status in Claim.UNSENT:
        out.append(("scrub", ACTIONS["scrub"][0]))
    for action, (label, to) in ACTIONS.items():
        if to is not None and to in allowed and to != Claim.SCRUBBED:
            if to == Claim.DRAFT and claim.status not in (
                Claim.REJECTED,
                Claim.SCRUBBED,
                Claim.READY,
            ):
                continue
            out.append((action, label))
    adjudicated = claim.status in (*Claim.ADJUDICATED, Claim.CLOSED)
    if adjudicated and claim.payer_claim_number and claim.frequency_code != Claim.VOID:
        out += [("replace", ACTIONS["replace"][0]), ("void", ACTIONS["void"][0])]
    return out


@needs("view_claim", "see claims")
def claim_detail(request, pk: int):
    claim = selectors.claim_detail(pk)
    if claim is None:
        return get_object_or_404(Claim, pk=pk)
    log_patient_access(
        request, patient_id=claim.patient_id, action=VIEW, object_type="claim", object_id=claim.pk
    )
    findings = [(f, selectors.fix_url(f, claim)) for f in claim.findings.all()]
    lines = list(claim.lines.all())
    events = list(claim.events.all())
    rejection = None
    if claim.status == Claim.REJECTED:
        rejection = next((e for e in reversed(events) if e.to_status == Claim.REJECTED), None)
    return render(
        request,
        "billing/claim_detail.html",
        {
            "claim": claim,
            "lines": lines,
            "diagnoses": list(enumerate(claim.diagnoses, start=1)),
            "findings": findings,
            "errors": sum(1 for f, _ in findings if f.severity == ScrubRule.ERROR),
            "events": events,
            "rejection": rejection,
            "actions": _actions_for(claim) if request.user.has_perm("billing.change_claim") else [],
            "corrections": claim.corrections.all(),
        },
    )


@require_POST
@needs("change_claim", "change claims")
def claim_action(request, pk: int):
    claim = get_object_or_404(Claim, pk=pk)
    action = request.POST.get("action", "")
    note = request.POST.get("note", "").strip()
    try:
        if action == "scrub":
            summary = scrub_claims(actor=request.user, claim_ids=[claim.pk])
            messages.success(
                request,
                "Scrubbed: no errors." if summary.clean else "Scrubbed: errors to fix below.",
            )
        elif action in ("replace", "void"):
            if not request.user.has_perm("billing.add_claim"):
                raise PermissionDenied("Your role cannot make claims.")
            service = (
                claim_services.replace_claim if action == "replace" else claim_services.void_claim
            )
            new = service(actor=request.user, claim=claim, note=note)
            messages.success(request, f"Claim {new.patient_control_number} made.")
            return redirect("claim_detail", pk=new.pk)
        elif action == "reopen":
            claim_services.reopen_claim(actor=request.user, claim=claim, note=note)
        elif action in ACTIONS and ACTIONS[action][1]:
            claim_services.move_claim(
                actor=request.user,
                claim=claim,
                to=ACTIONS[action][1],
                note=note,
                payer_claim_number=request.POST.get("payer_claim_number", ""),
            )
        else:
            messages.error(request, "Unknown action.")
            return redirect("claim_detail", pk=claim.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        log_patient_access(
            request, patient_id=claim.patient_id, action=UPDATE, object_type="claim",
            object_id=claim.pk, detail=action,
        )  # fmt: skip
    return redirect("claim_detail", pk=claim.pk)


@needs("view_scrubrule", "see the scrubber's rules")
def scrub_rules(request):
    editable = may_set_rules(request.user)
    payers = list(Payer.objects.exclude(kind=Payer.SELF_PAY).filter(active=True))
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("Only the office manager changes the scrubber's rules.")
        rule = get_object_or_404(ScrubRule, code=request.POST.get("rule", ""))
        payer_id = request.POST.get("payer")
        choice = request.POST.get("enabled", "")
        try:
            if payer_id:
                payer = get_object_or_404(Payer, pk=payer_id)
                value = {"on": True, "off": False}.get(choice)
                set_rule_for_payer(rule=rule, payer=payer, enabled=value)
            else:
                set_rule_default(
                    rule=rule,
                    enabled=choice == "on",
                    severity=request.POST.get("severity") or None,
                )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"“{rule.title}” saved.")
        return redirect("scrub_rules")
    overrides = {(p.rule_id, p.payer_id): p.enabled for p in PayerScrubRule.objects.all()}
    rows = [
        {
            "rule": rule,
            "payers": [
                {
                    "payer": payer,
                    "setting": overrides.get((rule.pk, payer.pk)),
                    "effective": overrides.get((rule.pk, payer.pk), rule.enabled),
                }
                for payer in payers
            ],
        }
        for rule in ScrubRule.objects.all()
    ]
    return render(
        request,
        "billing/scrub_rules.html",
        {"rows": rows, "payers": payers, "editable": editable},
    )


@needs("view_claimbatch", "see claim batches")
def batch_list(request):
    page, query = page_of(
        request, ClaimBatch.objects.select_related("payer", "created_by", "sent_by")
    )
    payers = Payer.objects.exclude(kind=Payer.SELF_PAY)
    settings = SubmissionSettings.objects.order_by("pk").first()
    return render(
        request,
        "billing/batches.html",
        {
            "page": page,
            "query": query,
            "ready": ready_claims().count(),
            "payers": payers,
            "configured": settings is not None,
            "destination": destination_of(settings) if settings else "",
            "may_create": request.user.has_perm("billing.add_claimbatch"),
            "may_import": request.user.has_perm("billing.add_acknowledgementfile"),
        },
    )


@require_POST
@needs("add_claimbatch", "send claim batches")
def batch_send(request, pk: int):
    """Send (or send again) a batch's file: the worker delivers it and retries on failure."""
    batch = get_object_or_404(ClaimBatch, pk=pk)
    try:
        queue_send(batch=batch, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Batch {batch.interchange_control_number:09d} is on its way; this page shows "
            "when it has been delivered.",
        )
    return redirect("batch_list")


class AcknowledgementForm(forms.Form):
    file = forms.FileField(
        label="999 or 277CA file",
        help_text="The acknowledgement file as the clearinghouse sent it.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES // 2**20} MB.")
        return upload


@needs("add_acknowledgementfile", "import acknowledgements")
def ack_import(request):
    """Upload a 999 or 277CA: it is applied to the batches and claims at once, with its report."""
    result = None
    form = AcknowledgementForm()
    if request.method == "POST":
        form = AcknowledgementForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = import_acknowledgement(
                    upload.read(), actor=request.user, filename=upload.name or ""
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(request, f"{upload.name}: {result.summary()}")
    recent = AcknowledgementFile.objects.select_related("imported_by").defer("text")[:20]
    return render(
        request,
        "billing/ack_import.html",
        {"form": form, "result": result, "recent": recent},
    )


@require_POST
@needs("add_claimbatch", "make claim batches")
def batch_create(request):
    payer = None
    if request.POST.get("payer"):
        payer = get_object_or_404(Payer, pk=request.POST["payer"])
    since = None
    if request.POST.get("since"):
        try:
            since = dt.date.fromisoformat(request.POST["since"])
        except ValueError:
            messages.error(request, "“Visits from” is not a date.")
            return redirect("batch_list")
    try:
        batch = create_batch(actor=request.user, payer=payer, since=since)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Batch {batch.interchange_control_number:09d}: {batch.claim_count} claims "
            f"(${batch.total_charge}) ready to download and send.",
        )
    return redirect("batch_list")


@needs("view_claimbatch", "see claim batches")
def batch_download(request, pk: int):
    batch = get_object_or_404(ClaimBatch, pk=pk)
    response = HttpResponse(batch.text, content_type="text/plain; charset=ascii")
    response["Content-Disposition"] = f'attachment; filename="{batch.file_name}"'
    return response
