"""The people who log in: providers (with their Provider rows) and the office staff.

Every role has a login named for it (``frontdesk``, ``assistant``, ``biller``,
``manager``, ``admin``, ``auditor``, and ``doctor`` for the first provider);
other physicians log in as ``dr.last``, everyone else as ``first.last``. All
share one demo password, hashed once (Argon2 is slow on purpose; thirty hashes
would take seconds).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group

from medoffice.core import roles
from medoffice.core.models import Location, User
from medoffice.demo.context import NAMES, SeedContext, ascii_slug, new_npi
from medoffice.scheduling.models import Provider

# (credentials, specialty, NUCC taxonomy) cycled through for the providers asked for.
PROVIDER_MIX = (
    ("MD", "Family Medicine", "207Q00000X"),
    ("MD", "Internal Medicine", "207R00000X"),
    ("DO", "Family Medicine", "207Q00000X"),
    ("MD", "Pediatrics", "208000000X"),
    ("NP", "Family Nurse Practitioner", "363LF0000X"),
    ("MD", "Family Medicine", "207Q00000X"),
    ("PA", "Physician Assistant, Medical", "363AM0700X"),
    ("MD", "Internal Medicine", "207R00000X"),
)
COLOURS = (
    "#2a6f97",
    "#a23b72",
    "#3b8132",
    "#c06014",
    "#6a4c93",
    "#1b998b",
    "#b5179e",
    "#7f5539",
    "#d00000",
    "#386641",
)

# (role, how many, the well-known login of the first one, is_staff, is_superuser): 20 people.
STAFF_ROSTER = (
    (roles.FRONT_DESK, 6, "frontdesk", False, False),
    (roles.MEDICAL_ASSISTANT, 6, "assistant", False, False),
    (roles.BILLER, 4, "biller", False, False),
    (roles.OFFICE_MANAGER, 2, "manager", True, False),
    (roles.ADMIN, 1, "admin", True, True),
    (roles.AUDITOR, 1, "auditor", False, False),
)
PROVIDER_LOGIN = "doctor"
STAFF_EMAIL_DOMAIN = "example.org"


@dataclass
class People:
    providers: list[Provider]
    users: list[User]
    logins: list[tuple[str, str]]  # (username, role name), one well-known login per role


class _Usernames:
    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, wanted: str) -> str:
        name, n = wanted, 1
        while name in self.taken:
            n += 1
            name = f"{wanted}{n}"
        self.taken.add(name)
        return name


def _provider_locations(index: int, count: int, locations: list[Location]) -> list[Location]:
    """Every third provider works at two offices (both, with two); the others take turns.

    With one provider, that provider works everywhere.
    """
    n = len(locations)
    if count == 1 or n == 1 or (index % 3 == 0 and n == 2):
        return list(locations)
    if index % 3 == 0:
        return [locations[index % n], locations[(index + 1) % n]]
    return [locations[(index + 1) % n]]


def create_people(
    *,
    ctx: SeedContext,
    provider_count: int,
    locations: list[Location],
    password_hash: str,
    npis: set[str],
) -> People:
    """The providers with their logins, then the twenty staff, all holding their roles."""
    rng = ctx.rng("staff")
    usernames = _Usernames()
    usernames.taken.update({well_known for _, _, well_known, _, _ in STAFF_ROSTER})
    usernames.taken.add(PROVIDER_LOGIN)

    def user(first: str, last: str, username: str, **extra) -> User:
        return User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@{STAFF_EMAIL_DOMAIN}",
            password=password_hash,
            date_joined=ctx.now,
            **extra,
        )

    memberships: list[tuple[User, str]] = []
    logins: list[tuple[str, str]] = []
    provider_users: list[User] = []
    providers: list[Provider] = []
    provider_sites: list[list[Location]] = []
    for i in range(provider_count):
        credentials, specialty, taxonomy = PROVIDER_MIX[i % len(PROVIDER_MIX)]
        first = NAMES.first(rng, "F" if rng.random() < 0.55 else "M")
        last = NAMES.last(rng)
        if i == 0:
            login = PROVIDER_LOGIN
        elif credentials in ("MD", "DO"):
            login = usernames.claim(f"dr.{ascii_slug(last)}")
        else:
            login = usernames.claim(f"{ascii_slug(first)}.{ascii_slug(last)}")
        sites = _provider_locations(i, provider_count, locations)
        account = user(first, last, login, home_location=sites[0])
        provider_users.append(account)
        memberships.append((account, roles.PROVIDER))
        if i == 0:
            logins.append((login, roles.ROLES[roles.PROVIDER].name))
        providers.append(
            Provider(
                first_name=first,
                last_name=last,
                credentials=credentials,
                npi=new_npi(rng, taken=npis),
                taxonomy_code=taxonomy,
                specialty=specialty,
                accepts_overbook=credentials in ("MD", "DO") and rng.random() < 0.5,
                colour=COLOURS[i % len(COLOURS)],
            )
        )
        provider_sites.append(sites)

    staff_users: list[User] = []
    for role, count, well_known, is_staff, is_superuser in STAFF_ROSTER:
        for n in range(count):
            first = NAMES.first(rng, "F" if rng.random() < 0.7 else "M")
            last = NAMES.last(rng)
            login = (
                well_known if n == 0 else usernames.claim(f"{ascii_slug(first)}.{ascii_slug(last)}")
            )
            account = user(
                first,
                last,
                login,
                home_location=locations[n % len(locations)],
                is_staff=is_staff,
                is_superuser=is_superuser,
            )
            staff_users.append(account)
            memberships.append((account, role))
            if n == 0:
                logins.append((login, roles.ROLES[role].name))

    users = User.objects.bulk_create(provider_users + staff_users)
    for provider, account in zip(providers, provider_users, strict=True):
        provider.user = account
    providers = Provider.objects.bulk_create(providers)
    Provider.locations.through.objects.bulk_create(
        [
            Provider.locations.through(provider_id=p.pk, location_id=loc.pk)
            for p, sites in zip(providers, provider_sites, strict=True)
            for loc in sites
        ]
    )
    names = [r.name for r in roles.ROLES.values()]
    groups = {g.name: g for g in Group.objects.filter(name__in=names)}
    missing = ", ".join(n for n in names if n not in groups)
    if missing:
        raise LookupError(f"role groups missing (run 'medoffice migrate' first): {missing}")
    User.groups.through.objects.bulk_create(
        [
            User.groups.through(user_id=account.pk, group_id=groups[roles.ROLES[role].name].pk)
            for account, role in memberships
        ]
    )
    order = {
        roles.ROLES[r].name: i
        for i, r in enumerate(
            [
                roles.OFFICE_MANAGER,
                roles.ADMIN,
                roles.FRONT_DESK,
                roles.MEDICAL_ASSISTANT,
                roles.BILLER,
                roles.PROVIDER,
                roles.AUDITOR,
            ]
        )
    }
    logins.sort(key=lambda pair: order[pair[1]])
    return People(providers=providers, users=users, logins=logins)
