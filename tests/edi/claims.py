"""Claim files for the 837P tests: hand-shaped examples and hypothesis strategies."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from hypothesis import strategies as st

from medoffice.edi.values import PLACES_OF_SERVICE, STATES, npi_check_digit
from medoffice.edi.x837p import (
    Address,
    BillingProvider,
    Claim,
    ClaimBatch,
    ClaimFile,
    Contact,
    Envelope,
    Patient,
    Payer,
    Provider,
    ProviderClaims,
    Receiver,
    ServiceFacility,
    ServiceLine,
    Submitter,
    Subscriber,
    SubscriberClaims,
)


def npi(seed: int) -> str:
    """A valid NPI made from ``seed``."""
    body = f"{1 + seed % 2}{seed % 10**8:08d}"
    return body + str(npi_check_digit(body))


DAY = dt.date(2024, 3, 4)
CREATED = dt.datetime.combine(dt.date(2024, 3, 5), dt.time(16, 45))  # X12: wall clock
OFFICE = Address("100 Main St", "Springfield", "IL", "627011234", line2="Suite 2")
HOME = Address("12 Elm St", "Springfield", "IL", "62702")

DR_PATEL = Provider("Patel", "Anita", npi(101), taxonomy="207Q00000X")
DR_REF = Provider("Okafor", "James", npi(202), middle_name="T")

GROUP = BillingProvider(
    name="Riverside Family Medicine",
    npi=npi(303),
    tax_id="123456789",
    address=OFFICE,
    taxonomy="207Q00000X",
    contact=Contact("Billing Office", phone="2175550100", phone_extension="12"),
)
SOLO = BillingProvider(
    name="Lee",
    first_name="Maria",
    is_organization=False,
    npi=npi(404),
    tax_id="987654321",
    tax_id_type="SY",
    address=OFFICE,
    pay_to=Address("PO Box 77", "Springfield", "IL", "62705"),
)
PAYER = Payer("Prairie Health Plan", "PHP01", Address("1 Insurance Way", "Chicago", "IL", "60601"))
MEDICARE = Payer("Medicare Part B", "MCRB")

SELF = Subscriber(
    member_id="XQP123456",
    last_name="Lee",
    first_name="Susan",
    middle_name="K",
    birth_date=dt.date(1958, 6, 1),
    sex="F",
    address=HOME,
    group_number="GRP-77",
)
PARENT = Subscriber(
    member_id="XQP999001", last_name="Garcia", first_name="Luis", group_name="City Workers"
)
CHILD = Patient("19", "Garcia", "Ana", dt.date(2015, 9, 30), "F", HOME)
SPOUSE = Patient("01", "Garcia", "Rosa", dt.date(1980, 2, 14), "F", HOME, suffix="JR")


def line(code="99213", charge="120.00", *, pointers=(1,), **kw) -> ServiceLine:
    return ServiceLine(code, Decimal(charge), kw.pop("service_date", DAY), pointers, **kw)


def claim(number: str, *lines: ServiceLine, **kw) -> Claim:
    return Claim(
        patient_control_number=number,
        place_of_service=kw.pop("place_of_service", "11"),
        diagnoses=kw.pop("diagnoses", ("E119", "I10")),
        lines=lines or (line(),),
        **kw,
    )


def claim_file(*groups: ProviderClaims, batches: int = 1, **env) -> ClaimFile:
    envelope = Envelope(
        sender_id=env.pop("sender_id", "RIVERSIDE01"),
        receiver_id=env.pop("receiver_id", "CLEARHOUSE"),
        interchange_control_number=env.pop("interchange_control_number", 41),
        group_control_number=env.pop("group_control_number", 41),
        created=CREATED,
        **env,
    )
    made = tuple(
        ClaimBatch(
            control_number=f"{i + 1:04d}",
            reference=f"B2024-{i + 1}",
            created=CREATED,
            submitter=Submitter(
                "Riverside Family Medicine",
                "RFM001",
                Contact("Sam Biller", email="sam@riverside.example"),
            ),
            receiver=Receiver("Clearing House Inc", "CH0001"),
            providers=groups,
        )
        for i in range(batches)
    )
    return ClaimFile(envelope, made)


# -- shapes the tests name ------------------------------------------------------------------

SHAPES = {
    "subscriber is the patient": lambda: claim_file(
        ProviderClaims(GROUP, (SubscriberClaims(SELF, PAYER, (claim("C1001"),)),))
    ),
    "dependent child": lambda: claim_file(
        ProviderClaims(GROUP, (SubscriberClaims(PARENT, PAYER, (claim("C1002"),), CHILD),))
    ),
    "several claims per subscriber": lambda: claim_file(
        ProviderClaims(
            GROUP,
            (SubscriberClaims(SELF, PAYER, tuple(claim(f"C20{i}") for i in range(5))),),
        )
    ),
    "several subscribers and dependents": lambda: claim_file(
        ProviderClaims(
            GROUP,
            (
                SubscriberClaims(SELF, PAYER, (claim("C3001"),)),
                SubscriberClaims(PARENT, PAYER, (claim("C3002"),), CHILD),
                SubscriberClaims(PARENT, PAYER, (claim("C3003"), claim("C3004")), SPOUSE),
                SubscriberClaims(
                    replace(SELF, payer_responsibility="S", claim_filing_indicator="MB"),
                    MEDICARE,
                    (claim("C3005"),),
                ),
            ),
        )
    ),
    "modifiers, many lines, pointers, ranges": lambda: claim_file(
        ProviderClaims(
            GROUP,
            (
                SubscriberClaims(
                    SELF,
                    PAYER,
                    (
                        claim(
                            "C4001",
                            line("99214", "180", modifiers=("25",), pointers=(1, 2, 3, 4)),
                            line("93000", "45.5", modifiers=("59", "XU", "76", "GT")),
                            line(
                                "97110",
                                "60",
                                units=Decimal(3),
                                pointers=(2,),
                                service_end_date=DAY + dt.timedelta(days=2),
                            ),
                            line(
                                "J1100",
                                "12.75",
                                units=Decimal("1.5"),
                                ndc="00009004701",
                                ndc_quantity=Decimal("2.5"),
                                ndc_unit="ML",
                                control_number="L-4001-4",
                            ),
                            line(
                                "00100",
                                "300",
                                unit_type="MJ",
                                units=Decimal(45),
                                place_of_service="22",
                            ),
                            *(line("36415", "9") for _ in range(7)),
                            diagnoses=(
                                "E119",
                                "I10",
                                "Z6841",
                                "M545",
                                "R0789",
                                "S52521A",
                                "F329",
                                "J069",
                                "N390",
                                "K219",
                                "E785",
                                "Z0000",
                            ),
                        ),
                    ),
                ),
            ),
        )
    ),
    "replacement and void": lambda: claim_file(
        ProviderClaims(
            GROUP,
            (
                SubscriberClaims(
                    SELF,
                    PAYER,
                    (
                        claim("C5001", frequency="7", original_claim_number="PAYER-CLM-9911"),
                        claim("C5002", frequency="8", original_claim_number="PAYER-CLM-9912"),
                    ),
                ),
            ),
        )
    ),
    "providers, facility, authorization": lambda: claim_file(
        ProviderClaims(
            SOLO,
            (
                SubscriberClaims(
                    PARENT,
                    PAYER,
                    (
                        claim(
                            "C6001",
                            line(rendering_provider=DR_PATEL, referring_provider=DR_REF),
                            line("99072", "5"),
                            rendering_provider=replace(DR_PATEL, npi=npi(505)),
                            referring_provider=DR_REF,
                            service_facility=ServiceFacility(
                                "Riverside East Clinic", OFFICE, npi(606)
                            ),
                            prior_authorization="AUTH-55",
                            referral_number="REF-9",
                            place_of_service="02",
                            assignment="C",
                            benefits_assigned=False,
                            release_of_information="I",
                            provider_signature=False,
                        ),
                    ),
                    SPOUSE,
                ),
            ),
        ),
        usage="T",
        acknowledgment_requested=True,
    ),
    "two billing providers, two batches": lambda: claim_file(
        ProviderClaims(GROUP, (SubscriberClaims(SELF, PAYER, (claim("C7001"),)),)),
        ProviderClaims(SOLO, (SubscriberClaims(PARENT, MEDICARE, (claim("C7002"),), CHILD),)),
        batches=2,
        application_sender_code="RIVERAPP",
        application_receiver_code="CHAPP",
    ),
}


# -- hypothesis ---------------------------------------------------------------------------

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_NAME_CHARS = _LETTERS + " '-.&,"


def _words(max_len: int, chars: str = _NAME_CHARS):
    return (
        st.text(chars, min_size=1, max_size=max_len)
        .map(lambda s: " ".join(s.split()))
        .filter(lambda s: 1 <= len(s) <= max_len and s[0] in _LETTERS + "0123456789")
    )


_ID_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-"
ids = st.text(_ID_CHARS, min_size=2, max_size=20).filter(lambda s: s.strip("-") == s)
dates = st.dates(dt.date(1920, 1, 1), dt.date(2030, 12, 31))
money = st.decimals(0, 99999, places=2)
digits = st.integers(0, 10**8).map(npi)
addresses = st.builds(
    Address,
    line1=_words(55, _NAME_CHARS + "0123456789#/"),
    city=_words(30).filter(lambda s: len(s) >= 2),
    state=st.sampled_from(sorted(STATES)),
    postal_code=st.sampled_from(["62701", "627011234", "10001", "946100000"]),
    line2=st.one_of(st.just(""), _words(20, _NAME_CHARS + "0123456789")),
)
zip9_addresses = addresses.map(lambda a: replace(a, postal_code="627019999"))
providers = st.builds(
    Provider,
    last_name=_words(60),
    first_name=_words(35),
    npi=digits,
    middle_name=st.one_of(st.just(""), _words(10)),
    taxonomy=st.sampled_from(["", "207Q00000X", "208D00000X"]),
)
referring = providers.map(lambda p: replace(p, taxonomy=""))
icd10 = st.from_regex(r"[A-TV-Z][0-9][0-9A-Z]([0-9A-Z]{1,4})?", fullmatch=True)


@st.composite
def service_lines(draw, diagnoses: int):
    pointers = draw(st.lists(st.integers(1, diagnoses), min_size=1, max_size=4, unique=True))
    start = draw(dates)
    ndc = draw(st.one_of(st.just(""), st.from_regex(r"[0-9]{11}", fullmatch=True)))
    return ServiceLine(
        procedure_code=draw(st.from_regex(r"[0-9]{4}[0-9F]|[A-V][0-9]{4}", fullmatch=True)),
        charge=draw(money),
        service_date=start,
        diagnosis_pointers=tuple(pointers),
        units=draw(st.decimals(1, 999, places=1)),
        modifiers=tuple(draw(st.lists(st.from_regex(r"[A-Z0-9]{2}", fullmatch=True), max_size=4))),
        unit_type=draw(st.sampled_from(["UN", "MJ"])),
        service_end_date=draw(st.one_of(st.none(), st.just(start + dt.timedelta(days=3)))),
        place_of_service=draw(st.one_of(st.just(""), st.just("22"))),
        control_number=draw(st.one_of(st.just(""), ids)),
        rendering_provider=draw(st.one_of(st.none(), providers)),
        referring_provider=draw(st.one_of(st.none(), referring)),
        ndc=ndc,
        ndc_quantity=draw(st.decimals(1, 500, places=3)) if ndc else None,
        ndc_unit=draw(st.sampled_from(["UN", "ML", "GR"])) if ndc else "",
    )


@st.composite
def claims(draw, number: int):
    diagnoses = tuple(draw(st.lists(icd10, min_size=1, max_size=12, unique=True)))
    frequency = draw(st.sampled_from(["1", "1", "7", "8"]))
    pos = draw(st.sampled_from(sorted(PLACES_OF_SERVICE)))
    lines = draw(st.lists(service_lines(len(diagnoses)), min_size=1, max_size=4))
    # A line names its place of service only when it differs from the claim's.
    lines = [replace(ln, place_of_service="") if ln.place_of_service == pos else ln for ln in lines]
    return Claim(
        patient_control_number=f"CLM{number:06d}",
        place_of_service=pos,
        diagnoses=diagnoses,
        lines=tuple(lines),
        frequency=frequency,
        original_claim_number=draw(ids) if frequency != "1" else "",
        prior_authorization=draw(st.one_of(st.just(""), ids)),
        referral_number=draw(st.one_of(st.just(""), ids)),
        provider_signature=draw(st.booleans()),
        assignment=draw(st.sampled_from(["A", "B", "C"])),
        benefits_assigned=draw(st.booleans()),
        release_of_information=draw(st.sampled_from(["I", "Y"])),
        referring_provider=draw(st.one_of(st.none(), referring)),
        rendering_provider=draw(st.one_of(st.none(), providers)),
        service_facility=draw(
            st.one_of(
                st.none(),
                st.builds(
                    ServiceFacility, _words(60), zip9_addresses, st.one_of(st.just(""), digits)
                ),
            )
        ),
    )


@st.composite
def subscriber_claims(draw, first_number: int):
    dependent = draw(st.booleans())
    group_number = draw(st.one_of(st.just(""), ids))
    subscriber = Subscriber(
        member_id=draw(ids),
        last_name=draw(_words(60)),
        first_name=draw(_words(35)),
        middle_name=draw(st.one_of(st.just(""), _words(25))),
        suffix=draw(st.sampled_from(["", "JR", "III"])),
        # The guide sends the subscriber's birth date, sex, address only when they are the patient.
        birth_date=None if dependent else draw(dates),
        sex="U" if dependent else draw(st.sampled_from(["M", "F", "U"])),
        address=None if dependent else draw(addresses),
        payer_responsibility=draw(st.sampled_from(["P", "S", "T"])),
        group_number=group_number,
        group_name="" if group_number else draw(st.one_of(st.just(""), _words(60))),
        claim_filing_indicator=draw(st.sampled_from(["CI", "MB", "MC", "BL", "HM"])),
    )
    patient = None
    if dependent:
        patient = Patient(
            relationship=draw(st.sampled_from(["01", "19", "21", "G8"])),
            last_name=draw(_words(60)),
            first_name=draw(_words(35)),
            birth_date=draw(dates),
            sex=draw(st.sampled_from(["M", "F", "U"])),
            address=draw(addresses),
        )
    count = draw(st.integers(1, 3))
    made = tuple(draw(claims(first_number + i)) for i in range(count))
    payer = Payer(draw(_words(60)), draw(ids), draw(st.one_of(st.none(), addresses)))
    return SubscriberClaims(subscriber, payer, made, patient)


@st.composite
def claim_files(draw):
    groups = []
    number = 1
    for _ in range(draw(st.integers(1, 2))):
        subs = []
        for _ in range(draw(st.integers(1, 3))):
            sc = draw(subscriber_claims(number))
            number += len(sc.claims)
            subs.append(sc)
        is_org = draw(st.booleans())
        provider = BillingProvider(
            name=draw(_words(60)),
            first_name="" if is_org else draw(_words(35)),
            is_organization=is_org,
            npi=draw(digits),
            tax_id=draw(st.from_regex(r"[0-9]{9}", fullmatch=True)),
            tax_id_type=draw(st.sampled_from(["EI", "SY"])),
            address=draw(zip9_addresses),
            taxonomy=draw(st.sampled_from(["", "207Q00000X"])),
            contact=draw(
                st.one_of(st.none(), st.builds(Contact, _words(60), st.just("2175550100")))
            ),
            pay_to=draw(st.one_of(st.none(), addresses)),
        )
        groups.append(ProviderClaims(provider, tuple(subs)))
    return claim_file(
        *groups,
        interchange_control_number=draw(st.integers(1, 999999999)),
        group_control_number=draw(st.integers(1, 999999999)),
        usage=draw(st.sampled_from(["P", "T"])),
    )
