"""Money from and back to patients: payments and copays at the desk, credits, refunds, voids.

A payment is applied in the ledger to the patient's open visit balances, the
oldest visit first (``PATIENT_PAYMENT`` −x on each visit, no payer); what is
left is a credit on account (``PATIENT_PAYMENT`` with no visit). A copay taken
at check-in, before the visit has charges, is such a credit; :func:`apply_credits`
moves credit onto visits whose patient share has appeared since (+x off the
account, −x on the visit, both linked to the payment whose credit moved), so
voiding a payment reverses exactly what it did wherever its money went.

A refund gives back at most the credit on account (``REFUND`` +x). Every
payment and refund has its own receipt number from the "receipt" counter,
taken under a row lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone

from medoffice.billing.errors import DomainError, FieldErrors, invalid
from medoffice.billing.models import LedgerEntry, PatientPayment
from medoffice.billing.services import ledger
from medoffice.billing.services.batches import next_control_number
from medoffice.patients.models import Patient

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
RECEIPT_COUNTER = "receipt"
MAX_AMOUNT = Decimal("999999.99")
ALREADY_VOIDED = "already_voided"
OVER_CREDIT = "over_credit"

_CHECK_NUMBER = re.compile(r"^[0-9A-Za-z-]{1,20}$")
_LAST4 = re.compile(r"^[0-9]{4}$")


def cents(value) -> Decimal:
    """A sum from the database as money (SQLite's sums come back unquantized)."""
    return Decimal(value or 0).quantize(CENT)


def money(value, field: str = "amount") -> Decimal:
    """A positive amount with at most two decimal places, or a field error."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise invalid("Enter an amount such as 25.00.", field) from None
    if not amount.is_finite():
        raise invalid("Enter an amount such as 25.00.", field)
    if amount <= 0:
        raise invalid("The amount must be more than zero.", field)
    if amount != amount.quantize(CENT):
        raise invalid("An amount has at most two decimal places (cents).", field)
    if amount > MAX_AMOUNT:
        raise invalid(f"The amount cannot be more than {MAX_AMOUNT}.", field)
    return amount.quantize(CENT)


def check_method_and_reference(method: str, reference: str) -> tuple[str, str]:
    """The method must be known; a check needs its number, a card its last 4 digits."""
    errors: dict[str, list[str]] = {}
    methods = dict(PatientPayment.METHOD_CHOICES)
    reference = (reference or "").strip()
    if not method:
        errors["method"] = ["Choose how the money was paid."]
    elif method not in methods:
        errors["method"] = [f"'{method}' is not a method; use one of {', '.join(methods)}."]
    elif method == PatientPayment.CHECK and not _CHECK_NUMBER.match(reference):
        errors["reference"] = ["Enter the check number (letters, digits or '-', up to 20)."]
    elif method == PatientPayment.CARD and not _LAST4.match(reference):
        errors["reference"] = ["Enter the card's last 4 digits (never the whole number)."]
    elif len(reference) > 40:
        errors["reference"] = ["The reference is at most 40 characters."]
    if errors:
        raise FieldErrors(errors)
    return method, reference


def shown_reference(payment: PatientPayment) -> str:
    """What a receipt or page shows: a card as its last 4 digits only."""
    if payment.method == PatientPayment.CARD:
        return f"card ending {payment.reference[-4:]}" if payment.reference else "card"
    if payment.method == PatientPayment.CHECK:
        return f"check {payment.reference}"
    return payment.reference


# ----------------------------------------------------------------------- balances


def _patient_entries(patient_id: int):
    return LedgerEntry.objects.filter(patient_id=patient_id, payer__isnull=True)


def _sums_per(patient_id: int, key: str, *, first):
    """The patient's share summed (``s``) per visit (``key`` "charge_id", visits only) or per
    payment ("patient_payment_id", the account off any visit), with ``first`` to order by."""
    on_visits = key == "charge_id"
    return (
        _patient_entries(patient_id)
        .filter(charge__isnull=not on_visits)
        .values(key)
        .annotate(s=Sum("amount"), first=first)
    )


def unapplied_balance(patient_id: int) -> Decimal:
    """The patient's balance not on any visit (below zero: credit on account)."""
    total = _patient_entries(patient_id).filter(charge__isnull=True).aggregate(s=Sum("amount"))
    return cents(total["s"])


def credit_on_account(patient_id: int) -> Decimal:
    return max(ZERO, -unapplied_balance(patient_id))


def open_visit_shares(patient_id: int) -> list[tuple[int, Decimal]]:
    """[(charge id, patient share > 0)], the oldest visit first."""
    rows = (
        _sums_per(patient_id, "charge_id", first=Min("charge__date_of_service"))
        .filter(s__gt=0)
        .order_by("first", "charge_id")
    )
    return [(r["charge_id"], cents(r["s"])) for r in rows]


def _lock_patient(patient: Patient | int) -> Patient:
    """Payments of one patient apply one at a time (the row lock orders them)."""
    pk = patient.pk if isinstance(patient, Patient) else patient
    return Patient.objects.select_for_update().get(pk=pk)


def _entry(payment: PatientPayment, amount: Decimal, charge_id: int | None, note: str):
    return LedgerEntry(
        kind=LedgerEntry.PATIENT_PAYMENT,
        amount=amount,
        patient_id=payment.patient_id,
        charge_id=charge_id,
        patient_payment=payment,
        note=note[:300],
    )


# ----------------------------------------------------------------------- payments


def _read_money(amount, method: str, reference: str):
    """The amount, method and reference of a payment or refund, and every problem with them:
    ``(errors, amount, method, reference)``, the values tidied where they are good."""
    errors: dict[str, list[str]] = {}
    try:
        amount = money(amount)
    except FieldErrors as exc:
        errors.update(exc.errors)
    try:
        method, reference = check_method_and_reference(method, reference)
    except FieldErrors as exc:
        errors.update(exc.errors)
    return errors, amount, method, reference


def _new_receipt(
    *, patient: Patient, kind: str, method: str, amount: Decimal, reference: str, actor,
    note: str, appointment=None,
) -> PatientPayment:  # fmt: skip
    """Money in or out at the desk, under the next receipt number, posted in the open month."""
    return PatientPayment.objects.create(
        patient=patient,
        kind=kind,
        method=method,
        amount=amount,
        reference=reference,
        appointment=appointment,
        receipt_number=next_control_number(RECEIPT_COUNTER),
        received_by=actor if getattr(actor, "is_authenticated", False) else None,
        posted_on=ledger.open_day(),
        note=note,
    )


@transaction.atomic
def take_payment(
    *,
    patient: Patient,
    amount,
    method: str,
    reference: str = "",
    actor,
    appointment=None,
    kind: str = PatientPayment.PAYMENT,
    note: str = "",
) -> PatientPayment:
    """Record money received and apply it to open visits (oldest first); the rest is credit."""
    errors, amount, method, reference = _read_money(amount, method, reference)
    if kind not in (PatientPayment.PAYMENT, PatientPayment.COPAY):
        errors.setdefault("kind", []).append("A payment is a payment or a copay.")
    if appointment is not None and appointment.patient_id != patient.pk:
        errors.setdefault("appointment", []).append("That visit is another patient's.")
    if len(note or "") > 200:
        errors.setdefault("note", []).append("The note is at most 200 characters.")
    if errors:
        raise FieldErrors(errors)
    patient = _lock_patient(patient)
    payment = _new_receipt(
        patient=patient, kind=kind, method=method, amount=amount, reference=reference,
        actor=actor, note=note or "", appointment=appointment,
    )  # fmt: skip
    entries, left = [], amount
    label = f"Receipt {payment.receipt_number}"
    for charge_id, share in open_visit_shares(patient.pk):
        if left <= 0:
            break
        applied = min(left, share)
        entries.append(_entry(payment, -applied, charge_id, label))
        left -= applied
    if left > 0:
        entries.append(_entry(payment, -left, None, f"{label}: credit on account"))
    ledger.post_many(entries, actor=actor, day=payment.posted_on)
    from medoffice.billing.services.plans import refill_plans

    refill_plans(patient)
    return payment


@transaction.atomic
def apply_credits(patient: Patient | int, actor=None) -> list[LedgerEntry]:
    """Move credit on account onto open visit balances, the oldest visit first.

    Idempotent, and one query when there is no credit: call it after anything
    changes a patient's share of a visit."""
    pk = patient.pk if isinstance(patient, Patient) else patient
    if unapplied_balance(pk) >= 0:
        return []
    _lock_patient(pk)
    credit = -unapplied_balance(pk)
    visits = open_visit_shares(pk) if credit > 0 else []
    if not visits:
        return []
    # Whose credit it is: each payment's money still on account, the oldest first (a
    # refund or other charge on the account is taken from the newest).
    sources = _sums_per(pk, "patient_payment_id", first=Min("pk")).filter(s__lt=0).order_by("first")
    held = []
    total = sum((-r["s"] for r in sources), ZERO)
    surplus = total - credit  # taken by refunds and the like: drop it from the newest
    for row in reversed(list(sources)):
        have = -row["s"]
        if surplus > 0:
            cut = min(surplus, have)
            have -= cut
            surplus -= cut
        if have > 0:
            have = cents(have)
            held.append((row["patient_payment_id"], have))
    held.reverse()
    entries: list[LedgerEntry] = []
    for charge_id, share in visits:
        while share > 0 and held:
            payment_id, have = held[0]
            moved = min(share, have)
            note = "Credit on account applied to the visit"
            for amount, on_charge in ((moved, None), (-moved, charge_id)):
                entries.append(
                    LedgerEntry(
                        kind=LedgerEntry.PATIENT_PAYMENT,
                        amount=amount,
                        patient_id=pk,
                        charge_id=on_charge,
                        patient_payment_id=payment_id,
                        note=note,
                    )
                )
            share -= moved
            if moved == have:
                held.pop(0)
            else:
                held[0] = (payment_id, have - moved)
        if not held:
            break
    ledger.post_many(entries, actor=actor)
    return entries


@transaction.atomic
def refund(
    *, patient: Patient, amount, method: str, reference: str = "", actor, reason: str
) -> PatientPayment:
    """Give back credit on account (never more than the credit); a refund has a receipt."""
    errors, amount, method, reference = _read_money(amount, method, reference)
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["Say why the money goes back."]
    elif len(reason) > 200:
        errors["reason"] = ["The reason is at most 200 characters."]
    if errors:
        raise FieldErrors(errors)
    patient = _lock_patient(patient)
    apply_credits(patient, actor)
    credit = credit_on_account(patient.pk)
    if amount > credit:
        raise invalid(
            f"Only the credit on account can be refunded: {credit}.", "amount", code=OVER_CREDIT
        )
    payment = _new_receipt(
        patient=patient, kind=PatientPayment.REFUND, method=method, amount=amount,
        reference=reference, actor=actor, note=reason,
    )  # fmt: skip
    ledger.post(
        kind=LedgerEntry.REFUND,
        amount=amount,
        patient_id=patient.pk,
        actor=actor,
        patient_payment=payment,
        note=f"Receipt {payment.receipt_number}: {reason}"[:300],
    )
    return payment


@transaction.atomic
def void_payment(*, payment: PatientPayment, actor, reason: str) -> PatientPayment:
    """Undo a payment or refund: its ledger entries are reversed in the open month."""
    reason = (reason or "").strip()
    if not reason:
        raise invalid("Say why the payment is voided.", "reason")
    if len(reason) > 200:
        raise invalid("The reason is at most 200 characters.", "reason")
    _lock_patient(payment.patient_id)
    payment = PatientPayment.objects.select_for_update().get(pk=payment.pk)
    if payment.voided_at is not None:
        raise DomainError(
            ALREADY_VOIDED, f"Receipt {payment.receipt_number} is already void.", None, status=409
        )
    live = LedgerEntry.objects.filter(
        patient_payment=payment, reverses__isnull=True, reversed_by__isnull=True
    ).order_by("pk")
    note = f"Receipt {payment.receipt_number} voided: {reason}"
    for entry in live:
        ledger.reverse(entry=entry, actor=actor, note=note)
    payment.voided_at = timezone.now()
    payment.voided_by = actor if getattr(actor, "is_authenticated", False) else None
    payment.void_reason = reason
    payment.save(update_fields=["voided_at", "voided_by", "void_reason"])
    apply_credits(payment.patient_id, actor)
    from medoffice.billing.services.plans import refill_plans

    refill_plans(payment.patient)
    return payment


# ----------------------------------------------------------------------- copays


def copay_on_card(appointment):
    """The coverage whose card copay the front desk is offered at check-in for this visit, and
    that copay: the visit's chosen coverage, else the patient's primary coverage active on
    the visit's day. ``(None, None)`` when there is none; ``(coverage, None)`` when its card
    shows no copay."""
    from medoffice.patients.models import Coverage
    from medoffice.patients.selectors import coverage_for

    coverage = None
    if appointment.coverage_id:
        coverage = Coverage.objects.select_related("payer").get(pk=appointment.coverage_id)
    if coverage is None:
        coverage = coverage_for(appointment.patient_id, on=appointment.local_start.date())
    if coverage is None:
        return None, None
    return coverage, coverage.copay


# ----------------------------------------------------------------------- receipts


@dataclass(frozen=True)
class Receipt:
    payment: PatientPayment
    practice: object
    patient: Patient
    reference: str
    balance_after: Decimal
    applied: list[tuple[object, Decimal]]
    credit: Decimal


def receipt_for(payment: PatientPayment) -> Receipt:
    """What a receipt shows; the balance is the patient's right after this payment."""
    from medoffice.core.models import Practice

    entries = list(
        LedgerEntry.objects.filter(patient_payment=payment, reverses__isnull=True)
        .select_related("charge")
        .order_by("pk")
    )
    last_pk = max((e.pk for e in entries), default=None)
    if last_pk is None:
        balance = ledger.patient_balance(payment.patient_id)
    else:
        balance = cents(
            _patient_entries(payment.patient_id)
            .filter(pk__lte=last_pk)
            .aggregate(s=Sum("amount"))["s"]
        )
    applied = [(e.charge, -e.amount) for e in entries if e.charge_id and e.amount < 0]
    credit = -sum((e.amount for e in entries if not e.charge_id), ZERO)
    return Receipt(
        payment=payment,
        practice=Practice.objects.order_by("pk").first(),
        patient=payment.patient,
        reference=shown_reference(payment),
        balance_after=balance,
        applied=applied,
        credit=credit if payment.kind != PatientPayment.REFUND else ZERO,
    )


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()
