"""Secondary claims: after the primary's 835 is posted, the visit waits for its secondary
claim; it is built in bulk, scrubbed, and its 837P carries the primary's paid amounts and
adjustments (COB loops) and passes pyx12. Without the primary's posting, the scrubber
holds the claim back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from medoffice.billing.models import (
    Claim,
    ClaimPayment,
    LedgerEntry,
    LinePayment,
    RemitAdjustment,
    Remittance,
    RemittanceFile,
    ScrubFinding,
    SubmissionSettings,
)
from medoffice.billing.services import claims as claim_services
from medoffice.billing.services import ledger
from medoffice.billing.services.batches import create_batch
from medoffice.billing.services.charges import LineInput, enter_charges
from medoffice.billing.services.scrubber import scrub_claims
from medoffice.billing.services.secondary import (
    build_secondary_claims,
    visits_waiting_for_secondary,
)
from medoffice.edi.guide_check import validate_with_pyx12
from medoffice.edi.x837p import parse_837p
from medoffice.patients.models import Coverage

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 25)
PAID_ON = dt.date(2026, 3, 20)
D = Decimal


@pytest.fixture
def submission(db):
    return SubmissionSettings.objects.create(
        sender_id="RIVERSIDE01", receiver_id="CLEARHOUSE", receiver_name="Example Clearinghouse",
        submitter_id="SUB123", contact_name="Billing Office", contact_phone="2175550100",
        zip_plus_four="1234",
    )  # fmt: skip


@pytest.fixture
def two_coverages(make_patient, make_coverage, commercial_payer, medicare, make_visit, services):
    """A patient with a commercial primary and Medicare as secondary, and a charged visit."""

    def make(biller):
        patient = make_patient()
        make_coverage(patient=patient, payer=commercial_payer, group_number="GRP7")
        make_coverage(
            patient=patient, payer=medicare, order=Coverage.SECONDARY, member_id="1EG4TE5MK73"
        )
        charge = enter_charges(
            actor=biller,
            appointment=make_visit(patient=patient),
            diagnoses=["E11.9", "I10"],
            lines=[
                LineInput(code="99214", pointers="1,2"),
                LineInput(code="36415", pointers="1"),
            ],
        )
        return charge

    return make


def _send_primary(biller, charge) -> Claim:
    claim = claim_services.build_claim(actor=biller, charge=charge)
    assert claim.payer_order == 1
    scrub_claims(actor=biller, claim_ids=[claim.pk], today=TODAY)
    claim_services.mark_ready(actor=biller, claim=Claim.objects.get(pk=claim.pk))
    batch = create_batch(actor=biller)
    assert batch.claims.filter(pk=claim.pk).exists()
    return claim_services.move_claim(actor=biller, claim=claim, to=Claim.ACCEPTED)


def _post_primary(biller, claim: Claim, medicare) -> ClaimPayment:
    """What the 835 posting does for a claim paid line by line: per line, the payment, the
    contractual reduction (CO-45) and the coinsurance moved to the secondary (PR-2)."""
    claim = Claim.objects.get(pk=claim.pk)
    lines = list(claim.lines.order_by("line_number"))
    file = RemittanceFile.objects.create(
        sha256=f"{claim.pk:064d}", filename="era.835", text="ISA*..."
    )
    remittance = Remittance.objects.create(
        file=file, payer=claim.payer, payer_name=claim.payer.name,
        payer_identifier=claim.payer.payer_id, trace_number="EFT-1", method="ACH",
        payment_date=PAID_ON, total_paid=0, claims_paid=0, posted_on=PAID_ON,
    )  # fmt: skip
    payment = ClaimPayment.objects.create(
        remittance=remittance, claim=claim, patient_control_number=claim.patient_control_number,
        status_code="1", charge=claim.total_charge, paid=0, payer_claim_number="PCH-77001",
        posted=True,
    )  # fmt: skip
    entries = []
    total_paid = total_pr = D(0)
    for line in lines:
        charge = line.charge_amount
        coinsurance = (charge * D("0.2")).quantize(D("0.01"))
        contractual = (charge * D("0.1")).quantize(D("0.01"))
        paid = charge - coinsurance - contractual
        lp = LinePayment.objects.create(
            claim_payment=payment, claim_line=line, code=line.code, units=line.units,
            service_date=line.date_of_service, charge=charge, paid=paid,
            allowed=charge - contractual, patient_responsibility=coinsurance,
        )  # fmt: skip
        RemitAdjustment.objects.create(
            claim_payment=payment, line=lp, group="CO", reason="45", amount=contractual
        )
        RemitAdjustment.objects.create(
            claim_payment=payment, line=lp, group="PR", reason="2", amount=coinsurance
        )
        common = {
            "patient_id": claim.patient_id, "charge_id": claim.charge_id, "claim": claim,
            "claim_line": line, "remittance": remittance,
        }  # fmt: skip
        entries += [
            LedgerEntry(kind=LedgerEntry.PAYER_PAYMENT, amount=-paid, payer=claim.payer, **common),
            LedgerEntry(
                kind=LedgerEntry.CONTRACTUAL, amount=-contractual, payer=claim.payer,
                adjustment_group="CO", reason_code="45", **common,
            ),
            LedgerEntry(
                kind=LedgerEntry.TRANSFER, amount=-coinsurance, payer=claim.payer,
                adjustment_group="PR", reason_code="2", **common,
            ),
            LedgerEntry(
                kind=LedgerEntry.TRANSFER, amount=coinsurance, payer=medicare,
                adjustment_group="PR", reason_code="2", **common,
            ),
        ]  # fmt: skip
        total_paid += paid
        total_pr += coinsurance
    ledger.post_many(entries, actor=biller, day=PAID_ON)
    ClaimPayment.objects.filter(pk=payment.pk).update(
        paid=total_paid, patient_responsibility=total_pr
    )
    Remittance.objects.filter(pk=remittance.pk).update(
        total_paid=total_paid, claims_paid=total_paid, claim_count=1, matched_count=1
    )
    assert ledger.payer_balance(charge_id=claim.charge_id, payer_id=claim.payer_id) == 0
    claim_services.move_claim(actor=biller, claim=claim, to=Claim.PAID)
    return ClaimPayment.objects.get(pk=payment.pk)


def test_a_secondary_claim_carries_the_primarys_adjudication_and_passes_pyx12(
    make_user, two_coverages, medicare, submission, practice
):
    biller = make_user("biller")
    charge = two_coverages(biller)
    primary = _send_primary(biller, charge)
    assert visits_waiting_for_secondary() == []  # nothing decided yet
    payment = _post_primary(biller, primary, medicare)

    (waiting,) = visits_waiting_for_secondary()
    assert (waiting.charge_id, waiting.payer, waiting.payer_order) == (charge.pk, medicare.name, 2)
    assert waiting.balance == payment.patient_responsibility
    assert waiting.prior_paid == payment.paid

    summary = build_secondary_claims(actor=biller, today=TODAY)
    (built,) = summary.built
    assert summary.scrub.clean == 1, summary.scrub.by_rule
    secondary = Claim.objects.get(pk=built)
    assert (secondary.payer, secondary.payer_order, secondary.status) == (
        medicare,
        2,
        Claim.SCRUBBED,
    )
    assert visits_waiting_for_secondary() == []  # built once
    assert build_secondary_claims(actor=biller, today=TODAY).built == []

    claim_services.mark_ready(actor=biller, claim=secondary)
    batch = create_batch(actor=biller, payer=medicare)
    report = validate_with_pyx12(batch.text)
    assert report.ok, "\n".join(str(f) for f in report.findings)

    (sent,) = parse_837p(batch.text).claims()
    (other,) = sent.other_payers
    assert other.payer.payer_id == primary.payer.payer_id
    assert (other.payer_responsibility, other.paid, other.claim_number) == (
        "P",
        payment.paid,
        "PCH-77001",
    )
    assert other.group_number == "GRP7"
    for line, ours in zip(sent.lines, secondary.lines.order_by("line_number"), strict=True):
        (answer,) = line.adjudications
        paid_line = LinePayment.objects.get(claim_payment=payment, claim_line__code=ours.code)
        assert (answer.paid, answer.adjudication_date) == (paid_line.paid, PAID_ON)
        assert [(a.group, a.reason, a.amount) for a in answer.adjustments] == [
            (adj.group, adj.reason, adj.amount) for adj in paid_line.adjustments.order_by("pk")
        ]
    subscriber = parse_837p(batch.text).batches[0].providers[0].subscribers[0].subscriber
    assert (subscriber.payer_responsibility, subscriber.member_id) == ("S", "1EG4TE5MK73")


def test_without_the_primarys_posting_the_scrubber_holds_the_secondary_back(
    make_user, two_coverages, medicare, submission, practice
):
    biller = make_user("biller")
    charge = two_coverages(biller)
    primary = _send_primary(biller, charge)
    claim_services.move_claim(actor=biller, claim=primary, to=Claim.PAID)  # marked by hand
    assert visits_waiting_for_secondary() == []  # no posting, no balance moved
    secondary = claim_services.build_claim(actor=biller, charge=charge)
    assert secondary.payer == medicare
    summary = scrub_claims(actor=biller, claim_ids=[secondary.pk], today=TODAY)
    assert summary.by_rule == {"cob_primary_missing": 1}
    finding = ScrubFinding.objects.get(claim=secondary)
    assert "no posted remittance" in finding.message
    assert Claim.objects.get(pk=secondary.pk).status == Claim.DRAFT


def test_a_remittance_that_does_not_add_up_is_refused_too(
    make_user, two_coverages, medicare, submission, practice
):
    biller = make_user("biller")
    charge = two_coverages(biller)
    primary = _send_primary(biller, charge)
    payment = _post_primary(biller, primary, medicare)
    one = RemitAdjustment.objects.filter(claim_payment=payment, group="CO").first()
    RemitAdjustment.objects.filter(pk=one.pk).update(amount=one.amount + D("1.00"))
    (built,) = build_secondary_claims(actor=biller, today=TODAY).built
    finding = ScrubFinding.objects.get(claim_id=built)
    assert finding.rule.code == "cob_primary_missing"
    assert "does not add up" in finding.message


def test_a_reversed_posting_is_not_used(make_user, two_coverages, medicare, submission, practice):
    biller = make_user("biller")
    charge = two_coverages(biller)
    primary = _send_primary(biller, charge)
    payment = _post_primary(biller, primary, medicare)
    ClaimPayment.objects.create(
        remittance=payment.remittance, claim=primary, status_code="22",
        patient_control_number=payment.patient_control_number, charge=-payment.charge,
        paid=-payment.paid, posted=True,
    )  # fmt: skip
    secondary = claim_services.build_claim(actor=biller, charge=charge)
    summary = scrub_claims(actor=biller, claim_ids=[secondary.pk], today=TODAY)
    assert summary.by_rule == {"cob_primary_missing": 1}


def test_the_page_and_the_api_list_and_build(
    client_as, make_user, two_coverages, medicare, submission, practice
):
    from django.urls import reverse

    from medoffice.core.services.tokens import create_token

    biller = make_user("biller")
    first = two_coverages(biller)
    second = two_coverages(biller)
    for charge in (first, second):
        _post_primary(biller, _send_primary(biller, charge), medicare)
    client = client_as("biller")
    page = client.get(reverse("secondary_waiting")).content.decode()
    assert "Build secondary claims" in page and page.count('name="charge"') == 2
    response = client.post(reverse("secondary_build"), {"charge": [str(first.pk)]})
    assert response.status_code == 302
    assert Claim.objects.filter(charge=first, payer=medicare).count() == 1
    assert not Claim.objects.filter(charge=second, payer=medicare).exists()

    headers = {"Authorization": f"Bearer {create_token(user=client.user)}"}
    (waiting,) = client.get("/api/v1/billing/secondary-claims/waiting", headers=headers).json()
    assert (waiting["charge"], waiting["payer"]) == (second.pk, medicare.pk)
    bad = client.post(
        "/api/v1/billing/secondary-claims", '{"charges": [0]}', content_type="application/json",
        headers=headers,
    )  # fmt: skip
    assert bad.status_code == 422
    built = client.post(
        "/api/v1/billing/secondary-claims", "{}", content_type="application/json", headers=headers
    ).json()
    assert built["clean"] == 1 and len(built["built"]) == 1
    assert "1 secondary claim built" in built["summary"]
    assert client.get("/api/v1/billing/secondary-claims/waiting", headers=headers).json() == []
    front = client_as("front_desk")
    assert front.post(reverse("secondary_build")).status_code == 403
