"""The secondary claims page: visits waiting for a claim to their next payer, and the
button that builds (and scrubs) those claims."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from medoffice.billing.models import Claim
from medoffice.billing.services.secondary import (
    build_secondary_claims,
    visits_waiting_for_secondary,
)
from medoffice.billing.views.common import needs
from medoffice.core.audit import UPDATE, log_patient_access


@needs("view_claim", "see claims")
def secondary_waiting(request):
    return render(
        request,
        "billing/secondary.html",
        {
            "waiting": visits_waiting_for_secondary(),
            "may_build": request.user.has_perm("billing.add_claim"),
        },
    )


@require_POST
@needs("add_claim", "build claims")
def secondary_build(request):
    ticked = [int(x) for x in request.POST.getlist("charge") if x.isascii() and x.isdigit()]
    summary = build_secondary_claims(actor=request.user, charge_ids=ticked or None)
    for claim_id, patient_id in Claim.objects.filter(pk__in=summary.built).values_list(
        "pk", "patient_id"
    ):
        log_patient_access(
            request, patient_id=patient_id, action=UPDATE, object_type="claim", object_id=claim_id
        )
    messages.success(request, summary.describe())
    for reason in sorted(set(summary.skipped.values())):
        messages.warning(request, f"Skipped: {reason}")
    return redirect("secondary_waiting")
