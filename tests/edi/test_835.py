"""The 835 reader: payments, claims, lines, adjustments and provider adjustments, in Decimal.

Files that balance are read exactly and reconcile (claims paid less PLB = BPR);
faults that would make a posting wrong refuse the whole file at their segment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medoffice.edi.errors import X12Error
from medoffice.edi.guide_check import validate_with_pyx12
from medoffice.edi.x835 import Adjustment, ProviderAdjustment, read_835
from tests.edi.samples import needs_samples, pyx12_verdicts, read_sample, sample_files, sample_id
from tests.edi.x12text import interchange

REFUSED = {
    "edi835p__blue_cross_nc_sample.txt": (1, None, "must begin with an ISA segment"),
    "lfh__835_005010X221A1__cob-contractural-adjustment.835": (21, "SVC", "a wrong separator?"),
    "lfh__835_005010X221A1__secondary-payment.835": (29, "SVC", "a wrong separator?"),
    "lfh__835_005010X221A1__tertiary-payment.835": (20, "SVC", "'HC' has no procedure code"),
}
# pyx12's complaints about these touch no amount; each is read with the complaint as a warning.
TOLERATED = {
    "edi835p__united_healthcare_legacy_sample.txt": ["'NP' is not a US state"],
    "lfh__835_005010X221A1__managed-care.835": ["'20002316' is not a valid date", "PER*BL"],
    "lfh__835_005010X221A1__medicare-part-a.835": ["PER*BL", "(TS3) not kept"],
    "lfh__demo-file__demo.835": ["PER*BL", "(TS3) not kept"],
}


@needs_samples
@pytest.mark.parametrize("path", sample_files("835"), ids=sample_id)
def test_each_835_sample_reconciles_or_is_refused_with_its_reason(path):
    verdict = pyx12_verdicts()[sample_id(path)]
    if path.name in REFUSED:
        assert verdict.startswith("FAIL")
        index, segment_id, words = REFUSED[path.name]
        with pytest.raises(X12Error) as info:
            read_835(path.read_bytes())
        assert (info.value.segment_index, info.value.segment_id) == (index, segment_id)
        assert words in str(info.value)
        return
    (remittance,) = read_835(path.read_bytes())
    assert remittance.imbalances() == []
    assert remittance.total_paid == remittance.claims_paid - remittance.provider_adjusted
    if path.name in TOLERATED:
        assert verdict.startswith("FAIL")
        for words in TOLERATED[path.name]:
            assert any(words in w for w in remittance.warnings), words
    else:
        assert verdict == "PASS"
        assert not any("tolerated" in w for w in remittance.warnings)


@needs_samples
def test_the_emedny_sample_reads_exactly():
    (r,) = read_835(read_sample("835/edi835p__emedny_sample.txt"))
    assert (r.handling, r.total_paid, r.credit_debit, r.method) == (
        "I",
        Decimal("45.75"),
        "C",
        "ACH",
    )
    assert (r.payment_date, r.trace_number, r.payer_trace_id) == (
        dt.date(2010, 1, 1),
        "10100000000",
        "1000000000",
    )
    assert (r.payer_name, r.payee_name, r.payee_id_qualifier, r.payee_id) == (
        "NYSDOH",
        "MAJOR MEDICAL PROVIDER",
        "XX",
        "9999999995",
    )
    assert r.payee_tax_id == "000000000" and r.production_date == dt.date(2010, 1, 1)
    assert [(c.status, c.charge, c.paid) for c in r.claims] == [
        ("1", Decimal("34.25"), Decimal("34.25")),
        ("2", Decimal("34"), Decimal("0")),
        ("2", Decimal("34.25"), Decimal("11.5")),
    ]
    first, denied, partly = r.claims
    assert first.payer_claim_number == "1000210000000030" and first.claim_filing_indicator == "MC"
    assert (first.patient_last_name, first.member_id) == ("SUBMITTED LAST", "LL99999L")
    assert first.statement_from == first.statement_to == dt.date(2010, 1, 1)
    assert first.coverage_amount == Decimal("34.25") and first.facility_type == "11"
    line = first.services[0]
    assert (line.procedure_code, line.modifiers, line.charge, line.paid, line.units) == (
        "V2020",
        ("RB",),
        Decimal(6),
        Decimal(6),
        Decimal(1),
    )
    assert line.allowed == Decimal(6) and line.service_date == dt.date(2010, 1, 1)
    assert first.services[3].units == Decimal(2)
    assert denied.services[0].adjustments == (Adjustment("CO", "29", Decimal(12)),)
    assert denied.services[0].units == Decimal(0)  # SVC05 says 0, not the default 1
    assert partly.services[2].remark_codes == ("N206",)
    assert partly.services[1].service_date == dt.date(2013, 9, 17)


@needs_samples
def test_the_medicare_sample_adds_its_provider_adjustment():
    (r,) = read_835(read_sample("835/lfh__835_005010X221A1__medicare-part-a.835"))
    assert r.provider_adjustments == (
        ProviderAdjustment("6543210903", dt.date(2002, 12, 31), "CV", Decimal("-1.27"), "CP"),
    )
    assert r.total_paid == Decimal("150000.00") == r.claims_paid + Decimal("1.27")
    assert r.claims[1].remark_codes == ("MA02",)
    assert r.claims[0].adjustments == (Adjustment("CO", "45", Decimal("73348.57")),)
    assert r.method == "ACH" and r.payment_date == dt.date(2002, 9, 13)


@needs_samples
def test_the_uhc_sample_patient_responsibility_and_bundled_code():
    (r,) = read_835(read_sample("835/edi835p__united_healthcare_legacy_sample.txt"))
    first = r.claims[0]
    assert first.patient_responsibility == Decimal("105.26")
    assert [a for a in first.all_adjustments() if a.group == "PR"] == [
        Adjustment("PR", "1", Decimal("105.26"))
    ]
    last_line = r.claims[1].services[2]
    assert last_line.adjustments[:2] == (
        Adjustment("PR", "2", Decimal("5.13")),
        Adjustment("PR", "1", Decimal(110)),
    )
    assert last_line.control_number == "123456789014"
    assert r.claims[1].received_date == dt.date(2021, 1, 14)


# -- hand-made remittances ----------------------------------------------------------------------

HEADER = [
    "BPR*I*51.5*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*888888888*DA*654321*20240410",
    "TRN*1*EFT20240410*1512345678",
    "DTM*405*20240409",
    "N1*PR*PRAIRIE HEALTH PLAN*XV*PHP01",
    "N3*1 INSURANCE WAY",
    "N4*CHICAGO*IL*60601",
    "PER*BL*EDI SUPPORT*TE*8005550100",
    "N1*PE*RIVERSIDE FAMILY MEDICINE*XX*1234567893",
    "REF*TJ*123456789",
]
CLAIMS = [
    "LX*1",
    "CLP*C1001*1*200*150*20*12*PAYER-9*11*1",
    "NM1*QC*1*LEE*SUSAN*K***MI*XQP123456",
    "NM1*82*1*PATEL*ANITA****XX*1000001018",
    "MOA***MA01*N130",
    "DTM*050*20240320",
    "SVC*HC:99214:25*180*140**1*HC:99215",
    "DTM*472*20240304",
    "CAS*CO*45*20",
    "CAS*PR*2*20**3*0",
    "REF*6R*L-1",
    "AMT*B6*160",
    "LQ*HE*M15",
    "SVC*HC:36415*20*10",
    "DTM*472*20240304",
    "CAS*CO*45*10",
    "CLP*C0999*22*-120*-80*0*12*PAYER-7*11*7",
    "CAS*CO*45*-40",
    "NM1*QC*1*GARCIA*ANA",
    "CLP*C1002*4*95*0*0*12*PAYER-10*11*1",
    "CAS*CO*50*95",
    "NM1*QC*1*GARCIA*LUIS",
]
PLB = ["PLB*1234567893*20241231*L6:INT*-1.5*WO:OVERPAY-1*20"]


def remit(header=HEADER, claims=CLAIMS, plb=PLB) -> str:
    # The 835 guide marks ST03 "not used": the version is in GS08 only.
    body = [*header, *claims, *plb]
    return interchange(body, st="835", version="005010X221A1", functional_id="HP", st03=False)


def test_claims_lines_adjustments_and_plb():
    (r,) = read_835(remit())
    assert r.warnings == () and r.imbalances() == []
    assert (r.total_paid, r.claims_paid, r.provider_adjusted) == (
        Decimal("51.5"),
        Decimal(70),
        Decimal("18.5"),
    )
    assert (r.trace_number, r.payment_date, r.payee_tax_id) == (
        "EFT20240410",
        dt.date(2024, 4, 10),
        "123456789",
    )
    paid, reversal, denied = r.claims
    assert (paid.patient_control_number, paid.status_text, paid.rendering_npi) == (
        "C1001",
        "processed as primary",
        "1000001018",
    )
    assert paid.remark_codes == ("MA01", "N130") and paid.received_date == dt.date(2024, 3, 20)
    line = paid.services[0]
    assert (line.procedure_code, line.modifiers, line.submitted_code) == ("99214", ("25",), "99215")
    assert line.adjustments == (
        Adjustment("CO", "45", Decimal(20)),
        Adjustment("PR", "2", Decimal(20)),
        Adjustment("PR", "3", Decimal(0)),
    )
    assert (line.control_number, line.allowed, line.remark_codes) == ("L-1", Decimal(160), ("M15",))
    assert reversal.is_reversal and reversal.paid == Decimal(-80) and reversal.frequency == "7"
    assert denied.is_denied and denied.adjustments == (Adjustment("CO", "50", Decimal(95)),)
    assert r.provider_adjustments == (
        ProviderAdjustment("1234567893", dt.date(2024, 12, 31), "L6", Decimal("-1.5"), "INT"),
        ProviderAdjustment("1234567893", dt.date(2024, 12, 31), "WO", Decimal(20), "OVERPAY-1"),
    )


def test_the_hand_made_remittance_passes_pyx12():
    report = validate_with_pyx12(remit())
    assert report.checked and report.findings == ()
    with_st03 = remit().replace("ST*835*0001~", "ST*835*0001*005010X221A1~")
    assert [(f.segment_id, f.element) for f in validate_with_pyx12(with_st03).findings] == [
        ("ST", "ST03")
    ]


def test_imbalances_are_listed_in_words():
    claims = [c.replace("CAS*CO*45*10", "CAS*CO*45*9") for c in CLAIMS]
    (r,) = read_835(remit(claims=claims))
    assert r.imbalances() == [
        "claim C1001: charge 200 less adjustments 49 is not the paid amount 150",
        "claim C1001, line 2 (36415): charge 20 less adjustments 9 is not the paid amount 10",
    ]
    (short,) = read_835(remit(plb=["PLB*1234567893*20241231*WO:X*21"]))
    assert short.imbalances() == [
        "the payment (51.5) is not the claims paid (70) less the provider adjustments (21) = 49"
    ]


def test_a_debit_payment_balances_negative():
    header = [HEADER[0].replace("*51.5*C*", "*18.5*D*"), *HEADER[1:]]
    (r,) = read_835(remit(header=header, claims=[], plb=["PLB*1234567893*20241231*WO:X*18.5"]))
    assert r.imbalances() == [] and r.credit_debit == "D"


def _resized(text: str, old: str, new: str) -> str:
    count = text.count("~")
    text = text.replace(old, new, 1)
    se = text.split("~SE*")[1].split("*")[0]
    return text.replace(f"~SE*{se}*", f"~SE*{int(se) + text.count('~') - count}*")


@pytest.mark.parametrize(
    ("old", "new", "segment_id", "words"),
    [
        ("CAS*CO*45*20", "CAS*XX*45*20", "CAS", "not an adjustment group"),
        ("CAS*CO*45*20", "CAS*CO*45*2O", "CAS", "not an amount"),
        ("CAS*CO*45*20", "CAS*CO**20", "CAS", "without its reason code"),
        ("CAS*CO*45*20", "CAS*CO", "CAS", "names no adjustment"),
        ("*12*PAYER-9*11*1", "*12**11*1", "CLP", "payer's claim number"),
        ("CLP*C1001*1*", "CLP**1*", "CLP", "claim number (CLP01)"),
        ("CLP*C1001*1*200*150", "CLP*C1001*1*200*1,50", "CLP", "not an amount"),
        ("NM1*QC*1*LEE*SUSAN*K***MI*XQP123456~", "", "CLP", "has no patient"),
        ("SVC*HC:36415", "SVC*ZZ:36415", "SVC", "a wrong separator?"),
        ("DTM*472*20240304", "DTM*472*20240230", "DTM", "not a valid date"),
        ("PLB*1234567893*20241231*L6:INT", "PLB*1234567893*20241231*:INT", "PLB", "reason code"),
        ("PLB*1234567893*20241231", "PLB*1234567893*2024", "PLB", "not a valid date"),
        ("BPR*I*", "BPR*Q*", "BPR", "handling code"),
        ("*51.5*C*", "*51.5*Z*", "BPR", "C (credit) or D (debit)"),
        ("TRN*1*EFT20240410", "TRN*1*", "TRN", "trace number"),
        ("N1*PE*", "N1*XX*", "N1", "expected N1*PE"),
        ("LX*1~", "LX*1~XYZ*1~", "XYZ", "not expected here"),
    ],
)
def test_a_malformed_835_is_refused_whole_at_its_segment(old, new, segment_id, words):
    text = remit()
    assert old in text
    with pytest.raises(X12Error) as info:
        read_835(_resized(text, old, new))
    assert info.value.segment_id == segment_id
    assert words in str(info.value)
    assert info.value.segment_index is not None and info.value.offset is not None


def test_not_an_835():
    with pytest.raises(X12Error, match="not HP"):
        read_835(remit().replace("*HP*", "*HC*"))
    with pytest.raises(X12Error, match="835 guide"):
        read_835(remit().replace("005010X221A1", "005010X222A1"))


def test_a_truncated_835_is_refused_at_every_cut():
    text = remit()
    ends = [i + 1 for i, ch in enumerate(text) if ch == "~"][:-1]
    for cut in ends + [len(text) - 5, 200, 107]:
        with pytest.raises(X12Error) as info:
            read_835(text[:cut])
        assert info.value.segment_index is not None, cut


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["*", "~", ":", "", "-", "9", "."]))))
def test_mutated_835s_raise_only_x12error(edits):
    text = remit()
    for fraction, chunk in edits:
        at = int(fraction * len(text))
        text = text[:at] + chunk + text[at + 1 :]
    try:
        read_835(text)
    except X12Error as exc:
        assert exc.describe()
