"""Scenario 2, a visit from arrival to claim, in a real chromium.

Ahmed (medical assistant) sees on the flow board that Mrs. Lee has waited 12
minutes and rooms her in Exam 3; Dr. Patel sees her; at check-out Maria (front
desk) enters the charges the doctor marked (an office visit with modifier 25 and
two ICD-10-CM diagnoses) and books the follow-up in three months. That afternoon
Sam (biller) scrubs the day's claims: one, from an earlier visit, is held because
its diagnosis is a category code, not a billable one; he fixes it from the
finding's link, and sends the day's claims as one 837P batch, which pyx12 reads
without a single error.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from medoffice.billing.models import ChargeDiagnosis, Claim, SubmissionSettings
from medoffice.billing.services.charges import LineInput, enter_charges
from medoffice.billing.services.claims import build_claim
from medoffice.billing.services.fee_import import load_starter_services
from medoffice.edi.guide_check import validate_with_pyx12
from medoffice.patients.models import Coverage, Patient, Payer, mrn_from_sequence
from medoffice.scheduling.models import Appointment, Room
from medoffice.scheduling.services import book_appointment, record_flow_step
from tests.browser.test_schedule_flow import CHICAGO, Clock
from tests.browser.test_schedule_flow import office as office  # Dr. Patel at Main
from tests.browser.test_sign_in import sign_in
from tests.conftest import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="needs the playwright package").expect
pytestmark = pytest.mark.browser


def _insured(n: int, first: str, last: str, payer: Payer) -> Patient:
    patient = Patient.objects.create(
        mrn=mrn_from_sequence(730_000 + n),
        first_name=first,
        last_name=last,
        date_of_birth=dt.date(1957, 3, n),
        sex_at_birth="F",
        address1="22 Maple Ave",
        city="Springfield",
        state="IL",
        zip="62701",
        phone_mobile=f"21755502{n:02d}",
    )
    coverage = Coverage(
        patient=patient, payer=payer, order=Coverage.PRIMARY, effective_date=dt.date(2024, 1, 1)
    )
    coverage.set_member_id(f"PHP{n:09d}")
    coverage.save()
    return patient


@pytest.fixture
def clinic(office, location, make_user, monkeypatch):
    """Today at Main: Mrs. Lee checked in at 10:28 for her 10:30 follow-up; an 8:00 visit of
    Mrs. Diaz already charged, its claim carrying the category code E11 as its diagnosis."""
    today = dt.datetime.now(CHICAGO).date()
    clock = Clock(monkeypatch, today)
    people = {
        "maria": make_user("front_desk", first_name="Maria", home_location=location),
        "ahmed": make_user("medical_assistant", first_name="Ahmed", home_location=location),
        "sam": make_user("biller", first_name="Sam", home_location=location),
    }
    Room.objects.create(location=location, name="Exam 3")
    load_starter_services()
    SubmissionSettings.objects.create(
        sender_id="MEDOFFICE01",
        receiver_id="CLEARHOUSE",
        receiver_name="Prairie Clearinghouse",
        submitter_id="MO12345",
        contact_name="Sam Biller",
        contact_phone="2175550100",
        zip_plus_four="1234",
    )
    payer = Payer.objects.create(
        name="Prairie Health Plan", kind=Payer.COMMERCIAL, payer_id="PHP01"
    )
    lee = _insured(1, "Mei", "Lee", payer)
    diaz = _insured(2, "Rosa", "Diaz", payer)
    patel, follow_up = office["patel"], office["follow_up"]

    def book(patient, hhmm):
        return book_appointment(
            actor=people["maria"],
            patient=patient,
            provider=patel,
            location=location,
            appointment_type=follow_up,
            start=clock.at(hhmm),
        )

    clock.set("7:30")
    early = book(diaz, "8:00")
    for step, hhmm in (("arrived", "7:55"), ("roomed", "8:05"), ("with_provider", "8:10")):
        record_flow_step(
            actor=people["ahmed"],
            appointment=early,
            step=step,
            room=office["rooms"][0] if step == "roomed" else None,
            at=clock.at(hhmm),
        )
    record_flow_step(
        actor=people["maria"], appointment=early, step="checked_out", at=clock.at("8:30")
    )
    charge = enter_charges(
        actor=people["sam"],
        appointment=early,
        diagnoses=["E11.9"],
        lines=[LineInput(code="99213", pointers="1")],
    )
    claim = build_claim(actor=people["sam"], charge=charge)
    # As an older entry left it: the category E11, which no payer accepts.
    ChargeDiagnosis.objects.filter(charge=charge).update(code="E11")
    Claim.objects.filter(pk=claim.pk).update(diagnosis_codes="E11")

    clock.set("10:20")
    visit = book(lee, "10:30")
    record_flow_step(actor=people["maria"], appointment=visit, step="arrived", at=clock.at("10:28"))
    clock.set("10:40")
    return {"clock": clock, "lee": lee, "diaz": diaz, "visit": visit, **people}


def test_a_visit_from_arrival_to_claim(chromium, live_server, clinic, artifacts):
    clock = clinic["clock"]

    def browser_for(user):
        context = chromium.new_context(
            viewport={"width": 1280, "height": 900}, base_url=live_server.url
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        sign_in(page, user.username, PASSWORD)
        return page

    # Ahmed sees Mrs. Lee has waited 12 minutes and rooms her in Exam 3
    ahmed = browser_for(clinic["ahmed"])
    ahmed.goto("/flow-board/")
    waiting = ahmed.locator(".col-arrived .fcard", has_text="Lee, M.")
    expect(waiting).to_contain_text("12 min")
    waiting.get_by_label("Room for Lee, M.").select_option(label="Exam 3")
    waiting.get_by_role("button", name="Room").click()
    roomed = ahmed.locator(".col-roomed .fcard", has_text="Lee, M.")
    expect(roomed).to_contain_text("Exam 3")

    # Dr. Patel comes in at 10:46
    clock.set("10:46")
    roomed.get_by_role("button", name="With provider").click()
    expect(ahmed.locator(".col-with_provider .fcard", has_text="Lee, M.")).to_be_visible()

    # Maria checks her out at 10:58 and enters what the doctor marked
    clock.set("10:58")
    maria = browser_for(clinic["maria"])
    maria.goto("/flow-board/")
    maria.locator(".col-with_provider .fcard", has_text="Lee, M.").get_by_role(
        "button", name="Check out"
    ).click()
    expect(maria.locator(".col-checked_out .fcard", has_text="Lee, M.")).to_contain_text(
        re.compile(r"Waiting room\s*12 min")
    )
    maria.goto("/billing/ready/")
    maria.locator("tr", has_text="Lee, Mei").get_by_role("link").first.click()
    maria.get_by_label("1", exact=True).fill("E11.9")
    maria.get_by_label("2", exact=True).fill("I10")
    maria.get_by_label("Line 1 code").fill("99213")
    maria.get_by_label("Line 1 modifiers").fill("25")
    maria.get_by_label("Line 1 diagnosis pointers").fill("1,2")
    maria.get_by_role("button", name="Save charges and draft the claim").click()
    expect(maria.get_by_text(re.compile("Prairie Health Plan"))).to_be_visible()
    maria.screenshot(path=str(artifacts / "charges-saved-1280.png"), full_page=True)

    # … and books the follow-up in three months with next available
    in_three_months = clock.day + dt.timedelta(days=91)
    maria.goto("/next-available/")
    # (each change redraws the finder and its address: wait for it before the next change)
    maria.get_by_label("Visit type").select_option(label="Follow-up")
    expect(maria).to_have_url(re.compile("appointment_type="))
    maria.locator("input[name=from_date]").fill(in_three_months.isoformat())
    maria.locator("input[name=from_date]").press("Tab")
    expect(maria).to_have_url(re.compile(f"from_date={in_three_months.isoformat()}"))
    maria.locator(".slot-list tbody tr").first.get_by_role("link", name="Book").click()
    maria.get_by_label("Patient").fill("lee mei")
    maria.get_by_label(re.compile("Lee, Mei")).check()
    maria.locator("#book-panel").get_by_role("button", name="Book").click()
    expect(maria.get_by_text(re.compile(r"Booked Lee, Mei with Dr\. Patel"))).to_be_visible()

    # That afternoon Sam scrubs the day's claims: Mrs. Diaz's is held
    clock.set("11:10")
    sam = browser_for(clinic["sam"])
    sam.goto("/billing/claims/")
    sam.get_by_role("button", name="Scrub the unsent claims listed").click()
    expect(sam.get_by_text("Scrubbed 2 claims: 1 clean, 1 with errors.")).to_be_visible()
    sam.locator("tr", has_text="Diaz").get_by_role("link").first.click()
    finding = sam.locator("tbody tr", has_text="Fix it").first
    expect(finding).to_contain_text("Invalid or non-billable ICD-10")
    expect(finding).to_contain_text("E11")
    sam.screenshot(path=str(artifacts / "claim-finding-1280.png"), full_page=True)

    # he fixes the diagnosis from the finding's link, and scrubs it again
    sam.get_by_role("link", name="Fix it").first.click()
    sam.get_by_label("1", exact=True).fill("E11.9")
    sam.get_by_role("button", name="Save changes").click()
    sam.goto("/billing/claims/")
    sam.get_by_role("button", name="Scrub the unsent claims listed").click()
    expect(
        sam.get_by_text(re.compile(r"Scrubbed \d claims?: \d clean, 0 with errors\."))
    ).to_be_visible()

    # both are marked ready, and go out as one 837P
    for who in ("Diaz", "Lee"):
        sam.goto("/billing/claims/")
        sam.locator("tr", has_text=who).get_by_role("link").first.click()
        sam.get_by_role("button", name="Mark ready to send").click()
        expect(sam.get_by_text("Ready to send").first).to_be_visible()
    sam.goto("/billing/batches/")
    expect(sam.get_by_text("2 claims ready to send")).to_be_visible()
    sam.get_by_role("button", name="Make the batch").click()
    with sam.expect_download() as download:
        sam.get_by_role("link", name="Download").first.click()
    text = Path(download.value.path()).read_text(encoding="ascii")

    assert text.startswith("ISA*") and text.count("CLM*") == 2
    assert "HI*ABK:E119*ABF:I10" in text
    assert "SV1*HC:99213:25*" in text
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.SUBMITTED}
    report = validate_with_pyx12(text)  # the oracle nobody here wrote
    assert report.checked and report.findings == (), report.findings

    lee_visits = Appointment.objects.filter(patient=clinic["lee"]).order_by("start")
    assert [v.status for v in lee_visits] == ["checked_out", "scheduled"]
    assert lee_visits[1].start.astimezone(CHICAGO).date() >= in_three_months
