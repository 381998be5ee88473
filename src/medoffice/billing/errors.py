"""The billing app's error codes, and the one error that carries every field's problem.

Services raise :class:`FieldErrors` (a :class:`DomainError`, status 422) when
what was entered breaks a rule: ``field``/``message`` are the first problem
(what the API returns), ``errors`` holds every field's problems so a page can
show each on its own field. Field names of a charge line are ``lines.<n>.<field>``
(n counting from 1), of a diagnosis ``diagnoses.<n>``.
"""

from __future__ import annotations

from medoffice.core.errors import INVALID, NOT_FOUND, PERMISSION_DENIED, DomainError

__all__ = [
    "ALREADY_BILLED",
    "BAD_TRANSITION",
    "FEE_OVERLAP",
    "IMPORT_REJECTED",
    "INVALID",
    "INVALID_DIAGNOSIS",
    "INVALID_MODIFIER",
    "INVALID_POINTER",
    "NOT_CHECKED_OUT",
    "NOT_FOUND",
    "NO_COVERAGE",
    "PERMISSION_DENIED",
    "UNKNOWN_CODE",
    "FieldErrors",
    "invalid",
    "not_found",
]

UNKNOWN_CODE = "unknown_code"
INVALID_MODIFIER = "invalid_modifier"
INVALID_DIAGNOSIS = "invalid_diagnosis"
INVALID_POINTER = "invalid_pointer"
FEE_OVERLAP = "fee_overlap"
IMPORT_REJECTED = "import_rejected"
NOT_CHECKED_OUT = "not_checked_out"
ALREADY_BILLED = "already_billed"
NO_COVERAGE = "no_coverage"
BAD_TRANSITION = "bad_transition"

VALIDATION_STATUS = 422


class FieldErrors(DomainError):
    """One or more fields hold something the office's rules refuse."""

    def __init__(self, errors: dict[str | None, list[str]], *, code: str = INVALID):
        errors = {k: list(v) for k, v in errors.items() if v}
        field, messages = next(iter(errors.items()))
        super().__init__(code, messages[0], field, status=VALIDATION_STATUS)
        self.errors = errors


def invalid(message: str, field: str | None, *, code: str = INVALID) -> FieldErrors:
    return FieldErrors({field: [message]}, code=code)


def not_found(what: str, pk) -> DomainError:
    return DomainError(NOT_FOUND, f"There is no {what} {pk}.", None, status=404)
