"""The schedule's data: who and what is booked, when they work, and what happened to each visit.

- :mod:`.resources` — ``Provider``, ``Room``, ``AppointmentType``
- :mod:`.availability` — ``AvailabilityTemplate`` (weekly blocks), ``ScheduleException``
- :mod:`.appointments` — ``Appointment``, ``AppointmentSeries``, ``AppointmentEvent``
- :mod:`.waitlist` — ``WaitlistEntry``

Writes go through :mod:`medoffice.scheduling.services`; reads through
:mod:`medoffice.scheduling.selectors`.
"""

from medoffice.scheduling.models.appointments import (
    Appointment,
    AppointmentEvent,
    AppointmentSeries,
)
from medoffice.scheduling.models.availability import (
    WEEKDAY_CHOICES,
    WEEKDAY_NAMES,
    AvailabilityTemplate,
    ScheduleException,
)
from medoffice.scheduling.models.resources import (
    HEX_COLOUR,
    TAXONOMY_CODE,
    AppointmentType,
    Provider,
    Room,
)
from medoffice.scheduling.models.waitlist import WaitlistEntry, weekday_mask

__all__ = [
    "HEX_COLOUR",
    "TAXONOMY_CODE",
    "WEEKDAY_CHOICES",
    "WEEKDAY_NAMES",
    "Appointment",
    "AppointmentEvent",
    "AppointmentSeries",
    "AppointmentType",
    "AvailabilityTemplate",
    "Provider",
    "Room",
    "ScheduleException",
    "WaitlistEntry",
    "weekday_mask",
]
