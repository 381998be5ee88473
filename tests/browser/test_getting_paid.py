"""Scenario 3, getting paid two weeks later, in a real chromium.

The clearinghouse's 999 and the payer's 277CA accept the whole batch of 41 claims; Sam
(biller) uploads them, then the payer's 835: 41 claims posted, 2 denied (a missing
authorization, timely filing), 3 lines paid below the contract, and the file reconciles
to the check. He appeals the authorization denial with a letter, asks to write off the
late claim, which Dana (office manager) approves, and downloads the underpayment list
for the payer. Mrs. Lee's coinsurance is now hers to pay; the month's statement run
includes her, and she sets up a payment plan.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from medoffice.billing.models import Claim, Denial, WriteOffRequest
from medoffice.billing.services import ledger
from tests.browser.getting_paid_data import (  # noqa: F401 - fixtures
    CHICAGO,
    answers,
    commercial_payer,
    make_provider,
    month,
    provider,
    services,
    submission,
)
from tests.browser.test_sign_in import sign_in
from tests.conftest import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="needs the playwright package").expect
pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _slow_pages_get_time():
    """Pages here post a whole 835 or render PDFs: give each expectation 15 s, not 5."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


def _row(page, table_text: str, label: str):
    """The value cell of the report row whose heading is ``label``."""
    return page.locator("table", has_text=table_text).locator("tr", has_text=label).locator("td")


def test_getting_paid_two_weeks_later(chromium, live_server, month, tmp_path, artifacts):  # noqa: F811
    sent = month["sent"]
    files = answers(sent, tmp_path)
    check = files.check_amount
    # Mrs. Lee 180.00; three short 85 + 85 + 128; three with a deductible 3 x 52;
    # 32 others at 92, eight of them with a strep test at 21.
    assert check == Decimal("3746.00")

    def browser_for(user):
        context = chromium.new_context(
            viewport={"width": 1280, "height": 900}, base_url=live_server.url
        )
        context.set_default_timeout(15_000)
        tab = context.new_page()
        sign_in(tab, user.username, PASSWORD)
        expect(tab.get_by_role("navigation", name="Main")).to_be_visible()
        return tab

    sam = browser_for(month["sam"])

    # The clearinghouse's 999 and the payer's 277CA: every claim accepted
    sam.goto("/billing/acknowledgements/")
    sam.get_by_label("999 or 277CA file").set_input_files(str(files.ack_999))
    sam.get_by_role("button", name="Import").click()
    expect(sam.locator("section[aria-live]")).to_contain_text(
        "999: 41 accepted, 0 rejected, 0 unknown"
    )
    sam.get_by_label("999 or 277CA file").set_input_files(str(files.ack_277))
    sam.get_by_role("button", name="Import").click()
    expect(sam.locator("section[aria-live]")).to_contain_text(
        "277CA: 41 accepted, 0 rejected, 0 unknown"
    )
    sam.goto("/billing/claims/")
    expect(sam.get_by_role("navigation", name="Claims by status")).to_contain_text(
        re.compile(r"Accepted\s*41")
    )

    # The 835: 41 claims posted, and it reconciles to the check
    sam.goto("/billing/remittances/import/")
    sam.get_by_label("835 file").set_input_files(str(files.era))
    sam.get_by_role("button", name="Import and post").click()
    report = sam.locator("section[aria-live]")
    expect(report).to_contain_text("Payment CHK88104417 from Peachtree Health Plan")
    expect(_row(sam, "Payment (BPR)", "Claims matched and posted")).to_have_text("41 of 41")
    expect(_row(sam, "Payment (BPR)", "Payment (BPR)")).to_have_text(f"${check}")
    expect(_row(sam, "Payment (BPR)", "Unmatched")).to_have_text("0 ($0.00)")
    expect(_row(sam, "Payment (BPR)", "Denied, left open")).to_have_text(f"${files.denied}")
    expect(_row(sam, "Payment (BPR)", "Reconciled")).to_have_text(
        re.compile(rf"^Yes: \${re.escape(str(check))} − \$0(\.00)?, payment \${check}$")
    )
    sam.screenshot(path=str(artifacts / "era-posted-1280.png"), full_page=True)
    sam.goto("/billing/claims/")
    counts = sam.get_by_role("navigation", name="Claims by status")
    expect(counts).to_contain_text(re.compile(r"Paid\s*39"))
    expect(counts).to_contain_text(re.compile(r"Denied\s*2"))

    # The denial queue: the authorization and the timely-filing denials
    sam.goto("/billing/denials/")
    expect(sam.get_by_text(f"2 denials, ${files.denied} in all.")).to_be_visible()
    auth = sam.locator("tbody tr", has_text="CO-197")
    expect(auth).to_contain_text("Prior authorization or notification was missing.")
    expect(sam.locator("tbody tr", has_text="CO-29")).to_contain_text("filing deadline")

    # He appeals the authorization denial, and the letter is there as a PDF
    auth.get_by_role("link").first.click()
    expect(sam.get_by_role("heading", level=1)).to_contain_text(
        f"CO-197 on claim {sent.auth_denied.patient_control_number}"
    )
    sam.get_by_label("Why the claim should be paid").fill(
        "Dr. Patel's office called the plan on the day of the biopsy and was given "
        "authorization PA-55120 (reference in our phone log). Please reprocess the claim."
    )
    sam.get_by_role("button", name="Record the appeal").click()
    expect(sam.get_by_text("Appeal recorded.")).to_be_visible()
    letter = sam.get_by_role("link", name="Download the appeal letter (PDF)")
    answer = sam.request.get(letter.get_attribute("href"))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.body().startswith(b"%PDF-")
    disposition = answer.headers["content-disposition"]
    assert f"appeal-{sent.auth_denied.patient_control_number}.pdf" in disposition

    # … and asks to write off the late claim: above $100 it waits for the office manager
    sam.goto("/billing/denials/")
    sam.locator("tbody tr", has_text="CO-29").get_by_role("link").first.click()
    expect(sam.get_by_label("Amount ($)")).to_have_value("135.00")
    sam.get_by_label("Reason").fill("Charges entered after the plan's 90-day filing limit")
    sam.get_by_role("button", name="Write off", exact=True).click()
    expect(
        sam.get_by_text("Write-off of $135.00 is waiting for an office manager's approval.")
    ).to_be_visible()

    # Dana approves it
    dana = browser_for(month["dana"])
    dana.goto("/billing/write-offs/")
    waiting = dana.locator("tbody tr", has_text="Charges entered after")
    expect(waiting).to_contain_text("$135.00")
    waiting.get_by_role("button", name="Approve").click()
    expect(dana.get_by_text("Write-off of $135.00 approved and posted.")).to_be_visible()
    sam.reload()
    expect(sam.locator("dl.facts")).to_contain_text("Written off")

    # The underpayments: three lines, the total for the payer, and the CSV for the dispute
    sam.goto("/billing/underpayments/")
    totals = sam.locator("#underpaid-totals tbody tr", has_text="Peachtree Health Plan")
    expect(totals.locator("td").nth(1)).to_have_text("3")
    expect(totals.locator("td").nth(4)).to_have_text(f"${files.short_total}")
    expect(sam.locator("table.grid").nth(1).locator("tbody tr")).to_have_count(3)
    with sam.expect_download() as download:
        totals.get_by_role("link", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert sorted((r["procedure_code"], r["short"]) for r in rows) == [
        ("99213", "7.00"),
        ("99213", "7.00"),
        ("99214", "10.00"),
    ]
    assert {r["payer"] for r in rows} == {"Peachtree Health Plan"}
    assert {r["our_claim_number"] for r in rows} == {c.patient_control_number for c in sent.short}
    sam.screenshot(path=str(artifacts / "underpayments-1280.png"), full_page=True)

    # The month's statement run starts; the worker makes it in the background
    sam.goto("/billing/statements/")
    sam.get_by_role("button", name="Run statements now").click()
    today = dt.datetime.now(CHICAGO).date()  # the office's day (Sam works at Main)
    expect(sam.get_by_text(f"The statement run of {today} has started.")).to_be_visible()
    expect(sam.locator("#statement-progress")).to_contain_text(f"The run of {today} is working")

    # Meanwhile Sam opens Mrs. Lee's account: her coinsurance is now her balance
    sam.goto(f"/billing/patients/{sent.lee.pk}/account/")
    expect(sam.locator("dl.facts-list")).to_contain_text(f"${files.lee_coinsurance}")
    her_visits = sam.locator("table", has_text="Patient share due").locator("tbody tr")
    expect(her_visits).to_contain_text(f"${files.lee_coinsurance}")
    # (this page asks nothing more of the server: the in-memory SQLite database of the
    # tests locks whole tables, so the worker must not write while a page is loading)
    sam.wait_for_load_state("networkidle")
    call_command("worker", "--batch", "--interval", "0", verbosity=0)

    # The run is done and includes her
    sam.goto("/billing/statements/")
    expect(sam.locator("#statement-progress")).to_contain_text("No run is working now.")
    sam.get_by_role("link", name=today.isoformat()).click()
    expect(sam.get_by_role("heading", level=1)).to_have_text(f"Statements of {today}")
    her = sam.locator("tbody tr", has_text="Lee, Mei")
    expect(her).to_contain_text(f"${files.lee_coinsurance}")
    expect(sam.get_by_text(re.compile(r"^4 statements, \$165\.00 due"))).to_be_visible()

    # … and she sets up a payment plan: three monthly installments
    her.get_by_role("link", name="Lee, Mei").click()
    sam.get_by_role("link", name="Payment plan").click()
    expect(sam.get_by_label("Total")).to_have_value(str(files.lee_coinsurance))
    first_due = today + dt.timedelta(days=14)
    sam.get_by_label("Installments").fill("3")
    sam.get_by_label("First due").fill(first_due.isoformat())
    sam.get_by_role("button", name="Set up the plan").click()
    expect(sam.get_by_text(f"Payment plan of ${files.lee_coinsurance} set up.")).to_be_visible()
    plan = sam.locator("section.card", has_text="every 1 month")
    schedule = plan.locator("tbody tr")
    expect(schedule).to_have_count(3)
    expect(schedule.nth(0)).to_contain_text(first_due.isoformat())
    expect(schedule.nth(2)).to_contain_text("$15.00")
    sam.screenshot(path=str(artifacts / "payment-plan-1280.png"), full_page=True)

    # What the pages said is what the books say
    assert Claim.objects.filter(pk__in=[c.pk for c in sent.claims], status=Claim.PAID).count() == 39
    statuses = dict(Denial.objects.values_list("reason_code", "status"))
    assert statuses == {"197": Denial.APPEALED, "29": Denial.WRITTEN_OFF}
    approved = WriteOffRequest.objects.get()
    assert (approved.status, approved.decided_by) == (WriteOffRequest.APPROVED, month["dana"])
    assert ledger.patient_balance(sent.lee.pk) == files.lee_coinsurance
    assert ledger.payer_balance(charge_id=sent.late.charge_id, payer_id=sent.payer.pk) == 0
