"""Remittance rows as posting leaves them, for the denial and underpayment tests.

Posting an 835 (services.remittances) opens denials and fills contracted amounts;
these helpers make the same rows directly on a claim built and sent the normal way,
with the ledger entries posting would write (through services.ledger).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from decimal import Decimal

from medoffice.billing.models import (
    Claim,
    ClaimPayment,
    Denial,
    LedgerEntry,
    LinePayment,
    RemitAdjustment,
    Remittance,
    RemittanceFile,
)
from medoffice.billing.services import claims as claim_services
from medoffice.billing.services import ledger

_seq = itertools.count(1)


def sent_claim(*, charge, actor, payer_claim_number: str = "") -> Claim:
    """The visit's next claim, built and walked to accepted (numbered by the payer)."""
    claim = claim_services.build_claim(actor=actor, charge=charge)
    for to in (Claim.SCRUBBED, Claim.READY, Claim.SUBMITTED):
        claim = claim_services.move_claim(actor=actor, claim=claim, to=to)
    number = payer_claim_number or f"ICN{next(_seq):08d}"
    return claim_services.move_claim(
        actor=actor, claim=claim, to=Claim.ACCEPTED, payer_claim_number=number
    )


def remittance(*, payer, day: dt.date, paid=Decimal("0.00")) -> Remittance:
    n = next(_seq)
    text = f"ISA*test {n}~"
    file = RemittanceFile.objects.create(
        sha256=hashlib.sha256(text.encode()).hexdigest(), filename=f"test-{n}.835", text=text
    )
    return Remittance.objects.create(
        file=file, payer=payer, payer_name=payer.name, trace_number=f"TRN{n}", method="ACH",
        payment_date=day, total_paid=paid, claims_paid=paid, posted_on=day, reconciled=True,
    )  # fmt: skip


def _claim_payment(claim, rem, *, status, paid, patient_resp=Decimal("0.00")) -> ClaimPayment:
    return ClaimPayment.objects.create(
        remittance=rem, claim=claim, patient_control_number=claim.patient_control_number,
        status_code=status, charge=claim.total_charge, paid=paid,
        patient_responsibility=patient_resp, payer_claim_number=claim.payer_claim_number,
        patient_name=f"{claim.patient.last_name}, {claim.patient.first_name}",
        member_id=claim.coverage.member_id, posted=True,
    )  # fmt: skip


def _line_payment(cp: ClaimPayment, cl, **amounts) -> LinePayment:
    """The 835's answer for claim line ``cl`` (SVC): its service as billed, and ``amounts``."""
    return LinePayment.objects.create(
        claim_payment=cp, claim_line=cl, code=cl.code, modifiers=cl.modifiers, units=cl.units,
        service_date=cl.date_of_service, charge=cl.charge_amount, **amounts,
    )  # fmt: skip


def _denial(claim, cp, line, *, group, reason, remarks, amount, day) -> Denial:
    """The CAS that denies ``amount`` (of the claim, or of ``line``) and the denial posting
    opens for it."""
    RemitAdjustment.objects.create(
        claim_payment=cp, line=line, group=group, reason=reason, amount=amount
    )
    return Denial.objects.create(
        claim=claim, claim_payment=cp, line=line, payer=claim.payer, group=group,
        reason_code=reason, remark_codes=remarks, amount=amount, denied_on=day,
    )  # fmt: skip


def deny_claim(
    claim: Claim,
    *,
    actor,
    day: dt.date,
    group: str = "CO",
    reason: str = "50",
    remarks: str = "N130",
    per_line: bool = True,
) -> list[Denial]:
    """The payer denied the whole claim (CLP02 = 4): paid 0, one denial per line (or one for
    the claim when the 835 has no lines), the balance left open on the payer; the claim
    moves to denied."""
    rem = remittance(payer=claim.payer, day=day)
    cp = _claim_payment(claim, rem, status="4", paid=Decimal("0.00"))
    why = {"group": group, "reason": reason, "remarks": remarks, "day": day}
    if not per_line:
        denials = [_denial(claim, cp, None, amount=claim.total_charge, **why)]
    else:
        denials = []
        for cl in claim.lines.all():
            lp = _line_payment(cp, cl, paid=Decimal("0.00"), remark_codes=remarks)
            denials.append(_denial(claim, cp, lp, amount=cl.charge_amount, **why))
    claim_services.move_claim(actor=actor, claim=claim, to=Claim.DENIED, note="835: denied")
    return list(Denial.objects.filter(pk__in=[d.pk for d in denials]).order_by("pk"))


def pay_claim(
    claim: Claim,
    *,
    actor,
    day: dt.date,
    lines: list[tuple[str, str, str | None]],
    status: str = "1",
) -> ClaimPayment:
    """The payer paid the claim: ``lines`` gives (paid, patient's share, contracted amount or
    None) per claim line. Posts the payment, moves the patient's share to the patient (PR 2)
    and adjusts the rest of the charge off (CO 45), as posting does."""
    rem = remittance(payer=claim.payer, day=day)
    total_paid = sum(Decimal(p) for p, _r, _c in lines)
    total_resp = sum(Decimal(r) for _p, r, _c in lines)
    cp = _claim_payment(claim, rem, status=status, paid=total_paid, patient_resp=total_resp)
    links = {"patient_id": claim.patient_id, "charge_id": claim.charge_id, "claim": claim}
    for cl, (paid, resp, contracted) in zip(claim.lines.all(), lines, strict=True):
        paid, resp = Decimal(paid), Decimal(resp)
        contractual = cl.charge_amount - paid - resp
        lp = _line_payment(
            cp, cl, paid=paid, allowed=paid + resp, patient_responsibility=resp,
            contracted_amount=Decimal(contracted) if contracted is not None else None,
        )  # fmt: skip
        line_links = {**links, "claim_line": cl, "remittance": rem}
        ledger.post(
            kind=LedgerEntry.PAYER_PAYMENT, amount=-paid, payer_id=claim.payer_id, actor=actor,
            day=day, **line_links,
        )  # fmt: skip
        if contractual:
            RemitAdjustment.objects.create(
                claim_payment=cp, line=lp, group="CO", reason="45", amount=contractual
            )
            ledger.post(
                kind=LedgerEntry.CONTRACTUAL, amount=-contractual, payer_id=claim.payer_id,
                actor=actor, day=day, adjustment_group="CO", reason_code="45", **line_links,
            )  # fmt: skip
        if resp:
            RemitAdjustment.objects.create(
                claim_payment=cp, line=lp, group="PR", reason="2", amount=resp
            )
            for payer_id, amount in ((claim.payer_id, -resp), (None, resp)):
                ledger.post(
                    kind=LedgerEntry.TRANSFER, amount=amount, payer_id=payer_id, actor=actor,
                    day=day, adjustment_group="PR", reason_code="2", **line_links,
                )  # fmt: skip
    owed = ledger.payer_balance(charge_id=claim.charge_id, payer_id=claim.payer_id)
    to = Claim.PAID if owed == 0 else Claim.PARTLY_PAID
    claim_services.move_claim(actor=actor, claim=claim, to=to, note="835: paid")
    return cp
