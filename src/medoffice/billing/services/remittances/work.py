"""The biller's work on remittances: the unmatched queue, matching by hand, lists."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from medoffice.billing.errors import DomainError, invalid
from medoffice.billing.models import (
    Claim,
    ClaimPayment,
    Remittance,
)
from medoffice.billing.services import ledger
from medoffice.billing.services.remittances.common import ALREADY_MATCHED, POSTABLE
from medoffice.billing.services.remittances.importing import _match_lines
from medoffice.billing.services.remittances.posting import _Posting, apply_patient_credits

# ---------------------------------------------------------------------------
# The unmatched queue


def unmatched_queue():
    """Claim payments no claim of ours was found for, not yet matched or dismissed."""
    return (
        ClaimPayment.objects.filter(claim__isnull=True, resolved_at__isnull=True)
        .select_related("remittance", "remittance__payer")
        .order_by("remittance__payment_date", "pk")
    )


def _rows_for_posting(cp: ClaimPayment) -> ClaimPayment:
    cp.line_payments = list(cp.lines.order_by("pk"))
    adjustments = list(cp.adjustments.order_by("pk"))
    cp.claim_adjustments = [a for a in adjustments if a.line_id is None]
    for line in cp.line_payments:
        line.line_adjustments = [a for a in adjustments if a.line_id == line.pk]
    return cp


@transaction.atomic
def match_claim_payment(*, claim_payment: ClaimPayment, claim: Claim, actor, note: str = ""):
    """Match an unmatched claim payment to ``claim`` by hand, and post it as import would."""
    cp = (
        ClaimPayment.objects.select_for_update()
        .select_related("remittance")
        .get(pk=claim_payment.pk)
    )
    if cp.claim_id is not None or cp.posted:
        raise DomainError(ALREADY_MATCHED, "This payment is already matched to a claim.", None,
                          status=409)  # fmt: skip
    if cp.resolved_at is not None:
        raise DomainError(ALREADY_MATCHED, "This payment was dismissed from the queue.", None,
                          status=409)  # fmt: skip
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.status not in POSTABLE:
        raise invalid(
            f"Claim {claim.patient_control_number} is {claim.status_label.lower()}; a payment "
            "posts only to a claim that was sent and is not closed.",
            "claim",
        )
    cp.claim = claim
    _rows_for_posting(cp)
    _match_lines(cp, list(claim.lines.order_by("line_number")))
    remittance = cp.remittance
    today = ledger.books_today()
    day = min(remittance.payment_date, today) if remittance.payment_date else today
    posting = _Posting(actor=actor, remittance=remittance, day=day)
    posting.prepare([cp])
    for line in cp.line_payments:
        line.save(update_fields=["claim_line", "contracted_amount"])
    warnings = posting.post([cp])
    apply_patient_credits(posting.to_patient, actor=actor)
    cp.resolved_at = timezone.now()
    cp.resolved_by = actor
    cp.resolution_note = (note or f"Matched by hand to {claim.patient_control_number}")[:300]
    cp.save(update_fields=["claim", "posted", "resolved_at", "resolved_by", "resolution_note"])
    Remittance.objects.filter(pk=remittance.pk).update(matched_count=F("matched_count") + 1)
    return cp, warnings


@transaction.atomic
def dismiss_claim_payment(*, claim_payment: ClaimPayment, actor, note: str) -> ClaimPayment:
    """Take an unmatched claim payment off the queue without posting it, saying why."""
    if not (note or "").strip():
        raise invalid("Say why this payment is dismissed.", "note")
    cp = ClaimPayment.objects.select_for_update().get(pk=claim_payment.pk)
    if cp.claim_id is not None:
        raise DomainError(ALREADY_MATCHED, "This payment is matched to a claim.", None, status=409)
    if cp.resolved_at is not None:
        raise DomainError(ALREADY_MATCHED, "This payment was already taken off the queue.", None,
                          status=409)  # fmt: skip
    cp.resolved_at = timezone.now()
    cp.resolved_by = actor
    cp.resolution_note = note.strip()[:300]
    cp.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    return cp


def find_claims(text: str, limit: int = 20):
    """Claims a payment could be matched to: by control number, payer's number or patient."""
    text = (text or "").strip()
    qs = Claim.objects.filter(status__in=POSTABLE).select_related("patient", "payer")
    if not text:
        return qs.none()
    words = text.split()
    q = Q(patient_control_number__iexact=text) | Q(payer_claim_number__iexact=text)
    q |= Q(patient_control_number__iendswith=text.lstrip("0")) if text.isdigit() else Q()
    by_name = Q()
    for w in words:
        by_name &= Q(patient__last_name__istartswith=w) | Q(patient__first_name__istartswith=w)
    return qs.filter(q | by_name).order_by("-date_of_service", "-pk")[:limit]


def remittance_list(*, text: str = "", since: dt.date | None = None, until: dt.date | None = None):
    """Imported payments, newest first: by payer name or id, or trace number; payment dates."""
    qs = Remittance.objects.select_related("payer", "file")
    text = (text or "").strip()
    if text:
        qs = qs.filter(
            Q(trace_number__icontains=text)
            | Q(payer_name__icontains=text)
            | Q(payer__name__icontains=text)
            | Q(payer_identifier__iexact=text)
        )
    if since:
        qs = qs.filter(payment_date__gte=since)
    if until:
        qs = qs.filter(payment_date__lte=until)
    return qs.order_by("-payment_date", "-pk")


def remittance_claims(remittance: Remittance):
    """A payment's claim payments with their claims, lines, adjustments and denials."""
    return (
        ClaimPayment.objects.filter(remittance=remittance)
        .select_related("claim", "claim__patient")
        .prefetch_related("lines__claim_line", "adjustments", "denials")
        .order_by("pk")
    )
