"""The seeded practice's billing: charges for checked-out visits, claims with a realistic mix of
outcomes, the same every time for the same seed."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Count

from medoffice.billing.codes import icd_status
from medoffice.billing.models import (
    Charge,
    ChargeDiagnosis,
    Claim,
    ClaimEvent,
    ClosedPeriod,
    Denial,
    LedgerEntry,
    LinePayment,
    PatientPayment,
    PayerFee,
    RemittanceFile,
    ScrubFinding,
)
from medoffice.billing.services.remittances import import_835
from medoffice.demo.seed import seed_practice
from medoffice.scheduling.models import Appointment

TINY = {"providers": 1, "patients": 60, "years": 1}


def _billing(seed: int) -> dict:
    with transaction.atomic():
        summary = seed_practice(seed=seed, **TINY)
        facts = {
            "summary": (summary.charges, summary.claims),
            "claims": list(
                Claim.objects.order_by(
                    "date_of_service",
                    "patient__mrn",
                    "frequency_code",
                    "payer_claim_number",
                    "diagnosis_codes",
                    "total_charge",
                    "status",
                ).values_list(
                    "date_of_service",
                    "patient__mrn",
                    "payer__name",
                    "status",
                    "frequency_code",
                    "diagnosis_codes",
                    "total_charge",
                    "payer_claim_number",
                )
            ),  # fmt: skip
            "statuses": dict(
                Claim.objects.values_list("status")
                .annotate(n=Count("pk"))
                .values_list("status", "n")
            ),
            "charged_all": Charge.objects.count()
            == Appointment.objects.filter(status=Appointment.CHECKED_OUT).count(),
            # Diagnoses typed wrong on purpose are on claims the scrubber flagged.
            "bad_codes_flagged": all(
                ScrubFinding.objects.filter(
                    claim__charge_id=charge_id, rule__code="diagnosis_invalid"
                ).exists()
                for charge_id, code in ChargeDiagnosis.objects.values_list("charge_id", "code")
                if icd_status(code)[1] != "billable"
            ),
            "fees": PayerFee.objects.count(),
            "events_per_claim_ok": not Claim.objects.annotate(n=Count("events"))
            .filter(n=0)
            .exists(),
            "replacements_name_originals": all(
                c.original_payer_claim_number and c.original.status == Claim.CLOSED
                for c in Claim.objects.filter(frequency_code="7").select_related("original")
            ),
            "denials_noted": not ClaimEvent.objects.filter(to_status="denied", note="").exists(),
            **_getting_paid(),
        }
        transaction.set_rollback(True)
    return facts


def _getting_paid() -> dict:
    """What the seeded 835s posted: files, denials, underpaid lines, payer balances."""
    owed: dict[tuple, Decimal] = defaultdict(Decimal)
    for charge, payer, amount in LedgerEntry.objects.filter(payer__isnull=False).values_list(
        "charge_id", "payer_id", "amount"
    ):
        owed[(charge, payer)] += amount
    # Paid and closed claims, less those denied and corrected by a replacement claim.
    settled = (
        Claim.objects.filter(status__in=[Claim.PAID, Claim.CLOSED], frequency_code=Claim.ORIGINAL)
        .exclude(pk__in=Claim.objects.filter(original__isnull=False).values("original_id"))
        .values_list("charge_id", "payer_id")
    )
    first_file = RemittanceFile.objects.order_by("pk").first()
    return {
        "files": RemittanceFile.objects.count(),
        "first_file_again": import_835(
            first_file.text, actor=first_file.imported_by, filename="again.835"
        ).duplicate,
        "denials": Denial.objects.filter(status=Denial.OPEN).count(),
        "replaced_denials_resubmitted": not Denial.objects.filter(
            status=Denial.OPEN, claim__status=Claim.CLOSED
        ).exists(),
        "underpaid_lines": sum(1 for line in LinePayment.objects.all() if line.underpaid_by > 0),
        "paid_claims_settled_with_payer": all(owed[key] == 0 for key in settled),
        "patient_payments": PatientPayment.objects.count(),
        "closed_months": ClosedPeriod.objects.count(),
    }


def test_seeded_billing_is_realistic_and_repeatable(db):
    first = _billing(21)
    assert first["charged_all"] and first["fees"] > 0
    assert first["bad_codes_flagged"]
    statuses = first["statuses"]
    assert statuses.get("paid", 0) + statuses.get("closed", 0) > statuses.get("denied", 0) > 0
    assert statuses.get("submitted", 0) + statuses.get("accepted", 0) > 0
    assert first["events_per_claim_ok"] and first["replacements_name_originals"]
    assert first["denials_noted"]
    # The payers' 835s: posted, found again as already imported, with work for the biller.
    assert first["files"] > 0 and first["first_file_again"]
    assert first["denials"] > 0 and first["underpaid_lines"] > 0
    assert first["paid_claims_settled_with_payer"] and first["replaced_denials_resubmitted"]
    assert first["patient_payments"] > 0 and first["closed_months"] > 0
    assert first == _billing(21)
