"""Cutting an X12 file into segments, with the delimiters its ISA header declares.

An X12 file is a stream of *segments* (``CLM*A37*500***11:B:1~``): a two- or
three-letter id and its *elements*, separated by the element separator
(``*``), ended by the segment terminator (``~``). An element may hold
*components* (``11:B:1``, split by the component separator) or *repeats*
(split by the repetition separator). A file chooses its own four delimiters;
the first segment, the ISA, has fixed widths (106 characters), so its
character 4 is the element separator, ISA11 the repetition separator, ISA16
the component separator, and the character after ISA16 the terminator.

``split_segments`` does only this cutting (plus the checks that make a cut
trustworthy); ``medoffice.edi.envelope`` checks the ISA/GS/ST envelopes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate

from medoffice.edi.errors import X12Error

ISA_LENGTH = 106
#: Widths of ISA01..ISA16; every one is fixed.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_LEADING = "\ufeff \t\r\n"  # a byte-order mark or blank lines before the ISA are tolerated
_NEWLINES = "\r\n"


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four separators of a file. ``repetition`` is "" when the file declares none."""

    element: str = "*"
    repetition: str = "^"
    component: str = ":"
    segment: str = "~"

    def problems(self) -> list[str]:
        """What is wrong with this set, in words; [] when it can be used to write a file."""
        found = []
        named = [("element", self.element), ("component", self.component)]
        named.append(("segment", self.segment))
        if self.repetition:
            named.append(("repetition", self.repetition))
        for name, char in named:
            if len(char) != 1:
                found.append(f"the {name} separator must be one character, not {char!r}")
            elif char.isalnum() or char == " ":
                found.append(f"the {name} separator {char!r} is a letter, digit or space")
        chars = [c for _, c in named]
        if len(set(chars)) != len(chars):
            found.append(f"the separators {chars!r} are not all different")
        return found


class Segment:
    """One segment: ``seg.id`` (``"CLM"``), ``seg[1]`` .. ``seg[n]`` its elements.

    ``index`` is its number in the file (the ISA is 1) and ``offset`` the byte
    offset of its first character, so any fault can be pointed at. A missing
    element reads as "" (X12 drops trailing empty elements).
    """

    __slots__ = ("id", "elements", "index", "offset", "delimiters")

    def __init__(self, elements: list[str], index: int, offset: int, delimiters: Delimiters):
        self.id = elements[0]
        self.elements = elements
        self.index = index
        self.offset = offset
        self.delimiters = delimiters

    def __getitem__(self, n: int) -> str:
        try:
            return self.elements[n]  # readers ask for n >= 1
        except IndexError:
            return ""

    def __len__(self) -> int:
        """The number of elements written (trailing empty ones are usually left out)."""
        return len(self.elements) - 1

    def __repr__(self) -> str:
        return f"<Segment {self.index} {self.text()!r}>"

    def text(self) -> str:
        return self.delimiters.element.join(self.elements)

    def components(self, n: int) -> list[str]:
        """Element ``n`` cut at the component separator ([] when the element is empty)."""
        value = self[n]
        return value.split(self.delimiters.component) if value else []

    def component(self, n: int, k: int) -> str:
        """Component ``k`` (from 1) of element ``n``, "" when absent."""
        parts = self.components(n)
        return parts[k - 1] if 0 < k <= len(parts) else ""

    def repeats(self, n: int) -> list[str]:
        value = self[n]
        if not value:
            return []
        return value.split(self.delimiters.repetition) if self.delimiters.repetition else [value]

    def ref(self, n: int | None = None, k: int | None = None) -> str | None:
        """The element reference used in implementation guides: ``CLM05`` or ``CLM05-1``."""
        if n is None:
            return None
        return f"{self.id}{n:02d}" + (f"-{k}" if k is not None else "")

    def error(self, message: str, n: int | None = None, k: int | None = None) -> X12Error:
        """An ``X12Error`` at this segment (and element ``n``, component ``k``)."""
        return X12Error(message, self.index, self.id, self.ref(n, k), self.offset)


@dataclass(slots=True)
class SplitFile:
    """What ``split_segments`` found: the delimiters, the segments, and what it tolerated."""

    delimiters: Delimiters
    segments: list[Segment]
    warnings: list[str]


def decode(data: bytes | str) -> str:
    """Bytes to text. X12 is ASCII (UTF-8 for the extended character set); anything else fails."""
    if isinstance(data, str):
        return data
    raw = bytes(data)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise X12Error(
            f"byte 0x{raw[exc.start]:02X} is not ASCII or UTF-8 text", offset=exc.start
        ) from None


def _byte_offset(text: str, char_offset: int) -> int:
    if text.isascii():
        return char_offset
    return len(text[:char_offset].encode("utf-8"))


def read_isa(text: str, start: int) -> tuple[Delimiters, list[str]]:
    """Delimiters from the ISA beginning at ``start``; raises X12Error naming the faulty element."""
    offset = _byte_offset(text, start)
    head = text[start : start + 3]
    if head != "ISA":
        found = text[start : start + 10]
        raise X12Error(
            f"an X12 interchange must begin with an ISA segment; found {found!r}",
            1,
            None,
            None,
            offset,
        )
    isa = text[start : start + ISA_LENGTH]
    element = isa[3] if len(isa) > 3 else ""
    if not element or element.isalnum() or element in " \r\n":
        raise X12Error(f"ISA element separator {element!r} is not usable", 1, "ISA", None, offset)
    # Check every fixed width, so a short ISA06 is named rather than "bad delimiters".
    fields = text[start : start + ISA_LENGTH + 40].split(element)
    for i, width in enumerate(ISA_WIDTHS[:-1], start=1):
        value = fields[i] if i < len(fields) else None
        if value is None:
            raise X12Error("the ISA segment is cut short", 1, "ISA", f"ISA{i:02d}", offset)
        if len(value) != width:
            raise X12Error(
                f"ISA{i:02d} must be exactly {width} characters, found {len(value)} ({value!r})",
                1,
                "ISA",
                f"ISA{i:02d}",
                offset,
            )
    if len(isa) < ISA_LENGTH:
        raise X12Error(
            f"the ISA segment is cut short: {ISA_LENGTH} characters expected, found {len(isa)}",
            1,
            "ISA",
            None,
            offset,
        )
    if isa[103] != element:
        raise X12Error(
            "ISA16 must be exactly 1 character (the component separator)",
            1,
            "ISA",
            "ISA16",
            offset,
        )
    component, terminator, repetition = isa[104], isa[105], isa[82]
    warnings = []
    version = isa[84:89]
    if version not in ("00501", "00401"):
        raise X12Error(
            f"ISA12 version {version!r} is not one we read (00501 = 5010, 00401 = 4010)",
            1,
            "ISA",
            "ISA12",
            offset,
        )
    if version == "00401":
        repetition = ""  # 4010's ISA11 is the standards id ("U"), not a separator
    elif repetition.isalnum() or repetition == " ":
        warnings.append(
            f"ISA11 is {repetition!r}, not a separator: read as 'no repetition separator' "
            "(a 4010 habit in a 5010 file)"
        )
        repetition = ""
    delimiters = Delimiters(element, repetition, component, terminator)
    for problem in delimiters.problems():
        raise X12Error(f"ISA delimiters: {problem}", 1, "ISA", None, offset)
    return delimiters, warnings


def split_segments(data: bytes | str) -> SplitFile:
    """Cut a file into segments. Raises X12Error for anything that cannot be cut reliably.

    Tolerated (and not reported): a byte-order mark or blank lines before the
    ISA, line breaks after segment terminators, trailing blank lines.
    Tolerated and reported in ``warnings``: an ISA11 that is a letter in a
    5010 file (read as no repetition separator) and a last segment without
    its terminator. 4010 (00401) interchanges are cut too -- their ISA11 is
    not a separator -- so the envelope checks work on them; the 5010
    transaction readers then refuse them by their GS08.
    """
    text = decode(data)
    start = len(text) - len(text.lstrip(_LEADING))
    if start == len(text):
        raise X12Error("the file is empty")
    delimiters, warnings = read_isa(text, start)
    term, sep = delimiters.segment, delimiters.element
    _refuse_control_characters(text, start, delimiters)

    pieces = text[start:].split(term)
    tail = pieces.pop()
    # Byte offset of each piece: sizes added up in C, not segment by segment in Python.
    if text.isascii():
        sizes = map(len, pieces)
        step = len(term)
    else:
        sizes = (len(p.encode("utf-8")) for p in pieces)
        step = len(term.encode("utf-8"))
    begins = accumulate((size + step for size in sizes), initial=_byte_offset(text, start))
    stripped = [p.lstrip(_NEWLINES) for p in pieces]  # line breaks after terminators
    split_pieces = [p.split(sep) for p in stripped]
    segments: list[Segment] = []
    append = segments.append
    seen_ids: set[str] = set()
    newline_terminator = term in _NEWLINES
    index = 0
    for piece, raw, elements, begin in zip(stripped, pieces, split_pieces, begins, strict=False):
        offset = begin + len(raw) - len(piece)  # what lstrip removed is ASCII
        if not piece:
            if newline_terminator:  # a blank line between newline-ended segments
                continue
            raise X12Error(
                "empty segment (two segment terminators in a row)", index + 1, None, None, offset
            )
        index += 1
        seg_id = elements[0]
        if seg_id not in seen_ids:
            if not SEGMENT_ID.fullmatch(seg_id):
                raise X12Error(
                    f"{seg_id[:20]!r} is not a segment id (2-3 capital letters or digits)",
                    index,
                    None,
                    None,
                    offset,
                )
            seen_ids.add(seg_id)
        append(Segment(elements, index, offset, delimiters))
    tail_begin = next(begins)  # zip stopped at the last piece: one begin is left, the tail's
    tail_text = tail.strip()
    if tail_text:
        index += 1
        offset = tail_begin + len(tail) - len(tail.lstrip(_NEWLINES + " \t"))
        elements = tail_text.split(sep)
        if not SEGMENT_ID.fullmatch(elements[0]):
            raise X12Error(
                f"the file ends with {tail_text[:20]!r}, which is not a terminated segment "
                "(file cut short?)",
                index,
                None,
                None,
                offset,
            )
        warnings.append(f"the last segment ({elements[0]}) has no segment terminator")
        segments.append(Segment(elements, index, offset, delimiters))
    return SplitFile(delimiters, segments, warnings)


def _refuse_control_characters(text: str, start: int, delimiters: Delimiters) -> None:
    allowed = {delimiters.element, delimiters.component, delimiters.segment, "\r", "\n"}
    if delimiters.repetition:
        allowed.add(delimiters.repetition)
    banned = "".join(re.escape(chr(c)) for c in [*range(0x20), 0x7F] if chr(c) not in allowed)
    found = re.search(f"[{banned}]", text[start:])
    if found is None:
        # Line breaks belong only right after a terminator; one inside a segment is a fault.
        if delimiters.segment not in _NEWLINES:
            found = _newline_inside_segment(text, start, delimiters.segment)
        if found is None:
            return
        char_at = found
    else:
        char_at = start + found.start()
    # Which segment holds it: count terminators before it.
    terminators = [m.start() for m in re.finditer(re.escape(delimiters.segment), text[:char_at])]
    index = len(terminators) + 1
    seg_start = terminators[-1] + 1 if terminators else start
    while seg_start < char_at and text[seg_start] in _NEWLINES:
        seg_start += 1
    raise X12Error(
        f"control character 0x{ord(text[char_at]):02X} inside a segment "
        f"(byte {_byte_offset(text, char_at)})",
        index,
        text[seg_start : seg_start + 3].split(delimiters.element)[0] or None,
        None,
        _byte_offset(text, seg_start),
    )


def _newline_inside_segment(text: str, start: int, terminator: str) -> int | None:
    """Position of the first line break that does not directly follow a terminator."""
    found = re.compile(f"[^{re.escape(terminator)}\r\n][\r\n]").search(text, start)
    if found is None:
        return None
    at = found.start() + 1
    # Line breaks after an unterminated last segment are the end of the file, not a fault.
    return None if not text[at:].strip() else at
