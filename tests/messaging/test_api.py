"""The messaging API: messages with their delivery log, templates, reminder rules."""

from __future__ import annotations

import pytest

from medoffice.messaging.models import MessageTemplate, ReminderRule


@pytest.fixture
def api(client_as):
    def as_role(role):
        return client_as(role)

    return as_role


@pytest.mark.django_db
def test_templates_refuse_an_unknown_placeholder_with_its_name(api):
    client = api("office_manager")
    answer = client.put(
        "/api/v1/messaging/templates/reminder/sms",
        data={"body": "Your {visit_reason} visit"},
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "unknown_placeholder"
    assert answer.json()["field"] == "body" and "{visit_reason}" in answer.json()["detail"]
    ok = client.put(
        "/api/v1/messaging/templates/reminder/sms",
        data={"body": "See you {appointment_date}"},
        content_type="application/json",
    )
    assert (
        ok.status_code == 200 and MessageTemplate.objects.get().body == "See you {appointment_date}"
    )
    listed = client.get("/api/v1/messaging/templates").json()
    assert {
        "purpose": "reminder",
        "channel": "sms",
        "subject": "",
        "body": "See you {appointment_date}",
        "custom": True,
    } in listed


@pytest.mark.django_db
def test_rules_are_added_listed_and_switched_off(api, office):
    client = api("office_manager")
    kind = office["types"]["follow_up"]
    made = client.post(
        "/api/v1/messaging/reminder-rules",
        data={"appointment_type": kind.pk, "minutes_before": 120},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["offset"] == "2 hours"
    twice = client.post(
        "/api/v1/messaging/reminder-rules",
        data={"appointment_type": kind.pk, "minutes_before": 120},
        content_type="application/json",
    )
    assert twice.status_code == 409 and twice.json()["code"] == "duplicate"
    bad = client.post(
        "/api/v1/messaging/reminder-rules",
        data={"appointment_type": kind.pk, "minutes_before": 5},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["field"] == "minutes_before"
    rule_id = made.json()["id"]
    off = client.post(
        f"/api/v1/messaging/reminder-rules/{rule_id}/active",
        data={"active": False},
        content_type="application/json",
    )
    assert off.json()["active"] is False and not ReminderRule.objects.get().active


@pytest.mark.django_db
def test_messages_list_and_detail(api, make_patient, settings):
    import datetime as dt

    from django.utils import timezone

    from medoffice.messaging import channels
    from medoffice.messaging.services.composing import values_for
    from medoffice.messaging.services.messages import queue_message

    settings.MESSAGING_QUIET_HOURS = "off"
    patient = make_patient(contact_hours_start=dt.time(0, 0), contact_hours_end=dt.time(23, 59))
    message = queue_message(
        patient=patient,
        route=channels.routes_for(patient)[0],
        purpose="recall",
        values=values_for(patient),
        planned_for=timezone.now(),
    )
    client = api("front_desk")
    rows = client.get("/api/v1/messaging/messages", {"patient": patient.pk}).json()
    assert [r["id"] for r in rows] == [message.pk] and rows[0]["status"] == "queued"
    detail = client.get(f"/api/v1/messaging/messages/{message.pk}").json()
    assert detail["events"][0]["kind"] == "queued"
    assert client.get("/api/v1/messaging/messages/999999").status_code == 404
    assert client.get("/api/v1/messaging/messages", {"status": "lost"}).status_code == 422
    assert client.post(f"/api/v1/messaging/messages/{message.pk}/retry").status_code == 403
    manager = api("office_manager")
    assert manager.post(f"/api/v1/messaging/messages/{message.pk}/retry").json()["code"] == (
        "invalid_transition"
    )
