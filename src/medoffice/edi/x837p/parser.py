"""Reading an 837P file back into the ``ClaimFile`` dataclasses.

``parse_837p(write_837p(f)) == f`` for every file we write. Other senders'
files are read as far as our model reaches: segments the model has no field
for (accident dates, ambulance and equipment details, other payers' providers
in COB loops 2330C-I, drug-testing forms, ...) are listed in ``ClaimFile.warnings`` with their
segment numbers, never dropped silently. What would make a claim wrong if
guessed -- a broken HL tree, a claim total that is not the sum of its lines,
a diagnosis pointer to nothing, a line with no service date, an
institutional or dental claim -- is an ``X12Error`` at that segment.
"""

from __future__ import annotations

from medoffice.edi.cursor import Cursor
from medoffice.edi.envelope import TransactionSet, read_x12
from medoffice.edi.errors import X12Error
from medoffice.edi.segments import Segment
from medoffice.edi.values import (
    read_date,
    read_datetime,
)
from medoffice.edi.x837p.model import (
    BillingProvider,
    ClaimBatch,
    ClaimFile,
    Envelope,
    Patient,
    Payer,
    ProviderClaims,
    Receiver,
    Submitter,
    Subscriber,
    SubscriberClaims,
)
from medoffice.edi.x837p.reading import ClaimReader

VERSIONS = ("005010X222A1", "005010X222A2")


def parse_837p(data: bytes | str) -> ClaimFile:
    """Read an 837P file; X12Error for anything that cannot be read as claims."""
    doc = read_x12(data)
    if len(doc.interchanges) != 1 or len(doc.interchanges[0].groups) != 1:
        groups = sum(len(i.groups) for i in doc.interchanges)
        seg = doc.segments[0]
        raise seg.error(
            f"a claim file holds one interchange with one functional group; this one has "
            f"{len(doc.interchanges)} interchange(s) and {groups} group(s)"
        )
    interchange = doc.interchanges[0]
    group = interchange.groups[0]
    if group.functional_id != "HC":
        raise group.gs.error(f"functional group {group.functional_id!r} is not HC (claims)", 1)
    warnings = list(doc.warnings)
    batches = []
    for tx in group.transactions:
        batch, found = _Transaction(tx).read()
        batches.append(batch)
        warnings.extend(found)
    gs = group.gs
    created = read_datetime(gs, 4, 5).replace(second=0, microsecond=0)
    envelope = Envelope(
        sender_id=interchange.sender_id,
        receiver_id=interchange.receiver_id,
        interchange_control_number=int(interchange.control_number),
        group_control_number=int(group.control_number),
        created=created,
        usage=interchange.usage,
        sender_qualifier=interchange.sender_qualifier,
        receiver_qualifier=interchange.receiver_qualifier,
        acknowledgment_requested=interchange.acknowledgment_requested,
        application_sender_code="" if group.sender == interchange.sender_id else group.sender,
        application_receiver_code=(
            "" if group.receiver == interchange.receiver_id else group.receiver
        ),
    )
    return ClaimFile(envelope, tuple(batches), tuple(warnings))


class _Transaction(ClaimReader):
    def __init__(self, tx: TransactionSet):
        if tx.id != "837":
            raise tx.st.error(f"transaction set {tx.id} is not an 837", 1)
        if tx.implementation not in VERSIONS:
            raise tx.st.error(
                f"{tx.implementation!r} is not the 837 professional guide (005010X222A1); "
                "institutional and dental claims are not read",
                3,
            )
        self.cur = Cursor(tx.body, end=tx.segments[-1])
        self.hl_seen: dict[str, str] = {}  # HL01 -> level, for every HL read so far
        self.open: dict[str, str] = {}  # level -> HL01 of the loop now open at that level

    def read(self) -> tuple[ClaimBatch, list[str]]:
        cur = self.cur
        bht = cur.expect("BHT", what="beginning of the claim batch")
        if bht[1] != "0019":
            raise bht.error(f"BHT01 {bht[1]!r} is not 0019", 1)
        sub_nm1 = cur.expect("NM1", "41", what="submitter")
        contact = self.contacts("submitter")
        if contact is None:
            raise (
                cur.ended("PER (submitter contact)")
                if cur.peek() is None
                else cur.peek().error("the submitter needs a PER contact")
            )
        rec_nm1 = cur.expect("NM1", "40", what="receiver")
        providers = []
        while cur.peek() is not None:
            providers.append(self.billing_loop())
        if not providers:
            raise cur.ended("HL (billing provider)")
        batch = ClaimBatch(
            control_number=self.cur.end[2],
            reference=bht[3],
            created=read_datetime(bht, 4, 5).replace(second=0, microsecond=0),
            submitter=Submitter(sub_nm1[3], sub_nm1[9], contact),
            receiver=Receiver(rec_nm1[3], rec_nm1[9]),
            providers=tuple(providers),
            purpose=bht[2],
            claim_type=bht[6],
        )
        return batch, cur.warnings

    # -- HL tree -----------------------------------------------------------------------

    def hl(self, level: str, parent_level: str | None) -> Segment:
        seg = self.cur.expect("HL", what=f"hierarchical level {level}")
        ident = seg[1]
        if ident != str(len(self.hl_seen) + 1):
            raise seg.error(
                f"HL01 {ident!r} is out of sequence (expected {len(self.hl_seen) + 1})", 1
            )
        if seg[3] != level:
            raise seg.error(f"HL03 {seg[3]!r} here, expected level {level}", 3)
        if parent_level is None:
            if seg[2]:
                raise seg.error("a billing provider level has no parent", 2)
        elif seg[2] != self.open.get(parent_level):
            raise seg.error(f"HL02 {seg[2]!r} is not the open level-{parent_level} HL", 2)
        self.hl_seen[ident] = level
        self.open[level] = ident
        return seg

    def billing_loop(self) -> ProviderClaims:
        self.hl("20", None)
        provider = self.billing_provider()
        subscribers: list[SubscriberClaims] = []
        while self.cur.at("HL") and self.cur.peek()[3] != "20":
            subscribers.extend(self.subscriber_loop())
        if not subscribers:
            raise (
                self.cur.ended("HL (subscriber)")
                if self.cur.peek() is None
                else (self.cur.peek().error("a billing provider level needs subscribers"))
            )
        return ProviderClaims(provider, tuple(subscribers))

    def billing_provider(self) -> BillingProvider:
        cur = self.cur
        prv = cur.take("PRV", "BI")
        if cur.at("CUR"):
            cur.skip("foreign currency is not in the billing provider model")
        nm1 = cur.expect("NM1", "85", what="billing provider")
        address = self.address("billing provider", required=True)
        tax = None
        contact = None
        pay_to = None
        while cur.peek() is not None and not cur.at("HL"):
            if cur.at("REF", "EI", "SY") and tax is None:
                tax = cur.next()
            elif cur.at("REF"):
                cur.skip("other billing provider ids are not in the model")
            elif cur.at("PER"):
                found = self.contacts("billing provider")
                contact = contact or found
            elif cur.at("NM1", "87"):
                cur.next()
                pay_to = self.address("pay-to address", required=True)
            elif cur.at("NM1", "PE"):
                cur.skip("the pay-to plan (2010AC) is not in the model")
                while cur.at_any({"N3", "N4", "REF"}):
                    cur.skip("part of the pay-to plan (2010AC)")
            else:
                raise cur.peek().error(
                    f"{cur.peek().id} is not expected in the billing provider loop"
                )
        if tax is None:
            raise nm1.error("the billing provider has no tax id (REF*EI or REF*SY)")
        person = nm1[2] == "1"
        return BillingProvider(
            name=nm1[3],
            npi=self.npi(nm1),
            tax_id=tax[2],
            address=address,
            first_name=nm1[4] if person else "",
            is_organization=not person,
            tax_id_type=tax[1],
            taxonomy=prv[3] if prv else "",
            contact=contact,
            pay_to=pay_to,
        )

    def subscriber_loop(self) -> list[SubscriberClaims]:
        cur = self.cur
        hl = self.hl("22", "20")
        sbr = cur.expect("SBR", what="subscriber information")
        if cur.at("PAT"):
            cur.skip("patient details of a subscriber (death, weight, pregnancy) are not kept")
        nm1 = cur.expect("NM1", "IL", what="subscriber")
        address = self.address("subscriber", required=False)
        dmg = cur.take("DMG")
        while cur.at_any({"REF", "PER"}):
            cur.skip("subscriber ids and contacts other than the member id are not kept")
        payer_nm1 = cur.expect("NM1", "PR", what="payer")
        payer_address = self.address("payer", required=False)
        while cur.at("REF"):
            cur.skip("secondary payer and provider ids are not kept")
        subscriber = Subscriber(
            member_id=nm1[9],
            last_name=nm1[3],
            first_name=nm1[4],
            middle_name=nm1[5],
            suffix=nm1[7],
            birth_date=read_date(dmg, 2) if dmg else None,
            sex=dmg[3] if dmg else "U",
            address=address,
            payer_responsibility=sbr[1],
            group_number=sbr[3],
            group_name=sbr[4],
            claim_filing_indicator=sbr[9],
            insurance_type=sbr[5],
        )
        payer = Payer(payer_nm1[3], payer_nm1[9], payer_address)
        found = []
        own = self.claims()
        if own:
            found.append(SubscriberClaims(subscriber, payer, own))
        while cur.at("HL") and cur.peek()[3] == "23":
            patient = self.patient()
            claims = self.claims()
            if not claims:
                raise self.no_claims()
            found.append(SubscriberClaims(subscriber, payer, claims, patient))
        if not found:
            raise self.no_claims()
        has_patients = any(sc.patient is not None for sc in found)
        if (hl[4] == "1") != has_patients:
            says = "a patient level follows" if hl[4] == "1" else "no patient level follows"
            raise hl.error(f"HL04 {hl[4]!r} says {says}, which is not so", 4)
        return found

    def no_claims(self) -> X12Error:
        seg = self.cur.peek()
        return self.cur.ended("CLM") if seg is None else seg.error("expected a claim (CLM) here")

    def patient(self) -> Patient:
        cur = self.cur
        self.hl("23", "22")
        pat = cur.expect("PAT", what="patient relationship")
        nm1 = cur.expect("NM1", "QC", what="patient")
        address = self.address("patient", required=True)
        dmg = cur.expect("DMG", what="patient birth date and sex")
        while cur.at_any({"REF", "PER"}):
            cur.skip("property and casualty ids and contacts are not kept")
        return Patient(
            relationship=pat[1],
            last_name=nm1[3],
            first_name=nm1[4],
            birth_date=read_date(dmg, 2),
            sex=dmg[3],
            address=address,
            middle_name=nm1[5],
            suffix=nm1[7],
        )
