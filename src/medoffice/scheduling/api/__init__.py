"""API for the schedule: providers, rooms, appointment types, appointments, patient flow, waitlist.

Handlers only translate: they look up the ids, check the caller's role, call
the same services and selectors as the pages, and write the PHI access log
(booking and flow are patient-facing actions). Times go out as ISO 8601 in
the location's time zone, with the offset; they come in with an offset or are
refused (422, field "start").

Who may do what: the front desk and the office manager book, move, cancel and
confirm visits and keep the waitlist; they and the medical assistants record
flow steps; anyone with the schedule's view permission reads it.
"""

from ninja import Router

from medoffice.scheduling.api import appointments, resources, waitlist

router = Router(tags=["scheduling"])
router.add_router("", resources.router)
router.add_router("", appointments.router)
router.add_router("", waitlist.router)

__all__ = ["router"]
