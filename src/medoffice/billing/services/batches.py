"""Claim batches: ready claims into one 837P file, its control numbers kept, the claims
marked submitted (each with its event).

``create_batch`` takes the ready claims (optionally one payer's, or those
whose visit is on or after a date), numbers the envelope from the
:class:`ControlNumber` counters under a row lock, maps the claims
(:mod:`.x837`), writes the text with the EDI package's ``write_837p`` and
keeps it. All in one transaction: if the writer refuses a claim, nothing is
numbered, kept or moved, and the error names the claim's field.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from medoffice.billing.errors import DomainError
from medoffice.billing.models import (
    Claim,
    ClaimBatch,
    ClaimEvent,
    ControlNumber,
    SubmissionSettings,
)
from medoffice.billing.services.x837 import NOT_READY, claim_file
from medoffice.core.models import Practice
from medoffice.edi.errors import EdiInputError
from medoffice.patients.models import Payer

NOTHING_READY = "nothing_ready"
MAX_CLAIMS = 5000  # one file; clearinghouses cap a file at a few thousand claims
CONTROL_MAX = 999_999_999


def next_control_number(name: str) -> int:
    """The next number of counter ``name`` (1, 2, ...), taken under a row lock."""
    counter, _ = ControlNumber.objects.select_for_update().get_or_create(name=name)
    counter.last = counter.last + 1 if counter.last < CONTROL_MAX else 1
    counter.save(update_fields=["last"])
    return counter.last


def ready_claims(*, payer: Payer | None = None, since: dt.date | None = None):
    qs = Claim.objects.filter(status=Claim.READY)
    if payer is not None:
        qs = qs.filter(payer=payer)
    if since is not None:
        qs = qs.filter(date_of_service__gte=since)
    return qs.order_by("pk")


@transaction.atomic
def create_batch(
    *, actor, payer: Payer | None = None, since: dt.date | None = None, write=None
) -> ClaimBatch:
    """One 837P file of the ready claims (at most 5,000); they become submitted."""
    settings = SubmissionSettings.objects.order_by("pk").first()
    practice = Practice.objects.order_by("pk").first()
    if settings is None or practice is None:
        raise DomainError(
            NOT_READY,
            "Enter the clearinghouse's details (submission settings) before making a batch.",
            None,
            status=409,
        )
    claims = list(
        ready_claims(payer=payer, since=since)
        .select_for_update(of=("self",))
        .select_related("coverage", "patient", "payer", "rendering_provider", "billing_provider")
        .prefetch_related("lines")[:MAX_CLAIMS]
    )
    if not claims:
        raise DomainError(NOTHING_READY, "No claim is ready to send.", None, status=409)
    now = timezone.now()
    interchange = next_control_number("interchange")
    group = next_control_number("group")
    transaction_number = f"{next_control_number('transaction'):04d}"
    values = claim_file(
        claims,
        settings=settings,
        practice=practice,
        interchange=interchange,
        group=group,
        transaction=transaction_number,
        created=now.astimezone(timezone.get_current_timezone()).replace(tzinfo=None),
    )
    if write is None:
        from medoffice.edi.x837p.writer import write_837p as write
    try:
        text = write(values)
    except EdiInputError as exc:
        raise DomainError(NOT_READY, f"The 837P cannot be made: {exc}", None, status=409) from exc
    batch = ClaimBatch.objects.create(
        created_at=now,
        created_by=actor,
        payer=payer,
        interchange_control_number=interchange,
        group_control_number=group,
        transaction_control_number=transaction_number,
        usage="T" if settings.test_files else "P",
        claim_count=len(claims),
        total_charge=sum((c.total_charge for c in claims), start=0),
        text=text,
    )
    batch.claims.set(claims)
    ids = [c.pk for c in claims]
    Claim.objects.filter(pk__in=ids).update(status=Claim.SUBMITTED, status_changed_at=now)
    note = f"Sent in 837P batch {interchange:09d}"
    ClaimEvent.objects.bulk_create(
        ClaimEvent(
            claim_id=pk, user=actor, at=now, from_status=Claim.READY,
            to_status=Claim.SUBMITTED, note=note,
        )
        for pk in ids
    )  # fmt: skip
    return batch
