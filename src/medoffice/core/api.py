"""API: sign in for a token, who am I, the practice's locations."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from medoffice.core.models import Location
from medoffice.core.roles import roles_of
from medoffice.core.services.tokens import issue_token

router = Router(tags=["core"])


class TokenIn(Schema):
    username: str
    password: str
    label: str = ""


class TokenOut(Schema):
    token: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    roles: list[str]


class LocationOut(Schema):
    id: int
    name: str
    address1: str
    city: str
    state: str
    zip: str
    phone: str
    time_zone: str
    place_of_service: str


@router.post(
    "/auth/token",
    response=TokenOut,
    auth=None,
    summary="Exchange a user name and password for a bearer token",
)
def token(request: HttpRequest, payload: TokenIn):
    return {
        "token": issue_token(
            request=request,
            username=payload.username,
            password=payload.password,
            label=payload.label,
        )
    }


@router.get("/me", response=MeOut, summary="The signed-in user and their roles")
def me(request: HttpRequest):
    user = request.auth
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.get_full_name() or user.username,
        "roles": sorted(roles_of(user)),
    }


@router.get("/locations", response=list[LocationOut], summary="The practice's active locations")
def locations(request: HttpRequest):
    return list(Location.objects.filter(active=True).order_by("name"))
