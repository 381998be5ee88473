"""The 837P parser: what we write reads back equal; public samples read exactly or are refused."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings

from medoffice.edi.errors import X12Error
from medoffice.edi.segments import Delimiters
from medoffice.edi.x837p import (
    Address,
    BillingProvider,
    Contact,
    Envelope,
    Patient,
    Payer,
    Receiver,
    ServiceLine,
    Submitter,
    write_837p,
)
from medoffice.edi.x837p.parser import parse_837p
from tests.edi.claims import SHAPES, claim_files
from tests.edi.samples import needs_samples, pyx12_verdicts, read_sample, sample_files, sample_id


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_reads_back_equal(shape):
    made = SHAPES[shape]()
    back = parse_837p(write_837p(made))
    assert back == made
    assert back.warnings == ()


@pytest.mark.parametrize(
    "delimiters",
    [Delimiters(), Delimiters("|", "!", ">", "\n"), Delimiters("^", "{", "\\", "'")],
    ids=["default", "pipe-newline", "caret"],
)
@pytest.mark.parametrize("line_breaks", [False, True])
def test_delimiters_and_line_breaks_read_back_equal(delimiters, line_breaks):
    made = SHAPES["modifiers, many lines, pointers, ranges"]()
    assert parse_837p(write_837p(made, delimiters, line_breaks=line_breaks)) == made


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claim_files())
def test_write_then_parse_is_the_identity(made):
    text = write_837p(made)
    back = parse_837p(text)
    assert back == made
    assert back.warnings == ()
    assert write_837p(back) == text


# -- the public samples ----------------------------------------------------------------------

# FAIL files (by pyx12) we refuse, with the reason, and those we read saying what we left out.
REFUSED = {
    "ims__x12_complex.txt": "SE01 says 25 segments",
    "ims__x12_many_claims.txt": "SE01 says 25 segments",
    "ims__x12_multiple_transactions.txt": "SE01 says 25 segments",
    "ims__x12_valid.txt": "SE01 says 25 segments",
    "ims__x12_valid_different_separators.txt": "SE01 says 25 segments",
    "lfh__837_005010X222A2__demo.ambulance.example5.837": "CLM05-2 '': professional claims use B",
    "lfh__837_005010X222A2__demo.cob.2ndary.example4.837": "not split by the component separator",
    "lfh__837_005010X222A2__demo.cob.example3.A.837": "expected NM1*PR (other payer (2330B))",
    "lfh__837_005010X222A2__demo.example11.837": "not split by the component separator",
    "lfh__837_005010X222A2__demo.example12.837": "not split by the component separator",
    "lfh__837_005010X222A2__demo.example6.837": "not split by the component separator",
    "lfh__837_005010X222A2__demo.example9.837": "not split by the component separator",
}
# pyx12's only complaint about this one is a 4010 amount (AMT*F2) in the other-payer loop.
TOLERATED = {
    "lfh__837_005010X222A2__demo.cob.example4.837": "this other payer amount is not in the model",
}


@needs_samples
@pytest.mark.parametrize("path", sample_files("837P"), ids=sample_id)
def test_each_837p_sample_reads_or_is_refused_with_its_reason(path):
    verdict = pyx12_verdicts()[sample_id(path)]
    if path.name in REFUSED:
        assert verdict.startswith("FAIL")
        with pytest.raises(X12Error) as info:
            parse_837p(path.read_bytes())
        assert REFUSED[path.name] in str(info.value)
        assert info.value.segment_index is not None
        return
    read = parse_837p(path.read_bytes())
    assert read.claims()
    if path.name in TOLERATED:
        assert verdict.startswith("FAIL")
        assert any(TOLERATED[path.name] in w for w in read.warnings)
    else:
        assert verdict == "PASS", path.name
    for claim in read.claims():  # what was read is consistent
        assert claim.total_charge > 0
        assert all(max(line.diagnosis_pointers) <= len(claim.diagnoses) for line in claim.lines)


@needs_samples
def test_example1_reads_exactly():
    read = parse_837p(read_sample("837P/lfh__837_005010X222A2__demo.example1.837"))
    assert read.envelope == Envelope(
        sender_id="000000005",
        receiver_id="12345",
        interchange_control_number=907,
        group_control_number=1,
        created=dt.datetime.combine(dt.date(2013, 10, 31), dt.time(11, 47)),
        usage="T",
        sender_qualifier="30",
        receiver_qualifier="30",
        acknowledgment_requested=True,
        application_sender_code="",
        application_receiver_code="54321",
    )
    (batch,) = read.batches
    assert (batch.control_number, batch.reference, batch.claim_type) == ("0021", "244579", "CH")
    assert batch.created == dt.datetime.combine(dt.date(2006, 10, 15), dt.time(10, 23))
    assert batch.submitter == Submitter(
        "PREMIER BILLING SERVICE", "TGJ23", Contact("JERRY", "3055552222", "231")
    )
    assert batch.receiver == Receiver("KEY INSURANCE COMPANY", "66783JJT")
    (group,) = batch.providers
    assert group.provider == BillingProvider(
        name="BEN KILDARE SERVICE",
        npi="1912301953",
        tax_id="587654321",
        address=Address("234 SEAWAY ST", "MIAMI", "FL", "331110000"),
        taxonomy="203BF0100Y",
        pay_to=Address("2345 OCEAN BLVD", "MIAMI", "FL", "33111"),
    )
    (sc,) = group.subscribers
    assert (sc.subscriber.last_name, sc.subscriber.first_name) == ("SMITH", "JANE")
    assert (sc.subscriber.member_id, sc.subscriber.group_number) == ("JS00111223333", "2222-SJ")
    assert (sc.subscriber.payer_responsibility, sc.subscriber.claim_filing_indicator) == ("P", "CI")
    assert sc.payer == Payer("KEY INSURANCE COMPANY", "999996666")
    assert sc.patient == Patient(
        "19",
        "SMITH",
        "TED",
        dt.date(1973, 5, 1),
        "M",
        Address("236 N MAIN ST", "MIAMI", "FL", "33413"),
    )
    (claim,) = sc.claims
    assert (claim.patient_control_number, claim.place_of_service, claim.frequency) == (
        "26463774",
        "11",
        "1",
    )
    assert (claim.diagnosis_code_list, claim.diagnoses) == ("BK", ("0340", "V7389"))
    assert claim.release_of_information == "I" and claim.total_charge == Decimal("100")
    assert [(ln.procedure_code, ln.charge, ln.diagnosis_pointers) for ln in claim.lines] == [
        ("99213", Decimal("40"), (1,)),
        ("87070", Decimal("15"), (1,)),
        ("99214", Decimal("35"), (2,)),
        ("86663", Decimal("10"), (2,)),
    ]
    assert claim.lines[3].service_date == dt.date(2006, 10, 10)
    assert read.warnings == (
        "segment 28 (REF*D9) not kept: this claim reference or code list is not in the claim model",
    )


@needs_samples
def test_drug_sample_reads_its_ndcs_and_rendering_provider():
    read = parse_837p(read_sample("837P/lfh__837_005010X222A2__demo.drug.example10.2.837"))
    (claim,) = read.claims()
    assert claim.total_charge == Decimal("2232.93")
    first, second = claim.lines[:2]
    assert (first.procedure_code, first.units, first.place_of_service) == (
        "S9500",
        Decimal(7),
        "12",
    )
    assert (first.service_date, first.service_end_date) == (
        dt.date(2004, 2, 1),
        dt.date(2004, 2, 7),
    )
    assert (second.ndc, second.ndc_quantity, second.ndc_unit) == ("00004196501", Decimal(7), "UN")
    assert read.batches[0].providers[0].provider.tax_id == "10-1234567"  # as the file has it
    assert any("NM1*DK" in w for w in read.warnings)  # the ordering provider is not kept


@needs_samples
def test_cob_sample_reads_the_primary_payers_adjudication():
    read = parse_837p(read_sample("837P/lfh__837_005010X222A2__demo.cob.example3.B.837"))
    (claim,) = read.claims()
    assert claim.rendering_provider.npi == "1999996666"
    assert claim.rendering_provider.taxonomy == "204C00000X"
    assert claim.service_facility.name == "KILDARE ASSOCIATES"
    assert claim.diagnoses == ("4779", "2724", "2780", "53081")
    assert claim.lines[0].diagnosis_pointers == (1, 2, 3, 4)
    (other,) = claim.other_payers
    assert (other.payer.name, other.payer.payer_id) == ("KEY INSURANCE COMPANY", "999996666")
    assert (other.payer_responsibility, other.relationship) == ("P", "01")
    assert other.claim_filing_indicator == "12"
    assert other.subscriber.member_id == "JS00111223333"
    assert other.paid == Decimal("39.15")
    assert other.remaining_patient_liability == Decimal("36.89")
    assert [(a.group, a.reason, a.amount) for a in other.adjustments] == [
        ("PR", "1", Decimal("21.89")),
        ("PR", "2", Decimal("15.00")),
    ]
    first = claim.lines[0].adjudications[0]
    assert (first.payer_id, first.paid, first.procedure_code) == (
        "999996666",
        Decimal("40.00"),
        "99213",
    )
    assert first.adjustments[0].reason == "42"
    assert first.adjudication_date == dt.date(2005, 10, 15)
    assert not any("2320" in w or "2430" in w for w in read.warnings)  # all COB kept


# -- refusals ------------------------------------------------------------------------------


def _text(shape="subscriber is the patient") -> str:
    return write_837p(SHAPES[shape]())


def _fault(text: str) -> X12Error:
    with pytest.raises(X12Error) as info:
        parse_837p(text)
    return info.value


def _resized(text: str, old: str, new: str) -> str:
    """Replace a segment and keep SE01 right, so the parser (not the envelope) sees the fault."""
    old_count = text.count("~")
    text = text.replace(old, new, 1)
    delta = text.count("~") - old_count
    se = text[text.index("~SE*") + 4 :].split("*")[0]
    return text.replace(f"~SE*{se}*", f"~SE*{int(se) + delta}*")


@pytest.mark.parametrize(
    ("old", "new", "segment_id", "words"),
    [
        ("SV1*HC:99213*120*", "SV1*HC:99213*125*", "CLM", "not the sum of its lines"),
        ("***1~DTP", "***3~DTP", "SV1", "points to no diagnosis"),
        ("DTP*472*D8*20240304~", "", "LX", "no service date"),
        ("DTP*472*D8*20240304", "DTP*472*D8*20240231", "DTP", "not a valid date"),
        ("HL*2*1*22*0", "HL*3*1*22*0", "HL", "out of sequence"),
        ("HL*2*1*22*0", "HL*2*7*22*0", "HL", "not the open level-20 HL"),
        ("HL*2*1*22*0", "HL*2*1*22*1", "HL", "says a patient level follows"),
        ("HI*ABK:E119*ABF:I10~", "", "CLM", "no principal diagnosis"),
        ("HI*ABK:E119*ABF:I10", "HI*ABK:E119*ABK:I10", "HI", "expected ABF"),
        ("SV1*HC:99213", "SV1*WK:99213", "SV1", "SV101 must be HC"),
        ("~LX*1~", "~XYZ*1~LX*1~", "XYZ", "not expected in a claim"),
        ("REF*EI*123456789~", "", "NM1", "no tax id"),
        ("11:B:1", "11:A:1", "CLM", "professional claims use B"),
        ("NM1*40*2*Clearing House Inc*****46*CH0001~", "", "HL", "expected NM1*40"),
    ],
)
def test_faults_inside_a_claim_file_name_their_segment(old, new, segment_id, words):
    text = _text()
    assert old in text
    exc = _fault(_resized(text, old, new))
    assert exc.segment_id == segment_id
    assert words in str(exc)


def test_not_a_professional_claim_file():
    text = _text().replace("005010X222A1", "005010X223A2")
    assert "institutional" in str(_fault(text))
    assert "is not HC" in str(_fault(_text().replace("GS*HC*", "GS*HP*")))


def test_unknown_line_segments_are_refused_and_known_ones_listed():
    text = _resized(_text(), "DTP*472*D8*20240304~", "DTP*472*D8*20240304~NTE*ADD*NOTE~")
    read = parse_837p(text)
    assert read.warnings == ("segment 29 (NTE*ADD) not kept: line notes are not in the line model",)
    exc = _fault(_resized(_text(), "DTP*472*D8*20240304~", "DTP*472*D8*20240304~BHT*1~"))
    assert "not expected in a service line" in str(exc)


def test_parse_gives_decimals_and_dates():
    (claim,) = parse_837p(_text()).claims()
    (line,) = claim.lines
    assert line == ServiceLine("99213", Decimal("120"), dt.date(2024, 3, 4), (1,), Decimal(1))
    assert isinstance(line.charge, Decimal) and isinstance(line.units, Decimal)
    assert dataclasses.replace(line, charge=Decimal("120.00")) == line
