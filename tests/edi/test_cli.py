"""medoffice edi validate FILE: segment-level findings; exit 0 clean, 1 on errors, 2 on misuse."""

from __future__ import annotations

import pytest

from medoffice.cli import main
from medoffice.edi.x837p import write_837p
from tests.edi.claims import SHAPES
from tests.edi.samples import SAMPLES, needs_samples


def run(capsys, *args: str) -> tuple[int, str, list[str]]:
    code = main(["edi", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip().splitlines()


def test_a_file_we_wrote_is_valid(tmp_path, capsys):
    path = tmp_path / "batch.837"
    path.write_text(write_837p(SHAPES["several subscribers and dependents"]()))
    code, out, err = run(capsys, "validate", str(path))
    assert code == 0 and err == []
    assert out.strip().splitlines()[-1] == (
        "batch.837: 837P 005010X222A1, 5 claim(s): valid (0 error(s), 0 warning(s))"
    )


@needs_samples
def test_a_broken_837p_lists_its_segment_and_exits_1(capsys):
    code, out, err = run(capsys, "validate", str(SAMPLES / "837P/ims__x12_valid.txt"))
    assert code == 1
    assert out.splitlines() == [
        "error: segment 36 (SE) at byte 1172, element SE01: SE01 says 25 segments, the "
        "transaction set has 34 (ST to SE)"
    ]
    assert err == [
        "medoffice: error: ims__x12_valid.txt: not readable as X12: 1 error(s), 0 warning(s)"
    ]


@needs_samples
def test_pyx12_findings_are_errors_and_can_be_skipped(capsys):
    path = str(SAMPLES / "835/edi835p__united_healthcare_legacy_sample.txt")
    code, out, err = run(capsys, "validate", path)
    assert code == 1
    assert (
        "error (pyx12): segment 16 (N4), element N402: (NP) is not a valid code for Payee State "
        "Code (N402)"
    ) in out.splitlines()
    assert "warning: segment 16 (N4): 'NP' is not a US state" in out
    assert len(err) == 1 and "1 error(s), 1 warning(s)" in err[0]
    code, out, err = run(capsys, "validate", "--no-guide", path)
    assert code == 0 and "valid (0 error(s), 1 warning(s), 7 segment(s) not kept" in out


@needs_samples
@pytest.mark.parametrize(
    ("sample", "summary"),
    [
        ("835/edi835p__emedny_sample.txt", "835 005010X221A1, 3 claim payment(s): valid"),
        ("999/ims__x12_999_rejected.txt", "999 005010X231A1, 1 transaction set(s) acknowledged"),
        ("837P/lfh__demo-file__demo.837", "837P 005010X222A2, 1 claim(s): valid"),
        ("270/lfh__demo-file__demo.270", "270 005010X279A1, 1 transaction set(s): valid"),
        ("276/lfh__demo-file__demo.276", "276 005010X212, 1 transaction set(s): valid"),
    ],
)
def test_clean_files_of_each_kind_exit_0(capsys, sample, summary):
    code, out, err = run(capsys, "validate", str(SAMPLES / sample))
    assert code == 0 and err == []
    assert summary in out


@needs_samples
def test_details_list_what_was_read_but_not_kept(capsys):
    path = str(SAMPLES / "837P/lfh__837_005010X222A2__demo.example1.837")
    code, out, _ = run(capsys, "validate", "--details", path)
    assert code == 0
    assert "detail: segment 28 (REF*D9) not kept" in out
    assert "note: pyx12 has no 005010X222A2 map; checked against 005010X222A1" in out


def test_an_unbalanced_835_is_an_error(tmp_path, capsys):
    from tests.edi.test_835 import remit

    path = tmp_path / "era.835"
    path.write_text(remit(plb=["PLB*1234567893*20241231*WO:X*21"]))
    code, out, err = run(capsys, "validate", "--no-guide", str(path))
    assert code == 1
    assert "error: remittance 0001: the payment (51.5) is not the claims paid (70)" in out


def test_garbage_is_an_error_not_a_crash(tmp_path, capsys):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0JFIF" * 20)
    code, out, err = run(capsys, "validate", str(path))
    assert code == 1
    assert out.startswith("error: ") and "Traceback" not in out + "".join(err)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["validate", "/no/such/file.837"], "'/no/such/file.837' is not a file"),
        (["validate"], "the following arguments are required: FILE"),
        ([], "the following arguments are required: ACTION"),
        (["check", "x"], "invalid choice: 'check'"),
        (["validate", "--strict", __file__], "unrecognized arguments: --strict"),
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys, args, words):
    code, _, err = run(capsys, *args)
    assert code == 2
    assert len(err) == 1 and words in err[0]


def test_help_works(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "usage: medoffice edi" in out and "validate" in out
    code, out, _ = run(capsys, "validate", "--help")
    assert code == 0 and "usage: medoffice edi validate" in out and "--no-guide" in out
