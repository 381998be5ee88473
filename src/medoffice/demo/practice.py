"""The synthetic practice itself: the group, its offices (two by default), their rooms, payers."""

from __future__ import annotations

from dataclasses import dataclass, field

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

# Main (Columbus, GA) and Westside (Phenix City, AL) first; larger seeds (``--locations``)
# open satellite offices in the towns around them, up to ten in all.
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
    {
        "name": "Opelika",
        "address1": "2300 Pepperell Pkwy",
        "city": "Opelika",
        "state": "AL",
        "zip": "36801",
        "phone": "3345550110",
        "time_zone": "America/Chicago",
    },
    {
        "name": "LaGrange",
        "address1": "400 Church St",
        "city": "LaGrange",
        "state": "GA",
        "zip": "30240",
        "phone": "7065550120",
        "time_zone": "America/New_York",
    },
    {
        "name": "Midland",
        "address1": "7100 Warm Springs Rd",
        "city": "Midland",
        "state": "GA",
        "zip": "31820",
        "phone": "7065550130",
        "time_zone": "America/New_York",
    },
    {
        "name": "Smiths Station",
        "address1": "2600 Lee Rd 430",
        "city": "Smiths Station",
        "state": "AL",
        "zip": "36877",
        "phone": "3345550140",
        "time_zone": "America/Chicago",
    },
    {
        "name": "Auburn",
        "address1": "1650 E University Dr",
        "city": "Auburn",
        "state": "AL",
        "zip": "36830",
        "phone": "3345550150",
        "time_zone": "America/Chicago",
    },
    {
        "name": "Fortson",
        "address1": "6300 Fortson Rd",
        "city": "Fortson",
        "state": "GA",
        "zip": "31808",
        "phone": "7065550160",
        "time_zone": "America/New_York",
    },
    {
        "name": "Hamilton",
        "address1": "120 Mobley St",
        "city": "Hamilton",
        "state": "GA",
        "zip": "31811",
        "phone": "7065550170",
        "time_zone": "America/New_York",
    },
    {
        "name": "Seale",
        "address1": "75 Long St",
        "city": "Seale",
        "state": "AL",
        "zip": "36875",
        "phone": "3345550180",
        "time_zone": "America/Chicago",
    },
)
MAX_LOCATIONS = len(LOCATIONS)

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
    # A patient's office: the one in their town, else the first one in their state.
    location_for_town: dict[str, Location] = field(default_factory=dict)


def create_practice(*, ctx: SeedContext, npis: set[str], locations: int = 2) -> PracticeParts:
    """The group (billing entity) and its first ``locations`` offices, Main first."""
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
    offices = [Location.objects.create(practice=practice, **spec) for spec in LOCATIONS[:locations]]
    by_state = {loc.state: loc for loc in reversed(offices)}
    by_town = {town.city: by_state[town.state] for town in TOWNS}
    by_town.update({loc.city: loc for loc in reversed(offices)})
    return PracticeParts(
        practice=practice,
        locations=offices,
        location_for_state=by_state,
        location_for_town=by_town,
    )


def create_rooms(*, locations: list[Location], providers_at: dict[int, int]) -> list[Room]:
    """Per office: two exam rooms per provider who works there (at least two), one procedure
    room, a lab and a telehealth line (the virtual room video visits take)."""
    rooms: list[Room] = []
    for location in locations:
        exams = max(2, 2 * providers_at.get(location.pk, 0))
        rooms += [Room(location=location, name=f"Exam {n}") for n in range(1, exams + 1)]
        rooms.append(Room(location=location, name="Procedure", kind=Room.PROCEDURE))
        rooms.append(Room(location=location, name="Lab", kind=Room.LAB))
        rooms.append(Room(location=location, name="Telehealth", kind=Room.TELEHEALTH))
    return Room.objects.bulk_create(rooms)


def create_payers() -> dict[str, Payer]:
    """The six payers, by EDI id (self-pay under "self_pay")."""
    payers = Payer.objects.bulk_create([Payer(**spec) for spec in PAYERS])
    return {p.payer_id or Payer.SELF_PAY: p for p in payers}
