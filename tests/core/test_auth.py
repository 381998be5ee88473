"""Signing in and out, lockouts, idle timeout and two-factor, as a person at the desk sees them."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from medoffice.core.auth_forms import SIGN_IN_FAILED
from medoffice.core.auth_views import WRONG_CODE
from medoffice.core.middleware import LAST_SEEN_KEY
from medoffice.core.models import User
from tests.conftest import PASSWORD

LOCKED_OUT_TEXT = "Signing in is paused"


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def normalised(response, *typed: str) -> str:
    """The page with what differs by design taken out: CSRF tokens and the typed user name."""
    text = response.content.decode()
    text = re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', r"\1TOKEN", text)
    for value in typed:
        text = text.replace(value, "TYPED")
    return text


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the person's authenticator app shows (now, or ``steps_ahead`` periods later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    valid = {code_for(device, n) for n in (-2, -1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


@pytest.fixture
def two_factor_user(make_user):
    user = make_user("front_desk", require_two_factor=True)
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return user, device


# --- password sign-in -----------------------------------------------------------------


def test_sign_in_with_the_right_password_opens_the_home_page(client, make_user):
    user = make_user("front_desk")

    response = sign_in(client, user.username)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_sign_in_follows_next_but_never_to_another_site(client, make_user):
    user = make_user("auditor")

    to_log = client.post(
        reverse("login"),
        {"username": user.username, "password": PASSWORD, "next": reverse("audit_log")},
    )
    client.logout()
    elsewhere = client.post(
        reverse("login"),
        {"username": user.username, "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert to_log["Location"] == reverse("audit_log")
    assert elsewhere["Location"] == reverse("home")


def test_failed_sign_in_never_says_whether_user_name_or_password_was_wrong(client, make_user):
    user = make_user("biller")
    make_user("biller", username="gone", is_active=False)

    wrong_password = sign_in(client, user.username, "not-the-password-1")
    unknown_user = sign_in(client, "nobody-here", PASSWORD)
    inactive_user = sign_in(client, "gone", PASSWORD)

    for response in (wrong_password, unknown_user, inactive_user):
        assert response.status_code == 200
        assert SIGN_IN_FAILED in response.content.decode()
        assert "_auth_user_id" not in client.session
    assert normalised(wrong_password, user.username) == normalised(unknown_user, "nobody-here")
    assert normalised(inactive_user, "gone") == normalised(unknown_user, "nobody-here")


def test_empty_sign_in_form_asks_for_both_fields(client, db):
    response = client.post(reverse("login"), {"username": "", "password": ""})

    page = response.content.decode()
    assert "Enter your user name." in page
    assert "Enter your password." in page


def test_passwords_are_stored_with_argon2(make_user):
    user = make_user("front_desk")

    assert user.password.startswith("argon2")
    assert PASSWORD not in user.password


def test_sign_out_takes_a_post_and_ends_the_session(client, make_user):
    user = make_user("front_desk")
    sign_in(client, user.username)

    refused = client.get(reverse("logout"))
    response = client.post(reverse("logout"), follow=True)

    assert refused.status_code == 405
    assert "You are signed out." in response.content.decode()
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


# --- lockout after repeated failures --------------------------------------------------


@pytest.fixture
def three_tries(settings):
    settings.AXES_FAILURE_LIMIT = 3


def test_repeated_failures_pause_signing_in_even_with_the_right_password(
    client, make_user, three_tries
):
    user = make_user("front_desk")

    first = [sign_in(client, user.username, "wrong-guess-1") for _ in range(2)]
    third = sign_in(client, user.username, "wrong-guess-1")
    right_password = sign_in(client, user.username, PASSWORD)

    assert all(SIGN_IN_FAILED in r.content.decode() for r in first)
    assert third.status_code == 429  # Too Many Requests
    assert LOCKED_OUT_TEXT in third.content.decode()
    assert right_password.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_looks_the_same_for_a_user_name_that_does_not_exist(client, make_user, three_tries):
    user = make_user("front_desk")

    for _ in range(3):
        known = sign_in(client, user.username, "wrong-guess-1")
        unknown = sign_in(client, "no-such-person", "wrong-guess-1")

    assert known.status_code == unknown.status_code == 429
    assert normalised(known, user.username) == normalised(unknown, "no-such-person")
    assert user.username not in known.content.decode()


def test_lockout_of_one_user_name_leaves_others_signing_in(client, make_user, three_tries):
    locked, other = make_user("front_desk"), make_user("front_desk")
    for _ in range(3):
        sign_in(client, locked.username, "wrong-guess-1")

    response = sign_in(client, other.username)

    assert response.status_code == 302


# --- idle timeout ---------------------------------------------------------------------


def go_idle(client, minutes: float) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = time.time() - minutes * 60
    session.save()


def test_idle_session_is_signed_out_with_a_message(client_as):
    client = client_as("front_desk")
    assert client.get(reverse("home")).status_code == 200

    go_idle(client, 16)
    response = client.get(reverse("home"))
    login_page = client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"
    assert "signed out after 15 minutes without activity" in login_page.content.decode()
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_idle_limit_comes_from_settings(client_as, settings):
    settings.IDLE_TIMEOUT_MINUTES = 5
    client = client_as("front_desk")
    client.get(reverse("home"))

    go_idle(client, 4)
    still_in = client.get(reverse("home"))
    go_idle(client, 6)
    signed_out = client.get(reverse("home"), follow=True)

    assert still_in.status_code == 200
    assert "signed out after 5 minutes without activity" in signed_out.content.decode()


def test_idle_htmx_request_moves_the_whole_page_to_sign_in(client_as):
    client = client_as("front_desk")
    client.get(reverse("home"))
    go_idle(client, 16)

    response = client.get(reverse("home"), headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{reverse('login')}?next=/"


def test_idle_api_call_gets_a_401_in_the_api_error_shape(client_as):
    client = client_as("front_desk")
    client.get(reverse("home"))
    go_idle(client, 16)

    response = client.get("/api/v1/patients")

    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"
    assert "without activity" in response.json()["detail"]


# --- two-factor -----------------------------------------------------------------------


def test_user_with_two_factor_must_enter_a_code_before_anything_else(client, two_factor_user):
    user, device = two_factor_user
    sign_in(client, user.username)

    home = client.get(reverse("home"))
    verify_page = client.get(home["Location"])

    assert home["Location"] == f"{reverse('two_factor_verify')}?next=/"
    assert "Enter your code" in verify_page.content.decode()
    assert client.get("/admin/")["Location"].startswith(reverse("two_factor_verify"))
    assert client.get("/api/v1/patients").status_code == 401


def test_right_code_lets_the_user_in(client, two_factor_user, settings):
    user, device = two_factor_user
    sign_in(client, user.username)

    response = client.post(
        reverse("two_factor_verify"), {"code": code_for(device), "next": reverse("home")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_wrong_code_is_refused_in_plain_words(client, two_factor_user):
    user, device = two_factor_user
    sign_in(client, user.username)

    response = client.post(reverse("two_factor_verify"), {"code": wrong_code_for(device)})

    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()
    assert client.get(reverse("home"))["Location"].startswith(reverse("two_factor_verify"))


def test_code_that_is_not_six_digits_says_so(client, two_factor_user):
    user, _ = two_factor_user
    sign_in(client, user.username)

    response = client.post(reverse("two_factor_verify"), {"code": "12ab"})

    assert "The code is 6 digits" in response.content.decode()


def test_wrong_codes_make_the_next_try_wait(client, two_factor_user, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    user, device = two_factor_user
    sign_in(client, user.username)

    client.post(reverse("two_factor_verify"), {"code": wrong_code_for(device)})
    right_but_too_soon = client.post(reverse("two_factor_verify"), {"code": code_for(device)})

    assert "Too many wrong codes in a row" in right_but_too_soon.content.decode()
    assert client.get(reverse("home"))["Location"].startswith(reverse("two_factor_verify"))


def test_setting_up_two_factor_then_signing_in_with_it(client, make_user):
    user = make_user("biller")
    sign_in(client, user.username)

    page = client.get(reverse("two_factor_setup")).content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    turned_on = client.post(reverse("two_factor_setup"), {"code": code_for(device)}, follow=True)
    client.post(reverse("logout"))
    sign_in(client, user.username)
    asked = client.get(reverse("home"))
    client.post(reverse("two_factor_verify"), {"code": code_for(device, 1)})

    assert "<svg" in page
    assert re.search(r"<code>[A-Z2-7 ]{16,}</code>", page)
    assert "Two-factor sign-in is on" in turned_on.content.decode()
    user.refresh_from_db()
    assert user.require_two_factor
    assert asked["Location"].startswith(reverse("two_factor_verify"))
    assert client.get(reverse("home")).status_code == 200


def test_the_setup_key_stays_the_same_until_confirmed(client_as):
    client = client_as("biller")

    first = client.get(reverse("two_factor_setup")).content.decode()
    second = client.get(reverse("two_factor_setup")).content.decode()

    key = re.search(r"<code>([A-Z2-7 ]+)</code>", first).group(1)
    assert key in second
    assert TOTPDevice.objects.filter(user=client.user).count() == 1


def test_wrong_first_code_leaves_two_factor_off(client_as):
    client = client_as("biller")
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=client.user)

    response = client.post(reverse("two_factor_setup"), {"code": wrong_code_for(device)})

    assert WRONG_CODE in response.content.decode()
    assert not User.objects.get(pk=client.user.pk).require_two_factor


def test_turning_two_factor_off_needs_a_current_code(client, two_factor_user):
    user, device = two_factor_user
    sign_in(client, user.username)
    client.post(reverse("two_factor_verify"), {"code": code_for(device)})

    refused = client.post(reverse("two_factor_setup"), {"code": wrong_code_for(device)})
    user.refresh_from_db()
    still_on = user.require_two_factor
    device.throttle_reset()
    turned_off = client.post(reverse("two_factor_setup"), {"code": code_for(device, 1)})

    assert WRONG_CODE in refused.content.decode()
    assert still_on
    assert turned_off.status_code == 302
    user.refresh_from_db()
    assert not user.require_two_factor
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_required_two_factor_without_an_app_leads_to_setup(client, make_user):
    user = make_user("front_desk", require_two_factor=True)
    sign_in(client, user.username)

    to_verify = client.get(reverse("home"))
    to_setup = client.get(to_verify["Location"])
    setup_page = client.get(to_setup["Location"])

    assert to_setup["Location"].startswith(reverse("two_factor_setup"))
    assert "Your account needs two-factor sign-in" in setup_page.content.decode()
    assert "<svg" in setup_page.content.decode()
