"""One application error for every domain: a code, a plain message, the field it concerns.

Services raise DomainError; the API turns it into ``{"detail", "code", "field"}``
with a 4xx status, and pages show it as the form's error.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, field: str | None = None, *, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status

    def as_dict(self) -> dict:
        return {"detail": self.message, "code": self.code, "field": self.field}


# core's own codes
INVALID_CREDENTIALS = "invalid_credentials"
LOCKED_OUT = "locked_out"
NOT_AUTHENTICATED = "not_authenticated"
PERMISSION_DENIED = "permission_denied"
NOT_FOUND = "not_found"
INVALID = "invalid"
