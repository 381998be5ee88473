"""Claims: list with filters and status counts, detail with history and findings, status
moves, replacement and void, and the scrubber (run it, read and set its rules)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema, Status

from medoffice.billing import errors as billing_errors
from medoffice.billing import selectors
from medoffice.billing.api.common import ERRORS, Id, find, get_or_404, log_access, require_perm
from medoffice.billing.errors import PERMISSION_DENIED, DomainError
from medoffice.billing.models import Claim, ScrubRule
from medoffice.billing.services import claims as claim_services
from medoffice.billing.services.scrubber import scrub_claims, set_rule_default, set_rule_for_payer
from medoffice.billing.views.common import may_set_rules
from medoffice.core.audit import UPDATE, VIEW
from medoffice.patients.models import Payer

router = Router()
StatusName = Literal[
    "draft", "scrubbed", "ready", "submitted", "accepted", "rejected", "paid", "denied",
    "partly_paid", "closed",
]  # fmt: skip


class ClaimLineOut(Schema):
    line_number: int
    code: str
    modifiers: list[str]
    units: int
    pointers: list[int]
    charge: Decimal
    date_of_service: dt.date


class EventOut(Schema):
    at: dt.datetime
    user: str | None
    from_status: str
    to_status: str
    note: str


class FindingOut(Schema):
    rule: str
    title: str
    severity: str
    message: str
    hint: str
    field: str
    line_number: int | None


class ClaimOut(Schema):
    id: int
    patient_control_number: str
    status: str
    frequency_code: str
    original: int | None
    original_payer_claim_number: str
    payer_claim_number: str
    charge: int
    patient: int
    payer: int
    payer_name: str
    payer_order: int
    coverage: int
    date_of_service: dt.date
    place_of_service: str
    rendering_provider: int
    billing_provider: int | None
    referring_npi: str
    prior_authorization: str
    diagnoses: list[str]
    total_charge: Decimal
    lines: list[ClaimLineOut]
    events: list[EventOut]
    findings: list[FindingOut]


class ClaimRowOut(Schema):
    id: int
    patient_control_number: str
    status: str
    frequency_code: str
    patient: int
    patient_name: str
    payer: int
    payer_name: str
    date_of_service: dt.date
    total_charge: Decimal
    errors: int
    warnings: int


class ClaimPageOut(Schema):
    count: int
    status_counts: dict[str, int]
    results: list[ClaimRowOut]


class MoveIn(Schema):
    to: StatusName
    note: Annotated[str, Field(max_length=300)] = ""
    payer_claim_number: Annotated[str, Field(max_length=50)] = ""


class NoteIn(Schema):
    note: Annotated[str, Field(max_length=300)] = ""


class ScrubIn(Schema):
    claims: Annotated[list[Id], Field(min_length=1, max_length=20000)]


class ScrubOut(Schema):
    claims: int
    clean: int
    with_errors: int
    skipped: int
    findings: int
    by_rule: dict[str, int]


class RuleOut(Schema):
    code: str
    title: str
    message: str
    hint: str
    severity: str
    enabled: bool
    payers: dict[int, bool]


class RuleIn(Schema):
    enabled: bool
    severity: Literal["error", "warning"] | None = None


class PayerRuleIn(Schema):
    enabled: bool | None  # None: back to the rule's default


def claim_out(claim: Claim) -> dict:
    return {
        "id": claim.pk,
        "patient_control_number": claim.patient_control_number,
        "status": claim.status,
        "frequency_code": claim.frequency_code,
        "original": claim.original_id,
        "original_payer_claim_number": claim.original_payer_claim_number,
        "payer_claim_number": claim.payer_claim_number,
        "charge": claim.charge_id,
        "patient": claim.patient_id,
        "payer": claim.payer_id,
        "payer_name": claim.payer.name,
        "payer_order": claim.payer_order,
        "coverage": claim.coverage_id,
        "date_of_service": claim.date_of_service,
        "place_of_service": claim.place_of_service,
        "rendering_provider": claim.rendering_provider_id,
        "billing_provider": claim.billing_provider_id,
        "referring_npi": claim.referring_npi,
        "prior_authorization": claim.prior_authorization,
        "diagnoses": claim.diagnoses,
        "total_charge": claim.total_charge,
        "lines": [
            {
                "line_number": x.line_number,
                "code": x.code,
                "modifiers": x.modifiers.split(),
                "units": x.units,
                "pointers": x.pointers,
                "charge": x.charge_amount,
                "date_of_service": x.date_of_service,
            }
            for x in claim.lines.all()
        ],
        "events": [
            {
                "at": e.at,
                "user": e.user.get_username() if e.user_id else None,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": e.note,
            }
            for e in claim.events.all()
        ],
        "findings": [
            {
                "rule": f.rule.code,
                "title": f.rule.title,
                "severity": f.severity,
                "message": f.message,
                "hint": f.rule.hint,
                "field": f.field,
                "line_number": f.line_number,
            }
            for f in claim.findings.all()
        ],
    }


def _claim(request, claim_id: int) -> Claim:
    claim = selectors.claim_detail(claim_id)
    if claim is None:
        get_or_404(Claim.objects.none(), claim_id, "claim")
    return claim


class ClaimQuery(Schema):
    status: StatusName | None = None
    payer: Id | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    q: Annotated[str, Field(max_length=60)] = ""
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    offset: Annotated[int, Field(ge=0, le=10_000_000)] = 0


@router.get(
    "/billing/claims",
    response={200: ClaimPageOut, **ERRORS},
    summary="Claims by status, payer and date of service, with the count per status",
)
def list_claims(request, query: Query[ClaimQuery]):
    require_perm(request, "billing.view_claim", "see claims")
    filters = selectors.ClaimFilters(
        status=query.status or "",
        payer_id=query.payer,
        since=query.since,
        until=query.until,
        text=query.q,
    )
    qs = selectors.claim_list(filters)
    rows = qs[query.offset : query.offset + query.limit]
    return {
        "count": qs.count(),
        "status_counts": {s: n for s, _label, n in selectors.claim_status_counts(filters)},
        "results": [
            {
                "id": c.pk,
                "patient_control_number": c.patient_control_number,
                "status": c.status,
                "frequency_code": c.frequency_code,
                "patient": c.patient_id,
                "patient_name": f"{c.patient.last_name}, {c.patient.first_name}",
                "payer": c.payer_id,
                "payer_name": c.payer.name,
                "date_of_service": c.date_of_service,
                "total_charge": c.total_charge,
                "errors": c.errors,
                "warnings": c.warnings,
            }
            for c in rows
        ],
    }


@router.get("/billing/claims/{claim_id}", response={200: ClaimOut, **ERRORS}, summary="A claim")
def get_claim(request, claim_id: Id):
    require_perm(request, "billing.view_claim", "see claims")
    claim = _claim(request, claim_id)
    log_access(
        request, patient_id=claim.patient_id, action=VIEW, object_type="claim", object_id=claim.pk
    )
    return claim_out(claim)


@router.post(
    "/billing/claims/{claim_id}/status",
    response={200: ClaimOut, **ERRORS},
    summary="Move a claim along its lifecycle (409 bad_transition when the move is not allowed)",
)
def move_claim(request, claim_id: Id, body: MoveIn):
    require_perm(request, "billing.change_claim", "change claims")
    claim = _claim(request, claim_id)
    if body.to == Claim.DRAFT:
        claim_services.reopen_claim(actor=request.auth, claim=claim, note=body.note)
    else:
        claim_services.move_claim(
            actor=request.auth,
            claim=claim,
            to=body.to,
            note=body.note,
            payer_claim_number=body.payer_claim_number,
        )
    log_access(
        request, patient_id=claim.patient_id, action=UPDATE, object_type="claim", object_id=claim.pk
    )
    return claim_out(_claim(request, claim_id))


def _correct(request, claim_id: int, body: NoteIn, service):
    require_perm(request, "billing.add_claim", "make claims")
    claim = _claim(request, claim_id)
    new = service(actor=request.auth, claim=claim, note=body.note)
    log_access(
        request, patient_id=claim.patient_id, action=UPDATE, object_type="claim", object_id=new.pk
    )
    return Status(201, claim_out(_claim(request, new.pk)))


@router.post(
    "/billing/claims/{claim_id}/replace",
    response={201: ClaimOut, **ERRORS},
    summary="A replacement claim (frequency 7) with the corrected charges",
)
def replace_claim(request, claim_id: Id, body: NoteIn):
    return _correct(request, claim_id, body, claim_services.replace_claim)


@router.post(
    "/billing/claims/{claim_id}/void",
    response={201: ClaimOut, **ERRORS},
    summary="A void claim (frequency 8); the note (why) is required",
)
def void_claim(request, claim_id: Id, body: NoteIn):
    return _correct(request, claim_id, body, claim_services.void_claim)


@router.post(
    "/billing/scrub",
    response={200: ScrubOut, **ERRORS},
    summary="Scrub claims not yet sent; clean drafts become scrubbed",
)
def scrub(request, body: ScrubIn):
    require_perm(request, "billing.change_claim", "scrub claims")
    summary = scrub_claims(actor=request.auth, claim_ids=body.claims)
    return {
        "claims": summary.claims,
        "clean": summary.clean,
        "with_errors": summary.with_errors,
        "skipped": summary.skipped,
        "findings": summary.findings,
        "by_rule": summary.by_rule,
    }


class ReadyIn(Schema):
    claims: Annotated[list[Id], Field(min_length=1, max_length=20000)]


class ReadyOut(Schema):
    moved: int
    held: int
    held_because: dict[str, int]
    message: str


@router.post(
    "/billing/mark-ready",
    response={200: ReadyOut, **ERRORS},
    summary="Mark ready to send every scrubbed claim listed that has no scrubber error; the "
    "others stay, counted by why",
)
def mark_ready_many(request, body: ReadyIn):
    require_perm(request, "billing.change_claim", "mark claims ready to send")
    summary = claim_services.mark_scrubbed_ready(actor=request.auth, claim_ids=body.claims)
    return {
        "moved": summary.moved,
        "held": summary.held_count,
        "held_because": summary.held,
        "message": summary.describe(),
    }


def _rule(rule: ScrubRule) -> dict:
    return {
        "code": rule.code,
        "title": rule.title,
        "message": rule.message,
        "hint": rule.hint,
        "severity": rule.severity,
        "enabled": rule.enabled,
        "payers": {p.payer_id: p.enabled for p in rule.payer_settings.all()},
    }


@router.get(
    "/billing/scrub-rules", response={200: list[RuleOut], **ERRORS}, summary="The rule table"
)
def list_rules(request):
    require_perm(request, "billing.view_scrubrule", "see the scrubber's rules")
    return [_rule(r) for r in ScrubRule.objects.prefetch_related("payer_settings")]


def _office_manager(request) -> None:
    require_perm(request, "billing.change_scrubrule", "change the scrubber's rules")
    if not may_set_rules(request.auth):
        raise DomainError(
            PERMISSION_DENIED, "Only the office manager changes the scrubber's rules.", None,
            status=403,
        )  # fmt: skip


def _rule_or_404(code: str) -> ScrubRule:
    rule = ScrubRule.objects.filter(code=code).first()
    if rule is None:
        raise billing_errors.not_found("scrub rule", code)
    return rule


@router.put(
    "/billing/scrub-rules/{code}",
    response={200: RuleOut, **ERRORS},
    summary="Turn a rule on or off for every payer (and set its severity)",
)
def change_rule(request, code: Annotated[str, Field(max_length=40)], body: RuleIn):
    _office_manager(request)
    rule = set_rule_default(rule=_rule_or_404(code), enabled=body.enabled, severity=body.severity)
    return _rule(rule)


@router.put(
    "/billing/scrub-rules/{code}/payers/{payer_id}",
    response={200: RuleOut, **ERRORS},
    summary="Turn a rule on or off for one payer (null: follow the rule's default)",
)
def change_rule_for_payer(
    request, code: Annotated[str, Field(max_length=40)], payer_id: Id, body: PayerRuleIn
):
    _office_manager(request)
    rule = _rule_or_404(code)
    payer = find(Payer, payer_id, "payer", "payer")
    set_rule_for_payer(rule=rule, payer=payer, enabled=body.enabled)
    return _rule(ScrubRule.objects.prefetch_related("payer_settings").get(pk=rule.pk))
