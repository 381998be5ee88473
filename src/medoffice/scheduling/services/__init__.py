"""Every write to the schedule: the one door for each change of an appointment.

- :mod:`.booking` — ``book_appointment`` (and ``book_one``, its body inside a transaction)
- :mod:`.series` — ``book_series``
- :mod:`.rescheduling` — ``reschedule_appointment``, ``cancel_appointment``
- :mod:`.checks` — the validations a booking passes, usable to explain a refusal up front
- :mod:`.flow` — ``confirm_appointment``, ``record_flow_step``, ``mark_no_show``
- :mod:`.waitlist` — ``add_to_waitlist``, ``remove_from_waitlist``, ``mark_waitlist_booked``
- :mod:`.guards` — advisory locks and how database refusals read as ``slot_taken``

Each takes keyword arguments only, starting with ``actor`` (the user doing it,
or None for the system), and raises ``medoffice.core.errors.DomainError``.
"""

from medoffice.scheduling.services.booking import book_appointment
from medoffice.scheduling.services.flow import (
    confirm_appointment,
    mark_no_show,
    record_flow_step,
)
from medoffice.scheduling.services.rescheduling import (
    cancel_appointment,
    reschedule_appointment,
)
from medoffice.scheduling.services.series import book_series
from medoffice.scheduling.services.waitlist import (
    add_to_waitlist,
    mark_waitlist_booked,
    remove_from_waitlist,
)

__all__ = [
    "add_to_waitlist",
    "book_appointment",
    "book_series",
    "cancel_appointment",
    "confirm_appointment",
    "mark_no_show",
    "mark_waitlist_booked",
    "record_flow_step",
    "remove_from_waitlist",
    "reschedule_appointment",
]
