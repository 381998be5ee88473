"""Imported acknowledgements in Django's admin, read-only, and the billing tab to the import
page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from medoffice.billing.models import AcknowledgementFile
from medoffice.billing.services.acknowledgements import import_acknowledgement
from tests.billing.test_acknowledgements import batch, x999  # noqa: F401 - fixture, helper
from tests.billing.test_batches import ready, submission  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(batch, make_user) -> AcknowledgementFile:  # noqa: F811
    biller = make_user("biller", first_name="Dana", last_name="Ackerly")
    result = import_acknowledgement(x999(batch).encode(), actor=biller, filename="day1.999")
    return result.file


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


def test_the_list_shows_file_kind_when_who_and_counts(admin_client, imported):
    page = admin_client.get(reverse("admin:billing_acknowledgementfile_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "day1.999" in html
    assert "999 implementation acknowledgment" in html
    assert "Dana Ackerly" in html  # who imported it
    assert '<td class="field-accepted_count">2</td>' in html
    assert '<td class="field-rejected_count">0</td>' in html


def test_a_file_is_shown_but_never_added_changed_or_deleted(admin_client, imported):
    change = reverse("admin:billing_acknowledgementfile_change", args=[imported.pk])
    html = admin_client.get(change).content.decode()
    assert "day1.999" in html
    assert "ISA*" not in html  # the stored file text is not put in the page
    assert 'type="submit"' not in html.split('id="content-main"', 1)[1].split("</form>")[0]
    before = AcknowledgementFile.objects.values().get(pk=imported.pk)
    response = admin_client.post(change, {"filename": "renamed.999", "text": "ISA*tampered"})
    assert response.status_code == 403
    assert AcknowledgementFile.objects.values().get(pk=imported.pk) == before
    assert admin_client.get(reverse("admin:billing_acknowledgementfile_add")).status_code == 403
    delete = reverse("admin:billing_acknowledgementfile_delete", args=[imported.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AcknowledgementFile.objects.filter(pk=imported.pk).exists()


def test_billers_have_an_acknowledgements_tab(client_as):
    biller = client_as("biller")
    claims = biller.get(reverse("claim_list")).content.decode()
    assert f'<a href="{reverse("ack_import")}">Acknowledgements</a>' in claims
    page = biller.get(reverse("ack_import")).content.decode()
    assert f'<a href="{reverse("ack_import")}" aria-current="page">Acknowledgements</a>' in page
    front = client_as("front_desk").get(reverse("claim_list"))  # may not import them
    assert front.status_code == 200 and "Claims</a>" in front.content.decode()
    assert "Acknowledgements</a>" not in front.content.decode()
