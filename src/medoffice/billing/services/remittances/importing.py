"""Reading and recording an 835 file: all of it, once, then posting what matches."""

from __future__ import annotations

import hashlib
from collections import defaultdict, namedtuple
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from medoffice.billing.errors import IMPORT_REJECTED, DomainError, invalid
from medoffice.billing.models import (
    Claim,
    ClaimLine,
    ClaimPayment,
    LinePayment,
    ProviderAdjustment,
    RemitAdjustment,
    Remittance,
    RemittanceFile,
)
from medoffice.billing.services import ledger
from medoffice.billing.services.bulk import insert_objects, insert_rows
from medoffice.billing.services.remittances.common import (
    CENT,
    POSTABLE,
    ZERO,
    _chunks,
    _makers,
    _money,
)
from medoffice.billing.services.remittances.posting import _Posting, apply_patient_credits
from medoffice.billing.services.remittances.report import (
    ImportReport,
    RemittanceSummary,
    summary_of,
)
from medoffice.edi.errors import X12Error
from medoffice.edi.x835 import read_835
from medoffice.patients.models import Payer


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _already(file: RemittanceFile) -> ImportReport:
    return ImportReport(
        file_id=file.pk,
        filename=file.filename,
        sha256=file.sha256,
        remittances=[summary_of(r) for r in file.remittances.all()],
        already_imported_on=file.imported_at,
        first_report=file.report,
    )


def import_835(data: bytes | str, *, actor, filename: str = "") -> ImportReport:
    """Read, record and post one 835 file; a file imported before posts nothing again."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    filename = (filename or "")[:200]
    if not raw.strip():
        raise invalid("The file is empty.", "file", code=IMPORT_REJECTED)
    digest = hashlib.sha256(raw).hexdigest()
    seen = RemittanceFile.objects.filter(sha256=digest).first()
    if seen is not None:
        return _already(seen)
    try:
        remittances = read_835(raw)
    except X12Error as exc:
        raise DomainError(
            IMPORT_REJECTED,
            f"The file was refused and nothing was posted: {exc.describe()}",
            "file",
            status=422,
        ) from exc
    if not remittances:
        raise invalid("The file holds no 835 remittance.", "file", code=IMPORT_REJECTED)
    try:
        with transaction.atomic():
            file = RemittanceFile.objects.create(
                sha256=digest, filename=filename, text=_decode(raw), imported_by=actor
            )
            report = ImportReport(file_id=file.pk, filename=filename, sha256=digest)
            importer = _Importer(file, actor)
            for remittance in remittances:
                report.remittances.append(importer.remittance(remittance))
            apply_patient_credits(importer.to_patient, actor=actor)
            file.report = report.text()
            file.save(update_fields=["report"])
    except IntegrityError:
        # The same file imported at the same moment by someone else: theirs stands.
        seen = RemittanceFile.objects.filter(sha256=digest).first()
        if seen is None:
            raise
        return _already(seen)
    return report


class _Importer:
    def __init__(self, file: RemittanceFile, actor):
        self.file = file
        self.actor = actor
        self.seen: set[tuple] = set()
        self.payers: dict[tuple, Payer | None] = {}
        self.to_patient: set[int] = set()  # patients a share was moved to, in the whole file

    def payer(self, r) -> Payer | None:
        key = (r.payer_id, r.payer_name)
        if key not in self.payers:
            found = None
            if r.payer_id:
                found = Payer.objects.filter(payer_id__iexact=r.payer_id).first()
            if found is None and r.payer_name:
                found = Payer.objects.filter(name__iexact=r.payer_name.strip()).first()
            self.payers[key] = found
        return self.payers[key]

    def remittance(self, r) -> RemittanceSummary:
        payer = self.payer(r)
        identifier = (r.payer_id or r.payer_trace_id)[:80]
        summary = RemittanceSummary(
            payer=payer.name if payer else r.payer_name,
            payer_known=payer is not None,
            trace_number=r.trace_number,
            payment_date=r.payment_date,
            total_paid=_money(r.total_paid),
        )
        key = (identifier, r.trace_number, summary.total_paid)
        earlier = (
            Remittance.objects.filter(
                payer_identifier=identifier, trace_number=r.trace_number[:50],
                total_paid=summary.total_paid,
            ).select_related("file").first()
        )  # fmt: skip
        if earlier is not None or key in self.seen:
            summary.skipped = True
            source = "earlier in this file"
            if earlier is not None:
                when = timezone.localtime(earlier.file.imported_at)
                source = f"file {earlier.file} imported {when:%Y-%m-%d}"
            summary.warnings.append(
                f"skipped: this payment (payer {identifier or '?'}, trace {r.trace_number}, "
                f"${summary.total_paid}) was already posted from {source}; nothing posted again"
            )
            return summary
        self.seen.add(key)
        sign = -1 if r.credit_debit == "D" else 1
        claims_paid = _money(r.claims_paid)
        plb = _money(r.provider_adjusted)
        today = ledger.books_today()
        day = min(r.payment_date, today) if r.payment_date else today
        row = Remittance.objects.create(
            file=self.file,
            payer=payer,
            payer_name=r.payer_name[:60],
            payer_identifier=identifier,
            trace_number=r.trace_number[:50],
            method=r.method[:3],
            payment_date=r.payment_date,
            total_paid=summary.total_paid,
            claims_paid=claims_paid,
            provider_adjusted=plb,
            posted_on=ledger.open_day(day),
            claim_count=len(r.claims),
            reconciled=sign * summary.total_paid == claims_paid - plb,
        )
        ProviderAdjustment.objects.bulk_create(
            ProviderAdjustment(
                remittance=row, provider_identifier=p.provider_id[:50],
                fiscal_period_end=p.fiscal_period_end, reason=p.reason[:2],
                reference=p.reference[:50], amount=_money(p.amount),
            )
            for p in r.provider_adjustments
        )  # fmt: skip
        warnings = list(r.warnings) + r.imbalances()
        payments = [_claim_payment(row, clp) for clp in r.claims]
        warnings += _match(payments, payer)
        posting = _Posting(actor=self.actor, remittance=row, day=day)
        posting.prepare(payments)
        _save_rows(payments)
        warnings += posting.post(payments)
        self.to_patient |= posting.to_patient
        row.matched_count = sum(1 for cp in payments if cp.posted)
        row.save(update_fields=["matched_count"])
        if not payer:
            warnings.insert(
                0,
                f"the payer {r.payer_name!r} (id {r.payer_id or 'none'}) is not one of our "
                "payers; the payment was recorded without one",
            )
        result = summary_of(row)
        result.warnings = warnings
        return result


def _claim_payment(row: Remittance, clp) -> ClaimPayment:
    """The rows for one CLP (not saved yet): the claim payment, its lines and adjustments."""
    name = ", ".join(n for n in (clp.patient_last_name, clp.patient_first_name) if n)
    cp = _makers["claim_payment"](
        remittance_id=row.pk,
        patient_control_number=clp.patient_control_number[:38],
        status_code=clp.status[:2],
        charge=_money(clp.charge),
        paid=_money(clp.paid),
        patient_responsibility=_money(clp.patient_responsibility),
        payer_claim_number=clp.payer_claim_number[:50],
        patient_name=name[:80],
        member_id=clp.member_id[:80],
        remark_codes=",".join(clp.remark_codes)[:120],
    )
    cp.claim_adjustments = [_adjustment(cp, None, a) for a in clp.adjustments]
    cp.line_payments = []
    for svc in clp.services:
        line = _makers["line"](
            code=(svc.submitted_code or svc.procedure_code)[:48],
            modifiers=" ".join(svc.submitted_modifiers or svc.modifiers)[:11],
            units=svc.units,
            service_date=svc.service_date or clp.statement_from,
            charge=_money(svc.charge),
            paid=_money(svc.paid),
            allowed=None if svc.allowed is None else _money(svc.allowed),
            patient_responsibility=_money(
                sum((a.amount for a in svc.adjustments if a.group == "PR"), ZERO)
            ),
            remark_codes=",".join(svc.remark_codes)[:120],
            line_control_number=svc.control_number.strip()[:50],
        )
        line.line_adjustments = [_adjustment(cp, line, a) for a in svc.adjustments]
        cp.line_payments.append(line)
    return cp


@dataclass
class _Adjustment:
    """A CAS reason on its way to a RemitAdjustment row (inserted without a model instance)."""

    claim_payment: ClaimPayment
    line: LinePayment | None
    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None

    def row(self) -> tuple:
        line = self.line.pk if self.line is not None else None
        return (self.claim_payment.pk, line, self.group, self.reason, self.amount, self.quantity)


def _adjustment(cp: ClaimPayment, line: LinePayment | None, a) -> _Adjustment:
    quantity = None if a.quantity is None else a.quantity.quantize(CENT)
    return _Adjustment(cp, line, a.group, a.reason[:5], _money(a.amount), quantity)


# What matching and posting read of our claim lines (plain tuples: thousands are read at once).
_OurLine = namedtuple("_OurLine", "pk claim_id code modifiers units date_of_service")
# What posting reads of a claim (and what move_claims writes back).
_CLAIM_FIELDS = (
    "pk", "status", "status_changed_at", "payer_id", "charge_id", "patient_id", "coverage_id",
    "payer_claim_number", "patient_control_number", "date_of_service",
)  # fmt: skip


def _match(payments: list[ClaimPayment], payer: Payer | None) -> list[str]:
    """Point each claim payment at our claim (CLP01) and each line at our claim line."""
    warnings = []
    numbers = list({cp.patient_control_number for cp in payments})
    claims: dict[str, Claim] = {}
    for chunk in _chunks(numbers):
        found = Claim.objects.select_for_update().filter(patient_control_number__in=chunk)
        for claim in found.only(*_CLAIM_FIELDS):
            claims[claim.patient_control_number] = claim
    lines: dict[int, list[_OurLine]] = defaultdict(list)
    ids = [c.pk for c in claims.values()]
    for chunk in _chunks(ids):
        found = ClaimLine.objects.filter(claim_id__in=chunk).order_by("line_number")
        for line in found.values_list(*_OurLine._fields):
            lines[line[1]].append(_OurLine(*line))
    for cp in payments:
        claim = claims.get(cp.patient_control_number)
        if claim is None:
            continue
        if claim.status not in POSTABLE:
            warnings.append(
                f"claim {claim.patient_control_number} is {claim.status_label.lower()}, so its "
                "payment was not posted; it waits in the unmatched queue"
            )
            continue
        if payer is not None and claim.payer_id != payer.pk:
            warnings.append(
                f"claim {claim.patient_control_number} was billed to another payer than this "
                "payment's; posted to the claim's payer"
            )
        cp.claim = claim
        _match_lines(cp, lines[claim.pk])
    return warnings


def _match_lines(cp: ClaimPayment, ours: list[ClaimLine]) -> None:
    """Our line by the REF*6R we sent (our line's id, kept on the line payment as
    ``line_control_number``), else the same place and code, else the code."""
    by_id = {str(x.pk): x for x in ours}
    free = list(ours)
    for n, line in enumerate(cp.line_payments):
        ref = line.line_control_number
        found = by_id.get(ref) if ref else None
        if found is None and n < len(ours) and ours[n].code == line.code and ours[n] in free:
            found = ours[n]
        if found is None:
            found = next((x for x in free if x.code == line.code), None)
        if found is not None and found in free:
            free.remove(found)
            line.claim_line_id = found.pk
            line.our_line = found


def _save_rows(payments: list[ClaimPayment]) -> None:
    for cp in payments:
        cp.claim_id = cp.claim.pk if cp.claim is not None else None
    insert_objects(ClaimPayment, payments)
    for cp in payments:
        for line in cp.line_payments:
            line.claim_payment_id = cp.pk
    lines = [line for cp in payments for line in cp.line_payments]
    insert_objects(LinePayment, lines)
    adjustments = [a for cp in payments for a in cp.claim_adjustments]
    adjustments += [a for line in lines for a in line.line_adjustments]
    insert_rows(
        RemitAdjustment,
        ["claim_payment", "line", "group", "reason", "amount", "quantity"],
        [a.row() for a in adjustments],
    )
