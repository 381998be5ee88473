"""The synthetic practice itself: the group, its two offices, their rooms, and its payers."""

from __future__ import annotations

from dataclasses import dataclass

from medoffice.core.models import Location, Practice
from medoffice.demo.context import SeedContext, new_npi
from medoffice.patients.models import Payer
from medoffice.scheduling.models import Room

PRACTICE_NAME = "Chattahoochee Valley Family Medicine"


@dataclass(frozen=True)
class Town:
    """A place patients live, and the office that is theirs."""

    city: str
    state: str
    zips: tuple[str, ...]
    weight: float


# Main (Columbus, GA) and Westside (Phenix City, AL) and the towns around them.
TOWNS = (
    Town("Columbus", "GA", ("31901", "31903", "31904", "31906", "31907", "31909"), 0.42),
    Town("Fortson", "GA", ("31808",), 0.04),
    Town("Midland", "GA", ("31820",), 0.05),
    Town("Cataula", "GA", ("31804",), 0.02),
    Town("Hamilton", "GA", ("31811",), 0.02),
    Town("LaGrange", "GA", ("30240", "30241"), 0.04),
    Town("Phenix City", "AL", ("36867", "36869", "36870"), 0.26),
    Town("Smiths Station", "AL", ("36877",), 0.06),
    Town("Seale", "AL", ("36875",), 0.03),
    Town("Opelika", "AL", ("36801", "36804"), 0.04),
    Town("Auburn", "AL", ("36830", "36832"), 0.02),
)

LOCATIONS = (
    {
        "name": "Main",
        "address1": "1500 Wynnton Rd",
        "city": "Columbus",
        "state": "GA",
        "zip": "31906",
        "phone": "7065550100",
        "time_zone": "America/New_York",
    },
    {
        "name": "Westside",
        "address1": "1800 Stadium Dr",
        "city": "Phenix City",
        "state": "AL",
        "zip": "36867",
        "phone": "3345550100",
        "time_zone": "America/Chicago",
    },
)

# Fictional plans (and fictional EDI ids) beside the two public programmes.
PAYERS = (
    {
        "name": "Medicare Part B",
        "kind": Payer.MEDICARE,
        "payer_id": "MCRJJ",
        "address1": "PO Box 100190",
        "city": "Columbia",
        "state": "SC",
        "zip": "29202",
        "phone": "8005550101",
        "timely_filing_days": 365,
    },
    {
        "name": "Georgia Medicaid",
        "kind": Payer.MEDICAID,
        "payer_id": "GAMCD",
        "address1": "PO Box 105200",
        "city": "Tucker",
        "state": "GA",
        "zip": "30085",
        "phone": "8005550102",
        "timely_filing_days": 180,
    },
    {
        "name": "Peachtree Health Plan",
        "kind": Payer.COMMERCIAL,
        "payer_id": "PCHTR",
        "address1": "PO Box 740800",
        "city": "Atlanta",
        "state": "GA",
        "zip": "30374",
        "phone": "8005550103",
        "timely_filing_days": 90,
    },
    {
        "name": "Southern Mutual Insurance",
        "kind": Payer.COMMERCIAL,
        "payer_id": "SMUTL",
        "address1": "PO Box 30555",
        "city": "Birmingham",
        "state": "AL",
        "zip": "35202",
        "phone": "8005550104",
        "timely_filing_days": 120,
    },
    {
        "name": "Chattahoochee Blue",
        "kind": Payer.COMMERCIAL,
        "payer_id": "CVBLU",
        "address1": "PO Box 9600",
        "city": "Columbus",
        "state": "GA",
        "zip": "31908",
        "phone": "8005550105",
        "timely_filing_days": 180,
    },
    {"name": "Self-pay", "kind": Payer.SELF_PAY, "payer_id": "", "timely_filing_days": None},
)


@dataclass
class PracticeParts:
    practice: Practice
    locations: list[Location]
    location_for_state: dict[str, Location]


def create_practice(*, ctx: SeedContext, npis: set[str]) -> PracticeParts:
    """The group (billing entity) and its offices, Main first."""
    rng = ctx.rng("practice")
    main = LOCATIONS[0]
    practice = Practice.objects.create(
        name=PRACTICE_NAME,
        group_npi=new_npi(rng, taken=npis),
        tax_id=f"{rng.randint(10, 98)}{rng.randint(0, 9_999_999):07d}",
        billing_address1=main["address1"],
        billing_city=main["city"],
        billing_state=main["state"],
        billing_zip=main["zip"],
        phone=main["phone"],
    )
    locations = [Location.objects.create(practice=practice, **spec) for spec in LOCATIONS]
    by_state = {loc.state: loc for loc in reversed(locations)}
    return PracticeParts(practice=practice, locations=locations, location_for_state=by_state)


def create_rooms(*, locations: list[Location], providers_at: dict[int, int]) -> list[Room]:
    """Two exam rooms per provider who works there (at least two), a procedure room and a lab;
    Main also has a telehealth line."""
    rooms: list[Room] = []
    for index, location in enumerate(locations):
        exams = max(2, 2 * providers_at.get(location.pk, 0))
        rooms += [Room(location=location, name=f"Exam {n}") for n in range(1, exams + 1)]
        rooms.append(Room(location=location, name="Procedure", kind=Room.PROCEDURE))
        rooms.append(Room(location=location, name="Lab", kind=Room.LAB))
        if index == 0:
            rooms.append(Room(location=location, name="Telehealth", kind=Room.TELEHEALTH))
    return Room.objects.bulk_create(rooms)


def create_payers() -> dict[str, Payer]:
    """The six payers, by EDI id (self-pay under "self_pay")."""
    payers = Payer.objects.bulk_create([Payer(**spec) for spec in PAYERS])
    return {p.payer_id or Payer.SELF_PAY: p for p in payers}
