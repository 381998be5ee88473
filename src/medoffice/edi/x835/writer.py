"""Writing 835 remittances (005010X221A1) from ``Remittance`` values.

medoffice receives 835s, it does not send them; this writer makes the files
a payer would send, for the demo practice's history, for tests and for the
posting benchmark. What it writes reads back with :func:`read_835` to the
same values, and passes the implementation guide's check (pyx12). Amounts
may be negative (a reversal, CLP02 = 22); a payment (BPR02) may not.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from medoffice.edi.errors import EdiInputError
from medoffice.edi.segments import Delimiters
from medoffice.edi.values import x12_amount, x12_date
from medoffice.edi.writing import SegmentWriter
from medoffice.edi.x835.model import (
    ADJUSTMENT_GROUPS,
    CLAIM_STATUSES,
    Adjustment,
    ClaimPayment,
    Remittance,
    ServicePayment,
)
from medoffice.edi.x837p.model import Envelope

VERSION = "005010X221A1"


def write_835(
    remittances: list[Remittance],
    envelope: Envelope,
    delimiters: Delimiters | None = None,
    *,
    line_breaks: bool = False,
) -> str:
    """One file (ISA/GS) holding one 835 transaction per remittance."""
    delimiters = delimiters or Delimiters()
    problems = delimiters.problems()
    if problems:
        raise EdiInputError("delimiters", "; ".join(problems))
    if not remittances:
        raise EdiInputError("remittances", "a file needs at least one remittance")
    writer = _Writer(delimiters)
    writer.file(remittances, envelope)
    end = delimiters.segment + ("\n" if line_breaks else "")
    return end.join(writer.segments) + end


def signed(value: Decimal) -> str:
    """An amount that may be negative: -12.5, 0, 100."""
    if value < 0:
        return "-" + x12_amount(-value)
    return x12_amount(value)


class _Writer(SegmentWriter):
    def file(self, remittances: list[Remittance], env: Envelope) -> None:
        isa13 = self.control(env.interchange_control_number, "envelope.interchange_control_number")
        gs06 = str(self.control(env.group_control_number, "envelope.group_control_number"))
        self.isa(env, f"{isa13:09d}")
        day, time = self.moment(env.created, "envelope.created")
        sender = env.application_sender_code or env.sender_id
        receiver = env.application_receiver_code or env.receiver_id
        self.seg("GS", "HP", sender, receiver, day, time, gs06, "X", VERSION)
        for n, remittance in enumerate(remittances, start=1):
            self.transaction(remittance, f"{n:04d}", f"remittances[{n - 1}]")
        self.seg("GE", str(len(remittances)), gs06)
        self.seg("IEA", "1", f"{isa13:09d}")

    def transaction(self, r: Remittance, control: str, path: str) -> None:
        start = len(self.segments)
        self.seg("ST", "835", control)
        if r.total_paid < 0:
            raise EdiInputError(f"{path}.total_paid", f"cannot be negative ({r.total_paid})")
        paid = self.amount(r.total_paid, f"{path}.total_paid", max_digits=18)
        day = x12_date(r.payment_date) if r.payment_date else ""
        if r.method == "ACH":
            # Sender's and receiver's bank (ABA routing number, account) for an EFT.
            self.seg("BPR", r.handling, paid, r.credit_debit, "ACH", "CCP", "01", "999999992",
                     "DA", "123456", "1" + _tax_id(r.payer_id), "", "01", "999988880", "DA",
                     "98765", day)  # fmt: skip
        else:
            self.seg("BPR", r.handling, paid, r.credit_debit, r.method or "CHK", *[""] * 11, day)
        self.seg("TRN", "1", self.text(r.trace_number, f"{path}.trace_number", 50),
                 "1" + _tax_id(r.payer_id))  # fmt: skip
        if r.production_date:
            self.seg("DTM", "405", x12_date(r.production_date))
        self.seg("N1", "PR", self.text(r.payer_name, f"{path}.payer_name", 60))
        self.seg("N3", "PO BOX 1000")
        self.seg("N4", "SPRINGFIELD", "IL", "627010000")
        if r.payer_id:
            self.seg("REF", "2U", self.text(r.payer_id, f"{path}.payer_id", 50))
        self.seg("PER", "BL", "EDI SUPPORT", "TE", "8005550100")
        self.seg("N1", "PE", self.text(r.payee_name, f"{path}.payee_name", 60),
                 r.payee_id_qualifier, r.payee_id)  # fmt: skip
        if r.payee_tax_id and r.payee_id_qualifier != "FI":
            self.seg("REF", "TJ", r.payee_tax_id)
        if r.claims:
            self.seg("LX", "1")
        for i, claim in enumerate(r.claims):
            self.claim(claim, f"{path}.claims[{i}]")
        self.provider_adjustments(r, path)
        self.seg("SE", str(len(self.segments) - start + 1), control)

    def provider_adjustments(self, r: Remittance, path: str) -> None:
        """PLB: one segment per provider and fiscal period, up to six adjustments each."""
        groups: dict[tuple, list[str]] = {}
        for i, plb in enumerate(r.provider_adjustments):
            self.code(plb.reason, _PLB_REASONS, f"{path}.provider_adjustments[{i}].reason")
            reason = plb.reason + (self.d.component + plb.reference if plb.reference else "")
            key = (plb.provider_id, x12_date(plb.fiscal_period_end))
            groups.setdefault(key, []).extend([reason, signed(plb.amount)])
        for (provider, period), pairs in groups.items():
            for at in range(0, len(pairs), 12):
                self.seg("PLB", provider, period, *pairs[at : at + 12])

    def claim(self, c: ClaimPayment, path: str) -> None:
        self.code(c.status, CLAIM_STATUSES, f"{path}.status")
        self.seg("CLP", self.text(c.patient_control_number, f"{path}.patient_control_number", 38),
                 c.status, signed(c.charge), signed(c.paid),
                 signed(c.patient_responsibility) if c.patient_responsibility else "",
                 c.claim_filing_indicator or "12",
                 self.text(c.payer_claim_number, f"{path}.payer_claim_number", 50),
                 c.facility_type or "11", c.frequency or "1")  # fmt: skip
        self.adjustments(c.adjustments, f"{path}.adjustments")
        self.seg("NM1", "QC", "1", self.text(c.patient_last_name, f"{path}.patient_last_name", 60),
                 c.patient_first_name, "", "", "", "MI" if c.member_id else "",
                 c.member_id)  # fmt: skip
        if c.rendering_npi:
            self.seg("NM1", "82", "2", "PRACTICE", "", "", "", "", "XX", c.rendering_npi)
        if c.remark_codes:
            self.seg("MOA", "", "", *c.remark_codes[:5])
        if c.statement_from:
            self.seg("DTM", "232", x12_date(c.statement_from))
        if c.statement_to:
            self.seg("DTM", "233", x12_date(c.statement_to))
        if c.received_date:
            self.seg("DTM", "050", x12_date(c.received_date))
        if c.coverage_amount is not None:
            self.seg("AMT", "AU", signed(c.coverage_amount))
        for i, service in enumerate(c.services):
            self.service(service, f"{path}.services[{i}]")

    def service(self, s: ServicePayment, path: str) -> None:
        procedure = self.d.component.join(
            [s.qualifier, self.text(s.procedure_code, f"{path}.procedure_code", 48), *s.modifiers]
        )
        units = "" if s.units == 1 else x12_amount(s.units)
        self.seg("SVC", procedure, signed(s.charge), signed(s.paid), s.revenue_code, units)
        if s.service_date:
            self.seg("DTM", "472", x12_date(s.service_date))
        self.adjustments(s.adjustments, f"{path}.adjustments")
        if s.control_number:
            self.seg("REF", "6R", self.text(s.control_number, f"{path}.control_number", 50))
        if s.allowed is not None:
            self.seg("AMT", "B6", signed(s.allowed))
        for code in s.remark_codes:
            self.seg("LQ", "HE", code)

    def adjustments(self, adjustments: tuple[Adjustment, ...], path: str) -> None:
        """One CAS per group, up to six reasons each (more start another CAS)."""
        by_group: dict[str, list[Adjustment]] = {}
        for i, a in enumerate(adjustments):
            self.code(a.group, ADJUSTMENT_GROUPS, f"{path}[{i}].group")
            by_group.setdefault(a.group, []).append(a)
        for group, items in by_group.items():
            for at in range(0, len(items), 6):
                elements = []
                for a in items[at : at + 6]:
                    quantity = "" if a.quantity is None else x12_amount(a.quantity)
                    elements += [a.reason, signed(a.amount), quantity]
                self.seg("CAS", group, *elements)


_PLB_REASONS = frozenset(
    {"50", "51", "72", "90", "AH", "AM", "AP", "B2", "B3", "BD", "BN", "C5", "CR", "CS", "CT",
     "CV", "CW", "DM", "E3", "FB", "FC", "GO", "HM", "IP", "IR", "IS", "J1", "L3", "L6", "LE",
     "LS", "OA", "OB", "PI", "PL", "RA", "RE", "SL", "TL", "WO", "WU"}
)  # fmt: skip


def _tax_id(payer_id: str) -> str:
    """TRN03/BPR10 want '1' and a 9-digit tax id: the payer id's digits, padded."""
    digits = "".join(ch for ch in payer_id if ch.isdigit())[:9]
    return digits.rjust(9, "0") if digits else "999999999"


def demo_envelope(*, control: int, created: dt.datetime, payer_id: str, receiver: str) -> Envelope:
    """An envelope for a file a payer sends us (its id as sender, ours as receiver)."""
    sender = (payer_id or "PAYER")[:15]
    return Envelope(
        sender_id=sender,
        receiver_id=receiver[:15],
        interchange_control_number=control,
        group_control_number=control,
        created=created,
    )
