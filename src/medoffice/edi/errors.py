"""The two ways EDI work can go wrong, each saying what and where.

``X12Error`` is for a file we were given (an 837P back from a clearinghouse, a
999, a 277CA, an 835 from a payer): it names the segment by its number in
the file (1 = the ISA), its id, its byte offset and, when it matters, the
element (``CLM05``), so a biller can open the file and find the fault. Every
reader in ``medoffice.edi`` raises only this for bad input.

``EdiInputError`` is for data *we* are about to write (a claim with a
three-letter modifier, a name containing the element separator): it names
the field of our own dataclasses (``claims[2].lines[0].modifiers[1]``), so
the billing screens can point at what to fix before a file is made.
"""

from __future__ import annotations


class X12Error(Exception):
    """A fault in an X12 file, with the place it was found.

    ``segment_index`` counts segments from 1 (the ISA) through the whole file;
    ``offset`` is the byte offset of the segment's first character; ``element``
    is a reference like ``"CLM05"`` or ``"SV101-2"`` when one element is at fault.
    """

    def __init__(
        self,
        message: str,
        segment_index: int | None = None,
        segment_id: str | None = None,
        element: str | None = None,
        offset: int | None = None,
    ) -> None:
        self.message = message
        self.segment_index = segment_index
        self.segment_id = segment_id
        self.element = element
        self.offset = offset
        super().__init__(self.describe())

    def where(self) -> str:
        """'segment 12 (CLM) at byte 345, element CLM05' -- as much as is known."""
        parts = []
        if self.segment_index is not None:
            seg = f"segment {self.segment_index}"
            if self.segment_id:
                seg += f" ({self.segment_id})"
            parts.append(seg)
        elif self.segment_id:
            parts.append(f"segment {self.segment_id}")
        if self.offset is not None:
            parts.append(f"at byte {self.offset}")
        where = " ".join(parts)
        if self.element:
            where = f"{where}, element {self.element}" if where else f"element {self.element}"
        return where

    def describe(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class EdiInputError(ValueError):
    """Data handed to a writer that cannot go into a valid file.

    ``field`` is the path of the offending value in the writer's input, e.g.
    ``"transactions[0].billing[0].subscribers[1].claims[0].diagnoses[2]"``.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
