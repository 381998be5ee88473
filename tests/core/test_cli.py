"""The medoffice command answers bad input with one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from medoffice.cli import main


def run_cli(*args: str, env: dict | None = None, tmp_path=None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    if tmp_path is not None:
        full_env["MEDOFFICE_DATA_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "medoffice.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0]


def test_malformed_database_url(tmp_path):
    proc = run_cli("check", env={"DATABASE_URL": "mysql//nope"}, tmp_path=tmp_path)
    assert_one_line_error(proc, "DATABASE_URL")


def test_unsupported_database(tmp_path):
    proc = run_cli("check", env={"DATABASE_URL": "oracle://db/x"}, tmp_path=tmp_path)
    assert_one_line_error(proc, "DATABASE_URL", "oracle")


def test_unreachable_database_hides_the_password(tmp_path):
    url = "postgres://clerk:s3cret@127.0.0.1:9/medoffice"
    proc = run_cli("audit", "verify", env={"DATABASE_URL": url}, tmp_path=tmp_path)
    assert_one_line_error(proc, "cannot use the database")
    assert "s3cret" not in proc.stderr


def test_bad_environment_number(tmp_path):
    proc = run_cli("check", env={"MEDOFFICE_IDLE_MINUTES": "soon"}, tmp_path=tmp_path)
    assert_one_line_error(proc, "MEDOFFICE_IDLE_MINUTES")


def test_unknown_command(capsys):
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "medoffice: error: unknown command 'frobnicate' (run 'medoffice help' for the list)"
    ]


@pytest.mark.parametrize(
    "args",
    [["audit", "verify", "--bogus"], ["worker", "--interval", "soon"], ["audit"]],
)
def test_bad_options_are_one_line(args, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error:" in err[0]


def test_every_command_of_ours_has_help(capsys):
    for command in ["audit", "worker"]:
        assert main([command, "--help"]) == 0
        assert "usage: medoffice" in capsys.readouterr().out


def test_command_errors_read_like_every_other_error(capsys, tmp_path):
    """A command's own refusal reads 'medoffice: error: ...', not Django's 'CommandError: ...'."""
    assert main(["worker", "--interval", "-1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["medoffice: error: --interval must be zero or more seconds"]
