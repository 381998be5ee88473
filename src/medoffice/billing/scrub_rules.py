"""The scrubber's rules as shipped: code, title, plain message, fix hint, severity, where to fix.

``sync_scrub_rules`` (after every migrate) makes a :class:`ScrubRule` row for
each rule that has none; the office's later choices (on/off, severity,
wording) are never overwritten. The checks themselves are in
:mod:`medoffice.billing.services.scrubber`, one function per code.
"""

from __future__ import annotations

from dataclasses import dataclass

E, W = "error", "warning"


@dataclass(frozen=True)
class RuleDef:
    code: str
    title: str
    message: str
    hint: str
    severity: str = E
    fix_target: str = "charge"
    enabled: bool = True


RULES: tuple[RuleDef, ...] = (
    RuleDef("no_lines", "Claim with no lines", "The claim bills no service.",
            "Enter at least one procedure on the visit's charges."),
    RuleDef("diagnosis_invalid", "Invalid or non-billable ICD-10-CM code",
            "A diagnosis is not a billable ICD-10-CM code.",
            "Replace it with a billable (most specific) code from the current code set."),
    RuleDef("diagnosis_missing", "No diagnosis", "The claim has no diagnosis.",
            "Enter at least one diagnosis on the visit's charges."),
    RuleDef("pointer_missing", "Line without a diagnosis pointer",
            "A service line points to no diagnosis.",
            "Point each line to the diagnosis (1 to 12) that justifies it."),
    RuleDef("pointer_out_of_range", "Diagnosis pointer out of range",
            "A service line points past the claim's diagnoses.",
            "Point only to diagnoses listed on the claim."),
    RuleDef("npi_check_digit", "NPI check digit",
            "An NPI on the claim fails its check digit.",
            "Correct the NPI (rendering, billing or referring); one digit is probably mistyped.",
            fix_target="provider"),
    RuleDef("subscriber_missing", "Missing subscriber data",
            "The subscriber's member id, name or date of birth is missing.",
            "Complete the patient's coverage from the insurance card.", fix_target="coverage"),
    RuleDef("coverage_inactive", "Coverage not active on the date of service",
            "The coverage billed did not cover the date of service.",
            "Check eligibility, then bill the coverage active that day or bill the patient.",
            fix_target="coverage"),
    RuleDef("duplicate_line", "Duplicate line",
            "Two lines have the same code, modifiers and date.",
            "Merge them into one line with more units, or add the modifier that tells them apart."),
    RuleDef("duplicate_claim", "Duplicate claim",
            "Another claim bills the same patient, payer, date and amount.",
            "Close one of them; if both visits are real, tell them apart on the charges.",
            fix_target="claim"),
    RuleDef("units_zero", "Zero units", "A line bills zero units.",
            "Enter the number of units performed."),
    RuleDef("units_unreasonable", "Units above a plausible maximum",
            "A line bills more units than is plausible for its code.",
            "Check the units; visit codes are billed once a day."),
    RuleDef("modifier_format", "Malformed modifier",
            "A modifier is not 2 letters or digits, or a line has more than 4.",
            "Correct the modifiers (e.g. 25, 59, 95)."),
    RuleDef("telehealth_modifier", "Telehealth without its modifier",
            "A telehealth visit (place of service 02 or 10) bills a visit code without 95 or 93.",
            "Add modifier 95 (video) or 93 (audio only) as the payer requires.", severity=W),
    RuleDef("charge_zero", "Zero charge", "A line charges nothing.",
            "Enter the charge, or set the service's standard charge in the fee schedule."),
    RuleDef("future_date", "Date of service in the future",
            "The date of service is after today.", "Bill the visit once it has happened."),
    RuleDef("pos_missing", "Place of service missing", "The claim has no place of service.",
            "Set the place of service on the visit's charges (or on the location)."),
    RuleDef("timely_filing", "Past the payer's filing limit",
            "The date of service is older than the payer's timely filing limit.",
            "Send it now with proof of timely filing, or write it off.", severity=W,
            fix_target="claim"),
    RuleDef("referring_missing", "Referring provider required",
            "This payer requires a referring provider and the claim has none.",
            "Enter the referring provider's name and NPI on the visit's charges.",
            enabled=False),
    RuleDef("cob_primary_missing", "Secondary claim needs the primary's remittance",
            "A claim to a second or third payer needs the earlier payer's posted remittance "
            "(what it paid and adjusted), and its amounts must add up to the charge.",
            "Post the earlier payer's 835 (or correct it), then scrub again.",
            fix_target="claim"),
)  # fmt: skip

BY_CODE = {r.code: r for r in RULES}


def sync_scrub_rules(**_kwargs) -> None:
    """Create the rule rows that do not exist yet (after every migrate; idempotent)."""
    from django.db import connection

    from medoffice.billing.models import ScrubRule

    if ScrubRule._meta.db_table not in connection.introspection.table_names():
        return
    have = set(ScrubRule.objects.values_list("code", flat=True))
    ScrubRule.objects.bulk_create(
        ScrubRule(
            code=r.code,
            title=r.title,
            message=r.message,
            hint=r.hint,
            severity=r.severity,
            fix_target=r.fix_target,
            enabled=r.enabled,
            position=i,
        )
        for i, r in enumerate(RULES)
        if r.code not in have
    )
