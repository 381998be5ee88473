"""What every billing handler needs: the caller, their permission, rows by id, the access log."""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema

from medoffice.billing import errors
from medoffice.core.audit import log_patient_access
from medoffice.core.errors import DomainError

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Text = Annotated[str, Field(max_length=1000)]


class ErrorOut(Schema):
    detail: str
    code: str
    field: str | None


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def require_perm(request, perm: str, doing: str) -> None:
    if not request.auth.has_perm(perm):
        raise DomainError(errors.PERMISSION_DENIED, f"Your role cannot {doing}.", None, status=403)


def get_or_404(qs, pk: int, what: str):
    found = qs.filter(pk=pk).first()
    if found is None:
        raise errors.not_found(what, pk)
    return found


def find(model, pk: int | None, field: str, what: str):
    """The row named in a body field, or 422 on that field (None stays None)."""
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise errors.invalid(f"There is no {what} with id {pk}.", field, code=errors.NOT_FOUND)
    return found


def log_access(request, *, patient_id: int, action: str, object_type: str, object_id) -> None:
    log_patient_access(
        request,
        patient_id=patient_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
    )
