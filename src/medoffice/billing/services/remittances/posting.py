"""Posting matched claim payments to the books (the rules are in the package's docstring)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from medoffice.billing.models import (
    Charge,
    Claim,
    ClaimPayment,
    Denial,
    LedgerEntry,
    LinePayment,
    PayerFee,
    Remittance,
    Service,
)
from medoffice.billing.services import ledger
from medoffice.billing.services.claims import ClaimMove, move_claims
from medoffice.billing.services.denials import resolve_reversed
from medoffice.billing.services.patient_money import apply_credits
from medoffice.billing.services.remittances.common import (
    CHUNK,
    CONTRACTUAL_REASONS,
    ZERO,
    _chunks,
    _makers,
    _money,
)
from medoffice.patients.models import Coverage


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
                        denied_on=self.remittance.payment_date or ledger.books_today(),
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
