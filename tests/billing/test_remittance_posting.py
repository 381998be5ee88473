"""Posting 835s: payments, contractual adjustments, the patient's share, denials, reversals,
provider adjustments and reconciliation, the unmatched queue, and files refused whole."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from medoffice.billing.errors import DomainError
from medoffice.billing.models import (
    Claim,
    ClaimPayment,
    Denial,
    LedgerEntry,
    LinePayment,
    ProviderAdjustment,
    RemitAdjustment,
    Remittance,
    RemittanceFile,
)
from medoffice.billing.services import ledger
from medoffice.billing.services.fee_schedules import set_payer_fee
from medoffice.billing.services.remittances import (
    dismiss_claim_payment,
    find_claims,
    import_835,
    match_claim_payment,
    unmatched_queue,
)
from medoffice.patients.models import Coverage
from tests.billing.sent_claims import submitted
from tests.billing.x835text import claim_payment, file_835, line
from tests.edi.samples import needs_samples, sample_files

pytestmark = pytest.mark.django_db


def lines_of(claim):
    return list(claim.lines.order_by("line_number"))


def owed(claim, payer=None) -> D:
    return ledger.payer_balance(charge_id=claim.charge_id, payer_id=(payer or claim.payer).pk)


def test_paid_in_full_with_a_contractual_adjustment(claim, biller, commercial_payer, services):
    first, second = lines_of(claim)
    set_payer_fee(payer=commercial_payer, service=services["99213"], allowed_amount=D("90"),
                  effective_date=dt.date(2026, 1, 1))  # fmt: skip
    text = file_835([claim_payment(claim, [line(first, 90, CO45=45), line(second, 20, CO45=10)])])

    report = import_835(text, actor=biller, filename="era1.835")

    assert (report.claims_posted, report.unmatched, report.paid_posted) == (1, 0, D("110.00"))
    (summary,) = report.remittances
    assert summary.reconciled and summary.payer_known and summary.contractual == D("55.00")
    assert owed(claim) == 0 and ledger.patient_balance(claim.patient_id) == 0
    claim.refresh_from_db()
    assert claim.status == Claim.PAID and claim.payer_claim_number == "PHP26000001"
    assert [(e.from_status, e.to_status) for e in claim.events.order_by("pk")][-2:] == [
        (Claim.SUBMITTED, Claim.ACCEPTED),
        (Claim.ACCEPTED, Claim.PAID),
    ]
    entries = LedgerEntry.objects.filter(remittance__isnull=False).order_by("pk")
    assert sorted((e.kind, e.amount, e.claim_line_id, e.reason_code) for e in entries) == sorted([
        (LedgerEntry.PAYER_PAYMENT, D("-90.00"), first.pk, ""),
        (LedgerEntry.CONTRACTUAL, D("-45.00"), first.pk, "45"),
        (LedgerEntry.PAYER_PAYMENT, D("-20.00"), second.pk, ""),
        (LedgerEntry.CONTRACTUAL, D("-10.00"), second.pk, "45"),
    ])  # fmt: skip
    assert {e.posted_on for e in entries} == {dt.date(2026, 4, 2)}
    paid_lines = {x.claim_line_id: x for x in LinePayment.objects.all()}
    assert paid_lines[first.pk].contracted_amount == D("90.00")
    assert paid_lines[second.pk].contracted_amount is None
    stored = RemittanceFile.objects.get()
    assert stored.filename == "era1.835" and "reconciled (claims paid − PLB = BPR): yes" in (
        stored.report
    )
    assert stored.report == report.text()


def test_patient_share_goes_to_the_patient(claim, biller):
    first, second = lines_of(claim)
    clp = claim_payment(
        claim, [line(first, 70, CO45=35, PR1=20, PR2=10), line(second, 20, CO45=10)]
    )

    (summary,) = import_835(file_835([clp]), actor=biller).remittances

    assert summary.patient_responsibility == D("30.00")
    assert owed(claim) == 0
    assert ledger.patient_balance(claim.patient_id) == D("30.00")
    transfers = LedgerEntry.objects.filter(kind=LedgerEntry.TRANSFER, payer__isnull=True)
    assert sorted((e.reason_code, e.amount) for e in transfers) == [("1", D("20")), ("2", D("10"))]
    claim.refresh_from_db()
    assert claim.status == Claim.PAID
    cp = ClaimPayment.objects.get()
    assert cp.patient_responsibility == D("30.00") and cp.posted
    assert LinePayment.objects.get(claim_line=first).patient_responsibility == D("30.00")


def test_patient_share_goes_to_the_secondary_payer_when_one_follows(
    charged, biller, make_coverage, medicare
):
    make_coverage(patient=charged.patient, payer=medicare, order=Coverage.SECONDARY,
                  member_id="1EG4TE5MK73")  # fmt: skip
    claim = submitted(charged, biller)
    first, second = lines_of(claim)
    clp = claim_payment(claim, [line(first, 80, CO45=35, PR2=20), line(second, 20, CO45=10)])

    import_835(file_835([clp]), actor=biller)

    assert owed(claim) == 0
    assert owed(claim, medicare) == D("20.00")
    assert ledger.patient_balance(claim.patient_id) == 0


def test_a_denied_claim_stays_open_with_denials_to_work(claim, biller):
    first, second = lines_of(claim)
    clp = claim_payment(
        claim, [line(first, 0, CO50=135), line(second, 0, CO50=30)], status="4",
        remarks=["N115"],
    )  # fmt: skip

    (summary,) = import_835(file_835([clp]), actor=biller).remittances

    assert owed(claim) == claim.total_charge == D("165.00")
    claim.refresh_from_db()
    assert claim.status == Claim.DENIED
    denials = Denial.objects.order_by("pk")
    assert [(d.group, d.reason_code, d.amount, d.line.claim_line_id) for d in denials] == [
        ("CO", "50", D("135.00"), first.pk),
        ("CO", "50", D("30.00"), second.pk),
    ]
    assert all(d.payer == claim.payer and d.remark_codes == "N115" for d in denials)
    assert summary.denied == D("165.00") and summary.contractual == 0
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.CONTRACTUAL).exists()


def test_a_line_paid_nothing_is_a_denial_but_a_contract_reduction_is_not(claim, biller):
    first, second = lines_of(claim)
    clp = claim_payment(claim, [line(first, 90, CO45=45), line(second, 0, CO97=30)])

    import_835(file_835([clp]), actor=biller)

    claim.refresh_from_db()
    assert claim.status == Claim.PARTLY_PAID and owed(claim) == D("30.00")
    assert Denial.objects.get().reason_code == "97"


def test_a_reversal_undoes_the_payment_and_a_correction_posts_again(claim, biller):
    first, second = lines_of(claim)
    paid = claim_payment(claim, [line(first, 70, CO45=35, PR2=30), line(second, 20, CO45=10)])
    import_835(file_835([paid], trace="CHK0001"), actor=biller)
    assert owed(claim) == 0 and ledger.patient_balance(claim.patient_id) == D("30.00")

    # The payer takes it back and pays again (no patient share) in one file.
    reversal = claim_payment(
        claim, [line(first, 70, sign=-1, CO45=35, PR2=30), line(second, 20, sign=-1, CO45=10)],
        status="22",
    )  # fmt: skip
    again = claim_payment(claim, [line(first, 100, CO45=35), line(second, 20, CO45=10)])
    report = import_835(file_835([reversal, again], trace="CHK0002", control=2), actor=biller)

    assert report.claims_posted == 2 and report.paid_posted == D("30.00")
    assert owed(claim) == 0 and ledger.patient_balance(claim.patient_id) == 0
    claim.refresh_from_db()
    assert claim.status == Claim.PAID
    assert [(e.from_status, e.to_status) for e in claim.events.order_by("pk")][-2:] == [
        (Claim.PAID, Claim.ACCEPTED),
        (Claim.ACCEPTED, Claim.PAID),
    ]

    # A reversal alone would make the payment negative: the payer carries it forward (PLB FB).
    undo = claim_payment(
        claim, [line(first, 100, sign=-1, CO45=35), line(second, 20, sign=-1, CO45=10)],
        status="22",
    )  # fmt: skip
    text = file_835([undo], trace="CHK0003", control=3, plb=[("FB", "-120")])
    assert "BPR*I*0*C" in text
    (summary,) = import_835(text, actor=biller).remittances

    assert summary.reconciled
    assert owed(claim) == claim.total_charge
    claim.refresh_from_db()
    assert claim.status == Claim.ACCEPTED


def test_provider_adjustments_and_reconciliation(claim, biller):
    first, second = lines_of(claim)
    clp = claim_payment(claim, [line(first, 90, CO45=45), line(second, 20, CO45=10)])
    text = file_835([clp], plb=[("L6", "-2.50"), ("WO", "10")])

    report = import_835(text, actor=biller)

    (summary,) = report.remittances
    assert summary.total_paid == D("102.50") and summary.provider_adjusted == D("7.50")
    assert summary.reconciled
    assert "$110.00 − $7.50 = $102.50, payment $102.50" in report.text()
    assert sorted(ProviderAdjustment.objects.values_list("reason", "amount")) == [
        ("L6", D("-2.50")),
        ("WO", D("10.00")),
    ]


def test_a_payment_that_does_not_add_up_is_posted_and_reported_unreconciled(claim, biller):
    first, second = lines_of(claim)
    clp = claim_payment(claim, [line(first, 90, CO45=45), line(second, 20, CO45=10)])

    report = import_835(file_835([clp], total="100"), actor=biller)

    (summary,) = report.remittances
    assert not summary.reconciled and not report.reconciled
    assert "reconciled (claims paid − PLB = BPR): NO" in report.text()
    assert any("is not the claims paid" in w for w in summary.warnings)
    assert Remittance.objects.get().reconciled is False


def test_unmatched_payment_waits_in_the_queue_and_posts_when_matched(claim, biller):
    first, second = lines_of(claim)
    clp = claim_payment(claim, [line(first, 90, ref=False, CO45=45),
                                line(second, 20, ref=False, CO45=10)],
                        pcn="XX0099")  # fmt: skip

    report = import_835(file_835([clp]), actor=biller)

    assert (report.claims_posted, report.unmatched) == (0, 1)
    assert report.remittances[0].unmatched_paid == D("110.00")
    assert owed(claim) == D("165.00")
    (waiting,) = unmatched_queue()
    assert waiting.patient_control_number == "XX0099" and waiting.claim is None
    assert list(find_claims(claim.patient_control_number)) == [claim]
    assert claim in find_claims(claim.patient.last_name)

    cp, warnings = match_claim_payment(claim_payment=waiting, claim=claim, actor=biller)

    assert warnings == [] and cp.posted and cp.claim == claim and cp.resolved_by == biller
    assert owed(claim) == 0
    assert {x.claim_line_id for x in cp.lines.all()} == {first.pk, second.pk}
    claim.refresh_from_db()
    assert claim.status == Claim.PAID
    assert not unmatched_queue().exists()
    with pytest.raises(DomainError, match="already matched"):
        match_claim_payment(claim_payment=cp, claim=claim, actor=biller)


def test_dismissing_an_unmatched_payment_needs_a_reason(claim, biller):
    import_835(file_835([claim_payment(claim, pcn="UNKNOWN1", paid=D("5"), charge=D("5"))]),
               actor=biller)  # fmt: skip
    (waiting,) = unmatched_queue()
    with pytest.raises(DomainError) as info:
        dismiss_claim_payment(claim_payment=waiting, actor=biller, note=" ")
    assert info.value.field == "note"

    dismiss_claim_payment(claim_payment=waiting, actor=biller, note="Not our patient; refunded")

    assert not unmatched_queue().exists()
    waiting.refresh_from_db()
    assert waiting.resolution_note == "Not our patient; refunded" and not waiting.posted


def test_the_same_file_twice_posts_nothing_the_second_time(claim, biller):
    first, second = lines_of(claim)
    text = file_835([claim_payment(claim, [line(first, 90, CO45=45), line(second, 20, CO45=10)])])
    import_835(text, actor=biller, filename="a.835")
    entries = LedgerEntry.objects.count()

    again = import_835(text.encode(), actor=biller, filename="a-copy.835")

    assert again.duplicate and "already imported on" in again.text()
    assert again.remittances[0].matched == 1
    assert LedgerEntry.objects.count() == entries
    assert RemittanceFile.objects.count() == 1 and ClaimPayment.objects.count() == 1

    # The same payment in another file (another envelope): skipped and reported.
    other = file_835([claim_payment(claim, [line(first, 90, CO45=45), line(second, 20, CO45=10)])],
                     control=9)  # fmt: skip
    report = import_835(other, actor=biller)
    (summary,) = report.remittances
    assert summary.skipped and "already posted from file a.835" in summary.warnings[0]
    assert LedgerEntry.objects.count() == entries and ClaimPayment.objects.count() == 1


@pytest.mark.parametrize(
    "damage, where",
    [
        (lambda t: t[: t.index("CLP*") + 40], "segment"),  # cut off mid-claim: no SE/GE/IEA
        (lambda t: t.replace("CAS*CO*45*45", "CAS*CO*45*4X5", 1), "(CAS)"),
        (lambda t: t.replace("CLP*MO", "CLP*MO", 1).replace("*1*165*", "**165*", 1), "CLP02"),
    ],
    ids=["truncated", "bad-amount", "no-status"],
)
def test_a_malformed_file_is_refused_whole(claim, biller, damage, where):
    first, second = lines_of(claim)
    text = file_835([claim_payment(claim, [line(first, 90, CO45=45), line(second, 20, CO45=10)])])
    entries = LedgerEntry.objects.count()

    with pytest.raises(DomainError) as info:
        import_835(damage(text), actor=biller)

    assert info.value.field == "file" and where in info.value.message
    assert "nothing was posted" in info.value.message
    assert LedgerEntry.objects.count() == entries
    assert not RemittanceFile.objects.exists() and not ClaimPayment.objects.exists()
    assert not RemitAdjustment.objects.exists()


def test_an_empty_file_is_refused(biller):
    with pytest.raises(DomainError, match="empty"):
        import_835(b"  \n", actor=biller)


def test_a_payment_dated_in_a_closed_month_posts_on_the_first_open_day(claim, biller):
    ledger.close_month(month=dt.date(2026, 4, 1), actor=biller)
    first, second = lines_of(claim)
    text = file_835([claim_payment(claim, [line(first, 90, CO45=45), line(second, 20, CO45=10)])])

    (summary,) = import_835(text, actor=biller).remittances

    assert summary.posted_on == dt.date(2026, 5, 1)
    assert set(
        LedgerEntry.objects.filter(remittance__isnull=False).values_list("posted_on", flat=True)
    ) == {dt.date(2026, 5, 1)}
    assert Remittance.objects.get().payment_date == dt.date(2026, 4, 2)


def test_a_payer_we_do_not_know_is_recorded_without_one(claim, biller):
    first, second = lines_of(claim)
    clp = claim_payment(claim, [line(first, 90, CO45=45), line(second, 20, CO45=10)])

    report = import_835(file_835([clp], payer_name="SOMEONE ELSE", payer_id="99999"),
                        actor=biller)  # fmt: skip

    row = Remittance.objects.get()
    assert row.payer is None and row.payer_name == "SOMEONE ELSE"
    assert "not one of our payers" in report.text()
    assert report.claims_posted == 1  # the claim itself names its payer


@needs_samples
@pytest.mark.parametrize("path", sample_files("835"), ids=lambda p: p.name)
def test_public_835_samples_import_unmatched_or_are_refused_with_a_reason(path, biller):
    try:
        report = import_835(path.read_bytes(), actor=biller, filename=path.name)
    except DomainError as exc:
        assert exc.field == "file" and "segment" in exc.message
        assert not RemittanceFile.objects.exists()
        return
    assert report.claims_posted == 0
    assert report.unmatched == ClaimPayment.objects.count() > 0
    assert not LedgerEntry.objects.filter(remittance__isnull=False).exists()
    assert RemittanceFile.objects.get().report == report.text()
    assert all(
        s.reconciled == (r.total_paid == r.claims_paid - r.provider_adjusted)
        for s, r in zip(report.remittances, Remittance.objects.order_by("pk"), strict=True)
    )
