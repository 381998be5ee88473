"""A claim built from the charged visit and walked to "submitted", as 835 tests need one."""

from __future__ import annotations

import pytest

from medoffice.billing.models import Claim
from medoffice.billing.services import claims as claim_svc

SENT = (Claim.SCRUBBED, Claim.READY, Claim.SUBMITTED)


def submitted(charge, biller) -> Claim:
    claim = claim_svc.build_claim(actor=biller, charge=charge)
    for to in SENT:
        claim = claim_svc.move_claim(actor=biller, claim=claim, to=to, note=f"to {to}")
    return claim


@pytest.fixture
def claim(charged, biller) -> Claim:
    """Our claim MO… to the commercial payer: 99213 $135 and 87880 $30, submitted."""
    return submitted(charged, biller)
