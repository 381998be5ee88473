"""835 files for posting tests: a payer's answer to our own claims, line by line.

``line(claim_line, paid, CO45=..., PR2=...)`` is one SVC naming our line (REF*6R);
``claim_payment(claim, lines)`` one CLP naming our claim; ``file_835([...])`` the
whole file, whose payment (BPR) is the claims paid less the PLB amounts unless
given.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from medoffice.edi.x835 import (
    Adjustment,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from medoffice.edi.x835.writer import demo_envelope, write_835

PAID_ON = dt.date(2026, 4, 2)
ZERO = Decimal(0)


def cas(**amounts) -> tuple[Adjustment, ...]:
    """cas(CO45="57.50", PR2=20) -> the adjustments, group and reason from each name."""
    return tuple(Adjustment(k[:2], k[2:], Decimal(str(v))) for k, v in amounts.items())


def line(claim_line, paid, *, ref: bool = True, code: str | None = None, sign: int = 1, **amounts):
    """One SVC for our claim line: its charge, ``paid``, and CAS amounts by name."""
    adjustments = tuple(
        Adjustment(a.group, a.reason, sign * a.amount) for a in cas(**amounts)
    )  # fmt: skip
    return ServicePayment(
        procedure_code=code or claim_line.code,
        charge=sign * claim_line.charge_amount,
        paid=sign * Decimal(str(paid)),
        modifiers=tuple(claim_line.modifiers.split()),
        units=Decimal(claim_line.units),
        service_date=claim_line.date_of_service,
        adjustments=adjustments,
        control_number=str(claim_line.pk) if ref else "",
    )


def claim_payment(
    claim, lines=(), *, status: str = "1", pcn: str | None = None, adjustments=(), paid=None,
    charge=None, remarks=(), payer_number: str = "PHP26000001",
) -> ClaimPayment:  # fmt: skip
    """One CLP for our claim; amounts add up from its lines unless given."""
    lines = tuple(lines)
    all_adjustments = [*adjustments, *(a for s in lines for a in s.adjustments)]
    sign = -1 if status == "22" else 1
    return ClaimPayment(
        patient_control_number=pcn or claim.patient_control_number,
        status=status,
        charge=charge if charge is not None else sign * claim.total_charge,
        paid=paid if paid is not None else sum((s.paid for s in lines), ZERO),
        patient_responsibility=sum((a.amount for a in all_adjustments if a.group == "PR"), ZERO),
        payer_claim_number=payer_number,
        patient_last_name="TESTPATIENT",
        patient_first_name="ANA",
        member_id="PHP123456789",
        adjustments=tuple(adjustments),
        services=lines,
        remark_codes=tuple(remarks),
    )


def remittance(
    claims, *, payer_name="PEACHTREE HEALTH PLAN", payer_id="PCHTR", trace="CHK0001",
    plb=(), total=None, day=PAID_ON,
) -> Remittance:  # fmt: skip
    plb = tuple(ProviderAdjustment("1234567893", dt.date(2026, 12, 31), r, Decimal(str(a)))
                for r, a in plb)  # fmt: skip
    if total is None:
        total = sum((c.paid for c in claims), ZERO) - sum((p.amount for p in plb), ZERO)
    return Remittance(
        control_number="0001", handling="I", total_paid=Decimal(str(total)), credit_debit="C",
        method="CHK", payment_date=day, trace_number=trace, payer_trace_id="1990000001",
        payer_name=payer_name, payer_id=payer_id, payee_name="RIVERSIDE FAMILY MEDICINE",
        payee_id_qualifier="XX", payee_id="1234567893", payee_tax_id="123456789",
        claims=tuple(claims), provider_adjustments=plb,
    )  # fmt: skip


def file_835(claims=(), *, control: int = 1, remittances=None, **fields) -> str:
    """The text of an 835 file: one remittance of ``claims`` (or the ``remittances`` given)."""
    found = remittances or [remittance(claims, **fields)]
    envelope = demo_envelope(
        control=control, created=dt.datetime(2026, 4, 2, 8, 0, tzinfo=dt.UTC), payer_id="PCHTR",
        receiver="RIVERSIDE",
    )  # fmt: skip
    return write_835(found, envelope)
