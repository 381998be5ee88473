"""Medicare as the secondary payer: the 837P of the claim to Medicare says why another plan
pays first (SBR05 in the subscriber loop: 12 working aged at 65 or over, 43 disabled under
65), carries the primary's SBR in its other-payer loop, passes pyx12 and reads back with
the code; a visit with Medicaid billed before Medicare is held back by the scrubber."""

from __future__ import annotations

import datetime as dt

import pytest

from medoffice.billing.models import Claim, ScrubFinding
from medoffice.billing.services import claims as claim_services
from medoffice.billing.services.batches import create_batch
from medoffice.billing.services.charges import LineInput, enter_charges
from medoffice.billing.services.secondary import build_secondary_claims
from medoffice.edi.guide_check import validate_with_pyx12
from medoffice.edi.x837p import parse_837p
from medoffice.patients.models import Coverage, Payer
from tests.billing.test_secondary_claims import (  # noqa: F401 - fixture, helpers
    TODAY,
    _post_primary,
    _send_primary,
    submission,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("submission", "practice")]

VISIT_DAY = dt.date(2026, 3, 9)  # the billing conftest's visits


@pytest.fixture
def medicare_second(make_patient, make_coverage, medicare, make_visit, services, biller):
    """make(born=..., primary=...) -> a charged visit of a patient with ``primary`` first
    and Medicare second."""

    def make(*, born: dt.date, primary: Payer):
        patient = make_patient(date_of_birth=born)
        make_coverage(patient=patient, payer=primary, group_number="GRP7")
        make_coverage(
            patient=patient, payer=medicare, order=Coverage.SECONDARY, member_id="1EG4TE5MK73"
        )
        return enter_charges(
            actor=biller,
            appointment=make_visit(patient=patient, day=VISIT_DAY),
            diagnoses=["E11.9"],
            lines=[LineInput(code="99214", pointers="1"), LineInput(code="36415", pointers="1")],
        )

    return make


@pytest.mark.parametrize(
    ("born", "code"),
    [
        (dt.date(1955, 6, 1), "12"),  # 70: working aged, employer plan first
        (dt.date(1961, 3, 9), "12"),  # 65 on the day of the visit
        (dt.date(1961, 3, 10), "43"),  # 65 the day after: still the disability rule
        (dt.date(1980, 5, 17), "43"),  # 45: disabled, large group health plan first
    ],
)
def test_the_claim_to_medicare_says_why_it_is_second_and_passes_pyx12(
    born, code, medicare_second, commercial_payer, medicare, biller
):
    charge = medicare_second(born=born, primary=commercial_payer)
    primary = _send_primary(biller, charge)
    payment = _post_primary(biller, primary, medicare)
    summary = build_secondary_claims(actor=biller, today=TODAY)
    (built,) = summary.built
    assert summary.scrub.clean == 1, summary.scrub.by_rule
    claim_services.mark_ready(actor=biller, claim=Claim.objects.get(pk=built))

    batch = create_batch(actor=biller, payer=medicare)

    report = validate_with_pyx12(batch.text)
    assert report.ok, "\n".join(str(f) for f in report.findings)
    segments = batch.text.split("~")
    assert f"SBR*S*18***{code}****MB" in segments  # 2000B: Medicare, second, and why
    assert "SBR*P*18*GRP7******CI" in segments  # 2320: the primary plan, which paid first
    sent = parse_837p(batch.text).batches[0].providers[0].subscribers[0]
    assert (sent.subscriber.payer_responsibility, sent.subscriber.insurance_type) == ("S", code)
    assert sent.payer.payer_id == medicare.payer_id
    (other,) = sent.claims[0].other_payers
    assert (other.payer.payer_id, other.payer_responsibility, other.insurance_type) == (
        commercial_payer.payer_id,
        "P",
        "",
    )
    assert other.paid == payment.paid


def test_a_claim_to_medicare_as_primary_carries_no_sbr05(
    make_patient, make_coverage, make_visit, services, medicare, biller
):
    patient = make_patient(date_of_birth=dt.date(1950, 1, 2))
    make_coverage(patient=patient, payer=medicare, member_id="1EG4TE5MK73")
    charge = enter_charges(
        actor=biller,
        appointment=make_visit(patient=patient, day=VISIT_DAY),
        diagnoses=["E11.9"],
        lines=[LineInput(code="99214", pointers="1")],
    )
    batch = _send_primary(biller, charge).batches.get()
    sent = parse_837p(batch.text).batches[0].providers[0].subscribers[0].subscriber
    assert (sent.payer_responsibility, sent.insurance_type) == ("P", "")
    assert "SBR*P*18*******MB" in batch.text.split("~")


def test_medicaid_billed_before_medicare_is_held_back(medicare_second, medicare, biller):
    medicaid = Payer.objects.create(name="State Medicaid", kind=Payer.MEDICAID, payer_id="SMCD1")
    charge = medicare_second(born=dt.date(1950, 1, 2), primary=medicaid)
    _post_primary(biller, _send_primary(biller, charge), medicare)

    (built,) = build_secondary_claims(actor=biller, today=TODAY).built

    finding = ScrubFinding.objects.get(claim_id=built)
    assert finding.rule.code == "cob_primary_missing"
    assert "State Medicaid (Medicaid) is billed before Medicare" in finding.message
    assert Claim.objects.get(pk=built).status == Claim.DRAFT
