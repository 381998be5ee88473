"""What an import reports: per remittance (payment) its figures and reconciliation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from medoffice.billing.models import (
    ClaimPayment,
    Denial,
    LedgerEntry,
    RemitAdjustment,
    Remittance,
)
from medoffice.billing.services.remittances.common import ZERO, _money

# ---------------------------------------------------------------------------
# The report


@dataclass
class RemittanceSummary:
    """What one payment (835 transaction) posted, and whether it reconciles."""

    payer: str
    payer_known: bool
    trace_number: str
    payment_date: dt.date | None
    total_paid: Decimal
    remittance_id: int | None = None
    posted_on: dt.date | None = None
    claim_count: int = 0
    matched: int = 0
    unmatched: int = 0
    paid_posted: Decimal = ZERO
    unmatched_paid: Decimal = ZERO
    contractual: Decimal = ZERO
    patient_responsibility: Decimal = ZERO
    denied: Decimal = ZERO
    claims_paid: Decimal = ZERO
    provider_adjusted: Decimal = ZERO
    reconciled: bool = False
    skipped: bool = False
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        when = f"{self.payment_date:%Y-%m-%d}" if self.payment_date else "no date"
        payer = self.payer or "(no payer name)"
        if not self.payer_known:
            payer += " (not one of our payers)"
        head = f"Payment {self.trace_number} from {payer}, {when}: ${self.total_paid}"
        if self.skipped:
            return [head, *(f"  {w}" for w in self.warnings)]
        expected = self.claims_paid - self.provider_adjusted
        out = [
            head,
            f"  posted on {self.posted_on:%Y-%m-%d}" if self.posted_on else "  not posted",
            f"  claims: {self.claim_count}, matched and posted {self.matched}, "
            f"unmatched {self.unmatched} (${self.unmatched_paid} waiting in the unmatched queue)",
            f"  paid posted ${self.paid_posted}, adjusted ${self.contractual}, "
            f"patient responsibility ${self.patient_responsibility}, "
            f"denied and left open ${self.denied}",
            f"  provider adjustments (PLB) ${self.provider_adjusted}",
            f"  reconciled (claims paid − PLB = BPR): {'yes' if self.reconciled else 'NO'} — "
            f"${self.claims_paid} − ${self.provider_adjusted} = ${expected}, "
            f"payment ${self.total_paid}",
        ]
        out += [f"  warning: {w}" for w in self.warnings]
        return out


@dataclass
class ImportReport:
    """What importing one 835 file did (or, for a file seen before, what it did then)."""

    file_id: int
    filename: str
    sha256: str
    remittances: list[RemittanceSummary] = field(default_factory=list)
    already_imported_on: dt.datetime | None = None
    first_report: str = ""

    @property
    def claims_posted(self) -> int:
        return sum(r.matched for r in self.remittances)

    @property
    def unmatched(self) -> int:
        return sum(r.unmatched for r in self.remittances)

    @property
    def paid_posted(self) -> Decimal:
        return sum((r.paid_posted for r in self.remittances), ZERO)

    @property
    def reconciled(self) -> bool:
        return all(r.reconciled for r in self.remittances if not r.skipped)

    @property
    def duplicate(self) -> bool:
        return self.already_imported_on is not None

    def text(self) -> str:
        name = self.filename or f"file {self.file_id}"
        if self.duplicate:
            when = timezone.localtime(self.already_imported_on)
            return (
                f"{name}: already imported on {when:%Y-%m-%d %H:%M}; nothing was posted this "
                f"time. The first import's report:\n{self.first_report}"
            )
        out = [
            f"{name}: {len(self.remittances)} payment(s), {self.claims_posted} claim(s) posted "
            f"(${self.paid_posted}), {self.unmatched} unmatched, "
            f"{'reconciled' if self.reconciled else 'NOT reconciled'}"
        ]
        for summary in self.remittances:
            out += summary.lines()
        return "\n".join(out)


def summary_of(row: Remittance) -> RemittanceSummary:
    """A remittance's figures, from what was recorded and posted."""
    cps = ClaimPayment.objects.filter(remittance=row)
    posted = cps.filter(posted=True)
    unmatched = cps.filter(posted=False)
    contractual = LedgerEntry.objects.filter(remittance=row, kind=LedgerEntry.CONTRACTUAL)
    pr = RemitAdjustment.objects.filter(claim_payment__remittance=row, group="PR")
    pr = pr.filter(claim_payment__posted=True)
    denied = Denial.objects.filter(claim_payment__remittance=row)

    def total(qs, name="amount") -> Decimal:
        return _money(qs.aggregate(s=Sum(name))["s"] or ZERO)

    return RemittanceSummary(
        payer=row.payer.name if row.payer_id else row.payer_name,
        payer_known=row.payer_id is not None,
        trace_number=row.trace_number,
        payment_date=row.payment_date,
        total_paid=row.total_paid,
        remittance_id=row.pk,
        posted_on=row.posted_on,
        claim_count=row.claim_count,
        matched=posted.count(),
        unmatched=unmatched.filter(resolved_at__isnull=True).count(),
        paid_posted=total(posted, "paid"),
        unmatched_paid=total(unmatched.filter(resolved_at__isnull=True), "paid"),
        contractual=-total(contractual),
        patient_responsibility=total(pr),
        denied=total(denied),
        claims_paid=row.claims_paid,
        provider_adjusted=row.provider_adjusted,
        reconciled=row.reconciled,
    )
