"""The billing commands judge the files they are given one way: a command that works file by
file (claims import-ack) refuses a missing or unreadable one in the same words a command that
needs its file to start (edi validate, era import) uses for its usage error, imports the rest,
and exits 1; too large a file is refused before it is read."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from medoffice.billing.management.common import file_problem
from medoffice.billing.models import AcknowledgementFile
from medoffice.cli import main
from tests.billing.test_acknowledgements import batch, x999  # noqa: F401 - fixture
from tests.billing.test_batches import ready, submission  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def import_ack(*names) -> tuple[str, str, str]:
    """(stdout, stderr, the final error) of medoffice claims import-ack in this test's database
    (the error is what ``medoffice`` prints after "error:", exiting 1)."""
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("claims", "import-ack", *map(str, names), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), str(failed.value)


def test_import_ack_refuses_what_is_not_a_file_and_imports_the_rest(
    batch,  # noqa: F811
    tmp_path,
):
    good = tmp_path / "a.999"
    good.write_text(x999(batch))
    missing, folder = tmp_path / "gone.999", tmp_path / "folder.999"
    folder.mkdir()

    out, err, error = import_ack(missing, good, folder)

    assert f"{good}: 999: 2 accepted" in out
    assert err.splitlines() == [f"{str(missing)!r} is not a file", f"{str(folder)!r} is not a file"]
    assert error == "2 of 3 files refused"
    assert list(AcknowledgementFile.objects.values_list("filename", flat=True)) == ["a.999"]


def test_one_refused_file_is_the_error_itself(tmp_path):
    missing = tmp_path / "gone.999"

    _, err, error = import_ack(missing)

    assert err.splitlines() == [f"{str(missing)!r} is not a file"]
    assert error == f"{str(missing)!r} is not a file"


@pytest.mark.parametrize("command", [["edi", "validate"], ["era", "import"]])
def test_the_same_words_are_a_usage_error_where_the_file_is_needed_to_start(
    command, tmp_path, capsys
):
    missing = tmp_path / "gone.x12"

    code = main([*command, str(missing)])

    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert len(err) == 1 and f"argument FILE: {str(missing)!r} is not a file" in err[0]


def test_too_large_a_file_is_named_with_the_limit(tmp_path):
    big = tmp_path / "big.835"
    big.write_bytes(b"~" * (2**20 + 1))
    fits = tmp_path / "fits.835"
    fits.write_bytes(b"~" * 2**20)

    assert file_problem(str(big), max_bytes=2**20) == f"{str(big)!r} is larger than 1 MB"
    assert file_problem(str(fits), max_bytes=2**20) is None
