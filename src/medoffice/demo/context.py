"""What every part of the synthetic practice draws from: seeded randomness, today, fake contacts.

Each part (practice, staff, patients...) gets its own random stream derived
from the seed and the part's name, so adding providers does not change the
patients, and a later issue's additions do not change what came before.
Random draws never depend on today's date; only the dates computed from
them move with it (a patient drawn as 40 years old is born 40 years before
the day of the seed).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import TypeVar
from zoneinfo import ZoneInfo

from faker.providers.person.en_US import Provider as FakerPeople

from medoffice.core.validators import npi_check_digit_ok

T = TypeVar("T")

# The practice lives around Columbus, Georgia (Eastern time) and Phenix City,
# Alabama (Central time), on either bank of the Chattahoochee.
HOME_ZONE = ZoneInfo("America/New_York")
LOCAL_AREA_CODES = {"GA": ("706", "762"), "AL": ("334",)}
# Numbers people keep when they move: the rest of both states.
OTHER_AREA_CODES = ("404", "470", "678", "770", "229", "478", "912", "205", "256", "251", "938")
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved, never deliverable


@dataclass(frozen=True)
class SeedContext:
    """The seed, the moment the practice is generated, and the history span asked for."""

    seed: int
    now: dt.datetime
    years: int

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(HOME_ZONE).date()

    def rng(self, part: str) -> random.Random:
        """The random stream of one part of the practice (same seed and part → same draws)."""
        return random.Random(f"medoffice-demo:{self.seed}:{part}")


class NameBank:
    """US first and last names with their census frequencies (Faker's en_US lists), and streets.

    Drawn with our own seeded streams: Faker's own weighted draw costs ~70 µs,
    which is most of the time for thousands of patients; this costs ~1 µs.
    """

    STREET_SUFFIXES = ("St", "Ave", "Rd", "Dr", "Ln", "Ct", "Way", "Blvd", "Pl", "Cir", "Trl")

    def __init__(self) -> None:
        self._lists = {
            key: (list(names), list(accumulate(names.values())))
            for key, names in (
                ("F", FakerPeople.first_names_female),
                ("M", FakerPeople.first_names_male),
                ("last", FakerPeople.last_names),
            )
        }

    def _pick(self, rng: random.Random, key: str) -> str:
        names, cumulative = self._lists[key]
        return rng.choices(names, cum_weights=cumulative, k=1)[0]

    def first(self, rng: random.Random, sex: str) -> str:
        """A first name for sex F or M (either for U)."""
        if sex not in ("F", "M"):
            sex = "F" if rng.random() < 0.5 else "M"
        return self._pick(rng, sex)

    def last(self, rng: random.Random) -> str:
        return self._pick(rng, "last")

    def street_address(self, rng: random.Random) -> str:
        name = self._pick(rng, "last") if rng.random() < 0.6 else self.first(rng, "U")
        return f"{rng.randint(100, 9999)} {name} {rng.choice(self.STREET_SUFFIXES)}"


NAMES = NameBank()


def weighted(rng: random.Random, choices: Sequence[tuple[T, float]]) -> T:
    """One value of ``choices`` ((value, weight) pairs), drawn by weight."""
    values = [v for v, _ in choices]
    weights = [w for _, w in choices]
    return rng.choices(values, weights=weights, k=1)[0]


def fictional_phone(rng: random.Random, *, state: str, local_share: float = 0.8) -> str:
    """A 10-digit number in the range reserved for fiction (NXX-555-0101 to 0199)."""
    if rng.random() < local_share:
        area = rng.choice(LOCAL_AREA_CODES[state])
    else:
        area = rng.choice(OTHER_AREA_CODES)
    return f"{area}5550{rng.randint(101, 199)}"


def new_npi(rng: random.Random, *, taken: set[str]) -> str:
    """A fresh 10-digit NPI starting with 1 whose check digit is right."""
    while True:
        body = "1" + "".join(str(rng.randint(0, 9)) for _ in range(8))
        npi = next(body + str(d) for d in range(10) if npi_check_digit_ok(body + str(d)))
        if npi not in taken:
            taken.add(npi)
            return npi


def ascii_slug(text: str) -> str:
    """Lower-case letters and digits only (for usernames and email addresses)."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def email_for(rng: random.Random, first: str, last: str) -> str:
    style = rng.randint(0, 2)
    first, last = ascii_slug(first) or "patient", ascii_slug(last) or "person"
    local = (
        f"{first}.{last}" if style == 0 else f"{first[0]}{last}" if style == 1 else f"{first}{last}"
    )
    return f"{local}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
