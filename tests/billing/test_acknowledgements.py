"""999 and 277CA acknowledgements applied to our batches and claims: accepted, rejected with
the reason, unknown numbers reported, a malformed file refused whole, the same file twice,
the shared public samples, and who may import (page, API, CLI)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from medoffice.billing.models import AcknowledgementFile, Claim, ClaimBatch, ClaimEvent
from medoffice.billing.services.acknowledgements import (
    AcknowledgementError,
    import_acknowledgement,
)
from medoffice.billing.services.batches import create_batch
from medoffice.core.services.tokens import create_token
from tests.billing.test_batches import ready, submission  # noqa: F401 - fixtures
from tests.edi.x12text import interchange

pytestmark = pytest.mark.django_db
SAMPLES = Path("/work/shared/x12-samples")


@pytest.fixture
def batch(submission, ready, practice) -> ClaimBatch:  # noqa: F811
    ready()
    ready()
    return create_batch(actor=ready.biller)


def claims_of(batch: ClaimBatch) -> list[Claim]:
    return list(batch.claims.order_by("pk"))


def x999(batch: ClaimBatch, verdict: str = "A", errors: list[str] = (), group=None, tx=None):
    """A 999 answering our batch: AK1 quotes its GS06, AK2 its ST02."""
    group = batch.group_control_number if group is None else group
    tx = batch.transaction_control_number if tx is None else tx
    accepted = 1 if verdict in "AE" else 0
    body = [
        f"AK1*HC*{group}*005010X222A1",
        f"AK2*837*{tx}*005010X222A1",
        *errors,
        f"IK5*{verdict}" + ("" if accepted else "*5"),
        f"AK9*{verdict}*1*1*{accepted}",
    ]
    return interchange(body, st="999", version="005010X231A1", functional_id="FA")


def claim_277(number: str, status: str, *, payer_number: str = "", message: str = "") -> list:
    n = claim_277.level = getattr(claim_277, "level", 3) + 1
    action = "U" if status[:2] in ("A3", "A6", "A7", "A8") else "WQ"
    stc = f"STC*{status}*20260320*{action}*150"
    if message:
        stc += "*" * 8 + message
    segments = [f"HL*{n}*3*PT", "NM1*QC*1*DOE*JANE****MI*PHP1", f"TRN*2*{number}", stc]
    if payer_number:
        segments.append(f"REF*1K*{payer_number}")
    return [*segments, "DTP*472*D8*20260309"]


def x277(*claims: list) -> str:
    claim_277.level = 3
    body = [
        "BHT*0085*08*ACK1*20260320*1200*TH",
        "HL*1**20*1",
        "NM1*PR*2*EXAMPLE PAYER*****PI*12345",
        "TRN*1*T1",
        "HL*2*1*21*1",
        "NM1*41*2*RIVERSIDE*****46*SUB123",
        "TRN*2*B1",
        "STC*A1:20*20260320*WQ*300",
        "QTY*90*1",
        "HL*3*2*19*1",
        "NM1*85*2*RIVERSIDE CLINIC*****XX*1234567893",
        "TRN*1*P1",
        "STC*A1:20*20260320*WQ*300",
    ]
    for c in claims:
        body += c
    return interchange(body, st="277", version="005010X214", functional_id="HN")


# -- 999 ----------------------------------------------------------------------------------


def test_999_accepted_keeps_claims_submitted_with_a_note(batch):
    result = import_acknowledgement(x999(batch).encode(), actor=None, filename="a.999")
    assert (result.kind, result.accepted, result.rejected, result.unknown) == ("999", 2, 0, 0)
    assert {c.status for c in claims_of(batch)} == {Claim.SUBMITTED}
    notes = ClaimEvent.objects.filter(claim__in=claims_of(batch), to_status=Claim.SUBMITTED)
    assert sum("999: the clearinghouse accepted batch" in e.note for e in notes) == 2
    batch.refresh_from_db()
    assert batch.acknowledgement == "accepted" and batch.acknowledged_at is not None


def test_999_rejected_rejects_every_claim_of_the_batch_with_the_errors(batch, make_user):
    first, second = claims_of(batch)
    errors = [
        "IK3*NM1*17*2010BA*8",
        f"CTX*CLM01:{first.patient_control_number}",
        "IK4*9*67*7*XX99",
        "IK3*SE*40**3",
    ]
    biller = make_user("biller")
    result = import_acknowledgement(x999(batch, "R", errors).encode(), actor=biller)
    assert (result.accepted, result.rejected, result.unknown) == (0, 2, 0)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Claim.REJECTED
    reason = first.events.last().note
    assert reason.startswith(
        f"999: the clearinghouse rejected batch {batch.interchange_control_number:09d}"
    )
    assert "segment NM1 at position 17 (loop 2010BA)" in reason
    assert "element NM109: invalid code value ('XX99')" in reason
    assert "segment SE at position 40: required segment missing" in reason
    assert "NM1" not in second.events.last().note  # that error named the first claim only
    assert first.events.last().user == biller


def test_999_for_control_numbers_we_never_used_is_reported_unknown(batch):
    result = import_acknowledgement(x999(batch, group=987654, tx="0042").encode(), actor=None)
    assert (result.accepted, result.rejected, result.unknown) == (0, 0, 1)
    assert result.report_lines == [
        "group 987654, transaction 0042: no batch of ours has these control numbers"
    ]
    assert {c.status for c in claims_of(batch)} == {Claim.SUBMITTED}


# -- 277CA --------------------------------------------------------------------------------


def test_277ca_accepts_rejects_and_lists_unknown_claims(batch):
    first, second = claims_of(batch)
    text = x277(
        claim_277(first.patient_control_number, "A2:20", payer_number="ICN2026001"),
        claim_277(second.patient_control_number, "A7:562:85", message="NPI NOT ON FILE"),
        claim_277("ZZ999", "A2:20"),
    )
    result = import_acknowledgement(text.encode(), actor=None, filename="ca.277")
    assert (result.kind, result.accepted, result.rejected, result.unknown) == ("277", 1, 1, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Claim.ACCEPTED and first.payer_claim_number == "ICN2026001"
    assert second.status == Claim.REJECTED
    reason = second.events.last().note
    assert reason.startswith("277CA: A7 rejected for invalid information")
    assert "status 562 (entity 85): NPI NOT ON FILE" in reason
    assert "ZZ999: no claim of ours has this number" in result.report_lines
    kept = AcknowledgementFile.objects.get()
    assert kept.filename == "ca.277" and kept.text == text
    assert "DOE" not in kept.report  # the report names claims by number, not patients


def test_the_claim_page_shows_the_rejection_reason(batch, client_as):
    _, second = claims_of(batch)
    import_acknowledgement(
        x277(claim_277(second.patient_control_number, "A7:562:85", message="NPI NOT ON FILE"))
        .encode(),
        actor=None,
    )  # fmt: skip
    page = client_as("biller").get(f"/billing/claims/{second.pk}/").content.decode()
    assert "Rejected</h2>" in page and "NPI NOT ON FILE" in page


def test_a_malformed_file_is_refused_whole_naming_segment_and_position(batch):
    first, second = claims_of(batch)
    text = x277(
        claim_277(first.patient_control_number, "A2:20", payer_number="ICN1"),
        claim_277(second.patient_control_number, "A7"),  # a status without its code
    )
    with pytest.raises(AcknowledgementError) as caught:
        import_acknowledgement(text.encode(), actor=None)
    message = caught.value.message
    assert caught.value.field == "file" and caught.value.status == 422
    assert "(STC) at byte" in message and "element STC01" in message
    assert message.endswith("Nothing was imported.")
    assert caught.value.x12_error.segment_id == "STC"
    assert {c.status for c in claims_of(batch)} == {Claim.SUBMITTED}  # not even the first
    assert not AcknowledgementFile.objects.exists()


def test_broken_envelope_and_other_files_are_refused(batch):
    good = x999(batch)
    with pytest.raises(AcknowledgementError, match=r"segment \d+ \(SE\)"):
        import_acknowledgement(re.sub(r"SE\*\d+\*", "SE*99*", good).encode(), actor=None)
    with pytest.raises(AcknowledgementError, match="not a 999 or 277CA.*837"):
        import_acknowledgement(batch.text.encode(), actor=None)
    with pytest.raises(AcknowledgementError, match="empty"):
        import_acknowledgement(b"  \n", actor=None)
    assert not AcknowledgementFile.objects.exists()


def test_the_same_file_twice_changes_nothing_the_second_time(batch):
    first, _ = claims_of(batch)
    data = x277(claim_277(first.patient_control_number, "A2:20", payer_number="ICN9")).encode()
    once = import_acknowledgement(data, actor=None, filename="day1.277")
    events = ClaimEvent.objects.count()
    again = import_acknowledgement(data, actor=None, filename="day1-copy.277")
    assert not once.duplicate and again.duplicate
    assert again.file.pk == once.file.pk and "already imported" in again.summary()
    assert ClaimEvent.objects.count() == events and AcknowledgementFile.objects.count() == 1
    # The same acknowledgement in a new envelope: the claim is accepted already, left as it is.
    other = data.replace(b"ACK1", b"ACK2")
    third = import_acknowledgement(other, actor=None)
    assert (third.accepted, third.unchanged) == (0, 1) and ClaimEvent.objects.count() == events


@pytest.mark.parametrize(
    "path",
    sorted((SAMPLES / "999").glob("*")) + sorted((SAMPLES / "277").glob("*")),
    ids=lambda p: p.name,
)
def test_shared_samples_import_or_are_refused_cleanly(path, batch):
    try:
        result = import_acknowledgement(path.read_bytes(), actor=None, filename=path.name)
    except AcknowledgementError as exc:
        assert exc.x12_error is not None or "not a 999 or 277CA" in exc.message
        return
    # None of these public files names our batches or claims.
    assert result.accepted == result.rejected == 0
    assert result.unknown >= 1 or result.kind == "277"
    assert {c.status for c in claims_of(batch)} == {Claim.SUBMITTED}


def test_ims_277ca_sample_reports_its_claim_as_unknown(batch):
    data = (SAMPLES / "277" / "ims__x12_277CA_rejected.txt").read_bytes()
    result = import_acknowledgement(data, actor=None)
    assert result.unknown == 1
    assert result.report_lines == ["3920394930203: no claim of ours has this number"]


# -- page, API, CLI, permissions ----------------------------------------------------------


def test_import_page_for_billers_only(batch, client_as):
    assert client_as("front_desk").get("/billing/acknowledgements/").status_code == 403
    biller = client_as("biller")
    upload = SimpleUploadedFile("ack.999", x999(batch).encode())
    page = biller.post("/billing/acknowledgements/", {"file": upload}).content.decode()
    assert "999: 2 accepted, 0 rejected, 0 unknown" in page
    assert "ack.999" in page  # listed among the imported files
    bad = SimpleUploadedFile("bad.999", x999(batch).replace("IK5*A", "IK5*Q").encode())
    page = biller.post("/billing/acknowledgements/", {"file": bad}).content.decode()
    assert "element IK501" in page and "Nothing was imported." in page
    assert AcknowledgementFile.objects.count() == 1


def test_import_api(batch, client, make_user):
    def post(role, body, **params):
        token = create_token(user=make_user(role))
        return client.generic(
            "POST",
            "/api/v1/billing/acknowledgements" + ("?filename=ack.999" if params else ""),
            body,
            content_type="text/plain",
            headers={"Authorization": f"Bearer {token}"},
        )

    assert post("front_desk", x999(batch)).status_code == 403
    r = post("biller", x999(batch), named=True)
    assert r.status_code == 201
    assert r.json()["kind"] == "999" and r.json()["accepted"] == 2
    assert r.json()["filename"] == "ack.999" and r.json()["duplicate"] is False
    r = post("biller", x999(batch))
    assert r.status_code == 200 and r.json()["duplicate"] is True
    r = post("biller", "ISA*00*garbage")
    assert r.status_code == 422 and r.json()["code"] == "bad_acknowledgement"
    assert r.json()["field"] == "file" and r.json()["detail"]


def test_cli_import_ack(batch, tmp_path, capsys):
    good = tmp_path / "a.999"
    good.write_text(x999(batch))
    bad = tmp_path / "b.277"
    bad.write_text(x277(claim_277("MO1", "A7")))
    with pytest.raises(CommandError) as caught:
        call_command("claims", "import-ack", str(good), str(bad))
    out, err = capsys.readouterr()
    assert f"{good}: 999: 2 accepted, 0 rejected, 0 unknown, 0 unchanged" in out
    assert "(STC) at byte" in str(caught.value) and "element STC01" in str(caught.value)
    assert "refused" in err
    call_command("claims", "import-ack", str(good))
    assert "already imported" in capsys.readouterr().out
