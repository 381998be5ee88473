"""Claims: build them from charges in coverage order, move them through their statuses,
correct them with replacement and void claims.

Every status change goes through :func:`move_claim`, which checks the move is
allowed (``Claim.TRANSITIONS``) and writes a :class:`ClaimEvent` (who, when,
from, to, note). Code that sets ``claim.status`` and saves is a bug.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from medoffice.billing.errors import BAD_TRANSITION, NO_COVERAGE, DomainError, FieldErrors, invalid
from medoffice.billing.models import (
    Charge,
    Claim,
    ClaimEvent,
    ClaimLine,
    LedgerEntry,
    LinePayment,
    ScrubFinding,
    ScrubRule,
)
from medoffice.billing.services.bulk import db_datetime, insert_rows
from medoffice.patients.models import Coverage

PCN_PREFIX = "MO"


def patient_control_number(pk: int) -> str:
    """CLM01 for the claim with id ``pk``: "MO" and at least 9 digits (fits X12's 20 characters)."""
    return f"{PCN_PREFIX}{pk:09d}"


def coverages_on(*, patient_id: int, day: dt.date, first: int | None = None) -> list[Coverage]:
    """The patient's coverages active on ``day``, primary first — or the coverage ``first``
    (chosen for the visit at booking) first when it is one of them."""
    active = list(
        Coverage.objects.filter(patient_id=patient_id, effective_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .select_related("payer")
        .order_by("order", "-effective_date")
    )
    if first is not None:
        active.sort(key=lambda c: c.pk != first)  # stable: the rest keep their order
    return active


def _snapshot_fields(charge: Charge) -> dict:
    return {
        "date_of_service": charge.date_of_service,
        "place_of_service": charge.place_of_service,
        "rendering_provider_id": charge.rendering_provider_id,
        "billing_provider_id": charge.billing_provider_id,
        "referring_name": charge.referring_name,
        "referring_npi": charge.referring_npi,
        "prior_authorization": charge.prior_authorization,
        "diagnosis_codes": ",".join(d.code for d in charge.diagnoses.order_by("position")),
    }


def has_payer_answer(claim: Claim) -> bool:
    """Whether a payer's answer is posted to the claim: an 835 line payment naming one of its
    lines, or anything in the books for it (a payment, adjustment, transfer or write-off).
    Such a claim keeps its lines as they were sent. (A denial of the whole claim that put
    nothing in the books leaves its lines free to be corrected in place.)"""
    return (
        LinePayment.objects.filter(claim_line__claim=claim).exists()
        or LedgerEntry.objects.filter(claim=claim).exists()
        or LedgerEntry.objects.filter(claim_line__claim=claim).exists()
    )


def _refuse_if_answered(claim: Claim) -> None:
    if has_payer_answer(claim):
        raise DomainError(
            BAD_TRANSITION,
            f"The payer's answer to claim {claim.patient_control_number} is posted (its payment "
            "or denial of its lines), so the lines stay as the payer saw them and cannot be "
            "copied again from the charges. Send the correction as a replacement claim, or "
            "close this claim and build a new one.",
            "claim",
            status=409,
        )


def _copy_lines(claim: Claim, charge: Charge, *, new: bool = False) -> None:
    """Copy the charge's lines into ``claim`` (``new``: a claim just made, with no lines yet).
    An existing claim's lines are replaced, which is refused once a payer has answered it."""
    if not new:
        _refuse_if_answered(claim)
        claim.lines.all().delete()
    lines = [
        ClaimLine(
            claim=claim,
            line_number=line.line_number,
            code=line.code,
            modifiers=line.modifiers,
            units=line.units,
            charge_amount=line.charge_amount,
            diagnosis_pointers=line.diagnosis_pointers,
            date_of_service=charge.date_of_service,
        )
        for line in charge.lines.order_by("line_number")
    ]
    ClaimLine.objects.bulk_create(lines)
    claim.total_charge = sum((x.charge_amount for x in lines), start=0)


def _record(claim: Claim, *, actor, from_status: str, to_status: str, note: str = "") -> None:
    ClaimEvent.objects.create(
        claim=claim, user=actor, from_status=from_status, to_status=to_status, note=note[:300]
    )


def _new_claim(
    *, actor, charge: Charge, coverage: Coverage, payer_order: int | None = None, **extra
) -> Claim:
    """A draft claim to ``coverage``'s payer; ``payer_order`` is this payer's place in the
    visit's billing sequence (1 primary …), by default the coverage's own order."""
    now = timezone.now()
    claim = Claim.objects.create(
        charge=charge,
        patient_id=charge.patient_id,
        coverage=coverage,
        payer_id=coverage.payer_id,
        payer_order=payer_order or coverage.order,
        patient_control_number=uuid.uuid4().hex[:20],  # replaced below, once the id is known
        created_by=actor,
        created_at=now,
        status_changed_at=now,
        **_snapshot_fields(charge),
        **extra,
    )
    claim.patient_control_number = patient_control_number(claim.pk)
    return claim


@transaction.atomic
def build_claim(*, actor, charge: Charge) -> Claim | None:
    """The next claim the visit needs: to the first payer in coverage order (active on the
    date of service) that has not been billed yet. None when nothing covers the visit
    (self-pay). A secondary claim waits until the claim before it has been decided."""
    charge = Charge.objects.select_for_update().get(pk=charge.pk)
    chosen = charge.appointment.coverage_id if charge.appointment_id else None
    active = coverages_on(patient_id=charge.patient_id, day=charge.date_of_service, first=chosen)
    if not active:
        return None
    billed = {
        c.coverage_id: c
        for c in charge.claims.filter(frequency_code=Claim.ORIGINAL).exclude(
            status=Claim.CLOSED, corrections__frequency_code=Claim.VOID
        )
    }
    for position, coverage in enumerate(active, start=1):
        before = billed.get(coverage.pk)
        if before is not None:
            if before.status not in (Claim.PAID, Claim.DENIED, Claim.PARTLY_PAID, Claim.CLOSED):
                return before  # wait for this payer's decision before billing the next
            continue
        # The visit's first payer is its primary (a coverage chosen at booking goes first).
        claim = _new_claim(actor=actor, charge=charge, coverage=coverage, payer_order=position)
        _copy_lines(claim, charge, new=True)
        claim.save(update_fields=["patient_control_number", "total_charge"])
        _record(
            claim, actor=actor, from_status="", to_status=Claim.DRAFT, note="Built from charges"
        )
        return claim
    raise invalid("Every payer covering this visit has been billed.", "charge", code=NO_COVERAGE)


@transaction.atomic
def move_claim(
    *, actor, claim: Claim, to: str, note: str = "", payer_claim_number: str = ""
) -> Claim:
    """Move a claim to status ``to`` if its current status allows it, and record who and why."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if to not in Claim.TRANSITIONS.get(claim.status, ()):
        raise DomainError(
            BAD_TRANSITION,
            f"A {claim.status_label.lower()} claim cannot become "
            f"{Claim.STATUS_LABELS.get(to, to).lower()}.",
            "status",
            status=409,
        )
    if to == Claim.REJECTED and not note.strip():
        raise FieldErrors({"note": ["Say why the claim was rejected."]})
    before = claim.status
    claim.status = to
    claim.status_changed_at = timezone.now()
    fields = ["status", "status_changed_at"]
    if payer_claim_number.strip():
        claim.payer_claim_number = payer_claim_number.strip()[:50]
        fields.append("payer_claim_number")
    claim.save(update_fields=fields)
    _record(claim, actor=actor, from_status=before, to_status=to, note=note)
    return claim


def mark_ready(*, actor, claim: Claim) -> Claim:
    return move_claim(actor=actor, claim=claim, to=Claim.READY, note="Marked ready to send")


@dataclass
class ReadySummary:
    """What a bulk "mark ready" did: how many moved, and how many were held back and why."""

    moved: int = 0
    held: dict[str, int] = field(default_factory=dict)

    @property
    def held_count(self) -> int:
        return sum(self.held.values())

    def describe(self) -> str:
        text = f"{self.moved} claim{'s' if self.moved != 1 else ''} marked ready to send"
        if self.held:
            reasons = "; ".join(f"{n} {why}" for why, n in self.held.items())
            text += f"; {self.held_count} held back ({reasons})"
        return text + "."


HELD_ERRORS = "with scrubber errors to fix"
HELD_NOT_SCRUBBED = "not scrubbed yet (draft)"
HELD_ALREADY = "already ready or sent"


@transaction.atomic
def mark_scrubbed_ready(*, actor, claim_ids) -> ReadySummary:
    """Mark ready every scrubbed claim among ``claim_ids`` that has no open scrubber error;
    the others are counted by why they stay (errors, not scrubbed, already past ready)."""
    summary = ReadySummary()
    claims = list(
        Claim.objects.filter(pk__in=list(claim_ids))
        .select_for_update()
        .only("pk", "status")
        .order_by("pk")
    )
    with_errors = set(
        ScrubFinding.objects.filter(
            claim_id__in=[c.pk for c in claims], severity=ScrubRule.ERROR
        ).values_list("claim_id", flat=True)
    )
    now = timezone.now()
    moving = []
    for claim in claims:
        if claim.status == Claim.SCRUBBED and claim.pk not in with_errors:
            moving.append(claim.pk)
            continue
        if claim.pk in with_errors and claim.status in (Claim.DRAFT, Claim.SCRUBBED):
            why = HELD_ERRORS
        elif claim.status == Claim.DRAFT:
            why = HELD_NOT_SCRUBBED
        elif claim.status in (Claim.READY, *Claim.IN_FLIGHT):
            why = HELD_ALREADY
        else:
            why = f"{Claim.STATUS_LABELS[claim.status].lower()}"
        summary.held[why] = summary.held.get(why, 0) + 1
    Claim.objects.filter(pk__in=moving).update(status=Claim.READY, status_changed_at=now)
    ClaimEvent.objects.bulk_create(
        (
            ClaimEvent(
                claim_id=pk, user=actor, at=now, from_status=Claim.SCRUBBED,
                to_status=Claim.READY, note="Marked ready to send (with the other scrubbed claims)",
            )
            for pk in moving
        ),
        batch_size=1000,
    )  # fmt: skip
    summary.moved = len(moving)
    return summary


def record_acceptance(*, actor, claim: Claim, payer_claim_number: str = "", note: str = ""):
    return move_claim(
        actor=actor,
        claim=claim,
        to=Claim.ACCEPTED,
        note=note or "Accepted by the payer",
        payer_claim_number=payer_claim_number,
    )


def record_rejection(*, actor, claim: Claim, reason: str) -> Claim:
    return move_claim(actor=actor, claim=claim, to=Claim.REJECTED, note=reason)


@transaction.atomic
def reopen_claim(*, actor, claim: Claim, note: str = "") -> Claim:
    """A rejected (or scrubbed/ready) claim back to draft, to be corrected and scrubbed again."""
    claim = move_claim(actor=actor, claim=claim, to=Claim.DRAFT, note=note or "Reopened")
    refresh_claim(claim=claim)
    return claim


def close_claim(*, actor, claim: Claim, note: str = "") -> Claim:
    return move_claim(actor=actor, claim=claim, to=Claim.CLOSED, note=note or "Closed")


@transaction.atomic
def refresh_claim(*, claim: Claim) -> Claim:
    """Copy the charges again into an unsent claim (its lines, diagnoses and header); refused
    (409) for a claim a payer's answer is posted to."""
    charge = claim.charge
    _copy_lines(claim, charge)  # first: it refuses before anything changes
    for name, value in _snapshot_fields(charge).items():
        setattr(claim, name, value)
    claim.save()
    return claim


def check_charge_editable(charge: Charge) -> None:
    """Charges are locked while one of their claims is with a payer awaiting a decision."""
    waiting = charge.claims.filter(status__in=Claim.IN_FLIGHT).first()
    if waiting is not None:
        raise DomainError(
            BAD_TRANSITION,
            f"Claim {waiting.patient_control_number} is with the payer "
            f"({waiting.status_label.lower()}); wait for its decision, then send a "
            "replacement claim with the correction.",
            None,
            status=409,
        )


KEPT_AS_ANSWERED = (
    "Charges changed; this claim keeps the lines the payer answered (its payment is posted "
    "to them): send the correction as a replacement claim, or close it and build a new one"
)


@transaction.atomic
def refresh_unsent_claims(*, actor, charge: Charge) -> list[Claim]:
    """After the charges change: every claim not yet sent copies them again, and a scrubbed or
    ready one goes back to draft (it must be scrubbed again). A claim a payer's answer is
    posted to (a rejected one answered before the rejection came) keeps its lines and status,
    and its history says why; the charges change all the same."""
    refreshed = []
    for claim in charge.claims.filter(status__in=(*Claim.UNSENT, Claim.REJECTED)):
        if has_payer_answer(claim):
            _record(claim, actor=actor, from_status=claim.status, to_status=claim.status,
                    note=KEPT_AS_ANSWERED)  # fmt: skip
            continue
        if claim.status in (Claim.SCRUBBED, Claim.READY, Claim.REJECTED):
            claim = move_claim(
                actor=actor, claim=claim, to=Claim.DRAFT, note="Charges changed; scrub again"
            )
        refreshed.append(refresh_claim(claim=claim))
    return refreshed


def _correction(*, actor, claim: Claim, frequency: str, note: str) -> Claim:
    original = Claim.objects.select_for_update().get(pk=claim.pk)
    if original.frequency_code == Claim.VOID:
        raise invalid("A void cannot itself be replaced or voided.", "claim", code=BAD_TRANSITION)
    if original.status not in (*Claim.ADJUDICATED, Claim.CLOSED) or not original.payer_claim_number:
        raise invalid(
            "Only a claim the payer has accepted (and numbered) can be replaced or voided; "
            "an unsent or rejected claim is simply corrected.",
            "claim",
            code=BAD_TRANSITION,
        )
    if original.corrections.exclude(status__in=(Claim.REJECTED, Claim.CLOSED)).exists():
        raise invalid(
            "This claim already has a replacement or void on its way.", "claim", code=BAD_TRANSITION
        )
    charge = original.charge
    new = _new_claim(
        actor=actor,
        charge=charge,
        coverage=original.coverage,
        payer_order=original.payer_order,
        frequency_code=frequency,
        original=original,
        original_payer_claim_number=original.payer_claim_number,
    )
    if frequency == Claim.VOID:
        # A void repeats the original as it was sent.
        for name in (
            "date_of_service",
            "place_of_service",
            "rendering_provider_id",
            "billing_provider_id",
            "referring_name",
            "referring_npi",
            "prior_authorization",
            "diagnosis_codes",
            "total_charge",
        ):
            setattr(new, name, getattr(original, name))
        ClaimLine.objects.bulk_create(
            ClaimLine(
                claim=new,
                line_number=x.line_number,
                code=x.code,
                modifiers=x.modifiers,
                units=x.units,
                charge_amount=x.charge_amount,
                diagnosis_pointers=x.diagnosis_pointers,
                date_of_service=x.date_of_service,
            )
            for x in original.lines.all()
        )
    else:
        _copy_lines(new, charge, new=True)
    new.save()
    word = "Replacement" if frequency == Claim.REPLACEMENT else "Void"
    _record(
        new,
        actor=actor,
        from_status="",
        to_status=Claim.DRAFT,
        note=f"{word} of {original.patient_control_number} (payer number "
        f"{original.payer_claim_number}). {note}".strip(),
    )
    if original.status != Claim.CLOSED:
        move_claim(
            actor=actor,
            claim=original,
            to=Claim.CLOSED,
            note=f"{word} claim {new.patient_control_number} made. {note}".strip(),
        )
    return new


@transaction.atomic
def replace_claim(*, actor, claim: Claim, note: str = "") -> Claim:
    """A replacement (frequency 7) carrying the corrected charges, naming the original."""
    return _correction(actor=actor, claim=claim, frequency=Claim.REPLACEMENT, note=note)


@transaction.atomic
def void_claim(*, actor, claim: Claim, note: str = "") -> Claim:
    """A void (frequency 8) asking the payer to cancel the original."""
    if not note.strip():
        raise FieldErrors({"note": ["Say why the claim is voided."]})
    return _correction(actor=actor, claim=claim, frequency=Claim.VOID, note=note)


@dataclass
class ClaimMove:
    """One claim's status changes in a bulk move: each step in ``to`` in order, one note."""

    claim: Claim
    to: list[str]
    note: str = ""
    payer_claim_number: str = ""


def move_claims(*, actor, moves: list[ClaimMove]) -> list[tuple[Claim, str]]:
    """Many claims' status changes at once, by the same rules as :func:`move_claim`.

    Each step must be allowed by ``Claim.TRANSITIONS`` from the status before
    it, and writes a :class:`ClaimEvent`; claims are updated and events inserted a
    few hundred a statement. The caller holds the claims
    locked (``select_for_update``) inside its transaction. A claim whose next
    step is not allowed stops there (the steps before it stand); the refusals
    come back as (claim, reason) for the caller to report.
    """
    now = timezone.now()
    moved: dict[int, Claim] = {}
    numbers: dict[int, str] = {}
    events: list[tuple] = []
    refused: list[tuple[Claim, str]] = []
    at, user = db_datetime(now), actor.pk if actor is not None else None
    for move in moves:
        claim = move.claim
        for to in move.to:
            if to == claim.status:
                continue
            if to not in Claim.TRANSITIONS.get(claim.status, ()):
                refused.append(
                    (claim, f"a {claim.status_label.lower()} claim cannot become "
                     f"{Claim.STATUS_LABELS.get(to, to).lower()}")
                )  # fmt: skip
                break
            events.append((claim.pk, at, user, claim.status, to, move.note[:300]))
            claim.status = to
            claim.status_changed_at = now
            moved[claim.pk] = claim
        number = move.payer_claim_number.strip()[:50]
        if number and number != claim.payer_claim_number:
            claim.payer_claim_number = numbers[claim.pk] = number
    renumbered = [move.claim for move in moves if move.claim.pk in numbers]
    _write_moves(
        [(c.pk, c.status, at, c.payer_claim_number) for c in moved.values()]
        + [(c.pk, c.status, db_datetime(c.status_changed_at), c.payer_claim_number)
           for c in {c.pk: c for c in renumbered if c.pk not in moved}.values()]
    )  # fmt: skip
    insert_rows(ClaimEvent, ["claim", "at", "user", "from_status", "to_status", "note"], events)
    return refused


def _write_moves(rows: list[tuple]) -> None:
    """(claim id, status, status changed at, payer claim number) for many claims, a few hundred
    a statement (UPDATE ... FROM a VALUES list)."""
    table = Claim._meta.db_table
    with connection.cursor() as cursor:
        for at in range(0, len(rows), 400):
            chunk = rows[at : at + 400]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"WITH v(id, s, t, n) AS (VALUES {values}) "  # noqa: S608 - no input in the SQL text
                f"UPDATE {table} SET status = v.s, status_changed_at = v.t, "
                f"payer_claim_number = v.n FROM v WHERE {table}.id = v.id",
                [x for row in chunk for x in row],
            )
