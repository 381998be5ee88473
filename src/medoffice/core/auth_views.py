"""Signing in and out, two-factor, and the users-and-roles list."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth import views as django_auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from medoffice.core.models import User


class SignInView(django_auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@require_POST
def sign_out(request):
    logout(request)
    return redirect("login")


@login_required
def two_factor_verify(request):
    return render(request, "registration/two_factor_verify.html", {})


@login_required
def two_factor_setup(request):
    return render(request, "registration/two_factor_setup.html", {})


@permission_required("core.view_user", raise_exception=True)
def user_list(request):
    users = User.objects.prefetch_related("groups").order_by("last_name", "first_name")
    return render(request, "core/user_list.html", {"users": users})
