"""What a locked-out sign-in gets (django-axes calls this): the same answer for every user name."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

from medoffice.core import errors

LOCKED_MESSAGE = (
    "Too many failed attempts for this user name from this address; wait and try again."
)


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": LOCKED_MESSAGE, "code": errors.LOCKED_OUT, "field": None}, status=429
        )
    return render(request, "registration/locked_out.html", {}, status=429)
