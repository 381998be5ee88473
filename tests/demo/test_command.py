"""`medoffice seed` on the command line: a summary with the logins, one-line errors."""

from __future__ import annotations

import pytest

from medoffice.cli import main
from medoffice.demo.seed import DEMO_PASSWORD, seed_practice


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--providers", "0"),
        ("--patients", "-1"),
        ("--years", "0"),
        ("--patients", "lots"),
        ("--locations", "11"),
    ],
)
def test_a_bad_option_value_is_one_line_naming_the_option(capsys, option, value):
    code = main(["seed", option, value])

    out, err = capsys.readouterr()
    assert code != 0
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert option in err
    assert "Traceback" not in err


def test_help_lists_the_options(capsys):
    assert main(["seed", "--help"]) == 0

    out = capsys.readouterr().out
    for option in ("--providers", "--patients", "--years", "--locations", "--seed"):
        assert option in out


# Django closes the database connections when a command run from argv ends, so
# each of these tests runs the command line once and then reads only its output.


def test_seed_prints_its_progress_what_it_made_and_the_logins(db, capsys):
    args = ["seed", "--providers", "1", "--patients", "20", "--years", "1", "--locations", "3"]
    assert main([*args, "--seed", "5"]) == 0

    out = capsys.readouterr().out
    assert "1 providers" in out
    assert "20 patients" in out
    assert "3 locations" in out
    assert "1 year of appointments and the next 60 days" in out  # a progress line
    assert " past: through " in out
    assert "appointments (" in out and "waitlist entries" in out
    assert "payer remittances (835) posted" in out and " files, through " in out  # progress
    assert DEMO_PASSWORD in out
    for login in ("manager", "admin", "frontdesk", "doctor"):
        assert f"  {login} " in out


def test_seeding_a_database_with_a_practice_is_refused_in_one_line(db, capsys):
    seed_practice(providers=1, patients=0, years=1, seed=1, history=False)

    assert main(["seed", "--patients", "20"]) == 1

    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.strip().endswith(
        "the database already holds a practice; seed only an empty database"
    )
