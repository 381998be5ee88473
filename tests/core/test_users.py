"""Users and roles: who may manage them, what the pages do, and what each role may see."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from medoffice.core.audit import record_access
from medoffice.core.models import User
from medoffice.core.roles import ROLES, _matches, role_group, roles_of
from tests.conftest import PASSWORD

NEW_PASSWORD = "Blue-kettle-river-42"


def new_user_form(location=None, **overrides) -> dict:
    data = {
        "first_name": "Maria",
        "last_name": "Lopez",
        "username": "mlopez",
        "email": "maria@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "roles": ["front_desk", "biller"],
        "home_location": location.pk if location else "",
    }
    data.update(overrides)
    return data


def edit_form(user: User, **overrides) -> dict:
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "roles": sorted(roles_of(user)),
        "home_location": user.home_location_id or "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


# --- who may manage users -------------------------------------------------------------


@pytest.mark.parametrize("role", ["front_desk", "medical_assistant", "biller", "provider"])
def test_roles_other_than_admin_cannot_open_or_change_users(client_as, make_user, role):
    client = client_as(role)
    other = make_user("front_desk")

    pages = [
        client.get(reverse("user_list")),
        client.get(reverse("user_create")),
        client.post(reverse("user_create"), new_user_form()),
        client.get(reverse("user_edit", args=[other.pk])),
        client.post(reverse("user_unlock", args=[other.pk])),
        client.post(reverse("user_reset_two_factor", args=[other.pk])),
    ]

    assert [p.status_code for p in pages] == [403] * 6
    assert not User.objects.filter(username="mlopez").exists()


def test_office_manager_sees_the_list_but_cannot_change_users(client_as, make_user):
    client = client_as("office_manager")
    other = make_user("front_desk", first_name="Dana", last_name="Reyes")

    listing = client.get(reverse("user_list"))

    assert "Dana Reyes" in listing.content.decode()
    assert reverse("user_edit", args=[other.pk]) not in listing.content.decode()
    assert client.get(reverse("user_create")).status_code == 403
    assert client.get(reverse("user_edit", args=[other.pk])).status_code == 403


# --- the list ---------------------------------------------------------------------------


def test_list_finds_people_by_name_or_user_name(client_as, make_user):
    client = client_as("admin")
    make_user("biller", first_name="Ann", last_name="Okafor", username="aokafor")
    make_user("front_desk", first_name="Ben", last_name="Stone", username="bstone")

    by_name = client.get(reverse("user_list"), {"q": "ann oka"}).content.decode()
    by_username = client.get(reverse("user_list"), {"q": "bston"}).content.decode()
    by_role = client.get(reverse("user_list"), {"role": "biller"}).content.decode()

    assert "Ann Okafor" in by_name and "Ben Stone" not in by_name
    assert "Ben Stone" in by_username and "Ann Okafor" not in by_username
    assert "Ann Okafor" in by_role and "Ben Stone" not in by_role


def test_list_pages_through_many_users_keeping_the_search(client_as, make_user):
    client = client_as("admin", last_name="Zz-admin")
    for n in range(30):
        make_user("front_desk", last_name=f"Clerk{n:02d}")

    first = client.get(reverse("user_list"), {"q": "clerk"}).content.decode()
    second = client.get(reverse("user_list"), {"q": "clerk", "page": 2}).content.decode()

    assert "Page 1 of 2 · 30 users" in first
    assert "?q=clerk&page=2" in first
    assert "Clerk00" in first and "Clerk29" not in first
    assert "Clerk29" in second and "Clerk00" not in second


def test_list_query_count_does_not_grow_with_users(client_as, make_user):
    client = client_as("admin")
    make_user("front_desk")
    client.get(reverse("user_list"))  # warm up session and content types

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("user_list"))
    for _ in range(10):
        make_user("biller", "front_desk")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("user_list"))

    assert len(many) == len(few)


def test_list_shows_who_is_locked_out(client, client_as, make_user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    locked = make_user("front_desk", first_name="Lee", last_name="Locked")
    for _ in range(2):
        client.post(reverse("login"), {"username": locked.username, "password": "nope-nope-1"})
    client = client_as("admin")

    page = client.get(reverse("user_list")).content.decode()

    assert "signing in paused" in page


# --- adding a user ----------------------------------------------------------------------


def test_admin_adds_a_user_who_can_then_sign_in(client, client_as, location, caplog):
    admin = client_as("admin")
    caplog.set_level(logging.INFO, logger="medoffice.security")

    response = admin.post(reverse("user_create"), new_user_form(location))

    user = User.objects.get(username="mlopez")
    assert response.status_code == 302
    assert response["Location"] == reverse("user_edit", args=[user.pk])
    assert roles_of(user) == {"front_desk", "biller"}
    assert user.home_location == location
    assert user.password.startswith("argon2")
    assert f"{admin.user.username} created user mlopez" in caplog.text
    admin.post(reverse("logout"))
    signed_in = admin.post(reverse("login"), {"username": "mlopez", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302


def test_weak_password_is_refused_with_the_reason(client_as):
    client = client_as("admin")

    response = client.post(
        reverse("user_create"), new_user_form(password1="password", password2="password")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "This password is too common." in page
    assert not User.objects.filter(username="mlopez").exists()


def test_passwords_that_differ_are_refused(client_as):
    client = client_as("admin")

    response = client.post(reverse("user_create"), new_user_form(password2="Other-kettle-99"))

    assert "The two passwords differ" in response.content.decode()
    assert not User.objects.filter(username="mlopez").exists()


def test_user_name_already_taken_is_refused_whatever_the_case(client_as, make_user):
    make_user("biller", username="mlopez")
    client = client_as("admin")

    response = client.post(reverse("user_create"), new_user_form(username="MLopez"))

    assert "That user name is already taken" in response.content.decode()
    assert User.objects.filter(username__iexact="mlopez").count() == 1


def test_missing_names_are_named_in_the_errors(client_as):
    client = client_as("admin")

    response = client.post(reverse("user_create"), new_user_form(first_name="", last_name=""))

    page = response.content.decode()
    assert "Enter the person&#x27;s first name." in page
    assert "Enter the person&#x27;s last name." in page


def test_admin_role_also_opens_the_django_admin(client_as):
    client = client_as("admin")

    client.post(reverse("user_create"), new_user_form(roles=["admin"]))

    assert User.objects.get(username="mlopez").is_staff


# --- changing a user --------------------------------------------------------------------


def test_admin_changes_roles_and_home_location(client_as, make_user, location):
    client = client_as("admin")
    user = make_user("front_desk")

    response = client.post(
        reverse("user_edit", args=[user.pk]),
        edit_form(user, roles=["biller", "office_manager"], home_location=location.pk),
    )

    user = User.objects.get(pk=user.pk)
    assert response.status_code == 302
    assert roles_of(user) == {"biller", "office_manager"}
    assert user.home_location == location
    assert user.has_perm("core.view_user")


def test_deactivated_user_gets_the_same_message_as_a_wrong_password(client, client_as, make_user):
    user = make_user("front_desk")
    admin = client_as("admin")
    admin.post(reverse("user_edit", args=[user.pk]), edit_form(user, is_active=""))
    admin.post(reverse("logout"))

    response = admin.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    assert not User.objects.get(pk=user.pk).is_active
    assert "do not match an active account" in response.content.decode()


def test_admin_cannot_lock_themselves_out(client_as):
    client = client_as("admin")
    me = client.user

    no_role = client.post(reverse("user_edit", args=[me.pk]), edit_form(me, roles=["biller"]))
    inactive = client.post(reverse("user_edit", args=[me.pk]), edit_form(me, is_active=""))

    assert "administrator role away from yourself" in no_role.content.decode()
    assert "cannot turn off your own account" in inactive.content.decode()
    me.refresh_from_db()
    assert me.is_active and "admin" in roles_of(me)


def test_only_a_superuser_changes_a_superuser(client_as, make_user):
    boss = make_user(is_superuser=True, is_staff=True)
    client = client_as("admin")

    response = client.post(reverse("user_edit", args=[boss.pk]), edit_form(boss, is_active=""))

    assert "Only a superuser can change a superuser" in response.content.decode()
    assert User.objects.get(pk=boss.pk).is_active


def test_admin_unlocks_a_locked_out_user(client, make_user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    user = make_user("front_desk")
    for _ in range(2):
        client.post(reverse("login"), {"username": user.username, "password": "nope-nope-1"})
    admin = make_user("admin")
    client.force_login(admin)

    edit_page = client.get(reverse("user_edit", args=[user.pk])).content.decode()
    client.post(reverse("user_unlock", args=[user.pk]))
    client.post(reverse("logout"))
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    assert "Signing in is paused" in edit_page
    assert response.status_code == 302


def test_admin_resets_two_factor_for_a_lost_phone(client, client_as, make_user):
    user = make_user("front_desk", require_two_factor=True)
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    admin = client_as("admin")

    response = admin.post(reverse("user_reset_two_factor", args=[user.pk]), follow=True)
    admin.post(reverse("logout"))
    admin.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    to_verify = admin.get(reverse("home"))
    to_setup = admin.get(to_verify["Location"])

    assert "set up their authenticator app again" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert to_setup["Location"].startswith(reverse("two_factor_setup"))


def test_unlock_and_reset_only_take_a_post(client_as, make_user):
    client = client_as("admin")
    user = make_user("front_desk")

    assert client.get(reverse("user_unlock", args=[user.pk])).status_code == 405
    assert client.get(reverse("user_reset_two_factor", args=[user.pk])).status_code == 405


# --- what each role may see ---------------------------------------------------------------


def test_front_desk_cannot_read_the_access_log_and_the_auditor_can(client, make_user):
    desk, auditor = make_user("front_desk"), make_user("auditor")

    client.force_login(desk)
    desk_sees = client.get(reverse("audit_log")).status_code
    client.force_login(auditor)
    auditor_sees = client.get(reverse("audit_log")).status_code

    assert (desk_sees, auditor_sees) == (403, 200)


def test_auditor_only_reads(make_user):
    auditor = make_user("auditor")

    perms = auditor.get_all_permissions()

    assert "core.view_accesslogentry" in perms
    assert all(p.split(".")[1].startswith("view_") for p in perms)


def test_billers_and_front_desk_get_no_staff_records():
    for slug in ("biller", "front_desk", "medical_assistant"):
        role = ROLES[slug]
        assert not any(_matches(p, "staff", "view_employee") for p in role.permissions)
    assert any(_matches(p, "staff", "view_employee") for p in ROLES["office_manager"].permissions)


def test_only_admin_manages_users(db):
    can_add = [slug for slug in ROLES if role_group(slug).permissions.filter(codename="add_user")]
    can_change = [
        slug for slug in ROLES if role_group(slug).permissions.filter(codename="change_user")
    ]

    assert can_add == ["admin"]
    assert can_change == ["admin"]
    assert Permission.objects.filter(codename="add_user").exists()


# --- the Django admin ---------------------------------------------------------------------


@pytest.fixture
def superuser_client(client, make_user):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    return client


def test_django_admin_shows_the_office_fields_on_a_user(superuser_client, make_user, location):
    user = make_user("front_desk", home_location=location)

    page = superuser_client.get(reverse("admin:core_user_change", args=[user.pk])).content.decode()

    assert 'name="home_location"' in page
    assert 'name="require_two_factor"' in page


def test_django_admin_lists_practice_locations_and_users(superuser_client, location):
    for name in ("core_practice", "core_location", "core_user", "core_accesslogentry"):
        assert superuser_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    found = superuser_client.get(reverse("admin:core_location_changelist"), {"q": "Main"})
    assert "Springfield" in found.content.decode()


def test_access_log_is_read_only_in_the_django_admin_even_for_a_superuser(
    superuser_client, make_user
):
    entry = record_access(
        user=make_user("front_desk"), action="view", object_type="patient", object_id=1
    )

    add = superuser_client.get(reverse("admin:core_accesslogentry_add"))
    delete = superuser_client.post(
        reverse("admin:core_accesslogentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    view = superuser_client.get(reverse("admin:core_accesslogentry_change", args=[entry.pk]))

    assert add.status_code == 403
    assert delete.status_code == 403
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    entry.refresh_from_db()


def test_django_admin_action_resets_two_factor(superuser_client, make_user):
    user = make_user("front_desk", require_two_factor=True)
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)

    superuser_client.post(
        reverse("admin:core_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [user.pk]},
    )

    assert not TOTPDevice.objects.filter(user=user).exists()
