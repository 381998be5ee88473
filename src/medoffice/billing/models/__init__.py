"""Billing's data: the fee schedule, charges, claims and the scrubber.

One module per concern; everything other code uses is named here, so
``from medoffice.billing.models import Claim`` keeps working.
"""

from medoffice.billing.models.acks import AcknowledgementFile
from medoffice.billing.models.batches import ClaimBatch, ControlNumber, SubmissionSettings
from medoffice.billing.models.charges import Charge, ChargeDiagnosis, ChargeLine
from medoffice.billing.models.claims import Claim, ClaimEvent, ClaimLine
from medoffice.billing.models.fees import PayerFee, Service
from medoffice.billing.models.ledger import BillingPolicy, ClosedPeriod, LedgerEntry
from medoffice.billing.models.patient_money import (
    CollectionsFlag,
    PatientPayment,
    PaymentPlan,
    PlanInstallment,
    Statement,
    StatementRun,
)
from medoffice.billing.models.remittances import (
    ClaimPayment,
    Denial,
    LinePayment,
    ProviderAdjustment,
    RemitAdjustment,
    Remittance,
    RemittanceFile,
    WriteOffRequest,
)
from medoffice.billing.models.scrub import PayerScrubRule, ScrubFinding, ScrubRule

__all__ = [
    "AcknowledgementFile",
    "BillingPolicy",
    "ClaimPayment",
    "ClosedPeriod",
    "CollectionsFlag",
    "Denial",
    "LedgerEntry",
    "LinePayment",
    "PatientPayment",
    "PaymentPlan",
    "PlanInstallment",
    "ProviderAdjustment",
    "RemitAdjustment",
    "Remittance",
    "RemittanceFile",
    "Statement",
    "StatementRun",
    "WriteOffRequest",
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
