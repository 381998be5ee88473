"""An 837P claim file as plain values: what the office sends to the clearinghouse.

The writer (``write_837p``) takes a ``ClaimFile`` and returns X12 text; the
parser (``parse_837p``) reads an 837P back into the same dataclasses, so
``parse_837p(write_837p(f)) == f``. Billing builds these from its own models;
nothing here knows about the database.

The shape follows the 837P (005010X222A1) hierarchy, which is how payers read
a batch::

    ClaimFile                      the file: ISA/GS envelope (Envelope)
      batches: ClaimBatch          one ST..SE transaction: submitter, receiver
        providers: ProviderClaims  2000A: one billing provider (NPI, tax id)
          subscribers: SubscriberClaims   2000B: one insured person at one payer
            patient: Patient | None       2000C: the patient when not the insured
            claims: Claim                 2300: one visit's claim
              other_payers: OtherPayer    2320/2330A/2330B: the other coverages (COB)
              lines: ServiceLine          2400: one procedure line
                adjudications: LineAdjudication   2430: another payer's answer for it

Conventions, for every field below:

- text is what goes on the claim, without surrounding spaces and without
  the file's delimiters (``*``, ``~``, ``:``, ``^`` by default); the writer
  refuses anything else with an ``EdiInputError`` naming the field;
- money is ``Decimal`` (two places at most), units are ``Decimal``;
- dates are ``datetime.date``; date-times are kept to the minute and read
  back naive (X12 carries no time zone: pass the office's wall-clock time);
- identifiers are digits only where the guide says so: NPI (10 digits, with
  its check digit), tax id (9 digits), ZIP (5 or 9 digits, no dash), phone
  (10 digits).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

#: GS08/ST03: the 837 professional implementation guide with its 2011 addenda.
IMPLEMENTATION = "005010X222A1"


@dataclass(frozen=True)
class Address:
    """A street address (N3/N4). ``postal_code`` is 5 or 9 digits; a billing
    provider's and a service facility's must be all 9."""

    line1: str
    city: str
    state: str  # two-letter USPS code
    postal_code: str
    line2: str = ""


@dataclass(frozen=True)
class Contact:
    """Who to call about the file or the claims (PER): a name and a phone or e-mail."""

    name: str
    phone: str = ""  # 10 digits
    phone_extension: str = ""
    email: str = ""


@dataclass(frozen=True)
class Envelope:
    """The interchange and group headers (ISA/GS): who sends the file to whom, when.

    ``sender_id``/``receiver_id`` are the ids the clearinghouse assigned
    (ISA06/ISA08, at most 15 characters). The control numbers must be unique
    per sender; the caller keeps them (the 999 acknowledging this file quotes
    ``group_control_number``). ``usage`` is ``"P"`` for production, ``"T"``
    for a test file. The application codes of the GS default to the ids.
    """

    sender_id: str
    receiver_id: str
    interchange_control_number: int  # ISA13, 1..999999999
    group_control_number: int  # GS06, 1..999999999
    created: dt.datetime
    usage: str = "P"
    sender_qualifier: str = "ZZ"  # ISA05: ZZ mutually defined, 30 tax id, ...
    receiver_qualifier: str = "ZZ"
    acknowledgment_requested: bool = False  # ISA14: ask for a TA1
    application_sender_code: str = ""  # GS02, "" = sender_id
    application_receiver_code: str = ""  # GS03, "" = receiver_id


@dataclass(frozen=True)
class Submitter:
    """Who sends the batch (1000A): the practice or its billing service, with the
    submitter id (ETIN) the clearinghouse gave it and a contact for questions."""

    name: str
    id: str
    contact: Contact


@dataclass(frozen=True)
class Receiver:
    """Who receives the batch (1000B): the clearinghouse or payer, by its id for us."""

    name: str
    id: str


@dataclass(frozen=True)
class BillingProvider:
    """Who is paid (2010AA): the group under its group NPI, or one provider billing
    in their own name (then ``first_name`` is set and ``is_organization`` False).

    ``tax_id`` is the EIN (``tax_id_type="EI"``) or, for a person billing under
    their social security number, ``"SY"``. ``taxonomy`` is the provider
    taxonomy code (PRV, e.g. ``207Q00000X`` family medicine) when the payer
    wants it. ``pay_to`` is a different address for the payment (2010AB).
    """

    name: str  # organization name, or a person's last name
    npi: str
    tax_id: str
    address: Address
    first_name: str = ""
    is_organization: bool = True
    tax_id_type: str = "EI"
    taxonomy: str = ""
    contact: Contact | None = None
    pay_to: Address | None = None


@dataclass(frozen=True)
class Provider:
    """A rendering (NM1*82) or referring (NM1*DN) provider: a person with an NPI.

    A rendering provider is named on a claim only when it is not the billing
    provider, and on a line only when it differs from the claim's.
    ``taxonomy`` is sent for a rendering provider (PRV*PE) and ignored for a
    referring one, which the guide gives no taxonomy.
    """

    last_name: str
    first_name: str
    npi: str
    middle_name: str = ""
    suffix: str = ""
    taxonomy: str = ""
    is_organization: bool = False  # rendering only: e.g. a lab billed as an entity


@dataclass(frozen=True)
class ServiceFacility:
    """Where the service was given when that is not the billing address (2310C)."""

    name: str
    address: Address
    npi: str = ""


@dataclass(frozen=True)
class Subscriber:
    """The insured person under one coverage (2000B/2010BA) and that coverage's terms.

    ``member_id`` is the id on the insurance card. ``payer_responsibility`` is
    where this payer stands for the claims: ``P`` primary, ``S`` secondary,
    ``T`` tertiary. ``claim_filing_indicator`` names the kind of plan (SBR09:
    ``CI`` commercial, ``BL`` Blue Cross/Blue Shield, ``MB`` Medicare part B,
    ``MC`` Medicaid, ``HM`` HMO, ``CH`` Tricare, ``WC`` workers' comp, ...).
    Birth date, sex and address are required when the subscriber is the
    patient, and are not sent otherwise (the guide forbids them then: the
    patient's go in ``Patient``), so they read back as None, "U" and None.
    When the card shows a group number, ``group_name`` is not sent either.

    ``insurance_type`` (SBR05) says why Medicare is not the primary payer when
    the claim goes to Medicare as secondary or tertiary (the Medicare secondary
    payer type): ``12`` working aged with an employer group health plan,
    ``13`` end-stage renal disease in the coordination period, ``14`` no-fault
    or auto, ``15`` workers' compensation, ``16`` public health service or
    another federal agency, ``41`` black lung, ``42`` Veterans Affairs, ``43``
    disabled under 65 with a large group health plan, ``47`` other liability
    insurance. The guide wants it exactly then (Medicare, ``MA`` or ``MB``,
    not primary) and nowhere else; the writer refuses it elsewhere.
    """

    member_id: str
    last_name: str
    first_name: str = ""
    middle_name: str = ""
    suffix: str = ""
    birth_date: dt.date | None = None
    sex: str = "U"  # M, F or U
    address: Address | None = None
    payer_responsibility: str = "P"
    group_number: str = ""  # SBR03
    group_name: str = ""  # SBR04
    claim_filing_indicator: str = "CI"
    insurance_type: str = ""  # SBR05: Medicare as secondary only


@dataclass(frozen=True)
class Payer:
    """The insurance company the claims go to (2010BB), by the payer id the
    clearinghouse publishes for it."""

    name: str
    payer_id: str
    address: Address | None = None


@dataclass(frozen=True)
class Patient:
    """The patient when not the subscriber (2000C): a dependent of the insured.

    ``relationship`` is the patient's relationship to the subscriber (PAT01):
    ``01`` spouse, ``19`` child, ``20`` employee, ``21`` unknown, ``39`` organ
    donor, ``40`` cadaver donor, ``53`` life partner, ``G8`` other.
    """

    relationship: str
    last_name: str
    first_name: str
    birth_date: dt.date
    sex: str  # M, F or U
    address: Address
    middle_name: str = ""
    suffix: str = ""


# -- coordination of benefits: the other payers of a claim (2320, 2330A/B, 2430) -----------

#: CAS01: who the adjustment is on: contractual, correction/reversal, other, payer
#: initiated, the patient.
ADJUSTMENT_GROUPS = ("CO", "CR", "OA", "PI", "PR")


@dataclass(frozen=True)
class Adjustment:
    """One reason a payer paid less than the charge (a CAS triple): the group
    (``CO``, ``CR``, ``OA``, ``PI`` or ``PR``), the claim adjustment reason
    code (CARC: ``45`` over the fee schedule, ``1`` deductible, ``2``
    coinsurance, ``3`` copay, ...), the amount (not zero; negative when the
    payer added money) and, rarely, a quantity.

    The writer puts the adjustments of one group in one CAS segment (six
    reasons at most), in the order each group first appears; the parser
    reads them back in the file's order, so a list kept grouped by group
    reads back equal.
    """

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True)
class OtherSubscriber:
    """The insured person under another payer's coverage (2330A), by the member
    id on that card. The guide carries no birth date or sex here."""

    member_id: str
    last_name: str
    first_name: str = ""
    middle_name: str = ""
    suffix: str = ""
    address: Address | None = None


@dataclass(frozen=True)
class OtherPayer:
    """Another payer of the claim (2320 other subscriber information, 2330A
    subscriber, 2330B payer), with its adjudication when it has one.

    ``payer_responsibility`` is that payer's place (``P`` primary when this
    claim goes to the secondary, ...): it differs from the destination
    payer's and from every other payer's. ``relationship`` is the patient's
    relationship to that payer's subscriber (SBR02: ``18`` self, ``01``
    spouse, ``19`` child, ``20`` employee, ``21`` unknown, ``39``, ``40``,
    ``53``, ``G8``). ``insurance_type`` (SBR05) is sent when that payer is
    Medicare and not the primary (``12``, ``13``, ``14``, ``15``, ``16``,
    ``41``, ``42``, ``43``, ``47``, as for ``Subscriber``), and only then.

    ``paid`` (AMT*D) is set once that payer adjudicated the claim; None
    means not adjudicated (a payer known to exist, e.g. the tertiary), and
    then no adjustments, dates or line adjudications go with it. An
    adjudicated payer balances: the claim's charge equals ``paid`` plus the
    claim ``adjustments`` plus its lines' adjustments (2430 CAS).

    When the payer answered line by line (its ``LineAdjudication`` on the
    lines), the date is on each line; when it answered for the claim as a
    whole, ``adjudication_date`` (2330B DTP*573) is required and
    ``remaining_patient_liability`` (AMT*EAF) is given here.
    ``claim_number`` is that payer's claim number (2330B REF*F8).
    ``benefits_assigned`` and ``release_of_information`` are OI03 and OI06.
    """

    payer: Payer
    subscriber: OtherSubscriber
    payer_responsibility: str = "P"
    relationship: str = "18"
    group_number: str = ""
    group_name: str = ""
    insurance_type: str = ""
    claim_filing_indicator: str = "CI"
    paid: Decimal | None = None
    adjustments: tuple[Adjustment, ...] = ()
    remaining_patient_liability: Decimal | None = None
    adjudication_date: dt.date | None = None
    claim_number: str = ""
    benefits_assigned: bool = True
    release_of_information: str = "Y"


@dataclass(frozen=True)
class LineAdjudication:
    """What another payer did with one service line (2430): the payer (by the
    ``payer_id`` of one of the claim's ``other_payers``), what it paid
    (SVD02), the code and units it adjudicated (usually the line's own), its
    adjustments (CAS), the day it adjudicated (DTP*573) and what the patient
    still owes on the line after it (AMT*EAF). The paid amount and the
    adjustments add up to the line's charge."""

    payer_id: str
    paid: Decimal
    procedure_code: str
    adjudication_date: dt.date
    units: Decimal = Decimal(1)
    modifiers: tuple[str, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    remaining_patient_liability: Decimal | None = None


@dataclass(frozen=True)
class ServiceLine:
    """One procedure on a claim (2400): code, modifiers, charge, units, date, why.

    ``procedure_code`` is a CPT or HCPCS code (5 characters), with up to four
    two-character ``modifiers`` in billing order. ``units`` count ``UN`` units,
    or minutes when ``unit_type`` is ``MJ`` (anesthesia). ``diagnosis_pointers``
    are 1 to 4 positions (from 1) in the claim's ``diagnoses``, most important
    first. ``service_end_date`` is set only for a range of days.
    ``place_of_service`` is set only when it differs from the claim's.
    ``control_number`` is our id of the line (REF*6R); payers echo it in the
    835 so payments post to the right line. ``ndc`` (11 digits) with
    ``ndc_quantity`` and ``ndc_unit`` (UN, ML, GR, F2, ME) describe a drug.
    ``adjudications`` are what the claim's other payers did with this line
    (2430), one per payer that adjudicated it line by line.
    """

    procedure_code: str
    charge: Decimal
    service_date: dt.date
    diagnosis_pointers: tuple[int, ...]
    units: Decimal = Decimal(1)
    modifiers: tuple[str, ...] = ()
    unit_type: str = "UN"
    service_end_date: dt.date | None = None
    place_of_service: str = ""
    control_number: str = ""
    rendering_provider: Provider | None = None
    referring_provider: Provider | None = None
    ndc: str = ""
    ndc_quantity: Decimal | None = None
    ndc_unit: str = ""
    adjudications: tuple[LineAdjudication, ...] = ()


@dataclass(frozen=True)
class Claim:
    """One claim (2300): a visit's diagnoses and procedure lines for one payer.

    ``patient_control_number`` is our claim number (CLM01, at most 20
    characters); the 999, the 277CA and the 835 quote it back. The total
    charge is the sum of the lines (``total_charge``). ``diagnoses`` are
    ICD-10-CM codes without the dot (``E119``), the principal one first, 1 to
    12 of them; ``diagnosis_code_list`` is ``ABK`` (ICD-10-CM) or, for old
    claims read back, ``BK`` (ICD-9-CM).

    ``frequency`` is ``1`` for an original claim, ``7`` to replace a claim
    the payer already has, ``8`` to void one; 7 and 8 need the payer's claim
    number of the original (``original_claim_number``, REF*F8, from its 835
    or 277CA).

    The yes/no fields are CLM06-09: ``provider_signature`` on file,
    ``assignment`` (``A`` the provider accepts assignment, ``B`` lab services
    only, ``C`` not assigned), ``benefits_assigned`` (the patient signed that
    the payer pays the provider), ``release_of_information`` (``Y`` signed
    release, ``I`` informed consent by federal statute).
    """

    patient_control_number: str
    place_of_service: str  # two digits: 11 office, 02 telehealth, 22 outpatient hospital, ...
    diagnoses: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    frequency: str = "1"
    original_claim_number: str = ""
    prior_authorization: str = ""  # REF*G1
    referral_number: str = ""  # REF*9F
    diagnosis_code_list: str = "ABK"
    provider_signature: bool = True
    assignment: str = "A"
    benefits_assigned: bool = True
    release_of_information: str = "Y"
    referring_provider: Provider | None = None
    rendering_provider: Provider | None = None
    service_facility: ServiceFacility | None = None
    other_payers: tuple[OtherPayer, ...] = ()

    @property
    def total_charge(self) -> Decimal:
        """CLM02: the claim's charge, the sum of its lines'."""
        return sum((line.charge for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class SubscriberClaims:
    """The claims for one insured person at one payer (2000B), for them or for
    one dependent (``patient`` set: 2000C). A subscriber with claims of their
    own and for a child appears twice, once each way. The guide allows at
    most 100 claims here; more go in another ``SubscriberClaims``."""

    subscriber: Subscriber
    payer: Payer
    claims: tuple[Claim, ...]
    patient: Patient | None = None


@dataclass(frozen=True)
class ProviderClaims:
    """Everything one billing provider sends in a batch (2000A)."""

    provider: BillingProvider
    subscribers: tuple[SubscriberClaims, ...]


@dataclass(frozen=True)
class ClaimBatch:
    """One 837P transaction (ST..SE): the claims of one submission.

    ``control_number`` (ST02, 4 to 9 digits) and ``reference`` (BHT03, our
    batch id) come back in the 999. ``purpose`` is ``00`` original or ``18``
    reissue; ``claim_type`` is ``CH`` for claims to be paid or ``RP`` for
    encounters reported only.
    """

    control_number: str
    reference: str
    created: dt.datetime
    submitter: Submitter
    receiver: Receiver
    providers: tuple[ProviderClaims, ...]
    purpose: str = "00"
    claim_type: str = "CH"

    def claims(self) -> list[Claim]:
        return [c for p in self.providers for s in p.subscribers for c in s.claims]


@dataclass(frozen=True)
class ClaimFile:
    """A whole 837P file: the envelope and its batches.

    ``warnings`` lists what the parser read but could not keep (segments our
    model has no field for, like ambulance or drug-testing details), each with
    its segment number. It is empty for files we wrote, and not compared.
    """

    envelope: Envelope
    batches: tuple[ClaimBatch, ...]
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def claims(self) -> list[Claim]:
        return [c for b in self.batches for c in b.claims()]
