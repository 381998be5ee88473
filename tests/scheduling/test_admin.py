"""The schedule in the Django admin: set-up pages editable, appointments shown but never edited."""

from __future__ import annotations

import pytest

from medoffice.core.models import AccessLogEntry
from tests.scheduling.conftest import at


@pytest.fixture
def manager(client, make_user):
    user = make_user("office_manager", is_staff=True)
    client.force_login(user)
    return client


def test_every_schedule_page_opens(manager, book, clinic_day):
    book(at(clinic_day, "9:30"))
    for name in (
        "provider",
        "room",
        "appointmenttype",
        "availabilitytemplate",
        "scheduleexception",
        "appointment",
        "appointmentevent",
        "appointmentseries",
        "waitlistentry",
    ):
        got = manager.get(f"/admin/scheduling/{name}/")
        assert got.status_code == 200, name


def test_an_appointment_is_shown_with_its_history_and_the_view_is_logged(
    manager, book, clinic_day, patient
):
    appt = book(at(clinic_day, "9:30"))
    page = manager.get(f"/admin/scheduling/appointment/{appt.pk}/change/")

    assert page.status_code == 200
    assert "Booked" in page.content.decode()
    row = AccessLogEntry.objects.get(object_type="appointment")
    assert (row.action, row.patient_id) == ("view", patient.pk)


def test_appointments_cannot_be_added_or_changed_in_the_admin(manager, book, clinic_day):
    appt = book(at(clinic_day, "9:30"))

    assert manager.get("/admin/scheduling/appointment/add/").status_code == 403
    assert manager.post(f"/admin/scheduling/appointment/{appt.pk}/delete/").status_code == 403
    assert manager.get("/admin/scheduling/appointmentevent/add/").status_code == 403


def test_templates_and_blocked_time_can_be_added(manager, office):
    assert manager.get("/admin/scheduling/availabilitytemplate/add/").status_code == 200
    assert manager.get("/admin/scheduling/scheduleexception/add/").status_code == 200
