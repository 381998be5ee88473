"""A small office with reminders: Dr. Patel at Main (Chicago), the usual visit types, patients
who prefer texts, email or calls; a local SMS/voice provider and a local SMTP server."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import socket

import pytest
from aiosmtpd.controller import Controller

from medoffice.patients.models import Patient, mrn_from_sequence
from tests.messaging.provider_server import TOKEN, ProviderServer
from tests.scheduling.conftest import (  # noqa: F401 (shared with the schedule's tests)
    CHICAGO,
    at,
    book_visit,
    front_desk,
    make_patient_record,
    make_provider,
    make_template,
    office,
    provider,
    rooms,
    types,
    weekday_blocks,
)

_mrn = itertools.count(700_001)


@pytest.fixture
def visit_day() -> dt.date:
    """A Tuesday three to four weeks ahead (Chicago)."""
    today = dt.datetime.now(CHICAGO).date() + dt.timedelta(days=21)
    return today + dt.timedelta(days=(1 - today.weekday()) % 7)


@pytest.fixture
def make_patient(make_patient_record, location):  # noqa: F811 (the imported fixture)
    """The schedule's patient record, reachable: a mobile and an email with consent to both,
    texts preferred, contact hours 8:00–20:00, Main as home (MRNs from 700001)."""

    def make(**fields) -> Patient:
        values = {
            "mrn": mrn_from_sequence(next(_mrn)),
            "phone_mobile": "2175550142",
            "email": "maria@example.org",
            "preferred_contact": Patient.SMS,
            "consent_sms": True,
            "consent_sms_on": dt.date(2025, 1, 2),
            "consent_email": True,
            "consent_email_on": dt.date(2025, 1, 2),
            "contact_hours_start": dt.time(8, 0),
            "contact_hours_end": dt.time(20, 0),
            "home_location": location,
        }
        values.update(fields)
        return make_patient_record(**values)

    return make


@pytest.fixture
def patient(make_patient) -> Patient:
    return make_patient()


@pytest.fixture
def book(office, front_desk):  # noqa: F811 (the imported fixtures)
    """book(patient, start, type_key="follow_up", **changes) -> Appointment: Dr. Patel, Main,
    by the front desk."""
    return functools.partial(book_visit, office, front_desk)


@pytest.fixture
def sms_provider(settings):
    """A local SMS/voice provider; the messaging settings point at it."""
    server = ProviderServer().start()
    settings.MESSAGING_SMS_URL = server.url
    settings.MESSAGING_SMS_TOKEN = TOKEN
    settings.MESSAGING_SMS_FROM = "2175550199"
    settings.MESSAGING_VOICE_URL = server.url
    settings.MESSAGING_VOICE_TOKEN = TOKEN
    settings.MESSAGING_VOICE_FROM = "2175550199"
    settings.MESSAGING_MESSAGE_BACKOFF = "0"
    yield server
    server.stop()


class _Collect:
    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.endswith("@bounce.example.org"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback (aiosmtpd); Django's SMTP backend points at it."""
    handler = _Collect()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.MESSAGING_EMAIL_FROM = "reminders@riverside.example.org"
    yield handler
    controller.stop()
