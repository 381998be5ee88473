"""What every billing handler needs: the caller, their permission, rows by id, a page of a
list, the access log."""

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


# Which page of a list a query asks for: ``limit`` rows (1 to 500) from row ``offset`` (0 the
# first); a query schema names them ``limit: Limit = 100`` and ``offset: Offset = 0``.
Limit = Annotated[int, Field(ge=1, le=500)]
Offset = Annotated[int, Field(ge=0, le=10_000_000)]


def page(rows, query):
    """The rows of the page ``query`` (its ``limit`` and ``offset``) asks for; a queryset stays
    one query (LIMIT/OFFSET)."""
    return rows[query.offset : query.offset + query.limit]


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


def log_row(request, row, *, action: str, object_type: str) -> None:
    """Log a read or write of ``row``, a record of one patient (it has ``patient_id``)."""
    log_access(
        request,
        patient_id=row.patient_id,
        action=action,
        object_type=object_type,
        object_id=row.pk,
    )
