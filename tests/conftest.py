"""Fixtures every test area shares: users holding a role, a signed-in browser client."""

from __future__ import annotations

import itertools
import os
import zoneinfo

import pytest
from django.utils import timezone

from medoffice.core.models import Location, Practice, User
from medoffice.core.roles import role_group

# "Today" in a test is the test practice's day: its office (below) is in Chicago, and
# the books, the pages and the jobs all count days there. Without this, a test run
# between midnight UTC and midnight in Chicago would see two different todays.
TEST_OFFICE_ZONE = "America/Chicago"
timezone.activate(zoneinfo.ZoneInfo(TEST_OFFICE_ZONE))

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-9"

# One id per test run, set in the process that starts the run and inherited by its
# xdist workers, so that two runs against one PostgreSQL server (two checkouts, or a
# developer's run beside CI's) each create and drop test databases of their own.
os.environ.setdefault("MEDOFFICE_TEST_RUN", str(os.getpid()))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """On a server database, suffix the test database's name with this run's id."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if "sqlite" in db["ENGINE"]:
        return
    test = db.setdefault("TEST", {})
    name = test.get("NAME") or f"test_{db['NAME']}"
    test["NAME"] = f"{name}_run{os.environ['MEDOFFICE_TEST_RUN']}"


@pytest.fixture
def practice(db) -> Practice:
    return Practice.objects.create(
        name="Riverside Family Medicine",
        group_npi="1234567893",
        tax_id="123456789",
        billing_address1="100 Main St",
        billing_city="Springfield",
        billing_state="IL",
        billing_zip="62701",
    )


@pytest.fixture
def location(practice) -> Location:
    return Location.objects.create(
        practice=practice,
        name="Main",
        address1="100 Main St",
        city="Springfield",
        state="IL",
        zip="62701",
        phone="2175550100",
        time_zone=TEST_OFFICE_ZONE,
    )


@pytest.fixture
def make_user(db):
    """make_user("biller") -> a saved, active user holding that role (password PASSWORD)."""

    def make(*roles: str, **fields) -> User:
        n = next(_seq)
        fields.setdefault("username", f"user{n}")
        fields.setdefault("first_name", "Test")
        fields.setdefault("last_name", f"User{n}")
        user = User.objects.create_user(password=PASSWORD, **fields)
        for role in roles:
            user.groups.add(role_group(role))
        return user

    return make


@pytest.fixture
def client_as(client, make_user):
    """client_as("auditor") -> the test client signed in as a new user with that role."""

    def sign_in(*roles: str, **fields):
        user = make_user(*roles, **fields)
        client.force_login(user)
        client.user = user
        return client

    return sign_in
