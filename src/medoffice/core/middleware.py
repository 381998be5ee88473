"""Request-wide rules: idle sessions end; users who must use two-factor verify first.

Both rules answer in the form the caller can use: a browser page gets a
redirect, an htmx request gets an ``HX-Redirect`` header (so the whole page
moves, not a fragment), and the JSON API gets a 401 in the API's error shape.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.urls import reverse

LAST_SEEN_KEY = "medoffice_last_seen"
# Read (and removed) by the sign-in page, which shows it as a message. The
# messages framework is not set up yet at this point of the middleware chain.
SIGN_IN_NOTICE_KEY = "medoffice_sign_in_notice"

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _is_htmx(request) -> bool:
    # django_htmx's middleware runs later in the chain, so read the header itself.
    return request.headers.get("HX-Request") == "true"


def _api_error(detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code, "field": None}, status=401)


def _send_to(request, url: str) -> HttpResponse:
    """Redirect a page to ``url?next=<this page>``, or tell htmx to load it as a whole page."""
    response = redirect_to_login(request.get_full_path(), url)
    if _is_htmx(request):
        htmx = HttpResponse(status=204)
        htmx["HX-Redirect"] = response["Location"]
        return htmx
    return response


class IdleTimeoutMiddleware:
    """Sign out a user whose last request was longer ago than IDLE_TIMEOUT_MINUTES."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_SEEN_KEY)
            minutes = settings.IDLE_TIMEOUT_MINUTES
            if last is not None and now - float(last) > minutes * 60:
                logout(request)
                notice = f"You were signed out after {minutes} minutes without activity."
                if _is_api(request):
                    if "Authorization" in request.headers:
                        # A token call: the stale browser session is gone; the token decides.
                        return self.get_response(request)
                    return _api_error(f"{notice} Sign in again.", "session_expired")
                request.session[SIGN_IN_NOTICE_KEY] = notice
                return _send_to(request, reverse(settings.LOGIN_URL))
            request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """A user with two-factor turned on sees nothing until a one-time code is verified.

    Only signing in and out, the two-factor pages themselves and static files
    are open before that.
    """

    OPEN_URL_NAMES = ("login", "logout", "two_factor_verify", "two_factor_setup")

    def __init__(self, get_response):
        self.get_response = get_response

    def _is_open(self, request) -> bool:
        if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return True
        return request.path in {reverse(name) for name in self.OPEN_URL_NAMES}

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "require_two_factor", False)
            and not user.is_verified()
            and not self._is_open(request)
        ):
            if _is_api(request):
                # Even with a token header: the API may also accept the session,
                # and an unverified session must not reach it.
                return _api_error(
                    "Enter the code from your authenticator app in the browser first.",
                    "two_factor_required",
                )
            return _send_to(request, reverse("two_factor_verify"))
        return self.get_response(request)


class LocationTimeZoneMiddleware:
    """Show times in the signed-in user's office time zone (their home location's).

    Data stays in UTC; only display and form input use the activated zone.
    Users without a home location see the practice's first active location's zone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import timezone

        zone = _zone_for(request.user) if request.user.is_authenticated else None
        # override() puts back whatever zone was active before (none, in a server).
        with timezone.override(zone):
            return self.get_response(request)


def _zone_for(user):
    from medoffice.core.models import Location

    location = user.home_location
    return location.zone_or_none if location is not None else Location.practice_zone()
