"""Payment plan messages: the daily review reminds the patient before each installment and
tells them when one is missed, on the channel they agreed to, each message once, with the
office's own words, the amount and the date and nothing about the care."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from medoffice.billing.models import PaymentPlan
from medoffice.billing.services import patient_money as pm
from medoffice.billing.services import plans
from medoffice.core.errors import DomainError
from medoffice.messaging.models import Message
from medoffice.messaging.services.composing import day_words
from medoffice.messaging.services.messages import opt_out
from medoffice.messaging.services.sending import send_due_messages
from medoffice.messaging.services.setup import save_template
from tests.billing.side_by_side import side_by_side
from tests.billing.test_patient_payments import visit_owing  # noqa: F401 - fixture
from tests.messaging.conftest import sms_provider, smtp_server  # noqa: F401 - fixtures

D = Decimal
MOBILE = "7065550142"


@pytest.fixture(autouse=True)
def _daytime(settings):
    settings.MESSAGING_QUIET_HOURS = "off"


@pytest.fixture
def owing(make_patient, make_coverage, visit_owing, location):  # noqa: F811
    """owing(**patient fields) -> a patient who owes 90.00 on a visit, reachable by text at any
    hour (mobile, consent, texts preferred), Main as home office."""

    def make(**fields):
        values = {
            "contact_hours_start": dt.time(0, 0),
            "contact_hours_end": dt.time(23, 59),
            "home_location": location,
        } | fields
        patient = make_patient(**values)
        make_coverage(patient=patient)
        visit_owing(patient, dt.date(2026, 2, 2), "90.00")
        return patient

    return make


def plan_for(patient, biller, *, first_due: dt.date, **fields) -> PaymentPlan:
    values = {"total": "90.00", "installments": 3, "first_due": first_due} | fields
    return plans.create_plan(patient=patient, actor=biller, **values)


def messages_of(patient, purpose: str):
    return Message.objects.filter(patient=patient, purpose=purpose, fallback_of__isnull=True)


def test_a_reminder_goes_three_days_before_and_a_second_review_sends_nothing_more(
    owing,
    biller,
    sms_provider,  # noqa: F811
):
    patient = owing()
    today = timezone.localdate()
    plan = plan_for(patient, biller, first_due=today + dt.timedelta(days=3))
    first = plan.installments.get(number=1)
    early = plans.review_plans(today - dt.timedelta(days=1))
    assert early.reminders_sent == 0 and not messages_of(patient, "plan_due").exists()

    report = plans.review_plans(today)
    again = plans.review_plans(today)

    assert report.reminders_sent == 1 and again.reminders_sent == 0
    message = messages_of(patient, "plan_due").get()
    assert message.channel == "sms" and message.to_address == MOBILE
    assert "$30.00" in message.body and day_words(first.due_on) in message.body
    assert "Riverside Family Medicine" in message.body and "Maria" in message.body
    # Nothing about the care: no code, service or diagnosis.
    for word in ("99213", "J06", "visit", "Office"):
        assert word not in message.body
    first.refresh_from_db()
    assert first.reminded_at is not None
    assert not plans.reminders_due(today).exists()  # off the list a person works
    send_due_messages()
    send_due_messages()
    assert [d["Body"] for d in sms_provider.state.delivered_to(MOBILE)] == [message.body]


def test_an_installment_paid_meanwhile_has_its_reminder_cancelled(owing, biller):
    patient = owing()
    today = timezone.localdate()
    plan_for(patient, biller, first_due=today + dt.timedelta(days=2))
    plans.review_plans(today)
    message = messages_of(patient, "plan_due").get()
    assert message.status == "queued"
    pm.take_payment(patient=patient, amount="10.00", method="cash", actor=biller)
    message.refresh_from_db()
    assert message.status == "queued"  # part paid: the rest is still due
    pm.take_payment(patient=patient, amount="20.00", method="cash", actor=biller)
    message.refresh_from_db()
    assert message.status == "cancelled" and "paid" in message.error


def test_the_preferred_channel_with_consent_is_used_and_without_one_a_person_calls(
    owing, biller, client_as
):
    today = timezone.localdate()
    by_email = owing(
        first_name="Ana", email="ana@example.org", consent_email=True,
        consent_email_on=dt.date(2025, 1, 2), preferred_contact="email",
    )  # fmt: skip
    opted = owing(first_name="Lee", email="lee@example.org", consent_email=True,
                  consent_email_on=dt.date(2025, 1, 2))  # fmt: skip
    opt_out(patient=opted, channel="sms", source="replied STOP")
    unreachable = owing(first_name="Noor", last_name="Haddad", consent_sms=False)
    quiet = owing(first_name="Omar")
    for patient in (by_email, opted, unreachable):
        plan_for(patient, biller, first_due=today + dt.timedelta(days=1))
    plan_for(quiet, biller, first_due=today + dt.timedelta(days=1), send_reminders=False)

    report = plans.review_plans(today)

    assert report.reminders_sent == 2 and len(report.no_channel) == 1
    email = messages_of(by_email, "plan_due").get()
    assert email.channel == "email" and email.to_address == "ana@example.org"
    assert email.subject == "A payment reminder from Riverside Family Medicine"
    assert "$30.00" in email.body
    assert messages_of(opted, "plan_due").get().channel == "email"  # texts refused: email
    assert not messages_of(unreachable, "plan_due").exists()
    assert not messages_of(quiet, "plan_due").exists()
    # The one nobody could message stays on the list for the front desk to call.
    due = list(plans.reminders_due(today))
    assert [i.plan.patient for i in due] == [unreachable]
    page = client_as("biller").get(reverse("plan_list")).content.decode()
    assert "Haddad" in page and "no message could reach" in page


def test_a_missed_installment_gets_one_notice_and_catching_up_cancels_it(owing, biller):
    patient = owing()
    today = timezone.localdate() + dt.timedelta(days=1)  # the first installment 16 days late
    plan = plan_for(patient, biller, first_due=today - dt.timedelta(days=16))
    report = plans.review_plans(today)
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.DELINQUENT and report.missed_notices_sent == 1
    assert plans.review_plans(today).missed_notices_sent == 0  # a re-run: nothing twice
    notice = messages_of(patient, "plan_missed").get()
    missed = plan.installments.get(number=1)
    assert "$30.00 is past due" in notice.body and day_words(missed.due_on) in notice.body
    pm.take_payment(patient=patient, amount="30.00", method="cash", actor=biller)
    notice.refresh_from_db()
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.ACTIVE and notice.status == "cancelled"
    assert plans.review_plans(today).missed_notices_sent == 0


def test_each_further_missed_installment_gets_its_own_notice(owing, biller):
    patient = owing()
    today = timezone.localdate() + dt.timedelta(days=1)
    plan = plan_for(patient, biller, first_due=today - dt.timedelta(days=16))
    plans.review_plans(today)
    second = plan.installments.get(number=2)
    later = second.due_on + dt.timedelta(days=16)
    assert plans.review_plans(later).missed_notices_sent == 1
    assert plans.review_plans(later).missed_notices_sent == 0
    notices = list(messages_of(patient, "plan_missed").order_by("pk"))
    assert len(notices) == 2
    first_due = plan.installments.get(number=1).due_on
    assert "$60.00 is past due" in notices[1].body and day_words(first_due) in notices[1].body


def test_cancelling_the_plan_cancels_its_messages_not_yet_sent(owing, biller):
    patient = owing()
    today = timezone.localdate()
    plan = plan_for(patient, biller, first_due=today + dt.timedelta(days=1))
    plans.review_plans(today)
    plans.cancel_plan(plan=plan, actor=biller, reason="Paying in full next month")
    message = messages_of(patient, "plan_due").get()
    assert message.status == "cancelled" and message.error == "the payment plan was cancelled"


def test_the_office_managers_words_are_used_and_checked(owing, biller, make_user):
    manager = make_user("office_manager")
    save_template(
        actor=manager,
        purpose="plan_due",
        channel="sms",
        body="{practice_name}: {amount_due} due {due_date}. Call {location_phone}.",
    )
    patient = owing()
    today = timezone.localdate()
    first = plan_for(patient, biller, first_due=today).installments.get(number=1)
    plans.review_plans(today)
    body = messages_of(patient, "plan_due").get().body
    assert body == (
        f"Riverside Family Medicine: $30.00 due {day_words(first.due_on)}. Call (217) 555-0100."
    )
    # A visit placeholder means nothing in a plan message, an amount nothing in a visit's.
    with pytest.raises(DomainError) as refused:
        save_template(actor=manager, purpose="plan_due", channel="sms",
                      body="See {provider_name} about {amount_due}")  # fmt: skip
    assert refused.value.field == "body" and "{provider_name}" in refused.value.message
    with pytest.raises(DomainError) as refused:
        save_template(actor=manager, purpose="reminder", channel="sms",
                      body="You owe {amount_due}")  # fmt: skip
    assert refused.value.field == "body" and "{amount_due}" in refused.value.message


def test_a_text_that_cannot_go_falls_back_to_email_with_the_same_amount(
    owing,
    biller,
    sms_provider,  # noqa: F811
    smtp_server,  # noqa: F811
):
    sms_provider.state.landlines.add(MOBILE)
    patient = owing(email="maria@example.org", consent_email=True,
                    consent_email_on=dt.date(2025, 1, 2))  # fmt: skip
    today = timezone.localdate()
    plan_for(patient, biller, first_due=today + dt.timedelta(days=3))
    plans.review_plans(today)
    send_due_messages()
    text = messages_of(patient, "plan_due").get()
    assert text.status == "failed"
    email = text.fallback
    assert email.channel == "email" and email.status == "sent"
    assert email.topic == text.topic and "$30.00" in email.body
    assert len(smtp_server.messages) == 1
    assert plans.review_plans(today).reminders_sent == 0


@pytest.mark.django_db(transaction=True)
def test_two_reviews_at_once_send_each_message_once(owing, biller):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers only run side by side on PostgreSQL")
    today = timezone.localdate() + dt.timedelta(days=1)
    patients = [owing(first_name=f"P{n}") for n in range(4)]
    for n, patient in enumerate(patients):
        due = today + dt.timedelta(days=1) if n % 2 else today - dt.timedelta(days=16)
        plan_for(patient, biller, first_due=due)
    reports = side_by_side(2, lambda: plans.review_plans(today))
    assert sum(r.reminders_sent for r in reports) == 2
    assert sum(r.missed_notices_sent for r in reports) == 2
    assert Message.objects.filter(purpose="plan_due").count() == 2
    assert Message.objects.filter(purpose="plan_missed").count() == 2
