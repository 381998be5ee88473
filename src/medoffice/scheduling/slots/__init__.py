"""Next open slot: the finder behind the "Next available" page and ``GET /api/v1/slots``.

- :mod:`.finder` — ``open_slots`` and the ``Slot`` it returns
- :mod:`.preferences` — weekdays and times of day a patient prefers
- :mod:`.intervals` — busy time as sorted intervals

Read-only: booking a slot goes through ``book_appointment``, which every slot
returned here passes.
"""

from medoffice.scheduling.slots.finder import (
    DEFAULT_DAYS,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_WINDOW_DAYS,
    Slot,
    open_slots,
)
from medoffice.scheduling.slots.preferences import (
    AFTERNOON,
    ANY_TIME,
    MORNING,
    TIME_OF_DAY_CHOICES,
    TimeRange,
    parse_time_range,
)

__all__ = [
    "AFTERNOON",
    "ANY_TIME",
    "DEFAULT_DAYS",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_WINDOW_DAYS",
    "MORNING",
    "TIME_OF_DAY_CHOICES",
    "Slot",
    "TimeRange",
    "open_slots",
    "parse_time_range",
]
