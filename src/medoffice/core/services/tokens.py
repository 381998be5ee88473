"""API tokens: issued for a user name and password, looked up by their hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone

from medoffice.core import errors
from medoffice.core.errors import DomainError
from medoffice.core.lockout import LOCKED_MESSAGE
from medoffice.core.models import ApiToken, User


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(*, request, username: str, password: str, label: str = "") -> str:
    """Check the credentials (throttled like the login page) and return a new token's key.

    The key is shown once; only its hash is kept. Not atomic on purpose: the
    failed-attempt record that throttling relies on must survive the refusal.
    """
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise DomainError(
            errors.LOCKED_OUT,
            LOCKED_MESSAGE,
            status=429,
        )
    if user is None:
        raise DomainError(
            errors.INVALID_CREDENTIALS,
            "That user name and password do not match an active account.",
            status=401,
        )
    if user.require_two_factor:
        raise DomainError(
            errors.PERMISSION_DENIED,
            "This account uses two-factor sign-in; ask an administrator for an API token.",
            status=403,
        )
    return create_token(user=user, label=label)


def create_token(*, user: User, label: str = "", hours: int | None = None) -> str:
    key = secrets.token_urlsafe(32)
    lifetime = timedelta(hours=hours or settings.API_TOKEN_HOURS)
    ApiToken.objects.create(
        user=user, key_hash=_digest(key), label=label[:80], expires_at=timezone.now() + lifetime
    )
    return key


def user_for_token(key: str) -> User | None:
    """The active user a live token belongs to, or None."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_digest(key), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def revoke_token(*, key: str) -> bool:
    return bool(
        ApiToken.objects.filter(key_hash=_digest(key), revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )
