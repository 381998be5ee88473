"""The API root at /api/v1/: authentication, the one error shape, every app's router."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from medoffice.billing.api import router as billing_router
from medoffice.core import errors
from medoffice.core.api import router as core_router
from medoffice.core.errors import DomainError
from medoffice.core.services.tokens import user_for_token
from medoffice.messaging.api import router as messaging_router
from medoffice.patients.api import router as patients_router
from medoffice.scheduling.api import router as scheduling_router
from medoffice.scheduling.api_flow import router as flow_router
from medoffice.scheduling.api_slots import router as slots_router


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="medoffice API",
    version="1",
    urls_namespace="api-v1",
    auth=[BearerToken(), django_auth],
    docs_url="/docs",
)


def _error(request, status: int, detail: str, code: str, field: str | None = None):
    return api.create_response(
        request, {"detail": detail, "code": code, "field": field}, status=status
    )


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return _error(request, exc.status, exc.message, exc.code, exc.field)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path", "payload")]
    field = ".".join(loc) or None
    message = first.get("msg", "The request is not valid.")
    detail = f"{field}: {message}" if field else message
    return _error(request, 422, detail, errors.INVALID, field)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(
        request,
        401,
        "Sign in first: send 'Authorization: Bearer <token>'.",
        errors.NOT_AUTHENTICATED,
    )


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    code = {403: errors.PERMISSION_DENIED, 404: errors.NOT_FOUND}.get(exc.status_code, "error")
    return _error(request, exc.status_code, str(exc), code)


api.add_router("/", core_router)
api.add_router("/", patients_router)
api.add_router("/", scheduling_router)
api.add_router("/", flow_router)
api.add_router("/", slots_router)
api.add_router("/", messaging_router)
api.add_router("/", billing_router)
