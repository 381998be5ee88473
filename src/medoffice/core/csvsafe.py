"""CSV cells a spreadsheet will not run as formulas (CSV or formula injection).

A spreadsheet opening a CSV file reads a cell that starts with ``=``, ``+``,
``-`` or ``@`` (and, in some programs, a tab or a carriage return) as a
formula. Text we stored from someone else -- a patient's name, a payer's name,
a service description, a user name -- could start that way and run when the
office opens the export. :func:`cell` puts an apostrophe in front of such
text, which spreadsheets show as text.

Only text is changed. Numbers we write ourselves stay numbers: pass money as
``Decimal`` (``Decimal("-12.50")`` is written ``-12.50``), counts as ``int``,
days as ``date``; never pre-format them into strings, or they are text too.

Text that already starts with apostrophes followed by one of those characters
gets one apostrophe more, so :func:`uncell` (for our own importers reading
back our own exports) gives back exactly what was stored.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")


def cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet: risky text gets a leading apostrophe;
    anything that is not text (Decimal, int, date, None) is returned unchanged."""
    if isinstance(value, str) and (value.startswith(FORMULA_STARTS) or _QUOTED.match(value)):
        return "'" + value
    return value


def uncell(text: str) -> str:
    """What :func:`cell` was given, for text read back from one of our exports."""
    if _QUOTED.match(text):
        return text[1:]
    return text


def row(values: Iterable[Any]) -> list[Any]:
    return [cell(v) for v in values]


class SafeWriter:
    """``csv.writer`` whose every row goes through :func:`cell`."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, values: Iterable[Any]):
        return self._writer.writerow(row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.writerow(values)


def writer(out, **kwargs) -> SafeWriter:
    """A CSV writer on ``out`` (same arguments as ``csv.writer``) that neutralises formulas."""
    return SafeWriter(out, **kwargs)
