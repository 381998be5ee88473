"""What the 835 modules share: money in cents, chunked id lists, row makers, constants."""

from __future__ import annotations

from decimal import Decimal

from medoffice.billing.models import Claim, ClaimPayment, Denial, LedgerEntry, LinePayment
from medoffice.billing.services.bulk import Maker

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
ALREADY_MATCHED = "already_matched"
#: CARCs that reduce a payment by contract (not a refusal): adjusted off even on a line paid 0.
CONTRACTUAL_REASONS = frozenset({"45", "42", "59", "94", "131", "144", "237", "253"})
#: Claims a payment may post to: sent, and not closed.
POSTABLE = (Claim.SUBMITTED, Claim.ACCEPTED, Claim.PAID, Claim.PARTLY_PAID, Claim.DENIED)
CHUNK = 900  # ids per IN (...) list: under SQLite's variable limit


def _chunks(items: list, size: int = CHUNK):
    for at in range(0, len(items), size):
        yield items[at : at + size]


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT)


# Row makers for the plain-row inserts (one per model, made on first use).
class _Makers(dict):
    def __missing__(self, key):
        model = {"claim_payment": ClaimPayment, "line": LinePayment, "entry": LedgerEntry,
                 "denial": Denial}[key]  # fmt: skip
        self[key] = maker = Maker(model)
        return maker


_makers = _Makers()
