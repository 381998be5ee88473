"""medoffice era import FILE...: what each file posted; a refused file names its fault (exit 1)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from medoffice.billing.models import Claim, LedgerEntry, RemittanceFile
from medoffice.billing.services import claims as claim_svc
from medoffice.cli import main
from tests.billing.x835text import claim_payment, file_835, line


@pytest.fixture
def claim(charged, biller):
    claim = claim_svc.build_claim(actor=biller, charge=charged)
    for to in (Claim.SCRUBBED, Claim.READY, Claim.SUBMITTED):
        claim = claim_svc.move_claim(actor=biller, claim=claim, to=to)
    return claim


def run(*args: str):
    """(exit code, stdout, stderr) of medoffice era ... in this test's database."""
    out, err = StringIO(), StringIO()
    try:
        call_command("era", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return 1, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_import_prints_what_was_posted_and_refuses_a_broken_file(claim, tmp_path):
    first, second = claim.lines.order_by("line_number")
    good = tmp_path / "good.835"
    good.write_text(file_835([
        claim_payment(claim, [line(first, 90, CO45=45), line(second, 20, CO45=10)]),
        claim_payment(claim, pcn="NOTOURS01", paid=5, charge=5),
    ], plb=[("L6", "-1.25")]))  # fmt: skip
    text = good.read_text()
    bad = tmp_path / "bad.835"
    bad.write_text(text[: len(text) // 2])

    code, out, err = run("import", str(good), str(bad))

    assert code == 1
    assert "good.835: 1 payment(s), 1 claim(s) posted ($110.00), 1 unmatched, reconciled" in out
    assert "$115.00 − $-1.25 = $116.25, payment $116.25" in out
    assert "bad.835: The file was refused and nothing was posted: segment" in err
    assert "1 of 2 file(s) refused" in err
    assert RemittanceFile.objects.get().filename == "good.835"
    entries = LedgerEntry.objects.count()

    code, out, err = run("import", str(good))
    assert code == 0 and "already imported on" in out
    assert LedgerEntry.objects.count() == entries


def test_a_missing_file_is_a_usage_error(tmp_path, capsys):
    code = main(["era", "import", str(tmp_path / "nope.835")])
    assert code == 2 and "is not a file" in capsys.readouterr().err
