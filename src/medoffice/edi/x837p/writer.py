"""Writing an 837P claim file (005010X222A1) from ``ClaimFile`` values.

``write_837p`` is a pure function: the same ``ClaimFile`` and delimiters give
the same text. Everything is checked before a byte is produced, and the first
problem is raised as ``EdiInputError`` naming the field, so a file either
carries every claim correctly or is not made.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from medoffice.edi.errors import EdiInputError
from medoffice.edi.segments import Delimiters
from medoffice.edi.values import (
    PLACES_OF_SERVICE,
    STATES,
)
from medoffice.edi.writing import SegmentWriter
from medoffice.edi.x837p.model import (
    ADJUSTMENT_GROUPS,
    IMPLEMENTATION,
    Address,
    Adjustment,
    BillingProvider,
    Claim,
    ClaimBatch,
    ClaimFile,
    Contact,
    LineAdjudication,
    OtherPayer,
    OtherSubscriber,
    Patient,
    Payer,
    Provider,
    ServiceLine,
    Subscriber,
    SubscriberClaims,
)

ICD10 = re.compile(r"[A-Z][0-9][0-9A-Z]([0-9A-Z]{1,4})?")
ICD9 = re.compile(r"([0-9]{3,5}|V[0-9]{2,4}|E[0-9]{3,4})")
PROCEDURE = re.compile(r"[A-Z0-9]{5}")
MODIFIER = re.compile(r"[A-Z0-9]{2}")
TAXONOMY = re.compile(r"[0-9A-Z]{9}X")
NDC = re.compile(r"[0-9]{11}")
DIGITS = re.compile(r"[0-9]+")

MAX_LINES = 50
MAX_CLAIMS = 100  # loop 2300 per subscriber (2000B/2000C)
MAX_DIAGNOSES = 12
RELATIONSHIPS = frozenset(["01", "19", "20", "21", "39", "40", "53", "G8"])
_FILING_TABLE = "11 12 13 14 15 16 17 AM BL CH CI DS FI HM LM MA MB MC OF TV VA WC ZZ"
FILING_INDICATORS = frozenset(_FILING_TABLE.split())
RESPONSIBILITY = frozenset("PSTABCDEFGHU")
CARC = re.compile(r"[A-Z0-9]{1,5}")
MAX_OTHER_PAYERS = 10  # loop 2320
MAX_LINE_ADJUDICATIONS = 15  # loop 2430
MAX_REASONS = 6  # adjustment triples in one CAS segment
INSURANCE_TYPES = frozenset(["12", "13", "14", "15", "16", "41", "42", "43", "47"])
MEDICARE_FILING = frozenset(["MA", "MB"])  # SBR09 of Medicare part A and part B


def write_837p(
    claim_file: ClaimFile, delimiters: Delimiters | None = None, *, line_breaks: bool = False
) -> str:
    """The 837P text of ``claim_file``; ``line_breaks`` puts each segment on its own line."""
    delimiters = delimiters or Delimiters()
    problems = delimiters.problems()
    if not delimiters.repetition:
        problems.append("a 5010 file needs a repetition separator")
    if problems:
        raise EdiInputError("delimiters", "; ".join(problems))
    writer = _Writer(delimiters)
    writer.file(claim_file)
    end = delimiters.segment + ("\n" if line_breaks else "")
    return end.join(writer.segments) + end


class _Writer(SegmentWriter):
    def address(self, address: Address, path: str, *, zip9: bool = False) -> None:
        if not isinstance(address, Address):
            raise EdiInputError(path, "must be an Address")
        line1 = self.text(address.line1, f"{path}.line1", 55)
        line2 = self.optional(address.line2, f"{path}.line2", 55)
        city = self.text(address.city, f"{path}.city", 30, min_len=2)
        state = self.code(address.state, STATES, f"{path}.state")
        zip_code = address.postal_code
        lengths = (9,) if zip9 else (5, 9)
        if not DIGITS.fullmatch(zip_code or "") or len(zip_code) not in lengths:
            need = "9 digits (ZIP+4)" if zip9 else "5 or 9 digits"
            raise EdiInputError(f"{path}.postal_code", f"{zip_code!r} is not {need}")
        self.seg("N3", line1, line2)
        self.seg("N4", city, state, zip_code)

    def contact(self, contact: Contact, path: str) -> None:
        name = self.text(contact.name, f"{path}.name", 60)
        numbers: list[str] = []
        if contact.phone:
            if not DIGITS.fullmatch(contact.phone) or len(contact.phone) != 10:
                raise EdiInputError(f"{path}.phone", f"{contact.phone!r} is not 10 digits")
            numbers += ["TE", contact.phone]
            if contact.phone_extension:
                ext = contact.phone_extension
                if not DIGITS.fullmatch(ext) or len(ext) > 10:
                    raise EdiInputError(f"{path}.phone_extension", f"{ext!r} is not digits")
                numbers += ["EX", ext]
        elif contact.phone_extension:
            raise EdiInputError(f"{path}.phone_extension", "an extension needs a phone number")
        if contact.email:
            numbers += ["EM", self.text(contact.email, f"{path}.email", 256)]
        if not numbers:
            raise EdiInputError(path, "needs a phone number or an e-mail address")
        self.seg("PER", "IC", name, *numbers)

    def name(
        self,
        code: str,
        path: str,
        *,
        last: str,
        first: str = "",
        middle: str = "",
        suffix: str = "",
        is_organization: bool = False,
        id_qualifier: str = "",
        ident: str = "",
    ) -> None:
        """NM1 for a person (NM102 = 1) or an organization (2): names checked, then written."""
        last = self.text(last, f"{path}.{'name' if is_organization else 'last_name'}", 60)
        if is_organization and (first or middle or suffix):
            raise EdiInputError(f"{path}.first_name", "an organization has no first name")
        first = self.optional(first, f"{path}.first_name", 35)
        middle = self.optional(middle, f"{path}.middle_name", 25)
        suffix = self.optional(suffix, f"{path}.suffix", 10)
        entity = "2" if is_organization else "1"
        self.seg("NM1", code, entity, last, first, middle, "", suffix, id_qualifier, ident)

    # -- the file --------------------------------------------------------------------------

    def file(self, claim_file: ClaimFile) -> None:
        if not isinstance(claim_file, ClaimFile):
            raise EdiInputError("claim_file", "must be a ClaimFile")
        if not claim_file.batches:
            raise EdiInputError("batches", "a file needs at least one batch")
        env = claim_file.envelope
        isa13 = self.control(env.interchange_control_number, "envelope.interchange_control_number")
        gs06 = str(self.control(env.group_control_number, "envelope.group_control_number"))
        self.isa(env, f"{isa13:09d}")
        day, time = self.moment(env.created, "envelope.created")
        sender = env.application_sender_code or env.sender_id
        receiver = env.application_receiver_code or env.receiver_id
        self.seg(
            "GS",
            "HC",
            self.text(sender, "envelope.application_sender_code", 15, min_len=2),
            self.text(receiver, "envelope.application_receiver_code", 15, min_len=2),
            day,
            time,
            gs06,
            "X",
            IMPLEMENTATION,
        )
        seen: set[str] = set()
        for i, batch in enumerate(claim_file.batches):
            path = f"batches[{i}]"
            if batch.control_number in seen:
                raise EdiInputError(f"{path}.control_number", "is used twice in this file")
            seen.add(batch.control_number)
            self.batch(batch, path)
        self.seg("GE", str(len(claim_file.batches)), gs06)
        self.seg("IEA", "1", f"{isa13:09d}")

    def batch(self, batch: ClaimBatch, path: str) -> None:
        control = batch.control_number
        if (
            not isinstance(control, str)
            or not DIGITS.fullmatch(control)
            or not 4 <= len(control) <= 9
        ):
            raise EdiInputError(f"{path}.control_number", f"{control!r} is not 4 to 9 digits")
        if not batch.providers:
            raise EdiInputError(f"{path}.providers", "a batch needs at least one billing provider")
        start = len(self.segments)
        self.seg("ST", "837", control, IMPLEMENTATION)
        day, time = self.moment(batch.created, f"{path}.created")
        self.seg(
            "BHT",
            "0019",
            self.code(batch.purpose, {"00", "18"}, f"{path}.purpose"),
            self.text(batch.reference, f"{path}.reference", 50),
            day,
            time,
            self.code(batch.claim_type, {"CH", "RP"}, f"{path}.claim_type"),
        )
        sub = batch.submitter
        self.seg(
            "NM1",
            "41",
            "2",
            self.text(sub.name, f"{path}.submitter.name", 60),
            "",
            "",
            "",
            "",
            "46",
            self.text(sub.id, f"{path}.submitter.id", 80, min_len=2),
        )
        self.contact(sub.contact, f"{path}.submitter.contact")
        rec = batch.receiver
        self.seg(
            "NM1",
            "40",
            "2",
            self.text(rec.name, f"{path}.receiver.name", 60),
            "",
            "",
            "",
            "",
            "46",
            self.text(rec.id, f"{path}.receiver.id", 80, min_len=2),
        )
        self.hl = 0
        for i, group in enumerate(batch.providers):
            gpath = f"{path}.providers[{i}]"
            if not group.subscribers:
                raise EdiInputError(f"{gpath}.subscribers", "a billing provider needs claims")
            parent = self.open_hl("", "20", True)
            self.billing_provider(group.provider, f"{gpath}.provider")
            for j, sc in enumerate(group.subscribers):
                self.subscriber_claims(sc, parent, f"{gpath}.subscribers[{j}]")
        count = len(self.segments) - start + 1
        self.seg("SE", str(count), control)

    def open_hl(self, parent: str, level: str, has_children: bool) -> str:
        self.hl += 1
        ident = str(self.hl)
        self.seg("HL", ident, parent, level, "1" if has_children else "0")
        return ident

    def billing_provider(self, bp: BillingProvider, path: str) -> None:
        if bp.taxonomy:
            taxonomy = self.match(bp.taxonomy, TAXONOMY, f"{path}.taxonomy", "a taxonomy code")
            self.seg("PRV", "BI", "PXC", taxonomy)
        self.name(
            "85",
            path,
            last=bp.name,
            first=bp.first_name,
            is_organization=bp.is_organization,
            id_qualifier="XX",
            ident=self.npi(bp.npi, f"{path}.npi"),
        )
        self.address(bp.address, f"{path}.address", zip9=True)
        qualifier = self.code(bp.tax_id_type, {"EI", "SY"}, f"{path}.tax_id_type")
        if not DIGITS.fullmatch(bp.tax_id or "") or len(bp.tax_id) != 9:
            raise EdiInputError(f"{path}.tax_id", f"{bp.tax_id!r} is not 9 digits")
        self.seg("REF", qualifier, bp.tax_id)
        if bp.contact is not None:
            self.contact(bp.contact, f"{path}.contact")
        if bp.pay_to is not None:
            self.seg("NM1", "87", "2")
            self.address(bp.pay_to, f"{path}.pay_to")

    def subscriber_claims(self, sc: SubscriberClaims, parent: str, path: str) -> None:
        if not sc.claims:
            raise EdiInputError(f"{path}.claims", "needs at least one claim")
        if len(sc.claims) > MAX_CLAIMS:
            raise EdiInputError(
                f"{path}.claims", f"{len(sc.claims)} claims: the guide allows 100 per subscriber"
            )
        sub, patient = sc.subscriber, sc.patient
        me = self.open_hl(parent, "22", patient is not None)
        self.subscriber(sub, patient is None, f"{path}.subscriber")
        self.payer(sc.payer, f"{path}.payer")
        if patient is not None:
            self.open_hl(me, "23", False)
            self.patient(patient, f"{path}.patient")
        for k, claim in enumerate(sc.claims):
            self.claim(claim, f"{path}.claims[{k}]", sub.payer_responsibility)

    def subscriber(self, sub: Subscriber, is_patient: bool, path: str) -> None:
        group_number = self.optional(sub.group_number, f"{path}.group_number", 50)
        # The guide wants the plan's name only when the card shows no group number.
        group_name = "" if group_number else self.optional(sub.group_name, f"{path}.group_name", 60)
        responsibility = self.code(
            sub.payer_responsibility, RESPONSIBILITY, f"{path}.payer_responsibility"
        )
        filing = self.code(
            sub.claim_filing_indicator, FILING_INDICATORS, f"{path}.claim_filing_indicator"
        )
        self.seg(
            "SBR",
            responsibility,
            "18" if is_patient else "",
            group_number,
            group_name,
            self.insurance_type(sub.insurance_type, responsibility, filing, path),
            "",
            "",
            "",
            filing,
        )
        member_id = self.text(sub.member_id, f"{path}.member_id", 80, min_len=2)
        self.name(
            "IL",
            path,
            last=sub.last_name,
            first=sub.first_name,
            middle=sub.middle_name,
            suffix=sub.suffix,
            id_qualifier="MI",
            ident=member_id,
        )
        if is_patient:  # the guide forbids the subscriber's address and birth date otherwise
            if sub.address is None:
                raise EdiInputError(
                    f"{path}.address", "is required when the subscriber is the patient"
                )
            self.address(sub.address, f"{path}.address")
            if sub.birth_date is None:
                raise EdiInputError(
                    f"{path}.birth_date", "is required when the subscriber is the patient"
                )
            self.demographics(sub.birth_date, sub.sex, path)

    def insurance_type(self, code: str, responsibility: str, filing: str, path: str) -> str:
        """SBR05, the Medicare secondary payer type: only for Medicare behind another payer."""
        if not code:
            return ""
        where = f"{path}.insurance_type"
        self.code(code, INSURANCE_TYPES, where)
        if responsibility == "P":
            raise EdiInputError(where, "is sent only when the payer is not the primary one")
        if filing not in MEDICARE_FILING:
            raise EdiInputError(
                where, f"is sent only for Medicare (claim filing indicator MA or MB), not {filing}"
            )
        return code

    def demographics(self, birth_date: dt.date, sex: str, path: str) -> None:
        self.seg(
            "DMG",
            "D8",
            self.date(birth_date, f"{path}.birth_date"),
            self.code(sex, {"M", "F", "U"}, f"{path}.sex"),
        )

    def payer(self, payer: Payer, path: str) -> None:
        self.seg(
            "NM1",
            "PR",
            "2",
            self.text(payer.name, f"{path}.name", 60),
            "",
            "",
            "",
            "",
            "PI",
            self.text(payer.payer_id, f"{path}.payer_id", 80, min_len=2),
        )
        if payer.address is not None:
            self.address(payer.address, f"{path}.address")

    def patient(self, patient: Patient, path: str) -> None:
        self.seg("PAT", self.code(patient.relationship, RELATIONSHIPS, f"{path}.relationship"))
        self.name(
            "QC",
            path,
            last=patient.last_name,
            first=patient.first_name,
            middle=patient.middle_name,
            suffix=patient.suffix,
        )
        self.address(patient.address, f"{path}.address")
        self.demographics(patient.birth_date, patient.sex, path)

    # -- claims ----------------------------------------------------------------------------

    def claim(self, claim: Claim, path: str, responsibility: str = "") -> None:
        lines = claim.lines
        if not lines:
            raise EdiInputError(f"{path}.lines", "a claim needs at least one service line")
        if len(lines) > MAX_LINES:
            raise EdiInputError(f"{path}.lines", f"{len(lines)} lines: a claim holds at most 50")
        pcn = self.text(claim.patient_control_number, f"{path}.patient_control_number", 20)
        pos = self.code(claim.place_of_service, PLACES_OF_SERVICE, f"{path}.place_of_service")
        freq = self.code(claim.frequency, {"1", "7", "8"}, f"{path}.frequency")
        for n, service in enumerate(lines):  # each charge checked before they are added up
            self.amount(service.charge, f"{path}.lines[{n}].charge")
        total = self.amount(claim.total_charge, f"{path}.total_charge")
        c = self.d.component
        self.seg(
            "CLM",
            pcn,
            total,
            "",
            "",
            f"{pos}{c}B{c}{freq}",
            "Y" if claim.provider_signature else "N",
            self.code(claim.assignment, {"A", "B", "C"}, f"{path}.assignment"),
            "Y" if claim.benefits_assigned else "N",
            self.code(claim.release_of_information, {"I", "Y"}, f"{path}.release_of_information"),
        )
        original = claim.original_claim_number
        if freq in ("7", "8"):
            if not original:
                raise EdiInputError(
                    f"{path}.original_claim_number",
                    "a replacement (7) or void (8) needs the payer's claim number of the original",
                )
            self.seg("REF", "F8", self.text(original, f"{path}.original_claim_number", 50))
        elif original:
            raise EdiInputError(
                f"{path}.original_claim_number", "only a replacement (7) or void (8) names one"
            )
        if claim.referral_number:
            self.seg("REF", "9F", self.text(claim.referral_number, f"{path}.referral_number", 50))
        if claim.prior_authorization:
            value = self.text(claim.prior_authorization, f"{path}.prior_authorization", 50)
            self.seg("REF", "G1", value)
        self.diagnoses(claim, path)
        if claim.referring_provider is not None:
            self.provider(claim.referring_provider, "DN", f"{path}.referring_provider")
        if claim.rendering_provider is not None:
            self.provider(claim.rendering_provider, "82", f"{path}.rendering_provider")
        facility = claim.service_facility
        if facility is not None:
            fpath = f"{path}.service_facility"
            npi = self.npi(facility.npi, f"{fpath}.npi") if facility.npi else ""
            name = self.text(facility.name, f"{fpath}.name", 60)
            self.seg("NM1", "77", "2", name, "", "", "", "", "XX" if npi else "", npi)
            self.address(facility.address, f"{fpath}.address", zip9=True)
        payer_ids = self.check_coordination(claim, path, responsibility)
        for n, other in enumerate(claim.other_payers):
            self.other_payer(other, claim, f"{path}.other_payers[{n}]")
        for n, line in enumerate(lines, start=1):
            self.line(line, n, len(claim.diagnoses), pos, f"{path}.lines[{n - 1}]", payer_ids)

    def diagnoses(self, claim: Claim, path: str) -> None:
        codes = claim.diagnoses
        if not codes:
            raise EdiInputError(f"{path}.diagnoses", "a claim needs at least one diagnosis")
        if len(codes) > MAX_DIAGNOSES:
            raise EdiInputError(f"{path}.diagnoses", f"{len(codes)} codes: at most 12 fit")
        if len(set(codes)) != len(codes):
            raise EdiInputError(f"{path}.diagnoses", "a code is listed twice")
        code_list = self.code(
            claim.diagnosis_code_list, {"ABK", "BK"}, f"{path}.diagnosis_code_list"
        )
        pattern, what = (
            (ICD10, "an ICD-10-CM code without the dot")
            if code_list == "ABK"
            else (
                ICD9,
                "an ICD-9-CM code without the dot",
            )
        )
        other = "ABF" if code_list == "ABK" else "BF"
        c = self.d.component
        parts = []
        for i, code in enumerate(codes):
            self.match(code, pattern, f"{path}.diagnoses[{i}]", what)
            parts.append(f"{code_list if i == 0 else other}{c}{code}")
        self.seg("HI", *parts)

    def provider(self, provider: Provider, role: str, path: str) -> None:
        if not isinstance(provider, Provider):
            raise EdiInputError(path, "must be a Provider")
        if role == "DN" and provider.is_organization:
            raise EdiInputError(f"{path}.is_organization", "a referring provider is a person")
        self.name(
            role,
            path,
            last=provider.last_name,
            first=provider.first_name,
            middle=provider.middle_name,
            suffix=provider.suffix,
            is_organization=provider.is_organization,
            id_qualifier="XX",
            ident=self.npi(provider.npi, f"{path}.npi"),
        )
        if role == "82" and provider.taxonomy:
            taxonomy = self.match(
                provider.taxonomy, TAXONOMY, f"{path}.taxonomy", "a taxonomy code"
            )
            self.seg("PRV", "PE", "PXC", taxonomy)

    def line(
        self,
        line: ServiceLine,
        number: int,
        diagnoses: int,
        claim_pos: str,
        path: str,
        payer_ids: frozenset[str] = frozenset(),
    ) -> None:
        c = self.d.component
        code = self.match(
            line.procedure_code, PROCEDURE, f"{path}.procedure_code", "a CPT/HCPCS code"
        )
        modifiers = line.modifiers
        if len(modifiers) > 4:
            raise EdiInputError(f"{path}.modifiers", f"{len(modifiers)} modifiers: at most 4")
        for i, modifier in enumerate(modifiers):
            self.match(modifier, MODIFIER, f"{path}.modifiers[{i}]", "a 2-character modifier")
        pointers = line.diagnosis_pointers
        if not 1 <= len(pointers) <= 4:
            raise EdiInputError(f"{path}.diagnosis_pointers", "1 to 4 pointers are needed")
        if len(set(pointers)) != len(pointers):
            raise EdiInputError(f"{path}.diagnosis_pointers", "a pointer is repeated")
        for i, pointer in enumerate(pointers):
            if not isinstance(pointer, int) or not 1 <= pointer <= diagnoses:
                raise EdiInputError(
                    f"{path}.diagnosis_pointers[{i}]",
                    f"{pointer!r} points to no diagnosis (the claim has {diagnoses})",
                )
        pos = ""
        if line.place_of_service and line.place_of_service != claim_pos:
            pos = self.code(line.place_of_service, PLACES_OF_SERVICE, f"{path}.place_of_service")
        units = line.units
        if not isinstance(units, Decimal) or units <= 0:
            raise EdiInputError(f"{path}.units", f"must be a positive Decimal ({units!r})")
        self.seg("LX", str(number))
        self.seg(
            "SV1",
            c.join(["HC", code, *modifiers]),
            self.amount(line.charge, f"{path}.charge"),
            self.code(line.unit_type, {"UN", "MJ"}, f"{path}.unit_type"),
            self.amount(units, f"{path}.units", places=3, max_digits=8),
            pos,
            "",
            c.join(str(p) for p in pointers),
        )
        start = self.date(line.service_date, f"{path}.service_date")
        if line.service_end_date is None:
            self.seg("DTP", "472", "D8", start)
        else:
            end = self.date(line.service_end_date, f"{path}.service_end_date")
            if line.service_end_date < line.service_date:
                raise EdiInputError(f"{path}.service_end_date", "is before the service date")
            self.seg("DTP", "472", "RD8", f"{start}-{end}")
        if line.control_number:
            self.seg("REF", "6R", self.text(line.control_number, f"{path}.control_number", 50))
        if line.ndc:
            self.drug(line, path)
        elif line.ndc_quantity is not None or line.ndc_unit:
            raise EdiInputError(f"{path}.ndc", "a drug quantity needs its NDC")
        if line.rendering_provider is not None:
            self.provider(line.rendering_provider, "82", f"{path}.rendering_provider")
        if line.referring_provider is not None:
            self.provider(line.referring_provider, "DN", f"{path}.referring_provider")
        if len(line.adjudications) > MAX_LINE_ADJUDICATIONS:
            raise EdiInputError(f"{path}.adjudications", "at most 15 payers' answers fit a line")
        seen: set[str] = set()
        for n, answer in enumerate(line.adjudications):
            apath = f"{path}.adjudications[{n}]"
            if answer.payer_id not in payer_ids:
                raise EdiInputError(
                    f"{apath}.payer_id",
                    f"{answer.payer_id!r} is not the payer id of an adjudicated other payer "
                    "of the claim",
                )
            if answer.payer_id in seen:
                raise EdiInputError(f"{apath}.payer_id", "this payer answers for the line twice")
            seen.add(answer.payer_id)
            self.line_adjudication(answer, line, apath)

    def drug(self, line: ServiceLine, path: str) -> None:
        self.match(line.ndc, NDC, f"{path}.ndc", "an 11-digit NDC")
        if line.ndc_quantity is None:
            raise EdiInputError(f"{path}.ndc_quantity", "an NDC needs the quantity given")
        quantity = self.amount(line.ndc_quantity, f"{path}.ndc_quantity", places=3, max_digits=10)
        unit = self.code(line.ndc_unit, {"F2", "GR", "ME", "ML", "UN"}, f"{path}.ndc_unit")
        self.seg("LIN", "", "N4", line.ndc)
        self.seg("CTP", "", "", "", quantity, unit)

    # -- coordination of benefits (2320, 2330A, 2330B, 2430) --------------------------------

    def check_coordination(self, claim: Claim, path: str, destination: str = "") -> frozenset[str]:
        """The claim's other payers agree with each other and balance; returns the payer
        ids that adjudicated (the ones a line's 2430 may name)."""
        others = claim.other_payers
        if len(others) > MAX_OTHER_PAYERS:
            raise EdiInputError(f"{path}.other_payers", "at most 10 other payers fit a claim")
        ids: set[str] = set()
        places: set[str] = {destination} if destination else set()
        adjudicated: set[str] = set()
        for n, other in enumerate(others):
            opath = f"{path}.other_payers[{n}]"
            if not isinstance(other, OtherPayer):
                raise EdiInputError(opath, "must be an OtherPayer")
            if other.payer.payer_id in ids:
                raise EdiInputError(f"{opath}.payer.payer_id", "names another payer a second time")
            ids.add(other.payer.payer_id)
            if other.payer_responsibility in places:
                raise EdiInputError(
                    f"{opath}.payer_responsibility",
                    f"{other.payer_responsibility!r} is the place of the payer billed or of "
                    "another other payer",
                )
            places.add(other.payer_responsibility)
            if other.paid is not None:
                adjudicated.add(other.payer.payer_id)
        for n, other in enumerate(others):
            opath = f"{path}.other_payers[{n}]"
            pid = other.payer.payer_id
            answers = [a for line in claim.lines for a in line.adjudications if a.payer_id == pid]
            if other.paid is None:
                if other.adjustments or other.adjudication_date or answers:
                    raise EdiInputError(
                        f"{opath}.paid",
                        "adjustments, dates and line answers need the amount the payer paid",
                    )
                if other.remaining_patient_liability is not None:
                    raise EdiInputError(
                        f"{opath}.remaining_patient_liability",
                        "is sent only for a payer that adjudicated the claim",
                    )
                continue
            if answers:
                if other.adjudication_date is not None:
                    raise EdiInputError(
                        f"{opath}.adjudication_date",
                        "goes on each line (2430) when the payer answered line by line",
                    )
                if other.remaining_patient_liability is not None:
                    raise EdiInputError(
                        f"{opath}.remaining_patient_liability",
                        "goes on each line (2430) when the payer answered line by line",
                    )
            elif other.adjudication_date is None:
                raise EdiInputError(
                    f"{opath}.adjudication_date",
                    "is required when the payer answered for the whole claim (no line answers)",
                )
            for k, line in enumerate(claim.lines):
                for m, a in enumerate(line.adjudications):
                    if not isinstance(a, LineAdjudication):
                        raise EdiInputError(
                            f"{path}.lines[{k}].adjudications[{m}]", "must be a LineAdjudication"
                        )
                    if a.payer_id == pid:
                        apath = f"{path}.lines[{k}].adjudications[{m}]"
                        self.amount(a.paid, f"{apath}.paid")
                        total = a.paid + self.adjustments_total(
                            a.adjustments, f"{apath}.adjustments"
                        )
                        if total != line.charge:
                            raise EdiInputError(
                                f"{apath}.paid",
                                f"paid {a.paid} plus the line's adjustments make {total}, not "
                                f"the line's charge {line.charge}",
                            )
            self.amount(other.paid, f"{opath}.paid")
            claim_level = self.adjustments_total(other.adjustments, f"{opath}.adjustments")
            line_level = sum((adj.amount for a in answers for adj in a.adjustments), Decimal(0))
            accounted = other.paid + claim_level + line_level
            if accounted != claim.total_charge:
                raise EdiInputError(
                    f"{opath}.paid",
                    f"paid {other.paid} plus the adjustments (claim and lines) make {accounted}, "
                    f"not the claim's charge {claim.total_charge}",
                )
        return frozenset(adjudicated)

    def adjustments_total(self, adjustments: tuple[Adjustment, ...], path: str) -> Decimal:
        total = Decimal(0)
        for n, adj in enumerate(adjustments):
            apath = f"{path}[{n}]"
            if not isinstance(adj, Adjustment):
                raise EdiInputError(apath, "must be an Adjustment")
            self.code(adj.group, ADJUSTMENT_GROUPS, f"{apath}.group")
            self.match(adj.reason, CARC, f"{apath}.reason", "a claim adjustment reason code")
            self.signed(adj.amount, f"{apath}.amount")
            if adj.amount == 0:
                raise EdiInputError(f"{apath}.amount", "an adjustment of 0 is not sent")
            if adj.quantity is not None:
                self.amount(adj.quantity, f"{apath}.quantity", places=3, max_digits=15)
            total += adj.amount
        return total

    def signed(self, value: Decimal, path: str) -> str:
        if isinstance(value, Decimal) and value.is_finite() and value < 0:
            return "-" + self.amount(-value, path)
        return self.amount(value, path)

    def cas(self, adjustments: tuple[Adjustment, ...], path: str) -> None:
        """One CAS per group (in the order groups first appear), six reasons at most each."""
        by_group: dict[str, list[Adjustment]] = {}
        for adj in adjustments:
            by_group.setdefault(adj.group, []).append(adj)
        for group, items in by_group.items():
            if len(items) > MAX_REASONS:
                raise EdiInputError(
                    f"{path}.adjustments",
                    f"{len(items)} reasons in group {group}: one CAS segment holds 6",
                )
            elements = [group]
            for adj in items:
                quantity = "" if adj.quantity is None else self.amount(adj.quantity, path, places=3)
                elements += [adj.reason, self.signed(adj.amount, path), quantity]
            self.seg("CAS", *elements)

    def other_payer(self, other: OtherPayer, claim: Claim, path: str) -> None:
        group_number = self.optional(other.group_number, f"{path}.group_number", 50)
        group_name = (
            "" if group_number else self.optional(other.group_name, f"{path}.group_name", 60)
        )
        relationship = self.code(other.relationship, RELATIONSHIPS | {"18"}, f"{path}.relationship")
        responsibility = self.code(
            other.payer_responsibility, RESPONSIBILITY, f"{path}.payer_responsibility"
        )
        filing = self.code(
            other.claim_filing_indicator, FILING_INDICATORS, f"{path}.claim_filing_indicator"
        )
        self.seg(
            "SBR",
            responsibility,
            relationship,
            group_number,
            group_name,
            self.insurance_type(other.insurance_type, responsibility, filing, path),
            "",
            "",
            "",
            filing,
        )
        self.cas(other.adjustments, path)
        if other.paid is not None:
            self.seg("AMT", "D", self.amount(other.paid, f"{path}.paid"))
        if other.remaining_patient_liability is not None:
            value = self.amount(
                other.remaining_patient_liability, f"{path}.remaining_patient_liability"
            )
            self.seg("AMT", "EAF", value)
        release = self.code(
            other.release_of_information, {"I", "Y"}, f"{path}.release_of_information"
        )
        self.seg("OI", "", "", "Y" if other.benefits_assigned else "N", "", "", release)
        sub = other.subscriber
        spath = f"{path}.subscriber"
        if not isinstance(sub, OtherSubscriber):
            raise EdiInputError(spath, "must be an OtherSubscriber")
        self.name(
            "IL",
            spath,
            last=sub.last_name,
            first=sub.first_name,
            middle=sub.middle_name,
            suffix=sub.suffix,
            id_qualifier="MI",
            ident=self.text(sub.member_id, f"{spath}.member_id", 80, min_len=2),
        )
        if sub.address is not None:
            self.address(sub.address, f"{spath}.address")
        payer = other.payer
        ppath = f"{path}.payer"
        if not isinstance(payer, Payer):
            raise EdiInputError(ppath, "must be a Payer")
        self.seg(
            "NM1",
            "PR",
            "2",
            self.text(payer.name, f"{ppath}.name", 60),
            "",
            "",
            "",
            "",
            "PI",
            self.text(payer.payer_id, f"{ppath}.payer_id", 80, min_len=2),
        )
        if payer.address is not None:
            self.address(payer.address, f"{ppath}.address")
        if other.adjudication_date is not None:
            day = self.date(other.adjudication_date, f"{path}.adjudication_date")
            self.seg("DTP", "573", "D8", day)
        if other.claim_number:
            self.seg("REF", "F8", self.text(other.claim_number, f"{path}.claim_number", 50))

    def line_adjudication(self, answer: LineAdjudication, line: ServiceLine, path: str) -> None:
        c = self.d.component
        code = self.match(
            answer.procedure_code, PROCEDURE, f"{path}.procedure_code", "a CPT/HCPCS code"
        )
        if len(answer.modifiers) > 4:
            raise EdiInputError(
                f"{path}.modifiers", f"{len(answer.modifiers)} modifiers: at most 4"
            )
        for i, modifier in enumerate(answer.modifiers):
            self.match(modifier, MODIFIER, f"{path}.modifiers[{i}]", "a 2-character modifier")
        units = answer.units
        if not isinstance(units, Decimal) or units <= 0:
            raise EdiInputError(f"{path}.units", f"must be a positive Decimal ({units!r})")
        paid = self.amount(answer.paid, f"{path}.paid")  # balanced in check_coordination
        self.seg(
            "SVD",
            answer.payer_id,
            paid,
            c.join(["HC", code, *answer.modifiers]),
            "",
            self.amount(units, f"{path}.units", places=3, max_digits=15),
        )
        self.cas(answer.adjustments, path)
        self.seg(
            "DTP", "573", "D8", self.date(answer.adjudication_date, f"{path}.adjudication_date")
        )
        if answer.remaining_patient_liability is not None:
            value = self.amount(
                answer.remaining_patient_liability, f"{path}.remaining_patient_liability"
            )
            self.seg("AMT", "EAF", value)
