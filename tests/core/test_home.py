"""The home page shows each role what needs attention; the auditor can verify the chain from it."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from medoffice.core.audit import record_access


@pytest.mark.django_db
def test_front_desk_home_has_no_admin_panels(client_as):
    page = client_as("front_desk").get("/").content.decode()
    assert "Protect your account" in page
    assert "Background jobs" not in page
    assert "Patient record access" not in page


@pytest.mark.django_db
def test_admin_home_shows_jobs_and_lockouts(client_as):
    page = client_as("admin").get("/").content.decode()
    assert "Background jobs" in page and "Sign-in lockouts" in page


@pytest.mark.django_db
def test_navigation_lists_only_what_the_role_may_open(client_as):
    page = client_as("auditor").get("/").content.decode()
    assert 'href="/audit/access-log/"' in page
    assert 'href="/jobs/"' not in page


@pytest.mark.django_db(transaction=True)
def test_auditor_verifies_the_chain_in_the_background(client_as, make_user):
    record_access(user=make_user(), action="view", object_type="patient", object_id=1)
    client = client_as("auditor")
    assert "has not been verified yet" in client.get("/").content.decode()

    response = client.post("/audit/access-log/verify/")
    assert response.status_code == 302
    call_command("worker", "--batch", "--interval", "0", verbosity=0)

    page = client.get("/").content.decode()
    assert "access log intact: 1 row verified" in page


@pytest.mark.django_db
def test_verify_now_is_post_only_and_auditors_only(client_as):
    assert client_as("auditor").get("/audit/access-log/verify/").status_code == 405
    assert client_as("front_desk").post("/audit/access-log/verify/").status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_pages_use_the_users_office_time_zone(rf, make_user, location):
    """A Chicago front desk sees Chicago time; someone with no home office, the first office's."""
    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone

    from medoffice.core.middleware import LocationTimeZoneMiddleware

    def zone_seen(user) -> str:
        request = rf.get("/")
        request.user = user
        middleware = LocationTimeZoneMiddleware(lambda r: timezone.get_current_timezone_name())
        return middleware(request)

    before = timezone.get_current_timezone_name()
    assert zone_seen(make_user("front_desk", home_location=location)) == "America/Chicago"
    location.time_zone = "America/Denver"
    location.save()
    assert zone_seen(make_user("biller")) == "America/Denver"
    assert zone_seen(AnonymousUser()) == "UTC"
    # Nothing leaks past the request: the zone active before it is active again.
    assert timezone.get_current_timezone_name() == before
