"""Billing's reads: visits waiting for charges, the fee schedule, charges, claims."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from medoffice.billing.models import Charge, Claim, PayerFee, ScrubFinding, ScrubRule, Service
from medoffice.scheduling.models import Appointment


def visits_ready_to_bill(
    *, since: dt.date | None = None, provider_id: int | None = None
) -> QuerySet[Appointment]:
    """Checked-out visits that have no charges yet, oldest first."""
    qs = (
        Appointment.objects.filter(status=Appointment.CHECKED_OUT)
        .filter(~Exists(Charge.objects.filter(appointment=OuterRef("pk"))))
        .select_related("patient", "provider", "location", "appointment_type")
        .order_by("start")
    )
    if since is not None:
        qs = qs.filter(start__date__gte=since)
    if provider_id is not None:
        qs = qs.filter(provider_id=provider_id)
    return qs


def service_list(*, text: str = "", status: str = "active") -> QuerySet[Service]:
    qs = Service.objects.all()
    if status == "active":
        qs = qs.filter(active=True)
    elif status == "inactive":
        qs = qs.filter(active=False)
    text = text.strip()
    if text:
        qs = qs.filter(Q(code__istartswith=text) | Q(description__icontains=text))
    return qs.order_by("code", "modifiers")


def allowed_amount(*, payer_id: int, service_id: int, day: dt.date) -> PayerFee | None:
    """The payer's contracted amount for the service on ``day``, if one is on file."""
    return (
        PayerFee.objects.filter(payer_id=payer_id, service_id=service_id, effective_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .first()
    )


def charge_detail(pk: int) -> Charge | None:
    return (
        Charge.objects.select_related(
            "patient", "location", "rendering_provider", "billing_provider", "appointment"
        )
        .prefetch_related("diagnoses", "lines__service")
        .filter(pk=pk)
        .first()
    )


def claim_detail(pk: int) -> Claim | None:
    return (
        Claim.objects.select_related(
            "patient", "payer", "coverage", "charge", "rendering_provider", "billing_provider",
            "original",
        )
        .prefetch_related("lines", "events__user", "findings__rule", "corrections")
        .filter(pk=pk)
        .first()
    )  # fmt: skip


@dataclass(frozen=True)
class ClaimFilters:
    status: str = ""
    payer_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    text: str = ""  # a patient control number, a payer claim number or a patient's last name


def _filtered(filters: ClaimFilters, *, with_status: bool = True) -> QuerySet[Claim]:
    qs = Claim.objects.all()
    if with_status and filters.status:
        qs = qs.filter(status=filters.status)
    if filters.payer_id:
        qs = qs.filter(payer_id=filters.payer_id)
    if filters.since:
        qs = qs.filter(date_of_service__gte=filters.since)
    if filters.until:
        qs = qs.filter(date_of_service__lte=filters.until)
    text = filters.text.strip()
    if text:
        qs = qs.filter(
            Q(patient_control_number__iexact=text)
            | Q(payer_claim_number__iexact=text)
            | Q(patient__last_name__istartswith=text)
        )
    return qs


def claim_list(filters: ClaimFilters) -> QuerySet[Claim]:
    """Claims matching the filters, newest visit first, with what a list row shows."""
    return (
        _filtered(filters)
        .select_related("patient", "payer")
        .annotate(
            errors=Count("findings", filter=Q(findings__severity="error"), distinct=True),
            warnings=Count("findings", filter=Q(findings__severity="warning"), distinct=True),
        )
        .order_by("-date_of_service", "-pk")
    )


def claim_status_counts(filters: ClaimFilters) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, under the filters other than status."""
    counts = dict(
        _filtered(filters, with_status=False)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [(s, label, counts.get(s, 0)) for s, label in Claim.STATUS_CHOICES]


def fix_url(finding: ScrubFinding, claim: Claim) -> str | None:
    """Where to fix what a finding names: the charges, the coverage, the provider."""
    target = finding.rule.fix_target
    if target == ScrubRule.PROVIDER:
        if finding.field == "rendering_provider":
            return reverse("setup_provider_edit", args=[claim.rendering_provider_id])
        if finding.field == "billing_provider" and claim.billing_provider_id:
            return reverse("setup_provider_edit", args=[claim.billing_provider_id])
        if finding.field == "billing_provider":
            return reverse("admin:core_practice_changelist")
        target = ScrubRule.CHARGE
    if target == ScrubRule.COVERAGE:
        return reverse("coverage_edit", args=[claim.coverage_id])
    if target == ScrubRule.CHARGE:
        return reverse("charge_edit", args=[claim.charge_id]) + (
            f"#{finding.field}" if finding.field else ""
        )
    return None
