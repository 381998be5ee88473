"""999 and 277CA readers: accepted or rejected per batch and per claim, with the reasons.

A malformed acknowledgment is refused whole, naming the segment and its position.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medoffice.edi.errors import X12Error
from medoffice.edi.x277 import read_277
from medoffice.edi.x999 import ElementError, SegmentError, read_999
from tests.edi.samples import needs_samples, read_sample
from tests.edi.x12text import interchange

# -- 999 -----------------------------------------------------------------------------------


def ack999(*body: str) -> str:
    return interchange(list(body), st="999", version="005010X231A1", functional_id="FA")


ACCEPTED_999 = ack999("AK1*HC*41*005010X222A1", "AK2*837*0001*005010X222A1", "IK5*A", "AK9*A*1*1*1")
REJECTED_999 = ack999(
    "AK1*HC*41*005010X222A1",
    "AK2*837*0001*005010X222A1",
    "IK3*CLM*24*2300*8",
    "CTX*CLM01:C1001",
    "IK4*5:1*1331*7*88",
    "IK3*NM1*30*2310B*I6",
    "IK5*R*5*I5",
    "AK2*837*0002*005010X222A1",
    "IK5*E",
    "AK9*P*2*2*1",
)


@needs_samples
def test_the_rejected_999_sample():
    (ack,) = read_999(read_sample("999/ims__x12_999_rejected.txt"))
    assert (ack.functional_id, ack.group_control_number, ack.status) == ("HC", "28", "R")
    assert not ack.accepted
    assert (ack.included, ack.received, ack.accepted_count) == (1, 1, 0)
    (result,) = ack.results
    assert (result.control_number, result.status, result.error_codes) == ("0028", "R", ("5",))
    assert result.verdict == "rejected" and not result.accepted
    assert result.segment_errors == (SegmentError("NM", 17, "", "1"),)
    assert result.segment_errors[0].description == "unrecognized segment id"


@needs_samples
def test_the_accepted_999_sample_is_refused_for_its_envelope_and_reads_once_repaired():
    data = read_sample("999/ims__x12_999_accepted.txt")
    with pytest.raises(X12Error) as info:
        read_999(data)
    assert (info.value.segment_index, info.value.segment_id, info.value.element) == (
        2,
        "GS",
        "GS05",
    )
    repaired = data.replace(b"*102497*", b"*1024*").replace(b"IEA*1*000000001", b"IEA*1*000000286")
    (ack,) = read_999(repaired)
    assert ack.accepted and ack.results[0].accepted and ack.group_control_number == "17456"


def test_a_999_names_the_claim_segment_and_element_in_error():
    (ack,) = read_999(REJECTED_999)
    assert ack.status == "P" and ack.accepted_count == 1
    first, second = ack.results
    assert not first.accepted and second.accepted and second.verdict == "accepted with errors"
    assert first.error_codes == ("5", "I5")
    clm, nm1 = first.segment_errors
    assert (clm.segment_id, clm.position, clm.loop, clm.claim_number) == (
        "CLM",
        24,
        "2300",
        "C1001",
    )
    assert clm.elements == (ElementError(5, 1, None, "1331", "7", "88"),)
    assert clm.elements[0].description == "invalid code value"
    assert nm1.description == "segment the guide requires here is missing"
    assert ack.result_for("0002") is second and ack.result_for("9999") is None


def test_several_999s_in_one_file():
    text = ACCEPTED_999.replace(
        "SE*6*0001~GE*1*7",
        "SE*6*0001~ST*999*0002*005010X231A1~AK1*HC*42*005010X222A1~AK9*A*0*0*0~SE*4*0002~GE*2*7",
    )
    assert [a.group_control_number for a in read_999(text)] == ["41", "42"]


@pytest.mark.parametrize(
    ("text", "segment_id", "words"),
    [
        (ACCEPTED_999.replace("IK5*A~", "").replace("SE*6*", "SE*5*"), "AK9", "expected IK5"),
        (ACCEPTED_999.replace("IK5*A", "IK5*Q"), "IK5", "not an acknowledgment code"),
        (ACCEPTED_999.replace("AK9*A*1*1*1", "AK9*A*1*1*X"), "AK9", "not a whole number"),
        (ACCEPTED_999.replace("AK9*A*1*1*1", "AK9*A*1*0*1"), "AK9", "do not fit"),
        (ACCEPTED_999.replace("AK9*A*1*1*1~", "").replace("SE*6*", "SE*5*"), "SE", "AK9"),
        (
            ACCEPTED_999.replace("AK9*A*1*1*1~", "AK9*A*1*1*1~AK2*1~").replace("SE*6*", "SE*7*"),
            "AK2",
            "after AK9",
        ),
        (REJECTED_999.replace("IK4*5:1*1331*7*88", "IK4*5:1*1331"), "IK4", "error code"),
        (REJECTED_999.replace("IK3*CLM*24*", "IK3*CLM*2X*"), "IK3", "not a whole number"),
        (REJECTED_999.replace("IK3*NM1*30*2310B*I6", "IK3*NM1*30*2310B"), "IK3", "neither"),
        (ACCEPTED_999.replace("AK1*HC*41*", "AK1*HC**"), "AK1", "group control number"),
        (ACCEPTED_999.replace("*FA*", "*HC*"), "GS", "not FA"),
        (ACCEPTED_999.replace("005010X231A1", "005010X222A1"), "ST", "999 guide"),
        (
            ACCEPTED_999.replace("ST*999*", "ST*997*").replace("SE*6*0001", "SE*6*0001"),
            "ST",
            "not a 999",
        ),
        (ACCEPTED_999[: ACCEPTED_999.index("AK9")], "IK5", "cut short"),
    ],
)
def test_a_malformed_999_is_refused_whole_with_its_place(text, segment_id, words):
    with pytest.raises(X12Error) as info:
        read_999(text)
    assert info.value.segment_id == segment_id
    assert words in str(info.value)
    assert info.value.segment_index is not None and info.value.offset is not None


# -- 277CA ---------------------------------------------------------------------------------


@needs_samples
def test_the_accepted_277ca_sample():
    (ack,) = read_277(read_sample("277/ims__x12_277CA_accepted.txt"))
    assert (ack.source_name, ack.receiver_id, ack.reference) == ("NYSDOH", "ETIN", "000000674")
    assert ack.created == dt.datetime.combine(dt.date(2011, 3, 11), dt.time(10, 8, 31))
    assert (ack.accepted_count, ack.accepted_amount) == (1, Decimal("125.0"))
    assert ack.batch_statuses[0].category == "A1"
    (claim,) = ack.claims
    assert claim.patient_control_number == "5781" and claim.accepted and not claim.rejected
    assert claim.payer_claim_number == "1107000000014420"
    assert (claim.patient_last_name, claim.member_id, claim.provider_npi) == (
        "TPATIENT",
        "LL99999X",
        "1234567890",
    )
    (status,) = claim.statuses
    assert (status.category, status.code, status.action, status.amount) == ("A2", "20", "WQ", 125)
    # pyx12's two complaints, tolerated and said: no provider-level STC, a service date of 1001.
    assert any("billing provider level" in w and "no status" in w for w in ack.warnings)
    assert any("'10010101' is not a valid date" in w for w in ack.warnings)
    assert claim.service_date is None


@needs_samples
def test_the_rejected_277ca_sample():
    (ack,) = read_277(read_sample("277/ims__x12_277CA_rejected.txt"))
    (claim,) = ack.claims
    assert claim.patient_control_number == "3920394930203"
    assert claim.rejected and not claim.accepted
    (status,) = claim.statuses
    assert (status.category, status.code, status.entity) == ("A7", "562", "85")
    assert claim.reason == "A7 rejected for invalid information, status 562 (entity 85)"
    assert claim.service_date == dt.date(2009, 3, 11)


@needs_samples
def test_277_claim_status_responses_read_too():
    (ack,) = read_277(read_sample("277/lfh__277_005010X212__claim-level-status.277"))
    assert [(c.patient_control_number, c.statuses[0].category) for c in ack.claims] == [
        ("ABCXYZ1", "P3"),
        ("ABCXYZ2", "F0"),
        ("ABCXYC3", "F2"),
    ]
    assert ack.claims[0].service_end_date == dt.date(2005, 9, 6)
    assert ack.claims[1].statuses[0].amount == Decimal("7599.00")


def _ca(*claim_segments: str) -> str:
    body = [
        "BHT*0085*08*B1*20240306*0900*TH",
        "HL*1**20*1",
        "NM1*PR*2*CLEARING HOUSE*****46*CH0001",
        "HL*2*1*21*1",
        "NM1*41*2*RIVERSIDE*****46*RFM001",
        "TRN*2*B2024-1",
        "STC*A1:19*20240306*WQ*245",
        "QTY*90*1",
        "QTY*AA*1",
        "AMT*YU*120",
        "AMT*YY*125",
        "HL*3*2*19*1",
        "NM1*85*2*RIVERSIDE*****XX*1234567893",
        "TRN*1*0",
        "STC*A1:19*20240306*WQ*245",
        "HL*4*3*PT",
        "NM1*QC*1*LEE*SUSAN****MI*XQP123456",
        *claim_segments,
    ]
    return interchange(body, st="277", version="005010X214", functional_id="HN")


GOOD_CA = _ca(
    "TRN*2*C1001",
    "STC*A2:20*20240306*WQ*120",
    "REF*1K*PAYER-9",
    "DTP*472*D8*20240304",
    "TRN*2*C1002",
    "STC*A7:562:85*20240306*U*125********NPI NOT ON FILE",
    "STC*A7:21*20240306*U*125",
    "SVC*HC:99213:25*125****1",
    "STC*A7:454*20240306*U*125",
    "REF*FJ*L-2",
)


def test_a_277ca_says_which_claims_were_taken_and_why_not():
    (ack,) = read_277(GOOD_CA)
    assert (ack.accepted_count, ack.rejected_count) == (1, 1)
    assert (ack.accepted_amount, ack.rejected_amount) == (Decimal(120), Decimal(125))
    taken, refused = ack.claims
    assert taken.accepted and taken.payer_claim_number == "PAYER-9"
    assert refused.rejected and not refused.accepted
    assert refused.reason == (
        "A7 rejected for invalid information, status 562 (entity 85): NPI NOT ON FILE; "
        "A7 rejected for invalid information, status 21"
    )
    (line,) = refused.lines
    assert (line.procedure_code, line.modifiers, line.control_number) == ("99213", ("25",), "L-2")
    assert ack.provider_statuses == (("1234567893", ack.provider_statuses[0][1]),)
    assert ack.warnings == ()


@pytest.mark.parametrize(
    ("old", "new", "segment_id", "words"),
    [
        ("STC*A2:20*20240306*WQ*120~", "", "REF", "expected STC"),
        ("TRN*2*C1001", "TRN*1*C1001", "TRN", "TRN*2*<our claim number>"),
        ("TRN*2*C1001", "TRN*2", "TRN", "TRN*2*<our claim number>"),
        ("STC*A2:20*", "STC*A2*", "STC", "status category and a status code"),
        ("STC*A2:20*20240306", "STC*A2:20*20241306", "STC", "not a valid date"),
        ("HL*4*3*PT", "HL*4*9*PT", "HL", "names no earlier level"),
        ("HL*4*3*PT", "HL*4*3*XX", "HL", "not a 277 level"),
        ("HL*4*3*PT", "HL*3*3*PT", "HL", "repeated"),
        ("REF*1K*PAYER-9", "NTE*PAYER-9", "NTE", "a claim starts with TRN*2"),
        ("QTY*90*1", "QTY*90*1.5", "QTY", "not a count"),
        ("SVC*HC:99213:25", "SVC*HC", "SVC", "qualifier and a procedure code"),
    ],
)
def test_a_malformed_277ca_is_refused_whole_with_its_place(old, new, segment_id, words):
    assert old in GOOD_CA
    text = GOOD_CA.replace(old, new, 1)
    delta = text.count("~") - GOOD_CA.count("~")
    se = GOOD_CA.split("~SE*")[1].split("*")[0]
    text = text.replace(f"~SE*{se}*", f"~SE*{int(se) + delta}*")
    with pytest.raises(X12Error) as info:
        read_277(text)
    assert info.value.segment_id == segment_id
    assert words in str(info.value)
    assert info.value.segment_index is not None and info.value.offset is not None


def test_a_truncated_277ca_is_refused():
    with pytest.raises(X12Error, match="cut short"):
        read_277(GOOD_CA[: GOOD_CA.index("SVC*")])


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([ACCEPTED_999, REJECTED_999, GOOD_CA]),
    st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(["*", "~", ":", "", "A", "9"])), max_size=4
    ),
)
def test_mutated_acknowledgments_raise_only_x12error(text, edits):
    for fraction, chunk in edits:
        at = int(fraction * len(text))
        text = text[:at] + chunk + text[at + 1 :]
    for reader in (read_999, read_277):
        try:
            reader(text)
        except X12Error as exc:
            assert exc.describe()
