"""The identifiers and checks patient records share: MRNs, Medicare ids, dates of birth, phones.

Also the two index/column helpers search relies on (:class:`SearchKeyField`,
and :class:`CaseInsensitivePrefixIndex`, which migration 0001 still names).
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.backends.ddl_references import Statement, Table
from django.db.models import F
from django.db.models.functions import Collate, Upper
from django.utils import timezone

MRN_DIGITS = 8  # a 7-digit sequence number and a Luhn check digit
OLDEST_AGE_YEARS = 120  # a date of birth further back is a typo

X12_PAYER_ID = RegexValidator(
    r"^[A-Z0-9]{2,80}$", "The payer id has 2 to 80 capital letters or digits, e.g. 60054."
)
MEMBER_ID = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9 \-]{0,79}$",
    "The member id has up to 80 letters and digits (spaces and dashes are allowed).",
)
# Medicare Beneficiary Identifier: 11 characters; letters exclude S, L, O, I, B and Z.
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
_A, _AN = f"[{MBI_LETTERS}]", f"[{MBI_LETTERS}0-9]"
_MBI_RE = re.compile(f"^[1-9]{_A}{_AN}[0-9]{_A}{_AN}[0-9]{_A}{_A}[0-9][0-9]$")


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit to append to ``digits``."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def mrn_from_sequence(number: int) -> str:
    """The MRN for the ``number``-th patient: 7 digits, then a Luhn check digit (10000017)."""
    if not 1 <= number <= 8_999_999:
        raise ValueError(f"MRN sequence number out of range: {number}")
    body = str(1_000_000 + number)
    return body + str(luhn_check_digit(body))


def validate_mrn(value: str) -> None:
    if len(value) != MRN_DIGITS or not value.isdigit():
        raise ValidationError("A medical record number (MRN) has 8 digits.", code="mrn_format")
    if luhn_check_digit(value[:-1]) != int(value[-1]):
        raise ValidationError(
            "This MRN's last digit does not match its check digit; check for a typo.",
            code="mrn_check_digit",
        )


def mbi_ok(value: str) -> bool:
    """True when ``value`` has the shape of a Medicare Beneficiary Identifier (dashes ignored)."""
    return bool(_MBI_RE.match(value.replace("-", "").replace(" ", "").upper()))


class CaseInsensitivePrefixIndex(models.Index):
    """An index that serves ``field__istartswith`` (and ``iexact``) look-ups on both databases.

    Django turns ``last_name__istartswith="smi"`` into ``UPPER(last_name) LIKE
    'SMI%'`` on PostgreSQL, which only an index on ``UPPER(..)`` with the
    ``text_pattern_ops`` operator class can serve whatever the collation; on
    SQLite into ``last_name LIKE 'smi%'``, which needs an index in the NOCASE
    collation. This index is built the right way for the database at hand.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        columns = [model._meta.get_field(name).column for name in self.fields]
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            # Written out: Django's OpClass() needs django.contrib.postgres installed.
            qn = schema_editor.quote_name
            return Statement(
                "CREATE INDEX %(name)s ON %(table)s (%(columns)s)",
                name=qn(self.name),
                table=Table(model._meta.db_table, qn),
                columns=", ".join(f"(UPPER({qn(c)})) text_pattern_ops" for c in columns),
            )
        if vendor == "sqlite":
            parts = [Collate(F(name), "NOCASE") for name in self.fields]
        else:
            parts = [Upper(name) for name in self.fields]
        index = models.Index(*parts, name=self.name, condition=self.condition)
        return index.create_sql(model, schema_editor, using=using, **kwargs)


def validate_not_in_future(value: dt.date) -> None:
    if value > timezone.localdate():
        raise ValidationError("This date is in the future.", code="future_date")


def validate_birth_date(value: dt.date) -> None:
    """A date of birth that can be true: not in the future, at most 120 years ago."""
    today = timezone.localdate()
    if value > today:
        raise ValidationError(
            "The date of birth cannot be in the future; check the year.", code="future_date"
        )
    try:
        oldest = today.replace(year=today.year - OLDEST_AGE_YEARS)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - OLDEST_AGE_YEARS, day=28)
    if value < oldest:
        raise ValidationError(
            f"The date of birth is more than {OLDEST_AGE_YEARS} years ago; check the year.",
            code="too_old",
        )


def validate_us_phone(value: str) -> None:
    """A North American number: area code and exchange do not start with 0 or 1."""
    digits = value[-10:]
    if len(digits) == 10 and digits.isdigit():
        if digits[0] in "01":
            raise ValidationError(
                "This phone number's area code cannot start with 0 or 1.", code="phone_area"
            )
        if digits[3] in "01":
            raise ValidationError(
                "This phone number's 7-digit part cannot start with 0 or 1.", code="phone_exchange"
            )


class SearchKeyField(models.CharField):
    """A column of search keys (capital letters or digits) compared and sorted byte by byte.

    On PostgreSQL the column uses the "C" collation whatever the database's
    own, so one ordinary index serves equality, ``>=``/``<`` prefix ranges and
    ORDER BY at once; SQLite's default BINARY collation already behaves so.
    """

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
