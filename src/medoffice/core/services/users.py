"""Every change to who may sign in and what they may do: users, roles, lockouts, two-factor.

Each function records who did what to whom on the ``medoffice.security``
logger. (The PHI access log is only for patient data.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from axes.utils import reset as axes_reset
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from medoffice.core import errors
from medoffice.core.errors import DomainError
from medoffice.core.models import Location, User
from medoffice.core.roles import ADMIN, ROLES

security_log = logging.getLogger("medoffice.security")


def _check_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise DomainError(errors.INVALID, f"There is no role called {', '.join(unknown)}.", "roles")
    return roles


def _set_role_groups(user: User, roles: list[str]) -> None:
    """Give the user exactly these roles; groups that are not roles stay as they are."""
    role_names = {r.name for r in ROLES.values()}
    wanted = list(Group.objects.filter(name__in=[ROLES[r].name for r in roles]))
    others = [g for g in user.groups.all() if g.name not in role_names]
    user.groups.set(others + wanted)
    # Administrators also run the Django admin site.
    user.is_staff = ADMIN in roles or user.is_superuser
    user.save(update_fields=["is_staff"])


def _check_may_manage(actor: User, user: User) -> None:
    if user.is_superuser and not actor.is_superuser:
        raise DomainError(
            errors.PERMISSION_DENIED,
            "Only a superuser can change a superuser's account.",
            status=403,
        )


def username_taken(username: str, *, exclude: User | None = None) -> bool:
    qs = User.objects.filter(username__iexact=username)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.exists()


@transaction.atomic
def create_user(
    *,
    actor: User,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    roles: Iterable[str] = (),
    home_location: Location | None = None,
    require_two_factor: bool = False,
) -> User:
    """Add a person who can sign in, holding the given roles."""
    roles = _check_roles(roles)
    if username_taken(username):
        raise DomainError(
            errors.INVALID, "That user name is already taken. Choose another.", "username"
        )
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        home_location=home_location,
        require_two_factor=require_two_factor,
    )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(errors.INVALID, " ".join(exc.messages), "password1") from exc
    user.set_password(password)
    user.save()
    _set_role_groups(user, roles)
    security_log.info(
        "%s created user %s with roles %s%s",
        actor.username,
        user.username,
        ", ".join(roles) or "(none)",
        " and two-factor required" if require_two_factor else "",
    )
    return user


@transaction.atomic
def update_user_roles(*, actor: User, user: User, roles: Iterable[str]) -> User:
    """Set exactly which roles the user holds."""
    _check_may_manage(actor, user)
    roles = _check_roles(roles)
    before = sorted(r for r in ROLES if ROLES[r].name in {g.name for g in user.groups.all()})
    if actor.pk == user.pk and ADMIN in before and ADMIN not in roles:
        raise DomainError(
            errors.INVALID, "You cannot take the administrator role away from yourself.", "roles"
        )
    _set_role_groups(user, roles)
    if before != roles:
        security_log.info(
            "%s changed the roles of %s from %s to %s",
            actor.username,
            user.username,
            ", ".join(before) or "(none)",
            ", ".join(roles) or "(none)",
        )
    return user


@transaction.atomic
def update_user(
    *,
    actor: User,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    is_active: bool,
    home_location: Location | None,
    require_two_factor: bool,
    roles: Iterable[str],
) -> User:
    """Change a user's details, whether they may sign in, and their roles.

    Dropping the two-factor requirement also forgets the user's authenticator app.
    """
    _check_may_manage(actor, user)
    if actor.pk == user.pk and not is_active:
        raise DomainError(errors.INVALID, "You cannot turn off your own account.", "is_active")
    update_user_roles(actor=actor, user=user, roles=roles)
    changes = []
    if user.is_active != is_active:
        changes.append("re-activated" if is_active else "deactivated")
    if user.require_two_factor != require_two_factor:
        changes.append("required two-factor" if require_two_factor else "dropped two-factor")
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.is_active = is_active
    user.home_location = home_location
    user.require_two_factor = require_two_factor
    user.save()
    if not require_two_factor:
        TOTPDevice.objects.filter(user=user).delete()
    security_log.info(
        "%s updated user %s%s",
        actor.username,
        user.username,
        f" ({', '.join(changes)})" if changes else "",
    )
    return user


def unlock_user(*, actor: User, user: User) -> int:
    """Clear failed sign-in attempts so a locked-out user can try again at once."""
    removed = axes_reset(username=user.username)
    security_log.info(
        "%s unlocked sign-in for %s (%d failed attempt records cleared)",
        actor.username,
        user.username,
        removed,
    )
    return removed


@transaction.atomic
def reset_two_factor(*, actor: User, user: User) -> None:
    """Forget the user's authenticator app (lost phone). If two-factor is required,
    the user sets up a new app at the next sign-in."""
    _check_may_manage(actor, user)
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    security_log.info(
        "%s reset two-factor for %s (%d device%s removed)",
        actor.username,
        user.username,
        removed,
        "" if removed == 1 else "s",
    )
