"""Patients, the payers that insure them, their coverages, scanned documents and merges.

One module per concern; every model and helper other code uses is named here,
so ``from medoffice.patients.models import Patient`` keeps working.
"""

from medoffice.patients.models.coverages import Coverage
from medoffice.patients.models.identifiers import (
    MBI_LETTERS,
    MEMBER_ID,
    MRN_DIGITS,
    OLDEST_AGE_YEARS,
    X12_PAYER_ID,
    CaseInsensitivePrefixIndex,
    SearchKeyField,
    luhn_check_digit,
    mbi_ok,
    mrn_from_sequence,
    validate_birth_date,
    validate_mrn,
    validate_not_in_future,
    validate_us_phone,
)
from medoffice.patients.models.patients import (
    SEARCH_KEYS,
    SEARCH_SOURCES,
    Patient,
    PatientQuerySet,
    Payer,
)
from medoffice.patients.models.records import PatientDocument, PatientMerge, document_path

__all__ = [
    "MBI_LETTERS",
    "MEMBER_ID",
    "MRN_DIGITS",
    "OLDEST_AGE_YEARS",
    "SEARCH_KEYS",
    "SEARCH_SOURCES",
    "X12_PAYER_ID",
    "CaseInsensitivePrefixIndex",
    "Coverage",
    "Patient",
    "PatientDocument",
    "PatientMerge",
    "PatientQuerySet",
    "Payer",
    "SearchKeyField",
    "document_path",
    "luhn_check_digit",
    "mbi_ok",
    "mrn_from_sequence",
    "validate_birth_date",
    "validate_mrn",
    "validate_not_in_future",
    "validate_us_phone",
]
