"""The PHI access log: one door to write it, one check that it was not tampered with.

Every patient-facing view and API handler calls :func:`log_patient_access`
(or :func:`record_access` for non-request callers). Rows are chained: each
row's ``entry_hash`` is an HMAC over its own fields and the previous row's hash,
keyed with ``settings.AUDIT_CHAIN_KEY``; ``position`` has no gaps; the head row
holds the last position and hash. :func:`verify_chain` recomputes it all and
names the first row that does not fit.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from medoffice.core.models import AccessLogEntry, AccessLogHead

GENESIS = "0" * 64

VIEW = "view"
CREATE = "create"
UPDATE = "update"
EXPORT = "export"
PRINT = "print"
MERGE = "merge"
ACTIONS = (VIEW, CREATE, UPDATE, EXPORT, PRINT, MERGE)


def _canonical(entry: AccessLogEntry) -> bytes:
    at = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    fields = [
        str(entry.position),
        at,
        "" if entry.user_id is None else str(entry.user_id),
        entry.username,
        entry.action,
        entry.object_type,
        entry.object_id,
        "" if entry.patient_id is None else str(entry.patient_id),
        entry.ip_address,
        entry.detail,
        entry.prev_hash,
    ]
    # Unit separator: cannot be typed into any of these fields by a user.
    return "\x1f".join(fields).encode()


def _hash(entry: AccessLogEntry) -> str:
    key = settings.AUDIT_CHAIN_KEY.encode()
    return hmac.new(key, _canonical(entry), hashlib.sha256).hexdigest()


def client_address(request) -> str:
    """The address the request came from (REMOTE_ADDR; proxies must set it correctly)."""
    return (request.META.get("REMOTE_ADDR") or "")[:45]


def _locked_head() -> AccessLogHead:
    """The chain head, locked until the transaction ends (created on an empty log)."""
    head = AccessLogHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # a fresh or flushed database: the migration's row is gone
        AccessLogHead.objects.get_or_create(pk=1)
        head = AccessLogHead.objects.select_for_update().get(pk=1)
    return head


@transaction.atomic
def record_access(
    *,
    user,
    action: str,
    object_type: str,
    object_id: object,
    patient_id: int | None = None,
    ip_address: str = "",
    detail: str = "",
) -> AccessLogEntry:
    """Append one row to the access log (serialised on the chain head)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown access-log action {action!r}")
    head = _locked_head()
    user_id = user.pk if user is not None and user.is_authenticated else None
    entry = AccessLogEntry(
        position=head.position + 1,
        at=timezone.now(),
        user_id=user_id,
        username=(user.get_username() if user_id else "system")[:150],
        action=action,
        object_type=object_type[:40],
        object_id=str(object_id)[:40],
        patient_id=patient_id,
        ip_address=ip_address[:45],
        detail=detail[:200],
        prev_hash=head.entry_hash or GENESIS,
    )
    entry.entry_hash = _hash(entry)
    entry.save()
    AccessLogHead.objects.filter(pk=1).update(position=entry.position, entry_hash=entry.entry_hash)
    return entry


def log_patient_access(
    request,
    *,
    patient_id: int,
    action: str = VIEW,
    object_type: str = "patient",
    object_id: object | None = None,
    detail: str = "",
) -> AccessLogEntry:
    """The helper every patient-facing view and API handler calls."""
    return record_access(
        user=request.user,
        action=action,
        object_type=object_type,
        object_id=patient_id if object_id is None else object_id,
        patient_id=patient_id,
        ip_address=client_address(request),
        detail=detail,
    )


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_position: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        rows = f"{self.checked} row{'' if self.checked == 1 else 's'}"
        if self.ok:
            return f"access log intact: {rows} verified"
        where = f"row #{self.first_bad_position}" if self.first_bad_position else "the log"
        return f"access log BROKEN at {where}: {self.reason} ({rows} verified before)"


def verify_chain(*, chunk_size: int = 5000) -> ChainReport:
    """Recompute the chain from the first row; report the first row that does not fit."""
    expected_prev = GENESIS
    expected_position = 1
    checked = 0
    rows = AccessLogEntry.objects.order_by("position").iterator(chunk_size=chunk_size)
    for row in rows:
        if row.position != expected_position:
            return ChainReport(
                False,
                checked,
                expected_position,
                f"row #{expected_position} is missing (next row found is #{row.position})",
            )
        if row.prev_hash != expected_prev:
            return ChainReport(
                False,
                checked,
                row.position,
                "it does not link to the row before it (a row before it was removed or changed)",
            )
        if not hmac.compare_digest(row.entry_hash, _hash(row)):
            return ChainReport(
                False, checked, row.position, "its contents were changed after it was written"
            )
        expected_prev = row.entry_hash
        expected_position += 1
        checked += 1
    head = AccessLogHead.objects.filter(pk=1).first()
    if head is None:
        if checked == 0:
            return ChainReport(True, 0)
        return ChainReport(False, checked, None, "the chain head record is missing")
    if head.position != checked or (checked and head.entry_hash != expected_prev):
        return ChainReport(
            False,
            checked,
            checked + 1 if head.position > checked else head.position,
            f"the log should end at row #{head.position} but ends at row #{checked} "
            "(rows were removed from the end, or the head was altered)",
        )
    return ChainReport(True, checked)


def search_access_log(
    *,
    patient_id: int | None = None,
    username: str = "",
    date_from: datetime | None = None,
    date_to: datetime | None = None,
):
    """Access-log rows matching the auditor's filters, newest first."""
    qs = AccessLogEntry.objects.all()
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if username:
        qs = qs.filter(username__iexact=username)
    if date_from is not None:
        qs = qs.filter(at__gte=date_from)
    if date_to is not None:
        qs = qs.filter(at__lt=date_to)
    return qs.order_by("-position")
