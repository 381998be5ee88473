"""Ready claims into an 837P batch: the mapping onto the EDI values, control numbers unique
and kept, the claims submitted with their events, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from medoffice.billing.errors import DomainError
from medoffice.billing.models import (
    Claim,
    ClaimBatch,
    ClaimEvent,
    ControlNumber,
    SubmissionSettings,
)
from medoffice.billing.services import claims as claim_services
from medoffice.billing.services.batches import create_batch
from medoffice.billing.services.charges import LineInput, enter_charges
from medoffice.billing.services.scrubber import scrub_claims
from medoffice.billing.services.x837 import claim_file, referring_person
from medoffice.edi.errors import EdiInputError
from medoffice.patients.models import Coverage

pytestmark = pytest.mark.django_db


@pytest.fixture
def submission(db):
    return SubmissionSettings.objects.create(
        sender_id="RIVERSIDE01", receiver_id="CLEARHOUSE", receiver_name="Example Clearinghouse",
        submitter_id="SUB123", contact_name="Billing Office", contact_phone="2175550100",
        zip_plus_four="1234",
    )  # fmt: skip


@pytest.fixture
def ready(make_visit, make_coverage, make_patient, services, make_user):
    """ready(relationship=...) -> a ready claim for a new patient."""
    biller = make_user("biller")

    def make(*, relationship="self", **charge_fields) -> Claim:
        patient = make_patient()
        extra = {}
        if relationship != "self":
            extra = {
                "subscriber_relationship": relationship,
                "subscriber_first_name": "Luis",
                "subscriber_last_name": "Lopez",
                "subscriber_date_of_birth": dt.date(1978, 2, 3),
                "subscriber_sex": "M",
            }
        make_coverage(patient=patient, group_number="GRP7", **extra)
        charge = enter_charges(
            actor=biller,
            appointment=make_visit(patient=patient),
            diagnoses=["E11.9", "I10"],
            lines=[
                LineInput(code="99214", modifiers="25", pointers="1,2"),
                LineInput(code="36415", pointers="1"),
            ],
            **charge_fields,
        )
        claim = claim_services.build_claim(actor=biller, charge=charge)
        scrub_claims(actor=biller, claim_ids=[claim.pk], today=dt.date(2026, 3, 20))
        return claim_services.mark_ready(actor=biller, claim=Claim.objects.get(pk=claim.pk))

    make.biller = biller
    return make


def _loaded(ids):
    return list(
        Claim.objects.filter(pk__in=ids)
        .select_related("coverage", "patient", "payer", "rendering_provider", "billing_provider")
        .prefetch_related("lines")
        .order_by("pk")
    )


def test_claims_map_onto_the_837p_values(ready, submission, practice):
    own = ready(referring_name="Jo Kim, MD", referring_npi="1234567893")
    child = ready(relationship="child")
    made = claim_file(
        _loaded([own.pk, child.pk]), settings=submission, practice=practice, interchange=7,
        group=8, transaction="0009", created=dt.datetime(2026, 3, 20, 9, 30),  # noqa: DTZ001 - X12 time is wall-clock
    )  # fmt: skip
    (batch,) = made.batches
    (provider,) = batch.providers
    assert provider.provider.npi == practice.group_npi
    assert provider.provider.address.postal_code == "627011234"  # ZIP + the settings' +4
    first, second = provider.subscribers
    assert first.patient is None and first.subscriber.payer_responsibility == "P"
    assert first.subscriber.member_id == "PHP123456789" and first.subscriber.group_number == "GRP7"
    assert second.patient.relationship == "19" and second.subscriber.first_name == "Luis"
    claim = first.claims[0]
    assert claim.patient_control_number == own.patient_control_number
    assert claim.diagnoses == ("E119", "I10")
    assert claim.referring_provider.last_name == "Kim"
    assert [(x.procedure_code, x.modifiers, x.diagnosis_pointers) for x in claim.lines] == [
        ("99214", ("25",), (1, 2)),
        ("36415", (), (1,)),
    ]
    assert claim.lines[0].control_number == str(own.lines.get(line_number=1).pk)
    assert claim.rendering_provider.npi == own.rendering_provider.npi
    assert made.envelope.interchange_control_number == 7 and batch.control_number == "0009"


def test_referring_names_are_split_into_last_and_first():
    assert (
        referring_person("Jo Kim MD", "1").last_name,
        referring_person("Jo Kim MD", "1").first_name,
    ) == ("Kim", "Jo")
    assert referring_person("Kim, Jo", "1").last_name == "Kim"


def test_a_five_digit_billing_zip_needs_its_plus_four(ready, submission, practice):
    claim = ready()
    submission.zip_plus_four = ""
    with pytest.raises(DomainError) as err:
        claim_file(
            _loaded([claim.pk]), settings=submission, practice=practice, interchange=1, group=1,
            transaction="0001", created=dt.datetime(2026, 3, 20, 9, 30),  # noqa: DTZ001 - X12 time is wall-clock
        )  # fmt: skip
    assert err.value.field == "zip_plus_four"


def fake_writer(claim_file) -> str:
    """Stands in for the EDI package's writer where only billing's side is under test."""
    return f"ISA*{claim_file.envelope.interchange_control_number:09d}~" + "".join(
        f"CLM*{c.patient_control_number}~" for c in claim_file.claims()
    )


def test_a_batch_numbers_its_envelope_keeps_its_text_and_submits_its_claims(
    ready, submission, practice
):
    one, two = ready(), ready()
    batch = create_batch(actor=ready.biller, write=fake_writer)
    assert batch.claim_count == 2 and set(batch.claims.all()) == {one, two}
    assert (
        batch.text
        == f"ISA*000000001~CLM*{one.patient_control_number}~CLM*{two.patient_control_number}~"
    )
    assert Claim.objects.filter(status=Claim.SUBMITTED).count() == 2
    event = ClaimEvent.objects.filter(claim=one).last()
    assert (event.from_status, event.to_status, event.user) == ("ready", "submitted", ready.biller)
    three = ready()
    second = create_batch(actor=ready.biller, write=fake_writer)
    assert list(second.claims.all()) == [three]
    numbers = ClaimBatch.objects.values_list(
        "interchange_control_number", "group_control_number", "transaction_control_number"
    )
    assert sorted(numbers) == [(1, 1, "0001"), (2, 2, "0002")]
    with pytest.raises(DomainError) as err:
        create_batch(actor=ready.biller, write=fake_writer)
    assert err.value.code == "nothing_ready"


def test_a_refused_file_changes_nothing(ready, submission, practice):
    claim = ready()

    def refusing(claim_file):
        raise EdiInputError("batches[0].providers[0].address.city", "empty")

    with pytest.raises(DomainError) as err:
        create_batch(actor=ready.biller, write=refusing)
    assert "address.city" in err.value.message
    claim.refresh_from_db()
    assert claim.status == Claim.READY
    assert not ClaimBatch.objects.exists() and not ControlNumber.objects.filter(last__gt=0).exists()


def test_settings_are_needed_first(ready, practice):
    ready()
    with pytest.raises(DomainError) as err:
        create_batch(actor=ready.biller, write=fake_writer)
    assert "clearinghouse" in err.value.message


def test_a_real_837p_batch_passes_pyx12(ready, submission, practice):
    writer = pytest.importorskip(
        "medoffice.edi.x837p.writer", reason="the EDI writer has not landed"
    )
    guide = pytest.importorskip(
        "medoffice.edi.guide_check", reason="the pyx12 check has not landed"
    )
    ready()
    ready(relationship="spouse", referring_name="Jo Kim", referring_npi="1234567893")
    batch = create_batch(actor=ready.biller, write=writer.write_837p)
    report = guide.validate_with_pyx12(batch.text)
    assert report.ok, report
    assert batch.text.startswith("ISA*") and "CLM*MO" in batch.text


def test_only_the_chosen_payers_ready_claims(ready, submission, practice, medicare):
    claim = ready()
    Coverage.objects.filter(pk=claim.coverage_id).update(payer=medicare)
    Claim.objects.filter(pk=claim.pk).update(payer=medicare)
    other = ready()
    batch = create_batch(actor=ready.biller, payer=medicare, write=fake_writer)
    assert list(batch.claims.all()) == [claim]
    other.refresh_from_db()
    assert other.status == Claim.READY


def test_export_837_command_refuses_bad_input(tmp_path, ready, submission, practice):
    from django.core.management import CommandError, call_command

    out = tmp_path / "batch.txt"
    with pytest.raises(CommandError, match="--since"):
        call_command("claims", "export-837", "--since", "yesterday", "--out", str(out))
    with pytest.raises(CommandError, match="--payer"):
        call_command("claims", "export-837", "--payer", "Nobody", "--out", str(out))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("claims", "export-837", "--out", str(tmp_path / "no" / "x.txt"))
    out.write_text("")
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("claims", "export-837", "--out", str(out))
    with pytest.raises(CommandError, match="No claim is ready"):
        call_command("claims", "export-837", "--out", str(tmp_path / "none.txt"))


def test_export_837_command_writes_the_batch(
    tmp_path, ready, submission, practice, commercial_payer
):
    pytest.importorskip("medoffice.edi.x837p.writer", reason="the EDI writer has not landed")
    from io import StringIO

    from django.core.management import call_command

    claim = ready()
    out, said = tmp_path / "batch.txt", StringIO()
    call_command(
        "claims", "export-837", "--payer", "PCHTR", "--since", "2026-01-01", "--out", str(out),
        stdout=said,
    )  # fmt: skip
    assert "1 claims" in said.getvalue()
    assert out.read_text().startswith("ISA*") and claim.patient_control_number in out.read_text()
    assert ClaimBatch.objects.get().text == out.read_text()


def test_batch_pages_and_api(client_as, ready, submission, practice):
    from django.urls import reverse

    from medoffice.core.services.tokens import create_token

    client = client_as("biller")
    page = client.get(reverse("batch_list"))
    assert page.status_code == 200 and "No batch yet" in page.content.decode()
    headers = {"Authorization": f"Bearer {create_token(user=client.user)}"}
    r = client.post(
        "/api/v1/billing/batches", "{}", content_type="application/json", headers=headers
    )
    assert r.status_code == 409 and r.json()["code"] == "nothing_ready"
    pytest.importorskip("medoffice.edi.x837p.writer", reason="the EDI writer has not landed")
    claim = ready()
    response = client.post(reverse("batch_create"), {})
    assert response.status_code == 302
    batch = ClaimBatch.objects.get()
    assert list(batch.claims.all()) == [claim]
    download = client.get(reverse("batch_download", args=[batch.pk]))
    assert download.content.decode() == batch.text
    assert download["Content-Disposition"].endswith(f'"{batch.file_name}"')
    r = client.get(f"/api/v1/billing/batches/{batch.pk}/837p", headers=headers)
    assert r.status_code == 200 and r.content.decode() == batch.text
    listed = client.get("/api/v1/billing/batches", headers=headers).json()
    assert listed[0]["claims"] == [claim.pk]
