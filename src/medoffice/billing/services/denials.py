"""Working denials: correct and resubmit, appeal (a letter as PDF), write off, move to the patient.

Posting an 835 opens a :class:`Denial` when a payer refuses a claim or a line;
its amount stays on that payer's balance of the visit until one of these
actions decides where it goes:

* :func:`resubmit_corrected` — the claim goes out again corrected: a
  replacement claim (frequency 7) when the payer numbered it, or the claim
  reopened when it was rejected or never sent. The balance stays with the
  payer, who will answer the new claim.
* :func:`appeal` — records the appeal (who, when, the office's words) in the
  denial's note; :func:`appeal_letter_pdf` renders the letter from the denial
  and that record, the same bytes every time it is asked for.
* :func:`request_write_off` — a write-off at or below the policy's threshold
  is approved and posted at once; above it waits until an office manager
  :func:`approve_write_off` or :func:`refuse_write_off` it.
* :func:`move_to_patient` — the amount moves from the payer's share to the
  patient's (TRANSFER −amount payer, +amount patient), and a credit the patient
  holds on account is applied to it.

Every ledger write goes through :mod:`medoffice.billing.services.ledger`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from medoffice.billing import carc
from medoffice.billing.errors import BAD_TRANSITION, PERMISSION_DENIED, DomainError, FieldErrors
from medoffice.billing.models import (
    BillingPolicy,
    Claim,
    Denial,
    LedgerEntry,
    LinePayment,
    WriteOffRequest,
)
from medoffice.billing.services import claims as claim_services
from medoffice.billing.services import ledger
from medoffice.billing.services.patient_money import apply_credits
from medoffice.core import roles
from medoffice.core.models import Practice

CENT = Decimal("0.01")
DEFAULT_APPROVAL_ABOVE = Decimal("100.00")
WORKING = (Denial.OPEN, Denial.APPEALED)
APPEAL_TEXT_MAX = 4000
APPEAL_HEAD = re.compile(r"^\[(\d{4}-\d{2}-\d{2}) [0-9:]+ · ([^\]]*)\] Appealed:$")


# --- helpers -------------------------------------------------------------------------------


def approval_threshold() -> Decimal:
    """Write-offs above this wait for an office manager (the policy's first row, else 100)."""
    policy = BillingPolicy.objects.order_by("pk").first()
    if policy is None:
        return DEFAULT_APPROVAL_ABOVE
    return Decimal(policy.write_off_approval_above).quantize(CENT)


def may_decide_write_offs(user) -> bool:
    """Only an office manager decides write-offs above the threshold: the role is read from
    the user's groups (core.roles), since billers hold the same billing permissions."""
    return (
        user is not None
        and user.is_authenticated
        and user.has_perm("billing.change_writeoffrequest")
        and roles.OFFICE_MANAGER in roles.roles_of(user)
    )


def _who(actor) -> str:
    return actor.get_username() if actor is not None else "system"


def _stamp(actor, text: str, *, now: dt.datetime | None = None) -> str:
    now = timezone.localtime(now or timezone.now())
    return f"[{now:%Y-%m-%d %H:%M} · {_who(actor)}] {text}"


def _add_note(denial: Denial, line: str) -> None:
    denial.note = f"{denial.note}\n{line}".strip() if denial.note else line


def _locked(denial: Denial) -> Denial:
    denial = Denial.objects.select_for_update().select_related("claim").get(pk=denial.pk)
    if denial.status not in WORKING:
        raise DomainError(
            BAD_TRANSITION,
            f"This denial is already closed ({denial.get_status_display().lower()}).",
            "status",
            status=409,
        )
    return denial


def _close(denial: Denial, *, actor, status: str, note: str) -> Denial:
    denial.status = status
    denial.closed_at = timezone.now()
    denial.closed_by = actor
    _add_note(denial, _stamp(actor, note, now=denial.closed_at))
    denial.save(update_fields=["status", "closed_at", "closed_by", "note"])
    return denial


def parse_amount(raw, field: str = "amount") -> Decimal:
    """A positive amount of money with at most two decimal places, or a field error."""
    try:
        amount = Decimal(str(raw).strip().lstrip("$").replace(",", ""))
    except (InvalidOperation, ValueError):
        raise FieldErrors({field: ["Enter an amount such as 45.00."]}) from None
    if not amount.is_finite():
        raise FieldErrors({field: ["Enter an amount such as 45.00."]})
    if amount <= 0:
        raise FieldErrors({field: ["The amount must be more than zero."]})
    if amount != amount.quantize(CENT):
        raise FieldErrors({field: ["Use at most two decimal places (cents)."]})
    if amount >= Decimal("10000000000"):
        raise FieldErrors({field: ["The amount is too large."]})
    return amount.quantize(CENT)


def _payer_owes(claim: Claim, payer_id: int) -> Decimal:
    return ledger.payer_balance(charge_id=claim.charge_id, payer_id=payer_id)


# --- correct and resubmit ------------------------------------------------------------------


@transaction.atomic
def resubmit_corrected(*, denial: Denial, actor, note: str) -> Claim:
    """Send the denied claim again, corrected: a replacement claim for one the payer numbered,
    the claim itself reopened when it was rejected or never sent. Every open denial of the
    claim closes as resubmitted (the new claim carries all its lines). Returns the claim to
    scrub and send."""
    if not (note or "").strip():
        raise FieldErrors({"note": ["Say what was corrected."]})
    note = note.strip()
    denial = _locked(denial)
    claim = Claim.objects.select_for_update().get(pk=denial.claim_id)
    if claim.status in (*Claim.UNSENT, Claim.REJECTED):
        lines = claim.lines.all()
        if (
            LinePayment.objects.filter(claim_line__in=lines).exists()
            or LedgerEntry.objects.filter(claim_line__in=lines).exists()
        ):
            # Reopening copies the charges again over the claim's lines, which the payer's
            # answer and the books point to: the correction must go out as a new claim.
            raise DomainError(
                BAD_TRANSITION,
                "The payer's answer is recorded against this claim's lines; it cannot be "
                "reopened. Correct the charges and build a new claim.",
                None,
                status=409,
            )
        if claim.status == Claim.DRAFT:
            target = claim_services.refresh_claim(claim=claim)
        else:
            target = claim_services.reopen_claim(actor=actor, claim=claim, note=note)
        what = f"claim {claim.patient_control_number} reopened to correct"
    else:
        if not claim.payer_claim_number and denial.claim_payment.payer_claim_number:
            # The 835 gives the payer's number for the claim; a replacement must name it.
            claim.payer_claim_number = denial.claim_payment.payer_claim_number[:50]
            claim.save(update_fields=["payer_claim_number"])
        target = claim_services.replace_claim(actor=actor, claim=claim, note=note)
        what = f"replacement claim {target.patient_control_number} made"
    siblings = Denial.objects.select_for_update().filter(claim=claim, status__in=WORKING)
    for other in siblings:
        _close(other, actor=actor, status=Denial.RESUBMITTED, note=f"Resubmitted: {what}. {note}")
    denial.refresh_from_db()
    return target


# --- appeal --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppealRecord:
    day: dt.date
    by: str
    text: str


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def recorded_appeal(denial: Denial) -> AppealRecord | None:
    """The latest appeal written in the denial's note (date, who, the office's words)."""
    lines = denial.note.splitlines()
    found = None
    for i, line in enumerate(lines):
        head = APPEAL_HEAD.match(line)
        if head:
            body = []
            for follow in lines[i + 1 :]:
                if not follow.startswith("  "):
                    break
                body.append(follow[2:])
            found = AppealRecord(dt.date.fromisoformat(head[1]), head[2], "\n".join(body))
    return found


def _clean_appeal_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise FieldErrors({"text": ["Write why the claim should be paid."]})
    if len(text) > APPEAL_TEXT_MAX:
        raise FieldErrors({"text": [f"Keep the appeal under {APPEAL_TEXT_MAX} characters."]})
    # Blank lines are kept as paragraph breaks; each line is indented in the note.
    return "\n".join(line.rstrip() for line in text.split("\n"))


@transaction.atomic
def appeal(*, denial: Denial, actor, text: str) -> Denial:
    """Record an appeal of the denial (status appealed; the denial stays in the work queue
    until the payer answers). The letter is :func:`appeal_letter_pdf` of the denial."""
    text = _clean_appeal_text(text)
    denial = _locked(denial)
    denial.status = Denial.APPEALED
    _add_note(denial, _stamp(actor, "Appealed:"))
    denial.note += "\n" + _indent(text)
    denial.save(update_fields=["status", "note"])
    return denial


def appeal_context(denial: Denial, *, text: str, day: dt.date) -> dict:
    claim = denial.claim
    patient = claim.patient
    payment = denial.claim_payment
    reason = carc.carc(denial.reason_code)
    return {
        "denial": denial,
        "claim": claim,
        "patient": patient,
        "member_id": claim.coverage.member_id or payment.member_id,
        "payer": denial.payer,
        "practice": Practice.objects.order_by("pk").first(),
        "provider": claim.rendering_provider,
        "payer_claim_number": payment.payer_claim_number or claim.payer_claim_number,
        "line": denial.line,
        "reason": reason,
        "group": carc.group_label(denial.group),
        "remarks": carc.remark_list(denial.remark_codes),
        "paragraphs": [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()],
        "day": day,
    }


def appeal_letter_html(denial: Denial, *, text: str | None = None, day: dt.date | None = None):
    """The letter as HTML: for ``text`` (a preview) or for the appeal recorded on the denial."""
    if text is None:
        record = recorded_appeal(denial)
        if record is None:
            raise DomainError(
                BAD_TRANSITION, "This denial has not been appealed yet.", "text", status=409
            )
        text, day = record.text, record.day
    else:
        text = _clean_appeal_text(text)
    day = day or timezone.localdate()
    return render_to_string(
        "billing/appeal_letter.html", appeal_context(denial, text=text, day=day)
    )


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango is slow and only letters need it

    return HTML(string=html).write_pdf()


def appeal_letter_pdf(denial: Denial, *, text: str | None = None) -> bytes:
    """The appeal letter as PDF, made again from the denial each time (nothing is stored)."""
    return html_to_pdf(appeal_letter_html(denial, text=text))


# --- move to the patient -------------------------------------------------------------------


@transaction.atomic
def move_to_patient(*, denial: Denial, actor, note: str = "") -> Denial:
    """The denied amount (or what is left of it on the payer's balance) becomes the patient's:
    TRANSFER −amount on the payer's share of the visit, +amount on the patient's."""
    denial = _locked(denial)
    claim = denial.claim
    owed = _payer_owes(claim, denial.payer_id)
    amount = min(denial.amount, owed)
    if amount <= 0:
        raise DomainError(
            BAD_TRANSITION,
            f"{denial.payer.name} owes nothing on this visit any more; nothing to move.",
            "amount",
            status=409,
        )
    why = f"Denied {denial.group}-{denial.reason_code}: moved to the patient"
    links = {"charge_id": claim.charge_id, "claim": claim, "claim_line": _claim_line(denial)}
    common = {"patient_id": claim.patient_id, "actor": actor, "reason_code": denial.reason_code}
    ledger.post(
        kind=LedgerEntry.TRANSFER, amount=-amount, payer_id=denial.payer_id,
        adjustment_group=denial.group, note=why, **common, **links,
    )  # fmt: skip
    ledger.post(
        kind=LedgerEntry.TRANSFER, amount=amount, payer_id=None,
        adjustment_group="PR", note=why, **common, **links,
    )  # fmt: skip
    text = f"Moved ${amount} to the patient."
    if note.strip():
        text += f" {note.strip()}"
    closed = _close(denial, actor=actor, status=Denial.TO_PATIENT, note=text)
    apply_credits(claim.patient_id, actor)  # a credit the patient holds pays the share now
    return closed


def _claim_line(denial: Denial):
    return denial.line.claim_line if denial.line_id else None


# --- resolve -------------------------------------------------------------------------------


@transaction.atomic
def resolve(*, denial: Denial, actor, note: str) -> Denial:
    """Close a denial that needs nothing more (the payer paid on appeal, or it was an error);
    no money moves."""
    if not (note or "").strip():
        raise FieldErrors({"note": ["Say how the denial was resolved."]})
    denial = _locked(denial)
    return _close(denial, actor=actor, status=Denial.RESOLVED, note=f"Resolved: {note.strip()}")


def resolve_reversed(pairs: list[tuple[Denial, str]], *, actor) -> None:
    """Close denials the payer itself took back (an 835 reversal, CLP02 22): each resolved,
    with ``why`` in its note; no money moves (the reversal and the payment after it post
    their own). For posting, many at once: the caller holds the denials locked."""
    now = timezone.now()
    for denial, why in pairs:
        denial.status = Denial.RESOLVED
        denial.closed_at = now
        denial.closed_by = actor
        _add_note(denial, _stamp(actor, f"Resolved: {why}", now=now))
    Denial.objects.bulk_update(
        [d for d, _ in pairs], ["status", "closed_at", "closed_by", "note"], batch_size=500
    )


# --- write-offs ----------------------------------------------------------------------------


def _target(*, denial, claim, patient, patient_share: bool):
    """(claim, patient, payer id or None, charge id or None) of a write-off, checked."""
    given = [x for x in (denial, claim) if x is not None]
    if len(given) > 1:
        raise FieldErrors({None: ["Write off a denial or a claim's balance, not both."]})
    if denial is not None:
        return denial.claim, denial.claim.patient, denial.payer_id, denial.claim.charge_id
    if claim is not None:
        payer_id = None if patient_share else claim.payer_id
        return claim, claim.patient, payer_id, claim.charge_id
    if patient is None:
        raise FieldErrors({None: ["Say what to write off: a denial, a claim or a patient."]})
    return None, patient, None, None


def _open_balance(*, patient_id: int, payer_id, charge_id) -> Decimal:
    if payer_id is not None:
        return ledger.payer_balance(charge_id=charge_id, payer_id=payer_id)
    return ledger.patient_balance(patient_id)


def _post_write_off(req: WriteOffRequest, *, actor) -> None:
    claim = req.claim
    charge_id = claim.charge_id if claim is not None else None
    owed = _open_balance(patient_id=req.patient_id, payer_id=req.payer_id, charge_id=charge_id)
    if req.amount > owed:
        whose = req.payer.name if req.payer_id else "The patient"
        raise FieldErrors(
            {"amount": [f"{whose} owes only ${max(owed, Decimal(0)):.2f}; write off no more."]}
        )
    denial = req.denial
    ledger.post(
        kind=LedgerEntry.WRITE_OFF,
        amount=-req.amount,
        patient_id=req.patient_id,
        actor=actor,
        charge_id=charge_id,
        payer_id=req.payer_id,
        claim=claim,
        claim_line=_claim_line(denial) if denial is not None else None,
        adjustment_group=denial.group if denial is not None else "",
        reason_code=denial.reason_code if denial is not None else "",
        note=f"Write-off: {req.reason}"[:300],
    )
    if denial is not None:
        denial = Denial.objects.select_for_update().get(pk=denial.pk)
        if denial.status in WORKING:
            _close(
                denial,
                actor=actor,
                status=Denial.WRITTEN_OFF,
                note=f"Written off ${req.amount}: {req.reason}",
            )


@transaction.atomic
def request_write_off(
    *,
    actor,
    amount,
    reason: str,
    denial: Denial | None = None,
    claim: Claim | None = None,
    patient=None,
    patient_share: bool = False,
) -> WriteOffRequest:
    """Ask to write off ``amount`` of a denial's payer balance, of a claim's payer balance
    (or, ``patient_share``, of the patient's balance for that visit), or of a patient's
    balance. At or below :func:`approval_threshold` it is approved and posted at once
    (WRITE_OFF −amount); above it waits for an office manager."""
    problems: dict[str | None, list[str]] = {}
    try:
        amount = parse_amount(amount)
    except FieldErrors as exc:
        problems.update(exc.errors)
    reason = (reason or "").strip()
    if not reason:
        problems["reason"] = ["Say why this is written off."]
    elif len(reason) > 200:
        problems["reason"] = ["Keep the reason under 200 characters."]
    if problems:
        raise FieldErrors(problems)
    if denial is not None:
        denial = _locked(denial)
        if denial.write_offs.filter(status=WriteOffRequest.PENDING).exists():
            raise DomainError(
                BAD_TRANSITION,
                "A write-off of this denial is already waiting for approval.",
                None,
                status=409,
            )
    claim, patient, payer_id, charge_id = _target(
        denial=denial, claim=claim, patient=patient, patient_share=patient_share
    )
    owed = _open_balance(patient_id=patient.pk, payer_id=payer_id, charge_id=charge_id)
    if amount > owed:
        whose = "The payer" if payer_id else "The patient"
        raise FieldErrors(
            {"amount": [f"{whose} owes only ${max(owed, Decimal(0)):.2f}; write off no more."]}
        )
    req = WriteOffRequest.objects.create(
        denial=denial,
        claim=claim,
        patient=patient,
        payer_id=payer_id,
        amount=amount,
        reason=reason,
        requested_by=actor,
    )
    if amount <= approval_threshold():
        req.status = WriteOffRequest.APPROVED
        req.decided_at = timezone.now()
        req.decided_by = actor  # within the policy: the requester's own say is enough
        req.save(update_fields=["status", "decided_at", "decided_by"])
        _post_write_off(req, actor=actor)
    elif denial is not None:
        _add_note(denial, _stamp(actor, f"Write-off of ${amount} asked for: {reason}"))
        denial.save(update_fields=["note"])
    return req


def _pending(req: WriteOffRequest, actor) -> WriteOffRequest:
    if not may_decide_write_offs(actor):
        raise DomainError(
            PERMISSION_DENIED, "Only an office manager decides write-offs.", None, status=403
        )
    req = WriteOffRequest.objects.select_for_update().get(pk=req.pk)
    if req.status != WriteOffRequest.PENDING:
        raise DomainError(
            BAD_TRANSITION,
            f"This write-off was already decided ({req.get_status_display().lower()}).",
            "status",
            status=409,
        )
    return req


@transaction.atomic
def approve_write_off(*, request: WriteOffRequest, actor) -> WriteOffRequest:
    """An office manager approves a waiting write-off: it is posted now."""
    req = _pending(request, actor)
    req.status = WriteOffRequest.APPROVED
    req.decided_at = timezone.now()
    req.decided_by = actor
    req.save(update_fields=["status", "decided_at", "decided_by"])
    _post_write_off(req, actor=actor)
    return req


@transaction.atomic
def refuse_write_off(*, request: WriteOffRequest, actor, note: str = "") -> WriteOffRequest:
    """An office manager refuses a waiting write-off: nothing is posted; its denial stays open."""
    req = _pending(request, actor)
    req.status = WriteOffRequest.REFUSED
    req.decided_at = timezone.now()
    req.decided_by = actor
    req.save(update_fields=["status", "decided_at", "decided_by"])
    if req.denial_id:
        denial = Denial.objects.select_for_update().get(pk=req.denial_id)
        text = f"Write-off of ${req.amount} refused"
        _add_note(denial, _stamp(actor, f"{text}: {note.strip()}" if note.strip() else text))
        denial.save(update_fields=["note"])
    return req
