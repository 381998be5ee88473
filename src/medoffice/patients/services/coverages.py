"""Adding, changing and ending a patient's insurance coverage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from medoffice.core.audit import CREATE, UPDATE, record_access
from medoffice.core.errors import DomainError
from medoffice.patients import errors
from medoffice.patients.models import Coverage, Patient, Payer
from medoffice.patients.services.patients import locked_patient

COVERAGE_FIELDS: tuple[str, ...] = (
    "payer",
    "order",
    "member_id",
    "group_number",
    "subscriber_relationship",
    "subscriber_first_name",
    "subscriber_last_name",
    "subscriber_date_of_birth",
    "subscriber_sex",
    "effective_date",
    "end_date",
    "copay",
)
_SUBSCRIBER_FIELDS = (
    "subscriber_first_name",
    "subscriber_last_name",
    "subscriber_date_of_birth",
    "subscriber_sex",
)
CENT = Decimal("0.01")
MAX_COPAY = Decimal("999999.99")  # the column holds 8 digits, 2 of them cents
_TEXT_FIELDS = ("member_id", "group_number", "subscriber_first_name", "subscriber_last_name")


def coverage_dates(coverage: Coverage) -> str:
    start = f"{coverage.effective_date:%m/%d/%Y}"
    if coverage.end_date is None:
        return f"from {start}, no end date"
    return f"{start} to {coverage.end_date:%m/%d/%Y}"


def overlapping(coverage: Coverage):
    """The patient's other coverages in the same order whose dates overlap this one's."""
    qs = Coverage.objects.filter(patient_id=coverage.patient_id, order=coverage.order)
    if coverage.pk:
        qs = qs.exclude(pk=coverage.pk)
    if coverage.end_date is not None:
        qs = qs.filter(effective_date__lte=coverage.end_date)
    return qs.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=coverage.effective_date)
    ).select_related("payer")


def _copay(value) -> Decimal | None:
    """The copay as money (empty: none), or a FieldErrors naming the copay field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        raise errors.invalid(
            "Enter the copay as an amount such as 25.00, or leave it empty.", "copay"
        )
    if amount < 0:
        raise errors.invalid("The copay cannot be negative.", "copay")
    if amount > MAX_COPAY:
        raise errors.invalid(f"The copay cannot be more than {MAX_COPAY}.", "copay")
    if amount != amount.quantize(CENT):
        raise errors.invalid("The copay has at most two decimal places (cents).", "copay")
    return amount.quantize(CENT)


def _check(coverage: Coverage, *, payer_changed: bool) -> None:
    """Every rule of a coverage; the first problem found names its field."""
    payer = coverage.payer if coverage.payer_id else None
    if payer is not None and payer.kind == Payer.SELF_PAY:
        raise errors.invalid(
            "Self-pay is not insurance: a patient who pays for themselves has no coverage.",
            "payer",
            code=errors.SELF_PAY_COVERAGE,
        )
    if payer is not None and payer_changed and not payer.active:
        raise errors.invalid(f"{payer} is no longer an active payer; choose another.", "payer")
    if coverage.subscriber_relationship == Coverage.SELF:
        for name in _SUBSCRIBER_FIELDS:  # the patient is the subscriber: nothing else to name
            setattr(coverage, name, None if name == "subscriber_date_of_birth" else "")
    coverage.copay = _copay(coverage.copay)
    try:
        coverage.full_clean(
            exclude=["patient", "member_id_hash"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise errors.from_validation_error(
            exc, model=Coverage, order=list(COVERAGE_FIELDS)
        ) from None
    clash = overlapping(coverage).first()
    if clash is not None:
        order = coverage.get_order_display().lower()
        raise errors.invalid(
            f"The patient already has a {order} coverage on these dates "
            f"({clash.payer}, {coverage_dates(clash)}). "
            "End that one first, or choose another order.",
            "order",
            code=errors.COVERAGE_OVERLAP,
        )


def _tidy(values: dict) -> dict:
    unknown = sorted(set(values) - set(COVERAGE_FIELDS))
    if unknown:
        raise errors.invalid(f"{unknown[0]} is not a coverage field.", unknown[0])
    return {
        k: ("" if v is None else v.strip()) if k in _TEXT_FIELDS or k == "subscriber_sex" else v
        for k, v in values.items()
    }


def _log(actor, coverage: Coverage, action: str, ip_address: str, detail: str = "") -> None:
    record_access(
        user=actor,
        action=action,
        object_type="coverage",
        object_id=coverage.pk,
        patient_id=coverage.patient_id,
        ip_address=ip_address,
        detail=detail,
    )


@transaction.atomic
def add_coverage(*, actor, patient: Patient, ip_address: str = "", **fields) -> Coverage:
    """Record an insurance policy for the patient (the member id is encrypted at rest)."""
    fields = _tidy(fields)
    patient = locked_patient(patient.pk)  # one coverage change per patient at a time
    member_id = fields.pop("member_id", "")
    coverage = Coverage(patient=patient, **fields)
    coverage.set_member_id(member_id)
    _check(coverage, payer_changed=True)
    coverage.save()
    _log(actor, coverage, CREATE, ip_address)
    return coverage


def _locked_coverage(coverage_id: int) -> Coverage:
    try:
        coverage = Coverage.objects.select_for_update().get(pk=coverage_id)
    except Coverage.DoesNotExist:
        raise errors.not_found("coverage", coverage_id) from None
    locked_patient(coverage.patient_id)
    return coverage


@transaction.atomic
def update_coverage(*, actor, coverage: Coverage, ip_address: str = "", **changes) -> Coverage:
    """Change a coverage: its payer, order, member id, subscriber or dates."""
    changes = _tidy(changes)
    coverage = _locked_coverage(coverage.pk)
    old_payer = coverage.payer_id
    changed = []
    for name, value in changes.items():
        if name == "member_id":
            if value != coverage.member_id:
                changed.append(name)
                coverage.set_member_id(value)
            continue
        if getattr(coverage, name) != value:
            changed.append(name)
            setattr(coverage, name, value)
    _check(coverage, payer_changed=coverage.payer_id != old_payer)
    if changed:
        coverage.save()
        _log(actor, coverage, UPDATE, ip_address, ("changed: " + ", ".join(changed))[:200])
    return coverage


@transaction.atomic
def end_coverage(*, actor, coverage: Coverage, end_date: dt.date, ip_address: str = "") -> Coverage:
    """Close a coverage: ``end_date`` is its last covered day."""
    if end_date is None:
        raise errors.invalid("Enter the last day the coverage pays for.", "end_date")
    coverage = _locked_coverage(coverage.pk)
    if end_date < coverage.effective_date:
        raise errors.invalid(
            f"The end date cannot be before the effective date "
            f"({coverage.effective_date:%m/%d/%Y}).",
            "end_date",
        )
    if coverage.end_date is not None and coverage.end_date < end_date:
        raise DomainError(
            errors.INVALID,
            f"This coverage already ended on {coverage.end_date:%m/%d/%Y}; "
            "to extend it, edit its end date.",
            "end_date",
            status=422,
        )
    coverage.end_date = end_date
    coverage.save(update_fields=["end_date"])
    _log(actor, coverage, UPDATE, ip_address, f"ended on {end_date:%Y-%m-%d}")
    return coverage
