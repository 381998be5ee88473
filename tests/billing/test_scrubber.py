"""The claim scrubber: each rule finds its problem, payers choose their rules, claims move."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from medoffice.billing.models import Claim, ClaimEvent, ClaimLine, ScrubFinding, ScrubRule
from medoffice.billing.scrub_rules import RULES
from medoffice.billing.services import claims as claim_services
from medoffice.billing.services.charges import LineInput, enter_charges
from medoffice.billing.services.scrubber import scrub_claim, scrub_claims, set_rule_for_payer

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 20)


@pytest.fixture
def biller(make_user):
    return make_user("biller")


@pytest.fixture
def make_claim(make_visit, make_coverage, make_patient, services, biller):
    def make(*, lines=None, diagnoses=("J06.9",), coverage=None, **charge_fields) -> Claim:
        patient = make_patient()
        make_coverage(patient=patient, **(coverage or {}))
        charge = enter_charges(
            actor=biller,
            appointment=make_visit(patient=patient),
            diagnoses=list(diagnoses),
            lines=lines or [LineInput(code="99213", pointers="1")],
            **charge_fields,
        )
        return claim_services.build_claim(actor=biller, charge=charge)

    return make


def codes_found(claim) -> set[str]:
    return set(ScrubFinding.objects.filter(claim=claim).values_list("rule__code", flat=True))


def test_every_shipped_rule_is_in_the_table():
    assert set(ScrubRule.objects.values_list("code", flat=True)) == {r.code for r in RULES}


def test_a_clean_claim_becomes_scrubbed(make_claim, biller):
    claim = make_claim()
    summary = scrub_claim(actor=biller, claim=claim, today=TODAY)
    claim.refresh_from_db()
    assert (summary.clean, summary.with_errors, claim.status) == (1, 0, Claim.SCRUBBED)
    assert codes_found(claim) == set()
    event = ClaimEvent.objects.filter(claim=claim).last()
    assert (event.from_status, event.to_status, event.user) == ("draft", "scrubbed", biller)


def _damage(claim, **changes):
    """Make data that charge entry refuses but older or imported claims may carry."""
    Claim.objects.filter(pk=claim.pk).update(**changes)


def test_rules_find_their_problems(make_claim, biller, provider):
    claim = make_claim(
        lines=[
            LineInput(code="99213", pointers="1"),
            LineInput(code="99213", pointers="1"),
            LineInput(code="J1100", units=500, pointers="1"),
        ]
    )
    _damage(claim, diagnosis_codes="E11,XYZ", place_of_service="", referring_npi="1234567890")
    ClaimLine.objects.filter(claim=claim, line_number=1).update(diagnosis_pointers="")
    ClaimLine.objects.filter(claim=claim, line_number=3).update(modifiers="2$")
    ClaimLine.objects.filter(claim=claim, line_number=2).update(
        diagnosis_pointers="3", units=0, charge_amount=Decimal("0")
    )
    provider.npi = "1234567890"  # check digit wrong
    provider.save()
    scrub_claim(actor=biller, claim=claim, today=TODAY)
    assert codes_found(claim) == {
        "diagnosis_invalid",
        "pointer_missing",
        "pointer_out_of_range",
        "modifier_format",
        "units_zero",
        "units_unreasonable",
        "charge_zero",
        "duplicate_line",
        "npi_check_digit",
        "pos_missing",
    }
    fields = set(ScrubFinding.objects.filter(claim=claim).values_list("field", flat=True))
    assert {"diagnoses.1", "diagnoses.2", "rendering_provider", "referring_npi"} <= fields
    claim.refresh_from_db()
    assert claim.status == Claim.DRAFT


def test_coverage_subscriber_dates_and_filing_limit(make_claim, biller):
    claim = make_claim()
    coverage = claim.coverage
    coverage.set_member_id("")
    coverage.effective_date = dt.date(2026, 4, 1)  # starts after the visit
    coverage.save()
    scrub_claim(actor=biller, claim=claim, today=TODAY)
    assert codes_found(claim) == {"subscriber_missing", "coverage_inactive"}
    assert (
        "member id"
        in ScrubFinding.objects.get(claim=claim, rule__code="subscriber_missing").message
    )
    scrub_claim(actor=biller, claim=claim, today=dt.date(2026, 1, 1))
    assert "future_date" in codes_found(claim)
    scrub_claim(actor=biller, claim=claim, today=claim.date_of_service + dt.timedelta(days=91))
    assert "timely_filing" in codes_found(claim)  # the payer allows 90 days


def test_telehealth_needs_its_modifier_as_a_warning(make_claim, biller):
    claim = make_claim(place_of_service="10")
    scrub_claim(actor=biller, claim=claim, today=TODAY)
    claim.refresh_from_db()
    assert codes_found(claim) == {"telehealth_modifier"}
    assert claim.status == Claim.SCRUBBED  # a warning does not hold the claim
    ok = make_claim(
        place_of_service="10", lines=[LineInput(code="99213", modifiers="95", pointers="1")]
    )
    scrub_claim(actor=biller, claim=ok, today=TODAY)
    assert codes_found(ok) == set()


def test_rules_are_chosen_per_payer(make_claim, biller, commercial_payer, medicare):
    rule = ScrubRule.objects.get(code="referring_missing")
    claim = make_claim()
    scrub_claim(actor=biller, claim=claim, today=TODAY)
    assert "referring_missing" not in codes_found(claim)  # off by default
    set_rule_for_payer(rule=rule, payer=commercial_payer, enabled=True)
    scrub_claim(actor=biller, claim=claim, today=TODAY)
    assert "referring_missing" in codes_found(claim)
    claim.refresh_from_db()
    assert claim.status == Claim.DRAFT  # scrubbed -> draft on an error
    moves = list(ClaimEvent.objects.filter(claim=claim).values_list("from_status", "to_status"))
    assert moves[-1] == ("scrubbed", "draft")
    set_rule_for_payer(rule=rule, payer=commercial_payer, enabled=None)
    scrub_claim(actor=biller, claim=claim, today=TODAY)
    assert codes_found(claim) == set()


def test_findings_are_replaced_and_sent_claims_skipped(make_claim, biller):
    claim = make_claim()
    _damage(claim, place_of_service="")
    scrub_claim(actor=biller, claim=claim, today=TODAY)
    scrub_claim(actor=biller, claim=claim, today=TODAY)
    assert ScrubFinding.objects.filter(claim=claim).count() == 1
    _damage(claim, place_of_service="11")
    scrub_claim(actor=biller, claim=claim, today=TODAY)
    claim = claim_services.mark_ready(actor=biller, claim=Claim.objects.get(pk=claim.pk))
    claim = claim_services.move_claim(actor=biller, claim=claim, to=Claim.SUBMITTED)
    summary = scrub_claims(actor=biller, claim_ids=[claim.pk], today=TODAY)
    assert (summary.claims, summary.skipped) == (0, 1)


def test_many_claims_in_few_queries(make_claim, biller, django_assert_max_num_queries):
    ids = [make_claim().pk for _ in range(6)]
    with django_assert_max_num_queries(16):
        summary = scrub_claims(actor=biller, claim_ids=ids, today=TODAY)
    assert summary.clean == 6


def test_duplicate_claims_are_found_until_one_is_closed(
    make_visit, make_coverage, make_patient, services, biller
):
    patient = make_patient()
    make_coverage(patient=patient)
    claims = []
    for _ in range(2):
        charge = enter_charges(
            actor=biller,
            appointment=make_visit(patient=patient),
            diagnoses=["I10"],
            lines=[LineInput(code="99213", pointers="1")],
        )
        claims.append(claim_services.build_claim(actor=biller, charge=charge))
    scrub_claims(actor=biller, claim_ids=[c.pk for c in claims], today=TODAY)
    assert all("duplicate_claim" in codes_found(c) for c in claims)
    message = ScrubFinding.objects.get(claim=claims[0], rule__code="duplicate_claim").message
    assert claims[1].patient_control_number in message
    claim_services.close_claim(actor=biller, claim=claims[1], note="Billed twice")
    scrub_claim(actor=biller, claim=claims[0], today=TODAY)
    assert codes_found(claims[0]) == set()
