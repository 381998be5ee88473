"""Element values: amounts, dates and identifiers, to and from their X12 spelling.

Readers use the ``read_*`` functions, which raise ``X12Error`` at the segment
and element of a bad value; writers use the ``x12_*`` functions. The code
lists here are the ones a claim must get right before a payer even looks at
it (place of service, state).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from medoffice.edi.segments import Segment

#: CMS place-of-service codes (code source 237), as of 2024.
PLACES_OF_SERVICE = frozenset(
    [f"{n:02d}" for n in range(1, 28)]
    + ["31", "32", "33", "34", "41", "42", "49", "50", "51", "52", "53", "54", "55", "56"]
    + ["57", "58", "60", "61", "62", "65", "66", "71", "72", "81", "99"]
)

#: US states, DC, territories, military post codes and Canadian provinces (N402).
_STATE_TABLE = """
AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH
NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY
AS FM GU MH MP PR VI AA AE AP
AB BC MB NB NF NS NT ON PE PQ SK YT
"""
STATES = frozenset(_STATE_TABLE.split())

#: Characters of the X12 extended character set (005010); anything else cannot be sent.
_EXTENDED = r"A-Za-z0-9!\"&'()*+,\-./:;?= %~@\[\]_{}\\|<>^`#$"
NOT_EXTENDED = re.compile(f"[^{_EXTENDED}]")

_AMOUNT = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_DIGITS = re.compile(r"[0-9]+")


# -- reading -------------------------------------------------------------------------------


def is_digits(text: str) -> bool:
    """Only 0-9 (``str.isdigit`` also takes other scripts' digits, which ``int`` may refuse)."""
    return text.isascii() and text.isdigit()


def read_amount(seg: Segment, n: int, *, required: bool = True) -> Decimal | None:
    """Element ``n`` as money or a quantity (X12 type R): ``Decimal``, never float."""
    text = seg[n]
    if not text:
        if required:
            raise seg.error("amount is missing", n)
        return None
    if not _AMOUNT.fullmatch(text) or len(text) > 19:
        raise seg.error(f"{text!r} is not an amount", n)
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already refused it
        raise seg.error(f"{text!r} is not an amount", n) from None


def read_int(seg: Segment, n: int, text: str | None = None) -> int:
    value = seg[n] if text is None else text
    if not _DIGITS.fullmatch(value) or len(value) > 9:
        raise seg.error(f"{value!r} is not a whole number", n)
    return int(value)


def read_date(seg: Segment, n: int, text: str | None = None) -> dt.date:
    """CCYYMMDD element ``n`` (or ``text``) as a date; years before 1800 are refused."""
    value = seg[n] if text is None else text
    if len(value) == 8 and is_digits(value) and value >= "18000101":
        try:
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
    raise seg.error(f"{value!r} is not a valid date (CCYYMMDD)", n)


def read_date_period(seg: Segment, fmt_n: int) -> tuple[dt.date, dt.date | None]:
    """A DTP-style date: element ``fmt_n`` is D8 or RD8, the next element the value.

    Returns (start, end); end is None for a single day (D8).
    """
    qualifier, value = seg[fmt_n], seg[fmt_n + 1]
    if qualifier == "D8":
        return read_date(seg, fmt_n + 1), None
    if qualifier == "RD8":
        start, _, end = value.partition("-")
        first, last = read_date(seg, fmt_n + 1, start), read_date(seg, fmt_n + 1, end)
        if last < first:
            raise seg.error(f"the period {value!r} ends before it starts", fmt_n + 1)
        return first, last
    raise seg.error(f"date format {qualifier!r} is not D8 or RD8", fmt_n)


def read_datetime(seg: Segment, date_n: int, time_n: int) -> dt.datetime:
    """Date element and time element (HHMM or HHMMSS) together, naive."""
    day = read_date(seg, date_n)
    text = seg[time_n]
    if is_digits(text) and len(text) in (4, 6, 7, 8):
        try:
            return dt.datetime.combine(
                day, dt.time(int(text[:2]), int(text[2:4]), int(text[4:6] or 0))
            )
        except ValueError:
            pass
    raise seg.error(f"{text!r} is not a valid time (HHMM)", time_n)


# -- writing -------------------------------------------------------------------------------


def x12_amount(value: Decimal) -> str:
    """120.00 -> '120', 12.50 -> '12.5': the shortest spelling X12 accepts."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def x12_date(value: dt.date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def x12_time(value: dt.datetime) -> str:
    return f"{value.hour:02d}{value.minute:02d}"


def npi_check_digit(first_nine: str) -> int:
    """The NPI's tenth digit: Luhn over '80840' + the first nine (the prefix adds 24)."""
    total = 24
    for i, ch in enumerate(reversed(first_nine)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def npi_is_valid(npi: str) -> bool:
    """Ten digits whose last is the check digit of the first nine."""
    if len(npi) != 10 or not is_digits(npi):
        return False
    return npi_check_digit(npi[:9]) == int(npi[9])


def plain_text(value: str) -> str:
    """A name or address as X12 can carry it: accents dropped (José -> Jose), other
    characters outside the extended character set replaced by spaces, runs of
    spaces collapsed. Billing applies it when copying names from patient records."""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(NOT_EXTENDED.sub(" ", ascii_only).split())
