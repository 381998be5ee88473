"""Importing 835 remittances and posting them to the books.

:func:`import_835` reads a payer's 835 file whole (any fault refuses it, at
its segment, before anything is written), keeps it (its SHA-256 is unique: the
same file never posts twice), records every payment, claim, line and
adjustment as received, and posts each claim payment it can match to one of
our claims (by the patient control number, CLP01). One file is one database
transaction: all of it is recorded and posted, or none of it.

The posting rules, for a claim payment matched to our claim C (payer P =
C.payer, visit V = C.charge), per service line when the 835 has lines:

* the payment: PAYER_PAYMENT −paid on P's share of V;
* CAS groups CO, PI, OA and CR: CONTRACTUAL −amount on P — except on a denied
  claim (CLP02 = 4) or a line paid nothing, where a reason that is not a
  contractual reduction (:data:`CONTRACTUAL_REASONS`) leaves the amount open
  on P and opens a :class:`Denial` for the work queue;
* CAS group PR (deductible, coinsurance, copay...): TRANSFER −amount from P
  and +amount to the visit's next payer when another coverage follows P (the
  secondary claim bills it), else to the patient — and once the file is
  posted, a credit a patient holds on account is applied to such a share;
* a reversal (CLP02 = 22) carries negative amounts, so the same rules post
  the opposite entries, and the claim goes back to ACCEPTED; the denials of
  the answer it takes back (the same payer claim number) are resolved;
* the claim's status follows: SUBMITTED → ACCEPTED → PAID (P's share of V is
  settled) / PARTLY_PAID / DENIED.

Claim payments naming no claim of ours are kept unmatched (``claim`` empty):
:func:`match_claim_payment` posts one to the claim a biller picks, and
:func:`dismiss_claim_payment` takes one off the queue with a note.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from medoffice.billing.errors import IMPORT_REJECTED, DomainError, invalid
from medoffice.billing.models import (
    Charge,
    Claim,
    ClaimLine,
    ClaimPayment,
    Denial,
    LedgerEntry,
    LinePayment,
    PayerFee,
    ProviderAdjustment,
    RemitAdjustment,
    Remittance,
    RemittanceFile,
    Service,
)
from medoffice.billing.services import ledger
from medoffice.billing.services.bulk import Maker, insert_objects, insert_rows
from medoffice.billing.services.claims import ClaimMove, move_claims
from medoffice.billing.services.denials import resolve_reversed
from medoffice.billing.services.patient_money import apply_credits
from medoffice.edi.errors import X12Error
from medoffice.edi.x835 import read_835
from medoffice.patients.models import Coverage, Payer

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
ALREADY_MATCHED = "already_matched"
#: CARCs that reduce a payment by contract (not a refusal): adjusted off even on a line paid 0.
CONTRACTUAL_REASONS = frozenset({"45", "42", "59", "94", "131", "144", "237", "253"})
#: Claims a payment may post to: sent, and not closed.
POSTABLE = (Claim.SUBMITTED, Claim.ACCEPTED, Claim.PAID, Claim.PARTLY_PAID, Claim.DENIED)
CHUNK = 900  # ids per IN (...) list: under SQLite's variable limit


def _chunks(items: list, size: int = CHUNK):
    for at in range(0, len(items), size):
        yield items[at : at + size]


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT)


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


# ---------------------------------------------------------------------------
# Import


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
        today = timezone.localdate()
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


class _Makers(dict):
    def __missing__(self, key):
        model = {"claim_payment": ClaimPayment, "line": LinePayment, "entry": LedgerEntry,
                 "denial": Denial}[key]  # fmt: skip
        self[key] = maker = Maker(model)
        return maker


_makers = _Makers()


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


# ---------------------------------------------------------------------------
# Posting


class _Posting:
    """Posts matched claim payments: ledger entries, denials, contract amounts, claim statuses.

    Everything it needs is read in bulk first (claims' visits and coverages,
    the payers' current balances, the fee schedule), so a remittance of
    thousands of claims costs a handful of queries."""

    def __init__(self, *, actor, remittance: Remittance, day: dt.date):
        self.actor = actor
        self.remittance = remittance
        self.day = day
        self.entries: list[LedgerEntry] = []
        self.denials: list[Denial] = []
        self.moves: list[ClaimMove] = []
        self.status: dict[int, str] = {}
        self.balance: dict[tuple[int, int], Decimal] = {}
        self.next_payer: dict[int, int | None] = {}
        self.fees: dict[tuple[int, int], list[PayerFee]] = defaultdict(list)
        self.services: dict[tuple[str, str], int] = {}
        self.matched: list[ClaimPayment] = []
        self.to_patient: set[int] = set()  # patients a share was moved to

    def prepare(self, payments: list[ClaimPayment]) -> None:
        """Before the rows are saved: read what posting needs, mark the matched payments
        posted and give their lines the contracted amount."""
        self.matched = [cp for cp in payments if cp.claim is not None]
        if not self.matched:
            return
        self._load([cp.claim for cp in self.matched])
        for cp in self.matched:
            cp.posted = True
            for line in cp.line_payments:
                line.contracted_amount = self._contracted(cp.claim.payer_id, line)

    def post(self, payments: list[ClaimPayment]) -> list[str]:
        """After the rows are saved: the ledger entries, denials and claim statuses."""
        for cp in self.matched:
            self._claim(cp)
        ledger.post_many(self.entries, actor=self.actor, day=self.day)
        Denial.objects.bulk_create(self.denials, batch_size=1000)
        warnings = self._resolve_reversed()
        refused = move_claims(actor=self.actor, moves=self.moves)
        return warnings + [f"claim {c.patient_control_number} stays {c.status_label.lower()}: "
                           f"{why}" for c, why in refused]  # fmt: skip

    def _resolve_reversed(self) -> list[str]:
        """A reversal (CLP02 22) takes back the payer's earlier answer on the claim under the
        same payer claim number: that answer's denials still being worked are resolved."""
        reversals: dict[int, list[ClaimPayment]] = defaultdict(list)
        for cp in self.matched:
            if cp.status_code == "22":
                reversals[cp.claim.pk].append(cp)
        if not reversals:
            return []
        closing: list[tuple[Denial, str]] = []
        left: set[int] = set()
        for chunk in _chunks(list(reversals)):
            working = (
                Denial.objects.select_for_update(of=("self",))
                .filter(claim_id__in=chunk, status__in=(Denial.OPEN, Denial.APPEALED))
                .select_related("claim_payment")
                .order_by("pk")
            )
            for denial in working:
                answer = denial.claim_payment
                by = next(
                    (r for r in reversals[denial.claim_id]
                     if r.pk > answer.pk and r.payer_claim_number == answer.payer_claim_number),
                    None,
                )  # fmt: skip
                if by is None:
                    if any(r.pk > answer.pk for r in reversals[denial.claim_id]):
                        left.add(denial.claim_id)  # an earlier answer, under another number
                    continue
                number = f" of payer claim {by.payer_claim_number}" if by.payer_claim_number else ""
                closing.append((denial, (
                    f"the payer reversed its decision (835 payment {self.remittance.trace_number}: "
                    f"reversal{number}, CLP02 22)"
                )))  # fmt: skip
        resolve_reversed(closing, actor=self.actor)
        return [
            f"claim {reversals[pk][0].claim.patient_control_number}: the payer reversed a payment, "
            "but denials from its other answers stay in the denial queue"
            for pk in sorted(left)
        ]

    def _load(self, claims: list[Claim]) -> None:
        charge_ids = list({c.charge_id for c in claims})
        patient_ids = list({c.patient_id for c in claims})
        chosen: dict[int, int | None] = {}
        for chunk in _chunks(charge_ids):
            chosen.update(
                Charge.objects.filter(pk__in=chunk).values_list("pk", "appointment__coverage_id")
            )
        for chunk in _chunks(charge_ids):
            rows = (
                LedgerEntry.objects.filter(charge_id__in=chunk, payer__isnull=False)
                .values("charge_id", "payer_id")
                .annotate(s=Sum("amount"))
                .order_by()
            )
            for r in rows:
                self.balance[(r["charge_id"], r["payer_id"])] = r["s"]
        coverages: dict[int, list[Coverage]] = defaultdict(list)
        for chunk in _chunks(patient_ids):
            found = Coverage.objects.filter(patient_id__in=chunk).order_by(
                "order", "-effective_date"
            )
            for c in found.only("pk", "patient_id", "payer_id", "effective_date", "end_date"):
                coverages[c.patient_id].append(c)
        for claim in claims:
            self.status[claim.pk] = claim.status
            day = claim.date_of_service
            active = [
                c
                for c in coverages[claim.patient_id]
                if c.effective_date <= day and (c.end_date is None or c.end_date >= day)
            ]
            first = chosen.get(claim.charge_id)
            if first is not None:
                active.sort(key=lambda c: c.pk != first)
            ids = [c.pk for c in active]
            later = active[ids.index(claim.coverage_id) + 1 :] if claim.coverage_id in ids else []
            self.next_payer[claim.pk] = later[0].payer_id if later else None
        self.services = {
            (code, modifiers): pk
            for pk, code, modifiers in Service.objects.values_list("pk", "code", "modifiers")
        }
        payer_ids = list({c.payer_id for c in claims})
        for fee in PayerFee.objects.filter(payer_id__in=payer_ids):
            self.fees[(fee.payer_id, fee.service_id)].append(fee)

    def _contracted(self, payer_id: int, line: LinePayment) -> Decimal | None:
        ours = getattr(line, "our_line", None)
        code, modifiers = (ours.code, ours.modifiers) if ours else (line.code, line.modifiers)
        service = self.services.get((code, " ".join(modifiers.split())))
        day = line.service_date or (ours.date_of_service if ours else None)
        if service is None or day is None:
            return None
        for fee in self.fees.get((payer_id, service), ()):
            if fee.covers(day):
                return _money(fee.allowed_amount * line.units)
        return None

    def _entry(self, cp, kind, amount, *, payer_id, line=None, group="", reason="", note=""):
        claim = cp.claim
        self.entries.append(
            _makers["entry"](
                kind=kind,
                amount=amount,
                patient_id=claim.patient_id,
                charge_id=claim.charge_id,
                payer_id=payer_id,
                claim_id=claim.pk,
                claim_line_id=line.claim_line_id if line is not None else None,
                remittance_id=self.remittance.pk,
                adjustment_group=group,
                reason_code=reason,
                note=note[:300],
            )
        )
        if payer_id is not None:
            key = (claim.charge_id, payer_id)
            self.balance[key] = self.balance.get(key, ZERO) + amount

    def _claim(self, cp: ClaimPayment) -> None:
        claim = cp.claim
        payer = claim.payer_id
        trace = self.remittance.trace_number
        pcn = claim.patient_control_number
        opened: list[Denial] = []
        line_paid = ZERO
        for line in cp.line_payments:
            if line.paid:
                self._entry(cp, LedgerEntry.PAYER_PAYMENT, -line.paid, payer_id=payer, line=line,
                            note=f"Paid, {pcn} line {line.code}, payment {trace}")  # fmt: skip
            line_paid += line.paid
            for a in line.line_adjustments:
                self._adjust(cp, a, line, paid_nothing=line.paid == 0, opened=opened)
        rest = cp.paid - line_paid
        if rest:
            self._entry(cp, LedgerEntry.PAYER_PAYMENT, -rest, payer_id=payer,
                        note=f"Paid, {pcn}, payment {trace}")  # fmt: skip
        for a in cp.claim_adjustments:
            self._adjust(cp, a, None, paid_nothing=cp.paid == 0, opened=opened)
        self.denials += opened
        self._move(cp, denied=bool(opened))

    def _adjust(self, cp, a, line, *, paid_nothing: bool, opened: list) -> None:
        if not a.amount:
            return
        claim = cp.claim
        payer = claim.payer_id
        what = f"{a.group}-{a.reason}, {claim.patient_control_number}"
        if a.group == "PR":
            to = self.next_payer.get(claim.pk)
            self._entry(cp, LedgerEntry.TRANSFER, -a.amount, payer_id=payer, line=line,
                        group=a.group, reason=a.reason,
                        note=f"{what}: to the {'next payer' if to else 'patient'}")  # fmt: skip
            self._entry(cp, LedgerEntry.TRANSFER, a.amount, payer_id=to, line=line,
                        group=a.group, reason=a.reason, note=f"{what}: from the payer")  # fmt: skip
            if to is None and a.amount > 0:
                self.to_patient.add(claim.patient_id)
            return
        refused = (cp.status_code == "4" or paid_nothing) and a.reason not in CONTRACTUAL_REASONS
        if refused:
            if cp.status_code != "22":  # a reversed refusal was never adjusted off: nothing to undo
                remarks = ",".join(
                    x for x in (line.remark_codes if line is not None else "", cp.remark_codes) if x
                )
                opened.append(
                    _makers["denial"](
                        claim_id=claim.pk, claim_payment_id=cp.pk, payer_id=payer, group=a.group,
                        line_id=line.pk if line is not None else None,
                        reason_code=a.reason, remark_codes=remarks[:120], amount=a.amount,
                        denied_on=self.remittance.payment_date or timezone.localdate(),
                    )
                )  # fmt: skip
            return
        self._entry(cp, LedgerEntry.CONTRACTUAL, -a.amount, payer_id=payer, line=line,
                    group=a.group, reason=a.reason, note=what)  # fmt: skip

    def _move(self, cp: ClaimPayment, *, denied: bool) -> None:
        claim = cp.claim
        now = self.status[claim.pk]
        owed = self.balance.get((claim.charge_id, claim.payer_id), ZERO)
        if cp.status_code == "22":
            target = Claim.ACCEPTED
        elif cp.status_code == "4" or (denied and cp.paid == 0):
            target = Claim.DENIED
        elif owed <= 0:
            target = Claim.PAID
        else:
            target = Claim.PARTLY_PAID
        steps = [Claim.ACCEPTED, target] if now == Claim.SUBMITTED else [target]
        if target == now:
            steps = []
        self.status[claim.pk] = target
        number = "" if cp.status_code == "22" else cp.payer_claim_number
        note = (
            f"835 payment {self.remittance.trace_number}: paid {cp.paid} (CLP02 {cp.status_code})"
        )
        self.moves.append(ClaimMove(claim=claim, to=steps, note=note, payer_claim_number=number))


def apply_patient_credits(patient_ids, *, actor) -> None:
    """Once posting has moved a share of a visit to the patients ``patient_ids``, each of them
    holding a credit on account has it applied, once
    (:func:`~medoffice.billing.services.patient_money.apply_credits`). One query finds who
    holds a credit (on SQLite one per few hundred patients, under its parameter limit), read
    through the ledger's (patient, payer) index, so the patients who hold none cost nothing
    more."""
    ids = sorted(set(patient_ids))
    size = len(ids) if connection.vendor == "postgresql" else CHUNK
    holders: list[int] = []
    for chunk in _chunks(ids, size or 1):
        holders += (
            LedgerEntry.objects.filter(
                patient_id__in=chunk, payer__isnull=True, charge__isnull=True
            )
            .values("patient_id")
            .annotate(s=Sum("amount"))
            .filter(s__lt=0)
            .order_by("patient_id")
            .values_list("patient_id", flat=True)
        )
    for patient_id in holders:
        apply_credits(patient_id, actor)


# ---------------------------------------------------------------------------
# Reading back


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


# ---------------------------------------------------------------------------
# The unmatched queue


def unmatched_queue():
    """Claim payments no claim of ours was found for, not yet matched or dismissed."""
    return (
        ClaimPayment.objects.filter(claim__isnull=True, resolved_at__isnull=True)
        .select_related("remittance", "remittance__payer")
        .order_by("remittance__payment_date", "pk")
    )


def _rows_for_posting(cp: ClaimPayment) -> ClaimPayment:
    cp.line_payments = list(cp.lines.order_by("pk"))
    adjustments = list(cp.adjustments.order_by("pk"))
    cp.claim_adjustments = [a for a in adjustments if a.line_id is None]
    for line in cp.line_payments:
        line.line_adjustments = [a for a in adjustments if a.line_id == line.pk]
    return cp


@transaction.atomic
def match_claim_payment(*, claim_payment: ClaimPayment, claim: Claim, actor, note: str = ""):
    """Match an unmatched claim payment to ``claim`` by hand, and post it as import would."""
    cp = (
        ClaimPayment.objects.select_for_update()
        .select_related("remittance")
        .get(pk=claim_payment.pk)
    )
    if cp.claim_id is not None or cp.posted:
        raise DomainError(ALREADY_MATCHED, "This payment is already matched to a claim.", None,
                          status=409)  # fmt: skip
    if cp.resolved_at is not None:
        raise DomainError(ALREADY_MATCHED, "This payment was dismissed from the queue.", None,
                          status=409)  # fmt: skip
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.status not in POSTABLE:
        raise invalid(
            f"Claim {claim.patient_control_number} is {claim.status_label.lower()}; a payment "
            "posts only to a claim that was sent and is not closed.",
            "claim",
        )
    cp.claim = claim
    _rows_for_posting(cp)
    _match_lines(cp, list(claim.lines.order_by("line_number")))
    remittance = cp.remittance
    today = timezone.localdate()
    day = min(remittance.payment_date, today) if remittance.payment_date else today
    posting = _Posting(actor=actor, remittance=remittance, day=day)
    posting.prepare([cp])
    for line in cp.line_payments:
        line.save(update_fields=["claim_line", "contracted_amount"])
    warnings = posting.post([cp])
    apply_patient_credits(posting.to_patient, actor=actor)
    cp.resolved_at = timezone.now()
    cp.resolved_by = actor
    cp.resolution_note = (note or f"Matched by hand to {claim.patient_control_number}")[:300]
    cp.save(update_fields=["claim", "posted", "resolved_at", "resolved_by", "resolution_note"])
    Remittance.objects.filter(pk=remittance.pk).update(matched_count=F("matched_count") + 1)
    return cp, warnings


@transaction.atomic
def dismiss_claim_payment(*, claim_payment: ClaimPayment, actor, note: str) -> ClaimPayment:
    """Take an unmatched claim payment off the queue without posting it, saying why."""
    if not (note or "").strip():
        raise invalid("Say why this payment is dismissed.", "note")
    cp = ClaimPayment.objects.select_for_update().get(pk=claim_payment.pk)
    if cp.claim_id is not None:
        raise DomainError(ALREADY_MATCHED, "This payment is matched to a claim.", None, status=409)
    if cp.resolved_at is not None:
        raise DomainError(ALREADY_MATCHED, "This payment was already taken off the queue.", None,
                          status=409)  # fmt: skip
    cp.resolved_at = timezone.now()
    cp.resolved_by = actor
    cp.resolution_note = note.strip()[:300]
    cp.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    return cp


def find_claims(text: str, limit: int = 20):
    """Claims a payment could be matched to: by control number, payer's number or patient."""
    text = (text or "").strip()
    qs = Claim.objects.filter(status__in=POSTABLE).select_related("patient", "payer")
    if not text:
        return qs.none()
    words = text.split()
    q = Q(patient_control_number__iexact=text) | Q(payer_claim_number__iexact=text)
    q |= Q(patient_control_number__iendswith=text.lstrip("0")) if text.isdigit() else Q()
    by_name = Q()
    for w in words:
        by_name &= Q(patient__last_name__istartswith=w) | Q(patient__first_name__istartswith=w)
    return qs.filter(q | by_name).order_by("-date_of_service", "-pk")[:limit]


def remittance_list(*, text: str = "", since: dt.date | None = None, until: dt.date | None = None):
    """Imported payments, newest first: by payer name or id, or trace number; payment dates."""
    qs = Remittance.objects.select_related("payer", "file")
    text = (text or "").strip()
    if text:
        qs = qs.filter(
            Q(trace_number__icontains=text)
            | Q(payer_name__icontains=text)
            | Q(payer__name__icontains=text)
            | Q(payer_identifier__iexact=text)
        )
    if since:
        qs = qs.filter(payment_date__gte=since)
    if until:
        qs = qs.filter(payment_date__lte=until)
    return qs.order_by("-payment_date", "-pk")


def remittance_claims(remittance: Remittance):
    """A payment's claim payments with their claims, lines, adjustments and denials."""
    return (
        ClaimPayment.objects.filter(remittance=remittance)
        .select_related("claim", "claim__patient")
        .prefetch_related("lines__claim_line", "adjustments", "denials")
        .order_by("pk")
    )
