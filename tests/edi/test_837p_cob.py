"""Secondary claims in the 837P: the primary payer's adjudication (COB loops 2320-2430).

A claim to the secondary payer carries the primary as an other payer: its
SBR/CAS/AMT/OI (2320), its subscriber (2330A) and name (2330B), and per line
what it paid and adjusted (2430). pyx12 must find nothing to say about what we
write; the parser must read it back equal; the writer must refuse a
coordination the guide forbids (unbalanced amounts, a missing adjudication
date, a line answer from a payer the claim does not name), naming the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medoffice.edi.errors import EdiInputError
from medoffice.edi.guide_check import validate_with_pyx12
from medoffice.edi.x837p import (
    Adjustment,
    ClaimFile,
    LineAdjudication,
    OtherPayer,
    OtherSubscriber,
    Payer,
    ProviderClaims,
    SubscriberClaims,
    parse_837p,
    write_837p,
)
from tests.edi.claims import (
    CHILD,
    DAY,
    GROUP,
    HOME,
    MEDICARE,
    PARENT,
    PAYER,
    SELF,
    claim,
    claim_file,
    claim_files,
    line,
)

PAID_ON = DAY + dt.timedelta(days=20)
D = Decimal


def primary(**kw) -> OtherPayer:
    """The patient's primary plan (Prairie Health Plan) as the other payer of a secondary claim."""
    values = {
        "payer": PAYER,
        "subscriber": OtherSubscriber("XQP123456", "Lee", "Susan", middle_name="K", address=HOME),
        "payer_responsibility": "P",
        "relationship": "18",
        "group_number": "GRP-77",
        "claim_filing_indicator": "CI",
        "claim_number": "PHP-2024-0001",
    }
    values.update(kw)
    return OtherPayer(**values)


def answer(paid, *adjustments, code="99213", **kw) -> LineAdjudication:
    return LineAdjudication(
        payer_id=kw.pop("payer_id", PAYER.payer_id),
        paid=D(paid),
        procedure_code=code,
        adjudication_date=kw.pop("adjudication_date", PAID_ON),
        adjustments=tuple(Adjustment(g, r, D(a)) for g, r, a in adjustments),
        **kw,
    )


def to_medicare(*claims, patient=None, subscriber=None) -> ClaimFile:
    """A batch to the secondary payer (Medicare here) with ``claims``."""
    sub = subscriber or replace(SELF, payer_responsibility="S", claim_filing_indicator="MB")
    return claim_file(ProviderClaims(GROUP, (SubscriberClaims(sub, MEDICARE, claims, patient),)))


def line_level_claim():
    """Two lines answered line by line: an office visit paid 72 (CO-45 28, PR-2 20)
    and a blood draw paid 9 in full; the claim paid 81 with no claim-level CAS."""
    return claim(
        "C8001",
        line(
            "99213",
            "120.00",
            adjudications=(
                answer(
                    "72", ("CO", "45", "28"), ("PR", "2", "20"), remaining_patient_liability=D(20)
                ),
            ),
        ),
        line(
            "36415",
            "9.00",
            adjudications=(answer("9", code="36415", remaining_patient_liability=D(0)),),
        ),
        other_payers=(primary(paid=D(81)),),
    )


COB_SHAPES = {
    "line by line": lambda: to_medicare(line_level_claim()),
    "whole claim": lambda: to_medicare(
        claim(
            "C8002",
            line("99214", "180.00"),
            other_payers=(
                primary(
                    paid=D("100.50"),
                    adjustments=(
                        Adjustment("CO", "45", D("49.50")),
                        Adjustment("PR", "1", D("25")),
                        Adjustment("PR", "3", D("5")),
                    ),
                    remaining_patient_liability=D(30),
                    adjudication_date=PAID_ON,
                ),
            ),
        )
    ),
    "denied by the primary, dependent, and a tertiary not yet adjudicated": lambda: to_medicare(
        claim(
            "C8003",
            line(
                "97110",
                "60.00",
                units=D(2),
                modifiers=("GP",),
                adjudications=(
                    answer("0", ("CO", "96", "60"), code="97110", units=D(2), modifiers=("GP",)),
                ),
            ),
            other_payers=(
                primary(
                    paid=D(0),
                    subscriber=OtherSubscriber("XQP999001", "Garcia", "Luis"),
                    relationship="19",
                    group_number="",
                    group_name="City Workers",
                    benefits_assigned=False,
                    release_of_information="I",
                ),
                OtherPayer(
                    payer=Payer("County Health Assist", "CHA77"),
                    subscriber=OtherSubscriber("CHA-555", "Garcia", "Luis"),
                    payer_responsibility="T",
                    relationship="19",
                    claim_filing_indicator="MC",
                ),
            ),
        ),
        patient=CHILD,
        subscriber=replace(PARENT, payer_responsibility="S", claim_filing_indicator="MB"),
    ),
    "line and claim level with a claim-level copay": lambda: to_medicare(
        replace(
            line_level_claim(),
            patient_control_number="C8004",
            other_payers=(
                primary(paid=D(66), adjustments=(Adjustment("PR", "3", D(15)),), insurance_type=""),
            ),
        )
    ),
}


def assert_pyx12_clean(text: str) -> None:
    report = validate_with_pyx12(text)
    assert report.checked, report.note
    assert report.findings == (), "\n".join(str(f) for f in report.findings)


@pytest.mark.parametrize("shape", sorted(COB_SHAPES))
def test_secondary_claims_pass_pyx12_and_read_back_equal(shape):
    made = COB_SHAPES[shape]()
    text = write_837p(made)
    assert_pyx12_clean(text)
    back = parse_837p(text)
    assert back == made
    assert back.warnings == ()
    assert write_837p(back) == text


def test_the_cob_loops_say_what_the_primary_did():
    text = write_837p(COB_SHAPES["line by line"](), line_breaks=True)
    segs = text.split("~\n")
    start = segs.index("HI*ABK:E119*ABF:I10")
    assert segs[start + 1 : start + 10] == [
        "SBR*P*18*GRP-77******CI",  # 2320: the primary, the patient is its subscriber
        "AMT*D*81",  # what it paid on the claim
        "OI***Y***Y",
        "NM1*IL*1*Lee*Susan*K***MI*XQP123456",  # 2330A
        "N3*12 Elm St",
        "N4*Springfield*IL*62702",
        "NM1*PR*2*Prairie Health Plan*****PI*PHP01",  # 2330B
        "N3*1 Insurance Way",
        "N4*Chicago*IL*60601",
    ]
    assert segs[start + 10] == "REF*F8*PHP-2024-0001"
    first = segs.index("SVD*PHP01*72*HC:99213**1")  # 2430, after the line's own segments
    assert segs[first - 1] == "DTP*472*D8*20240304"
    assert segs[first + 1 : first + 4] == ["CAS*CO*45*28", "CAS*PR*2*20", "DTP*573*D8*20240324"]
    assert segs[first + 4] == "AMT*EAF*20"
    whole = write_837p(COB_SHAPES["whole claim"](), line_breaks=True).split("~\n")
    assert "CAS*CO*45*49.5" in whole and "CAS*PR*1*25**3*5" in whole  # one CAS per group
    assert "DTP*573*D8*20240324" in whole and "AMT*EAF*30" in whole  # claim level: in 2320/2330B


def test_the_oracle_finds_a_line_answer_without_its_date():
    text = write_837p(COB_SHAPES["line by line"]())
    broken = text.replace("DTP*573*D8*20240324~", "", 1)
    count = text.split("SE*")[1].split("*")[0]
    report = validate_with_pyx12(broken.replace(f"SE*{count}*", f"SE*{int(count) - 1}*"))
    assert report.checked and not report.ok


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            lambda c: replace(c, other_payers=(replace(c.other_payers[0], paid=D(80)),)),
            "claims[0].other_payers[0].paid",
            "not the claim's charge 129.00",
        ),
        (
            lambda c: replace(
                c,
                lines=(
                    replace(c.lines[0], adjudications=(answer("70", ("CO", "45", "28")),)),
                    c.lines[1],
                ),
            ),
            "claims[0].lines[0].adjudications[0].paid",
            "not the line's charge 120.00",
        ),
        (
            lambda c: replace(
                c, other_payers=(replace(c.other_payers[0], adjudication_date=PAID_ON),)
            ),
            "claims[0].other_payers[0].adjudication_date",
            "goes on each line",
        ),
        (
            lambda c: replace(
                c,
                lines=(c.lines[0], replace(c.lines[1], adjudications=())),
                other_payers=(replace(c.other_payers[0], paid=D(72)),),
            ),
            "claims[0].other_payers[0].paid",
            "make 120",
        ),
        (
            lambda c: replace(
                c,
                lines=(
                    c.lines[0],
                    replace(c.lines[1], adjudications=(answer("9", payer_id="X9"),)),
                ),
            ),
            "claims[0].lines[1].adjudications[0].payer_id",
            "not the payer id of an adjudicated other payer",
        ),
        (
            lambda c: replace(
                c, other_payers=(replace(c.other_payers[0], payer_responsibility="S"),)
            ),
            "claims[0].other_payers[0].payer_responsibility",
            "the place of the payer billed",
        ),
        (
            lambda c: replace(
                c,
                other_payers=(
                    replace(
                        c.other_payers[0], paid=D(81), adjustments=(Adjustment("CO", "45", D(0)),)
                    ),
                ),
            ),
            "claims[0].other_payers[0].adjustments[0].amount",
            "an adjustment of 0 is not sent",
        ),
        (
            lambda c: replace(
                c,
                other_payers=(
                    replace(c.other_payers[0], adjustments=(Adjustment("XX", "45", D(1)),)),
                ),
            ),
            "claims[0].other_payers[0].adjustments[0].group",
            "is not one of CO, CR, OA, PI, PR",
        ),
        (
            lambda c: replace(
                c, other_payers=(replace(c.other_payers[0], paid=None, claim_number=""),)
            ),
            "claims[0].other_payers[0].paid",
            "need the amount the payer paid",
        ),
        (
            lambda c: replace(
                c,
                lines=tuple(replace(ln, adjudications=()) for ln in c.lines),
                other_payers=(
                    replace(c.other_payers[0], adjustments=(Adjustment("CO", "45", D(48)),)),
                ),
            ),
            "claims[0].other_payers[0].adjudication_date",
            "is required",
        ),
    ],
    ids=[
        "claim unbalanced",
        "line unbalanced",
        "claim date with line answers",
        "a line not accounted for",
        "unknown payer on a line",
        "same place as the payer billed",
        "zero adjustment",
        "bad group",
        "answers without a paid amount",
        "whole-claim answer without its date",
    ],
)
def test_the_writer_refuses_what_the_guide_forbids(change, field, words):
    made = change(line_level_claim())
    with pytest.raises(EdiInputError) as info:
        write_837p(to_medicare(made))
    assert info.value.field.endswith(field)
    assert words in str(info.value)


# -- hypothesis: any claim file, with a primary's answer on each claim ---------------------------

_CENTS = D("0.01")


def _split(draw, total: Decimal, parts: int) -> list[Decimal]:
    """``total`` cut in ``parts`` non-negative pieces (to the cent) that add up to it."""
    cents = int(total * 100)
    cuts = sorted(draw(st.lists(st.integers(0, cents), min_size=parts - 1, max_size=parts - 1)))
    edges = [0, *cuts, cents]
    return [D(edges[i + 1] - edges[i]) * _CENTS for i in range(parts)]


def _reasons(draw, amount_of: dict[tuple[str, str], Decimal]) -> tuple[Adjustment, ...]:
    return tuple(Adjustment(g, r, a) for (g, r), a in amount_of.items() if a != 0)


@st.composite
def with_primary(draw, made: ClaimFile) -> ClaimFile:
    """``made`` with every claim sent to its payer as the next one after another payer
    that adjudicated it, line by line or as a whole."""
    batches = []
    for batch in made.batches:
        providers = []
        for group in batch.providers:
            subscribers = []
            for sc in group.subscribers:
                place = sc.subscriber.payer_responsibility
                other_place = draw(st.sampled_from(sorted({"P", "S", "T"} - {place})))
                other_id = "OTH" + sc.payer.payer_id[:10]
                claims = []
                for c in sc.claims:
                    by_line = draw(st.booleans())
                    other = OtherPayer(
                        payer=Payer(
                            draw(st.sampled_from(["Prairie Health", "Lakes Mutual"])), other_id
                        ),
                        subscriber=OtherSubscriber(
                            draw(st.sampled_from(["M-1001", "ZX99-4"])),
                            draw(st.sampled_from(["Lee", "O'Neil", "Garcia-Ruiz"])),
                            draw(st.sampled_from(["", "Ana"])),
                            address=draw(st.sampled_from([None, HOME])),
                        ),
                        payer_responsibility=other_place,
                        relationship=draw(st.sampled_from(["18", "01", "19", "G8"])),
                        group_number=draw(st.sampled_from(["", "G-1"])),
                        claim_filing_indicator=draw(st.sampled_from(["CI", "MB", "BL"])),
                        claim_number=draw(st.sampled_from(["", "PCN77"])),
                        benefits_assigned=draw(st.booleans()),
                        release_of_information=draw(st.sampled_from(["I", "Y"])),
                    )
                    if by_line:
                        lines, paid_total = [], D(0)
                        for ln in c.lines:
                            paid, co, pr = _split(draw, ln.charge, 3)
                            adj = _reasons(draw, {("CO", "45"): co, ("PR", "2"): pr})
                            day = draw(st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1)))
                            eaf = draw(st.sampled_from([None, pr]))
                            answer_ = LineAdjudication(
                                other_id, paid, ln.procedure_code, day, units=ln.units,
                                modifiers=ln.modifiers, adjustments=adj,
                                remaining_patient_liability=eaf,
                            )  # fmt: skip
                            lines.append(replace(ln, adjudications=(answer_,)))
                            paid_total += paid
                        copay, paid = _split(draw, paid_total, 2)
                        other = replace(
                            other, paid=paid, adjustments=_reasons(draw, {("PR", "3"): copay})
                        )
                        c = replace(c, lines=tuple(lines), other_payers=(other,))
                    else:
                        paid, co, oa = _split(draw, c.total_charge, 3)
                        other = replace(
                            other,
                            paid=paid,
                            adjustments=_reasons(draw, {("CO", "45"): co, ("OA", "23"): oa}),
                            adjudication_date=DAY,
                            remaining_patient_liability=draw(st.sampled_from([None, D(0)])),
                        )
                        c = replace(c, other_payers=(other,))
                    claims.append(c)
                subscribers.append(replace(sc, claims=tuple(claims)))
            providers.append(replace(group, subscribers=tuple(subscribers)))
        batches.append(replace(batch, providers=tuple(providers)))
    return replace(made, batches=tuple(batches))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claim_files().flatmap(with_primary))
def test_any_secondary_claim_file_reads_back_equal(made):
    text = write_837p(made)
    back = parse_837p(text)
    assert back == made
    assert back.warnings == ()
    assert write_837p(back) == text


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claim_files().flatmap(with_primary))
def test_any_secondary_claim_file_passes_pyx12(made):
    assert_pyx12_clean(write_837p(made))
