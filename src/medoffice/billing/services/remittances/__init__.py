"""Importing 835 remittances and posting them to the books.

:func:`import_835` reads a payer's 835 file whole (any fault refuses it, at
its segment, before anything is written), keeps it (its SHA-256 is unique: the
same file never posts twice), records every payment, claim, line and
adjustment as received, and posts each claim payment it can match to one of
our claims (by the patient control number, CLP01). One file is one database
transaction: all of it is recorded and posted, or none of it.

The posting rules, for a claim payment matched to our claim C (payer P =
C.payer, visit V = C.charge), per service line when the 835 has lines:

* the payment: PAYER_PAYMENT −paid on P's share of V;
* CAS groups CO, PI, OA and CR: CONTRACTUAL −amount on P — except on a denied
  claim (CLP02 = 4) or a line paid nothing, where a reason that is not a
  contractual reduction (:data:`CONTRACTUAL_REASONS`) leaves the amount open
  on P and opens a :class:`Denial` for the work queue;
* CAS group PR (deductible, coinsurance, copay...): TRANSFER −amount from P
  and +amount to the visit's next payer when another coverage follows P (the
  secondary claim bills it), else to the patient — and once the file is
  posted, a credit a patient holds on account is applied to such a share;
* a reversal (CLP02 = 22) carries negative amounts, so the same rules post
  the opposite entries, and the claim goes back to ACCEPTED; the denials of
  the answer it takes back (the same payer claim number) are resolved;
* the claim's status follows: SUBMITTED → ACCEPTED → PAID (P's share of V is
  settled) / PARTLY_PAID / DENIED.

Claim payments naming no claim of ours are kept unmatched (``claim`` empty):
:func:`match_claim_payment` posts one to the claim a biller picks, and
:func:`dismiss_claim_payment` takes one off the queue with a note.
"""

from medoffice.billing.services.remittances.importing import import_835
from medoffice.billing.services.remittances.posting import apply_patient_credits
from medoffice.billing.services.remittances.report import (
    ImportReport,
    RemittanceSummary,
    summary_of,
)
from medoffice.billing.services.remittances.work import (
    dismiss_claim_payment,
    find_claims,
    match_claim_payment,
    remittance_claims,
    remittance_list,
    unmatched_queue,
)

__all__ = [
    "ImportReport",
    "RemittanceSummary",
    "apply_patient_credits",
    "dismiss_claim_payment",
    "find_claims",
    "import_835",
    "match_claim_payment",
    "remittance_claims",
    "remittance_list",
    "summary_of",
    "unmatched_queue",
]
