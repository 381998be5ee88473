"""The 837P writer: every file it makes passes pyx12's implementation-guide validator.

pyx12 (an X12 validator nobody here wrote) is the oracle: each shape of batch
the office sends, and hypothesis-made claim files, must come back with zero
findings. The writer refuses bad data with the field's path before writing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings

from medoffice.edi.envelope import read_x12
from medoffice.edi.errors import EdiInputError
from medoffice.edi.guide_check import validate_with_pyx12
from medoffice.edi.segments import Delimiters
from medoffice.edi.x837p import ProviderClaims, ServiceLine, SubscriberClaims
from medoffice.edi.x837p.writer import write_837p
from tests.edi.claims import (
    CHILD,
    DAY,
    GROUP,
    PARENT,
    PAYER,
    SELF,
    SHAPES,
    claim,
    claim_file,
    claim_files,
    line,
)


def assert_pyx12_clean(text: str) -> None:
    report = validate_with_pyx12(text)
    assert report.checked, report.note
    assert report.findings == (), "\n".join(str(f) for f in report.findings)


def segments_of(text: str) -> list[str]:
    return [s.text() for s in read_x12(text).segments]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_passes_pyx12_with_no_findings(shape):
    text = write_837p(SHAPES[shape]())
    assert_pyx12_clean(text)
    assert read_x12(text).warnings == []


def test_the_oracle_does_find_faults():
    """Files pyx12 must refuse: no billing provider city, an impossible birth date, no lines."""
    text = write_837p(SHAPES["subscriber is the patient"]())
    report = validate_with_pyx12(text.replace("N4*Springfield*IL*627011234~", "", 1))
    assert report.checked and not report.ok
    assert any(f.segment_id == "N4" and "missing" in f.message for f in report.findings)
    report = validate_with_pyx12(text.replace("DMG*D8*19580601", "DMG*D8*19581301"))
    assert [(f.segment_id, f.element) for f in report.findings] == [("DMG", "DMG02")]
    no_lines = text[: text.index("LX*1")] + text[text.index("SE*") :]
    assert not validate_with_pyx12(no_lines).ok  # (SE count and missing 2400 loop)


def test_hierarchy_counts_and_control_numbers():
    text = write_837p(SHAPES["several subscribers and dependents"](), line_breaks=True)
    segs = segments_of(text)
    hls = [s for s in segs if s.startswith("HL*")]
    assert hls == [
        "HL*1**20*1",
        "HL*2*1*22*0",
        "HL*3*1*22*1",
        "HL*4*3*23*0",
        "HL*5*1*22*1",
        "HL*6*5*23*0",
        "HL*7*1*22*0",
    ]
    assert segs[0].split("*")[13] == "000000041"
    assert segs[1] == "GS*HC*RIVERSIDE01*CLEARHOUSE*20240305*1645*41*X*005010X222A1"
    st_at, se_at = (
        segs.index("ST*837*0001*005010X222A1"),
        next(i for i, s in enumerate(segs) if s.startswith("SE*")),
    )
    assert segs[se_at] == f"SE*{se_at - st_at + 1}*0001"
    assert segs[-2:] == ["GE*1*41", "IEA*1*000000041"]
    # Subscriber as patient: SBR02 18, address and DMG in 2010BA; dependent: no SBR02.
    assert "SBR*P*18*GRP-77******CI" in segs
    assert "SBR*P***City Workers*****CI" in segs
    assert "DMG*D8*19580601*F" in segs and "PAT*19" in segs and "PAT*01" in segs


def test_claim_and_line_segments():
    segs = segments_of(write_837p(SHAPES["modifiers, many lines, pointers, ranges"]()))
    clm = next(s for s in segs if s.startswith("CLM*"))
    assert clm == "CLM*C4001*661.25***11:B:1*Y*A*Y*Y"  # the sum of the lines
    sv1 = [s for s in segs if s.startswith("SV1*")]
    assert sv1[0] == "SV1*HC:99214:25*180*UN*1***1:2:3:4"
    assert sv1[1] == "SV1*HC:93000:59:XU:76:GT*45.5*UN*1***1"
    assert sv1[2] == "SV1*HC:97110*60*UN*3***2"
    assert sv1[4] == "SV1*HC:00100*300*MJ*45*22**1"
    assert "DTP*472*RD8*20240304-20240306" in segs
    assert "LIN**N4*00009004701" in segs and "CTP****2.5*ML" in segs
    assert "REF*6R*L-4001-4" in segs
    assert next(s for s in segs if s.startswith("HI*")) == (
        "HI*ABK:E119*ABF:I10*ABF:Z6841*ABF:M545*ABF:R0789*ABF:S52521A*ABF:F329*ABF:J069"
        "*ABF:N390*ABF:K219*ABF:E785*ABF:Z0000"
    )
    assert [s for s in segs if s.startswith("LX*")][-1] == "LX*12"


def test_replacement_and_void_name_the_original_claim():
    segs = segments_of(write_837p(SHAPES["replacement and void"]()))
    assert "CLM*C5001*120***11:B:7*Y*A*Y*Y" in segs
    assert "CLM*C5002*120***11:B:8*Y*A*Y*Y" in segs
    assert segs[segs.index("CLM*C5001*120***11:B:7*Y*A*Y*Y") + 1] == "REF*F8*PAYER-CLM-9911"


@pytest.mark.parametrize(
    "delimiters",
    [
        Delimiters("|", "!", ">", "\n"),
        Delimiters("^", "{", "\\", "~"),
        Delimiters("*", "^", ":", "'"),
    ],
    ids=["pipe-newline", "caret", "apostrophe"],
)
def test_delimiters_are_configurable(delimiters):
    made = SHAPES["modifiers, many lines, pointers, ranges"]()
    text = write_837p(made, delimiters)
    assert text.startswith(f"ISA{delimiters.element}00")
    doc = read_x12(text)
    assert doc.delimiters == delimiters
    assert_pyx12_clean(text)


def test_line_breaks_are_optional_and_change_nothing_else():
    made = SHAPES["dependent child"]()
    assert write_837p(made, line_breaks=True).replace("~\n", "~") == write_837p(made)


def test_the_same_input_gives_the_same_text():
    assert write_837p(SHAPES["two billing providers, two batches"]()) == write_837p(
        SHAPES["two billing providers, two batches"]()
    )


def test_the_dependents_subscriber_sends_no_birth_date_or_address():
    """The guide forbids the subscriber's address and DMG when the patient is a dependent."""
    parent = dataclasses.replace(PARENT, birth_date=dt.date(1970, 1, 1), address=SELF.address)
    made = claim_file(
        ProviderClaims(GROUP, (SubscriberClaims(parent, PAYER, (claim("C9"),), CHILD),))
    )
    segs = segments_of(write_837p(made))
    assert "DMG*D8*19700101*U" not in segs
    assert segs.count("N3*12 Elm St") == 1  # the child's address only


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claim_files())
def test_hypothesis_claim_files_pass_pyx12(made):
    assert_pyx12_clean(write_837p(made))


# -- refusals ---------------------------------------------------------------------------------


def _only_claim(made):
    return made.batches[0].providers[0].subscribers[0].claims[0]


def _with_claim(**changes):
    made = SHAPES["subscriber is the patient"]()
    batch = made.batches[0]
    group = batch.providers[0]
    sc = group.subscribers[0]
    new_claim = dataclasses.replace(sc.claims[0], **changes)
    sc = dataclasses.replace(sc, claims=(new_claim,))
    group = dataclasses.replace(group, subscribers=(sc,))
    batch = dataclasses.replace(batch, providers=(group,))
    return dataclasses.replace(made, batches=(batch,))


def _with_line(**changes):
    return _with_claim(lines=(dataclasses.replace(line(), **changes),))


CLAIM = "batches[0].providers[0].subscribers[0].claims[0]"


@pytest.mark.parametrize(
    ("made", "field", "words"),
    [
        (_with_claim(diagnoses=("E11.9",)), f"{CLAIM}.diagnoses[0]", "ICD-10-CM code"),
        (_with_claim(diagnoses=()), f"{CLAIM}.diagnoses", "at least one"),
        (_with_claim(diagnoses=("E119",) * 2), f"{CLAIM}.diagnoses", "twice"),
        (_with_claim(diagnoses=tuple(f"Z{n:02d}" for n in range(13))), f"{CLAIM}.diagnoses", "12"),
        (_with_line(modifiers=("25", "ABC")), f"{CLAIM}.lines[0].modifiers[1]", "2-character"),
        (_with_line(modifiers=("25",) * 5), f"{CLAIM}.lines[0].modifiers", "at most 4"),
        (
            _with_line(diagnosis_pointers=(3,)),
            f"{CLAIM}.lines[0].diagnosis_pointers[0]",
            "no diagnosis",
        ),
        (_with_line(diagnosis_pointers=()), f"{CLAIM}.lines[0].diagnosis_pointers", "1 to 4"),
        (_with_line(procedure_code="9921"), f"{CLAIM}.lines[0].procedure_code", "CPT/HCPCS"),
        (_with_line(charge=Decimal("10.005")), f"{CLAIM}.lines[0].charge", "decimal places"),
        (_with_line(charge=Decimal("-1")), f"{CLAIM}.lines[0].charge", "negative"),
        (_with_line(charge=10.5), f"{CLAIM}.lines[0].charge", "Decimal"),
        (_with_line(units=Decimal(0)), f"{CLAIM}.lines[0].units", "positive"),
        (
            _with_line(service_end_date=DAY - dt.timedelta(days=1)),
            f"{CLAIM}.lines[0].service_end_date",
            "before",
        ),
        (_with_line(ndc="123"), f"{CLAIM}.lines[0].ndc", "11-digit"),
        (
            _with_line(rendering_provider=dataclasses.replace(GROUP, npi="1234567890")),
            f"{CLAIM}.lines[0].rendering_provider",
            "Provider",
        ),
        (_with_claim(frequency="7"), f"{CLAIM}.original_claim_number", "payer's claim number"),
        (
            _with_claim(original_claim_number="X1"),
            f"{CLAIM}.original_claim_number",
            "only a replacement",
        ),
        (_with_claim(frequency="2"), f"{CLAIM}.frequency", "not one of"),
        (_with_claim(place_of_service="88"), f"{CLAIM}.place_of_service", "not one of"),
        (_with_claim(patient_control_number="C*1"), f"{CLAIM}.patient_control_number", "'*'"),
        (
            _with_claim(patient_control_number="X" * 21),
            f"{CLAIM}.patient_control_number",
            "1 to 20",
        ),
        (_with_claim(patient_control_number=" C1"), f"{CLAIM}.patient_control_number", "spaces"),
        (
            _with_claim(patient_control_number="Café"),
            f"{CLAIM}.patient_control_number",
            "character set",
        ),
        (_with_claim(lines=tuple(line() for _ in range(51))), f"{CLAIM}.lines", "at most 50"),
        (_with_claim(lines=()), f"{CLAIM}.lines", "at least one"),
    ],
)
def test_bad_claims_are_refused_naming_the_field(made, field, words):
    with pytest.raises(EdiInputError) as info:
        write_837p(made)
    assert info.value.field == field
    assert words in info.value.message


def _replace_path(made, **envelope):
    return dataclasses.replace(made, envelope=dataclasses.replace(made.envelope, **envelope))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda m: _replace_path(m, interchange_control_number=0),
            "envelope.interchange_control_number",
        ),
        (lambda m: _replace_path(m, group_control_number=10**9), "envelope.group_control_number"),
        (lambda m: _replace_path(m, sender_id="X" * 16), "envelope.sender_id"),
        (lambda m: _replace_path(m, usage="X"), "envelope.usage"),
        (lambda m: _replace_path(m, created=dt.date(2024, 1, 1)), "envelope.created"),
        (
            lambda m: dataclasses.replace(
                m, batches=(dataclasses.replace(m.batches[0], control_number="12"),)
            ),
            "batches[0].control_number",
        ),
        (lambda m: dataclasses.replace(m, batches=m.batches * 2), "batches[1].control_number"),
        (lambda m: dataclasses.replace(m, batches=()), "batches"),
    ],
)
def test_bad_envelopes_are_refused(change, field):
    with pytest.raises(EdiInputError) as info:
        write_837p(change(SHAPES["subscriber is the patient"]()))
    assert info.value.field == field


@pytest.mark.parametrize(
    ("provider_change", "field"),
    [
        ({"npi": "1234567890"}, "npi"),
        ({"tax_id": "12-3456789"}, "tax_id"),
        (
            {"address": dataclasses.replace(GROUP.address, postal_code="62701")},
            "address.postal_code",
        ),
        ({"address": dataclasses.replace(GROUP.address, state="XX")}, "address.state"),
        ({"taxonomy": "207Q"}, "taxonomy"),
        ({"first_name": "Ann"}, "first_name"),
        ({"contact": dataclasses.replace(GROUP.contact, phone="555-0100")}, "contact.phone"),
    ],
)
def test_bad_billing_providers_are_refused(provider_change, field):
    provider = dataclasses.replace(GROUP, **provider_change)
    made = claim_file(ProviderClaims(provider, (SubscriberClaims(SELF, PAYER, (claim("C1"),)),)))
    with pytest.raises(EdiInputError) as info:
        write_837p(made)
    assert info.value.field == f"batches[0].providers[0].provider.{field}"


def test_at_most_100_claims_per_subscriber():
    claims = tuple(claim(f"C{i}") for i in range(101))
    made = claim_file(ProviderClaims(GROUP, (SubscriberClaims(SELF, PAYER, claims),)))
    with pytest.raises(EdiInputError) as info:
        write_837p(made)
    assert info.value.field == "batches[0].providers[0].subscribers[0].claims"
    assert "100 per subscriber" in info.value.message


def test_a_subscriber_who_is_the_patient_needs_birth_date_and_address():
    sub = dataclasses.replace(SELF, address=None)
    made = claim_file(ProviderClaims(GROUP, (SubscriberClaims(sub, PAYER, (claim("C1"),)),)))
    with pytest.raises(EdiInputError, match="subscriber.address: is required"):
        write_837p(made)


def test_text_that_holds_a_chosen_delimiter_is_refused():
    made = _with_claim(patient_control_number="C|1")
    write_837p(made)  # fine with the default delimiters
    with pytest.raises(EdiInputError, match="'|'"):
        write_837p(made, Delimiters("|", "^", ":", "~"))


def test_unusable_delimiters_are_refused():
    with pytest.raises(EdiInputError, match="delimiters"):
        write_837p(SHAPES["dependent child"](), Delimiters("*", "^", "*", "~"))
    with pytest.raises(EdiInputError, match="repetition"):
        write_837p(SHAPES["dependent child"](), Delimiters("*", "", ":", "~"))


def test_service_line_defaults_are_one_unit_no_modifiers():
    assert ServiceLine("99213", Decimal(1), DAY, (1,)).units == Decimal(1)
