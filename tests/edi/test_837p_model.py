"""The 837P dataclasses billing maps its claims onto: frozen values, totals from the lines."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from medoffice.edi.x837p import Claim, ServiceLine


def test_a_claim_totals_its_lines_and_cannot_be_changed():
    day = dt.date(2024, 1, 5)
    claim = Claim(
        patient_control_number="C1",
        place_of_service="11",
        diagnoses=("E119",),
        lines=(
            ServiceLine("99213", Decimal("120.00"), day, (1,)),
            ServiceLine("82947", Decimal("15.50"), day, (1,), units=Decimal(2)),
        ),
    )
    assert claim.total_charge == Decimal("135.50")
    with pytest.raises(dataclasses.FrozenInstanceError):
        claim.frequency = "7"
    assert hash(claim) == hash(dataclasses.replace(claim))


def test_npi_check_digit():
    from medoffice.edi.values import npi_check_digit, npi_is_valid

    assert npi_check_digit("123456789") == 3  # the CMS example NPI 1234567893
    assert npi_is_valid("1234567893") and not npi_is_valid("1234567890")
    assert not npi_is_valid("12345678²3") and not npi_is_valid("123456789")
