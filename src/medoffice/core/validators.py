"""Validators for identifiers the office types in (no Django model imports)."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def npi_check_digit_ok(npi: str) -> bool:
    """True when ``npi`` is 10 digits whose last is the Luhn check digit over '80840' + first 9.

    The NPI standard prefixes the health-industry number 80840 before the
    Luhn computation, which is the same as adding 24 to the doubled-digit sum.
    """
    if len(npi) != 10 or not (npi.isascii() and npi.isdigit()):  # "²".isdigit() is True
        return False
    total = 24
    for i, ch in enumerate(reversed(npi[:9])):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def validate_npi(value: str) -> None:
    if not value or len(value) != 10 or not value.isdigit():
        raise ValidationError("An NPI has exactly 10 digits.", code="npi_format")
    if not npi_check_digit_ok(value):
        raise ValidationError(
            "This NPI's last digit does not match its check digit; check for a typo.",
            code="npi_check_digit",
        )
