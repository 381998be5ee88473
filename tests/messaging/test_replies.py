"""Two-way texts: C/Y confirms, R asks for a call-back, STOP opts out, HELP gives the office's
number, anything else goes to the call-back list; webhooks are signed; delivery reports land."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from medoffice.messaging import channels
from medoffice.messaging.models import CallbackRequest, InboundMessage, Message, OptOut
from medoffice.messaging.services.composing import values_for
from medoffice.messaging.services.messages import queue_message
from medoffice.messaging.services.replies import sign
from medoffice.messaging.services.sending import send_due_messages
from medoffice.scheduling.models import Appointment
from tests.messaging.conftest import at

SECRET = "webhook-secret-for-tests"
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _set_up(settings):
    settings.MESSAGING_SMS_WEBHOOK_SECRET = SECRET
    settings.MESSAGING_QUIET_HOURS = "off"


def text_in(client, body, *, sender="2175550142", secret=SECRET, signature=None):
    raw = urlencode({"MessageId": f"IN{next(_ids):06d}", "From": sender, "Body": body}).encode()
    return client.post(
        "/api/v1/messaging/webhooks/sms",
        data=raw,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Signature": signature if signature is not None else sign(raw, secret)},
    )


@pytest.fixture
def reminded(sms_provider, book, patient, visit_day):
    """A visit and the reminder text the patient got for it."""
    visit = book(patient, at(visit_day, "10:00"))
    patient.contact_hours_start, patient.contact_hours_end = dt.time(0, 0), dt.time(23, 59)
    patient.save()
    message = queue_message(
        patient=patient,
        route=channels.routes_for(patient)[0],
        purpose="reminder",
        values=values_for(patient, appointment=visit),
        planned_for=timezone.now() - dt.timedelta(minutes=1),
        appointment=visit,
    )
    send_due_messages()
    message.refresh_from_db()
    assert message.status == "sent"
    return visit, message


@pytest.mark.django_db
def test_c_confirms_the_visit_and_thanks_the_patient(client, reminded, sms_provider):
    visit, reminder = reminded
    answer = text_in(client, "c")
    assert answer.status_code == 200 and answer.json()["action"] == "confirmed"
    visit.refresh_from_db()
    assert visit.status == Appointment.CONFIRMED
    assert visit.events.last().detail == {"via": "text reply"}
    send_due_messages()
    assert "is confirmed" in sms_provider.state.deliveries[-1]["Body"]
    assert reminder.events.filter(kind="reply").exists()


@pytest.mark.django_db
def test_y_confirms_too(client, reminded):
    visit, _ = reminded
    text_in(client, "Y!")
    visit.refresh_from_db()
    assert visit.status == Appointment.CONFIRMED


@pytest.mark.django_db
def test_r_puts_the_patient_on_the_call_back_list(client, reminded, sms_provider):
    visit, _ = reminded
    assert text_in(client, "R").json()["action"] == "callback"
    request = CallbackRequest.objects.get()
    assert request.reason == "reschedule" and request.appointment == visit and request.is_open
    send_due_messages()
    assert "front desk will call you" in sms_provider.state.deliveries[-1]["Body"]


@pytest.mark.django_db
def test_stop_opts_out_of_texts_for_every_future_message(client, reminded, sms_provider, patient):
    visit, _ = reminded
    later = queue_message(
        patient=patient,
        route=channels.routes_for(patient)[0],
        purpose="recall",
        values=values_for(patient),
        planned_for=timezone.now() + dt.timedelta(days=3),
    )
    assert text_in(client, "STOP").json()["action"] == "opted_out"
    assert OptOut.objects.get(patient=patient).channel == "sms"
    later.refresh_from_db()
    assert later.status == "cancelled" and "opted out" in later.error
    send_due_messages()
    assert "no more text messages" in sms_provider.state.deliveries[-1]["Body"]
    # From now on the patient is reached by email, not text.
    assert [r.channel for r in channels.routes_for(patient, opted_out={"sms"})] == ["email"]


@pytest.mark.django_db
def test_help_answers_with_the_office_phone(client, reminded, sms_provider):
    text_in(client, "help")
    send_due_messages()
    assert "(217) 555-0100" in sms_provider.state.deliveries[-1]["Body"]


@pytest.mark.django_db
def test_anything_else_goes_to_the_call_back_list(client, reminded):
    assert text_in(client, "Can I bring my son too?").json()["action"] == "unknown"
    request = CallbackRequest.objects.get()
    assert request.reason == "unknown_reply" and request.text == "Can I bring my son too?"


@pytest.mark.django_db
def test_a_stranger_s_text_goes_to_the_list_with_the_number(client, db):
    text_in(client, "hello?", sender="3125550000")
    request = CallbackRequest.objects.get()
    assert request.patient is None and request.from_number == "3125550000"


@pytest.mark.django_db
def test_the_same_text_delivered_twice_is_acted_on_once(client, reminded):
    raw = urlencode({"MessageId": "DUP1", "From": "2175550142", "Body": "R"}).encode()
    for _ in range(2):
        client.post(
            "/api/v1/messaging/webhooks/sms",
            data=raw,
            content_type="application/x-www-form-urlencoded",
            headers={"X-Signature": sign(raw, SECRET)},
        )
    assert CallbackRequest.objects.count() == 1 and InboundMessage.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("signature", ["", "sha256=00ff", "wrong"])
def test_a_bad_signature_is_refused_and_logged(client, reminded, caplog, signature):
    with caplog.at_level(logging.WARNING, logger="medoffice.messaging.webhooks"):
        answer = text_in(client, "C", signature=signature)
    assert answer.status_code == 403
    assert answer.json()["code"] == "bad_signature"
    assert "refused inbound text webhook" in caplog.text
    visit, _ = reminded
    visit.refresh_from_db()
    assert visit.status == "scheduled" and not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_signed_with_another_secret_is_refused(client, reminded):
    assert text_in(client, "C", secret="not-ours").status_code == 403


@pytest.mark.django_db
def test_delivery_reports_mark_messages_delivered_or_failed(client, reminded, smtp_server):
    _, reminder = reminded
    raw = json.dumps({"MessageId": reminder.provider_message_id, "MessageStatus": "delivered"})
    answer = client.post(
        "/api/v1/messaging/webhooks/status",
        data=raw,
        content_type="application/json",
        headers={"X-Signature": sign(raw.encode(), SECRET)},
    )
    assert answer.status_code == 200
    reminder.refresh_from_db()
    assert reminder.status == "delivered" and reminder.delivered_at is not None


@pytest.mark.django_db
def test_an_undelivered_report_fails_the_message_and_falls_back(client, reminded, smtp_server):
    _, reminder = reminded
    raw = urlencode(
        {
            "MessageId": reminder.provider_message_id,
            "MessageStatus": "undelivered",
            "ErrorCode": "30003",
            "ErrorMessage": "Unreachable destination handset",
        }
    ).encode()
    client.post(
        "/api/v1/messaging/webhooks/status",
        data=raw,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Signature": sign(raw, SECRET)},
    )
    reminder.refresh_from_db()
    assert reminder.status == "failed"
    assert reminder.error == (
        "the provider reports undelivered (30003: Unreachable destination handset)"
    )
    fallback = Message.objects.get(fallback_of=reminder)
    assert fallback.channel == "email"
    send_due_messages()
    assert len(smtp_server.messages) == 1
