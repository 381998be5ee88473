"""837P professional claims (005010X222A1): the dataclasses, the writer and the parser."""

from medoffice.edi.x837p.model import (
    IMPLEMENTATION,
    Address,
    BillingProvider,
    Claim,
    ClaimBatch,
    ClaimFile,
    Contact,
    Envelope,
    Patient,
    Payer,
    Provider,
    ProviderClaims,
    Receiver,
    ServiceFacility,
    ServiceLine,
    Submitter,
    Subscriber,
    SubscriberClaims,
)
from medoffice.edi.x837p.parser import parse_837p
from medoffice.edi.x837p.writer import write_837p

__all__ = [
    "IMPLEMENTATION",
    "Address",
    "BillingProvider",
    "Claim",
    "ClaimBatch",
    "ClaimFile",
    "Contact",
    "Envelope",
    "Patient",
    "Payer",
    "Provider",
    "ProviderClaims",
    "Receiver",
    "ServiceFacility",
    "ServiceLine",
    "Submitter",
    "Subscriber",
    "SubscriberClaims",
    "parse_837p",
    "write_837p",
]
