"""The segment reader: delimiters from the ISA, segment positions, envelope checks.

Every public sample file either reads or is refused with an X12Error that
names the segment; random and mutated input never raises anything else.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medoffice.edi.envelope import read_x12
from medoffice.edi.errors import X12Error
from medoffice.edi.segments import Delimiters, split_segments
from tests.edi.samples import (
    EXPECTED_FILE_COUNT,
    needs_samples,
    pyx12_verdicts,
    read_sample,
    sample_files,
    sample_id,
)
from tests.edi.x12text import interchange, isa

# The samples our envelope checks refuse, and the fault each one really has.
REFUSED = {
    "270/ims__x270.txt": ("SE", "SE01 says 15 segments, the transaction set has 14"),
    "271/ims__x271.txt": ("SE", "SE01 says 22 segments, the transaction set has 18"),
    "271/lfh__271_005010X279A1__subscriber-health-benefit-check-error.271": (
        "SE",
        "SE02 '4323' does not match ST02 '4321'",
    ),
    "277/ims__x12_277_x212.txt": ("IEA", "IEA02 '842928883' does not match ISA13 '000000001'"),
    "835/edi835p__blue_cross_nc_sample.txt": (None, "must begin with an ISA segment"),
    "837P/ims__x12_complex.txt": ("SE", "SE01 says 25 segments, the transaction set has 147"),
    "837P/ims__x12_many_claims.txt": ("SE", "SE01 says 25 segments"),
    "837P/ims__x12_multiple_transactions.txt": ("SE", "SE01 says 25 segments"),
    "837P/ims__x12_valid.txt": ("SE", "SE01 says 25 segments, the transaction set has 34"),
    "837P/ims__x12_valid_different_separators.txt": ("SE", "SE01 says 25 segments"),
    "999/ims__x12_999_accepted.txt": ("GS", "'102497' is not a valid time"),
}


@needs_samples
def test_the_sample_folder_is_complete():
    files = sample_files()
    assert len(files) == EXPECTED_FILE_COUNT
    assert set(REFUSED) <= {sample_id(p) for p in files}


@needs_samples
@pytest.mark.parametrize("path", sample_files(), ids=sample_id)
def test_every_sample_reads_or_is_refused_with_its_place(path):
    name = sample_id(path)
    try:
        doc = read_x12(path.read_bytes())
    except X12Error as exc:
        assert name in REFUSED, f"{name} was refused: {exc}"
        segment_id, words = REFUSED[name]
        assert words in str(exc)
        assert exc.segment_index is not None and exc.offset is not None
        assert exc.segment_id == segment_id
        return
    assert name not in REFUSED, f"{name} should have been refused"
    transactions = list(doc.transactions())
    assert transactions, name
    # The folder says what each transaction is.
    kind = path.parent.name[:3]
    assert {t.id for t in transactions} == {kind}


@needs_samples
def test_no_file_pyx12_passes_is_refused():
    verdicts = pyx12_verdicts()
    assert len(verdicts) == EXPECTED_FILE_COUNT
    for name in REFUSED:
        assert verdicts[name] != "PASS", name


@needs_samples
def test_positions_are_segment_numbers_and_byte_offsets():
    data = read_sample("837P/lfh__837_005010X222A2__demo.example1.837")
    doc = read_x12(data)
    for seg in doc.segments:
        assert data[seg.offset : seg.offset + len(seg.id)].decode() == seg.id
    assert [s.index for s in doc.segments] == list(range(1, len(doc.segments) + 1))
    gs = doc.segments[1]
    assert (gs.id, gs.index, gs.offset) == ("GS", 2, 107)  # 106-byte ISA, then a line break
    clm = next(s for s in doc.segments if s.id == "CLM")
    assert clm.components(5) == ["11", "B", "1"]
    assert clm[1] == "26463774" and clm[40] == ""


@needs_samples
def test_delimiters_come_from_the_isa():
    doc = read_x12(read_sample("837P/ims__x12_valid.txt").replace(b"SE*25*", b"SE*34*"))
    assert doc.delimiters == Delimiters("*", "", ":", "~")
    assert any("ISA11 is 'U'" in w for w in doc.warnings)
    other = split_segments(read_sample("837P/ims__x12_valid_different_separators.txt"))
    assert other.delimiters == Delimiters("~", "", "^", "_")
    clm = next(s for s in other.segments if s.id == "CLM")
    assert clm.components(5) == ["11", "B", "1"]
    rejected_999 = read_x12(read_sample("999/ims__x12_999_rejected.txt"))
    assert rejected_999.delimiters.component == "|"


def test_envelope_values_are_read():
    doc = read_x12(interchange(["BHT*0019*00*1*20240105*1230*CH"]))
    (ic,) = doc.interchanges
    assert (ic.sender_id, ic.receiver_id, ic.control_number, ic.usage) == (
        "SENDER",
        "RECEIVER",
        "000000001",
        "T",
    )
    assert ic.created.isoformat() == "2024-01-05T12:30:00"
    (group,) = ic.groups
    assert (group.functional_id, group.control_number, group.version) == (
        "HC",
        "7",
        "005010X222A1",
    )
    (tx,) = group.transactions
    assert (tx.id, tx.control_number, tx.implementation) == ("837", "0001", "005010X222A1")
    assert [s.id for s in tx.body] == ["BHT"]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_line_breaks_after_terminators_are_tolerated(newline):
    text = interchange(["BHT*0019*00*1*20240105*1230*CH"], newline=newline)
    doc = read_x12("\ufeff\n" + text + "\n\n")
    assert [s.id for s in doc.segments] == ["ISA", "GS", "ST", "BHT", "SE", "GE", "IEA"]
    assert doc.warnings == []


def test_a_newline_can_be_the_terminator():
    doc = read_x12(interchange(["BHT*0019*00*1*20240105*1230*CH"], term="\n"))
    assert doc.delimiters.segment == "\n"
    assert len(doc.segments) == 7


def test_a_missing_last_terminator_is_tolerated_and_said():
    text = interchange(["BHT*0019"])
    doc = read_x12(text[:-1])
    assert doc.warnings == ["the last segment (IEA) has no segment terminator"]


def _fault(text: str | bytes) -> X12Error:
    with pytest.raises(X12Error) as info:
        read_x12(text)
    return info.value


GOOD = interchange(["BHT*0019*00*1*20240105*1230*CH", "NM1*41*2*CLINIC"])


@pytest.mark.parametrize(
    ("text", "index", "segment_id", "element", "words"),
    [
        (GOOD.replace("SE*4*", "SE*5*"), 6, "SE", "SE01", "SE01 says 5 segments"),
        (GOOD.replace("SE*4*0001", "SE*4*0002"), 6, "SE", "SE02", "does not match ST02"),
        (GOOD.replace("GE*1*7", "GE*2*7"), 7, "GE", "GE01", "GE01 says 2"),
        (GOOD.replace("GE*1*7", "GE*1*8"), 7, "GE", "GE02", "does not match GS06"),
        (GOOD.replace("IEA*1*000000001", "IEA*1*000000002"), 8, "IEA", "IEA02", "ISA13"),
        (GOOD.replace("IEA*1*", "IEA*3*"), 8, "IEA", "IEA01", "IEA01 says 3"),
        (GOOD.replace("*240105*", "*241305*"), 1, "ISA", "ISA09", "not a valid date"),
        (GOOD.replace("*20240105*1230*7", "*20240105*2561*7"), 2, "GS", "GS05", "valid time"),
        (GOOD.replace("ST*837*0001", "ST*837*01"), 3, "ST", "ST02", "4-9 characters"),
        (GOOD.replace("SE*4*0001~", ""), 6, "GE", None, "SE trailer is missing"),
        (GOOD.replace("GE*1*7~", ""), 7, "IEA", None, "IEA before group 7"),
        (GOOD[: GOOD.index("GE*")], 6, "SE", None, "no GE): cut short?"),
        (GOOD.replace("NM1*41", "nm1*41"), 5, None, None, "'nm1' is not a segment id"),
        (GOOD.replace("~NM1", "~~NM1"), 5, None, None, "empty segment"),
        (GOOD.replace("CLINIC", "CLI\x07NIC"), 5, "NM1", None, "control character 0x07"),
        (GOOD.replace("CLINIC", "CLI\nNIC"), 5, "NM1", None, "control character 0x0A"),
        (GOOD.replace("~ST*", "~BHT*1~ST*"), 3, "BHT", None, "outside a transaction set"),
        (GOOD + GOOD[:200], 12, "BHT", None, "cut short"),
        (GOOD.replace("*T*:~", "*X*:~"), 1, "ISA", "ISA15", "usage indicator"),
        (GOOD.replace("*00501*", "*00601*"), 1, "ISA", "ISA12", "00501 = 5010"),
        (GOOD.replace("SENDER   ", "SENDER"), 1, "ISA", "ISA06", "exactly 15 characters"),
        (GOOD.replace("*T*:~", "*T*~~"), 1, "ISA", None, "not all different"),
        (GOOD.replace("*T*:~", "*T*:A"), 1, "ISA", None, "letter, digit or space"),
        ("GS*HC*A*B~", 1, None, None, "must begin with an ISA"),
        (GOOD[:50], 1, "ISA", "ISA07", "cut short"),
        ("", None, None, None, "the file is empty"),
        (b"ISA*\xff", None, None, None, "byte 0xFF is not ASCII or UTF-8"),
    ],
)
def test_faults_name_their_segment_and_element(text, index, segment_id, element, words):
    exc = _fault(text)
    assert words in str(exc)
    assert (exc.segment_index, exc.segment_id, exc.element) == (index, segment_id, element)
    if index is not None:
        assert f"segment {index}" in str(exc)


def test_the_offset_of_a_fault_is_the_segment_start():
    text = GOOD.replace("SE*4*", "SE*5*")
    exc = _fault(text)
    assert text.encode()[exc.offset :].startswith(b"SE*5*")
    non_ascii = GOOD.replace("CLINIC", "CLÍNICA").replace("SE*4*", "SE*5*")
    exc = _fault(non_ascii.encode())
    assert non_ascii.encode()[exc.offset :].startswith(b"SE*5*")


def test_repeats_and_components_use_the_declared_separators():
    text = interchange(["HI*ABK:E119^ABF:I10*BG:01"])
    hi = read_x12(text).segments[3]
    assert hi.repeats(1) == ["ABK:E119", "ABF:I10"] and hi.repeats(3) == []
    assert hi.component(2, 2) == "01" and hi.component(2, 3) == "" and hi.components(5) == []
    assert (len(hi), hi[2], hi[9]) == (2, "BG:01", "")
    assert text[hi.offset :].startswith("HI*ABK")
    assert str(hi.error("bad", 2, 1)) == f"segment 4 (HI) at byte {hi.offset}, element HI02-1: bad"


def test_two_interchanges_in_one_file():
    doc = read_x12(GOOD + "\n" + GOOD.replace("000000001", "000000002"))
    assert [i.control_number for i in doc.interchanges] == ["000000001", "000000002"]
    assert len(list(doc.transactions())) == 2


def test_isa_alone_with_different_delimiters():
    text = interchange(["BHT|0019"], sep="|", term="\x1c")
    text = text.replace(isa(sep="|"), isa(sep="|", comp="\x1f"))
    doc = read_x12(text)
    assert doc.delimiters == Delimiters("|", "^", "\x1f", "\x1c")


# -- never anything but X12Error ---------------------------------------------------------


def _read_quietly(data: bytes | str) -> None:
    try:
        read_x12(data)
    except X12Error as exc:
        assert str(exc)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_x12error(data):
    _read_quietly(data)


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_random_bytes_after_a_good_isa_raise_only_x12error(tail):
    _read_quietly(isa().encode() + b"~" + tail)


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_any_unicode_after_a_good_isa_raises_only_x12error(tail):
    _read_quietly(isa() + "~" + tail)


@pytest.mark.parametrize("digit", ["²", "٣", "①"])
def test_digits_of_other_scripts_are_not_numbers(digit):
    exc = _fault(GOOD.replace("SE*4*", f"SE*{digit}*"))
    assert exc.element == "SE01" and "not a count" in exc.message


_X12_ALPHABET = st.sampled_from(list("ISAGETNM1*~:^\r\n 0123456789X"))


@settings(max_examples=300)
@given(st.lists(_X12_ALPHABET, max_size=300).map("".join))
def test_x12_looking_noise_raises_only_x12error(tail):
    _read_quietly(isa() + "~" + tail)


def _mutations():
    """(sample bytes, list of edits) where an edit is (position fraction, kind, byte)."""
    edit = st.tuples(
        st.floats(0, 1),
        st.sampled_from(["delete", "insert", "replace", "cut"]),
        st.binary(min_size=1, max_size=3),
    )
    return st.lists(edit, min_size=1, max_size=4)


_MUTATABLE = [p for p in sample_files() if p.stat().st_size < 5000]


def _mutate(data: bytes, edits) -> bytes:
    for fraction, kind, chunk in edits:
        at = int(fraction * len(data))
        if kind == "delete":
            data = data[:at] + data[at + len(chunk) :]
        elif kind == "insert":
            data = data[:at] + chunk + data[at:]
        elif kind == "replace":
            data = data[:at] + chunk + data[at + len(chunk) :]
        else:
            data = data[:at]
    return data


@needs_samples
@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_MUTATABLE or [None]), _mutations())
def test_mutated_samples_raise_only_x12error(path, edits):
    _read_quietly(_mutate(path.read_bytes(), edits))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(GOOD.split("~")[:-1]), min_size=1, max_size=12),
    st.sampled_from(["~", "~\n", "~\r\n"]),
)
def test_shuffled_envelope_segments_raise_only_x12error(segments, term):
    _read_quietly(term.join(segments) + term)
