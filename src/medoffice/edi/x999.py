"""The 999 implementation acknowledgment (005010X231A1): did the clearinghouse take our 837P?

A clearinghouse answers each 837P file with a 999 within minutes. For the
functional group (AK1, quoting our GS06) and for each transaction set (AK2,
quoting our ST02) it says accepted (``A``), accepted with errors (``E``) or
rejected (``R``, ``M``, ``W``, ``X``); a rejected batch never reaches a payer.
Errors name the segment of our file (IK3: id, position in the transaction
set, loop), the element (IK4) and often the claim (``CTX*CLM01:<our claim
number>``). ``read_999`` returns all of it; a malformed 999 is refused whole
with an ``X12Error`` naming the segment and position of the fault.
"""

from __future__ import annotations

from dataclasses import dataclass

from medoffice.edi.cursor import Cursor
from medoffice.edi.envelope import TransactionSet, read_x12
from medoffice.edi.segments import Segment
from medoffice.edi.values import read_int

VERSIONS = ("005010X231A1", "005010X231")

#: IK304: what is wrong with a segment.
SEGMENT_ERRORS = {
    "1": "unrecognized segment id",
    "2": "unexpected segment",
    "3": "required segment missing",
    "4": "loop occurs more often than allowed",
    "5": "segment used more often than allowed",
    "6": "segment not in the transaction set",
    "7": "segment out of order",
    "8": "segment has data element errors",
    "I4": "segment the guide marks 'not used' is present",
    "I6": "segment the guide requires here is missing",
    "I7": "loop occurs fewer times than the guide requires",
    "I8": "segment used fewer times than the guide requires",
    "I9": "segment the guide marks 'not used' in this situation is present",
}
#: IK403: what is wrong with an element.
ELEMENT_ERRORS = {
    "1": "required data element missing",
    "2": "conditionally required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
    "12": "too many repetitions",
    "13": "too many components",
    "I6": "code value not used in this implementation",
    "I9": "data element the guide requires in this situation is missing",
    "I10": "data element the guide marks 'not used' is present",
    "I11": "too few repetitions for the guide",
    "I12": "value does not match the guide's pattern",
    "I13": "data element the guide marks 'not used' in this situation is present",
}
#: IK501 and AK901: the verdict.
VERDICTS = {
    "A": "accepted",
    "E": "accepted with errors",
    "P": "partially accepted",
    "M": "rejected: message authentication failed",
    "R": "rejected",
    "W": "rejected: assurance failed",
    "X": "rejected: content could not be analyzed",
}
ACCEPTED = frozenset({"A", "E"})


@dataclass(frozen=True)
class ElementError:
    """IK4: one bad element: its position in the segment (component, repeat), what is wrong."""

    position: int
    component: int | None
    repeat: int | None
    data_element: str  # the X12 data element number, e.g. "1028"
    code: str
    bad_value: str = ""

    @property
    def description(self) -> str:
        return ELEMENT_ERRORS.get(self.code, f"element error {self.code}")


@dataclass(frozen=True)
class SegmentError:
    """IK3: a segment of our transaction set in error, with the claim it belongs to if named."""

    segment_id: str
    position: int  # in the transaction set: the ST is 1
    loop: str
    code: str
    claim_number: str = ""  # from CTX*CLM01: our patient control number
    context: tuple[str, ...] = ()
    elements: tuple[ElementError, ...] = ()

    @property
    def description(self) -> str:
        if not self.code:
            return "see the element errors"
        return SEGMENT_ERRORS.get(self.code, f"segment error {self.code}")


@dataclass(frozen=True)
class TransactionResult:
    """AK2 + IK5: the verdict on one of our transaction sets (one 837P batch)."""

    transaction_set_id: str  # 837
    control_number: str  # our ST02
    implementation: str
    status: str
    error_codes: tuple[str, ...] = ()
    segment_errors: tuple[SegmentError, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status in ACCEPTED

    @property
    def verdict(self) -> str:
        return VERDICTS.get(self.status, self.status)


@dataclass(frozen=True)
class Acknowledgment999:
    """One 999: the verdict on one functional group of ours and on each transaction in it."""

    control_number: str  # the 999's own ST02
    functional_id: str  # AK101: HC for claims
    group_control_number: str  # AK102: our GS06
    version: str  # AK103: our GS08
    status: str  # AK901
    included: int  # AK902: transaction sets we sent
    received: int  # AK903
    accepted_count: int  # AK904
    error_codes: tuple[str, ...]
    results: tuple[TransactionResult, ...]

    @property
    def accepted(self) -> bool:
        return self.status in ACCEPTED

    def result_for(self, control_number: str) -> TransactionResult | None:
        return next((r for r in self.results if r.control_number == control_number), None)


def read_999(data: bytes | str) -> list[Acknowledgment999]:
    """Every 999 in the file, in order; X12Error if the file is not a well-formed 999."""
    doc = read_x12(data)
    found = []
    for tx in doc.transactions():
        if tx.group.functional_id != "FA":
            raise tx.group.gs.error(
                f"functional group {tx.group.functional_id!r} is not FA (acknowledgments)", 1
            )
        found.append(_read(tx))
    return found


def _read(tx: TransactionSet) -> Acknowledgment999:
    if tx.id != "999":
        raise tx.st.error(f"transaction set {tx.id} is not a 999", 1)
    if tx.implementation not in VERSIONS:
        raise tx.st.error(f"{tx.implementation!r} is not the 999 guide (005010X231A1)", 3)
    cur = Cursor(tx.body, end=tx.segments[-1])
    ak1 = cur.expect("AK1", what="the group acknowledged")
    if not ak1[1] or not ak1[2]:
        raise ak1.error(
            "AK1 must name the functional id and group control number", 1 if not ak1[1] else 2
        )
    results = []
    while cur.at("AK2"):
        results.append(_transaction(cur))
    ak9 = cur.expect("AK9", what="the group's verdict")
    if cur.peek() is not None:
        raise cur.peek().error(f"{cur.peek().id} after AK9: the 999 should end here")
    status = _verdict(ak9, 1)
    included, received, accepted = read_int(ak9, 2), read_int(ak9, 3), read_int(ak9, 4)
    if received < len(results) or accepted > received:
        raise ak9.error(
            f"AK9 counts (included {included}, received {received}, accepted {accepted}) do not "
            f"fit the {len(results)} transaction set(s) acknowledged"
        )
    return Acknowledgment999(
        control_number=tx.control_number,
        functional_id=ak1[1],
        group_control_number=ak1[2],
        version=ak1[3],
        status=status,
        included=included,
        received=received,
        accepted_count=accepted,
        error_codes=_codes(ak9, 5, 9),
        results=tuple(results),
    )


def _transaction(cur: Cursor) -> TransactionResult:
    ak2 = cur.next()
    if not ak2[1] or not ak2[2]:
        raise ak2.error(
            "AK2 must name the transaction set id and control number", 1 if not ak2[1] else 2
        )
    errors = []
    while cur.at("IK3"):
        errors.append(_segment_error(cur))
    ik5 = cur.expect("IK5", what=f"the verdict on transaction set {ak2[2]}")
    return TransactionResult(
        transaction_set_id=ak2[1],
        control_number=ak2[2],
        implementation=ak2[3],
        status=_verdict(ik5, 1),
        error_codes=_codes(ik5, 2, 6),
        segment_errors=tuple(errors),
    )


def _segment_error(cur: Cursor) -> SegmentError:
    ik3 = cur.next()
    if not ik3[1]:
        raise ik3.error("IK301 must name the segment in error", 1)
    position = read_int(ik3, 2)
    claim_number, context = _contexts(cur)
    elements = []
    while cur.at("IK4"):
        ik4 = cur.next()
        where = ik4.components(1)
        if not where:
            raise ik4.error("IK401 must give the element position", 1)
        pos = read_int(ik4, 1, where[0])
        component = read_int(ik4, 1, where[1]) if len(where) > 1 and where[1] else None
        repeat = read_int(ik4, 1, where[2]) if len(where) > 2 and where[2] else None
        if not ik4[3]:
            raise ik4.error("IK403 must give the error code", 3)
        more_number, more = _contexts(cur)
        claim_number = claim_number or more_number
        context += more
        elements.append(ElementError(pos, component, repeat, ik4[2], ik4[3], ik4[4]))
    if not ik3[4] and not elements:
        raise ik3.error("IK3 gives neither an error code nor element errors", 4)
    return SegmentError(ik3[1], position, ik3[3], ik3[4], claim_number, context, tuple(elements))


def _contexts(cur: Cursor) -> tuple[str, tuple[str, ...]]:
    """CTX segments: 'CLM01:<claim number>' names the claim; the rest is kept as text."""
    claim_number = ""
    context = []
    while cur.at("CTX"):
        ctx = cur.next()
        name, value = ctx.component(1, 1), ctx.component(1, 2)
        if name == "CLM01" and value:
            claim_number = value
        else:
            context.append(ctx.text())
    return claim_number, tuple(context)


def _verdict(seg: Segment, n: int) -> str:
    code = seg[n]
    if code not in VERDICTS:
        raise seg.error(f"{code!r} is not an acknowledgment code ({', '.join(VERDICTS)})", n)
    return code


def _codes(seg: Segment, first: int, last: int) -> tuple[str, ...]:
    return tuple(seg[n] for n in range(first, last + 1) if seg[n])
