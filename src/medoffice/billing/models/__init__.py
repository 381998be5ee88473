"""Billing's data: the fee schedule, charges, claims and the scrubber.

One module per concern; everything other code uses is named here, so
``from medoffice.billing.models import Claim`` keeps working.
"""

from medoffice.billing.models.batches import ClaimBatch, ControlNumber, SubmissionSettings
from medoffice.billing.models.charges import Charge, ChargeDiagnosis, ChargeLine
from medoffice.billing.models.claims import Claim, ClaimEvent, ClaimLine
from medoffice.billing.models.fees import PayerFee, Service
from medoffice.billing.models.scrub import PayerScrubRule, ScrubFinding, ScrubRule

__all__ = [
    "Charge",
    "ChargeDiagnosis",
    "ChargeLine",
    "Claim",
    "ClaimBatch",
    "ClaimEvent",
    "ClaimLine",
    "ControlNumber",
    "PayerFee",
    "PayerScrubRule",
    "ScrubFinding",
    "ScrubRule",
    "Service",
    "SubmissionSettings",
]
