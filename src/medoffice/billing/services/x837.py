"""Billing's claims as the EDI package's 837P values (``medoffice.edi.x837p``).

:func:`claim_file` maps loaded claims onto the 837P dataclasses: the practice
(or a provider billing in their own name) as billing provider, one subscriber
group per coverage, the patient as a dependent when they are not the
insured, and each claim's own copy (diagnoses without their dot, lines with
our line id as REF*6R so payments post to the right line). The batch service
(:mod:`.batches`) loads the claims, numbers the envelope and writes the text.

A claim to a second or third payer (``payer_order`` 2 or more) carries what
the payers before it decided (coordination of benefits, loops 2320-2430):
:func:`other_payers` reads, for the earlier claims of the same visit, each
one's latest posted and not reversed 835 claim payment -- paid amounts, CAS
per claim and per line, the payment date, the payer's claim number -- and
the coverage it was billed under. A few queries per file, whatever its size.

When Medicare is not the first payer of the visit, the 837P says why another
plan pays first (SBR05, the Medicare secondary payer type), on the claim to
Medicare (2000B) and on Medicare's own loop of a claim to a later payer
(2320): :func:`medicare_secondary_type` tells it from the kind of the visit's
primary payer and the patient's age on the day of service.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from medoffice.billing.errors import DomainError
from medoffice.billing.models import Claim, ClaimPayment, SubmissionSettings
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


# -- Medicare as a secondary payer (SBR05) ---------------------------------------------------

#: Why another plan pays before Medicare (SBR05 codes of 005010X222A1).
MSP_WORKING_AGED = "12"  # an employer group health plan; the beneficiary is 65 or older
MSP_DISABLED = "43"  # a large group health plan; the beneficiary is under 65 (disability)
MSP_OTHER_LIABILITY = "47"  # other insurance that pays first: liability, auto, workers' comp
NOT_BEFORE_MEDICARE = (
    "{payer} ({kind}) is billed before Medicare, but Medicare pays before it: put Medicare "
    "ahead of it in the patient's coverages."
)


def _age(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def medicare_secondary_type(primary: Payer, patient, day: dt.date) -> str | None:
    """SBR05 for Medicare behind ``primary`` (the visit's first payer) on ``day``; None when
    that payer never pays before Medicare (Medicaid, or Medicare itself).

    An office records the primary plan's kind, not the Medicare secondary payer
    questionnaire, so the type is told from what it knows: a commercial plan
    before Medicare is an employer group health plan (working aged at 65 or over,
    the disability rule under 65; an end-stage renal disease period, code 13,
    cannot be told apart from it); any other plan that pays first (workers'
    comp, auto, liability) is reported as other liability insurance.
    """
    if primary.kind == Payer.COMMERCIAL:
        return MSP_WORKING_AGED if _age(patient.date_of_birth, day) >= 65 else MSP_DISABLED
    if primary.kind == Payer.OTHER:
        return MSP_OTHER_LIABILITY
    return None


# -- coordination of benefits ----------------------------------------------------------------

NO_PRIOR = "The {payer} claim of this visit has no posted remittance (835) yet."
UNBALANCED = (
    "The {payer} remittance does not add up to this claim's charge {charge} (paid {paid} "
    "plus adjustments {adjusted}); post or correct it before billing the next payer."
)


def _latest_payments(claim_ids) -> dict[int, ClaimPayment]:
    """Claim id -> its latest posted claim payment that no later reversal (CLP02 22) undid."""
    stacks: dict[int, list[ClaimPayment]] = {}
    payments = (
        ClaimPayment.objects.filter(claim_id__in=claim_ids, posted=True)
        .select_related("remittance")
        .prefetch_related("lines__adjustments", "lines__claim_line", "adjustments")
        .order_by("remittance__posted_on", "remittance_id", "pk")
    )
    for payment in payments:
        stack = stacks.setdefault(payment.claim_id, [])
        if payment.is_reversal:
            if stack:
                stack.pop()
        else:
            stack.append(payment)
    return {claim_id: stack[-1] for claim_id, stack in stacks.items() if stack}


def _earlier_claims(claims: list[Claim]) -> dict[int, list[list[Claim]]]:
    """Claim id -> for each earlier payer_order of the same visit, that payer's claims
    (originals and replacements, never a void), newest first."""
    later = [c for c in claims if c.payer_order > 1]
    if not later:
        return {}
    found: dict[tuple[int, int], list[Claim]] = {}
    rows = (
        Claim.objects.filter(
            charge_id__in={c.charge_id for c in later},
            payer_order__lt=max(c.payer_order for c in later),
        )
        .exclude(frequency_code=Claim.VOID)
        .select_related("payer", "coverage", "patient")
        .order_by("-pk")
    )
    for row in rows:
        found.setdefault((row.charge_id, row.payer_order), []).append(row)
    return {
        c.pk: [
            found[(c.charge_id, n)] for n in range(1, c.payer_order) if (c.charge_id, n) in found
        ]
        for c in later
    }


def _adjustment(adj) -> x.Adjustment:
    return x.Adjustment(adj.group, adj.reason, adj.amount, adj.quantity)


def _payer_address(payer: Payer) -> x.Address | None:
    postal = _digits(payer.zip)
    if not (payer.address1 and payer.city and payer.state and len(postal) in (5, 9)):
        return None
    return x.Address(payer.address1, payer.city, payer.state, postal, payer.address2)


def _other_subscriber(coverage: Coverage, patient) -> x.OtherSubscriber:
    if coverage.subscriber_relationship == Coverage.SELF:
        return x.OtherSubscriber(
            member_id=coverage.member_id, last_name=patient.last_name,
            first_name=patient.first_name, middle_name=patient.middle_name,
            suffix=patient.name_suffix, address=_person_address(patient),
        )  # fmt: skip
    return x.OtherSubscriber(
        member_id=coverage.member_id,
        last_name=coverage.subscriber_last_name,
        first_name=coverage.subscriber_first_name,
    )


def _line_answers(
    payment: ClaimPayment, claim_lines, payer_id: str, day: dt.date
) -> dict[int, x.LineAdjudication] | None:
    """Our line id -> the payer's answer for it, or None when the 835 did not answer every
    line of ours with amounts that add up to our charge (then the claim level is used).
    The earlier claim's lines are copies of the same charge lines: they match by number."""
    by_number = {lp.claim_line.line_number: lp for lp in payment.lines.all() if lp.claim_line_id}
    if not by_number or set(by_number) != {line.line_number for line in claim_lines}:
        return None
    answers = {}
    for line in claim_lines:
        lp = by_number[line.line_number]
        adjustments = tuple(_adjustment(a) for a in lp.adjustments.all() if a.amount)
        if lp.paid + sum((a.amount for a in adjustments), Decimal(0)) != line.charge_amount:
            return None
        code = lp.code.rsplit(":", 1)[-1] if ":" in lp.code else lp.code
        same = code == line.code
        answers[line.pk] = x.LineAdjudication(
            payer_id=payer_id, paid=lp.paid, procedure_code=code if same else line.code,
            adjudication_date=day,
            units=lp.units if same and lp.units > 0 else Decimal(line.units),
            modifiers=tuple((lp.modifiers if same else line.modifiers).split()),
            adjustments=adjustments,
            remaining_patient_liability=sum(
                (a.amount for a in adjustments if a.group == "PR"), Decimal(0)
            ),
        )  # fmt: skip
    return answers


def _summed(adjustments) -> tuple[x.Adjustment, ...]:
    """Adjustments of the same group and reason added up (claim and line CAS as one list)."""
    totals: dict[tuple[str, str], Decimal] = {}
    for adj in adjustments:
        key = (adj.group, adj.reason)
        totals[key] = totals.get(key, Decimal(0)) + adj.amount
    ordered = sorted(totals.items(), key=lambda kv: [g for g, _ in totals].index(kv[0][0]))
    return tuple(x.Adjustment(g, r, amount) for (g, r), amount in ordered if amount)


def _adjudication(prior: Claim, payment: ClaimPayment, claim: Claim, claim_lines):
    """(the OtherPayer values, each of our lines' answer) for ``prior``'s payment; or a
    problem (text) when the payment does not balance to ``claim``'s charge."""
    payer = prior.payer
    day = payment.remittance.payment_date or payment.remittance.posted_on
    claim_level = [_adjustment(a) for a in payment.adjustments.all() if a.line_id is None]
    answers = _line_answers(payment, claim_lines, payer.payer_id, day)
    other = x.OtherPayer(
        payer=x.Payer(name=payer.name, payer_id=payer.payer_id, address=_payer_address(payer)),
        subscriber=_other_subscriber(prior.coverage, prior.patient),
        payer_responsibility=RESPONSIBILITY.get(prior.payer_order, "P"),
        relationship=Coverage.X12_RELATIONSHIP[prior.coverage.subscriber_relationship],
        group_number=prior.coverage.group_number,
        claim_filing_indicator=FILING.get(payer.kind, "CI"),
        paid=payment.paid,
        claim_number=payment.payer_claim_number,
    )
    if answers is not None:
        other = replace(other, adjustments=tuple(a for a in claim_level if a.amount))
        line_adjusted = sum((a.amount for v in answers.values() for a in v.adjustments), Decimal(0))
    else:  # the payer answered for the claim as a whole (or not for each of our lines)
        every = claim_level + [
            _adjustment(a) for lp in payment.lines.all() for a in lp.adjustments.all()
        ]
        other = replace(
            other,
            adjustments=_summed(every),
            adjudication_date=day,
            remaining_patient_liability=payment.patient_responsibility,
        )
        answers, line_adjusted = {}, Decimal(0)
    adjusted = sum((a.amount for a in other.adjustments), Decimal(0)) + line_adjusted
    if payment.paid + adjusted != claim.total_charge:
        return UNBALANCED.format(
            payer=payer.name, charge=claim.total_charge, paid=payment.paid, adjusted=adjusted
        )
    return other, answers


def other_payers(claims: Iterable[Claim], *, lines_of: dict | None = None) -> dict[int, tuple]:
    """Claim id -> (its other payers, {our line id: [line answers]}, its SBR05 or "") for
    each claim that follows another payer's claim; or claim id -> the problem (text) that
    keeps it from carrying the earlier payer's decision (no posted 835, amounts that do not
    add up, Medicare behind a payer it pays before).
    ``lines_of`` (claim id -> its lines) saves reading the lines again."""
    claims = list(claims)
    earlier = _earlier_claims(claims)
    payments = _latest_payments({p.pk for tiers in earlier.values() for t in tiers for p in t})
    kinds = dict(
        Payer.objects.filter(pk__in={c.payer_id for c in claims if c.pk in earlier}).values_list(
            "pk", "kind"
        )
    )
    result: dict[int, tuple | str] = {}
    for claim in claims:
        priors = earlier.get(claim.pk)
        if priors is None:
            continue
        if len(priors) < claim.payer_order - 1:
            result[claim.pk] = "This visit has no claim to the payer before this one."
            continue
        claim_lines = lines_of[claim.pk] if lines_of else list(claim.lines.all())
        first = priors[0][0]  # the visit's primary payer and the patient
        msp = medicare_secondary_type(first.payer, first.patient, claim.date_of_service)
        if msp is None and (
            kinds.get(claim.payer_id) == Payer.MEDICARE
            or any(t[0].payer.kind == Payer.MEDICARE for t in priors[1:])
        ):
            label = first.payer.get_kind_display()
            result[claim.pk] = NOT_BEFORE_MEDICARE.format(payer=first.payer.name, kind=label)
            continue
        others, answers = [], {}
        for n, tier in enumerate(priors):
            # The newest claim to that payer with a posted payment (a replacement, or the
            # original when the payer paid that one).
            prior = next((p for p in tier if p.pk in payments), tier[0])
            payment = payments.get(prior.pk)
            if payment is None:
                result[claim.pk] = NO_PRIOR.format(payer=prior.payer.name)
                break
            made = _adjudication(prior, payment, claim, claim_lines)
            if isinstance(made, str):
                result[claim.pk] = made
                break
            other = made[0]
            if n > 0 and prior.payer.kind == Payer.MEDICARE:  # Medicare was not the primary
                other = replace(other, insurance_type=msp)
            others.append(other)
            for line_id, answer in made[1].items():
                answers.setdefault(line_id, []).append(answer)
        else:
            to_medicare = kinds.get(claim.payer_id) == Payer.MEDICARE
            result[claim.pk] = (tuple(others), answers, msp if to_medicare else "")
    return result


def _claim(claim: Claim, lines, billing_npi: str, cob=None) -> x.Claim:
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
                adjudications=tuple(cob[1].get(line.pk, ())) if cob else (),
            )
            for line in lines
        ),
        frequency=claim.frequency_code,
        original_claim_number=claim.original_payer_claim_number,
        prior_authorization=claim.prior_authorization,
        referring_provider=referring,
        rendering_provider=person,
        other_payers=cob[0] if cob else (),
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
    claims = list(claims)
    cob = other_payers(claims)
    for claim in claims:
        if isinstance(cob.get(claim.pk), str):
            raise DomainError(
                NOT_READY,
                f"Claim {claim.patient_control_number}: {cob[claim.pk]}",
                "claim",
                status=409,
            )
    by_provider: dict[tuple, dict[tuple, list[Claim]]] = {}
    providers: dict[tuple, x.BillingProvider] = {}
    taxonomy = ""
    for claim in claims:
        key = ("person", claim.billing_provider_id) if claim.billing_provider_id else ("group",)
        if key not in providers:
            providers[key] = _billing_provider(claim, practice, address, taxonomy)
        # One 2000B loop per coverage, order and Medicare secondary payer type (a birthday
        # between two visits can change the type).
        msp = cob[claim.pk][2] if claim.pk in cob else ""
        group_key = (claim.coverage_id, claim.payer_order, msp)
        by_provider.setdefault(key, {}).setdefault(group_key, []).append(claim)
    provider_claims = []
    for key, groups in by_provider.items():
        billing = providers[key]
        subscribers = []
        for (_coverage, _order, msp), group_claims in groups.items():
            first = group_claims[0]
            coverage, patient, payer = first.coverage, first.patient, first.payer
            if coverage.subscriber_relationship == Coverage.SELF:
                subscriber = x.Subscriber(
                    member_id=coverage.member_id, last_name=patient.last_name,
                    first_name=patient.first_name, middle_name=patient.middle_name,
                    suffix=patient.name_suffix, birth_date=patient.date_of_birth,
                    sex=_sex(patient.sex_at_birth), address=_person_address(patient),
                    payer_responsibility=RESPONSIBILITY.get(first.payer_order, "P"),
                    group_number=coverage.group_number,
                    claim_filing_indicator=FILING.get(payer.kind, "CI"), insurance_type=msp,
                )  # fmt: skip
                dependent = None
            else:
                subscriber = x.Subscriber(
                    member_id=coverage.member_id, last_name=coverage.subscriber_last_name,
                    first_name=coverage.subscriber_first_name,
                    birth_date=coverage.subscriber_date_of_birth,
                    sex=_sex(coverage.subscriber_sex), address=_person_address(patient),
                    payer_responsibility=RESPONSIBILITY.get(first.payer_order, "P"),
                    group_number=coverage.group_number,
                    claim_filing_indicator=FILING.get(payer.kind, "CI"), insurance_type=msp,
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
                    claims=tuple(
                        _claim(c, list(c.lines.all()), billing.npi, cob.get(c.pk))
                        for c in group_claims
                    ),
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
