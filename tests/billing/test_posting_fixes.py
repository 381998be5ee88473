"""Posting 835s next to the rest of billing: a claim the payer answered keeps its lines when
the charges change; the patient's credit pays a share the payer moved to them; a payer's
reversal of a denial takes it off the work queue; a paid line keeps the REF*6R it came with."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from medoffice.billing.denial_selectors import denial_queue
from medoffice.billing.errors import BAD_TRANSITION, DomainError
from medoffice.billing.models import (
    Claim,
    ClaimEvent,
    Denial,
    LedgerEntry,
    LinePayment,
    PatientPayment,
)
from medoffice.billing.services import claims as claim_svc
from medoffice.billing.services import ledger
from medoffice.billing.services.charges import LineInput, update_charges
from medoffice.billing.services.denials import appeal, move_to_patient
from medoffice.billing.services.patient_money import (
    credit_on_account,
    open_visit_shares,
    take_payment,
)
from medoffice.billing.services.remittances import import_835, match_claim_payment
from tests.billing.sent_claims import submitted
from tests.billing.x835text import cas, claim_payment, file_835, line

pytestmark = pytest.mark.django_db


def lines_of(claim) -> list:
    return list(claim.lines.order_by("line_number"))


def owed(claim) -> D:
    return ledger.payer_balance(charge_id=claim.charge_id, payer_id=claim.payer_id)


def edit_charges(charge, biller, code="99214"):
    return update_charges(
        actor=biller, charge=charge, diagnoses=["J02.9"],
        lines=[LineInput(code=code, pointers="1")],
    )  # fmt: skip


# --- 1. a claim the payer answered keeps its lines ------------------------------------------


def test_charges_edited_after_the_payment_posted_leave_the_paid_claim_as_answered(claim, biller):
    first, second = lines_of(claim)
    import_835(file_835([claim_payment(claim, [line(first, 90, CO45=45),
                                               line(second, 20, CO45=10)])]),
               actor=biller)  # fmt: skip
    claim.refresh_from_db()
    assert claim.status == Claim.PAID

    edit_charges(claim.charge, biller)

    claim.refresh_from_db()
    assert claim.status == Claim.PAID
    assert [(x.pk, x.code) for x in lines_of(claim)] == [(first.pk, "99213"), (second.pk, "87880")]
    assert set(LinePayment.objects.values_list("claim_line_id", flat=True)) == {first.pk, second.pk}
    # The correction goes out as a replacement, which carries the charges as they are now.
    new = claim_svc.replace_claim(actor=biller, claim=claim, note="Level of visit corrected")
    assert [x.code for x in lines_of(new)] == ["99214"]


def test_a_rejected_claim_with_a_posted_payment_keeps_its_lines_when_the_charges_change(
    claim, biller
):
    first, second = lines_of(claim)
    import_835(file_835([claim_payment(claim, [line(first, 0, CO50=135),
                                               line(second, 0, CO50=30)], status="4")]),
               actor=biller)  # fmt: skip
    # A late 277CA rejection, after the 835 was posted (no service moves a claim this way,
    # which is why it is set directly): the claim is "unsent" again, with the payer's answer
    # posted to its lines.
    Claim.objects.filter(pk=claim.pk).update(status=Claim.REJECTED)

    edit_charges(claim.charge, biller)  # the charges change; the claim cannot follow

    claim.refresh_from_db()
    assert claim.status == Claim.REJECTED
    assert [x.pk for x in lines_of(claim)] == [first.pk, second.pk]
    assert claim.total_charge == D("165.00") and claim.charge.total == D("195.00")
    event = ClaimEvent.objects.filter(claim=claim).latest("pk")
    assert (event.from_status, event.to_status) == (Claim.REJECTED, Claim.REJECTED)
    assert event.note == claim_svc.KEPT_AS_ANSWERED and event.user == biller

    for attempt in (
        lambda: claim_svc.refresh_claim(claim=claim),
        lambda: claim_svc.reopen_claim(actor=biller, claim=claim, note="Fix the code"),
    ):
        with pytest.raises(DomainError) as err:
            attempt()
        assert (err.value.code, err.value.field, err.value.status) == (
            BAD_TRANSITION, "claim", 409,
        )  # fmt: skip
        assert claim.patient_control_number in err.value.message
        assert "replacement claim" in err.value.message
    claim.refresh_from_db()
    assert claim.status == Claim.REJECTED  # the reopening was undone with the refusal
    assert [x.pk for x in lines_of(claim)] == [first.pk, second.pk]


def test_a_whole_claim_denial_that_left_the_books_alone_lets_the_claim_follow_the_charges(
    claim, biller
):
    # CLP02 4 with no service lines: nothing posted to the books, no line named.
    denied = claim_payment(claim, status="4", adjustments=cas(CO16=165))
    import_835(file_835([denied]), actor=biller)
    Claim.objects.filter(pk=claim.pk).update(status=Claim.REJECTED)  # a late 277CA, as above

    edit_charges(claim.charge, biller, code="99212")

    claim.refresh_from_db()
    assert claim.status == Claim.DRAFT
    assert [x.code for x in lines_of(claim)] == ["99212"] and claim.total_charge == D("90.00")


def test_an_unanswered_unsent_claim_still_follows_the_charges(charged, biller):
    claim = claim_svc.build_claim(actor=biller, charge=charged)
    claim = claim_svc.move_claim(actor=biller, claim=claim, to=Claim.SCRUBBED)

    edit_charges(charged, biller, code="99212")

    claim.refresh_from_db()
    assert claim.status == Claim.DRAFT
    assert [x.code for x in lines_of(claim)] == ["99212"] and claim.total_charge == D("90.00")


# --- 4. a paid line keeps the REF*6R the payer sent back ------------------------------------


def test_a_posted_line_keeps_the_control_number_the_payer_sent_back(claim, biller):
    first, second = lines_of(claim)
    text = file_835([claim_payment(claim, [line(first, 90, CO45=45),
                                           line(second, 20, ref=False, CO45=10)])])  # fmt: skip
    assert f"REF*6R*{first.pk}~" in text

    import_835(text, actor=biller)

    kept = {x.claim_line_id: x.line_control_number for x in LinePayment.objects.all()}
    assert kept == {first.pk: str(first.pk), second.pk: ""}


def test_matching_by_hand_prefers_the_kept_control_number_to_the_line_order(charged, biller):
    # Two lines of the same code: only the REF*6R tells them apart.
    update_charges(
        actor=biller, charge=charged, diagnoses=["J06.9"],
        lines=[LineInput(code="87880", pointers="1"),
               LineInput(code="87880", units=2, pointers="1")],
    )  # fmt: skip
    claim = submitted(charged, biller)
    one, two = lines_of(claim)
    assert (one.code, two.code, one.units, two.units) == ("87880", "87880", 1, 2)
    # The payer answers the lines the other way round, under a control number we do not know.
    clp = claim_payment(claim, [line(two, 40, CO45=20), line(one, 20, CO45=10)], pcn="MO-TYPO-1")
    report = import_835(file_835([clp]), actor=biller)
    assert report.unmatched == 1
    waiting = LinePayment.objects.order_by("pk")
    assert [x.line_control_number for x in waiting] == [str(two.pk), str(one.pk)]
    assert [x.claim_line_id for x in waiting] == [None, None]

    cp, warnings = match_claim_payment(
        claim_payment=waiting[0].claim_payment, claim=claim, actor=biller
    )

    assert warnings == []
    paid = {x.claim_line_id: x.paid for x in cp.lines.all()}
    assert paid == {two.pk: D("40.00"), one.pk: D("20.00")}
    on_line = {
        e.claim_line_id: e.amount
        for e in LedgerEntry.objects.filter(kind=LedgerEntry.PAYER_PAYMENT, claim=claim)
    }
    assert on_line == {two.pk: D("-40.00"), one.pk: D("-20.00")}
    assert owed(claim) == 0


# --- 3. the payer reverses a denial ---------------------------------------------------------


def test_a_reversed_denial_leaves_the_work_queue_resolved(claim, biller):
    first, second = lines_of(claim)
    denied = claim_payment(
        claim, [line(first, 0, CO50=135), line(second, 0, CO50=30)], status="4",
        remarks=["N115"],
    )  # fmt: skip
    import_835(file_835([denied], trace="CHK0001"), actor=biller)
    assert [d.amount for d in denial_queue()] == [D("135.00"), D("30.00")]
    appealed = Denial.objects.order_by("pk").first()
    appeal(denial=appealed, actor=biller, text="The visit was needed: five days of fever.")

    # On appeal the payer takes the denial back and pays the claim, in one file.
    reversal = claim_payment(
        claim, [line(first, 0, sign=-1, CO50=135), line(second, 0, sign=-1, CO50=30)],
        status="22",
    )  # fmt: skip
    paid = claim_payment(claim, [line(first, 90, CO45=45), line(second, 20, CO45=10)])
    text = file_835([reversal, paid], trace="CHK0002", control=2)
    report = import_835(text, actor=biller)

    assert report.claims_posted == 2 and report.remittances[0].warnings == []
    assert list(denial_queue()) == []
    for denial in Denial.objects.order_by("pk"):
        assert (denial.status, denial.closed_by) == (Denial.RESOLVED, biller)
        assert denial.closed_at is not None
        assert "the payer reversed its decision" in denial.note
        assert "CHK0002" in denial.note and "PHP26000001" in denial.note
    appealed.refresh_from_db()
    assert "Appealed:" in appealed.note  # the appeal stays on record above the resolution
    claim.refresh_from_db()
    assert claim.status == Claim.PAID and owed(claim) == 0
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.WRITE_OFF).exists()


def test_a_reversal_under_another_payer_number_leaves_the_denial_open_and_says_so(claim, biller):
    first, second = lines_of(claim)
    denied = claim_payment(
        claim, [line(first, 0, CO50=135), line(second, 0, CO50=30)], status="4",
        payer_number="PHP26000001",
    )  # fmt: skip
    import_835(file_835([denied], trace="CHK0001"), actor=biller)
    paid = claim_payment(claim, [line(first, 90, CO45=45), line(second, 20, CO45=10)],
                         payer_number="PHP26000777")  # fmt: skip
    import_835(file_835([paid], trace="CHK0002", control=2), actor=biller)

    # A reversal of the later payment (its own number) says nothing about the denial.
    undo = claim_payment(
        claim, [line(first, 90, sign=-1, CO45=45), line(second, 20, sign=-1, CO45=10)],
        status="22", payer_number="PHP26000777",
    )  # fmt: skip
    text = file_835([undo], trace="CHK0003", control=3, plb=[("FB", "-110")])
    (summary,) = import_835(text, actor=biller).remittances

    assert [d.status for d in Denial.objects.all()] == [Denial.OPEN, Denial.OPEN]
    assert summary.warnings == [
        f"claim {claim.patient_control_number}: the payer reversed a payment, but denials "
        "from its other answers stay in the denial queue"
    ]


# --- 2. a credit the patient holds pays the share the payer moved to them -------------------


def give_credit(patient, amount, biller):
    take_payment(patient=patient, amount=amount, method=PatientPayment.CASH, actor=biller)
    assert credit_on_account(patient.pk) == D(amount)


def test_a_credit_on_account_pays_the_coinsurance_an_835_puts_on_the_patient(claim, biller):
    patient = claim.patient
    give_credit(patient, "30.00", biller)
    first, second = lines_of(claim)

    import_835(file_835([claim_payment(claim, [line(first, 70, CO45=45, PR2=20),
                                               line(second, 20, CO45=10)])]),
               actor=biller)  # fmt: skip

    assert open_visit_shares(patient.pk) == []  # the visit's $20 is paid from the credit
    assert credit_on_account(patient.pk) == D("10.00")
    assert ledger.patient_balance(patient.pk) == D("-10.00")
    assert owed(claim) == 0
    moved = LedgerEntry.objects.filter(
        kind=LedgerEntry.PATIENT_PAYMENT, charge=claim.charge, patient_payment__isnull=False
    )
    assert [e.amount for e in moved] == [D("-20.00")]


def test_only_the_patients_holding_a_credit_are_touched_once_each(
    claim, biller, make_visit, make_coverage, make_patient
):
    # A second visit of the same patient, and a third patient with no credit, in one file.
    from medoffice.billing.services.charges import enter_charges

    patient = claim.patient
    later = enter_charges(
        actor=biller, appointment=make_visit(patient=patient), diagnoses=["J06.9"],
        lines=[LineInput(code="87880", pointers="1")],
    )  # fmt: skip
    other = make_patient()
    make_coverage(patient=other)
    theirs = enter_charges(
        actor=biller, appointment=make_visit(patient=other), diagnoses=["J06.9"],
        lines=[LineInput(code="87880", pointers="1")],
    )  # fmt: skip
    second_claim, their_claim = submitted(later, biller), submitted(theirs, biller)
    give_credit(patient, "25.00", biller)
    a, b = lines_of(claim)
    (c,) = lines_of(second_claim)
    (d,) = lines_of(their_claim)
    clps = [
        claim_payment(claim, [line(a, 70, CO45=45, PR2=20), line(b, 20, CO45=10)]),
        claim_payment(second_claim, [line(c, 10, CO45=10, PR2=10)]),
        claim_payment(their_claim, [line(d, 15, CO45=10, PR2=5)]),
    ]

    import_835(file_835(clps), actor=biller)

    # $25 of credit: the $20 of the visit first, then $5 of the $10 on the later one.
    assert credit_on_account(patient.pk) == 0
    assert dict(open_visit_shares(patient.pk)) == {later.pk: D("5.00")}
    assert dict(open_visit_shares(other.pk)) == {theirs.pk: D("5.00")}
    applied = LedgerEntry.objects.filter(note="Credit on account applied to the visit")
    assert {e.patient_id for e in applied} == {patient.pk}
    assert applied.filter(charge__isnull=False).count() == 2


def test_moving_a_denial_to_the_patient_applies_their_credit(claim, biller):
    first, second = lines_of(claim)
    import_835(file_835([claim_payment(claim, [line(first, 90, CO45=45),
                                               line(second, 0, CO97=30)])]),
               actor=biller)  # fmt: skip
    give_credit(claim.patient, "50.00", biller)
    denial = Denial.objects.get()

    move_to_patient(denial=denial, actor=biller, note="Not covered by the plan")

    assert open_visit_shares(claim.patient_id) == []
    assert credit_on_account(claim.patient_id) == D("20.00")
    denial.refresh_from_db()
    assert denial.status == Denial.TO_PATIENT


def test_posting_costs_no_more_queries_for_more_patients_without_a_credit(
    services, biller, make_visit, make_coverage, make_patient
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from medoffice.billing.services.charges import enter_charges

    def claims_for(n):
        made = []
        for _ in range(n):
            patient = make_patient()
            make_coverage(patient=patient)
            charge = enter_charges(
                actor=biller, appointment=make_visit(patient=patient), diagnoses=["J06.9"],
                lines=[LineInput(code="87880", pointers="1")],
            )  # fmt: skip
            made.append(submitted(charge, biller))
        return made

    def queries_to_post(claims, control):
        clps = [claim_payment(c, [line(c.lines.get(), 15, CO45=10, PR2=5)]) for c in claims]
        with CaptureQueriesContext(connection) as seen:
            import_835(file_835(clps, control=control, trace=f"CHK{control}"), actor=biller)
        return len(seen.captured_queries)

    one, five = claims_for(1), claims_for(5)
    assert queries_to_post(five, 2) == queries_to_post(one, 1)
    assert all(dict(open_visit_shares(c.patient_id)) == {c.charge_id: D("5.00")}
               for c in one + five)  # fmt: skip
