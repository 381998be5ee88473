"""Signing in and out, two-factor, and the users-and-roles pages."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

import django_otp
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as django_auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from medoffice.core.auth_forms import (
    CodeForm,
    SignInForm,
    UserCreateForm,
    UserEditForm,
    UserSearchForm,
)
from medoffice.core.errors import DomainError
from medoffice.core.middleware import LAST_SEEN_KEY, SIGN_IN_NOTICE_KEY
from medoffice.core.models import User
from medoffice.core.roles import ROLES
from medoffice.core.services import two_factor, users

security_log = logging.getLogger("medoffice.security")

PAGE_SIZE = 25
WRONG_CODE = "That code is not right or has expired. Try the newest code in your app."


# --- signing in and out -------------------------------------------------------------


class SignInView(django_auth_views.LoginView):
    """Django's LoginView: it passes the request to authenticate(), which django-axes needs."""

    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get(self, request, *args, **kwargs):
        notice = request.session.pop(SIGN_IN_NOTICE_KEY, None)
        if notice:
            messages.info(request, notice)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session[LAST_SEEN_KEY] = time.time()
        security_log.info("%s signed in", form.get_user().username)
        return response


@require_POST
def sign_out(request):
    if request.user.is_authenticated:
        security_log.info("%s signed out", request.user.username)
    logout(request)
    messages.success(request, "You are signed out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


# --- two-factor ---------------------------------------------------------------------


def _next_url(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _code_error(result: two_factor.CodeCheck) -> str:
    if result.throttled:
        return (
            f"Too many wrong codes in a row. Wait {result.wait_seconds} seconds, "
            "then try the newest code in your app."
        )
    return WRONG_CODE


def _verified(request, device: TOTPDevice) -> None:
    django_otp.login(request, device)
    request.session.cycle_key()  # a new session id for the now fully signed-in user


@login_required
def two_factor_verify(request):
    """After the password: ask for the code from the user's authenticator app."""
    user, next_url = request.user, _next_url(request)
    if user.is_verified():
        return redirect(next_url)
    device = two_factor.confirmed_device(user)
    if device is None:
        if not user.require_two_factor:
            return redirect(next_url)
        messages.info(request, "Your account needs two-factor sign-in. Set up your app to go on.")
        return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': next_url})}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.check_code(device, form.cleaned_data["code"])
        if result.ok:
            _verified(request, result.device)
            return HttpResponseRedirect(next_url)
        security_log.info("%s entered a wrong two-factor code", user.username)
        form.add_error("code", _code_error(result))
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


@login_required
def two_factor_setup(request):
    """The user's own two-factor page: set up an authenticator app, or turn it off."""
    user = request.user
    device = two_factor.confirmed_device(user)
    form = CodeForm(request.POST or None)
    if device is not None:
        if not user.is_verified():
            return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': request.path})}")
        if request.method == "POST" and form.is_valid():
            result = two_factor.turn_off_two_factor(user=user, code=form.cleaned_data["code"])
            if result.ok:
                messages.success(request, "Two-factor sign-in is off.")
                return redirect("two_factor_setup")
            form.add_error("code", _code_error(result))
        return render(
            request, "registration/two_factor_setup.html", {"enabled": True, "form": form}
        )

    pending = two_factor.pending_device(user)
    if request.method == "POST" and form.is_valid():
        result = two_factor.confirm_two_factor(
            user=user, device=pending, code=form.cleaned_data["code"]
        )
        if result.ok:
            _verified(request, result.device)
            messages.success(
                request,
                "Two-factor sign-in is on. Each time you sign in, enter the code from your app.",
            )
            return HttpResponseRedirect(_next_url(request))
        form.add_error("code", _code_error(result))
    context = {
        "enabled": False,
        "form": form,
        "qr_svg": mark_safe(two_factor.qr_code_svg(pending)),  # noqa: S308 - our own SVG
        "secret": two_factor.secret_for_manual_entry(pending),
        "next": request.GET.get("next") or request.POST.get("next") or "",
    }
    return render(request, "registration/two_factor_setup.html", context)


# --- users and roles ----------------------------------------------------------------


def _locked_out(usernames) -> set[str]:
    """Which of these user names django-axes is holding back right now."""
    attempts = AccessAttempt.objects.filter(
        username__in=list(usernames), failures_since_start__gte=get_failure_limit(None, None)
    )
    cool_off = get_cool_off()
    if cool_off is not None:  # None: locked until an administrator unlocks
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return set(attempts.values_list("username", flat=True))


def _role_slugs(user: User) -> list[str]:
    names = {g.name for g in user.groups.all()}
    return [slug for slug, role in ROLES.items() if role.name in names]


def _search(form: UserSearchForm):
    qs = (
        User.objects.select_related("home_location")
        .prefetch_related("groups")
        .order_by("last_name", "first_name", "username")
    )
    if not form.is_valid():
        return qs
    data = form.cleaned_data
    for word in data["q"].split():
        qs = qs.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
        )
    if data["role"]:
        qs = qs.filter(groups__name=ROLES[data["role"]].name)
    if data["status"]:
        qs = qs.filter(is_active=data["status"] == "active")
    return qs


@permission_required("core.view_user", raise_exception=True)
def user_list(request):
    form = UserSearchForm(request.GET or None)
    page = Paginator(_search(form), PAGE_SIZE).get_page(request.GET.get("page"))
    locked = _locked_out(u.username for u in page.object_list)
    rows = [
        {
            "user": u,
            "roles": [ROLES[s].name for s in _role_slugs(u)],
            "locked": u.username in locked,
        }
        for u in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/user_list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


@permission_required("core.add_user", raise_exception=True)
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = users.create_user(
                actor=request.user,
                username=data["username"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                roles=data["roles"],
                home_location=data["home_location"],
                require_two_factor=data["require_two_factor"],
            )
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, f"{user} can now sign in as {user.username}.")
            return redirect("user_edit", pk=user.pk)
    return render(request, "core/user_form.html", {"form": form, "creating": True})


@permission_required("core.change_user", raise_exception=True)
def user_edit(request, pk: int):
    target = get_object_or_404(User.objects.prefetch_related("groups"), pk=pk)
    initial = {
        "first_name": target.first_name,
        "last_name": target.last_name,
        "email": target.email,
        "is_active": target.is_active,
        "home_location": target.home_location_id,
        "require_two_factor": target.require_two_factor,
        "roles": _role_slugs(target),
    }
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            users.update_user(actor=request.user, user=target, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
            target.refresh_from_db()
        else:
            messages.success(request, f"Saved the changes to {target}.")
            return redirect("user_edit", pk=target.pk)
    failed_tries = AccessAttempt.objects.filter(username=target.username)
    context = {
        "form": form,
        "target": target,
        "creating": False,
        "locked": bool(_locked_out([target.username])),
        "failed_tries": sum(a.failures_since_start for a in failed_tries),
        "has_app": TOTPDevice.objects.filter(user=target, confirmed=True).exists(),
    }
    return render(request, "core/user_form.html", context)


@require_POST
@permission_required("core.change_user", raise_exception=True)
def user_unlock(request, pk: int):
    target = get_object_or_404(User, pk=pk)
    users.unlock_user(actor=request.user, user=target)
    messages.success(request, f"{target} can sign in again.")
    return redirect("user_edit", pk=target.pk)


@require_POST
@permission_required("core.change_user", raise_exception=True)
def user_reset_two_factor(request, pk: int):
    target = get_object_or_404(User, pk=pk)
    try:
        users.reset_two_factor(actor=request.user, user=target)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if target.require_two_factor:
            note = "They will set up their authenticator app again at their next sign-in."
        else:
            note = "Two-factor sign-in is off for them."
        messages.success(request, f"Two-factor for {target} is reset. {note}")
    return redirect("user_edit", pk=target.pk)
