"""The envelopes around every X12 transaction, read and checked.

A file (an *interchange*, ISA ... IEA) is what travels between the office and a
clearinghouse. Inside it, *functional groups* (GS ... GE) gather transactions
of one kind (HC = claims, HP = remittances, FA = acknowledgements, HN =
claim status), and each *transaction set* (ST ... SE) is one document: an
837P claim batch, an 835 remittance, a 999. The trailers count what they
close and repeat the header's control number, so a file cut short or pasted
together shows. ``read_x12`` checks all of that and returns the structure;
the transaction readers (``x837p``, ``x835``, ``x999``, ``x277``) work on
``TransactionSet.segments``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from medoffice.edi.segments import Delimiters, Segment, split_segments
from medoffice.edi.values import is_digits, read_datetime


@dataclass(slots=True)
class TransactionSet:
    """One ST ... SE document. ``segments`` includes the ST and the SE."""

    id: str  # ST01: 837, 835, 999, 277, ...
    control_number: str  # ST02
    implementation: str  # ST03, or the group's GS08 when ST03 is absent
    segments: list[Segment]
    group: FunctionalGroup = field(repr=False)

    @property
    def body(self) -> list[Segment]:
        """The segments between ST and SE."""
        return self.segments[1:-1]

    @property
    def st(self) -> Segment:
        return self.segments[0]


@dataclass(slots=True)
class FunctionalGroup:
    """One GS ... GE group of transactions of one kind."""

    functional_id: str  # GS01: HC claims, HP remittance, FA acknowledgement, HN status
    sender: str  # GS02 application sender's code
    receiver: str  # GS03
    created: dt.datetime  # GS04 + GS05
    control_number: str  # GS06
    version: str  # GS08, e.g. 005010X222A1
    gs: Segment = field(repr=False)
    transactions: list[TransactionSet] = field(default_factory=list)


@dataclass(slots=True)
class Interchange:
    """One ISA ... IEA interchange: who sent it to whom, when, and its control number."""

    sender_qualifier: str  # ISA05
    sender_id: str  # ISA06, trailing spaces removed
    receiver_qualifier: str  # ISA07
    receiver_id: str  # ISA08
    created: dt.datetime  # ISA09 + ISA10
    control_number: str  # ISA13, nine digits
    acknowledgment_requested: bool  # ISA14
    usage: str  # ISA15: P production, T test
    version: str  # ISA12: 00501 (5010) or 00401 (4010)
    isa: Segment = field(repr=False)
    groups: list[FunctionalGroup] = field(default_factory=list)


@dataclass(slots=True)
class X12Document:
    """A whole file: its delimiters, every segment, the interchanges, what was tolerated."""

    delimiters: Delimiters
    segments: list[Segment]
    interchanges: list[Interchange]
    warnings: list[str]

    def transactions(self) -> Iterator[TransactionSet]:
        for interchange in self.interchanges:
            for group in interchange.groups:
                yield from group.transactions


def read_x12(data: bytes | str) -> X12Document:
    """Read a file and check its envelopes; X12Error names the first fault."""
    split = split_segments(data)
    reader = _EnvelopeReader(split.segments)
    interchanges = reader.run()
    return X12Document(split.delimiters, split.segments, interchanges, split.warnings)


def _isa_datetime(seg: Segment) -> dt.datetime:
    """ISA09 (YYMMDD) and ISA10 (HHMM): when the interchange was made."""
    day, time = seg[9], seg[10]
    try:
        date = dt.date(2000 + int(day[:2]), int(day[2:4]), int(day[4:]))
    except ValueError:
        date = None
    if date is None or not is_digits(day):
        raise seg.error(f"{day!r} is not a valid date (YYMMDD)", 9)
    try:
        clock = dt.time(int(time[:2]), int(time[2:]))
    except ValueError:
        clock = None
    if clock is None or not is_digits(time):
        raise seg.error(f"{time!r} is not a valid time (HHMM)", 10)
    return dt.datetime.combine(date, clock)


def _count(seg: Segment, n: int) -> int:
    text = seg[n]
    if not is_digits(text) or len(text) > 10:
        raise seg.error(f"{text!r} is not a count", n)
    return int(text)


class _EnvelopeReader:
    def __init__(self, segments: list[Segment]):
        self.segments = segments

    def run(self) -> list[Interchange]:
        segments = self.segments
        interchanges: list[Interchange] = []
        interchange: Interchange | None = None
        group: FunctionalGroup | None = None
        st_at: int | None = None  # list position of the open ST
        st: Segment | None = None
        for pos, seg in enumerate(segments):
            sid = seg.id
            if st_at is not None:
                if sid == "SE":
                    self._close_transaction(group, st, st_at, pos)
                    st_at = st = None
                elif sid in ("ST", "GS", "GE", "ISA", "IEA"):
                    raise seg.error(
                        f"{sid} inside transaction set {st[2]!r}: its SE trailer is missing"
                    )
                continue
            if sid == "ISA":
                if interchange is not None:
                    raise seg.error(
                        f"a new ISA before interchange {interchange.control_number} was "
                        "closed by its IEA"
                    )
                interchange = self._open_interchange(seg)
            elif sid == "IEA":
                if interchange is None:
                    raise seg.error("IEA without an ISA")
                if group is not None:
                    raise seg.error(f"IEA before group {group.control_number} was closed by a GE")
                self._close_interchange(interchange, seg)
                interchanges.append(interchange)
                interchange = None
            elif sid == "GS":
                if interchange is None:
                    raise seg.error("GS outside an interchange (no ISA before it)")
                if group is not None:
                    raise seg.error(f"GS before group {group.control_number} was closed by a GE")
                group = self._open_group(interchange, seg)
            elif sid == "GE":
                if group is None:
                    raise seg.error("GE without a GS")
                self._close_group(group, seg)
                group = None
            elif sid == "ST":
                if group is None:
                    raise seg.error("ST outside a functional group (no GS before it)")
                self._check_st(group, seg)
                st_at, st = pos, seg
            else:
                raise seg.error(
                    f"{sid} outside a transaction set (segments belong between ST and SE)"
                )
        last = segments[-1]
        if st_at is not None:
            raise last.error(f"the file ends inside transaction set {st[2]!r} (no SE): cut short?")
        if group is not None:
            raise last.error(
                f"the file ends inside group {group.control_number} (no GE): cut short?"
            )
        if interchange is not None:
            raise last.error(
                f"the file ends inside interchange {interchange.control_number} (no IEA): "
                "cut short?"
            )
        return interchanges

    # -- ISA/IEA -----------------------------------------------------------------------------

    def _open_interchange(self, seg: Segment) -> Interchange:
        if len(seg) != 16:
            raise seg.error(f"ISA must have 16 elements, found {len(seg)}")
        for n in (1, 3, 5, 7):
            if not seg[n].strip():
                raise seg.error("qualifier is blank", n)
        control = seg[13]
        if not is_digits(control):
            raise seg.error(f"interchange control number {control!r} is not 9 digits", 13)
        if seg[14] not in ("0", "1"):
            raise seg.error(f"acknowledgment requested must be 0 or 1, not {seg[14]!r}", 14)
        if seg[15] not in ("P", "T", "I"):
            raise seg.error(
                f"usage indicator must be P (production) or T (test), not {seg[15]!r}", 15
            )
        if not seg[6].strip() or not seg[8].strip():
            raise seg.error("sender or receiver id is blank", 6 if not seg[6].strip() else 8)
        created = _isa_datetime(seg)
        return Interchange(
            sender_qualifier=seg[5],
            sender_id=seg[6].rstrip(),
            receiver_qualifier=seg[7],
            receiver_id=seg[8].rstrip(),
            created=created,
            control_number=control,
            acknowledgment_requested=seg[14] == "1",
            usage=seg[15],
            version=seg[12],
            isa=seg,
        )

    def _close_interchange(self, interchange: Interchange, seg: Segment) -> None:
        count = _count(seg, 1)
        if count != len(interchange.groups):
            raise seg.error(
                f"IEA01 says {count} functional group(s), the interchange holds "
                f"{len(interchange.groups)}",
                1,
            )
        if seg[2] != interchange.control_number:
            raise seg.error(
                f"IEA02 {seg[2]!r} does not match ISA13 {interchange.control_number!r}", 2
            )

    # -- GS/GE -------------------------------------------------------------------------------

    def _open_group(self, interchange: Interchange, seg: Segment) -> FunctionalGroup:
        if len(seg) < 8:
            raise seg.error(f"GS must have 8 elements, found {len(seg)}")
        for n in (1, 2, 3, 8):
            if not seg[n]:
                raise seg.error("required element is empty", n)
        control = seg[6]
        if not is_digits(control) or len(control) > 9:
            raise seg.error(f"group control number {control!r} is not 1-9 digits", 6)
        if any(g.control_number == control for g in interchange.groups):
            raise seg.error(f"group control number {control} is used twice in this interchange", 6)
        if seg[7] != "X":
            raise seg.error(f"GS07 must be X (ASC X12), not {seg[7]!r}", 7)
        created = read_datetime(seg, 4, 5)
        group = FunctionalGroup(
            functional_id=seg[1],
            sender=seg[2],
            receiver=seg[3],
            created=created,
            control_number=control,
            version=seg[8],
            gs=seg,
        )
        interchange.groups.append(group)
        return group

    def _close_group(self, group: FunctionalGroup, seg: Segment) -> None:
        count = _count(seg, 1)
        if count != len(group.transactions):
            raise seg.error(
                f"GE01 says {count} transaction set(s), the group holds {len(group.transactions)}",
                1,
            )
        if seg[2] != group.control_number:
            raise seg.error(f"GE02 {seg[2]!r} does not match GS06 {group.control_number!r}", 2)

    # -- ST/SE -------------------------------------------------------------------------------

    def _check_st(self, group: FunctionalGroup, seg: Segment) -> None:
        if not (len(seg[1]) == 3 and is_digits(seg[1])):
            raise seg.error(f"transaction set id {seg[1]!r} is not 3 digits", 1)
        control = seg[2]
        if not 4 <= len(control) <= 9:
            raise seg.error(f"transaction set control number {control!r} is not 4-9 characters", 2)
        if any(t.control_number == control for t in group.transactions):
            raise seg.error(f"transaction set control number {control} is used twice in group", 2)

    def _close_transaction(
        self, group: FunctionalGroup, st: Segment, st_at: int, se_at: int
    ) -> None:
        se = self.segments[se_at]
        count = _count(se, 1)
        actual = se_at - st_at + 1
        if count != actual:
            raise se.error(
                f"SE01 says {count} segments, the transaction set has {actual} (ST to SE)", 1
            )
        if se[2] != st[2]:
            raise se.error(f"SE02 {se[2]!r} does not match ST02 {st[2]!r}", 2)
        group.transactions.append(
            TransactionSet(
                id=st[1],
                control_number=st[2],
                implementation=st[3] or group.version,
                segments=self.segments[st_at : se_at + 1],
                group=group,
            )
        )
