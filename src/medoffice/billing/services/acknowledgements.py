"""Acknowledgement import: the clearinghouse's 999 and the payer's 277CA, applied to our claims.

``import_acknowledgement`` reads the whole file first (the EDI package's
``read_999`` / ``read_277``); a malformed file is refused whole with the
segment and position of the fault, and nothing changes. Then, in one
transaction:

- a **999** is matched to our batch by the group and transaction control
  numbers it quotes (AK102 = our GS06, AK202 = our ST02). An accepted
  transaction leaves its claims submitted (each gets a history note: the
  payer's own answer, the 277CA, is still to come); a rejected one never
  reached a payer, so each of its claims becomes rejected with the 999's
  errors as the reason.
- a **277CA** is matched claim by claim by our claim number (CLM01, the
  patient control number). Accepted → the claim is accepted and keeps the
  payer's claim number; rejected → the claim is rejected with the status
  reason in words.

Numbers we do not know are listed in the report, not refused. Each file is
kept (:class:`AcknowledgementFile`, unique by SHA-256), so importing the same
file again changes nothing and says when it was first imported.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from medoffice.billing.errors import BAD_TRANSITION, DomainError
from medoffice.billing.models import AcknowledgementFile, Claim, ClaimBatch, ClaimEvent
from medoffice.edi.envelope import read_x12
from medoffice.edi.errors import X12Error
from medoffice.edi.x277 import ClaimAcknowledgment, read_277
from medoffice.edi.x999 import VERDICTS, Acknowledgment999, TransactionResult, read_999

BAD_FILE = "bad_acknowledgement"
MAX_BYTES = 50 * 1024 * 1024
NOTE_LENGTH = 300


class AcknowledgementError(DomainError):
    """The file cannot be imported; ``message`` names the segment and position of the fault."""

    def __init__(self, message: str, x12_error: X12Error | None = None):
        super().__init__(BAD_FILE, message, "file", status=422)
        self.x12_error = x12_error


@dataclass
class ImportResult:
    """What one import did: the kept file (with its counts and report) and whether it was
    a file imported before (then nothing changed)."""

    file: AcknowledgementFile
    duplicate: bool = False

    @property
    def kind(self) -> str:
        return self.file.kind

    @property
    def accepted(self) -> int:
        return self.file.accepted_count

    @property
    def rejected(self) -> int:
        return self.file.rejected_count

    @property
    def unknown(self) -> int:
        return self.file.unknown_count

    @property
    def unchanged(self) -> int:
        return self.file.unchanged_count

    @property
    def report_lines(self) -> list[str]:
        return [line for line in self.file.report.splitlines() if line]

    def summary(self) -> str:
        kind = "999" if self.kind == AcknowledgementFile.KIND_999 else "277CA"
        text = (
            f"{kind}: {self.accepted} accepted, {self.rejected} rejected, {self.unknown} unknown"
            f", {self.unchanged} unchanged"
        )
        if self.duplicate:
            when = timezone.localtime(self.file.imported_at).strftime("%Y-%m-%d %H:%M")
            text += f" (already imported {when}; nothing changed this time)"
        return text


@dataclass
class _Tally:
    accepted: int = 0
    rejected: int = 0
    unknown: int = 0
    unchanged: int = 0
    lines: list[str] = field(default_factory=list)


def detect_kind(data: bytes) -> str:
    """'999' or '277' from the first transaction set's ST01; AcknowledgementError otherwise."""
    try:
        document = read_x12(data)
    except X12Error as exc:
        raise _refused(exc) from exc
    ids = [tx.id for tx in document.transactions()]
    if not ids:
        raise AcknowledgementError("The file holds no transaction set (ST ... SE).")
    kinds = set(ids)
    if kinds <= {"999"}:
        return AcknowledgementFile.KIND_999
    if kinds <= {"277"}:
        return AcknowledgementFile.KIND_277
    other = sorted(kinds - {"999", "277"}) or sorted(kinds)
    hint = " (an 835 is a remittance: import it as one)" if "835" in other else ""
    raise AcknowledgementError(
        "The file is not a 999 or 277CA acknowledgement: it holds transaction set "
        f"{', '.join(other)}{hint}."
        + (" A file holds 999s or 277CAs, not both." if kinds >= {"999", "277"} else "")
    )


def _refused(exc: X12Error) -> AcknowledgementError:
    return AcknowledgementError(f"{exc.describe()}. Nothing was imported.", exc)


def import_acknowledgement(data: bytes, *, actor, filename: str = "") -> ImportResult:
    """Apply a 999 or 277CA file to our batches and claims (all or nothing, once per file)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise AcknowledgementError("The file is empty.")
    if len(data) > MAX_BYTES:
        raise AcknowledgementError(f"The file is larger than {MAX_BYTES // 2**20} MB.")
    digest = hashlib.sha256(data).hexdigest()
    earlier = AcknowledgementFile.objects.filter(sha256=digest).first()
    if earlier is not None:
        return ImportResult(earlier, duplicate=True)
    kind = detect_kind(data)
    try:
        parsed = read_999(data) if kind == AcknowledgementFile.KIND_999 else read_277(data)
    except X12Error as exc:
        raise _refused(exc) from exc
    try:
        with transaction.atomic():
            tally = _Tally()
            if kind == AcknowledgementFile.KIND_999:
                for ack in parsed:
                    _apply_999(ack, actor=actor, tally=tally)
            else:
                for ack in parsed:
                    _apply_277(ack, actor=actor, tally=tally)
            kept = AcknowledgementFile.objects.create(
                sha256=digest,
                kind=kind,
                filename=(filename or "")[:255],
                imported_by=actor,
                accepted_count=tally.accepted,
                rejected_count=tally.rejected,
                unknown_count=tally.unknown,
                unchanged_count=tally.unchanged,
                report="\n".join(tally.lines),
                text=data.decode("latin-1"),
            )
    except IntegrityError:
        # The same file imported at the same moment by someone else: theirs counts.
        earlier = AcknowledgementFile.objects.filter(sha256=digest).first()
        if earlier is None:
            raise
        return ImportResult(earlier, duplicate=True)
    return ImportResult(kept)


# -- 999 ----------------------------------------------------------------------------------


def _number(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _find_batch(group: str, transaction_number: str | None) -> ClaimBatch | None:
    number = _number(group)
    if number is None:
        return None
    batch = ClaimBatch.objects.filter(group_control_number=number).first()
    if batch is None or transaction_number is None:
        return batch
    if batch.transaction_control_number == transaction_number.strip():
        return batch
    ours, theirs = _number(batch.transaction_control_number), _number(transaction_number)
    return batch if ours is not None and ours == theirs else None


def _apply_999(ack: Acknowledgment999, *, actor, tally: _Tally) -> None:
    results: list[TransactionResult | None] = list(ack.results) or [None]
    for result in results:
        st02 = result.control_number if result is not None else None
        where = f"group {ack.group_control_number}" + (f", transaction {st02}" if st02 else "")
        batch = _find_batch(ack.group_control_number, st02)
        if batch is None:
            tally.unknown += 1
            tally.lines.append(f"{where}: no batch of ours has these control numbers")
            continue
        status = result.status if result is not None else ack.status
        accepted = result.accepted if result is not None else ack.accepted
        verdict = result.verdict if result is not None else VERDICTS.get(ack.status, ack.status)
        _apply_verdict(batch, result, accepted=accepted, verdict=verdict, status=status,
                       actor=actor, tally=tally)  # fmt: skip


def _errors_text(result: TransactionResult | None, claim_number: str = "") -> str:
    """The 999's segment errors in words: this claim's first, then those naming no claim."""
    if result is None:
        return ""
    mine, general = [], []
    for error in result.segment_errors:
        text = f"segment {error.segment_id} at position {error.position}"
        if error.loop:
            text += f" (loop {error.loop})"
        text += f": {error.description}"
        for element in error.elements:
            text += f"; element {error.segment_id}{element.position:02d}: {element.description}"
            if element.bad_value:
                text += f" ({element.bad_value!r})"
        if error.claim_number and error.claim_number == claim_number:
            mine.append(text)
        elif not error.claim_number:
            general.append(text)
    return "; ".join(mine + general)


def _move(claims: list[tuple[Claim, str, str, str, str]], *, actor) -> None:
    """Apply (claim, from, to, note, payer claim number) moves in bulk, by the rules of
    :func:`~medoffice.billing.services.claims.move_claim`: the move must be allowed by
    ``Claim.TRANSITIONS``, a rejection needs its reason, and each move writes its event.
    The claims are locked by the caller, inside the import's transaction."""
    now = timezone.now()
    changed, events = [], []
    for claim, before, to, note, number in claims:
        if to not in Claim.TRANSITIONS.get(before, ()):  # the callers check; never here
            raise DomainError(BAD_TRANSITION, f"claim {claim.pk} cannot become {to}", None)
        if to == Claim.REJECTED and not note.strip():
            raise DomainError(BAD_TRANSITION, "a rejection needs its reason", None)
        events.append(
            ClaimEvent(claim_id=claim.pk, user=actor, at=now, from_status=before,
                       to_status=to, note=note[:NOTE_LENGTH])
        )  # fmt: skip
        claim.status, claim.status_changed_at = to, now
        if number.strip():
            claim.payer_claim_number = number.strip()[:50]
        changed.append(claim)
    Claim.objects.bulk_update(
        changed, ["status", "status_changed_at", "payer_claim_number"], batch_size=500
    )
    ClaimEvent.objects.bulk_create(events, batch_size=1000)


def _apply_verdict(
    batch: ClaimBatch, result, *, accepted: bool, verdict: str, status: str, actor, tally
) -> None:
    label = f"batch {batch.interchange_control_number:09d}"
    now = timezone.now()
    ClaimBatch.objects.filter(pk=batch.pk).update(acknowledgement=verdict[:100],
                                                  acknowledged_at=now)  # fmt: skip
    claims = list(
        Claim.objects.filter(batches=batch).select_for_update(of=("self",)).order_by("pk")
    )
    waiting = [c for c in claims if c.status == Claim.SUBMITTED]
    tally.unchanged += len(claims) - len(waiting)
    for claim in claims:
        if claim.status != Claim.SUBMITTED:
            tally.lines.append(
                f"{claim.patient_control_number}: {claim.status_label.lower()}, left as it is "
                f"(999 {verdict} for {label})"
            )
    if accepted:
        note = f"999: the clearinghouse {verdict} {label}"
        errors = _errors_text(result)
        if errors:
            note += f": {errors}"
        ClaimEvent.objects.bulk_create(
            (
                ClaimEvent(
                    claim=c, user=actor, at=now, from_status=Claim.SUBMITTED,
                    to_status=Claim.SUBMITTED, note=note[:NOTE_LENGTH],
                )
                for c in waiting
            ),
            batch_size=1000,
        )  # fmt: skip
        tally.accepted += len(waiting)
        tally.lines.append(
            f"{label}: {verdict} by the clearinghouse; {len(waiting)} claim(s) stay submitted "
            "until the payer's 277CA"
        )
        return
    moves = []
    for claim in waiting:
        errors = _errors_text(result, claim.patient_control_number)
        reason = f"999: the clearinghouse {verdict} {label}" + (f": {errors}" if errors else "")
        moves.append((claim, claim.status, Claim.REJECTED, reason, ""))
        tally.rejected += 1
        tally.lines.append(f"{claim.patient_control_number}: rejected ({reason[:NOTE_LENGTH]})")
    _move(moves, actor=actor)


# -- 277CA --------------------------------------------------------------------------------

LOOKUP_CHUNK = 2000


def _apply_277(ack: ClaimAcknowledgment, *, actor, tally: _Tally) -> None:
    numbers = sorted({r.patient_control_number for r in ack.claims})
    known: dict[str, Claim] = {}
    for i in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[i : i + LOOKUP_CHUNK]
        for claim in Claim.objects.filter(patient_control_number__in=chunk).select_for_update():
            known[claim.patient_control_number] = claim
    moves = []
    for report in ack.claims:
        number = report.patient_control_number
        claim = known.get(number)
        if claim is None:
            tally.unknown += 1
            tally.lines.append(f"{number}: no claim of ours has this number")
            continue
        reason = f"277CA: {report.reason}"
        if report.rejected and claim.status == Claim.SUBMITTED:
            moves.append((claim, claim.status, Claim.REJECTED, reason, ""))
            claim.status = Claim.REJECTED  # a second report on the claim finds it moved
            tally.rejected += 1
            tally.lines.append(f"{number}: rejected ({report.reason})")
        elif report.accepted and claim.status == Claim.SUBMITTED:
            moves.append((claim, claim.status, Claim.ACCEPTED, reason, report.payer_claim_number))
            claim.status = Claim.ACCEPTED
            tally.accepted += 1
            payer_number = (
                f", payer claim number {report.payer_claim_number}"
                if report.payer_claim_number
                else ""
            )
            tally.lines.append(f"{number}: accepted{payer_number}")
        else:
            tally.unchanged += 1
            said = "rejected" if report.rejected else "accepted" if report.accepted else "pending"
            tally.lines.append(
                f"{number}: {claim.status_label.lower()}, left as it is (the 277 says "
                f"{said}: {report.reason})"
            )
    _move(moves, actor=actor)
