"""Charge entry: a checked-out visit's diagnoses and procedure lines, checked field by field.

``enter_charges`` makes the charges of a visit; ``update_charges`` replaces
them while no claim for the visit has left the office. Every problem comes
back at once as :class:`FieldErrors`, each under its field's name:
``diagnoses.<n>``, ``lines.<n>.code``, ``lines.<n>.modifiers``,
``lines.<n>.units``, ``lines.<n>.pointers``, ``lines.<n>.charge`` (n counting
from 1), or a header field (``rendering_provider``, ``referring_npi``...).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from medoffice.billing import codes
from medoffice.billing.errors import (
    ALREADY_BILLED,
    INVALID,
    INVALID_DIAGNOSIS,
    INVALID_MODIFIER,
    INVALID_POINTER,
    NOT_CHECKED_OUT,
    UNKNOWN_CODE,
    FieldErrors,
    invalid,
)
from medoffice.billing.models import Charge, ChargeDiagnosis, ChargeLine, Service
from medoffice.billing.services import ledger
from medoffice.scheduling.models import Appointment, Provider

MAX_UNITS = 999
MAX_LINES = 50
POINTER_LETTERS = "ABCDEFGHIJKL"
TELEHEALTH_POS = "10"


@dataclass(frozen=True)
class LineInput:
    """One procedure line as typed: code, modifiers ("25 59"), units, pointers ("1,2" or "AB")."""

    code: str
    modifiers: str | list[str] = ""
    units: int | str = 1
    pointers: str | list[int] = ""
    charge: Decimal | str | None = None  # empty: the fee schedule's charge x units


def parse_pointers(raw, diagnosis_count: int) -> list[int]:
    """ "1,2", "1 2", "AB", [1, 2] -> [1, 2]; refuses a pointer to no diagnosis."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, list | tuple):
        parts = [str(p).strip() for p in raw]
    else:
        text = str(raw).strip().upper()
        parts = list(text) if text.isalpha() else re.split(r"[\s,;]+", text)
    pointers: list[int] = []
    for part in filter(None, parts):
        if part.isdigit():
            value = int(part)
        elif len(part) == 1 and part in POINTER_LETTERS:
            value = POINTER_LETTERS.index(part) + 1
        else:
            raise ValueError(f"“{part}” is not a diagnosis pointer: use 1 to 12 (or A to L).")
        if not 1 <= value <= diagnosis_count:
            if diagnosis_count == 0:
                raise ValueError("This pointer points to no diagnosis: enter the diagnoses first.")
            raise ValueError(
                f"Pointer {value} points to no diagnosis: this visit has "
                f"{diagnosis_count} diagnos{'is' if diagnosis_count == 1 else 'es'}."
            )
        if value in pointers:
            raise ValueError(f"Pointer {value} is listed twice.")
        pointers.append(value)
    if len(pointers) > codes.MAX_POINTERS:
        raise ValueError(f"A line points to at most {codes.MAX_POINTERS} diagnoses.")
    return pointers


def _units(raw) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValueError(f"“{raw}” is not a whole number of units.") from None
    if not 1 <= value <= MAX_UNITS:
        raise ValueError(f"Units are from 1 to {MAX_UNITS}.")
    return value


def find_service(code: str, modifiers: str, services: dict | None = None) -> Service | None:
    """The service-list entry for code+modifiers, else the code's plain entry."""
    if services is not None:
        return services.get((code, modifiers)) or services.get((code, ""))
    found = {
        s.modifiers: s for s in Service.objects.filter(code=code, modifiers__in=[modifiers, ""])
    }
    return found.get(modifiers) or found.get("")


@dataclass
class _Checked:
    diagnoses: list[str]
    lines: list[dict]


def _check(diagnoses: list[str], lines: list[LineInput]) -> _Checked:
    problems: dict[str, list[str]] = {}
    first_code: str | None = None

    def refuse(field: str, message: str, code: str) -> None:
        nonlocal first_code
        problems.setdefault(field, []).append(message)
        first_code = first_code or code

    clean_dx: list[str] = []
    typed_dx = [d for d in diagnoses if str(d).strip()]
    if len(typed_dx) > codes.MAX_DIAGNOSES:
        refuse(
            "diagnoses",
            f"A claim holds at most {codes.MAX_DIAGNOSES} diagnoses.",
            INVALID_DIAGNOSIS,
        )
    for n, raw in enumerate(typed_dx[: codes.MAX_DIAGNOSES], start=1):
        try:
            code = codes.parse_diagnosis(str(raw))
        except ValueError as exc:
            refuse(f"diagnoses.{n}", str(exc), INVALID_DIAGNOSIS)
            clean_dx.append(str(raw).strip().upper())
            continue
        if code in clean_dx:
            refuse(
                f"diagnoses.{n}",
                f"{code} is already diagnosis {clean_dx.index(code) + 1}.",
                INVALID_DIAGNOSIS,
            )
        clean_dx.append(code)
    if not lines:
        refuse("lines", "Enter at least one procedure.", UNKNOWN_CODE)
    if len(lines) > MAX_LINES:
        refuse("lines", f"Enter at most {MAX_LINES} procedure lines.", UNKNOWN_CODE)
    codes_typed = set()
    for line in lines:
        with contextlib.suppress(ValueError):
            codes_typed.add(codes.parse_procedure_code(line.code))
    services = {(s.code, s.modifiers): s for s in Service.objects.filter(code__in=codes_typed)}
    clean_lines: list[dict] = []
    for n, line in enumerate(lines, start=1):
        out: dict = {"line_number": n}
        try:
            out["code"] = codes.parse_procedure_code(line.code)
        except ValueError as exc:
            refuse(f"lines.{n}.code", str(exc), UNKNOWN_CODE)
        try:
            out["modifiers"] = codes.join_modifiers(codes.parse_modifiers(line.modifiers))
        except ValueError as exc:
            refuse(f"lines.{n}.modifiers", str(exc), INVALID_MODIFIER)
        try:
            out["units"] = _units(line.units)
        except ValueError as exc:
            refuse(f"lines.{n}.units", str(exc), INVALID)
        try:
            pointers = parse_pointers(line.pointers, len(clean_dx))
            out["diagnosis_pointers"] = ",".join(str(p) for p in pointers)
        except ValueError as exc:
            refuse(f"lines.{n}.pointers", str(exc), INVALID_POINTER)
        if "code" in out and "modifiers" in out:
            service = find_service(out["code"], out["modifiers"], services)
            if service is None:
                refuse(
                    f"lines.{n}.code",
                    f"{out['code']} is not on the practice's service list; add it to the fee "
                    "schedule first.",
                    UNKNOWN_CODE,
                )
            elif not service.active:
                refuse(
                    f"lines.{n}.code",
                    f"{service.label} is no longer offered (inactive).",
                    UNKNOWN_CODE,
                )
            else:
                out["service"] = service
        if line.charge not in (None, ""):
            try:
                out["charge_amount"] = codes.parse_money(line.charge, label="charge")
            except ValueError as exc:
                refuse(f"lines.{n}.charge", str(exc), INVALID)
        elif "service" in out and "units" in out:
            out["charge_amount"] = out["service"].standard_charge * out["units"]
        clean_lines.append(out)
    if problems:
        raise FieldErrors(problems, code=first_code or UNKNOWN_CODE)
    return _Checked(diagnoses=clean_dx, lines=clean_lines)


def _header(
    *,
    appointment: Appointment,
    rendering_provider: Provider | None,
    billing_provider: Provider | None,
    referring_name: str,
    referring_npi: str,
    prior_authorization: str,
    place_of_service: str | None,
) -> dict:
    problems: dict[str, list[str]] = {}
    npi = (referring_npi or "").strip()
    name = " ".join((referring_name or "").split())
    if npi and (len(npi) != 10 or not npi.isdigit()):
        problems["referring_npi"] = ["An NPI has exactly 10 digits."]
    if npi and not name:
        problems["referring_name"] = ["Enter the referring provider's name with their NPI."]
    if name and not npi:
        problems["referring_npi"] = ["Enter the referring provider's NPI."]
    pos = place_of_service
    if pos is None:
        telehealth = appointment.appointment_type.telehealth
        pos = TELEHEALTH_POS if telehealth else appointment.location.place_of_service
    if problems:
        raise FieldErrors(problems)
    return {
        "rendering_provider": rendering_provider or appointment.provider,
        "billing_provider": billing_provider,
        "referring_name": name,
        "referring_npi": npi,
        "prior_authorization": (prior_authorization or "").strip()[:50],
        "place_of_service": pos or "",
    }


def _write_parts(charge: Charge, checked: _Checked) -> None:
    charge.diagnoses.all().delete()
    charge.lines.all().delete()
    ChargeDiagnosis.objects.bulk_create(
        ChargeDiagnosis(charge=charge, position=i, code=code)
        for i, code in enumerate(checked.diagnoses, start=1)
    )
    ChargeLine.objects.bulk_create(ChargeLine(charge=charge, **line) for line in checked.lines)


def date_of_service(appointment: Appointment) -> dt.date:
    return appointment.start.astimezone(appointment.location.zone).date()


@transaction.atomic
def enter_charges(
    *,
    actor,
    appointment: Appointment,
    diagnoses: list[str],
    lines: list[LineInput],
    rendering_provider: Provider | None = None,
    billing_provider: Provider | None = None,
    referring_name: str = "",
    referring_npi: str = "",
    prior_authorization: str = "",
    place_of_service: str | None = None,
) -> Charge:
    """Record what was done at a checked-out visit. One set of charges per visit."""
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("location", "appointment_type", "provider")
        .get(pk=appointment.pk)
    )
    if appointment.status != Appointment.CHECKED_OUT:
        raise invalid(
            "Charges are entered after check-out; this visit is "
            f"{appointment.get_status_display().lower()}.",
            "appointment",
            code=NOT_CHECKED_OUT,
        )
    if Charge.objects.filter(appointment=appointment).exists():
        raise invalid(
            "This visit already has charges; change them instead.",
            "appointment",
            code=ALREADY_BILLED,
        )
    header = _header(
        appointment=appointment,
        rendering_provider=rendering_provider,
        billing_provider=billing_provider,
        referring_name=referring_name,
        referring_npi=referring_npi,
        prior_authorization=prior_authorization,
        place_of_service=place_of_service,
    )
    checked = _check(diagnoses, lines)
    now = timezone.now()
    charge = Charge.objects.create(
        appointment=appointment,
        patient_id=appointment.patient_id,
        location=appointment.location,
        date_of_service=date_of_service(appointment),
        created_by=actor,
        updated_by=actor,
        created_at=now,
        updated_at=now,
        **header,
    )
    _write_parts(charge, checked)
    ledger.post_visit_charges(charge=charge, actor=actor)
    return charge


@transaction.atomic
def update_charges(
    *,
    actor,
    charge: Charge,
    diagnoses: list[str],
    lines: list[LineInput],
    rendering_provider: Provider | None = None,
    billing_provider: Provider | None = None,
    referring_name: str = "",
    referring_npi: str = "",
    prior_authorization: str = "",
    place_of_service: str | None = None,
) -> Charge:
    """Replace a visit's diagnoses and lines; refused once a claim for it has been sent
    (then a replacement claim carries the correction). Unsent claims follow the change."""
    from medoffice.billing.services import claims as claim_services

    charge = Charge.objects.select_for_update().get(pk=charge.pk)
    claim_services.check_charge_editable(charge)
    appointment = charge.appointment
    if appointment is not None:
        header = _header(
            appointment=appointment,
            rendering_provider=rendering_provider,
            billing_provider=billing_provider,
            referring_name=referring_name,
            referring_npi=referring_npi,
            prior_authorization=prior_authorization,
            place_of_service=place_of_service or charge.place_of_service,
        )
        for name, value in header.items():
            setattr(charge, name, value)
    checked = _check(diagnoses, lines)
    charge.updated_by = actor
    charge.updated_at = timezone.now()
    charge.save()
    _write_parts(charge, checked)
    claim_services.refresh_unsent_claims(charge=charge, actor=actor)
    ledger.post_visit_charges(charge=charge, actor=actor)
    return charge
