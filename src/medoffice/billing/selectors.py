"""Billing's reads: visits waiting for charges, the fee schedule, charges, claims."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet

from medoffice.billing.models import Charge, PayerFee, Service
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
