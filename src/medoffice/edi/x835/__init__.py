"""835 remittance advice (005010X221A1): the dataclasses and ``read_835``."""

from medoffice.edi.x835.model import (
    ADJUSTMENT_GROUPS,
    CLAIM_STATUSES,
    Adjustment,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from medoffice.edi.x835.reader import read_835

__all__ = [
    "ADJUSTMENT_GROUPS",
    "CLAIM_STATUSES",
    "Adjustment",
    "ClaimPayment",
    "ProviderAdjustment",
    "Remittance",
    "ServicePayment",
    "read_835",
]
