"""medoffice ar aging / metrics / close-month."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from medoffice.billing.models import ClosedPeriod, LedgerEntry
from medoffice.billing.services import ledger

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_MONTH = ledger.month_start(ledger.month_start(TODAY) - dt.timedelta(days=1))


def run(*args) -> str:
    out = io.StringIO()
    call_command("ar", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def owed(charged):
    """The charged visit (165.00, 267 days old or so) plus a self-pay credit of 12.50."""
    ledger.post(
        kind=LedgerEntry.PATIENT_PAYMENT,
        amount=Decimal("-12.50"),
        patient_id=charged.patient_id,
    )
    return charged


def test_aging_by_payer_is_a_table_with_aligned_columns(owed, commercial_payer):
    out = run("aging").splitlines()

    assert out[0] == f"A/R aging at {TODAY} by payer"
    header, rule, payer_row, total = out[1:5]
    assert header.split()[:2] == ["Payer", "0–30"]
    assert payer_row.startswith(commercial_payer.name)
    assert payer_row.split()[-1] == "165.00" and total.split()[-1] == "165.00"
    # Every amount column ends where its header ends.
    assert len(header) == len(payer_row) == len(total)
    assert "Credits (owed to patients, not in the aging): $12.50" in out


def test_aging_by_patient_as_csv(owed):
    rows = list(csv.reader(io.StringIO(run("aging", "--by", "patient", "--csv"))))

    assert rows[0] == ["Patient", "MRN", "0–30", "31–60", "61–90", "91–120", "Over 120", "Total"]
    assert rows[1] == ["Total", "", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"]
    name = f"Credit: {owed.patient.last_name}, {owed.patient.first_name}"
    assert rows[2] == [name, owed.patient.mrn, "", "", "", "", "", "-12.50"]


def test_aging_at_a_past_day_counts_nothing_posted_later(owed):
    out = run("aging", "--as-of", str(TODAY - dt.timedelta(days=1)))

    assert "165.00" not in out and out.splitlines()[-1].split()[-1] == "0.00"


def test_metrics_of_a_month(owed):
    out = run("metrics", "--month", f"{TODAY:%Y-%m}")

    assert out.splitlines()[0].startswith(f"{TODAY:%B %Y}")
    assert "Days in A/R" in out and "Net collection rate" in out
    assert "First-pass resolution rate" in out and "0 of 0 claims" in out


def test_close_month(owed):
    out = run("close-month", f"{LAST_MONTH:%Y-%m}", "--note", "checked")

    assert out.startswith(f"{LAST_MONTH:%B %Y} closed")
    assert ClosedPeriod.objects.get().note == "checked"
    with pytest.raises(CommandError, match="^MONTH: .* already closed"):
        run("close-month", f"{LAST_MONTH:%Y-%m}")
    with pytest.raises(CommandError, match="^MONTH: Only a month that has ended"):
        run("close-month", f"{TODAY:%Y-%m}")


@pytest.mark.parametrize(
    "args, message",
    [
        (["aging", "--as-of", "2026-02-30"], "--as-of: '2026-02-30' is not a date (YYYY-MM-DD)"),
        (["metrics", "--month", "2026-13"], "--month: '2026-13' is not a month (YYYY-MM)"),
        (["close-month", "March"], "MONTH: 'March' is not a month (YYYY-MM)"),
    ],
)
def test_bad_dates_name_the_option(args, message):
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert str(caught.value) == message


def test_a_bad_date_exits_non_zero_with_one_line(tmp_path):
    env = {**os.environ, "MEDOFFICE_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "medoffice"), "ar", "aging", "--as-of", "yesterday"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "medoffice: error: --as-of: 'yesterday' is not a date (YYYY-MM-DD)"
    ]
