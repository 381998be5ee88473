"""The public X12 sample files in /work/shared/x12-samples and pyx12's verdict on each.

The folder sits outside the repository (each file keeps its own licence there);
``MEDOFFICE_X12_SAMPLES`` points elsewhere. Tests that need it are skipped,
with that reason, on a machine without it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

SAMPLES = Path(os.environ.get("MEDOFFICE_X12_SAMPLES", "/work/shared/x12-samples"))
EXPECTED_FILE_COUNT = 59

needs_samples = pytest.mark.skipif(
    not (SAMPLES / "README.md").is_file(),
    reason=f"the X12 sample folder {SAMPLES} is not on this machine (set MEDOFFICE_X12_SAMPLES)",
)


def sample_files(kind: str | None = None) -> list[Path]:
    """Every sample file (or those of one folder: '835', '837P', ...), sorted."""
    if not SAMPLES.is_dir():
        return []
    root = SAMPLES / kind if kind else SAMPLES
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "README.md")


def sample_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def pyx12_verdicts() -> dict[str, str]:
    """'835/emedny.txt' -> 'PASS' | 'FAIL (n)' | 'n/a', from the folder's README table."""
    verdicts = {}
    readme = SAMPLES / "README.md"
    if not readme.is_file():
        return verdicts
    for line in readme.read_text().splitlines():
        match = re.match(r"\|\s*(\S+/\S+)\s*\|\s*\d+\s*\|[^|]*\|\s*([^|]+?)\s*\|\s*$", line)
        if match:
            verdicts[match.group(1)] = match.group(2)
    return verdicts


def read_sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()
