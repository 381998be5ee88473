"""The patients API: search, register, read, change; coverages, payers, merges; one error shape."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medoffice.core.models import AccessLogEntry
from medoffice.patients.models import Coverage, Patient, PatientMerge
from medoffice.patients.services.coverages import add_coverage

pytestmark = pytest.mark.django_db

NEW = {
    "first_name": "Ana",
    "last_name": "Reyes",
    "date_of_birth": "1985-04-09",
    "sex_at_birth": "F",
    "address1": "7 Elm St",
    "city": "Columbus",
    "state": "GA",
    "zip": "31901",
    "phone_mobile": "(706) 555-0150",
}


@pytest.fixture
def api(client, make_user):
    """api("front_desk") -> a client whose calls carry that role's bearer token."""
    from medoffice.core.services.tokens import create_token

    def as_role(*roles, **fields):
        user = make_user(*roles, **fields)
        headers = {"Authorization": f"Bearer {create_token(user=user)}"}

        class Caller:
            def get(self, url, params=None):
                return client.get(url, params or {}, headers=headers)

            def send(self, method, url, body):
                raw = body if isinstance(body, str | bytes) else json.dumps(body)
                call = getattr(client, method)
                return call(url, data=raw, content_type="application/json", headers=headers)

            def post(self, url, body):
                return self.send("post", url, body)

            def patch(self, url, body):
                return self.send("patch", url, body)

        caller = Caller()
        caller.user = user
        return caller

    return as_role


def assert_error(response, status, code=None, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "field"}
    assert body["detail"]
    if code:
        assert body["code"] == code
    if field is not None:
        assert body["field"] == field
    return body


# --- search ---------------------------------------------------------------------------


def test_search_returns_a_page_of_patients_and_logs_it(api, make_patient, location):
    make_patient(last_name="Smith", first_name="John", home_location=location)
    make_patient(last_name="Jones")
    caller = api("front_desk")

    found = caller.get("/api/v1/patients", {"q": "smith, j", "limit": "10"})

    assert found.status_code == 200
    [row] = found.json()
    assert (row["last_name"], row["home_location"], row["match"]) == ("Smith", "Main", "exact")
    assert row["date_of_birth"] == "1980-05-17"
    entry = AccessLogEntry.objects.get()
    assert (entry.object_type, entry.detail) == ("patient list", "api search: smith, j")


def test_search_by_phone_dob_and_typo(api, make_patient):
    make_patient(last_name="Johnson", phone_mobile="4045550142")
    caller = api("medical_assistant")
    for q in ("(404) 555-0142", "0142", "05/17/1980", "1980-05-17", "Jonson"):
        assert [r["last_name"] for r in caller.get("/api/v1/patients", {"q": q}).json()] == [
            "Johnson"
        ], q


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}])
def test_bad_limits_name_the_parameter(api, db, params):
    assert_error(api("front_desk").get("/api/v1/patients", params), 422, "invalid", "limit")


def test_the_list_makes_the_same_number_of_queries_for_3_or_30_patients(
    api, make_patient, location, django_assert_num_queries
):
    caller = api("front_desk")
    for _ in range(3):
        make_patient(home_location=location)
    caller.get("/api/v1/patients", {"q": "lopez"})  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as three:
        assert len(caller.get("/api/v1/patients", {"q": "lopez"}).json()) == 3
    for _ in range(27):
        make_patient(home_location=location)
    with django_assert_num_queries(len(three.captured_queries)):
        assert len(caller.get("/api/v1/patients", {"q": "lopez", "limit": "50"}).json()) == 30


# --- register, read, change -----------------------------------------------------------


def test_registering_returns_201_with_the_record(api, location):
    caller = api("front_desk")
    made = caller.post("/api/v1/patients", {**NEW, "home_location": location.pk})
    assert made.status_code == 201, made.content
    body = made.json()
    patient = Patient.objects.get()
    assert (body["id"], body["mrn"], body["phone_mobile"]) == (
        patient.pk,
        patient.mrn,
        "7065550150",
    )
    assert body["home_location_name"] == "Main"
    assert body["coverages"] == []
    assert AccessLogEntry.objects.get().action == "create"


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"date_of_birth": "2999-01-01"}, 422, "date_of_birth"),
        ({"date_of_birth": "1850-01-01"}, 422, "date_of_birth"),
        ({"date_of_birth": "05/17/1980"}, 422, "date_of_birth"),
        ({"date_of_birth": 19800517}, 422, "date_of_birth"),
        ({"phone_home": "555-0150"}, 422, "phone_home"),
        ({"first_name": ["Ana"]}, 422, "first_name"),
        ({"preferred_contact": "sms"}, 422, "consent_sms"),
        ({"preferred_contact": "pigeon"}, 422, "preferred_contact"),
        ({"mrn": "10000016"}, 422, "mrn"),
        ({"home_location": 999999}, 404, "home_location"),
        ({"home_location": 10**30}, 404, "home_location"),
    ],
)
def test_bad_input_names_the_field(api, db, change, status, field):
    response = api("front_desk").post("/api/v1/patients", {**NEW, **change})
    assert_error(response, status, field=field)
    assert not Patient.objects.exists()


def test_a_missing_field_is_named(api, db):
    body = {k: v for k, v in NEW.items() if k != "last_name"}
    assert_error(api("front_desk").post("/api/v1/patients", body), 422, "invalid", "last_name")


@pytest.mark.parametrize("raw", ["not json at all", "{", "[1, 2]", "null", b"\xff\xfe"])
def test_malformed_bodies_get_an_error_not_a_500(api, db, raw):
    response = api("front_desk").post("/api/v1/patients", raw)
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"detail", "code", "field"}


def test_reading_a_patient_logs_it(api, make_patient):
    patient = make_patient()
    body = api("provider").get(f"/api/v1/patients/{patient.pk}").json()
    assert (body["mrn"], body["last_name"]) == (patient.mrn, "Lopez")
    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.object_type, entry.patient_id) == ("view", "patient", patient.pk)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/patients/999999", 404),
        ("/api/v1/patients/0", 404),
        ("/api/v1/patients/-4", 404),
        ("/api/v1/patients/99999999999999999999999", 404),
        ("/api/v1/patients/abc", 422),
        ("/api/v1/patients/999999/coverages", 404),
    ],
)
def test_unknown_or_malformed_ids(api, db, path, status):
    assert_error(api("front_desk").get(path), status)
    assert not AccessLogEntry.objects.exists()


def test_patch_changes_only_what_was_sent(api, make_patient):
    patient = make_patient()
    caller = api("biller")
    changed = caller.patch(f"/api/v1/patients/{patient.pk}", {"phone_home": "205.555.0111"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["phone_home"] == "2055550111"
    assert changed.json()["first_name"] == "Maria"
    refused = caller.patch(f"/api/v1/patients/{patient.pk}", {"phone_mobile": ""})
    assert_error(refused, 422, field="phone_mobile")
    assert_error(caller.patch(f"/api/v1/patients/{patient.pk}", {"mrn": "1"}), 422, field="mrn")


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("front_desk", 200, 200),
        ("medical_assistant", 200, 403),
        ("provider", 200, 403),
        ("auditor", 403, 403),
    ],
)
def test_roles_in_the_api(api, make_patient, role, read, write):
    patient = make_patient()
    caller = api(role)
    assert caller.get(f"/api/v1/patients/{patient.pk}").status_code == read
    assert caller.get("/api/v1/patients", {"q": "lopez"}).status_code == read
    response = caller.patch(f"/api/v1/patients/{patient.pk}", {"middle_name": "Ines"})
    assert response.status_code == write
    if write == 403:
        assert_error(response, 403, "permission_denied")


def test_without_a_token_the_api_says_sign_in(client, make_patient):
    patient = make_patient()
    assert_error(client.get(f"/api/v1/patients/{patient.pk}"), 401, "not_authenticated")


# --- coverages and payers -------------------------------------------------------------


def test_coverages_are_listed_added_and_changed(api, make_patient, commercial_payer, medicare):
    patient = make_patient()
    caller = api("front_desk")
    url = f"/api/v1/patients/{patient.pk}/coverages"
    made = caller.post(
        url, {"payer": commercial_payer.pk, "member_id": "PHP 123", "effective_date": "2024-01-01"}
    )
    assert made.status_code == 201, made.content
    assert made.json()["member_id"] == "PHP 123"
    assert made.json()["status"] == "active"

    overlap = caller.post(
        url, {"payer": medicare.pk, "member_id": "1EG4-TE5-MK73", "effective_date": "2025-01-01"}
    )
    assert_error(overlap, 422, "coverage_overlap", "order")

    coverage_id = made.json()["id"]
    backwards = caller.patch(f"/api/v1/coverages/{coverage_id}", {"end_date": "2023-12-31"})
    assert_error(backwards, 422, field="end_date")
    ended = caller.patch(f"/api/v1/coverages/{coverage_id}", {"end_date": "2024-12-31"})
    assert ended.json()["status"] == "ended"

    listed = caller.get(url).json()
    assert [c["payer_name"] for c in listed] == ["Peachtree Health Plan"]
    assert AccessLogEntry.objects.filter(object_type="coverage list").count() == 1


def test_coverage_errors(api, make_patient, self_pay):
    patient = make_patient()
    caller = api("front_desk")
    url = f"/api/v1/patients/{patient.pk}/coverages"
    base = {"member_id": "X1", "effective_date": "2024-01-01"}
    assert_error(caller.post(url, {**base, "payer": self_pay.pk}), 422, "self_pay_coverage")
    assert_error(caller.post(url, {**base, "payer": 424242}), 404, "not_found", "payer")
    assert_error(caller.post(url, {**base, "payer": "Aetna"}), 422, "invalid", "payer")
    assert_error(caller.patch("/api/v1/coverages/424242", {"group_number": "1"}), 404)


def test_member_ids_only_reach_users_who_may_see_coverages(api, make_coverage):
    coverage = make_coverage(member_id="PHP-SECRET-1")
    patient_id = coverage.patient_id
    assert (
        "PHP-SECRET-1" in api("front_desk").get(f"/api/v1/patients/{patient_id}").content.decode()
    )

    clerk = api()
    clerk.user.user_permissions.add(
        Permission.objects.get(codename="view_patient", content_type__app_label="patients")
    )
    body = clerk.get(f"/api/v1/patients/{patient_id}")
    assert body.status_code == 200
    assert body.json()["coverages"] is None
    assert "PHP-SECRET-1" not in body.content.decode()
    assert_error(clerk.get(f"/api/v1/patients/{patient_id}/coverages"), 403)


def test_payers(api, commercial_payer, self_pay):
    names = [p["name"] for p in api("front_desk").get("/api/v1/payers").json()]
    assert names == ["Peachtree Health Plan", "Self-pay"]
    assert_error(api("medical_assistant").get("/api/v1/payers"), 403, "permission_denied")


# --- merges ---------------------------------------------------------------------------


def test_merge_and_unmerge_through_the_api(api, make_patient, commercial_payer, make_user):
    keep, dup = make_patient(), make_patient()
    add_coverage(
        actor=make_user(),
        patient=dup,
        payer=commercial_payer,
        member_id="D1",
        effective_date=(keep.date_of_birth),
    )
    manager = api("office_manager")
    url = f"/api/v1/patients/{keep.pk}/merge"

    assert_error(api("front_desk").post(url, {"duplicate": dup.pk, "reason": "x"}), 403)
    assert_error(manager.post(url, {"duplicate": 987654, "reason": "x"}), 404, field="duplicate")
    assert_error(manager.post(url, {"duplicate": dup.pk}), 422, field="reason")
    assert_error(manager.post(url, {"duplicate": keep.pk, "reason": "x"}), 422, field="duplicate")

    merged = manager.post(url, {"duplicate": dup.pk, "reason": "registered twice"})
    assert merged.status_code == 200, merged.content
    body = merged.json()
    assert body["moved_rows"] == [
        {"model": "patients.coverage", "field": "patient", "pk": Coverage.objects.get().pk}
    ]
    again = manager.post(url, {"duplicate": dup.pk, "reason": "again"})
    assert_error(again, 409, "already_merged")

    undone = manager.post(f"/api/v1/patient-merges/{body['id']}/unmerge", {"reason": "twins"})
    assert undone.status_code == 200
    assert undone.json()["unmerged_by"] == manager.user.username
    assert Coverage.objects.get().patient_id == dup.pk
    assert PatientMerge.objects.get().undone
    assert_error(manager.post("/api/v1/patient-merges/5555/unmerge", {}), 404)


def test_the_openapi_schema_describes_the_patient_endpoints(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/patients",
        "/api/v1/patients/{patient_id}",
        "/api/v1/patients/{patient_id}/coverages",
        "/api/v1/coverages/{coverage_id}",
        "/api/v1/payers",
        "/api/v1/patients/{patient_id}/merge",
        "/api/v1/patient-merges/{merge_id}/unmerge",
    ):
        assert path in paths, path


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=300),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(sorted(NEW) + ["home_location", "consent_sms_on", "active"]),
    value=JSON_VALUES,
)
def test_any_json_in_any_field_gets_an_answer_never_a_500(api, make_patient, field, value):
    caller = api("office_manager")
    created = caller.post("/api/v1/patients", {**NEW, field: value})
    assert created.status_code in (201, 404, 422), created.content
    patient = make_patient()
    changed = caller.patch(f"/api/v1/patients/{patient.pk}", {field: value})
    assert changed.status_code in (200, 404, 422), changed.content
    listed = caller.get("/api/v1/patients", {"q": str(value)[:200]})
    assert listed.status_code == 200
