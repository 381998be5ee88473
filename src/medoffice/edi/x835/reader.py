"""Reading 835 remittances (005010X221A1) into ``Remittance`` values.

Strict where posting depends on it: every amount, every claim number and
status, every adjustment (group, reason, amount) and every procedure code
must read cleanly, or the whole file is refused with an ``X12Error`` at the
segment -- a payment half understood must not be posted. Tolerant, with a
warning, where the guide is broken in ways that do not touch the money: a
missing or impossible payment date (BPR16), a missing technical contact, an
unknown state code, summary segments we do not keep.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from medoffice.edi.cursor import Cursor
from medoffice.edi.envelope import TransactionSet, read_x12
from medoffice.edi.errors import X12Error
from medoffice.edi.segments import Segment
from medoffice.edi.values import STATES, read_amount, read_date
from medoffice.edi.x835.model import (
    ADJUSTMENT_GROUPS,
    ZERO,
    Adjustment,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)

VERSION = "005010X221A1"
#: SVC01-1: the code lists a service line's procedure may come from.
PROCEDURE_QUALIFIERS = frozenset({"AD", "ER", "HC", "HP", "IV", "N4", "N6", "NU", "UI", "WK"})
HANDLING = frozenset("CDHIPUX")
_CLAIM_LOOP = {"CAS", "NM1", "MIA", "MOA", "REF", "DTM", "PER", "AMT", "QTY"}
_LINE_LOOP = {"DTM", "CAS", "REF", "AMT", "QTY", "LQ"}


def read_835(data: bytes | str) -> list[Remittance]:
    """Every remittance (ST..SE) in the file; X12Error names the first fault."""
    doc = read_x12(data)
    found = []
    for tx in doc.transactions():
        if tx.group.functional_id != "HP":
            raise tx.group.gs.error(
                f"functional group {tx.group.functional_id!r} is not HP (remittances)", 1
            )
        remittance = _Reader(tx).read()
        if doc.warnings:
            remittance = _with_warnings(remittance, doc.warnings)
        found.append(remittance)
    return found


def _with_warnings(remittance: Remittance, more: list[str]) -> Remittance:
    return replace(remittance, warnings=(*more, *remittance.warnings))


def adjustments(cas: Segment) -> list[Adjustment]:
    """A CAS segment: one group, then up to six (reason, amount, quantity) triples."""
    group = cas[1]
    if group not in ADJUSTMENT_GROUPS:
        raise cas.error(f"{group!r} is not an adjustment group ({', '.join(ADJUSTMENT_GROUPS)})", 1)
    found = []
    for n in range(2, 20, 3):
        reason, amount = cas[n], cas[n + 1]
        if not reason and not amount and not cas[n + 2]:
            continue
        if not reason:
            raise cas.error("an adjustment amount without its reason code", n)
        found.append(
            Adjustment(
                group, reason, read_amount(cas, n + 1), read_amount(cas, n + 2, required=False)
            )
        )
    if not found:
        raise cas.error("CAS names no adjustment", 2)
    return found


class _Reader:
    def __init__(self, tx: TransactionSet):
        if tx.id != "835":
            raise tx.st.error(f"transaction set {tx.id} is not an 835", 1)
        if tx.implementation != VERSION:
            raise tx.st.error(f"{tx.implementation!r} is not the 835 guide ({VERSION})", 3)
        self.tx = tx
        self.cur = Cursor(tx.body, end=tx.segments[-1])

    def read(self) -> Remittance:
        cur = self.cur
        bpr = cur.expect("BPR", what="the payment")
        if bpr[1] not in HANDLING:
            raise bpr.error(f"BPR01 {bpr[1]!r} is not a transaction handling code", 1)
        if bpr[3] not in ("C", "D"):
            raise bpr.error(f"BPR03 {bpr[3]!r} must be C (credit) or D (debit)", 3)
        payment_date = None
        if not bpr[16]:
            cur.warnings.append(
                f"segment {bpr.index} (BPR): no payment date (BPR16), which the guide requires; "
                "tolerated, the payment is posted without one"
            )
        else:
            try:
                payment_date = read_date(bpr, 16)
            except X12Error as exc:
                cur.warnings.append(f"{exc.describe()}; tolerated, no payment date is kept")
        trn = cur.expect("TRN", "1", what="the check or EFT trace number")
        if not trn[2]:
            raise trn.error("the trace number (check or EFT number) is missing", 2)
        production = None
        while cur.at_any({"CUR", "REF", "DTM"}):
            seg = cur.next()
            if seg.id == "DTM" and seg[1] == "405":
                production = read_date(seg, 2)
            else:
                cur.note(seg, "currency, receiver and version references are not kept")
        payer = cur.expect("N1", "PR", what="the payer")
        payer_refs = self.party("payer")
        payee = cur.expect("N1", "PE", what="the payee")
        payee_refs = self.party("payee")
        claims = []
        while cur.at_any({"LX", "CLP"}):
            if cur.at("LX"):
                cur.next()
                while cur.at_any({"TS3", "TS2"}):
                    cur.skip("provider summary totals (TS3/TS2) are not kept")
            elif not claims:
                cur.warnings.append("claims without a header number (LX): tolerated")
            while cur.at("CLP"):
                claims.append(self.claim())
        plb = []
        while cur.at("PLB"):
            plb.extend(self.provider_adjustments(cur.next()))
        if cur.peek() is not None:
            seg = cur.peek()
            raise seg.error(f"{seg.id} is not expected here in an 835")
        return Remittance(
            control_number=self.tx.control_number,
            handling=bpr[1],
            total_paid=read_amount(bpr, 2),
            credit_debit=bpr[3],
            method=bpr[4],
            payment_date=payment_date,
            trace_number=trn[2],
            payer_trace_id=trn[3],
            payer_name=payer[2],
            payer_id=payer[4] or payer_refs.get("2U", ""),
            payee_name=payee[2],
            payee_id_qualifier=payee[3],
            payee_id=payee[4],
            payee_tax_id=payee_refs.get("TJ", "") or (payee[4] if payee[3] == "FI" else ""),
            production_date=production,
            claims=tuple(claims),
            provider_adjustments=tuple(plb),
            warnings=tuple(cur.warnings),
        )

    def party(self, whose: str) -> dict[str, str]:
        """N3/N4/REF/PER/RDM after an N1: the references are returned, the rest noted."""
        cur = self.cur
        refs: dict[str, str] = {}
        technical_contact = False
        while cur.at_any({"N3", "N4", "REF", "PER", "RDM"}):
            seg = cur.next()
            if seg.id == "REF":
                refs.setdefault(seg[1], seg[2])
            elif seg.id == "N4" and seg[2] and seg[2] not in STATES:
                cur.warnings.append(
                    f"segment {seg.index} (N4): {seg[2]!r} is not a US state or Canadian province "
                    f"code; tolerated, the {whose}'s address is not used for posting"
                )
            elif seg.id == "PER" and seg[1] == "BL":
                technical_contact = True
        if whose == "payer" and not technical_contact:
            cur.warnings.append(
                "the payer gives no technical contact (PER*BL), which the guide requires; tolerated"
            )
        return refs

    def claim(self) -> ClaimPayment:
        cur = self.cur
        clp = cur.next()
        if not clp[1]:
            raise clp.error("the claim number (CLP01) is missing", 1)
        if not clp[2]:
            raise clp.error("the claim status (CLP02) is missing", 2)
        if not clp[7]:
            raise clp.error("the payer's claim number (CLP07) is missing", 7)
        found: dict = {"adjustments": [], "remarks": [], "patient": None}
        while cur.at_any(_CLAIM_LOOP):
            self.claim_detail(cur.next(), found)
        if found["patient"] is None:
            raise clp.error(f"claim {clp[1]} has no patient (NM1*QC)")
        services = []
        while cur.at("SVC"):
            services.append(self.service())
        patient = found["patient"]
        return ClaimPayment(
            patient_control_number=clp[1],
            status=clp[2],
            charge=read_amount(clp, 3),
            paid=read_amount(clp, 4),
            patient_responsibility=read_amount(clp, 5, required=False) or ZERO,
            payer_claim_number=clp[7],
            claim_filing_indicator=clp[6],
            facility_type=clp[8],
            frequency=clp[9],
            patient_last_name=patient[3],
            patient_first_name=patient[4],
            member_id=patient[9],
            rendering_npi=found.get("rendering", ""),
            statement_from=found.get("232"),
            statement_to=found.get("233"),
            received_date=found.get("050"),
            adjustments=tuple(found["adjustments"]),
            services=tuple(services),
            remark_codes=tuple(found["remarks"]),
            coverage_amount=found.get("AU"),
        )

    def claim_detail(self, seg: Segment, found: dict) -> None:
        cur = self.cur
        if seg.id == "CAS":
            found["adjustments"].extend(adjustments(seg))
        elif seg.id == "NM1" and seg[1] == "QC" and found["patient"] is None:
            found["patient"] = seg
        elif seg.id == "NM1" and seg[1] == "82" and seg[8] == "XX":
            found["rendering"] = seg[9]
        elif seg.id == "NM1":
            cur.note(seg, "insured, corrected and crossover names are not kept")
        elif seg.id == "MOA":
            found["remarks"].extend(seg[n] for n in range(3, 8) if seg[n])
        elif seg.id == "MIA":
            found["remarks"].extend(seg[n] for n in (5, 20, 21, 22, 23) if seg[n])
        elif seg.id == "DTM" and seg[1] in ("232", "233", "050"):
            found[seg[1]] = read_date(seg, 2)
        elif seg.id == "AMT" and seg[1] == "AU":
            found["AU"] = read_amount(seg, 2)
        else:
            cur.note(seg, "this claim date, amount, quantity, reference or contact is not kept")

    def service(self) -> ServicePayment:
        cur = self.cur
        svc = cur.next()
        qualifier, code, modifiers = self.procedure(svc, 1)
        submitted = self.procedure(svc, 6) if svc[6] else ("", "", ())
        detail: dict = {"adjustments": [], "remarks": []}
        while cur.at_any(_LINE_LOOP):
            seg = cur.next()
            if seg.id == "CAS":
                detail["adjustments"].extend(adjustments(seg))
            elif seg.id == "DTM" and seg[1] in ("472", "150", "151") and seg[1] not in detail:
                detail[seg[1]] = read_date(seg, 2)
            elif seg.id == "REF" and seg[1] == "6R":
                detail["6R"] = seg[2]
            elif seg.id == "AMT" and seg[1] == "B6":
                detail["B6"] = read_amount(seg, 2)
            elif seg.id == "LQ" and seg[1] == "HE" and seg[2]:
                detail["remarks"].append(seg[2])
            else:
                cur.note(seg, "this line date, amount, quantity or reference is not kept")
        units = read_amount(svc, 5, required=False)  # none sent: one unit, as the guide says
        start = detail.get("472") or detail.get("150")
        end = detail.get("151")
        return ServicePayment(
            procedure_code=code,
            charge=read_amount(svc, 2),
            paid=read_amount(svc, 3),
            modifiers=modifiers,
            qualifier=qualifier,
            units=Decimal(1) if units is None else units,
            revenue_code=svc[4],
            submitted_code=submitted[1],
            submitted_modifiers=submitted[2],
            submitted_units=read_amount(svc, 7, required=False),
            service_date=start,
            service_end_date=end if end != start else None,
            adjustments=tuple(detail["adjustments"]),
            control_number=detail.get("6R", ""),
            allowed=detail.get("B6"),
            remark_codes=tuple(detail["remarks"]),
        )

    @staticmethod
    def procedure(svc: Segment, n: int) -> tuple[str, str, tuple[str, ...]]:
        parts = svc.components(n)
        if not parts or parts[0] not in PROCEDURE_QUALIFIERS:
            sep = svc.delimiters.component
            raise svc.error(
                f"{svc[n]!r} is not <qualifier>{sep}<procedure code> with the component "
                f"separator {sep!r} that ISA16 declares (a wrong separator?)",
                n,
            )
        if len(parts) < 2 or not parts[1]:
            raise svc.error(f"{svc[n]!r} has no procedure code", n)
        return parts[0], parts[1], tuple(m for m in parts[2:6] if m)

    @staticmethod
    def provider_adjustments(plb: Segment) -> list[ProviderAdjustment]:
        if not plb[1]:
            raise plb.error("the provider identifier (PLB01) is missing", 1)
        period = read_date(plb, 2)
        found = []
        for n in range(3, 15, 2):
            if not plb[n] and not plb[n + 1]:
                continue
            reason = plb.component(n, 1)
            if not reason:
                raise plb.error("a provider adjustment without its reason code", n)
            found.append(
                ProviderAdjustment(
                    plb[1], period, reason, read_amount(plb, n + 1), plb.component(n, 2)
                )
            )
        if not found:
            raise plb.error("PLB names no adjustment", 3)
        return found
