"""The 277CA claim acknowledgment (005010X214): which claims the payer took in, which it refused.

A day or two after a batch leaves, the clearinghouse or payer sends a 277CA.
For every claim it quotes our claim number (``TRN*2``, our CLM01) and gives
one or more statuses (``STC``): a category (A1/A2: received and accepted
into adjudication; A3, A6, A7, A8: rejected and returned to us), a status
code saying what (e.g. 562, an NPI), the entity it concerns (85 the billing
provider, QC the patient, ...) and often free text. A rejected claim never
reached adjudication: fix it and send it again.

``read_277`` reads 277CAs and also 277 claim status responses (005010X212),
whose claim loops look the same. A malformed file is refused whole with an
``X12Error`` at its segment; what is read but not kept is listed in
``warnings``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from medoffice.edi.cursor import Cursor
from medoffice.edi.envelope import TransactionSet, read_x12
from medoffice.edi.errors import X12Error
from medoffice.edi.segments import Segment
from medoffice.edi.values import read_amount, read_date, read_date_period, read_datetime

VERSIONS = ("005010X214", "005010X212")

#: Claim status categories (code source 507), in the office's words.
CATEGORIES = {
    "A0": "forwarded to another entity",
    "A1": "received",
    "A2": "accepted into adjudication",
    "A3": "returned as unprocessable",
    "A4": "not found",
    "A5": "split claim",
    "A6": "rejected for missing information",
    "A7": "rejected for invalid information",
    "A8": "rejected: related fields in error",
    "E0": "response not possible: error in the request",
    "E1": "response not possible: system status",
    "E2": "the information holder is not responding",
    "E3": "correction required: related fields in error",
    "E4": "trading partner agreement requirement not met",
    "F0": "finalized",
    "F1": "finalized: payment",
    "F2": "finalized: denial",
    "F3": "finalized: revised",
    "F4": "finalized: adjudication complete, no payment forthcoming",
    "P0": "pending: adjudication details",
    "P1": "pending: in process",
    "P2": "pending: payer review",
    "P3": "pending: provider requested information",
    "P4": "pending: patient requested information",
    "P5": "pending: payer administrative or system hold",
}
ACCEPTED = frozenset({"A0", "A1", "A2", "A5"})
REJECTED = frozenset({"A3", "A4", "A6", "A7", "A8", "E3"})
_PATIENT_LEVELS = {"PT", "22", "23"}


@dataclass(frozen=True)
class Status:
    """One STC: category, status code and entity; more (STC10/11) may follow."""

    category: str
    code: str
    entity: str = ""
    date: dt.date | None = None
    action: str = ""  # STC03: WQ accepted, U rejected (277CA)
    amount: Decimal | None = None  # STC04: the claim's charge as received
    message: str = ""  # STC12 free text
    more: tuple[tuple[str, str, str], ...] = ()

    @property
    def rejected(self) -> bool:
        return self.category in REJECTED or self.action == "U"

    @property
    def accepted(self) -> bool:
        return self.category in ACCEPTED and not self.rejected

    def describe(self) -> str:
        """'A7 rejected for invalid information, status 562, entity 85: <message>'."""
        parts = [f"{self.category} {CATEGORIES.get(self.category, 'status category')}"]
        codes = [(self.category, self.code, self.entity), *self.more]
        for _, code, entity in codes:
            parts.append(f"status {code}" + (f" (entity {entity})" if entity else ""))
        text = ", ".join(parts)
        return f"{text}: {self.message}" if self.message else text


@dataclass(frozen=True)
class LineStatus:
    """2220D: the status of one service line (SVC), with our line control number (REF*FJ)."""

    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal | None
    statuses: tuple[Status, ...]
    control_number: str = ""
    service_date: dt.date | None = None


@dataclass(frozen=True)
class ClaimStatusReport:
    """What the payer or clearinghouse says about one of our claims."""

    patient_control_number: str  # our claim number (CLM01)
    statuses: tuple[Status, ...]
    payer_claim_number: str = ""  # REF*1K: quote it on a replacement claim
    clearinghouse_trace: str = ""  # REF*D9
    patient_last_name: str = ""
    patient_first_name: str = ""
    member_id: str = ""
    provider_npi: str = ""
    service_date: dt.date | None = None
    service_end_date: dt.date | None = None
    lines: tuple[LineStatus, ...] = ()

    @property
    def rejected(self) -> bool:
        return any(s.rejected for s in self.statuses) or any(
            s.rejected for line in self.lines for s in line.statuses
        )

    @property
    def accepted(self) -> bool:
        return not self.rejected and any(s.accepted for s in self.statuses)

    @property
    def reason(self) -> str:
        """Every status, in words, for the claim's history."""
        return "; ".join(s.describe() for s in self.statuses)


@dataclass(frozen=True)
class ClaimAcknowledgment:
    """One 277CA (or 277) transaction: the batch-level counts and every claim's status."""

    control_number: str
    implementation: str
    reference: str  # BHT03
    created: dt.datetime
    source_name: str  # who answers: the clearinghouse or payer
    source_id: str
    receiver_name: str  # us (the submitter)
    receiver_id: str
    batch_statuses: tuple[Status, ...]
    accepted_count: int | None  # QTY*90
    rejected_count: int | None  # QTY*AA
    accepted_amount: Decimal | None  # AMT*YU
    rejected_amount: Decimal | None  # AMT*YY
    provider_statuses: tuple[tuple[str, tuple[Status, ...]], ...]  # (NPI, statuses)
    claims: tuple[ClaimStatusReport, ...]
    warnings: tuple[str, ...] = ()


def read_277(data: bytes | str) -> list[ClaimAcknowledgment]:
    """Every 277CA/277 in the file; X12Error if any is malformed."""
    doc = read_x12(data)
    found = []
    for tx in doc.transactions():
        if tx.group.functional_id != "HN":
            raise tx.group.gs.error(
                f"functional group {tx.group.functional_id!r} is not HN (claim status)", 1
            )
        found.append(_Reader(tx).read())
    return found


def parse_status(stc: Segment) -> Status:
    category, code, entity = (stc.components(1) + ["", "", ""])[:3]
    if not category or not code:
        raise stc.error("STC01 needs a status category and a status code", 1)
    more = []
    for n in (10, 11):
        if stc[n]:
            cat, cod, ent = (stc.components(n) + ["", "", ""])[:3]
            if not cat or not cod:
                raise stc.error("a further status needs a category and a code", n)
            more.append((cat, cod, ent))
    return Status(
        category=category,
        code=code,
        entity=entity,
        date=read_date(stc, 2) if stc[2] else None,
        action=stc[3],
        amount=read_amount(stc, 4, required=False),
        message=stc[12],
        more=tuple(more),
    )


class _Reader:
    def __init__(self, tx: TransactionSet):
        if tx.id != "277":
            raise tx.st.error(f"transaction set {tx.id} is not a 277", 1)
        if tx.implementation not in VERSIONS:
            raise tx.st.error(f"{tx.implementation!r} is not a 277CA (005010X214) or 277", 3)
        self.tx = tx
        self.cur = Cursor(tx.body, end=tx.segments[-1])
        self.levels: dict[str, str] = {}
        self.claims: list[ClaimStatusReport] = []
        self.providers: list[tuple[str, tuple[Status, ...]]] = []
        self.batch: dict = {"statuses": []}
        self.npi = ""

    def read(self) -> ClaimAcknowledgment:
        cur = self.cur
        bht = cur.expect("BHT", what="beginning of the acknowledgment")
        source = receiver = None
        if not cur.at("HL"):
            raise cur.ended("HL") if cur.peek() is None else cur.peek().error("expected HL here")
        while cur.peek() is not None:
            hl = self.hl()
            level = hl[3]
            if level == "20":
                source = cur.expect("NM1", what="information source")
                self.skip_rest("information source details are not kept")
            elif level == "21":
                receiver = cur.expect("NM1", what="information receiver")
                self.receiver_level()
            elif level == "19":
                nm1 = cur.expect("NM1", what="provider")
                self.npi = nm1[9] if nm1[8] == "XX" else ""
                self.provider_level()
            else:
                self.patient_level(cur.expect("NM1", what="patient or subscriber"))
        if source is None or receiver is None:
            raise self.tx.segments[-1].error("the 277 lacks its source or receiver level")
        return ClaimAcknowledgment(
            control_number=self.tx.control_number,
            implementation=self.tx.implementation,
            reference=bht[3],
            created=read_datetime(bht, 4, 5),
            source_name=source[3],
            source_id=source[9],
            receiver_name=receiver[3],
            receiver_id=receiver[9],
            batch_statuses=tuple(self.batch["statuses"]),
            accepted_count=self.batch.get("90"),
            rejected_count=self.batch.get("AA"),
            accepted_amount=self.batch.get("YU"),
            rejected_amount=self.batch.get("YY"),
            provider_statuses=tuple(self.providers),
            claims=tuple(self.claims),
            warnings=tuple(cur.warnings),
        )

    def hl(self) -> Segment:
        hl = self.cur.expect("HL", what="hierarchical level")
        if not hl[1] or hl[1] in self.levels:
            raise hl.error(f"HL01 {hl[1]!r} is missing or repeated", 1)
        level = hl[3]
        if level not in {"20", "21", "19"} | _PATIENT_LEVELS:
            raise hl.error(f"HL03 {level!r} is not a 277 level", 3)
        if (level == "20") != (hl[2] == ""):
            raise hl.error("only the information source level (20) has no parent", 2)
        if hl[2] and hl[2] not in self.levels:
            raise hl.error(f"HL02 {hl[2]!r} names no earlier level", 2)
        self.levels[hl[1]] = level
        return hl

    def skip_rest(self, reason: str) -> None:
        while self.cur.peek() is not None and not self.cur.at("HL"):
            self.cur.skip(reason)

    def statuses(self) -> list[Status]:
        found = []
        while self.cur.at("STC"):
            found.append(parse_status(self.cur.next()))
        return found

    def receiver_level(self) -> None:
        cur = self.cur
        if cur.take("TRN"):
            self.batch["statuses"] = self.statuses()
        while cur.at_any({"QTY", "AMT"}):
            seg = cur.next()
            if seg.id == "QTY" and seg[1] in ("90", "AA"):
                count = read_amount(seg, 2)
                if count != count.to_integral_value() or count < 0:
                    raise seg.error(f"{seg[2]!r} is not a count of claims", 2)
                self.batch[seg[1]] = int(count)
            elif seg.id == "AMT" and seg[1] in ("YU", "YY"):
                self.batch[seg[1]] = read_amount(seg, 2)
            else:
                cur.note(seg, "only accepted/rejected counts and amounts are kept")
        self.skip_rest("information receiver details are not kept")

    def provider_level(self) -> None:
        cur = self.cur
        statuses: list[Status] = []
        if cur.take("TRN"):
            statuses = self.statuses()
            if not statuses and self.tx.implementation == "005010X214":
                cur.warnings.append(
                    f"the billing provider level (NPI {self.npi or 'none'}) has no status: "
                    "tolerated, its claims carry their own"
                )
        while cur.at_any({"QTY", "AMT", "REF"}):
            cur.skip("provider-level counts and ids are not kept")
        self.providers.append((self.npi, tuple(statuses)))
        self.skip_rest("provider level details are not kept")

    def patient_level(self, nm1: Segment) -> None:
        cur = self.cur
        while cur.at("TRN"):
            self.claims.append(self.claim(nm1))
        if cur.peek() is not None and not cur.at("HL"):
            seg = cur.peek()
            raise seg.error(f"{seg.id} is not expected here (a claim starts with TRN*2)")

    def claim(self, nm1: Segment) -> ClaimStatusReport:
        cur = self.cur
        trn = cur.next()
        if trn[1] != "2" or not trn[2]:
            raise trn.error(
                "a claim's TRN must be TRN*2*<our claim number>", 1 if trn[1] != "2" else 2
            )
        statuses = self.statuses()
        if not statuses:
            raise self.missing("STC (the claim's status)", trn[2])
        refs: dict[str, str] = {}
        dates: tuple[dt.date | None, dt.date | None] = (None, None)
        while cur.at_any({"REF", "DTP"}):
            seg = cur.next()
            if seg.id == "REF" and seg[1] in ("1K", "D9") and seg[1] not in refs:
                refs[seg[1]] = seg[2]
            elif seg.id == "DTP" and seg[1] == "472":
                dates = self.service_dates(seg)
            else:
                cur.note(seg, "this claim reference or date is not kept")
        lines = []
        while cur.at("SVC"):
            lines.append(self.line(trn[2]))
        return ClaimStatusReport(
            patient_control_number=trn[2],
            statuses=tuple(statuses),
            payer_claim_number=refs.get("1K", ""),
            clearinghouse_trace=refs.get("D9", ""),
            patient_last_name=nm1[3],
            patient_first_name=nm1[4],
            member_id=nm1[9],
            provider_npi=self.npi,
            service_date=dates[0],
            service_end_date=dates[1],
            lines=tuple(lines),
        )

    def service_dates(self, dtp: Segment) -> tuple[dt.date | None, dt.date | None]:
        try:
            return read_date_period(dtp, 2)
        except X12Error as exc:  # the claim is matched by its number, not its date
            self.cur.warnings.append(f"{exc.describe()}; the service date is not kept")
            return None, None

    def line(self, claim_number: str) -> LineStatus:
        cur = self.cur
        svc = cur.next()
        procedure = svc.components(1)
        if len(procedure) < 2:
            raise svc.error("SVC01 needs a qualifier and a procedure code", 1)
        statuses = self.statuses()
        if not statuses:
            raise self.missing(f"STC (a line status of claim {claim_number})", claim_number)
        control = ""
        day = None
        while cur.at_any({"REF", "DTP"}):
            seg = cur.next()
            if seg.id == "REF" and seg[1] == "FJ":
                control = seg[2]
            elif seg.id == "DTP" and seg[1] == "472":
                day = self.service_dates(seg)[0]
            else:
                cur.note(seg, "this line reference or date is not kept")
        return LineStatus(
            procedure_code=procedure[1],
            modifiers=tuple(m for m in procedure[2:6] if m),
            charge=read_amount(svc, 2, required=False),
            statuses=tuple(statuses),
            control_number=control,
            service_date=day,
        )

    def missing(self, what: str, claim_number: str) -> X12Error:
        seg = self.cur.peek()
        if seg is None:
            return self.cur.ended(what)
        return seg.error(f"expected {what} for claim {claim_number} here, found {seg.id}")
