"""The billing API: fee schedules, charges, claims and the scrubber, with the one error shape."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medoffice.billing.models import Claim, PayerFee, Service
from medoffice.core.models import AccessLogEntry
from medoffice.core.services.tokens import create_token
from tests.billing.conftest import VISIT_DAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, make_user):
    class Caller:
        def __init__(self, *roles):
            self.user = make_user(*roles)
            self.headers = {"Authorization": f"Bearer {create_token(user=self.user)}"}

        def get(self, url, **params):
            return client.get(url, params, headers=self.headers)

        def send(self, method, url, body):
            data = body if isinstance(body, str) else json.dumps(body)
            return getattr(client, method)(
                url, data=data, content_type="application/json", headers=self.headers
            )

        def post(self, url, body=None):
            return self.send("post", url, body if body is not None else {})

        def put(self, url, body):
            return self.send("put", url, body)

    return Caller


def test_services_add_list_and_refuse(api):
    biller = api("biller")
    r = biller.post(
        "/api/v1/billing/services",
        {"code": "99213", "description": "Visit", "standard_charge": "135"},
    )
    assert r.status_code == 201 and r.json()["code"] == "99213"
    r = biller.post(
        "/api/v1/billing/services",
        {"code": "99213", "modifiers": "2", "description": "x", "standard_charge": "1"},
    )
    assert r.status_code == 422 and r.json()["field"] == "modifiers"
    assert [s["code"] for s in biller.get("/api/v1/billing/services").json()] == ["99213"]
    assert api("medical_assistant").get("/api/v1/billing/services").status_code == 403


def test_import_preview_apply_and_export(api, commercial_payer):
    biller = api("biller")
    text = "code,modifiers,description,standard_charge\n99213,,Visit,135\n99214,,Longer,195\n"
    r = biller.send("post", "/api/v1/billing/fee-schedule/import?kind=services", text)
    assert r.status_code == 200 and r.json()["added"] == 2 and not Service.objects.exists()
    r = biller.send("post", "/api/v1/billing/fee-schedule/import?kind=services&apply=true", text)
    assert r.json()["applied"] is True and Service.objects.count() == 2
    bad = (
        "payer,code,modifiers,allowed_amount,effective_date\n"
        "Nobody,99213,,1,2025-01-01\n"
        "Peachtree Health Plan,99213,,x,2025-01-01\n"
    )
    r = biller.send("post", "/api/v1/billing/fee-schedule/import?kind=payer_fees&apply=true", bad)
    assert r.status_code == 422
    assert [(p["line"], p["column"]) for p in r.json()["problems"]] == [
        (2, "payer"),
        (3, "allowed_amount"),
    ]
    assert not PayerFee.objects.exists()
    r = biller.get("/api/v1/billing/fee-schedule/export", kind="services")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert r.content.decode().splitlines()[1].startswith("99213,,Visit,135.00")


def test_charge_to_claim_to_scrub_over_the_api(
    api, make_visit, make_coverage, make_patient, services
):
    biller = api("biller")
    patient = make_patient()
    make_coverage(patient=patient)
    visit = make_visit(patient=patient)
    body = {
        "appointment": visit.pk,
        "diagnoses": ["J069"],
        "lines": [{"code": "99213", "pointers": "2"}],
    }
    r = biller.post("/api/v1/billing/charges", body)
    assert r.status_code == 422 and r.json()["field"] == "lines.1.pointers"
    assert r.json()["code"] == "invalid_pointer"
    body["lines"] = [
        {"code": "99213", "modifiers": ["25"], "pointers": [1]},
        {"code": "87880", "pointers": "1"},
    ]
    r = biller.post("/api/v1/billing/charges", body)
    assert r.status_code == 201, r.content
    charge = r.json()
    assert charge["diagnoses"] == ["J06.9"] and charge["total"] == "165.00"
    assert AccessLogEntry.objects.filter(patient_id=patient.pk, object_type="charge").exists()
    r = biller.post(f"/api/v1/billing/charges/{charge['id']}/claims")
    assert r.status_code == 201
    claim = r.json()
    assert claim["status"] == "draft" and claim["patient_control_number"].startswith("MO")
    r = biller.post("/api/v1/billing/scrub", {"claims": [claim["id"]]})
    assert r.json()["clean"] == 1
    r = biller.post(f"/api/v1/billing/claims/{claim['id']}/status", {"to": "submitted"})
    assert r.status_code == 409 and r.json()["code"] == "bad_transition"
    r = biller.post(f"/api/v1/billing/claims/{claim['id']}/status", {"to": "ready"})
    assert r.json()["status"] == "ready"
    assert [e["to_status"] for e in r.json()["events"]] == ["draft", "scrubbed", "ready"]
    page = biller.get("/api/v1/billing/claims", status="ready").json()
    assert page["count"] == 1 and page["status_counts"]["ready"] == 1
    assert page["results"][0]["patient_control_number"] == claim["patient_control_number"]


def test_unknown_code_is_a_field_error_and_never_a_500(api, make_visit, services):
    biller = api("biller")
    visit = make_visit()
    for lines in ([{"code": "ABCDE"}], [{"code": "99213", "units": "lots"}], [{"code": 5}], "x"):
        r = biller.post(
            "/api/v1/billing/charges",
            {"appointment": visit.pk, "diagnoses": ["I10"], "lines": lines},
        )
        assert r.status_code == 422, (lines, r.content)
    r = biller.post(
        "/api/v1/billing/charges", {"appointment": 999999, "lines": [{"code": "99213"}]}
    )
    assert r.status_code == 422 and r.json()["field"] == "appointment"


def test_only_the_office_manager_sets_rules(api, commercial_payer):
    assert (
        api("biller").put("/api/v1/billing/scrub-rules/charge_zero", {"enabled": False}).status_code
        == 403
    )
    manager = api("office_manager")
    r = manager.put(
        f"/api/v1/billing/scrub-rules/referring_missing/payers/{commercial_payer.pk}",
        {"enabled": True},
    )
    assert r.status_code == 200 and r.json()["payers"] == {str(commercial_payer.pk): True}
    assert manager.put("/api/v1/billing/scrub-rules/nope", {"enabled": True}).status_code == 404


def test_claims_list_is_empty_not_an_error(api):
    r = api("biller").get("/api/v1/billing/claims", since="2026-01-01", status="paid")
    assert r.status_code == 200 and r.json()["count"] == 0
    assert api("biller").get("/api/v1/billing/claims", status="nonsense").status_code == 422
    assert not Claim.objects.exists()


_days = itertools.count(1)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    where=st.sampled_from(
        ["appointment", "diagnoses", "lines", "line.code", "line.modifiers", "line.units",
         "line.pointers", "line.charge", "referring_npi", "rendering_provider", "place_of_service"]
    ),
    value=JSON_VALUES,
)  # fmt: skip
def test_any_json_in_any_charge_field_gets_an_answer_never_a_500(
    api, make_visit, services, where, value
):
    caller = api("biller")
    line = {"code": "99213", "pointers": "1"}
    day = VISIT_DAY - dt.timedelta(days=next(_days))  # examples share the test's database
    body = {"appointment": make_visit(day=day).pk, "diagnoses": ["I10"], "lines": [line]}
    if where.startswith("line."):
        line[where.split(".")[1]] = value
    else:
        body[where] = value
    response = caller.post("/api/v1/billing/charges", body)
    assert response.status_code in (201, 404, 409, 422), response.content
    if response.status_code != 201:
        assert set(response.json()) == {"detail", "code", "field"}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200), kind=st.sampled_from(["services", "payer_fees"]))
def test_any_text_as_an_import_gets_an_answer_never_a_500(api, kind, text):
    response = api("office_manager").send(
        "post", f"/api/v1/billing/fee-schedule/import?kind={kind}&apply=true", text
    )
    assert response.status_code in (200, 422), response.content
