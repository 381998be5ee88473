"""Delivery through real local servers: email over SMTP (aiosmtpd on loopback), texts and calls
over HTTP (a provider in a thread); retries with backoff, permanent failures fall back."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes

import pytest
from django.utils import timezone

from medoffice.messaging import channels
from medoffice.messaging.models import Message
from medoffice.messaging.services.composing import values_for
from medoffice.messaging.services.messages import queue_message
from medoffice.messaging.services.sending import send_due_messages
from medoffice.patients.models import Patient


def queue(patient, channel=None, *, purpose="recall"):
    routes = channels.routes_for(patient)
    route = next(r for r in routes if r.channel == channel) if channel else routes[0]
    return queue_message(
        patient=patient,
        route=route,
        purpose=purpose,
        values=values_for(patient),
        planned_for=timezone.now() - dt.timedelta(minutes=1),
    )


@pytest.fixture(autouse=True)
def _always_daytime(settings):
    settings.MESSAGING_QUIET_HOURS = "off"


@pytest.fixture
def anytime_patient(make_patient):
    def make(**fields):
        fields.setdefault("contact_hours_start", dt.time(0, 0))
        fields.setdefault("contact_hours_end", dt.time(23, 59))
        return make_patient(**fields)

    return make


@pytest.mark.django_db
def test_email_arrives_at_the_smtp_server_with_the_body(smtp_server, anytime_patient):
    patient = anytime_patient(preferred_contact=Patient.EMAIL)
    message = queue(patient)
    report = send_due_messages()
    assert report.sent == 1
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == ["maria@example.org"]
    parsed = message_from_bytes(envelope.content)
    assert parsed["Subject"] == "Time to book your visit"
    assert parsed["From"] == "reminders@riverside.example.org"
    assert "Dear Maria," in parsed.get_payload(decode=True).decode()
    assert "(217) 555-0100" in parsed.get_payload(decode=True).decode()
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.provider_message_id == parsed["Message-ID"]
    assert str(message.idempotency_key) in message.provider_message_id


@pytest.mark.django_db
def test_a_refused_email_address_falls_back_to_a_text(smtp_server, sms_provider, anytime_patient):
    patient = anytime_patient(preferred_contact=Patient.EMAIL, email="gone@bounce.example.org")
    message = queue(patient)
    send_due_messages()
    message.refresh_from_db()
    assert message.status == "failed"
    assert "550" in message.error and "gone@bounce.example.org" in message.error
    assert message.fallback.channel == "sms" and message.fallback.status == "sent"
    assert sms_provider.state.delivered_to("2175550142")
    assert "because gone@bounce.example.org cannot receive email" in (
        message.events.get(kind="fallback").detail
    )


@pytest.mark.django_db
def test_a_text_reaches_the_provider_with_token_sender_and_key(sms_provider, anytime_patient):
    message = queue(anytime_patient())
    send_due_messages()
    (delivery,) = sms_provider.state.deliveries
    assert delivery["To"] == "2175550142" and delivery["From"] == "2175550199"
    assert delivery["Body"] == message.body
    assert delivery["key"] == str(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == "sent" and message.provider_message_id == delivery["id"]
    assert message.events.filter(kind="sent").first().detail.startswith("accepted by the provider")


@pytest.mark.django_db
def test_server_errors_are_retried_with_backoff_then_sent(sms_provider, anytime_patient, settings):
    sms_provider.state.fail_next = 2
    message = queue(anytime_patient())
    send_due_messages()
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 3
    retries = list(message.events.filter(kind="retry").values_list("detail", flat=True))
    assert len(retries) == 2 and "503" in retries[0]
    assert len(sms_provider.state.deliveries) == 1


@pytest.mark.django_db
def test_backoff_waits_before_the_next_try(sms_provider, anytime_patient, settings):
    settings.MESSAGING_MESSAGE_BACKOFF = "60"
    sms_provider.state.fail_next = 1
    message = queue(anytime_patient())
    send_due_messages()
    message.refresh_from_db()
    assert message.status == "queued"
    wait = message.scheduled_for - timezone.now()
    assert dt.timedelta(seconds=50) < wait <= dt.timedelta(seconds=60)
    settings.MESSAGING_MESSAGE_BACKOFF = "0"
    send_due_messages(clock=lambda: timezone.now() + dt.timedelta(minutes=2))
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2


@pytest.mark.django_db
def test_giving_up_after_the_last_try_falls_back_to_email(
    sms_provider, smtp_server, anytime_patient, settings
):
    settings.MESSAGING_MESSAGE_ATTEMPTS = "2"
    sms_provider.state.fail_next = 5
    message = queue(anytime_patient())
    send_due_messages()
    message.refresh_from_db()
    assert message.status == "failed" and message.error.startswith("gave up after 2 tries")
    assert message.fallback.channel == "email" and message.fallback.status == "sent"
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_a_landline_cannot_take_texts_so_the_patient_is_called_and_the_log_says_why(
    sms_provider, anytime_patient
):
    patient = anytime_patient(
        phone_mobile="2175550177",
        consent_email=False,
        consent_email_on=None,
        consent_voice=True,
        consent_voice_on=dt.date(2025, 3, 1),
    )
    sms_provider.state.landlines.add("2175550177")
    message = queue(patient)
    send_due_messages()
    message.refresh_from_db()
    assert message.status == "failed" and message.error_code == "21614"
    assert message.error.startswith("the number 2175550177 cannot receive text messages")
    fallback = message.fallback
    assert fallback.channel == "voice" and fallback.status == "sent"
    assert sms_provider.state.deliveries[0]["path"] == "/calls"
    queued_note = fallback.events.get(kind="queued").detail
    assert (
        "fallback for text message" in queued_note and "cannot receive text messages" in queued_note
    )


@pytest.mark.django_db
def test_no_other_channel_leaves_the_failure_for_a_person(sms_provider, anytime_patient):
    patient = anytime_patient(consent_email=False, consent_email_on=None)
    sms_provider.state.invalid.add("2175550142")
    message = queue(patient)
    send_due_messages()
    message.refresh_from_db()
    assert message.status == "failed" and not Message.objects.filter(fallback_of=message).exists()
    assert "no other channel" in message.events.filter(kind="failed").last().detail
    assert "email: has not agreed to email" in message.events.filter(kind="failed").last().detail


@pytest.mark.django_db
def test_a_slow_provider_counts_as_a_temporary_failure(sms_provider, anytime_patient, settings):
    settings.MESSAGING_MESSAGE_TIMEOUT = "0.2"
    settings.MESSAGING_MESSAGE_BACKOFF = "60"
    sms_provider.state.delay = 0.5
    message = queue(anytime_patient())
    send_due_messages()
    message.refresh_from_db()
    assert message.status == "queued"
    assert "did not answer within 0.2 s" in message.events.get(kind="retry").detail


@pytest.mark.django_db
def test_without_a_provider_set_up_texts_fail_and_say_so(anytime_patient, settings):
    settings.MESSAGING_SMS_URL = ""
    patient = anytime_patient(consent_email=False, consent_email_on=None)
    message = queue(patient)
    send_due_messages()
    message.refresh_from_db()
    assert message.status == "failed"
    assert "no provider for text messages is set up (MEDOFFICE_SMS_URL)" in message.error


@pytest.mark.django_db
def test_email_server_settings_can_come_from_the_environment(
    smtp_server, anytime_patient, settings, monkeypatch
):
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there: only the environment's port can work
    monkeypatch.setenv("MEDOFFICE_EMAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("MEDOFFICE_EMAIL_PORT", str(port))
    message = queue(anytime_patient(preferred_contact=Patient.EMAIL))
    send_due_messages()
    message.refresh_from_db()
    assert message.status == "sent" and len(smtp_server.messages) == 1
