"""The schedule's API: what an integration sees — the 201, the 409 slot_taken shape, the 422
field names, the 403 for the wrong role, and the PHI access log behind patient-facing calls."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from medoffice.core.models import AccessLogEntry
from medoffice.core.services.tokens import create_token
from medoffice.scheduling.models import Appointment, WaitlistEntry
from tests.scheduling.conftest import at


@pytest.fixture
def api(client, make_user):
    """api("front_desk") -> a caller holding that role, with .get/.post/.delete sending JSON."""

    class Caller:
        def __init__(self, role):
            self.user = make_user(role) if role else make_user()
            self.headers = {"Authorization": f"Bearer {create_token(user=self.user)}"}

        def get(self, url, **params):
            return client.get(url, params, headers=self.headers)

        def post(self, url, body):
            return client.post(
                url, data=json.dumps(body), content_type="application/json", headers=self.headers
            )

        def delete(self, url):
            return client.delete(url, headers=self.headers)

    return Caller


@pytest.fixture
def body(office, patient, clinic_day):
    return {
        "patient": patient.pk,
        "provider": office["provider"].pk,
        "location": office["location"].pk,
        "appointment_type": office["types"]["follow_up"].pk,
        "start": at(clinic_day, "9:30").isoformat(),
    }


def test_booking_returns_201_with_the_appointment_in_local_time(api, body, office, patient):
    desk = api("front_desk")
    got = desk.post("/api/v1/appointments", body)

    assert got.status_code == 201, got.json()
    data = got.json()
    assert data["start"] == body["start"]
    assert data["end"].endswith("-06:00") or data["end"].endswith("-05:00")
    assert dt.datetime.fromisoformat(data["end"]) - dt.datetime.fromisoformat(
        data["start"]
    ) == dt.timedelta(minutes=20)
    assert data["status"] == "scheduled"
    assert data["next_steps"] == ["arrived", "no_show"]
    assert (data["provider"], data["location"], data["patient"]) == (
        office["provider"].pk,
        office["location"].pk,
        patient.pk,
    )
    assert data["room_name"] == "Exam 1"
    log = AccessLogEntry.objects.get(object_type="appointment")
    assert (log.action, log.patient_id, log.user_id) == ("create", patient.pk, desk.user.pk)


def test_a_taken_slot_is_409_with_code_slot_taken(api, body, other_patient):
    desk = api("front_desk")
    desk.post("/api/v1/appointments", {**body, "patient": other_patient.pk})
    got = desk.post("/api/v1/appointments", body)

    assert got.status_code == 409
    assert got.json() == {
        "detail": "Dr. Patel already has Lee, M. at 9:30–9:50 (Main).",
        "code": "slot_taken",
        "field": "start",
    }


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"start": "2031-03-03T09:30:00"}, "start", "invalid_time"),
        ({"start": "next tuesday"}, "start", "invalid"),
        ({"patient": 999999}, "patient", "not_found"),
        ({"provider": 999999}, "provider", "not_found"),
        ({"location": 999999}, "location", "not_found"),
        ({"appointment_type": 999999}, "appointment_type", "not_found"),
        ({"room": 999999}, "room", "not_found"),
        ({"patient": "abc"}, "patient", "invalid"),
        ({"patient": 10**30}, "patient", "invalid"),
        ({"patient": -1}, "patient", "invalid"),
        ({"notes": "x" * 201}, "notes", "invalid"),
        ({"start": "9999-12-31T23:59:00-05:00"}, "start", "invalid_time"),
    ],
)
def test_bad_input_is_422_naming_the_field(api, body, change, field, code):
    got = api("front_desk").post("/api/v1/appointments", {**body, **change})

    assert got.status_code == 422, got.json()
    assert got.json()["field"] == field
    assert got.json()["code"] == code


def test_an_end_before_the_start_is_422(api, body, clinic_day):
    got = api("front_desk").post(
        "/api/v1/appointments", {**body, "end": at(clinic_day, "9:00").isoformat()}
    )

    assert got.status_code == 422
    assert got.json()["field"] == "end"
    assert got.json()["code"] == "end_before_start"


def test_outside_the_template_is_422_and_the_override_books_it(api, body, clinic_day):
    late = {**body, "start": at(clinic_day, "18:00").isoformat()}
    desk = api("front_desk")
    refused = desk.post("/api/v1/appointments", late)
    booked = desk.post("/api/v1/appointments", {**late, "allow_outside_template": True})

    assert (refused.status_code, refused.json()["code"]) == (422, "outside_template")
    assert booked.status_code == 201
    assert booked.json()["outside_template"] is True


@pytest.mark.parametrize("role", ["medical_assistant", "biller", "provider", "auditor", None])
def test_only_the_front_desk_and_the_office_manager_book(api, body, role):
    got = api(role).post("/api/v1/appointments", body)

    assert got.status_code == 403
    assert got.json()["code"] == "permission_denied"
    assert "ask the front desk or office manager" in got.json()["detail"]
    assert not Appointment.objects.exists()


def test_the_office_manager_books_too(api, body):
    assert api("office_manager").post("/api/v1/appointments", body).status_code == 201


def test_no_token_is_401(client, body):
    got = client.post(
        "/api/v1/appointments", data=json.dumps(body), content_type="application/json"
    )

    assert got.status_code == 401


def test_the_day_list_and_one_appointment(api, body, office, clinic_day, other_patient):
    desk = api("front_desk")
    first = desk.post("/api/v1/appointments", body).json()
    desk.post(
        "/api/v1/appointments",
        {**body, "patient": other_patient.pk, "start": at(clinic_day, "8:00").isoformat()},
    )
    ma = api("medical_assistant")
    day = ma.get(
        "/api/v1/appointments", location=office["location"].pk, date=clinic_day.isoformat()
    )
    one = ma.get(f"/api/v1/appointments/{first['id']}")
    other_day = ma.get(
        "/api/v1/appointments",
        location=office["location"].pk,
        date=(clinic_day + dt.timedelta(days=1)).isoformat(),
        provider=office["provider"].pk,
    )

    assert day.status_code == 200
    assert [a["start"][11:16] for a in day.json()] == ["08:00", "09:30"]
    assert one.json()["id"] == first["id"]
    assert other_day.json() == []
    assert AccessLogEntry.objects.filter(object_type="appointment list").count() == 2
    assert AccessLogEntry.objects.filter(action="view", object_type="appointment").count() == 1


def test_an_unknown_appointment_is_404(api):
    got = api("front_desk").get("/api/v1/appointments/424242")

    assert got.status_code == 404
    assert got.json()["code"] == "not_found"


def test_the_day_list_needs_a_known_location_and_a_real_date(api, office):
    ma = api("medical_assistant")
    missing = ma.get("/api/v1/appointments", date="2031-01-01")
    bad_date = ma.get("/api/v1/appointments", location=office["location"].pk, date="2031-02-30")
    unknown = ma.get("/api/v1/appointments", location=999999, date="2031-01-01")

    assert (missing.status_code, missing.json()["field"]) == (422, "location")
    assert (bad_date.status_code, bad_date.json()["field"]) == (422, "date")
    assert (unknown.status_code, unknown.json()["field"]) == (422, "location")


def test_cancel_needs_a_reason_and_then_frees_the_slot(api, body):
    desk = api("front_desk")
    appt = desk.post("/api/v1/appointments", body).json()
    no_reason = desk.post(f"/api/v1/appointments/{appt['id']}/cancel", {})
    done = desk.post(f"/api/v1/appointments/{appt['id']}/cancel", {"reason": "Feeling better"})

    assert (no_reason.status_code, no_reason.json()["field"]) == (422, "reason")
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["cancel_reason"]) == ("cancelled", "Feeling better")
    assert desk.post("/api/v1/appointments", body).status_code == 201


def test_the_medical_assistant_cannot_cancel(api, body):
    appt = api("front_desk").post("/api/v1/appointments", body).json()
    got = api("medical_assistant").post(
        f"/api/v1/appointments/{appt['id']}/cancel", {"reason": "x"}
    )

    assert got.status_code == 403


def test_reschedule_returns_the_new_appointment(api, body, clinic_day):
    desk = api("front_desk")
    appt = desk.post("/api/v1/appointments", body).json()
    got = desk.post(
        f"/api/v1/appointments/{appt['id']}/reschedule",
        {"start": at(clinic_day, "10:00").isoformat()},
    )

    assert got.status_code == 201, got.json()
    assert got.json()["rescheduled_from"] == appt["id"]
    assert got.json()["start"] == at(clinic_day, "10:00").isoformat()
    old = desk.get(f"/api/v1/appointments/{appt['id']}").json()
    assert (old["status"], old["cancel_reason"]) == ("cancelled", "rescheduled")


def test_flow_through_the_api_and_a_wrong_step(api, office, patient, today_chicago, monkeypatch):
    from medoffice.scheduling.services import book_appointment

    # A visit this morning; the clock says 9:05 on the same day.
    office_day_start = at(today_chicago, "0:01")
    from tests.scheduling.conftest import CHICAGO  # noqa: F401

    office["provider"].availability_templates.create(
        location=office["location"],
        weekday=today_chicago.weekday(),
        start_time=dt.time(0, 0) if today_chicago.weekday() >= 5 else dt.time(5, 0),
        end_time=dt.time(7, 55),
        effective_from=dt.date(2020, 1, 1),
    )
    appt = book_appointment(
        actor=None,
        patient=patient,
        provider=office["provider"],
        location=office["location"],
        appointment_type=office["types"]["follow_up"],
        start=at(today_chicago, "7:00"),
        now=office_day_start,
    )
    monkeypatch.setattr(timezone, "now", lambda: at(today_chicago, "7:05").astimezone(dt.UTC))
    ma = api("medical_assistant")
    url = f"/api/v1/appointments/{appt.pk}/flow"

    wrong = ma.post(url, {"step": "checked_out"})
    assert wrong.status_code == 409
    assert wrong.json()["code"] == "invalid_transition"
    assert wrong.json()["field"] == "step"
    assert "is scheduled" in wrong.json()["detail"]

    assert ma.post(url, {"step": "arrived"}).json()["status"] == "arrived"
    roomed = ma.post(url, {"step": "roomed", "room": office["rooms"]["exam2"].pk}).json()
    assert (roomed["status"], roomed["room_name"]) == ("roomed", "Exam 2")
    assert ma.post(url, {"step": "with_provider"}).json()["status"] == "with_provider"
    out = ma.post(url, {"step": "checked_out"}).json()
    assert out["status"] == "checked_out"
    assert out["checked_out_at"].startswith(today_chicago.isoformat())
    assert AccessLogEntry.objects.filter(action="update", patient_id=patient.pk).count() == 4

    unknown = ma.post(url, {"step": "beamed_up"})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "step")


def test_the_biller_cannot_record_flow(api, body):
    appt = api("front_desk").post("/api/v1/appointments", body).json()
    got = api("biller").post(f"/api/v1/appointments/{appt['id']}/flow", {"step": "arrived"})

    assert got.status_code == 403


def test_confirm(api, body):
    desk = api("front_desk")
    appt = desk.post("/api/v1/appointments", body).json()
    got = desk.post(f"/api/v1/appointments/{appt['id']}/confirm", {"via": "phone"})

    assert got.json()["status"] == "confirmed"


def test_resources(api, office):
    reader = api("provider")
    providers = reader.get("/api/v1/providers").json()
    types = reader.get("/api/v1/appointment-types").json()
    rooms = reader.get("/api/v1/rooms", location=office["location"].pk).json()

    assert [p["schedule_name"] for p in providers] == ["Dr. Patel"]
    assert providers[0]["locations"] == [office["location"].pk]
    assert {t["code"] for t in types} == {"FU", "NP", "PROC", "TEL", "PH"}
    video = next(t for t in types if t["code"] == "TEL")
    assert (video["telehealth"], video["room_kind"]) == (True, None)
    assert [r["name"] for r in rooms] == ["Exam 1", "Exam 2", "Procedure"]
    assert reader.get("/api/v1/rooms", location=999999).status_code == 422


def test_the_waitlist_add_and_remove(api, office, patient, clinic_day):
    desk = api("front_desk")
    got = desk.post(
        "/api/v1/waitlist",
        {
            "patient": patient.pk,
            "appointment_type": office["types"]["follow_up"].pk,
            "providers": [office["provider"].pk],
            "earliest_date": clinic_day.isoformat(),
            "latest_date": (clinic_day + dt.timedelta(days=14)).isoformat(),
            "preferred_weekdays": [0, 3],
            "preferred_time": "morning",
        },
    )
    assert got.status_code == 201, got.json()
    entry = got.json()
    assert (entry["preferred_weekdays"], entry["status"]) == ([0, 3], "waiting")

    removed = desk.delete(f"/api/v1/waitlist/{entry['id']}?reason=Found+a+slot")
    assert removed.json()["status"] == "removed"
    assert WaitlistEntry.objects.get().removed_reason == "Found a slot"
    assert desk.delete(f"/api/v1/waitlist/{entry['id']}").status_code == 409
    assert desk.delete("/api/v1/waitlist/99999").status_code == 404


def test_a_bad_waitlist_window_names_the_field(api, office, patient, clinic_day):
    got = api("front_desk").post(
        "/api/v1/waitlist",
        {
            "patient": patient.pk,
            "appointment_type": office["types"]["follow_up"].pk,
            "earliest_date": clinic_day.isoformat(),
            "latest_date": (clinic_day - dt.timedelta(days=1)).isoformat(),
        },
    )

    assert (got.status_code, got.json()["field"]) == (422, "latest_date")


def test_the_schema_lists_the_schedule(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    for path in (
        "/api/v1/providers",
        "/api/v1/appointment-types",
        "/api/v1/rooms",
        "/api/v1/appointments",
        "/api/v1/appointments/{appointment_id}/flow",
        "/api/v1/waitlist",
    ):
        assert path in paths


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/v1/appointments", "not json at all"),
        ("/api/v1/appointments", "[]"),
        ("/api/v1/appointments", '{"start": null}'),
        ("/api/v1/appointments/{id}/flow", '{"step": null}'),
        ("/api/v1/appointments/{id}/flow", '{"step": "roomed", "room": "x"}'),
        ("/api/v1/appointments/{id}/reschedule", "{}"),
        ("/api/v1/appointments/{id}/reschedule", '{"start": "0001-01-01T00:00:00+14:00"}'),
        ("/api/v1/appointments/{id}/cancel", '{"reason": 5}'),
        ("/api/v1/waitlist", '{"patient": 1, "preferred_weekdays": [100000000000000000000]}'),
    ],
)
def test_garbage_gets_a_4xx_in_the_error_shape_never_a_500(api, body, client, path, raw):
    desk = api("front_desk")
    appt = desk.post("/api/v1/appointments", body).json()
    got = client.post(
        path.replace("{id}", str(appt["id"])),
        data=raw,
        content_type="application/json",
        headers=desk.headers,
    )

    assert 400 <= got.status_code < 500, got.content
    assert set(got.json()) == {"detail", "code", "field"}


def test_a_series_books_every_visit_and_logs_each(api, body, clinic_day):
    desk = api("front_desk")
    got = desk.post("/api/v1/appointment-series", {**body, "interval_weeks": 1, "count": 3})

    assert got.status_code == 201, got.json()
    data = got.json()
    starts = [dt.datetime.fromisoformat(a["start"]) for a in data["appointments"]]
    assert starts == [at(clinic_day + dt.timedelta(weeks=n), "9:30") for n in range(3)]
    assert {a["series"] for a in data["appointments"]} == {data["id"]}
    assert AccessLogEntry.objects.filter(detail="booked in a series").count() == 3


def test_a_series_with_a_taken_date_is_409_and_books_nothing(api, body, other_patient, clinic_day):
    desk = api("front_desk")
    second = at(clinic_day + dt.timedelta(weeks=1), "9:30").isoformat()
    assert (
        desk.post(
            "/api/v1/appointments", {**body, "patient": other_patient.pk, "start": second}
        ).status_code
        == 201
    )

    got = desk.post("/api/v1/appointment-series", {**body, "count": 3})

    assert got.status_code == 409
    assert got.json()["code"] == "series_conflicts"
    assert "1 of the 3 visits" in got.json()["detail"]
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({}, "count"),  # neither a count nor a last date
        ({"count": 3, "until": "2099-01-01"}, "count"),
        ({"count": 99}, "count"),
        ({"count": 3, "interval_weeks": 0}, "interval_weeks"),
    ],
)
def test_a_bad_series_is_422_naming_the_field(api, body, change, field):
    got = api("front_desk").post("/api/v1/appointment-series", {**body, **change})

    assert got.status_code == 422, got.json()
    assert got.json()["field"] == field
    assert Appointment.objects.count() == 0


def test_the_medical_assistant_cannot_book_a_series(api, body):
    got = api("medical_assistant").post("/api/v1/appointment-series", {**body, "count": 2})
    assert got.status_code == 403
