"""Writing X12: segments from checked values, each refusal naming the field it came from.

``SegmentWriter`` is the base of our writers: ``seg`` joins elements (dropping
trailing empty ones), and the checking helpers return the X12 spelling of a
value or raise ``EdiInputError`` with the path of the field in the caller's
dataclasses.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from medoffice.edi.errors import EdiInputError
from medoffice.edi.segments import Delimiters
from medoffice.edi.values import NOT_EXTENDED, npi_is_valid, x12_amount, x12_date, x12_time


class SegmentWriter:
    """Collects segments (``self.segments``) for one file written with ``delimiters``."""

    def __init__(self, delimiters: Delimiters):
        self.d = delimiters
        self.segments: list[str] = []
        chars = re.escape(delimiters.element + delimiters.component + delimiters.segment)
        chars += re.escape(delimiters.repetition)
        self.unsafe = re.compile(f"[{chars}]|{NOT_EXTENDED.pattern}")

    # -- primitives ------------------------------------------------------------------------

    def seg(self, *elements: str) -> None:
        values = list(elements)
        while values and values[-1] == "":
            values.pop()
        self.segments.append(self.d.element.join(values))

    def text(self, value: str, path: str, max_len: int, *, min_len: int = 1) -> str:
        if not isinstance(value, str):
            raise EdiInputError(path, f"must be text, not {type(value).__name__}")
        if not min_len <= len(value) <= max_len:
            if not value:
                raise EdiInputError(path, "is required")
            raise EdiInputError(path, f"must be {min_len} to {max_len} characters ({value!r})")
        if value != value.strip():
            raise EdiInputError(path, f"has spaces around it ({value!r})")
        bad = self.unsafe.search(value)
        if bad:
            raise EdiInputError(
                path,
                f"contains {bad.group()!r}, which the file cannot carry "
                "(a delimiter or a character outside the X12 character set)",
            )
        return value

    def optional(self, value: str, path: str, max_len: int) -> str:
        return self.text(value, path, max_len) if value else ""

    @staticmethod
    def code(value: str, allowed, path: str) -> str:
        if value not in allowed:
            raise EdiInputError(path, f"{value!r} is not one of {', '.join(sorted(allowed))}")
        return value

    @staticmethod
    def match(value: str, pattern: re.Pattern[str], path: str, what: str) -> str:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise EdiInputError(path, f"{value!r} is not {what}")
        return value

    def npi(self, value: str, path: str) -> str:
        if not isinstance(value, str) or not npi_is_valid(value):
            raise EdiInputError(path, f"{value!r} is not an NPI (10 digits with a check digit)")
        return value

    @staticmethod
    def amount(value: Decimal, path: str, *, places: int = 2, max_digits: int = 10) -> str:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise EdiInputError(path, f"must be a Decimal, not {value!r}")
        if value < 0:
            raise EdiInputError(path, f"cannot be negative ({value})")
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places and value != round(value, places):
            raise EdiInputError(path, f"has more than {places} decimal places ({value})")
        text = x12_amount(value)
        if len(text.replace(".", "")) > max_digits:
            raise EdiInputError(path, f"{value} is too large")
        return text

    @staticmethod
    def date(value: dt.date, path: str) -> str:
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise EdiInputError(path, f"must be a date, not {value!r}")
        if value.year < 1900:
            raise EdiInputError(path, f"{value} is before 1900")
        return x12_date(value)

    @staticmethod
    def moment(value: dt.datetime, path: str) -> tuple[str, str]:
        if not isinstance(value, dt.datetime):
            raise EdiInputError(path, f"must be a datetime, not {value!r}")
        if value.year < 2000:
            raise EdiInputError(path, f"{value} is before 2000")
        return x12_date(value), x12_time(value)

    @staticmethod
    def control(value: int, path: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 10**9:
            raise EdiInputError(path, f"must be a whole number from 1 to 999999999 ({value!r})")
        return value

    def isa(self, env, control: str) -> None:
        """The ISA of ``env`` (an ``Envelope``-like value: ids, qualifiers, created, usage)."""
        ids = []
        for name in ("sender", "receiver"):
            qualifier = getattr(env, f"{name}_qualifier")
            if not isinstance(qualifier, str) or len(qualifier) != 2 or not qualifier.isalnum():
                raise EdiInputError(f"envelope.{name}_qualifier", f"{qualifier!r} is not 2 letters")
            ident = self.text(getattr(env, f"{name}_id"), f"envelope.{name}_id", 15)
            ids += [qualifier, ident.ljust(15)]
        usage = self.code(env.usage, {"P", "T"}, "envelope.usage")
        created = env.created
        self.moment(created, "envelope.created")
        yymmdd = f"{created.year % 100:02d}{created.month:02d}{created.day:02d}"
        self.seg(
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            *ids,
            yymmdd,
            x12_time(created),
            self.d.repetition,
            "00501",
            control,
            "1" if env.acknowledgment_requested else "0",
            usage,
            self.d.component,
        )
