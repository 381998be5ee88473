"""Keep the service list and the payers' contracted amounts, one row at a time.

The CSV import (:mod:`.fee_import`) reads the same rules from here, so a row is
judged the same whether it is typed in a form or read from a file.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from medoffice.billing import codes
from medoffice.billing.errors import FEE_OVERLAP, FieldErrors
from medoffice.billing.models import PayerFee, Service
from medoffice.patients.models import Payer

DESCRIPTION_MAX = 80
MAX_RVUS = Decimal("99999.99")


def clean_service_fields(
    *,
    code: str,
    modifiers,
    description: str,
    standard_charge,
    rvus=None,
) -> tuple[dict, dict[str, list[str]]]:
    """The service's values normalised, and the problems found, by field name."""
    problems: dict[str, list[str]] = {}
    values: dict = {}

    def check(field, fn):
        try:
            values[field] = fn()
        except ValueError as exc:
            problems.setdefault(field, []).append(str(exc))

    check("code", lambda: codes.parse_procedure_code(code))
    check("modifiers", lambda: codes.join_modifiers(codes.parse_modifiers(modifiers)))
    desc = " ".join((description or "").split())
    if not desc:
        problems["description"] = ["Enter a short description in the office's own words."]
    elif len(desc) > DESCRIPTION_MAX:
        problems["description"] = [f"Keep the description to {DESCRIPTION_MAX} characters."]
    values["description"] = desc
    check("standard_charge", lambda: codes.parse_money(standard_charge, label="standard charge"))
    if rvus in (None, ""):
        values["rvus"] = None
    else:
        check("rvus", lambda: _rvus(rvus))
    return values, problems


def _rvus(raw) -> Decimal:
    value = codes.parse_money(raw, label="RVUs")
    if value > MAX_RVUS:
        raise ValueError("The RVUs are too large.")
    return value


@transaction.atomic
def save_service(
    *,
    code: str,
    modifiers="",
    description: str,
    standard_charge,
    rvus=None,
    active: bool = True,
    service: Service | None = None,
) -> Service:
    """Add a service to the list (``service`` None) or change one; field errors on bad input."""
    values, problems = clean_service_fields(
        code=code,
        modifiers=modifiers,
        description=description,
        standard_charge=standard_charge,
        rvus=rvus,
    )
    if not problems:
        clash = Service.objects.filter(code=values["code"], modifiers=values["modifiers"])
        if service is not None:
            clash = clash.exclude(pk=service.pk)
        if clash.exists():
            problems["code"] = ["The service list already has this code with these modifiers."]
    if problems:
        raise FieldErrors(problems)
    target = service or Service()
    for name, value in values.items():
        setattr(target, name, value)
    target.active = active
    target.save()
    return target


def fee_overlap(
    *,
    payer_id: int,
    service_id: int,
    start: dt.date,
    end: dt.date | None,
    exclude_pk: int | None = None,
) -> PayerFee | None:
    """The first existing contracted amount whose dates overlap ``start``–``end``, if any."""
    qs = PayerFee.objects.filter(payer_id=payer_id, service_id=service_id).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start)
    )
    if end is not None:
        qs = qs.filter(effective_date__lte=end)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("effective_date").first()


@transaction.atomic
def set_payer_fee(
    *,
    payer: Payer,
    service: Service,
    allowed_amount,
    effective_date: dt.date,
    end_date: dt.date | None = None,
    fee: PayerFee | None = None,
) -> PayerFee:
    """Record (or change) what ``payer`` allows for ``service`` over a date range."""
    problems: dict[str, list[str]] = {}
    try:
        amount = codes.parse_money(allowed_amount, label="allowed amount")
    except ValueError as exc:
        problems["allowed_amount"] = [str(exc)]
    if payer.kind == Payer.SELF_PAY:
        problems["payer"] = ["Self-pay has no contract: its price is the standard charge."]
    if effective_date is None:
        problems["effective_date"] = ["Enter the date the amount starts."]
    elif end_date is not None and end_date < effective_date:
        problems["end_date"] = ["The end date cannot be before the effective date."]
    if problems:
        raise FieldErrors(problems)
    # Lock the payer so two writers of the same payer's fees queue (PostgreSQL).
    Payer.objects.select_for_update().filter(pk=payer.pk).first()
    clash = fee_overlap(
        payer_id=payer.pk,
        service_id=service.pk,
        start=effective_date,
        end=end_date,
        exclude_pk=fee.pk if fee else None,
    )
    if clash is not None:
        until = clash.end_date.isoformat() if clash.end_date else "open-ended"
        raise FieldErrors(
            {
                "effective_date": [
                    f"{payer} already has an amount for {service.label} from "
                    f"{clash.effective_date.isoformat()} to {until}; end that one first."
                ]
            },
            code=FEE_OVERLAP,
        )
    target = fee or PayerFee()
    target.payer = payer
    target.service = service
    target.allowed_amount = amount
    target.effective_date = effective_date
    target.end_date = end_date
    target.save()
    return target


@transaction.atomic
def end_payer_fee(*, fee: PayerFee, end_date: dt.date) -> PayerFee:
    if end_date < fee.effective_date:
        raise FieldErrors({"end_date": ["The end date cannot be before the effective date."]})
    fee.end_date = end_date
    fee.save(update_fields=["end_date"])
    return fee
