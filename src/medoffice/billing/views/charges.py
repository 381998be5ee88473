"""Charge entry after check-out: the list of visits ready to bill, and one visit's charges.

Saving new charges also builds the visit's first claim (to the primary payer
active that day; none for a self-pay visit) and opens it. Every view of a
patient's charges writes the PHI access log.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from medoffice.billing import selectors
from medoffice.billing.errors import DomainError, FieldErrors
from medoffice.billing.forms import ChargeHeaderForm
from medoffice.billing.models import Charge
from medoffice.billing.services import claims as claim_services
from medoffice.billing.services.charges import LineInput, enter_charges, update_charges
from medoffice.billing.views.common import needs, page_of
from medoffice.core.audit import CREATE, UPDATE, VIEW, log_patient_access
from medoffice.scheduling.models import Appointment

DIAGNOSIS_BOXES = 12
LINE_FIELDS = ("code", "modifiers", "units", "pointers", "charge")


@needs("add_charge", "enter charges")
def ready_to_bill(request):
    page, query = page_of(request, selectors.visits_ready_to_bill())
    return render(request, "billing/ready.html", {"page": page, "query": query})


def _rows(post=None, charge: Charge | None = None, errors: dict | None = None):
    """The diagnosis boxes and line rows to show: as posted, as stored, or empty."""
    errors = errors or {}
    if post is not None:
        dx = [post.get(f"dx{n}", "") for n in range(1, DIAGNOSIS_BOXES + 1)]
        count = int(post.get("line_count", 6) or 6)
        lines = [
            {f: post.get(f"line{n}_{f}", "") for f in LINE_FIELDS}
            for n in range(1, min(count, 50) + 1)
        ]
    elif charge is not None:
        dx = [d.code for d in charge.diagnoses.all()]
        lines = [
            {
                "code": x.code,
                "modifiers": x.modifiers,
                "units": x.units,
                "pointers": x.diagnosis_pointers,
                "charge": x.charge_amount,
            }
            for x in charge.lines.all()
        ]
    else:
        dx, lines = [], []
    dx = (dx + [""] * DIAGNOSIS_BOXES)[:DIAGNOSIS_BOXES]
    wanted = len(lines) if post is not None else max(6, len(lines) + 2)
    lines += [dict.fromkeys(LINE_FIELDS, "") for _ in range(wanted - len(lines))]
    dx_rows = [
        {"n": n, "value": v, "error": " ".join(errors.get(f"diagnoses.{n}", []))}
        for n, v in enumerate(dx, start=1)
    ]
    line_rows = [
        {
            "n": n,
            **row,
            "errors": {f: " ".join(errors.get(f"lines.{n}.{f}", [])) for f in LINE_FIELDS},
        }
        for n, row in enumerate(lines, start=1)
    ]
    return dx_rows, line_rows


def _typed(post):
    diagnoses = [post.get(f"dx{n}", "") for n in range(1, DIAGNOSIS_BOXES + 1)]
    # Keep diagnosis positions: an empty box in the middle is refused rather than renumbered.
    while diagnoses and not diagnoses[-1].strip():
        diagnoses.pop()
    count = min(int(post.get("line_count", 6) or 6), 50)
    lines = []
    for n in range(1, count + 1):
        values = {f: post.get(f"line{n}_{f}", "").strip() for f in LINE_FIELDS}
        if not any(values.values()):
            continue
        lines.append(
            LineInput(
                code=values["code"],
                modifiers=values["modifiers"],
                units=values["units"] or 1,
                pointers=values["pointers"],
                charge=values["charge"] or None,
            )
        )
    return diagnoses, lines


def _charge_page(request, *, appointment, charge, header, errors, top_error=""):
    post = request.POST if request.method == "POST" else None
    dx_rows, line_rows = _rows(post=post, charge=charge, errors=errors)
    return render(
        request,
        "billing/charge_form.html",
        {
            "appointment": appointment,
            "charge": charge,
            "patient": charge.patient if charge else appointment.patient,
            "header": header,
            "dx_rows": dx_rows,
            "line_rows": line_rows,
            "line_count": len(line_rows),
            "top_error": top_error,
            "other_errors": errors.get("diagnoses", []) + errors.get("lines", []),
            "claims": charge.claims.select_related("payer") if charge else [],
        },
    )


@needs("add_charge", "enter charges")
def charge_new(request, appointment_pk: int):
    appointment = get_object_or_404(
        Appointment.objects.select_related("patient", "provider", "location", "appointment_type"),
        pk=appointment_pk,
    )
    existing = Charge.objects.filter(appointment=appointment).first()
    if existing:
        return redirect("charge_edit", pk=existing.pk)
    if appointment.status != Appointment.CHECKED_OUT:
        messages.error(request, "Charges are entered after check-out.")
        return redirect("billing_ready")
    errors: dict = {}
    top = ""
    if request.method == "POST":
        header = ChargeHeaderForm(request.POST)
        if header.is_valid():
            diagnoses, lines = _typed(request.POST)
            try:
                charge = enter_charges(
                    actor=request.user,
                    appointment=appointment,
                    diagnoses=diagnoses,
                    lines=lines,
                    **header.cleaned_data,
                )
            except FieldErrors as exc:
                errors = exc.errors
                top = "The charges were not saved: correct the fields marked below."
                for name in header.fields:
                    for problem in errors.get(name, []):
                        header.add_error(name, problem)
            else:
                log_patient_access(
                    request,
                    patient_id=charge.patient_id,
                    action=CREATE,
                    object_type="charge",
                    object_id=charge.pk,
                )
                claim = claim_services.build_claim(actor=request.user, charge=charge)
                if claim is None:
                    messages.success(
                        request, "Charges saved. No coverage that day: bill the patient."
                    )
                    return redirect("charge_edit", pk=charge.pk)
                messages.success(
                    request, f"Charges saved; claim {claim.patient_control_number} drafted."
                )
                return redirect("claim_detail", pk=claim.pk)
    else:
        header = ChargeHeaderForm(
            initial={
                "rendering_provider": appointment.provider_id,
                "place_of_service": "10"
                if appointment.appointment_type.telehealth
                else appointment.location.place_of_service,
            }
        )
        log_patient_access(
            request, patient_id=appointment.patient_id, action=VIEW, object_type="appointment",
            object_id=appointment.pk, detail="charge entry",
        )  # fmt: skip
    return _charge_page(
        request, appointment=appointment, charge=None, header=header, errors=errors, top_error=top
    )


@needs("view_charge", "see charges")
def charge_edit(request, pk: int):
    charge = selectors.charge_detail(pk)
    if charge is None:
        return get_object_or_404(Charge, pk=pk)
    errors: dict = {}
    top = ""
    if request.method == "POST":
        if not request.user.has_perm("billing.change_charge"):
            raise PermissionDenied("Your role cannot change charges.")
        header = ChargeHeaderForm(request.POST)
        if header.is_valid():
            diagnoses, lines = _typed(request.POST)
            try:
                update_charges(
                    actor=request.user, charge=charge, diagnoses=diagnoses, lines=lines,
                    **header.cleaned_data,
                )  # fmt: skip
            except FieldErrors as exc:
                errors = exc.errors
                top = "The changes were not saved: correct the fields marked below."
            except DomainError as exc:
                top = exc.message
            else:
                log_patient_access(
                    request, patient_id=charge.patient_id, action=UPDATE, object_type="charge",
                    object_id=charge.pk,
                )  # fmt: skip
                messages.success(request, "Charges saved; unsent claims follow the change.")
                return redirect("charge_edit", pk=charge.pk)
    else:
        header = ChargeHeaderForm(
            initial={
                "rendering_provider": charge.rendering_provider_id,
                "billing_provider": charge.billing_provider_id,
                "place_of_service": charge.place_of_service,
                "referring_name": charge.referring_name,
                "referring_npi": charge.referring_npi,
                "prior_authorization": charge.prior_authorization,
            }
        )
        log_patient_access(
            request, patient_id=charge.patient_id, action=VIEW, object_type="charge",
            object_id=charge.pk,
        )  # fmt: skip
    return _charge_page(
        request,
        appointment=charge.appointment,
        charge=charge,
        header=header,
        errors=errors,
        top_error=top,
    )
