"""Writing 835s: what we write reads back to the same values and passes pyx12's guide check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from medoffice.edi.errors import EdiInputError
from medoffice.edi.guide_check import validate_with_pyx12
from medoffice.edi.x835 import (
    Adjustment,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
    read_835,
)
from medoffice.edi.x835.writer import demo_envelope, write_835

DOS = dt.date(2026, 3, 9)


def remittance(*, method="CHK", claims=None, plb=()) -> Remittance:
    paid = sum((c.paid for c in claims), D(0)) - sum((p.amount for p in plb), D(0))
    return Remittance(
        control_number="0001",
        handling="I",
        total_paid=paid,
        credit_debit="C",
        method=method,
        payment_date=dt.date(2026, 4, 2),
        trace_number="CHK0012345",
        payer_trace_id="1990000001",
        payer_name="PRAIRIE HEALTH PLAN",
        payer_id="60054",
        payee_name="RIVERSIDE FAMILY MEDICINE",
        payee_id_qualifier="XX",
        payee_id="1234567893",
        payee_tax_id="123456789",
        claims=tuple(claims),
        provider_adjustments=tuple(plb),
    )


def paid_claim(pcn="MO000000001", *, status="1") -> ClaimPayment:
    lines = (
        ServicePayment(
            procedure_code="99213", charge=D("150"), paid=D("72.50"), modifiers=("25",),
            service_date=DOS, control_number="1", allowed=D("92.50"), remark_codes=("N130",),
            adjustments=(Adjustment("CO", "45", D("57.50")), Adjustment("PR", "2", D("20"))),
        ),
        ServicePayment(
            procedure_code="87880", charge=D("40"), paid=D("0"), service_date=DOS,
            control_number="2", units=D(2),
            adjustments=(Adjustment("CO", "97", D("40")),),
        ),
    )  # fmt: skip
    return ClaimPayment(
        patient_control_number=pcn,
        status=status,
        charge=D("190"),
        paid=D("72.50"),
        patient_responsibility=D("20"),
        payer_claim_number="PHP2603000001",
        claim_filing_indicator="12",
        facility_type="11",
        frequency="1",
        patient_last_name="QUILL",
        patient_first_name="MARA",
        member_id="PHP123456789",
        received_date=dt.date(2026, 3, 12),
        services=lines,
        remark_codes=("MA130",),
    )


CODES = {"claim_filing_indicator": "12", "facility_type": "11", "frequency": "1"}


def denied_claim() -> ClaimPayment:
    return ClaimPayment(
        patient_control_number="MO000000002", status="4", charge=D("110"), paid=D("0"),
        patient_responsibility=D("0"), payer_claim_number="PHP2603000002", **CODES,
        patient_last_name="OSEI", patient_first_name="KOFI", member_id="PHP555",
        adjustments=(Adjustment("CO", "50", D("110")),),
    )  # fmt: skip


def reversal() -> ClaimPayment:
    return ClaimPayment(
        patient_control_number="MO000000003", status="22", charge=D("-100"), paid=D("-60"),
        patient_responsibility=D("0"), payer_claim_number="PHP2602000009", **CODES,
        patient_last_name="LINDQVIST", patient_first_name="ELSA", member_id="PHP777",
        adjustments=(Adjustment("CO", "45", D("-40")),),
    )  # fmt: skip


ENVELOPE = demo_envelope(
    control=17,
    created=dt.datetime(2026, 4, 2, 8, 30),  # noqa: DTZ001 - X12 times are local, naive
    payer_id="60054",
    receiver="RIVERSIDEFM",
)
SHAPES = {
    "check, one paid claim": lambda: remittance(claims=[paid_claim()]),
    "EFT with a denial and a reversal": lambda: remittance(
        method="ACH", claims=[paid_claim(), denied_claim(), reversal()]
    ),
    "interest and a recovered overpayment": lambda: remittance(
        claims=[paid_claim()],
        plb=[
            ProviderAdjustment("1234567893", dt.date(2026, 12, 31), "WO", D("12.50"), "PHP99"),
            ProviderAdjustment("1234567893", dt.date(2026, 12, 31), "L6", D("-1.25")),
        ],
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_what_we_write_reads_back_the_same(shape):
    written = SHAPES[shape]()
    text = write_835([written], ENVELOPE)

    [read] = read_835(text)
    assert read.claims == written.claims
    assert read.provider_adjustments == written.provider_adjustments
    assert (read.total_paid, read.method, read.trace_number, read.payment_date) == (
        written.total_paid, written.method, written.trace_number, written.payment_date
    )  # fmt: skip
    assert read.payer_id == written.payer_id and read.payee_id == written.payee_id
    assert read.imbalances() == []
    assert read.warnings == ()


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_what_we_write_passes_pyx12(shape):
    report = validate_with_pyx12(write_835([SHAPES[shape]()], ENVELOPE))
    assert report.checked, report.note
    assert report.findings == ()


def test_several_payments_in_one_file_each_get_their_own_transaction():
    text = write_835([remittance(claims=[paid_claim()]), remittance(claims=[denied_claim()])],
                     ENVELOPE)  # fmt: skip
    assert [len(r.claims) for r in read_835(text)] == [1, 1]
    assert text.count("~ST*835*") == 2


def test_bad_values_are_refused_naming_the_field():
    with pytest.raises(EdiInputError, match=r"remittances\[0\].claims\[0\].status"):
        write_835([remittance(claims=[paid_claim(status="99")])], ENVELOPE)
    with pytest.raises(EdiInputError, match="total_paid"):
        write_835([remittance(claims=[reversal()])], ENVELOPE)
    with pytest.raises(EdiInputError, match="at least one"):
        write_835([], ENVELOPE)
