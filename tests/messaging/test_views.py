"""The messaging pages, as the office uses them: logs, the failed queue, the call-back list,
the template editor with its preview, rules, recalls and rates; and who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from medoffice.core.models import AccessLogEntry
from medoffice.messaging import channels
from medoffice.messaging.models import CallbackRequest, MessageTemplate, ReminderRule
from medoffice.messaging.services.composing import values_for
from medoffice.messaging.services.messages import queue_message
from medoffice.messaging.services.sending import send_due_messages


@pytest.fixture(autouse=True)
def _daytime(settings):
    settings.MESSAGING_QUIET_HOURS = "off"


@pytest.fixture
def failed_text(make_patient, settings):
    settings.MESSAGING_SMS_URL = ""
    patient = make_patient(
        consent_email=False,
        consent_email_on=None,
        contact_hours_start=dt.time(0, 0),
        contact_hours_end=dt.time(23, 59),
    )
    message = queue_message(
        patient=patient,
        route=channels.routes_for(patient)[0],
        purpose="recall",
        values=values_for(patient),
        planned_for=timezone.now() - dt.timedelta(minutes=1),
    )
    send_due_messages()
    message.refresh_from_db()
    assert message.status == "failed"
    return message


@pytest.mark.django_db
def test_the_day_log_lists_and_searches_messages(client_as, failed_text):
    client = client_as("front_desk")
    page = client.get("/messages/").content.decode()
    assert "Lopez, Maria" in page and "Failed" in page
    assert (
        "Lopez"
        not in client.get("/messages/", {"q": "Nobody"})
        .content.decode()
        .split("<tbody>")[1]
        .split("</tbody>")[0]
    )
    assert AccessLogEntry.objects.filter(object_type="message log").exists()


@pytest.mark.django_db
def test_the_patient_log_and_the_detail_show_why_and_log_the_look(client_as, failed_text):
    client = client_as("front_desk")
    page = client.get(f"/messages/patient/{failed_text.patient_id}/").content.decode()
    assert "Recall: time to book a visit" in page
    detail = client.get(f"/messages/{failed_text.pk}/").content.decode()
    assert "no provider for text messages is set up" in detail
    assert AccessLogEntry.objects.filter(
        patient_id=failed_text.patient_id, object_type="message"
    ).exists()


@pytest.mark.django_db
def test_the_failed_queue_retries_and_marks_handled(client_as, failed_text, sms_provider):
    client = client_as("office_manager")
    assert "no provider for text messages" in client.get("/messages/failed/").content.decode()
    client.post("/messages/failed/", {"message": failed_text.pk, "action": "retry"})
    failed_text.refresh_from_db()
    assert failed_text.status == "queued"
    send_due_messages()
    failed_text.refresh_from_db()
    assert failed_text.status == "sent"
    assert "Nothing failed" in client.get("/messages/failed/").content.decode()


@pytest.mark.django_db
def test_mark_handled_takes_it_off_the_queue(client_as, failed_text):
    client = client_as("office_manager")
    client.post(
        "/messages/failed/",
        {"message": failed_text.pk, "action": "handled", "note": "phoned her"},
    )
    failed_text.refresh_from_db()
    assert failed_text.handled_at is not None
    assert failed_text.events.last().detail == "phoned her"


@pytest.mark.django_db
def test_the_front_desk_sees_the_failed_queue_but_cannot_retry(client_as, failed_text):
    client = client_as("front_desk")
    assert client.get("/messages/failed/").status_code == 200
    assert (
        client.post("/messages/failed/", {"message": failed_text.pk, "action": "retry"}).status_code
        == 403
    )


@pytest.mark.django_db
def test_the_call_back_list_and_handling_one(client_as, patient):
    request = CallbackRequest.objects.create(
        patient=patient, reason="reschedule", text="R", from_number=patient.phone_mobile
    )
    client = client_as("office_manager")
    assert "Wants a new time" in client.get("/messages/callbacks/").content.decode()
    answer = client.post("/messages/callbacks/", {"callback": request.pk, "outcome": ""})
    request.refresh_from_db()
    assert request.is_open  # an empty outcome is refused
    client.post("/messages/callbacks/", {"callback": request.pk, "outcome": "moved to Tue 9:00"})
    request.refresh_from_db()
    assert not request.is_open and request.outcome == "moved to Tue 9:00"
    assert answer.status_code == 302


@pytest.mark.django_db
def test_the_template_editor_refuses_an_unknown_placeholder_naming_it(client_as):
    client = client_as("office_manager")
    answer = client.post(
        "/messages/templates/reminder/sms/",
        {"action": "save", "body": "Hi {patient_first_name}, about your {diagnosis}"},
    )
    assert answer.status_code == 200
    assert "Unknown placeholder {diagnosis}" in answer.content.decode()
    assert not MessageTemplate.objects.exists()
    client.post(
        "/messages/templates/reminder/sms/",
        {"action": "save", "body": "See you {appointment_date}, {patient_first_name}."},
    )
    assert MessageTemplate.objects.get().body == "See you {appointment_date}, {patient_first_name}."


@pytest.mark.django_db
def test_the_live_preview_fills_in_the_sample(client_as):
    client = client_as("office_manager")
    answer = client.post(
        "/messages/templates/reminder/sms/preview",
        {"body": "Hi {patient_first_name}, {appointment_time}"},
    )
    assert "Hi Maria, 9:30 AM" in answer.content.decode()
    bad = client.post("/messages/templates/reminder/sms/preview", {"body": "Hi {nope}"})
    assert "Unknown placeholder {nope}" in bad.content.decode()


@pytest.mark.django_db
def test_the_front_desk_cannot_change_templates_or_rules(client_as, office):
    client = client_as("front_desk")
    assert client.get("/messages/templates/").status_code == 200  # reading is fine
    saved = client.post("/messages/templates/reminder/sms/", {"action": "save", "body": "Hi"})
    assert saved.status_code == 403 and not MessageTemplate.objects.exists()
    assert client.post("/messages/rules/", {"action": "add"}).status_code == 403


@pytest.mark.django_db
def test_reminder_rules_are_added_from_words_and_refused_with_reasons(client_as, office):
    client = client_as("office_manager")
    follow_up = office["types"]["follow_up"]
    client.post(
        "/messages/rules/", {"action": "add", "appointment_type": follow_up.pk, "offset": "2 days"}
    )
    assert ReminderRule.objects.get().minutes_before == 2880
    again = client.post(
        "/messages/rules/", {"action": "add", "appointment_type": follow_up.pk, "offset": "2d"}
    )
    assert (
        again.status_code == 422
        and "already have a reminder 2 days before" in again.content.decode()
    )
    bad = client.post(
        "/messages/rules/", {"action": "add", "appointment_type": follow_up.pk, "offset": "soon"}
    )
    assert bad.status_code == 422 and "e.g. 7d" in bad.content.decode()


@pytest.mark.django_db
def test_rates_and_recalls_pages_answer(client_as):
    client = client_as("office_manager")
    assert "No reminders went" in client.get("/messages/rates/").content.decode()
    assert "No recall rules" in client.get("/messages/recalls/").content.decode()
    assert (
        client.get("/messages/rates/", {"since": "2026-02-01", "until": "2026-01-01"}).status_code
        == 200
    )


@pytest.mark.django_db
def test_navigation_shows_messages(client_as):
    page = client_as("front_desk").get("/").content.decode()
    assert 'href="/messages/"' in page and 'href="/messages/callbacks/"' in page


@pytest.mark.django_db
def test_the_front_desk_works_the_call_back_list(client_as, patient):
    request = CallbackRequest.objects.create(patient=patient, reason="unknown_reply", text="?")
    client = client_as("front_desk")
    client.post("/messages/callbacks/", {"callback": request.pk, "outcome": "called; all fine"})
    request.refresh_from_db()
    assert request.handled_by == client.user and not request.is_open


@pytest.mark.django_db
def test_the_day_log_costs_the_same_queries_for_few_and_many_messages(
    client_as, make_patient, django_assert_max_num_queries, settings
):
    settings.MESSAGING_QUIET_HOURS = "off"
    client = client_as("office_manager")

    def add(n):
        for i in range(n):
            patient = make_patient(
                first_name=f"Q{i}",
                contact_hours_start=dt.time(0, 0),
                contact_hours_end=dt.time(23, 59),
            )
            queue_message(
                patient=patient,
                route=channels.routes_for(patient)[0],
                purpose="recall",
                values=values_for(patient),
                planned_for=timezone.now(),
            )

    add(3)
    client.get("/messages/")  # warm up (sessions, the clock's first round)
    with django_assert_max_num_queries(20) as few:
        client.get("/messages/")
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/messages/")
