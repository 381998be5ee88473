"""The claim scrubber's rule table, each payer's choice of rules, and what a scrub found."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from medoffice.billing.models.claims import Claim
from medoffice.patients.models import Payer


class ScrubRule(models.Model):
    """One check the scrubber runs on every claim before it may be sent.

    ``message`` says what is wrong in plain words, ``hint`` how to fix it;
    ``severity`` "error" keeps the claim from being sent, "warning" only
    tells. ``enabled`` is the default for every payer; the office manager turns
    a rule on or off for one payer with :class:`PayerScrubRule`. Rows are made
    from :data:`medoffice.billing.scrub_rules.RULES` after every migrate (new
    rules appear, the office's choices stay).
    """

    ERROR, WARNING = "error", "warning"
    SEVERITY_CHOICES = [(ERROR, "Error: holds the claim"), (WARNING, "Warning: tells only")]
    CHARGE, COVERAGE, PROVIDER, CLAIM = "charge", "coverage", "provider", "claim"
    TARGET_CHOICES = [
        (CHARGE, "The visit's charges"),
        (COVERAGE, "The patient's coverage"),
        (PROVIDER, "The provider"),
        (CLAIM, "The claim"),
    ]

    code = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=80)
    message = models.CharField(max_length=200)
    hint = models.CharField("how to fix", max_length=200)
    severity = models.CharField(max_length=7, choices=SEVERITY_CHOICES, default=ERROR)
    fix_target = models.CharField(max_length=8, choices=TARGET_CHOICES, default=CHARGE)
    enabled = models.BooleanField(default=True, help_text="For every payer unless set per payer.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.title


class PayerScrubRule(models.Model):
    """The office manager's choice for one payer: this rule on (or off) for its claims."""

    payer = models.ForeignKey(Payer, on_delete=models.CASCADE, related_name="scrub_rules")
    rule = models.ForeignKey(ScrubRule, on_delete=models.CASCADE, related_name="payer_settings")
    enabled = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payer", "rule"], name="billing_payer_rule_once")
        ]

    def __str__(self) -> str:
        return f"{self.payer} · {self.rule.code}: {'on' if self.enabled else 'off'}"


class ScrubFinding(models.Model):
    """A problem the last scrub found on a claim, where it is, and how bad it is.

    ``field`` names the place (``diagnoses.2``, ``lines.1.pointers``,
    ``rendering_provider``, ``coverage.member_id``...); ``line_number`` the
    claim line, if any. A new scrub replaces a claim's findings.
    """

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="findings")
    rule = models.ForeignKey(ScrubRule, on_delete=models.PROTECT, related_name="+")
    severity = models.CharField(max_length=7, choices=ScrubRule.SEVERITY_CHOICES)
    message = models.CharField(max_length=300)
    field = models.CharField(max_length=40, blank=True)
    line_number = models.PositiveSmallIntegerField(null=True, blank=True)
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["claim_id", "-severity", "line_number", "pk"]
        indexes = [models.Index(fields=["rule", "severity"], name="billing_finding_rule")]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.rule_id} {self.message}"
