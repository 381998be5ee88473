"""An 835 remittance (005010X221A1) as plain values: what a payer paid, adjusted and why.

One ``Remittance`` is one payment (a check or an EFT, ``BPR``/``TRN``) from
one payer to one payee, explaining every claim it covers (``ClaimPayment``,
CLP) and, for each claim, every service line (``ServicePayment``, SVC).
Adjustments (CAS) say why the paid amount differs from the charge: a group
(``CO`` contractual obligation, written off; ``PR`` patient responsibility,
billed to the patient; ``OA`` other; ``PI`` payer initiated; ``CR``
correction) and a CARC reason code (``45`` charge exceeds fee schedule,
``1`` deductible, ``2`` coinsurance, ``3`` copay, ...). Remark codes (RARC,
LQ*HE and MOA/MIA) add detail. Provider-level adjustments (PLB) change the
payment without belonging to one claim (interest, recovered overpayments).

All money is ``Decimal``. The payment balances when::

    total_paid == sum(claim.paid) - sum(plb.amount)

and each claim when ``charge - adjustments == paid``; ``Remittance.imbalances``
lists every place it does not, in words, for the posting report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)

#: CLP02 claim statuses.
CLAIM_STATUSES = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded to another payer",
    "20": "processed as secondary, forwarded to another payer",
    "21": "processed as tertiary, forwarded to another payer",
    "22": "reversal of a previous payment",
    "23": "not our claim, forwarded to another payer",
    "25": "predetermination pricing only, no payment",
}
ADJUSTMENT_GROUPS = {
    "CO": "contractual obligation",
    "CR": "correction and reversal",
    "OA": "other adjustment",
    "PI": "payer initiated reduction",
    "PR": "patient responsibility",
}


@dataclass(frozen=True)
class Adjustment:
    """One CAS reason: group (CO, PR, OA, PI, CR), CARC, amount and, sometimes, units."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True)
class ServicePayment:
    """One service line (2110): what was billed, what was paid, why the difference.

    ``procedure_code`` and ``modifiers`` are as adjudicated; when the payer
    paid a different code than we billed (bundling), ``submitted_code`` and
    ``submitted_modifiers`` carry what we sent. ``units`` is 1 when the payer
    sent none (the guide's default). ``control_number`` is our REF*6R line
    id, echoed back; ``allowed`` the allowed amount (AMT*B6).
    """

    procedure_code: str
    charge: Decimal
    paid: Decimal
    modifiers: tuple[str, ...] = ()
    qualifier: str = "HC"  # HC HCPCS/CPT, NU revenue code, N4 NDC, AD dental, ...
    units: Decimal = Decimal(1)
    revenue_code: str = ""
    submitted_code: str = ""
    submitted_modifiers: tuple[str, ...] = ()
    submitted_units: Decimal | None = None
    service_date: dt.date | None = None
    service_end_date: dt.date | None = None
    adjustments: tuple[Adjustment, ...] = ()
    control_number: str = ""
    allowed: Decimal | None = None
    remark_codes: tuple[str, ...] = ()

    @property
    def adjusted(self) -> Decimal:
        return sum((a.amount for a in self.adjustments), ZERO)


@dataclass(frozen=True)
class ClaimPayment:
    """One claim's adjudication (2100), found by our claim number.

    ``status`` is CLP02 (see ``CLAIM_STATUSES``; ``22`` reverses an earlier
    payment, whose amounts come negative). ``payer_claim_number`` (CLP07) is
    what a replacement or void claim must quote. ``patient_responsibility``
    is CLP05 (0 when the payer sent none); ``adjustments`` are the
    claim-level CAS, and each line has its own.
    """

    patient_control_number: str
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_number: str
    claim_filing_indicator: str = ""
    facility_type: str = ""  # CLP08, place of service for professional claims
    frequency: str = ""  # CLP09
    patient_last_name: str = ""
    patient_first_name: str = ""
    member_id: str = ""
    rendering_npi: str = ""
    statement_from: dt.date | None = None
    statement_to: dt.date | None = None
    received_date: dt.date | None = None
    adjustments: tuple[Adjustment, ...] = ()
    services: tuple[ServicePayment, ...] = ()
    remark_codes: tuple[str, ...] = ()  # MOA/MIA remark codes (RARC)
    coverage_amount: Decimal | None = None  # AMT*AU

    @property
    def status_text(self) -> str:
        return CLAIM_STATUSES.get(self.status, f"status {self.status}")

    @property
    def is_reversal(self) -> bool:
        return self.status == "22"

    @property
    def is_denied(self) -> bool:
        return self.status == "4"

    def all_adjustments(self) -> list[Adjustment]:
        """Claim-level and line-level adjustments together."""
        return [*self.adjustments, *(a for s in self.services for a in s.adjustments)]


@dataclass(frozen=True)
class ProviderAdjustment:
    """PLB: money added to or taken from the payment, not tied to one claim.

    A positive amount reduces the payment (e.g. ``WO`` an overpayment
    recovered); a negative one increases it (e.g. ``L6`` interest).
    """

    provider_id: str
    fiscal_period_end: dt.date
    reason: str
    amount: Decimal
    reference: str = ""


@dataclass(frozen=True)
class Remittance:
    """One 835 transaction: one payment and the claims it pays.

    ``handling`` is BPR01 (``I`` remittance with payment, ``H`` notification
    only, ``C`` payment only, ``D``/``P``/``U``/``X`` other); ``method`` is
    how the money moves (``ACH``, ``CHK`` check, ``BOP``, ``FWT`` wire,
    ``NON`` none); ``trace_number`` (TRN02) is the check or EFT number the
    deposit shows. ``warnings`` say what was read but not kept or tolerated.
    """

    control_number: str
    handling: str
    total_paid: Decimal
    credit_debit: str  # C credit, D debit
    method: str
    payment_date: dt.date | None
    trace_number: str
    payer_trace_id: str
    payer_name: str
    payer_id: str
    payee_name: str
    payee_id_qualifier: str  # XX NPI, FI tax id
    payee_id: str
    payee_tax_id: str = ""
    production_date: dt.date | None = None
    claims: tuple[ClaimPayment, ...] = ()
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def claims_paid(self) -> Decimal:
        return sum((c.paid for c in self.claims), ZERO)

    @property
    def provider_adjusted(self) -> Decimal:
        return sum((p.amount for p in self.provider_adjustments), ZERO)

    def imbalances(self) -> list[str]:
        """Every place the amounts do not add up, in words; [] when the file balances."""
        found = []
        expected = self.claims_paid - self.provider_adjusted
        sign = -1 if self.credit_debit == "D" else 1
        if sign * self.total_paid != expected:
            found.append(
                f"the payment ({self.total_paid}) is not the claims paid ({self.claims_paid}) "
                f"less the provider adjustments ({self.provider_adjusted}) = {expected}"
            )
        for claim in self.claims:
            found.extend(_claim_imbalances(claim))
        return found


def _claim_imbalances(claim: ClaimPayment) -> list[str]:
    found = []
    name = f"claim {claim.patient_control_number}"
    adjusted = sum((a.amount for a in claim.all_adjustments()), ZERO)
    if claim.charge - adjusted != claim.paid:
        found.append(
            f"{name}: charge {claim.charge} less adjustments {adjusted} is not the paid "
            f"amount {claim.paid}"
        )
    for n, service in enumerate(claim.services, start=1):
        if service.charge - service.adjusted != service.paid:
            found.append(
                f"{name}, line {n} ({service.procedure_code}): charge {service.charge} less "
                f"adjustments {service.adjusted} is not the paid amount {service.paid}"
            )
    patient = sum((a.amount for a in claim.all_adjustments() if a.group == "PR"), ZERO)
    if patient != claim.patient_responsibility:
        found.append(
            f"{name}: patient responsibility {claim.patient_responsibility} is not the sum of "
            f"its PR adjustments ({patient})"
        )
    return found
