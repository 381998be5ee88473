"""The clearinghouse secrets in Django's admin: the SFTP password and private key are never
put in the page; a box left empty keeps what is stored, a new value replaces it, and the
tick box removes it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from medoffice.billing.models import SubmissionSettings

pytestmark = pytest.mark.django_db

PASSWORD = "Tr0ub4dor&3-synthetic"
KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAAsynthetic\n"
    "-----END OPENSSH PRIVATE KEY-----"
)


@pytest.fixture
def stored(db) -> SubmissionSettings:
    return SubmissionSettings.objects.create(
        sender_id="RIVERSIDE01", receiver_id="CLEARHOUSE", receiver_name="Example Clearinghouse",
        submitter_id="SUB123", contact_name="Billing Office", contact_phone="2175550100",
        delivery=SubmissionSettings.SFTP, sftp_host="sftp.example.test",
        sftp_username="riverside", sftp_password=PASSWORD, sftp_private_key=KEY,
    )  # fmt: skip


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


def _url(settings: SubmissionSettings) -> str:
    return reverse("admin:billing_submissionsettings_change", args=[settings.pk])


def _form(settings: SubmissionSettings, **changes) -> dict:
    """What the browser posts back: every field as shown, the secret boxes empty."""
    data = {
        "sender_id": settings.sender_id,
        "sender_qualifier": settings.sender_qualifier,
        "receiver_id": settings.receiver_id,
        "receiver_qualifier": settings.receiver_qualifier,
        "receiver_name": settings.receiver_name,
        "submitter_id": settings.submitter_id,
        "contact_name": settings.contact_name,
        "contact_phone": settings.contact_phone,
        "zip_plus_four": settings.zip_plus_four,
        "delivery": settings.delivery,
        "outbox_path": settings.outbox_path,
        "sftp_host": settings.sftp_host,
        "sftp_port": str(settings.sftp_port),
        "sftp_username": settings.sftp_username,
        "sftp_password": "",
        "sftp_private_key": "",
        "sftp_directory": settings.sftp_directory,
        "sftp_host_key_fingerprint": settings.sftp_host_key_fingerprint,
        "_save": "Save",
    }
    data.update(changes)
    return data


def _reloaded(settings: SubmissionSettings) -> SubmissionSettings:
    return SubmissionSettings.objects.get(pk=settings.pk)


def test_the_change_page_never_shows_the_secrets(admin_client, stored):
    page = admin_client.get(_url(stored)).content.decode()
    assert 'name="sftp_password"' in page and 'type="password"' in page
    assert 'name="sftp_private_key"' in page
    assert PASSWORD not in page
    assert "b3BlbnNzaC1rZXktdjEAAAAAsynthetic" not in page
    assert "An SFTP password is stored" in page  # the office sees that one is set
    assert 'name="clear_sftp_password"' in page


def test_saving_with_the_boxes_empty_keeps_the_stored_secrets(admin_client, stored):
    response = admin_client.post(_url(stored), _form(stored, sftp_username="riverside2"))
    assert response.status_code == 302, response.content.decode()[:2000]
    kept = _reloaded(stored)
    assert kept.sftp_username == "riverside2"
    assert (kept.sftp_password, kept.sftp_private_key) == (PASSWORD, KEY)


def test_typing_a_new_secret_replaces_it_encrypted(admin_client, stored):
    response = admin_client.post(_url(stored), _form(stored, sftp_password=" new pass 2 "))
    assert response.status_code == 302
    changed = _reloaded(stored)
    assert changed.sftp_password == " new pass 2 "  # as typed, spaces and all
    assert changed.sftp_private_key == KEY
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sftp_password FROM billing_submissionsettings WHERE id = %s", [stored.pk]
        )
        (raw,) = cursor.fetchone()
    assert "new pass" not in raw  # encrypted at rest
    page = admin_client.get(_url(stored)).content.decode()
    assert "new pass 2" not in page


def test_the_tick_box_removes_a_secret(admin_client, stored):
    response = admin_client.post(_url(stored), _form(stored, clear_sftp_private_key="on"))
    assert response.status_code == 302
    cleared = _reloaded(stored)
    assert (cleared.sftp_password, cleared.sftp_private_key) == (PASSWORD, "")
    page = admin_client.get(_url(stored)).content.decode()
    assert "No SFTP private key is stored." in page


def test_removing_and_typing_a_new_one_at_once_is_refused(admin_client, stored):
    response = admin_client.post(
        _url(stored), _form(stored, sftp_password="other", clear_sftp_password="on")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Either type a new SFTP password or tick to remove it, not both." in page
    assert "other" not in page.split('name="sftp_password"', 1)[1].split(">", 1)[0]
    assert _reloaded(stored).sftp_password == PASSWORD  # nothing written


def test_a_new_settings_row_takes_the_typed_secret(admin_client, stored):
    data = _form(stored, sender_id="OTHER01", sftp_password="first-secret")
    response = admin_client.post(reverse("admin:billing_submissionsettings_add"), data)
    assert response.status_code == 302
    made = SubmissionSettings.objects.exclude(pk=stored.pk).get()
    assert (made.sftp_password, made.sftp_private_key) == ("first-secret", "")


def test_a_view_only_user_sees_whether_a_secret_is_stored_not_what(client, make_user, stored):
    from django.contrib.auth.models import Permission

    viewer = make_user(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_submissionsettings"))
    client.force_login(viewer)
    page = client.get(_url(stored)).content.decode()
    assert "Example Clearinghouse" in page
    assert PASSWORD not in page and "b3BlbnNzaC1rZXktdjEAAAAAsynthetic" not in page
    assert page.count("stored (hidden)") == 2
