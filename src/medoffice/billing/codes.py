"""The codes a claim carries, checked and normalised: CPT/HCPCS, modifiers, ICD-10-CM, money.

Pure functions (no database). Each ``parse_*`` returns the normalised value or
raises ``ValueError`` with a sentence an office worker understands; services
turn that into a field error.

ICD-10-CM comes from the ``simple_icd_10_cm`` package (the CMS code set); it is
imported on first use because loading it takes about two seconds.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache

# CPT (5 digits), CPT Category II (4 digits + F) and III (4 digits + T), HCPCS Level II
# (a letter A-V and 4 digits).
PROCEDURE_CODE = re.compile(r"^(?:\d{5}|\d{4}[FT]|[A-V]\d{4})$")
MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
MAX_MODIFIERS = 4
MAX_DIAGNOSES = 12
MAX_POINTERS = 4
MAX_MONEY = Decimal("9999999.99")
_SEPARATORS = re.compile(r"[\s,;:/-]+")


def parse_procedure_code(raw: str) -> str:
    code = (raw or "").strip().upper()
    if not code:
        raise ValueError("Enter the procedure code (CPT or HCPCS).")
    if not PROCEDURE_CODE.match(code):
        raise ValueError(
            f"“{raw.strip()}” is not a CPT or HCPCS code: use 5 digits (99213), "
            "4 digits and F or T (1036F), or a letter and 4 digits (J1100)."
        )
    return code


def parse_modifiers(raw: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """ "25 59", "25,59", ["25", "59"] -> ("25", "59"); at most 4, each 2 letters or digits."""
    if raw is None:
        return ()
    parts = raw if isinstance(raw, list | tuple) else _SEPARATORS.split(raw.strip())
    mods = tuple(str(p).strip().upper() for p in parts if str(p).strip())
    for mod in mods:
        if not MODIFIER.match(mod):
            raise ValueError(f"“{mod}” is not a modifier: a modifier is 2 letters or digits (25).")
    if len(mods) > MAX_MODIFIERS:
        raise ValueError(f"A line takes at most {MAX_MODIFIERS} modifiers.")
    if len(set(mods)) != len(mods):
        raise ValueError("The same modifier is listed twice.")
    return mods


def join_modifiers(mods: tuple[str, ...] | list[str]) -> str:
    """How modifiers are stored: space-separated, in the order given ("25 59")."""
    return " ".join(mods)


def parse_money(raw, *, label: str = "amount") -> Decimal:
    """ "$1,234.5" -> Decimal("1234.50"); refuses negatives, fractions of a cent, absurd sums."""
    text = str(raw if raw is not None else "").strip().replace("$", "").replace(",", "")
    if not text:
        raise ValueError(f"Enter the {label}.")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{raw}” is not an amount of money (e.g. 125.00).") from None
    if not value.is_finite():
        raise ValueError(f"“{raw}” is not an amount of money (e.g. 125.00).")
    if value < 0:
        raise ValueError(f"The {label} cannot be negative.")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"The {label} has more than two decimal places.")
    if value > MAX_MONEY:
        raise ValueError(f"The {label} is too large.")
    return value.quantize(Decimal("0.01"))


@cache
def _icd():
    import warnings

    with warnings.catch_warnings():  # it reads its data with a deprecated importlib API
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

        simple_icd_10_cm.is_valid_item("A00")  # loads the code set now, warnings muted
    return simple_icd_10_cm


def icd_status(raw: str) -> tuple[str, str]:
    """("E11.9", "billable") | (code, "not_billable") | (typed, "invalid"), code with its dot."""
    typed = (raw or "").strip().upper()
    icd = _icd()
    if not typed or not icd.is_valid_item(typed) or icd.is_chapter_or_block(typed):
        return typed, "invalid"
    code = icd.add_dot(typed)
    return code, "billable" if icd.is_leaf(code) else "not_billable"


def parse_diagnosis(raw: str) -> str:
    """A billable ICD-10-CM code, with or without its dot, as "E11.9"; else ValueError."""
    code, status = icd_status(raw)
    if not code:
        raise ValueError("Enter an ICD-10-CM code.")
    if status == "invalid":
        raise ValueError(f"“{raw.strip()}” is not an ICD-10-CM code.")
    if status == "not_billable":
        raise ValueError(
            f"{code} is a category, not a billable code: choose a more specific code under it."
        )
    return code


def diagnosis_description(code: str) -> str:
    icd = _icd()
    return icd.get_description(code) if icd.is_valid_item(code) else ""
