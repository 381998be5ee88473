"""Every reader on every public sample: a result or an X12Error naming its place, nothing else."""

from __future__ import annotations

import pytest

from medoffice.edi.errors import X12Error
from medoffice.edi.x277 import read_277
from medoffice.edi.x835 import read_835
from medoffice.edi.x837p import parse_837p
from medoffice.edi.x999 import read_999
from tests.edi.samples import needs_samples, sample_files, sample_id

READERS = {"837P": parse_837p, "835": read_835, "999": read_999, "277": read_277}


@needs_samples
@pytest.mark.parametrize("kind", sorted(READERS))
@pytest.mark.parametrize("path", sample_files(), ids=sample_id)
def test_a_reader_given_any_sample_returns_or_raises_x12error(kind, path):
    try:
        READERS[kind](path.read_bytes())
    except X12Error as exc:
        assert exc.describe()
        if path.parent.name != kind:  # a file of another kind is refused for being one
            assert exc.segment_index is not None
