"""The NPI check: ten ASCII digits whose last is the Luhn digit over 80840 + the first nine."""

from __future__ import annotations

import pytest

from medoffice.core.validators import npi_check_digit_ok


@pytest.mark.parametrize(
    ("npi", "ok"),
    [
        ("1234567893", True),  # the standard's own example
        ("1234567890", False),  # wrong check digit
        ("123456789", False),
        ("12345678930", False),
        ("123456789²", False),  # a digit to str.isdigit(), not to int()
        ("１２３４５６７８９３", False),  # full-width digits
    ],
)
def test_npi_check_digit(npi, ok):
    assert npi_check_digit_ok(npi) is ok
