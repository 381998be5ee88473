"""CSV cells a spreadsheet will not run: risky text quoted with an apostrophe, numbers left
as numbers, and our importers read our own quoting back to what was stored."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medoffice.core import csvsafe


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('=HYPERLINK("http://example.test","x")', '\'=HYPERLINK("http://example.test","x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'=1", "''=1"),  # already quoted by someone: one more, so reading back is exact
        ("Lopez, Maria", "Lopez, Maria"),
        ("O'Neil", "O'Neil"),
        ("'quoted'", "'quoted'"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("", ""),
    ],
)
def test_text_that_starts_a_formula_gets_an_apostrophe(text, written):
    assert csvsafe.cell(text) == written
    assert csvsafe.uncell(written) == text


@pytest.mark.parametrize(
    "value", [Decimal("-12.50"), Decimal("0.00"), -3, 7, dt.date(2026, 3, 9), None, True]
)
def test_numbers_and_days_we_write_stay_as_they_are(value):
    assert csvsafe.cell(value) is value


def test_the_writer_quotes_text_and_leaves_money_a_number():
    out = io.StringIO()
    w = csvsafe.writer(out, lineterminator="\n")
    w.writerow(["Patient", "Balance"])
    w.writerows([["-Smith, Jo", Decimal("-12.50")], ["=1+2", Decimal("30.00")]])
    assert out.getvalue() == "Patient,Balance\n\"'-Smith, Jo\",-12.50\n'=1+2,30.00\n"
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1] == ["'-Smith, Jo", "-12.50"]


@given(st.text())
def test_any_text_reads_back_exactly_and_never_starts_a_formula(text):
    written = csvsafe.cell(text)
    assert csvsafe.uncell(written) == text
    assert not written.startswith(csvsafe.FORMULA_STARTS)
