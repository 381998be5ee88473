"""The patient's way through the office: each step in order, stamped with who and when."""

from __future__ import annotations

import datetime as dt

import pytest

from medoffice.core.errors import DomainError
from medoffice.scheduling.models import Appointment
from medoffice.scheduling.services import (
    confirm_appointment,
    mark_no_show,
    record_flow_step,
)
from tests.scheduling.conftest import at


@pytest.fixture
def visit(book, clinic_day):
    return book(at(clinic_day, "9:30"))


@pytest.fixture
def assistant(make_user):
    return make_user("medical_assistant", username="ma1")


def step(appt, name, who, when, **kw):
    return record_flow_step(actor=who, appointment=appt, step=name, at=when, **kw)


def test_the_whole_visit_from_confirmation_to_check_out(
    visit, clinic_day, front_desk, assistant, office
):
    confirm_appointment(actor=None, appointment=visit, via="sms reply")
    step(visit, "arrived", front_desk, at(clinic_day, "9:20"))
    step(visit, "roomed", assistant, at(clinic_day, "9:31"), room=office["rooms"]["exam2"])
    step(visit, "with_provider", assistant, at(clinic_day, "9:38"))
    done = step(visit, "checked_out", front_desk, at(clinic_day, "9:55"))

    assert done.status == Appointment.CHECKED_OUT
    assert done.arrived_by == front_desk
    assert done.roomed_by == assistant
    assert done.room == office["rooms"]["exam2"]
    assert done.checked_out_at == at(clinic_day, "9:55")
    assert visit.status == "checked_out"  # the caller's instance follows
    kinds = list(done.events.values_list("kind", "from_status", "to_status"))
    assert kinds == [
        ("booked", "", "scheduled"),
        ("confirmed", "scheduled", "confirmed"),
        ("arrived", "confirmed", "arrived"),
        ("roomed", "arrived", "roomed"),
        ("with_provider", "roomed", "with_provider"),
        ("checked_out", "with_provider", "checked_out"),
    ]
    roomed = done.events.get(kind="roomed")
    assert roomed.detail == {
        "room_from": office["rooms"]["exam1"].pk,
        "room_to": office["rooms"]["exam2"].pk,
    }
    assert done.events.get(kind="confirmed").detail == {"via": "sms reply"}
    assert done.status_since == at(clinic_day, "9:55")


@pytest.mark.parametrize(
    ("path", "bad", "status_word", "next_words"),
    [
        ([], "roomed", "scheduled", "'arrived' or 'no_show'"),
        ([], "checked_out", "scheduled", "'arrived' or 'no_show'"),
        (["arrived"], "with_provider", "arrived", "'roomed' or 'left_without_being_seen'"),
        (["arrived"], "no_show", "arrived", "'roomed' or 'left_without_being_seen'"),
        (["arrived", "roomed"], "arrived", "roomed", "'with_provider' or"),
        (
            ["arrived", "roomed", "with_provider"],
            "left_without_being_seen",
            "with provider",
            "'checked_out'",
        ),
        (
            ["arrived", "roomed", "with_provider", "checked_out"],
            "arrived",
            "checked out",
            "the visit is closed",
        ),
    ],
)
def test_a_step_out_of_order_names_the_current_status(
    visit, clinic_day, front_desk, path, bad, status_word, next_words
):
    for i, name in enumerate(path):
        step(visit, name, front_desk, at(clinic_day, f"9:{31 + i}"))
    with pytest.raises(DomainError) as caught:
        step(visit, bad, front_desk, at(clinic_day, "9:50"))

    err = caught.value
    assert (err.code, err.field, err.status) == ("invalid_transition", "step", 409)
    assert err.message.startswith(f"Cannot record '{bad}': Lopez, M. is {status_word}; ")
    assert next_words in err.message
    assert Appointment.objects.get(pk=visit.pk).status == (path[-1] if path else "scheduled")


def test_an_unknown_step_is_refused_with_the_list(visit, front_desk):
    with pytest.raises(DomainError) as caught:
        record_flow_step(actor=front_desk, appointment=visit, step="teleported")

    assert (caught.value.code, caught.value.field) == ("invalid", "step")
    assert "arrived, roomed, with_provider, checked_out" in caught.value.message


def test_arrival_is_recorded_on_the_day_of_the_visit(visit, clinic_day, front_desk):
    with pytest.raises(DomainError) as caught:
        step(visit, "arrived", front_desk, at(clinic_day - dt.timedelta(days=1), "9:00"))

    assert caught.value.code == "invalid_transition"
    assert "arrival is recorded on the day of the visit" in caught.value.message


def test_a_no_show_only_once_the_visit_has_begun(visit, clinic_day, front_desk):
    with pytest.raises(DomainError) as caught:
        mark_no_show(actor=front_desk, appointment=visit, at=at(clinic_day, "9:00"))
    assert "starts at 9:30" in caught.value.message

    gone = mark_no_show(actor=front_desk, appointment=visit, at=at(clinic_day, "9:45"))
    assert gone.status == Appointment.NO_SHOW
    assert gone.no_show_by == front_desk
    assert not gone.is_occupying


def test_a_patient_who_leaves_after_arriving_left_without_being_seen(visit, clinic_day, front_desk):
    step(visit, "arrived", front_desk, at(clinic_day, "9:25"))
    left = step(
        visit,
        "left_without_being_seen",
        front_desk,
        at(clinic_day, "10:30"),
        reason="Waited too long",
    )

    assert left.status == Appointment.LEFT_WITHOUT_BEING_SEEN
    assert left.left_at == at(clinic_day, "10:30")
    assert left.events.last().reason == "Waited too long"


def test_a_step_cannot_be_dated_before_the_previous_one(visit, clinic_day, front_desk):
    step(visit, "arrived", front_desk, at(clinic_day, "9:25"))
    with pytest.raises(DomainError) as caught:
        step(visit, "roomed", front_desk, at(clinic_day, "9:10"))

    assert (caught.value.code, caught.value.field) == ("invalid_time", "at")
    assert "arrived at 9:25" in caught.value.message


def test_rooming_into_a_room_someone_else_holds_is_refused(
    book, clinic_day, front_desk, office, other_patient, make_provider, make_template, location
):
    mine = book(at(clinic_day, "9:30"))
    colleague = make_provider(first_name="Sam", last_name="Okafor")
    make_template(colleague, location, 0, "08:00", "12:00")
    book(at(clinic_day, "9:40"), provider=colleague, patient=other_patient)  # takes Exam 2
    step(mine, "arrived", front_desk, at(clinic_day, "9:25"))
    with pytest.raises(DomainError) as caught:
        step(mine, "roomed", front_desk, at(clinic_day, "9:31"), room=office["rooms"]["exam2"])

    err = caught.value
    assert (err.code, err.field, err.status) == ("slot_taken", "room", 409)
    assert err.message == "Exam 2 is taken by Lee, M. at 9:40–10:00 (Dr. Okafor)."
    assert Appointment.objects.get(pk=mine.pk).status == "arrived"


def test_a_room_is_given_only_when_rooming(visit, front_desk, office, clinic_day):
    with pytest.raises(DomainError) as caught:
        step(visit, "arrived", front_desk, at(clinic_day, "9:25"), room=office["rooms"]["exam2"])

    assert (caught.value.code, caught.value.field) == ("invalid", "room")


def test_confirming_twice_changes_nothing_and_a_cancelled_visit_cannot_be_confirmed(
    visit, front_desk
):
    from medoffice.scheduling.services import cancel_appointment

    confirm_appointment(actor=front_desk, appointment=visit)
    confirm_appointment(actor=front_desk, appointment=visit)
    assert visit.events.filter(kind="confirmed").count() == 1

    cancel_appointment(actor=front_desk, appointment=visit, reason="Moved away")
    with pytest.raises(DomainError) as caught:
        confirm_appointment(actor=front_desk, appointment=visit)
    assert caught.value.code == "invalid_transition"
    assert "is cancelled" in caught.value.message
