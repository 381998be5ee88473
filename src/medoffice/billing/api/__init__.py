"""API for billing under /api/v1/billing/: fee schedules, charges, claims and the scrubber.

Handlers only translate: they check the caller's permission, look up the ids,
call the same services and selectors as the pages, and write the PHI access
log where a patient's charges or claims are read or written. Errors come back
in the one shape ``{"detail", "code", "field"}``; a charge's field errors name
the field as ``diagnoses.<n>`` or ``lines.<n>.<field>``, and a refused CSV
import lists every refused line.
"""

from ninja import Router

from medoffice.billing.api import ar, batches, charges, claims, denials, fees
from medoffice.billing.api import patient_money as money_api
from medoffice.billing.api import remittances as remittance_api
from medoffice.billing.api import secondary as secondary_api

router = Router(tags=["billing"])
router.add_router("", fees.router)
router.add_router("", charges.router)
router.add_router("", claims.router)
router.add_router("", batches.router)
router.add_router("", secondary_api.router)
router.add_router("", denials.router)
router.add_router("", ar.router)
router.add_router("", remittance_api.router)
router.add_router("", money_api.router)

__all__ = ["router"]
