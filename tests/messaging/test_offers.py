"""Waitlist offers: a freed time goes to the patients it fits; the first YES gets it, booked
through scheduling; the others are told it is gone; it is never filled twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from medoffice.core.errors import DomainError
from medoffice.messaging.models import Message, OfferRecipient, WaitlistOffer
from medoffice.messaging.services.offers import accept_offer, offer_freed_slots
from medoffice.messaging.services.replies import receive_text
from medoffice.messaging.services.sending import send_due_messages
from medoffice.scheduling.models import Appointment, WaitlistEntry
from medoffice.scheduling.services import add_to_waitlist, cancel_appointment
from tests.messaging.conftest import at


@pytest.fixture(autouse=True)
def _daytime(settings):
    settings.MESSAGING_QUIET_HOURS = "off"


@pytest.fixture
def freed(book, make_patient, visit_day, front_desk, office):
    """A 10:00 follow-up cancelled today, and four patients waiting for such a visit."""
    owner = make_patient(first_name="Olga", phone_mobile="2175550300")
    visit = book(owner, at(visit_day, "10:00"))
    cancel_appointment(actor=front_desk, appointment=visit, reason="patient is travelling")
    waiting = []
    for i in range(4):
        patient = make_patient(
            first_name=f"W{i}",
            phone_mobile=f"21755503{i + 1:02d}",
            contact_hours_start=dt.time(0, 0),
            contact_hours_end=dt.time(23, 59),
        )
        add_to_waitlist(
            actor=front_desk,
            patient=patient,
            appointment_type=office["types"]["follow_up"],
            earliest_date=visit_day - dt.timedelta(days=7),
            latest_date=visit_day + dt.timedelta(days=7),
        )
        waiting.append(patient)
    return visit, waiting


@pytest.mark.django_db
def test_a_freed_time_is_offered_to_the_patients_it_fits(freed, sms_provider):
    visit, waiting = freed
    assert offer_freed_slots() == 1
    offer = WaitlistOffer.objects.get(source_appointment=visit)
    assert offer.status == "open" and offer.recipients.count() == 4
    send_due_messages()
    bodies = {d["To"]: d["Body"] for d in sms_provider.state.deliveries}
    assert set(bodies) == {p.phone_mobile for p in waiting}
    assert f"Reply YES {offer.code}" in bodies[waiting[0].phone_mobile]
    assert "2175550300" not in bodies  # not offered back to the patient who cancelled
    assert offer_freed_slots() == 0  # offered once


@pytest.mark.django_db
def test_the_first_yes_gets_it_and_the_others_are_told_it_is_gone(freed, sms_provider):
    visit, waiting = freed
    offer_freed_slots()
    offer = WaitlistOffer.objects.get()
    first = receive_text(
        provider_message_id="A1", from_number=waiting[2].phone_mobile, body=f"yes {offer.code}"
    )
    assert first.action == "offer_accepted"
    late = receive_text(provider_message_id="A2", from_number=waiting[0].phone_mobile, body="YES")
    assert late.action == "offer_too_late"
    offer.refresh_from_db()
    booked = offer.booked_appointment
    assert offer.status == "filled" and booked.patient == waiting[2]
    assert booked.start == visit.start and booked.notes == "From the waitlist"
    entry = WaitlistEntry.objects.get(patient=waiting[2])
    assert entry.status == "booked" and entry.booked_appointment == booked
    statuses = dict(offer.recipients.values_list("patient_id", "status"))
    assert statuses[waiting[2].pk] == "accepted"
    assert {statuses[p.pk] for p in (waiting[0], waiting[1], waiting[3])} == {"told_gone"}
    gone = Message.objects.filter(purpose="waitlist_gone")
    assert gone.count() == 3  # one each; the late YES is not told twice
    assert Message.objects.get(purpose="waitlist_booked").patient == waiting[2]


@pytest.mark.django_db
def test_a_time_booked_meanwhile_by_the_front_desk_is_not_booked_again(freed, book, make_patient):
    visit, waiting = freed
    offer_freed_slots()
    book(make_patient(first_name="Walkin"), visit.start)
    with pytest.raises(DomainError) as refused:
        accept_offer(recipient=OfferRecipient.objects.filter(patient=waiting[0]).get())
    assert refused.value.code == "offer_taken"
    offer = WaitlistOffer.objects.get()
    assert offer.status == "closed" and "could not be booked" in offer.note
    assert Appointment.objects.filter(start=visit.start).exclude(status="cancelled").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_acceptances_fill_the_slot_once(freed):
    if connection.vendor != "postgresql":
        pytest.skip("the SQLite test database lives in memory: no real concurrent writers")
    visit, waiting = freed
    offer_freed_slots()
    recipients = list(OfferRecipient.objects.all())
    barrier = threading.Barrier(len(recipients))
    outcomes: list[str] = [""] * len(recipients)

    def accept(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            accept_offer(recipient=recipients[i].pk)
            outcomes[i] = "booked"
        except DomainError as exc:
            outcomes[i] = exc.code
        except Exception as exc:  # noqa: BLE001 - the assertion shows it
            outcomes[i] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(len(recipients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["booked", "offer_taken", "offer_taken", "offer_taken"], outcomes
    live = Appointment.objects.filter(start=visit.start).exclude(status="cancelled")
    assert live.count() == 1
    assert WaitlistOffer.objects.get().status == "filled"
    assert WaitlistEntry.objects.filter(status="booked").count() == 1
