"""What every page's shell needs: the practice name, the user's roles, the navigation."""

from __future__ import annotations

from medoffice.core.navigation import navigation_for
from medoffice.core.roles import roles_of


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    roles = roles_of(user)
    return {"nav_items": navigation_for(user, request.path), "user_roles": roles}
