"""The claim scrubber: run the rule table over claims before they leave the office.

``scrub_claims`` checks claims in chunks (a few queries per chunk, whatever the
number of claims), replaces each claim's findings, and moves it: a draft with
no errors becomes *scrubbed*; a scrubbed or ready claim with errors goes back
to *draft*. Each move writes its :class:`ClaimEvent` like every other status
change. Only claims not yet sent (draft, scrubbed, ready) are scrubbed.

Each rule is a few lines below, named by its code in the rule table
(:mod:`medoffice.billing.scrub_rules`); a rule the office manager has turned
off for the claim's payer is skipped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import transaction
from django.utils import timezone

from medoffice.billing import codes
from medoffice.billing.errors import FieldErrors
from medoffice.billing.models import (
    Claim,
    ClaimEvent,
    ClaimLine,
    PayerScrubRule,
    ScrubFinding,
    ScrubRule,
)
from medoffice.billing.scrub_rules import sync_scrub_rules
from medoffice.core.crypto import identifier_hash
from medoffice.core.models import Practice
from medoffice.core.validators import npi_check_digit_ok
from medoffice.patients.models import Coverage

CHUNK = 2000
TELEHEALTH_POS = ("02", "10")
TELEHEALTH_MODIFIERS = {"95", "93", "GT", "FQ"}
MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
DEFAULT_MAX_UNITS = 24


def _is_visit_code(code: str) -> bool:
    """Evaluation and management visits (99202-99499) and Medicare wellness visits."""
    return (code.isdigit() and "99202" <= code <= "99499") or code in ("G0438", "G0439")


def max_units(code: str) -> int:
    """A plausible daily maximum of units for ``code``."""
    if _is_visit_code(code):
        return 1
    if code.startswith("J"):  # drugs are billed per dose unit
        return 400
    return DEFAULT_MAX_UNITS


@lru_cache(maxsize=20_000)
def _icd_problem(code: str) -> str | None:
    normal, status = codes.icd_status(code)
    if status == "billable":
        return None if normal == code else f"{code} should be written {normal}."
    if status == "not_billable":
        return f"{normal} is a category, not a billable code."
    return f"“{code}” is not an ICD-10-CM code."


@dataclass
class Found:
    code: str
    message: str
    field: str = ""
    line_number: int | None = None


@dataclass
class ScrubSummary:
    claims: int = 0
    clean: int = 0
    with_errors: int = 0
    skipped: int = 0
    findings: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)


class _Rules:
    """Which rules are on for which payer (read once per scrub)."""

    def __init__(self):
        rules = {r.code: r for r in ScrubRule.objects.all()}
        if not rules:
            sync_scrub_rules()
            rules = {r.code: r for r in ScrubRule.objects.all()}
        self.by_code = rules
        self.overrides = {(p.payer_id, p.rule_id): p.enabled for p in PayerScrubRule.objects.all()}

    def on(self, payer_id: int, code: str) -> bool:
        rule = self.by_code.get(code)
        if rule is None:
            return False
        return self.overrides.get((payer_id, rule.pk), rule.enabled)


def _npi_problem(npi: str) -> bool:
    return not npi_check_digit_ok(npi or "")


def check_claim(
    claim: Claim, *, lines, today: dt.date, group_npi: str, empty_id_hash: str | None = None
) -> list[Found]:
    """Every rule's findings for one claim (all rules, before per-payer choices)."""
    found: list[Found] = []
    dx = claim.diagnoses
    dos = claim.date_of_service
    if not lines:
        found.append(Found("no_lines", "The claim has no service lines."))
    if not dx:
        found.append(Found("diagnosis_missing", "The claim has no diagnosis.", "diagnoses"))
    for i, code in enumerate(dx, start=1):
        problem = _icd_problem(code)
        if problem:
            found.append(Found("diagnosis_invalid", f"Diagnosis {i}: {problem}", f"diagnoses.{i}"))
    seen: dict[tuple[str, str, dt.date], int] = {}
    telehealth = claim.place_of_service in TELEHEALTH_POS
    for line in lines:
        n = line.line_number
        parts = [p for p in line.diagnosis_pointers.split(",") if p]
        if not parts:
            found.append(
                Found(
                    "pointer_missing", f"Line {n} points to no diagnosis.", f"lines.{n}.pointers", n
                )
            )
        bad = [p for p in parts if not p.isdigit() or not 1 <= int(p) <= len(dx)]
        if bad:
            found.append(
                Found(
                    "pointer_out_of_range",
                    f"Line {n} points to {', '.join(bad)}; the claim has {len(dx)} diagnoses.",
                    f"lines.{n}.pointers",
                    n,
                )
            )
        mods = line.modifiers.split()
        if len(mods) > codes.MAX_MODIFIERS or not all(MODIFIER.match(m) for m in mods):
            found.append(
                Found(
                    "modifier_format",
                    f"Line {n}: “{line.modifiers}” are not up to 4 modifiers of 2 characters.",
                    f"lines.{n}.modifiers",
                    n,
                )
            )
        if line.units == 0:
            found.append(Found("units_zero", f"Line {n} bills 0 units.", f"lines.{n}.units", n))
        elif line.units > max_units(line.code):
            found.append(
                Found(
                    "units_unreasonable",
                    f"Line {n} bills {line.units} units of {line.code}; at most "
                    f"{max_units(line.code)} is plausible.",
                    f"lines.{n}.units",
                    n,
                )
            )
        if line.charge_amount <= 0:
            found.append(Found("charge_zero", f"Line {n} charges nothing.", f"lines.{n}.charge", n))
        key = (line.code, line.modifiers, line.date_of_service)
        if key in seen:
            found.append(
                Found(
                    "duplicate_line",
                    f"Line {n} repeats line {seen[key]} ({line.code} {line.modifiers}".rstrip()
                    + ").",
                    f"lines.{n}.code",
                    n,
                )
            )
        else:
            seen[key] = n
        if telehealth and _is_visit_code(line.code) and not TELEHEALTH_MODIFIERS & set(mods):
            found.append(
                Found(
                    "telehealth_modifier",
                    f"Line {n}: {line.code} at place of service {claim.place_of_service} "
                    "has no telehealth modifier.",
                    f"lines.{n}.modifiers",
                    n,
                )
            )
    rendering = claim.rendering_provider
    if _npi_problem(rendering.npi):
        found.append(
            Found(
                "npi_check_digit",
                f"Rendering provider {rendering.display_name}: NPI {rendering.npi} fails its "
                "check digit.",
                "rendering_provider",
            )
        )
    billing_npi = claim.billing_provider.npi if claim.billing_provider_id else group_npi
    if _npi_problem(billing_npi):
        found.append(
            Found(
                "npi_check_digit",
                f"Billing NPI {billing_npi or '(none)'} fails its check digit.",
                "billing_provider",
            )
        )
    if claim.referring_npi and _npi_problem(claim.referring_npi):
        found.append(
            Found(
                "npi_check_digit",
                f"Referring NPI {claim.referring_npi} fails its check digit.",
                "referring_npi",
            )
        )
    if not claim.referring_npi:
        found.append(
            Found("referring_missing", "The claim names no referring provider.", "referring_npi")
        )
    coverage = claim.coverage
    missing = []
    empty_id_hash = empty_id_hash or identifier_hash("")
    if coverage.member_id_hash == empty_id_hash:
        missing.append("member id")
    if coverage.subscriber_relationship == Coverage.SELF:
        person = claim.patient
        first, last, born = person.first_name, person.last_name, person.date_of_birth
    else:
        first = coverage.subscriber_first_name
        last = coverage.subscriber_last_name
        born = coverage.subscriber_date_of_birth
    if not (first or "").strip() or not (last or "").strip():
        missing.append("name")
    if born is None:
        missing.append("date of birth")
    if missing:
        found.append(
            Found(
                "subscriber_missing",
                f"The subscriber's {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                "missing.",
                "coverage",
            )
        )
    if not coverage.is_active_on(dos):
        ends = coverage.end_date.isoformat() if coverage.end_date else "open"
        found.append(
            Found(
                "coverage_inactive",
                f"{claim.payer.name} covers {coverage.effective_date.isoformat()} to {ends}, "
                f"not {dos.isoformat()}.",
                "coverage",
            )
        )
    if dos > today:
        found.append(Found("future_date", f"The date of service {dos.isoformat()} is after today."))
    if not claim.place_of_service:
        found.append(Found("pos_missing", "No place of service.", "place_of_service"))
    limit = claim.payer.timely_filing_days
    if limit and (today - dos).days > limit:
        found.append(
            Found(
                "timely_filing",
                f"{(today - dos).days} days since the visit; {claim.payer.name} allows {limit}.",
            )
        )
    return found


# What the rules read, and no more: the claim's header, the patient's name and birth date,
# the coverage without its encrypted member id (an empty id is stored empty, so its search
# hash tells), the payer's name and filing limit, the providers' NPIs.
_FIELDS = (
    "id", "status", "payer_id", "patient_id", "coverage_id", "date_of_service",
    "charge_id", "payer_order",
    "frequency_code", "total_charge",
    "place_of_service", "rendering_provider_id", "billing_provider_id", "referring_npi",
    "diagnosis_codes",
    "payer__id", "payer__name", "payer__timely_filing_days",
    "patient__id", "patient__first_name", "patient__last_name", "patient__date_of_birth",
    "coverage__id", "coverage__member_id_hash", "coverage__subscriber_relationship",
    "coverage__subscriber_first_name", "coverage__subscriber_last_name",
    "coverage__subscriber_date_of_birth", "coverage__effective_date", "coverage__end_date",
    "coverage__payer_id",
    "rendering_provider__id", "rendering_provider__npi", "rendering_provider__first_name",
    "rendering_provider__last_name", "rendering_provider__credentials",
    "billing_provider__id", "billing_provider__npi",
)  # fmt: skip
_LINE_FIELDS = (
    "id", "claim_id", "line_number", "code", "modifiers", "units", "charge_amount",
    "diagnosis_pointers", "date_of_service",
)  # fmt: skip


def _claims_query(ids: list[int]):
    return (
        Claim.objects.filter(pk__in=ids, status__in=Claim.UNSENT)
        .select_related("payer", "patient", "coverage", "rendering_provider", "billing_provider")
        .only(*_FIELDS)
        .order_by("pk")
    )


def _duplicates(claims: list[Claim]) -> dict[int, str]:
    """Claim id -> the number of another original claim, not closed, for the same patient,
    payer, date of service and total (one query for the chunk)."""
    if not claims:
        return {}
    key = {c.pk: (c.patient_id, c.payer_id, c.date_of_service, c.total_charge) for c in claims}
    seen: dict[tuple, list[tuple[int, str]]] = {}
    others = (
        Claim.objects.filter(
            patient_id__in={k[0] for k in key.values()},
            date_of_service__in={k[2] for k in key.values()},
            frequency_code=Claim.ORIGINAL,
        )
        .exclude(status=Claim.CLOSED)
        .values_list("pk", "patient_id", "payer_id", "date_of_service", "total_charge",
                     "patient_control_number")
    )  # fmt: skip
    for pk, patient, payer, dos, total, number in others:
        seen.setdefault((patient, payer, dos, total), []).append((pk, number))
    twins = {}
    for claim in claims:
        if claim.frequency_code != Claim.ORIGINAL:
            continue
        other = [n for pk, n in seen.get(key[claim.pk], ()) if pk != claim.pk]
        if other:
            twins[claim.pk] = other[0]
    return twins


def _secondary_problems(claims: list[Claim], lines: dict[int, list]) -> dict[int, str]:
    """Claim id -> why a claim to a later payer cannot carry the earlier payer's decision
    (no posted remittance, amounts that do not add up); the 837P mapping's own test."""
    from medoffice.billing.services.x837 import other_payers

    later = [c for c in claims if c.payer_order > 1]
    if not later:
        return {}
    found = other_payers(later, lines_of=lines)
    return {pk: v for pk, v in found.items() if isinstance(v, str)}


@transaction.atomic
def _scrub_chunk(ids: list[int], *, actor, rules: _Rules, today, group_npi, summary) -> None:
    empty_id_hash = identifier_hash("")
    claims = list(_claims_query(ids).select_for_update(of=("self",)))
    by_claim: dict[int, list] = {c.pk: [] for c in claims}
    lines = ClaimLine.objects.filter(claim_id__in=list(by_claim)).only(*_LINE_FIELDS)
    for line in lines.order_by("claim_id", "line_number"):
        by_claim[line.claim_id].append(line)
    twins = _duplicates(claims)
    cob = _secondary_problems(claims, by_claim)
    now = timezone.now()
    findings: list[ScrubFinding] = []
    events: list[ClaimEvent] = []
    to_draft, to_scrubbed, stay = [], [], []
    for claim in claims:
        found = check_claim(
            claim,
            lines=by_claim[claim.pk],
            today=today,
            group_npi=group_npi,
            empty_id_hash=empty_id_hash,
        )
        if claim.pk in twins:
            found.append(
                Found(
                    "duplicate_claim",
                    f"Claim {twins[claim.pk]} bills the same patient, payer, date of service "
                    "and amount.",
                )
            )
        if claim.pk in cob:
            found.append(Found("cob_primary_missing", cob[claim.pk], "claim"))
        kept = [f for f in found if rules.on(claim.payer_id, f.code)]
        errors = 0
        for f in kept:
            rule = rules.by_code[f.code]
            errors += rule.severity == ScrubRule.ERROR
            summary.by_rule[f.code] = summary.by_rule.get(f.code, 0) + 1
            findings.append(
                ScrubFinding(
                    claim_id=claim.pk,
                    rule=rule,
                    severity=rule.severity,
                    message=f.message[:300],
                    field=f.field,
                    line_number=f.line_number,
                    found_at=now,
                )
            )
        warnings = len(kept) - errors
        summary.claims += 1
        summary.findings += len(kept)
        if errors:
            summary.with_errors += 1
            note = f"Scrub: {errors} error{'s' if errors != 1 else ''}, {warnings} warning(s)"
            if claim.status != Claim.DRAFT:
                to_draft.append(claim.pk)
                events.append(_event(claim, actor, Claim.DRAFT, note, now))
            else:
                stay.append(claim.pk)
        else:
            summary.clean += 1
            if claim.status == Claim.DRAFT:
                to_scrubbed.append(claim.pk)
                note = f"Scrub: no errors, {warnings} warning(s)"
                events.append(_event(claim, actor, Claim.SCRUBBED, note, now))
            else:
                stay.append(claim.pk)
    summary.skipped += len(ids) - len(claims)
    ScrubFinding.objects.filter(claim_id__in=list(by_claim)).delete()
    ScrubFinding.objects.bulk_create(findings, batch_size=1000)
    if to_draft:
        Claim.objects.filter(pk__in=to_draft).update(
            status=Claim.DRAFT, status_changed_at=now, scrubbed_at=now
        )
    if to_scrubbed:
        Claim.objects.filter(pk__in=to_scrubbed).update(
            status=Claim.SCRUBBED, status_changed_at=now, scrubbed_at=now
        )
    if stay:
        Claim.objects.filter(pk__in=stay).update(scrubbed_at=now)
    ClaimEvent.objects.bulk_create(events, batch_size=1000)


def _event(claim: Claim, actor, to: str, note: str, now) -> ClaimEvent:
    return ClaimEvent(
        claim_id=claim.pk,
        user=actor,
        at=now,
        from_status=claim.status,
        to_status=to,
        note=note,
    )


def scrub_claims(*, actor, claim_ids: Iterable[int], today: dt.date | None = None) -> ScrubSummary:
    """Scrub the unsent claims among ``claim_ids`` (others are counted as skipped)."""
    ids = sorted(set(claim_ids))
    today = today or timezone.localdate()
    rules = _Rules()
    practice = Practice.objects.first()
    group_npi = practice.group_npi if practice else ""
    summary = ScrubSummary()
    for start in range(0, len(ids), CHUNK):
        _scrub_chunk(
            ids[start : start + CHUNK],
            actor=actor,
            rules=rules,
            today=today,
            group_npi=group_npi,
            summary=summary,
        )
    return summary


def scrub_claim(*, actor, claim: Claim, today: dt.date | None = None) -> ScrubSummary:
    return scrub_claims(actor=actor, claim_ids=[claim.pk], today=today)


@transaction.atomic
def set_rule_for_payer(*, rule: ScrubRule, payer, enabled: bool | None) -> None:
    """The office manager's choice: ``enabled`` True/False for this payer, None = the default."""
    if enabled is None:
        PayerScrubRule.objects.filter(rule=rule, payer=payer).delete()
    else:
        PayerScrubRule.objects.update_or_create(
            rule=rule, payer=payer, defaults={"enabled": enabled}
        )


@transaction.atomic
def set_rule_default(*, rule: ScrubRule, enabled: bool, severity: str | None = None) -> ScrubRule:
    rule.enabled = enabled
    if severity is not None:
        if severity not in (ScrubRule.ERROR, ScrubRule.WARNING):
            raise FieldErrors({"severity": ["Choose error or warning."]})
        rule.severity = severity
    rule.save(update_fields=["enabled", "severity"])
    return rule
