"""Medicare as a secondary payer in the 837P: SBR05 (the Medicare secondary payer type) on
the claim to Medicare (2000B) and on Medicare's loop of a claim to a later payer (2320).
pyx12 finds nothing to say, the file reads back equal, and the writer refuses the code
where the guide forbids it (a primary payer, a payer that is not Medicare, a code not in
the list), naming the field."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from medoffice.edi.errors import EdiInputError
from medoffice.edi.x837p import (
    Adjustment,
    OtherPayer,
    OtherSubscriber,
    Payer,
    ProviderClaims,
    SubscriberClaims,
    parse_837p,
    write_837p,
)
from tests.edi.claims import DAY, GROUP, MEDICARE, PAYER, SELF, claim, claim_file, line
from tests.edi.test_837p_cob import assert_pyx12_clean, line_level_claim, primary, to_medicare

D = Decimal
PAID_ON = DAY + dt.timedelta(days=20)
MEDIGAP = Payer("Lakes Mutual Supplement", "LMS01")


def medicare_secondary(insurance_type: str = "12"):
    return replace(
        SELF, payer_responsibility="S", claim_filing_indicator="MB", insurance_type=insurance_type
    )


def subscriber_sbr(text: str) -> str:
    segs = text.split("~\n")
    return segs[next(i for i, s in enumerate(segs) if s.startswith("HL*") and "*22*" in s) + 1]


def test_a_claim_to_medicare_as_secondary_says_why_and_passes_pyx12():
    made = to_medicare(line_level_claim(), subscriber=medicare_secondary("12"))
    text = write_837p(made, line_breaks=True)
    assert subscriber_sbr(text) == "SBR*S*18*GRP-77**12****MB"
    assert "SBR*P*18*GRP-77******CI" in text  # 2320: the primary plan, no SBR05
    assert_pyx12_clean(text)
    back = parse_837p(text)
    assert back == made
    assert back.batches[0].providers[0].subscribers[0].subscriber.insurance_type == "12"


def tertiary_claim():
    """A claim to a supplement plan (third) after the primary plan and Medicare (second,
    there because the patient is disabled and under 65) both paid it as a whole."""
    medicare = OtherPayer(
        payer=MEDICARE,
        subscriber=OtherSubscriber("1EG4TE5MK73", "Lee", "Susan"),
        payer_responsibility="S",
        claim_filing_indicator="MB",
        insurance_type="43",
        paid=D("16.00"),
        adjustments=(Adjustment("PR", "2", D("4.00")), Adjustment("OA", "23", D("100.00"))),
        remaining_patient_liability=D("4.00"),
        adjudication_date=PAID_ON + dt.timedelta(days=10),
    )
    first = primary(
        paid=D("100.00"),
        adjustments=(Adjustment("PR", "2", D("20.00")),),
        remaining_patient_liability=D("20.00"),
        adjudication_date=PAID_ON,
    )
    return claim("C9001", line("99213", "120.00"), other_payers=(first, medicare))


def test_medicares_own_loop_on_a_tertiary_claim_says_why_and_passes_pyx12():
    sub = replace(SELF, member_id="LMS-4455", payer_responsibility="T", group_number="")
    made = claim_file(ProviderClaims(GROUP, (SubscriberClaims(sub, MEDIGAP, (tertiary_claim(),)),)))
    text = write_837p(made, line_breaks=True)
    assert subscriber_sbr(text) == "SBR*T*18*******CI"  # the supplement plan: no SBR05
    assert "SBR*S*18***43****MB" in text.split("~\n")  # 2320 of Medicare
    assert_pyx12_clean(text)
    back = parse_837p(text)
    assert back == made
    assert [o.insurance_type for o in back.claims()[0].other_payers] == ["", "43"]


def _to_payer(sub, payer=MEDICARE):
    return claim_file(ProviderClaims(GROUP, (SubscriberClaims(sub, payer, (line_level_claim(),)),)))


@pytest.mark.parametrize(
    ("made", "field", "words"),
    [
        (
            lambda: _to_payer(replace(SELF, claim_filing_indicator="MB", insurance_type="12")),
            "subscribers[0].subscriber.insurance_type",
            "only when the payer is not the primary one",
        ),
        (
            lambda: _to_payer(
                replace(SELF, payer_responsibility="S", insurance_type="12"), payer=PAYER
            ),
            "subscribers[0].subscriber.insurance_type",
            "only for Medicare (claim filing indicator MA or MB), not CI",
        ),
        (
            lambda: _to_payer(medicare_secondary("99")),
            "subscribers[0].subscriber.insurance_type",
            "'99' is not one of 12, 13, 14, 15, 16, 41, 42, 43, 47",
        ),
        (
            lambda: to_medicare(
                replace(
                    line_level_claim(),
                    other_payers=(primary(paid=D(81), insurance_type="47"),),
                ),
                subscriber=medicare_secondary("47"),
            ),
            "claims[0].other_payers[0].insurance_type",
            "only when the payer is not the primary one",
        ),
    ],
    ids=["primary", "not medicare", "unknown code", "primary other payer"],
)
def test_the_writer_refuses_sbr05_where_the_guide_forbids_it(made, field, words):
    with pytest.raises(EdiInputError) as info:
        write_837p(made())
    assert info.value.field.endswith(field)
    assert words in str(info.value)
