"""Reading the claim loops of an 837P (2300 claim, 2400 lines, their providers).

``ClaimReader`` walks a ``Cursor`` and builds ``Claim`` and ``ServiceLine``
values; ``parser._Transaction`` adds the batch header and the HL tree on top.
What the model has no field for is skipped with a warning naming the segment.
"""

from __future__ import annotations

from decimal import Decimal

from medoffice.edi.cursor import Cursor
from medoffice.edi.segments import Segment
from medoffice.edi.values import read_amount, read_date, read_date_period, read_int
from medoffice.edi.x837p.model import (
    Address,
    Adjustment,
    Claim,
    Contact,
    LineAdjudication,
    OtherPayer,
    OtherSubscriber,
    Payer,
    Provider,
    ServiceFacility,
    ServiceLine,
)

# Where a loop ends: the segments that begin the next loop of the same or a higher level.
_CLAIM_END = {"HL", "CLM"}
_LINE_END = {"HL", "CLM", "LX"}
_NOT_KEPT_2300 = {
    "DTP": "claim dates other than the service dates are not in the claim model",
    "PWK": "attachments are not in the claim model",
    "CN1": "contract information is not in the claim model",
    "AMT": "the patient amount paid is not in the claim model",
    "K3": "file information is not in the claim model",
    "NTE": "claim notes are not in the claim model",
    "CR1": "ambulance details are not in the claim model",
    "CR2": "spinal manipulation details are not in the claim model",
    "CRC": "condition indicators are not in the claim model",
    "HCP": "repricing is not in the claim model",
}
_NOT_KEPT_2400 = {
    "SV5": "equipment details are not in the line model",
    "PWK": "attachments are not in the line model",
    "CR1": "ambulance details are not in the line model",
    "CR3": "equipment certification is not in the line model",
    "CRC": "condition indicators are not in the line model",
    "DTP": "line dates other than the service date are not in the line model",
    "QTY": "quantities are not in the line model",
    "MEA": "test results are not in the line model",
    "CN1": "contract information is not in the line model",
    "AMT": "tax and postage amounts are not in the line model",
    "K3": "file information is not in the line model",
    "NTE": "line notes are not in the line model",
    "PS1": "purchased services are not in the line model",
    "HCP": "repricing is not in the line model",
    "CAS": "an adjustment outside a line adjudication (2430 SVD) is not in the line model",
    "LQ": "forms (2440) are not in the line model",
    "FRM": "forms (2440) are not in the line model",
}


# Loop 2320 after its SBR, and the other payer's own loops (2330A-2330I).
_OTHER_PAYER_END = _CLAIM_END | {"LX", "SBR"}
_NOT_KEPT_2320 = {
    "AMT": "this other payer amount is not in the model (paid and remaining liability are)",
    "MIA": "inpatient adjudication (MIA) is not in the other payer model",
    "MOA": "outpatient adjudication remarks (MOA) are not in the other payer model",
}


class ClaimReader:
    """The loops below the subscriber/patient level, read from ``self.cur``."""

    cur: Cursor

    # -- shared pieces -----------------------------------------------------------------

    def address(self, whose: str, *, required: bool) -> Address | None:
        n3 = self.cur.take("N3") if not required else self.cur.expect("N3", what=f"{whose} address")
        if n3 is None:
            return None
        n4 = self.cur.expect("N4", what=f"{whose} city, state, ZIP")
        for n in range(4, 8):
            if n4[n]:
                self.cur.note(n4, f"N4{n:02d} (country or location) of the {whose} is not kept")
                break
        return Address(n3[1], n4[1], n4[2], n4[3], n3[2])

    def contacts(self, whose: str) -> Contact | None:
        first = None
        while self.cur.at("PER"):
            per = self.cur.next()
            if first is not None:
                self.cur.note(per, f"only the first {whose} contact is kept")
                continue
            numbers = {}
            for n in (3, 5, 7):
                if per[n]:
                    if per[n] in numbers or per[n] not in ("TE", "EX", "EM"):
                        self.cur.note(
                            per, f"{per[n]} {per[n + 1]} is not kept (phone, e-mail only)"
                        )
                    else:
                        numbers[per[n]] = per[n + 1]
            first = Contact(
                per[2], numbers.get("TE", ""), numbers.get("EX", ""), numbers.get("EM", "")
            )
        return first

    @staticmethod
    def npi(nm1: Segment, *, required: bool = True) -> str:
        """NM109 when NM108 is XX; a rendering or referring provider may have none."""
        if nm1[8] == "XX":
            return nm1[9]
        if not nm1[8] and not required:
            return ""
        raise nm1.error(f"NM108 {nm1[8]!r}: an NPI (XX) is required here", 8)

    def provider(self, role: str) -> Provider:
        nm1 = self.cur.next()
        prv = self.cur.take("PRV", "PE") if role == "82" else None
        while self.cur.at("REF"):
            self.cur.skip("secondary provider ids are not kept")
        person = nm1[2] == "1"
        return Provider(
            last_name=nm1[3],
            first_name=nm1[4] if person else "",
            npi=self.npi(nm1, required=False),
            middle_name=nm1[5] if person else "",
            suffix=nm1[7] if person else "",
            taxonomy=prv[3] if prv else "",
            is_organization=not person,
        )

    def skip_loop(self, reason: str, members=frozenset({"N3", "N4", "REF", "PER", "PRV"})) -> None:
        self.cur.skip(reason)
        while self.cur.at_any(members):
            self.cur.skip(reason)

    # -- claims ------------------------------------------------------------------------

    def claims(self) -> tuple[Claim, ...]:
        found = []
        while self.cur.at("CLM"):
            found.append(self.claim())
        return tuple(found)

    def claim(self) -> Claim:
        cur = self.cur
        clm = cur.next()
        parts = clm.components(5)
        if len(parts) == 1 and len(parts[0]) > 2:
            sep = clm.delimiters.component
            raise clm.error(
                f"CLM05 {clm[5]!r} is not split by the component separator {sep!r} that ISA16 "
                "declares (a wrong separator?)",
                5,
            )
        pos, facility_code, frequency = (parts + ["", "", ""])[:3]
        if facility_code != "B":
            raise clm.error(f"CLM05-2 {facility_code!r}: professional claims use B", 5, 2)
        total = read_amount(clm, 2)
        for n in range(10, len(clm) + 1):
            if clm[n]:
                cur.note(clm, f"CLM{n:02d} ({clm[n]}) is not in the claim model")
        if clm[8] == "W":
            cur.note(clm, "CLM08 W (not applicable) read as benefits not assigned")
        refs: dict[str, str] = {}
        diagnoses: tuple[str, ...] | None = None
        code_list = "ABK"
        referring = rendering = facility = None
        others: list[OtherPayer] = []
        while cur.peek() is not None and not cur.at_any(_CLAIM_END | {"LX"}):
            seg = cur.peek()
            if seg.id == "REF" and seg[1] in ("F8", "G1", "9F") and seg[1] not in refs:
                refs[seg[1]] = cur.next()[2]
            elif seg.id == "HI" and seg.component(1, 1) in ("ABK", "BK") and diagnoses is None:
                diagnoses, code_list = self.diagnoses(cur.next())
            elif seg.id in ("REF", "HI"):
                cur.skip("this claim reference or code list is not in the claim model")
            elif seg.id in _NOT_KEPT_2300:
                cur.skip(_NOT_KEPT_2300[seg.id])
            elif seg.id == "NM1" and seg[1] == "DN" and referring is None:
                referring = self.provider("DN")
            elif seg.id == "NM1" and seg[1] == "82" and rendering is None:
                rendering = self.provider("82")
            elif seg.id == "NM1" and seg[1] == "77" and facility is None:
                nm1 = cur.next()
                address = self.address("service facility", required=True)
                while cur.at_any({"REF", "PER"}):
                    cur.skip("service facility ids and contacts are not kept")
                facility = ServiceFacility(nm1[3], address, nm1[9] if nm1[8] == "XX" else "")
            elif seg.id == "NM1" and seg[1] in ("DQ", "PW", "45", "DN", "82", "77"):
                self.skip_loop(f"provider or location NM1*{seg[1]} is not in the claim model")
            elif seg.id == "SBR":
                others.append(self.other_payer())
            else:
                raise seg.error(f"{seg.id} is not expected in a claim (loop 2300)")
        if diagnoses is None:
            raise clm.error("the claim has no principal diagnosis (HI*ABK or HI*BK)")
        lines = []
        while cur.at("LX"):
            lines.append(self.line(len(lines) + 1, len(diagnoses)))
        if not lines:
            raise (
                self.cur.ended("LX (service line)")
                if cur.peek() is None
                else cur.peek().error("a claim needs at least one service line (LX)")
            )
        line_total = sum((line.charge for line in lines), Decimal(0))
        if total != line_total:
            raise clm.error(
                f"the claim total {total} is not the sum of its lines ({line_total})", 2
            )
        return Claim(
            patient_control_number=clm[1],
            place_of_service=pos,
            diagnoses=diagnoses,
            lines=tuple(lines),
            frequency=frequency,
            original_claim_number=refs.get("F8", ""),
            prior_authorization=refs.get("G1", ""),
            referral_number=refs.get("9F", ""),
            diagnosis_code_list=code_list,
            provider_signature=clm[6] == "Y",
            assignment=clm[7],
            benefits_assigned=clm[8] == "Y",
            release_of_information=clm[9],
            referring_provider=referring,
            rendering_provider=rendering,
            service_facility=facility,
            other_payers=tuple(others),
        )

    def adjustments(self) -> tuple[Adjustment, ...]:
        """The CAS segments at the cursor, each triple one ``Adjustment``, in file order."""
        found = []
        while self.cur.at("CAS"):
            cas = self.cur.next()
            for n in range(2, min(len(cas), 19) + 1, 3):
                if not cas[n]:
                    continue
                quantity = read_amount(cas, n + 2, required=False)
                found.append(Adjustment(cas[1], cas[n], read_amount(cas, n + 1), quantity))
        return tuple(found)

    def other_payer(self) -> OtherPayer:
        """Loops 2320, 2330A and 2330B: another payer of the claim and its adjudication."""
        cur = self.cur
        sbr = cur.next()
        adjustments = self.adjustments()
        paid = remaining = None
        oi = None
        while cur.peek() is not None and not cur.at_any(_OTHER_PAYER_END | {"NM1"}):
            seg = cur.peek()
            if seg.id == "AMT" and seg[1] == "D" and paid is None:
                paid = read_amount(cur.next(), 2)
            elif seg.id == "AMT" and seg[1] == "EAF" and remaining is None:
                remaining = read_amount(cur.next(), 2)
            elif seg.id == "OI" and oi is None:
                oi = cur.next()
            elif seg.id == "CAS":
                cur.skip("adjustments after the payer's amounts are out of place (2320)")
            elif seg.id in _NOT_KEPT_2320:
                cur.skip(_NOT_KEPT_2320[seg.id])
            else:
                raise seg.error(f"{seg.id} is not expected in other subscriber information (2320)")
        if oi is None:
            raise sbr.error("the other payer has no OI (other insurance coverage information)")
        nm1 = cur.expect("NM1", "IL", what="other subscriber (2330A)")
        address = self.address("other subscriber", required=False)
        while cur.at("REF"):
            cur.skip("other subscriber ids other than the member id are not kept")
        subscriber = OtherSubscriber(
            member_id=nm1[9],
            last_name=nm1[3],
            first_name=nm1[4],
            middle_name=nm1[5],
            suffix=nm1[7],
            address=address,
        )
        payer_nm1 = cur.expect("NM1", "PR", what="other payer (2330B)")
        payer_address = self.address("other payer", required=False)
        adjudicated = None
        claim_number = ""
        while cur.at_any({"DTP", "REF"}):
            seg = cur.peek()
            if seg.id == "DTP" and seg[1] == "573" and adjudicated is None:
                adjudicated = read_date(cur.next(), 3)
            elif seg.id == "REF" and seg[1] == "F8" and not claim_number:
                claim_number = cur.next()[2]
            else:
                cur.skip("this other payer date or reference is not kept")
        while cur.at("NM1") and cur.peek()[1] not in ("IL", "PR"):
            self.skip_loop(
                f"the other payer's provider or location NM1*{cur.peek()[1]} (2330C-I) is not kept"
            )
        return OtherPayer(
            payer=Payer(payer_nm1[3], payer_nm1[9], payer_address),
            subscriber=subscriber,
            payer_responsibility=sbr[1],
            relationship=sbr[2],
            group_number=sbr[3],
            group_name=sbr[4],
            insurance_type=sbr[5],
            claim_filing_indicator=sbr[9],
            paid=paid,
            adjustments=adjustments,
            remaining_patient_liability=remaining,
            adjudication_date=adjudicated,
            claim_number=claim_number,
            benefits_assigned=oi[3] == "Y",
            release_of_information=oi[6],
        )

    def line_adjudication(self) -> LineAdjudication:
        """Loop 2430: SVD, its CAS, DTP*573 and AMT*EAF."""
        cur = self.cur
        svd = cur.next()
        procedure = svd.components(3)
        if len(procedure) < 2 or procedure[0] != "HC":
            raise svd.error("SVD03 must be HC:<CPT/HCPCS code>[:modifiers]", 3)
        adjustments = self.adjustments()
        dtp = cur.expect("DTP", "573", what="line adjudication date (2430)")
        remaining = None
        while cur.at("AMT"):
            amt = cur.next()
            if amt[1] == "EAF" and remaining is None:
                remaining = read_amount(amt, 2)
            else:
                cur.note(amt, "this line adjudication amount is not kept")
        if svd[6]:
            cur.note(svd, "the bundled line number (SVD06) is not kept")
        return LineAdjudication(
            payer_id=svd[1],
            paid=read_amount(svd, 2),
            procedure_code=procedure[1],
            adjudication_date=read_date(dtp, 3),
            units=read_amount(svd, 5),
            modifiers=tuple(m for m in procedure[2:6] if m),
            adjustments=adjustments,
            remaining_patient_liability=remaining,
        )

    def diagnoses(self, hi: Segment) -> tuple[tuple[str, ...], str]:
        principal = hi.component(1, 1)
        other = "ABF" if principal == "ABK" else "BF"
        codes = []
        for n in range(1, len(hi) + 1):
            qualifier, code = hi.component(n, 1), hi.component(n, 2)
            if n > 1 and qualifier != other:
                raise hi.error(f"{qualifier!r} after {principal}: expected {other}", n, 1)
            if not code:
                raise hi.error("diagnosis code is missing", n, 2)
            codes.append(code)
        return tuple(codes), principal

    def line(self, number: int, diagnoses: int) -> ServiceLine:
        cur = self.cur
        lx = cur.next()
        if read_int(lx, 1) != number:
            raise lx.error(f"LX01 {lx[1]!r}: this is line {number} of the claim", 1)
        sv1 = cur.expect("SV1", what="professional service")
        procedure = sv1.components(1)
        if len(procedure) < 2 or procedure[0] != "HC":
            raise sv1.error("SV101 must be HC:<CPT/HCPCS code>[:modifiers]", 1)
        if len(procedure) > 6 and any(procedure[6:]):
            cur.note(sv1, "the procedure description (SV101-7) is not kept")
        pointers = []
        for k, text in enumerate(sv1.components(7), start=1):
            pointer = read_int(sv1, 7, text) if text else 0
            if not 1 <= pointer <= diagnoses:
                raise sv1.error(f"pointer {text!r} points to no diagnosis of {diagnoses}", 7, k)
            pointers.append(pointer)
        if not pointers:
            raise sv1.error("the line has no diagnosis pointer", 7)
        for n in range(8, len(sv1) + 1):
            if sv1[n]:
                cur.note(sv1, f"SV1{n:02d} ({sv1[n]}) is not in the line model")
        units = read_amount(sv1, 4)
        dates = None
        control = ""
        ndc, ndc_quantity, ndc_unit = "", None, ""
        rendering = referring = None
        answers: list[LineAdjudication] = []
        while cur.peek() is not None and not cur.at_any(_LINE_END):
            seg = cur.peek()
            if seg.id == "SVD":
                answers.append(self.line_adjudication())
                continue
            if answers and seg.id not in ("LQ", "FRM", "SVD"):
                raise seg.error(f"{seg.id} is not expected after a line adjudication (2430)")
            if seg.id == "DTP" and seg[1] == "472" and dates is None:
                dates = read_date_period(cur.next(), 2)
            elif seg.id == "REF" and seg[1] == "6R" and not control:
                control = cur.next()[2]
            elif seg.id == "REF":
                cur.skip("this line reference is not in the line model")
            elif seg.id == "LIN" and not ndc:
                lin = cur.next()
                if lin[2] != "N4":
                    raise lin.error(f"LIN02 {lin[2]!r}: only NDCs (N4) are read", 2)
                ndc = lin[3]
                ctp = cur.expect("CTP", what="drug quantity")
                ndc_quantity, ndc_unit = read_amount(ctp, 4), ctp.component(5, 1)
            elif seg.id == "NM1" and seg[1] == "82" and rendering is None:
                rendering = self.provider("82")
            elif seg.id == "NM1" and seg[1] == "DN" and referring is None:
                referring = self.provider("DN")
            elif seg.id == "NM1":
                self.skip_loop(f"provider or location NM1*{seg[1]} is not in the line model")
            elif seg.id in _NOT_KEPT_2400:
                cur.skip(_NOT_KEPT_2400[seg.id])
            else:
                raise seg.error(f"{seg.id} is not expected in a service line (loop 2400)")
        if dates is None:
            raise lx.error("the line has no service date (DTP*472)")
        return ServiceLine(
            procedure_code=procedure[1],
            charge=read_amount(sv1, 2),
            service_date=dates[0],
            diagnosis_pointers=tuple(pointers),
            units=units,
            modifiers=tuple(m for m in procedure[2:6] if m),
            unit_type=sv1[3],
            service_end_date=dates[1],
            place_of_service=sv1[5],
            control_number=control,
            rendering_provider=rendering,
            referring_provider=referring,
            ndc=ndc,
            ndc_quantity=ndc_quantity,
            ndc_unit=ndc_unit,
            adjudications=tuple(answers),
        )
