"""What every billing page needs: who may open it, paging, refusals shown on forms."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator

from medoffice.billing.forms import PAGE_SIZE
from medoffice.core import roles

RULE_ROLES = frozenset({roles.OFFICE_MANAGER, roles.ADMIN})


def needs(perm: str, doing: str):
    """Let in users holding ``billing.<perm>``; others get 403 saying what they cannot do."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(f"billing.{perm}"):
                raise PermissionDenied(f"Your role cannot {doing}.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def may_set_rules(user) -> bool:
    return user.has_perm("billing.change_scrubrule") and bool(roles.roles_of(user) & RULE_ROLES)


def page_of(request, qs, size: int = PAGE_SIZE):
    page = Paginator(qs, size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def show_refusal(form, exc) -> None:
    """A service's FieldErrors on the form: each named field that the form has, else on top."""
    fields = getattr(exc, "errors", None) or {exc.field: [exc.message]}
    for name, problems in fields.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)
