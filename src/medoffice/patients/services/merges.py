"""Folding a duplicate patient record into the surviving one, and undoing it.

Every row anywhere that points at the duplicate (found through the Patient
model's reverse relations, so appointments, claims and whatever later apps add
are included without a change here) moves to the survivor. The PatientMerge
row lists exactly which rows moved, so :func:`unmerge_patients` can move
those, and only those, back.

Coverages get one rule of their own: a duplicate's coverage naming the same
payer and member id as one the survivor already has is the same policy typed
twice, so it stays with the (now inactive) duplicate; a coverage that would
overlap a different policy in the same order stops the merge with a message.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from medoffice.core.audit import MERGE, record_access
from medoffice.core.errors import DomainError
from medoffice.patients import errors
from medoffice.patients.models import Coverage, Patient, PatientMerge
from medoffice.patients.services.coverages import coverage_dates

BATCH = 500


def pointing_fields() -> Iterator[tuple[type[models.Model], models.Field]]:
    """(model, foreign key) for every relation that points at a patient, whatever app owns it.

    Many-to-many relations are covered by their through model's own foreign
    key (hidden ones included); the merge records themselves are not moved.
    """
    for rel in Patient._meta.get_fields(include_hidden=True):
        if not rel.auto_created or rel.concrete or rel.many_to_many:
            continue
        if rel.related_model is PatientMerge:
            continue
        yield rel.related_model, rel.field


@dataclass
class MergePlan:
    """What a merge would do: the rows to move (per model), and the coverages that stay."""

    survivor: Patient
    duplicate: Patient
    moves: dict[tuple[str, str], list] = field(default_factory=dict)  # (label, fk) -> pks
    kept: list[Coverage] = field(default_factory=list)

    def counts(self) -> list[tuple[str, int]]:
        """("coverages", 2) per kind of row that moves, for the confirmation page."""
        out = []
        for (label, _fk), pks in self.moves.items():
            if pks:
                out.append((str(apps.get_model(label)._meta.verbose_name_plural), len(pks)))
        return out


def _check_pair(survivor: Patient, duplicate: Patient) -> None:
    if survivor.pk == duplicate.pk:
        raise errors.invalid(
            "Pick two different records: a record cannot merge into itself.", "duplicate"
        )
    if duplicate.merged_into_id is not None:
        raise DomainError(
            errors.ALREADY_MERGED,
            f"Record {duplicate.mrn} was already merged into another record.",
            "duplicate",
            status=409,
        )
    if survivor.merged_into_id is not None:
        raise DomainError(
            errors.ALREADY_MERGED,
            f"Record {survivor.mrn} was itself merged into another record; "
            "merge into the record that was kept.",
            "survivor",
            status=409,
        )


def _coverage_moves(survivor: Patient, duplicate: Patient) -> tuple[list[int], list[Coverage]]:
    """The duplicate's coverages to move, and those that stay (the same policy on both)."""
    theirs = list(Coverage.objects.filter(patient=survivor).select_related("payer"))
    move, keep = [], []
    for coverage in Coverage.objects.filter(patient=duplicate).select_related("payer"):
        if any(
            c.payer_id == coverage.payer_id and c.member_id_hash == coverage.member_id_hash
            for c in theirs
        ):
            keep.append(coverage)
            continue
        for other in theirs:
            if other.order != coverage.order:
                continue
            if (other.end_date is None or coverage.effective_date <= other.end_date) and (
                coverage.end_date is None or other.effective_date <= coverage.end_date
            ):
                order = coverage.get_order_display().lower()
                raise DomainError(
                    errors.MERGE_CONFLICT,
                    f"The duplicate's {order} coverage "
                    f"({coverage.payer}, {coverage_dates(coverage)}) "
                    f"overlaps the kept record's {order} coverage ({other.payer}, "
                    f"{coverage_dates(other)}). End one of them, or change its order, then merge.",
                    "duplicate",
                    status=409,
                )
        move.append(coverage.pk)
    return move, keep


def plan_merge(*, survivor: Patient, duplicate: Patient) -> MergePlan:
    """What merging ``duplicate`` into ``survivor`` would move; raises if it cannot be done."""
    _check_pair(survivor, duplicate)
    plan = MergePlan(survivor=survivor, duplicate=duplicate)
    for model, fk in pointing_fields():
        key = (model._meta.label_lower, fk.name)
        if model is Coverage:
            plan.moves[key], plan.kept = _coverage_moves(survivor, duplicate)
            continue
        pks = list(
            model._base_manager.filter(**{fk.name: duplicate.pk}).values_list("pk", flat=True)
        )
        if fk.one_to_one and pks and model._base_manager.filter(**{fk.name: survivor.pk}).exists():
            raise DomainError(
                errors.MERGE_CONFLICT,
                f"Both records have a {model._meta.verbose_name}; only one can be kept. "
                "Remove one of them, then merge.",
                "duplicate",
                status=409,
            )
        plan.moves[key] = pks
    return plan


def _move(label: str, fk: str, pks: list, *, to: Patient, frm: Patient | None = None) -> int:
    model = apps.get_model(label)
    moved = 0
    for start in range(0, len(pks), BATCH):
        qs = model._base_manager.filter(pk__in=pks[start : start + BATCH])
        if frm is not None:
            qs = qs.filter(**{fk: frm.pk})
        try:
            with transaction.atomic():
                moved += qs.update(**{fk: to.pk})
        except IntegrityError:
            raise DomainError(
                errors.MERGE_CONFLICT,
                f"The {model._meta.verbose_name_plural} of the two records clash "
                "(the kept record already has the same one); correct one of them, then try again.",
                "duplicate",
                status=409,
            ) from None
    return moved


def _locked_pair(a_id: int, b_id: int) -> dict[int, Patient]:
    """Both patients' rows, locked in id order (two merges at once never deadlock)."""
    rows = {p.pk: p for p in Patient.objects.select_for_update().filter(pk__in=[a_id, b_id])}
    for pk in (a_id, b_id):
        if pk not in rows:
            raise errors.not_found("patient", pk)
    return rows


def _log_both(*, actor, survivor: Patient, duplicate: Patient, ip_address: str, what: str) -> None:
    for patient, detail in (
        (duplicate, f"{what}: {duplicate.mrn} into {survivor.mrn}"),
        (survivor, f"{what}: {duplicate.mrn} into {survivor.mrn} (kept)"),
    ):
        record_access(
            user=actor,
            action=MERGE,
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
            ip_address=ip_address,
            detail=detail,
        )


@transaction.atomic
def merge_patients(
    *, actor, survivor: Patient, duplicate: Patient, reason: str, ip_address: str = ""
) -> PatientMerge:
    """Move everything of ``duplicate`` to ``survivor``; the duplicate becomes inactive."""
    reason = (reason or "").strip()
    if not reason:
        raise errors.invalid("Say why these two records are the same person.", "reason")
    rows = _locked_pair(survivor.pk, duplicate.pk)
    survivor, duplicate = rows[survivor.pk], rows[duplicate.pk]
    plan = plan_merge(survivor=survivor, duplicate=duplicate)
    moved_rows = []
    for (label, fk), pks in plan.moves.items():
        if pks:
            _move(label, fk, pks, to=survivor)
            moved_rows += [{"model": label, "field": fk, "pk": pk} for pk in pks]
    merge = PatientMerge.objects.create(
        survivor=survivor,
        duplicate=duplicate,
        reason=reason[:200],
        merged_by=actor,
        duplicate_was_active=duplicate.active,
        moved_rows=moved_rows,
        kept_rows=[
            {"model": "patients.coverage", "field": "patient", "pk": c.pk} for c in plan.kept
        ],
    )
    duplicate.active = False
    duplicate.merged_into = survivor
    duplicate.save(update_fields=["active", "merged_into"])
    _log_both(
        actor=actor, survivor=survivor, duplicate=duplicate, ip_address=ip_address, what="merged"
    )
    return merge


@transaction.atomic
def unmerge_patients(
    *, actor, merge: PatientMerge, reason: str = "", ip_address: str = ""
) -> PatientMerge:
    """Undo a merge: the rows it moved go back to the duplicate, which is active again."""
    try:
        merge = PatientMerge.objects.select_for_update().get(pk=merge.pk)
    except PatientMerge.DoesNotExist:
        raise errors.not_found("merge", merge.pk) from None
    if merge.undone:
        raise DomainError(errors.NOT_MERGED, "This merge was already undone.", status=409)
    rows = _locked_pair(merge.survivor_id, merge.duplicate_id)
    survivor, duplicate = rows[merge.survivor_id], rows[merge.duplicate_id]
    if survivor.merged_into_id is not None:
        raise DomainError(
            errors.MERGE_CONFLICT,
            f"Record {survivor.mrn} was merged into another record after this merge; "
            "undo that later merge first.",
            status=409,
        )
    by_kind: dict[tuple[str, str], list] = defaultdict(list)
    for row in merge.moved_rows:
        by_kind[(row["model"], row["field"])].append(row["pk"])
    for (label, fk), pks in by_kind.items():
        _move(label, fk, pks, to=duplicate, frm=survivor)  # rows since moved elsewhere stay put
    duplicate.active = merge.duplicate_was_active
    duplicate.merged_into = None
    duplicate.save(update_fields=["active", "merged_into"])
    merge.unmerged_by = actor
    merge.unmerged_at = timezone.now()
    merge.unmerge_reason = (reason or "").strip()[:200]
    merge.save(update_fields=["unmerged_by", "unmerged_at", "unmerge_reason"])
    _log_both(
        actor=actor, survivor=survivor, duplicate=duplicate, ip_address=ip_address, what="unmerged"
    )
    return merge
