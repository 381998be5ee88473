"""The patients app's error codes, and the one error that carries every field's problem.

Services raise :class:`FieldErrors` when what was entered breaks a rule: its
``field`` and ``message`` are the first problem (what the API returns, with
status 422), and ``errors`` holds them all, so a page can show each one on its
own field.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from medoffice.core.errors import INVALID, NOT_FOUND, PERMISSION_DENIED, DomainError

__all__ = [
    "ALREADY_MERGED",
    "COVERAGE_OVERLAP",
    "FILE_TOO_BIG",
    "FILE_TYPE",
    "INVALID",
    "MERGE_CONFLICT",
    "NOT_FOUND",
    "NOT_MERGED",
    "PERMISSION_DENIED",
    "SELF_PAY_COVERAGE",
    "FieldErrors",
    "from_validation_error",
    "not_found",
]

COVERAGE_OVERLAP = "coverage_overlap"
SELF_PAY_COVERAGE = "self_pay_coverage"
ALREADY_MERGED = "already_merged"
NOT_MERGED = "not_merged"
MERGE_CONFLICT = "merge_conflict"
FILE_TYPE = "file_type"
FILE_TOO_BIG = "file_too_big"

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


def _office_words(model, name: str, error: ValidationError) -> str:
    """Django's generic "This field cannot be blank." said with the field's name."""
    label = str(model._meta.get_field(name).verbose_name) if model is not None else "value"
    if error.code in ("blank", "null", "required"):
        return f"Enter the {label}."
    if error.code == "invalid_choice":
        return f"Choose one of the listed values for {label}."
    if error.code == "max_length" and error.params:
        return f"The {label} is too long: use at most {error.params['limit_value']} characters."
    return error.messages[0]


def from_validation_error(
    exc: ValidationError, *, model=None, order: list[str] | None = None
) -> FieldErrors:
    """Django's ValidationError (from full_clean) as FieldErrors, in the form's field order."""
    if not hasattr(exc, "error_dict"):
        return FieldErrors({None: exc.messages})
    errors: dict[str | None, list[str]] = {}
    for name, problems in exc.error_dict.items():
        key = None if name == NON_FIELD_ERRORS else name
        errors[key] = [_office_words(model, name, p) if key else p.messages[0] for p in problems]
    if order:
        rank = {name: i for i, name in enumerate(order)}
        errors = dict(sorted(errors.items(), key=lambda kv: rank.get(kv[0], len(rank))))
    return FieldErrors(errors)


def not_found(what: str, pk: object) -> DomainError:
    return DomainError(NOT_FOUND, f"There is no {what} with id {pk}.", status=404)
