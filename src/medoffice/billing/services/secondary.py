"""Secondary claims: the visits whose next payer is waiting for its claim, and building them.

A visit waits for its secondary (or tertiary) claim when the payer before it
has decided its claim (paid, partly paid or denied) and that decision is
posted, a later coverage of the patient was active on the date of service,
no claim to that payer exists yet, and the books show a balance moved to it
(posting an 835 moves the patient's share -- deductible, coinsurance,
copay -- to the next payer of the visit). :func:`build_secondary_claims`
builds those claims with :func:`~medoffice.billing.services.claims.build_claim`
and scrubs them, so the clean ones are ready to be marked ready and sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from medoffice.billing.errors import DomainError, FieldErrors
from medoffice.billing.models import Charge, Claim, ClaimPayment, LedgerEntry
from medoffice.billing.services.claims import build_claim, coverages_on
from medoffice.billing.services.scrubber import ScrubSummary, scrub_claims

DECIDED = (Claim.PAID, Claim.PARTLY_PAID, Claim.DENIED)
MAX_VISITS = 2000


@dataclass(frozen=True)
class WaitingVisit:
    """One visit whose next payer has a balance and no claim yet."""

    charge_id: int
    patient_id: int
    patient_name: str
    date_of_service: dt.date
    prior_claim_id: int
    prior_claim_number: str
    prior_payer: str
    prior_paid: Decimal
    payer_id: int
    payer: str
    payer_order: int
    balance: Decimal


def visits_waiting_for_secondary(*, limit: int = MAX_VISITS) -> list[WaitingVisit]:
    """The visits waiting for a claim to their next payer, oldest visit first."""
    balances = (
        LedgerEntry.objects.filter(charge__isnull=False, payer__isnull=False)
        .values("charge_id", "payer_id")
        .annotate(total=Sum("amount"))
        .filter(total__gt=0)
        .order_by()
    )
    owed = {(row["charge_id"], row["payer_id"]): row["total"] for row in balances}
    if not owed:
        return []
    claims_of: dict[int, list[Claim]] = {}
    rows = (
        Claim.objects.filter(charge_id__in={c for c, _ in owed})
        .exclude(frequency_code=Claim.VOID)
        .select_related("payer")
        .order_by("payer_order", "-pk")
    )
    for claim in rows:
        claims_of.setdefault(claim.charge_id, []).append(claim)
    candidates = {}
    for (charge_id, payer_id), total in owed.items():
        claims = claims_of.get(charge_id, [])
        if any(c.payer_id == payer_id for c in claims):
            continue  # that payer has its claim already
        decided = [c for c in claims if c.status in DECIDED]
        if decided:
            candidates[(charge_id, payer_id)] = (total, decided[-1])
    if not candidates:
        return []
    posted = set(
        ClaimPayment.objects.filter(
            claim_id__in={c.pk for _, c in candidates.values()}, posted=True
        ).values_list("claim_id", flat=True)
    )
    charges = Charge.objects.filter(pk__in={c for c, _ in candidates}).select_related("patient")
    charges = {c.pk: c for c in charges}
    found = []
    for (charge_id, payer_id), (total, prior) in candidates.items():
        if prior.pk not in posted:
            continue
        charge = charges[charge_id]
        active = coverages_on(patient_id=charge.patient_id, day=charge.date_of_service)
        order = next((n for n, c in enumerate(active, 1) if c.payer_id == payer_id), None)
        if order is None or order <= prior.payer_order:
            continue  # not a later coverage of that day
        payer = active[order - 1].payer
        payments = ClaimPayment.objects.filter(claim=prior, posted=True)  # reversals net out
        paid = payments.aggregate(s=Sum("paid"))["s"] or Decimal(0)
        found.append(
            WaitingVisit(
                charge_id=charge_id,
                patient_id=charge.patient_id,
                patient_name=str(charge.patient),
                date_of_service=charge.date_of_service,
                prior_claim_id=prior.pk,
                prior_claim_number=prior.patient_control_number,
                prior_payer=prior.payer.name,
                prior_paid=paid,
                payer_id=payer_id,
                payer=payer.name,
                payer_order=order,
                balance=total,
            )
        )
    found.sort(key=lambda w: (w.date_of_service, w.charge_id))
    return found[:limit]


@dataclass
class SecondarySummary:
    """What a bulk build did: the claims built, the visits skipped and why, the scrub."""

    built: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)
    scrub: ScrubSummary = field(default_factory=ScrubSummary)

    def describe(self) -> str:
        n = len(self.built)
        text = f"{n} secondary claim{'s' if n != 1 else ''} built"
        if n:
            text += f"; {self.scrub.clean} clean, {self.scrub.with_errors} with scrubber errors"
        if self.skipped:
            text += f"; {len(self.skipped)} visit(s) skipped"
        return text + "."


def build_secondary_claims(*, actor, charge_ids=None, today=None) -> SecondarySummary:
    """Build (and scrub) the claims the waiting visits need; ``charge_ids`` limits it to
    some of them. A visit that cannot be billed is skipped with its reason."""
    wanted = None if charge_ids is None else {int(c) for c in charge_ids}
    summary = SecondarySummary()
    for visit in visits_waiting_for_secondary():
        if wanted is not None and visit.charge_id not in wanted:
            continue
        charge = Charge.objects.get(pk=visit.charge_id)
        try:
            claim = build_claim(actor=actor, charge=charge)
        except (DomainError, FieldErrors) as exc:
            summary.skipped[visit.charge_id] = str(exc)
            continue
        if claim is None or claim.payer_order <= 1 or claim.status != Claim.DRAFT:
            summary.skipped[visit.charge_id] = "the visit's earlier claim is not decided yet"
            continue
        summary.built.append(claim.pk)
    if summary.built:
        summary.scrub = scrub_claims(actor=actor, claim_ids=summary.built, today=today)
    return summary
