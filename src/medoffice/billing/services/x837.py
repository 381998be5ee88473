"""Billing's claims as the EDI package's 837P values (``medoffice.edi.x837p``).

:func:`claim_file` maps loaded claims onto the 837P dataclasses: the practice
(or a provider billing in their own name) as billing provider, one subscriber
group per coverage, the patient as a dependent when they are not the
insured, and each claim's own copy (diagnoses without their dot, lines with
our line id as REF*6R so payments post to the right line). It reads nothing
from the database beyond what the claims carry with them; the batch service
(:mod:`.batches`) loads them, numbers the envelope and writes the text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from medoffice.billing.errors import DomainError
from medoffice.billing.models import Claim, SubmissionSettings
from medoffice.core.models import Practice
from medoffice.edi.x837p import model as x
from medoffice.patients.models import Coverage, Payer

NOT_READY = "not_ready_for_837"
FILING = {Payer.MEDICARE: "MB", Payer.MEDICAID: "MC", Payer.COMMERCIAL: "CI", Payer.OTHER: "ZZ"}
RESPONSIBILITY = {Coverage.PRIMARY: "P", Coverage.SECONDARY: "S", Coverage.TERTIARY: "T"}
CREDENTIALS = {"MD", "DO", "NP", "PA", "PA-C", "DPM", "CNM", "RN", "PHD", "DC", "OD"}


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text or "")


def _sex(value: str) -> str:
    return value if value in ("M", "F") else "U"


def referring_person(name: str, npi: str) -> x.Provider:
    """ "Jo Kim, MD" / "Kim, Jo" / "Jo A. Kim MD" -> last, first (credentials dropped)."""
    if "," in name and name.split(",", 1)[1].strip().upper().replace(".", "") not in CREDENTIALS:
        last, first = (p.strip() for p in name.split(",", 1))
        words = first.split()
    else:
        words = [
            w for w in re.split(r"[\s,]+", name) if w.upper().replace(".", "") not in CREDENTIALS
        ]
        last = words.pop() if words else name
        first = " ".join(words[:1])
        words = words[:1]
    return x.Provider(last_name=last, first_name=(words[0] if words else first), npi=npi)


def _practice_address(practice: Practice, settings: SubmissionSettings) -> x.Address:
    zip_code = _digits(practice.billing_zip)
    if len(zip_code) == 5 and settings.zip_plus_four:
        zip_code += settings.zip_plus_four
    if len(zip_code) != 9:
        raise DomainError(
            NOT_READY,
            "The 837P needs the billing address's full ZIP+4: enter the last 4 digits in the "
            "submission settings (or the 9-digit ZIP on the practice).",
            "zip_plus_four",
            status=409,
        )
    return x.Address(
        line1=practice.billing_address1,
        line2=practice.billing_address2,
        city=practice.billing_city,
        state=practice.billing_state,
        postal_code=zip_code,
    )


def _person_address(person) -> x.Address:
    return x.Address(
        line1=person.address1,
        line2=person.address2,
        city=person.city,
        state=person.state,
        postal_code=_digits(person.zip),
    )


def _billing_provider(claim: Claim, practice: Practice, address: x.Address, taxonomy: str):
    if claim.billing_provider_id:
        p = claim.billing_provider
        return x.BillingProvider(
            name=p.last_name, first_name=p.first_name, is_organization=False, npi=p.npi,
            tax_id=practice.tax_id, address=address, taxonomy=p.taxonomy_code,
        )  # fmt: skip
    return x.BillingProvider(
        name=practice.name, npi=practice.group_npi, tax_id=practice.tax_id, address=address,
        taxonomy=taxonomy,
    )  # fmt: skip


def _claim(claim: Claim, lines, billing_npi: str) -> x.Claim:
    rendering = claim.rendering_provider
    person = None
    if rendering.npi != billing_npi:
        person = x.Provider(
            last_name=rendering.last_name, first_name=rendering.first_name, npi=rendering.npi,
            taxonomy=rendering.taxonomy_code,
        )  # fmt: skip
    referring = (
        referring_person(claim.referring_name, claim.referring_npi) if claim.referring_npi else None
    )
    return x.Claim(
        patient_control_number=claim.patient_control_number,
        place_of_service=claim.place_of_service,
        diagnoses=tuple(code.replace(".", "") for code in claim.diagnoses),
        lines=tuple(
            x.ServiceLine(
                procedure_code=line.code,
                charge=line.charge_amount,
                service_date=line.date_of_service,
                diagnosis_pointers=tuple(line.pointers),
                units=Decimal(line.units),
                modifiers=tuple(line.modifiers.split()),
                control_number=str(line.pk),
            )
            for line in lines
        ),
        frequency=claim.frequency_code,
        original_claim_number=claim.original_payer_claim_number,
        prior_authorization=claim.prior_authorization,
        referring_provider=referring,
        rendering_provider=person,
    )


def claim_file(
    claims: Iterable[Claim],
    *,
    settings: SubmissionSettings,
    practice: Practice,
    interchange: int,
    group: int,
    transaction: str,
    created: dt.datetime,
) -> x.ClaimFile:
    """The 837P file for ``claims`` (loaded with their coverage, payer, patient, providers
    and lines), grouped by billing provider, then by coverage."""
    address = _practice_address(practice, settings)
    by_provider: dict[tuple, dict[int, list[Claim]]] = {}
    providers: dict[tuple, x.BillingProvider] = {}
    taxonomy = ""
    for claim in claims:
        key = ("person", claim.billing_provider_id) if claim.billing_provider_id else ("group",)
        if key not in providers:
            providers[key] = _billing_provider(claim, practice, address, taxonomy)
        by_provider.setdefault(key, {}).setdefault(claim.coverage_id, []).append(claim)
    provider_claims = []
    for key, groups in by_provider.items():
        billing = providers[key]
        subscribers = []
        for group_claims in groups.values():
            first = group_claims[0]
            coverage, patient, payer = first.coverage, first.patient, first.payer
            if coverage.subscriber_relationship == Coverage.SELF:
                subscriber = x.Subscriber(
                    member_id=coverage.member_id, last_name=patient.last_name,
                    first_name=patient.first_name, middle_name=patient.middle_name,
                    suffix=patient.name_suffix, birth_date=patient.date_of_birth,
                    sex=_sex(patient.sex_at_birth), address=_person_address(patient),
                    payer_responsibility=RESPONSIBILITY[coverage.order],
                    group_number=coverage.group_number,
                    claim_filing_indicator=FILING.get(payer.kind, "CI"),
                )  # fmt: skip
                dependent = None
            else:
                subscriber = x.Subscriber(
                    member_id=coverage.member_id, last_name=coverage.subscriber_last_name,
                    first_name=coverage.subscriber_first_name,
                    birth_date=coverage.subscriber_date_of_birth,
                    sex=_sex(coverage.subscriber_sex), address=_person_address(patient),
                    payer_responsibility=RESPONSIBILITY[coverage.order],
                    group_number=coverage.group_number,
                    claim_filing_indicator=FILING.get(payer.kind, "CI"),
                )  # fmt: skip
                dependent = x.Patient(
                    relationship=Coverage.X12_RELATIONSHIP[coverage.subscriber_relationship],
                    last_name=patient.last_name, first_name=patient.first_name,
                    birth_date=patient.date_of_birth, sex=_sex(patient.sex_at_birth),
                    address=_person_address(patient), middle_name=patient.middle_name,
                    suffix=patient.name_suffix,
                )  # fmt: skip
            subscribers.append(
                x.SubscriberClaims(
                    subscriber=subscriber,
                    payer=x.Payer(name=payer.name, payer_id=payer.payer_id),
                    patient=dependent,
                    claims=tuple(_claim(c, list(c.lines.all()), billing.npi) for c in group_claims),
                )
            )
        provider_claims.append(x.ProviderClaims(provider=billing, subscribers=tuple(subscribers)))
    envelope = x.Envelope(
        sender_id=settings.sender_id,
        receiver_id=settings.receiver_id,
        sender_qualifier=settings.sender_qualifier,
        receiver_qualifier=settings.receiver_qualifier,
        interchange_control_number=interchange,
        group_control_number=group,
        created=created,
        usage="T" if settings.test_files else "P",
    )
    batch = x.ClaimBatch(
        control_number=transaction,
        reference=f"{interchange:09d}",
        created=created,
        submitter=x.Submitter(
            name=practice.name,
            id=settings.submitter_id,
            contact=x.Contact(name=settings.contact_name, phone=_digits(settings.contact_phone)),
        ),
        receiver=x.Receiver(name=settings.receiver_name, id=settings.receiver_id),
        providers=tuple(provider_claims),
    )
    return x.ClaimFile(envelope=envelope, batches=(batch,))
