"""The channel: the patient's preference among what they agreed to; quiet and contact hours."""

from __future__ import annotations

import datetime as dt

import pytest

from medoffice.messaging import channels
from medoffice.messaging.services.messages import opt_out
from medoffice.patients.models import Patient
from tests.messaging.conftest import CHICAGO, at


@pytest.mark.django_db
def test_preferred_channel_first_then_the_others_consented(make_patient):
    patient = make_patient(preferred_contact=Patient.EMAIL)
    assert [r.channel for r in channels.routes_for(patient)] == ["email", "sms"]
    assert channels.routes_for(patient)[0].address == "maria@example.org"


@pytest.mark.django_db
def test_no_consent_no_channel(make_patient):
    patient = make_patient(
        preferred_contact=Patient.MAIL,
        consent_sms=False,
        consent_sms_on=None,
        consent_email=False,
        consent_email_on=None,
    )
    assert channels.routes_for(patient) == []
    assert channels.why_not(patient, "sms") == "has not agreed to text messages"


@pytest.mark.django_db
def test_calls_go_to_the_home_phone_when_there_is_no_mobile(make_patient):
    patient = make_patient(
        preferred_contact=Patient.VOICE,
        phone_mobile="",
        phone_home="2175550111",
        consent_sms=False,
        consent_sms_on=None,
        consent_voice=True,
        consent_voice_on=dt.date(2025, 1, 1),
    )
    assert channels.routes_for(patient)[0] == channels.Route("voice", "2175550111")


@pytest.mark.django_db
def test_opted_out_channel_is_skipped(make_patient):
    patient = make_patient()
    opt_out(patient=patient, channel="sms", source="replied STOP")
    from medoffice.messaging.services.messages import opted_out_channels

    assert [
        r.channel for r in channels.routes_for(patient, opted_out=opted_out_channels(patient))
    ] == ["email"]


@pytest.mark.django_db
def test_quiet_hours_push_a_late_text_to_the_morning(make_patient, visit_day):
    patient = make_patient(contact_hours_start=dt.time(7, 0), contact_hours_end=dt.time(22, 0))
    when, why = channels.send_time(
        at(visit_day, "21:30"), patient=patient, channel="sms", zone=CHICAGO
    )
    assert when.astimezone(CHICAGO) == at(visit_day + dt.timedelta(days=1), "8:00")
    assert "quiet hours 21:00–08:00" in why


@pytest.mark.django_db
def test_email_ignores_quiet_hours(make_patient, visit_day):
    when, why = channels.send_time(
        at(visit_day, "23:00"), patient=make_patient(), channel="email", zone=CHICAGO
    )
    assert when == at(visit_day, "23:00") and why == ""


@pytest.mark.django_db
def test_patient_contact_hours_count_too(make_patient, visit_day):
    patient = make_patient(contact_hours_start=dt.time(10, 0), contact_hours_end=dt.time(17, 0))
    when, _ = channels.send_time(
        at(visit_day, "9:00"), patient=patient, channel="sms", zone=CHICAGO
    )
    assert when.astimezone(CHICAGO) == at(visit_day, "10:00")


@pytest.mark.django_db
def test_a_reminder_that_would_land_after_the_visit_goes_the_evening_before(
    make_patient, visit_day
):
    patient = make_patient()
    visit = at(visit_day, "7:30")
    when, why = channels.send_time(
        visit - dt.timedelta(hours=2), patient=patient, channel="sms", zone=CHICAGO, not_after=visit
    )
    assert when.astimezone(CHICAGO) == at(visit_day - dt.timedelta(days=1), "19:59")
    assert "earlier" in why


@pytest.mark.django_db
def test_quiet_hours_are_configurable(make_patient, visit_day, settings):
    settings.MESSAGING_QUIET_HOURS = "20:00-09:00"
    when, _ = channels.send_time(
        at(visit_day, "8:30"), patient=make_patient(), channel="voice", zone=CHICAGO
    )
    assert when.astimezone(CHICAGO) == at(visit_day, "9:00")
