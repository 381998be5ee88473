"""The API's front door: tokens for a name and password, one error shape, no 500 for bad input."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PASSWORD


def post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_token_then_bearer_calls(client, make_user, location):
    user = make_user("front_desk", username="maria")
    got = post_json(client, "/api/v1/auth/token", {"username": "maria", "password": PASSWORD})
    assert got.status_code == 200
    token = got.json()["token"]

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == user.username
    assert me.json()["roles"] == ["front_desk"]

    locs = client.get("/api/v1/locations", headers={"Authorization": f"Bearer {token}"}).json()
    assert [loc["name"] for loc in locs] == ["Main"]
    assert locs[0]["time_zone"] == "America/Chicago"


@pytest.mark.django_db
def test_wrong_password_and_unknown_user_read_the_same(client, make_user):
    make_user(username="maria")
    wrong = post_json(client, "/api/v1/auth/token", {"username": "maria", "password": "nope"})
    unknown = post_json(client, "/api/v1/auth/token", {"username": "ghost", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


@pytest.mark.django_db
def test_repeated_failures_lock_the_token_endpoint(client, make_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    make_user(username="maria")
    for _ in range(3):
        post_json(client, "/api/v1/auth/token", {"username": "maria", "password": "nope"})
    locked = post_json(client, "/api/v1/auth/token", {"username": "maria", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"


@pytest.mark.django_db
def test_no_token_bad_token_and_revoked_token_get_401(client, make_user):
    from medoffice.core.services.tokens import create_token, revoke_token

    assert client.get("/api/v1/me").json()["code"] == "not_authenticated"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    key = create_token(user=make_user())
    revoke_token(key=key)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401


@pytest.mark.django_db
def test_expired_token_is_refused(client, make_user):
    from medoffice.core.models import ApiToken
    from medoffice.core.services.tokens import create_token

    key = create_token(user=make_user())
    ApiToken.objects.update(expires_at="2020-01-01T00:00:00Z")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401


@pytest.mark.django_db
def test_session_sign_in_also_works(client_as):
    assert client_as("biller").get("/api/v1/me").json()["roles"] == ["biller"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [{}, {"username": "maria"}, {"username": 5, "password": ["x"]}, "not json at all"],
)
def test_malformed_body_names_the_field(client, body):
    raw = body if isinstance(body, str) else json.dumps(body)
    got = client.post("/api/v1/auth/token", data=raw, content_type="application/json")
    assert 400 <= got.status_code < 500
    assert set(got.json()) == {"detail", "code", "field"}


@pytest.mark.django_db
def test_missing_password_is_named(client):
    got = post_json(client, "/api/v1/auth/token", {"username": "maria"})
    assert got.json()["field"] == "password"


@pytest.mark.django_db
def test_openapi_schema_is_published(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/auth/token" in schema["paths"]
