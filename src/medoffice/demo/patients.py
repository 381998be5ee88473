"""Synthetic patients: who they are, where they live, how they like to be reached.

Ages run from newborn to 95, weighted toward a family practice's panel;
contact preferences are mostly text, then email, calls and mail, and the
preferred channel always has its consent (dated) and the number or address it
needs; minors have a parent or guardian as guarantor, at the same address.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from medoffice.core.models import Location
from medoffice.demo.context import (
    NAMES,
    SeedContext,
    email_for,
    fictional_phone,
    weighted,
    years_before,
)
from medoffice.demo.practice import TOWNS, Town
from medoffice.patients.models import Patient, mrn_from_sequence

# (youngest, oldest) age in years, and the share of the panel.
AGE_BANDS = (((0, 1), 0.04), ((2, 17), 0.16), ((18, 44), 0.30), ((45, 64), 0.28), ((65, 95), 0.22))
CONTACT_MIX = (
    (Patient.SMS, 0.55),
    (Patient.EMAIL, 0.25),
    (Patient.VOICE, 0.13),
    (Patient.MAIL, 0.07),
)
NICKNAMES = {
    "Robert": "Bob",
    "William": "Bill",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "Jennifer": "Jen",
    "Michael": "Mike",
    "James": "Jim",
    "Margaret": "Peggy",
    "Christopher": "Chris",
    "Joseph": "Joe",
    "Patricia": "Pat",
    "Richard": "Rick",
    "Thomas": "Tom",
    "Daniel": "Dan",
    "Susan": "Sue",
    "Anthony": "Tony",
    "Rebecca": "Becky",
    "Matthew": "Matt",
    "Deborah": "Deb",
    "Samantha": "Sam",
}
EMERGENCY_RELATIONSHIPS = ("Spouse", "Parent", "Sibling", "Child", "Friend", "Partner")


@dataclass(frozen=True)
class Person:
    """Someone related to a patient who is not (necessarily) a patient: a parent, a spouse."""

    first_name: str
    last_name: str
    date_of_birth: dt.date
    sex: str


def _consent_day(rng: random.Random, *, registered: dt.date, today: dt.date) -> dt.date:
    return min(today, registered + dt.timedelta(days=rng.randint(0, 30)))


def _birth(rng: random.Random, *, today: dt.date) -> tuple[int, dt.date]:
    """An age in whole years (drawn, so it does not depend on today) and a birthday giving it."""
    youngest, oldest = weighted(rng, AGE_BANDS)
    age = rng.randint(youngest, oldest)
    return age, years_before(today, age) - dt.timedelta(days=rng.randint(0, 364))


def _contact(rng: random.Random, patient: Patient, *, registered: dt.date, today: dt.date) -> None:
    """Preferred channel among those the patient can be reached by, with consents to match."""
    possible = {
        Patient.SMS: bool(patient.phone_mobile),
        Patient.EMAIL: bool(patient.email),
        Patient.VOICE: bool(patient.phone_mobile or patient.phone_home),
        Patient.MAIL: True,
    }
    channel = weighted(rng, [(c, w) for c, w in CONTACT_MIX if possible[c]])
    patient.preferred_contact = channel
    extra_share = {Patient.SMS: 0.4, Patient.EMAIL: 0.3, Patient.VOICE: 0.3}
    for c, share in extra_share.items():
        agrees = possible[c] and (c == channel or rng.random() < share)
        setattr(patient, f"consent_{c}", agrees)
        on = _consent_day(rng, registered=registered, today=today) if agrees else None
        setattr(patient, f"consent_{c}_on", on)
    patient.contact_hours_start = dt.time(weighted(rng, [(8, 0.3), (9, 0.5), (10, 0.2)]), 0)
    end = weighted(rng, [(17, 0.3), (18, 0.3), (19, 0.25), (20, 0.15)])
    patient.contact_hours_end = dt.time(end, 0)


def _guarantor(rng: random.Random, patient: Patient, *, age: int) -> Person | None:
    """A parent for minors (a spouse for a few adults); None when the patient is their own."""
    if age >= Patient.ADULT_AGE and rng.random() >= 0.02:
        return None
    relationship = "parent" if age < Patient.ADULT_AGE else "spouse"
    if relationship == "parent" and rng.random() < 0.04:
        relationship = "legal_guardian"
    sex = "F" if rng.random() < 0.6 else "M"
    same_name = rng.random() < 0.8
    if relationship == "parent":
        born = years_before(patient.date_of_birth, rng.randint(19, 44))
    else:
        born = years_before(patient.date_of_birth, rng.randint(-6, 6))
    person = Person(
        first_name=NAMES.first(rng, sex),
        last_name=patient.last_name if same_name else NAMES.last(rng),
        date_of_birth=born - dt.timedelta(days=rng.randint(0, 364)),
        sex=sex,
    )
    patient.guarantor_relationship = relationship
    patient.guarantor_first_name = person.first_name
    patient.guarantor_last_name = person.last_name
    patient.guarantor_date_of_birth = person.date_of_birth
    patient.guarantor_address1 = patient.address1
    patient.guarantor_city = patient.city
    patient.guarantor_state = patient.state
    patient.guarantor_zip = patient.zip
    patient.guarantor_phone = patient.phone_mobile or patient.phone_home
    return person


@dataclass
class DrawnPatient:
    """A patient not yet saved, and the people their coverage may name."""

    patient: Patient
    age: int
    guarantor: Person | None


def draw_patients(
    *,
    ctx: SeedContext,
    count: int,
    location_for_state: dict[str, Location],
    location_for_town: dict[str, Location] | None = None,
) -> Iterator[DrawnPatient]:
    """``count`` unsaved patients, MRNs 1..count in order.

    A patient's home office is the one in their town (``location_for_town``), else
    the first one in their state.
    """
    by_town = location_for_town or {}
    rng = ctx.rng("patients")
    today = ctx.today
    history = dt.timedelta(days=365 * ctx.years)
    towns: list[tuple[Town, float]] = [(t, t.weight) for t in TOWNS]
    for number in range(1, count + 1):
        sex = weighted(rng, [("F", 0.52), ("M", 0.475), ("U", 0.005)])
        age, born = _birth(rng, today=today)
        town = weighted(rng, towns)
        first = NAMES.first(rng, sex)
        last = NAMES.last(rng)
        registered_at = max(
            ctx.now - history * rng.random(),
            dt.datetime.combine(born, dt.time(12), tzinfo=dt.UTC),
        )
        registered = registered_at.date()
        patient = Patient(
            mrn=mrn_from_sequence(number),
            first_name=first,
            middle_name=NAMES.first(rng, sex) if rng.random() < 0.4 else "",
            last_name=last,
            date_of_birth=born,
            sex_at_birth=sex,
            address1=NAMES.street_address(rng),
            address2=f"Apt {rng.randint(1, 40)}{rng.choice('ABCD')}" if rng.random() < 0.08 else "",
            city=town.city,
            state=town.state,
            zip=rng.choice(town.zips),
            home_location=by_town.get(town.city) or location_for_state[town.state],
            active=rng.random() >= 0.03,
            created_at=registered_at,
        )
        if age >= 21 and sex == "M" and rng.random() < 0.03:
            patient.name_suffix = rng.choice(("Jr", "Sr", "III"))
        if first in NICKNAMES and rng.random() < 0.6:
            patient.preferred_name = NICKNAMES[first]
        roll = rng.random()
        if age >= 13 and roll < 0.04:
            patient.gender_identity = rng.choice(("nonbinary", "declined", "other"))
        elif age >= 13 and roll < 0.06:
            patient.gender_identity = "transgender_female" if sex == "M" else "transgender_male"
        has_mobile = rng.random() < (0.93 if age >= 13 else 0.85)
        patient.phone_mobile = fictional_phone(rng, state=town.state) if has_mobile else ""
        has_home = rng.random() < 0.3 or not has_mobile
        home = fictional_phone(rng, state=town.state, local_share=1) if has_home else ""
        patient.phone_home = home
        if rng.random() < (0.75 if age >= 13 else 0.6):
            patient.email = email_for(rng, first, last)
        guarantor = _guarantor(rng, patient, age=age)
        _contact(rng, patient, registered=registered, today=today)
        if rng.random() < 0.75:
            patient.emergency_contact_name = f"{NAMES.first(rng, 'U')} {NAMES.last(rng)}"
            patient.emergency_contact_relationship = rng.choice(EMERGENCY_RELATIONSHIPS)
            patient.emergency_contact_phone = fictional_phone(rng, state=town.state)
        yield DrawnPatient(patient=patient, age=age, guarantor=guarantor)
