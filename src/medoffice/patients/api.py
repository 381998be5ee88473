"""API: patients, their coverages, payers and merges (/api/v1/...).

Schemas convert in and out; the same services and selectors as the pages do
the work. Every read of a patient writes the PHI access log; each call checks
the role's model permission (403 in the error shape). Member ids come back
only to users who may view coverages.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from medoffice.core.audit import VIEW, client_address, log_patient_access, record_access
from medoffice.core.errors import PERMISSION_DENIED, DomainError
from medoffice.core.models import Location
from medoffice.patients import errors, selectors
from medoffice.patients.models import Coverage, Patient, PatientMerge, Payer
from medoffice.patients.services.coverages import add_coverage, update_coverage
from medoffice.patients.services.merges import merge_patients, unmerge_patients
from medoffice.patients.services.patients import register_patient, update_patient

router = Router(tags=["patients"])


# --- schemas --------------------------------------------------------------------------


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class PatientIn(Strict):
    first_name: str
    middle_name: str = ""
    last_name: str
    name_suffix: str = ""
    preferred_name: str = ""
    date_of_birth: dt.date
    sex_at_birth: str = Field(description="F, M or U")
    gender_identity: str = ""
    address1: str
    address2: str = ""
    city: str
    state: str
    zip: str
    home_location: int | None = Field(None, description="A location id")
    phone_home: str = ""
    phone_mobile: str = ""
    email: str = ""
    preferred_contact: str = Field("mail", description="sms, email, voice or mail")
    contact_hours_start: dt.time = dt.time(9, 0)
    contact_hours_end: dt.time = dt.time(18, 0)
    consent_sms: bool = False
    consent_sms_on: dt.date | None = None
    consent_email: bool = False
    consent_email_on: dt.date | None = None
    consent_voice: bool = False
    consent_voice_on: dt.date | None = None
    guarantor_relationship: str = "self"
    guarantor_first_name: str = ""
    guarantor_last_name: str = ""
    guarantor_date_of_birth: dt.date | None = None
    guarantor_address1: str = ""
    guarantor_city: str = ""
    guarantor_state: str = ""
    guarantor_zip: str = ""
    guarantor_phone: str = ""
    emergency_contact_name: str = ""
    emergency_contact_relationship: str = ""
    emergency_contact_phone: str = ""


class PatientPatch(Strict):
    """Any fields of PatientIn (and ``active``); the ones sent are changed."""

    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    name_suffix: str | None = None
    preferred_name: str | None = None
    date_of_birth: dt.date | None = None
    sex_at_birth: str | None = None
    gender_identity: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    home_location: int | None = None
    phone_home: str | None = None
    phone_mobile: str | None = None
    email: str | None = None
    preferred_contact: str | None = None
    contact_hours_start: dt.time | None = None
    contact_hours_end: dt.time | None = None
    consent_sms: bool | None = None
    consent_sms_on: dt.date | None = None
    consent_email: bool | None = None
    consent_email_on: dt.date | None = None
    consent_voice: bool | None = None
    consent_voice_on: dt.date | None = None
    guarantor_relationship: str | None = None
    guarantor_first_name: str | None = None
    guarantor_last_name: str | None = None
    guarantor_date_of_birth: dt.date | None = None
    guarantor_address1: str | None = None
    guarantor_city: str | None = None
    guarantor_state: str | None = None
    guarantor_zip: str | None = None
    guarantor_phone: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_relationship: str | None = None
    emergency_contact_phone: str | None = None
    active: bool | None = None


class PatientSummary(Schema):
    id: int
    mrn: str
    first_name: str
    middle_name: str
    last_name: str
    name_suffix: str
    preferred_name: str
    date_of_birth: dt.date
    phone_mobile: str
    phone_home: str
    home_location: str | None
    active: bool
    merged_into: int | None
    match: str | None = None


COPAY_WORDS = (
    "The office-visit copay on the card, e.g. 25.00: zero or more, at most 2 decimal places; "
    "null for none"
)


class CoverageOut(Schema):
    id: int
    patient: int
    payer: int
    payer_name: str
    order: int
    member_id: str | None
    group_number: str
    subscriber_relationship: str
    subscriber_first_name: str
    subscriber_last_name: str
    subscriber_date_of_birth: dt.date | None
    subscriber_sex: str
    effective_date: dt.date
    end_date: dt.date | None
    copay: Decimal | None = Field(description="The office-visit copay on the card; null if none")
    status: str


class PatientOut(PatientIn):
    model_config = ConfigDict(extra="ignore")
    id: int
    mrn: str
    home_location_name: str | None
    active: bool
    merged_into: int | None
    created_at: dt.datetime
    age: int
    coverages: list[CoverageOut] | None = Field(
        None, description="Present only for users who may view coverages."
    )


class CoverageIn(Strict):
    payer: int
    order: int = Field(1, description="1 primary, 2 secondary, 3 tertiary")
    member_id: str
    group_number: str = ""
    subscriber_relationship: str = Field("self", description="self, spouse, child or other")
    subscriber_first_name: str = ""
    subscriber_last_name: str = ""
    subscriber_date_of_birth: dt.date | None = None
    subscriber_sex: str = ""
    effective_date: dt.date
    end_date: dt.date | None = None
    copay: Decimal | None = Field(None, description=COPAY_WORDS)


class CoveragePatch(Strict):
    payer: int | None = None
    order: int | None = None
    member_id: str | None = None
    group_number: str | None = None
    subscriber_relationship: str | None = None
    subscriber_first_name: str | None = None
    subscriber_last_name: str | None = None
    subscriber_date_of_birth: dt.date | None = None
    subscriber_sex: str | None = None
    effective_date: dt.date | None = None
    end_date: dt.date | None = None
    copay: Decimal | None = Field(None, description=COPAY_WORDS)


class PayerOut(Schema):
    id: int
    name: str
    kind: str
    payer_id: str
    active: bool


class MergeIn(Strict):
    duplicate: int = Field(description="Id of the record folded into this one")
    reason: str


class UnmergeIn(Strict):
    reason: str = ""


class MergeOut(Schema):
    id: int
    survivor: int
    duplicate: int
    reason: str
    merged_by: str
    merged_at: dt.datetime
    moved_rows: list[dict]
    kept_rows: list[dict]
    unmerged_at: dt.datetime | None
    unmerged_by: str | None


# --- conversions ----------------------------------------------------------------------


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise DomainError(
            PERMISSION_DENIED, "Your role does not allow this for patient records.", status=403
        )


def _coverage_out(coverage: Coverage, *, show_member_id: bool, today: dt.date) -> dict:
    return {
        "id": coverage.pk,
        "patient": coverage.patient_id,
        "payer": coverage.payer_id,
        "payer_name": coverage.payer.name,
        "order": coverage.order,
        "member_id": coverage.member_id if show_member_id else None,
        "group_number": coverage.group_number,
        "subscriber_relationship": coverage.subscriber_relationship,
        "subscriber_first_name": coverage.subscriber_first_name,
        "subscriber_last_name": coverage.subscriber_last_name,
        "subscriber_date_of_birth": coverage.subscriber_date_of_birth,
        "subscriber_sex": coverage.subscriber_sex,
        "effective_date": coverage.effective_date,
        "end_date": coverage.end_date,
        "copay": coverage.copay,
        "status": selectors.coverage_status(coverage, on=today),
    }


def _patient_out(request, patient: Patient) -> dict:
    data = {name: getattr(patient, name) for name in PatientIn.model_fields}
    today = timezone.localdate()
    data.update(
        id=patient.pk,
        mrn=patient.mrn,
        home_location=patient.home_location_id,
        home_location_name=patient.home_location.name if patient.home_location else None,
        active=patient.active,
        merged_into=patient.merged_into_id,
        created_at=patient.created_at,
        age=patient.age_on(today),
        coverages=None,
    )
    if request.user.has_perm("patients.view_coverage"):
        data["coverages"] = [
            _coverage_out(c, show_member_id=True, today=today)
            for c in selectors.coverages_of(patient, on=today)
        ]
    return data


def _summary(patient: Patient) -> dict:
    return {
        "id": patient.pk,
        "mrn": patient.mrn,
        "first_name": patient.first_name,
        "middle_name": patient.middle_name,
        "last_name": patient.last_name,
        "name_suffix": patient.name_suffix,
        "preferred_name": patient.preferred_name,
        "date_of_birth": patient.date_of_birth,
        "phone_mobile": patient.phone_mobile,
        "phone_home": patient.phone_home,
        "home_location": patient.home_location.name if patient.home_location_id else None,
        "active": patient.active,
        "merged_into": patient.merged_into_id,
        "match": getattr(patient, "match", None),
    }


def _by_id(model, pk: int | None, field: str, what: str):
    """The row ``pk`` names, or a 404 naming the field that held the unknown id."""
    if pk is None:
        return None
    row = model.objects.filter(pk=pk).first() if 0 < pk <= selectors.MAX_ID else None
    if row is None:
        raise DomainError(errors.NOT_FOUND, f"There is no {what} with id {pk}.", field, status=404)
    return row


def _patient_fields(values: dict) -> dict:
    if "home_location" in values:
        values["home_location"] = _by_id(
            Location, values["home_location"], "home_location", "location"
        )
    return values


def _coverage_fields(values: dict) -> dict:
    if "payer" in values:
        if values["payer"] is None:
            raise errors.invalid("Choose the payer.", "payer")
        values["payer"] = _by_id(Payer, values["payer"], "payer", "payer")
    return values


def _merge_out(merge: PatientMerge) -> dict:
    return {
        "id": merge.pk,
        "survivor": merge.survivor_id,
        "duplicate": merge.duplicate_id,
        "reason": merge.reason,
        "merged_by": merge.merged_by.get_username(),
        "merged_at": merge.merged_at,
        "moved_rows": merge.moved_rows,
        "kept_rows": merge.kept_rows,
        "unmerged_at": merge.unmerged_at,
        "unmerged_by": merge.unmerged_by.get_username() if merge.unmerged_by else None,
    }


# --- patients -------------------------------------------------------------------------


@router.get("/patients", response=list[PatientSummary], summary="Find patients")
def list_patients(
    request: HttpRequest,
    q: str = Query("", description="Name (smith, j), date of birth, phone or MRN"),
    limit: int = Query(25, ge=1, le=100),
    offset: int = Query(0, ge=0, le=10_000),
    include_inactive: bool = False,
):
    """Patients matching ``q``, best first; with no ``q``, every patient in name order."""
    _require(request, "patients.view_patient")
    q = q.strip()[:200]
    if q:
        rows = selectors.search_patients(
            query=q, limit=limit, offset=offset, include_inactive=include_inactive
        )
    else:
        rows = list(
            selectors.browse_patients(include_inactive=include_inactive)[offset : offset + limit]
        )
    record_access(
        user=request.user,
        action=VIEW,
        object_type="patient list",
        object_id="",
        ip_address=client_address(request),
        detail=f"api search: {q}" if q else f"api list from {offset}",
    )
    return [_summary(p) for p in rows]


@router.post("/patients", response={201: PatientOut}, summary="Register a patient")
def create_patient(request: HttpRequest, payload: PatientIn):
    _require(request, "patients.add_patient")
    patient = register_patient(
        actor=request.user,
        ip_address=client_address(request),
        **_patient_fields(payload.model_dump()),
    )
    patient = selectors.access_patient(user=request.user, patient_id=patient.pk)
    return Status(201, _patient_out(request, patient))


@router.get("/patients/{patient_id}", response=PatientOut, summary="One patient's record")
def get_patient(request: HttpRequest, patient_id: int):
    patient = selectors.access_patient(user=request.user, patient_id=patient_id)
    log_patient_access(request, patient_id=patient.pk, detail="api")
    return _patient_out(request, patient)


@router.patch("/patients/{patient_id}", response=PatientOut, summary="Change a patient's record")
def patch_patient(request: HttpRequest, patient_id: int, payload: PatientPatch):
    patient = selectors.access_patient(
        user=request.user, patient_id=patient_id, perm="patients.change_patient"
    )
    changes = _patient_fields(payload.model_dump(exclude_unset=True))
    update_patient(
        actor=request.user, patient=patient, ip_address=client_address(request), **changes
    )
    patient = selectors.access_patient(user=request.user, patient_id=patient.pk)
    return _patient_out(request, patient)


# --- coverages and payers -------------------------------------------------------------


@router.get(
    "/patients/{patient_id}/coverages",
    response=list[CoverageOut],
    summary="A patient's coverages, active first",
)
def list_coverages(request: HttpRequest, patient_id: int):
    _require(request, "patients.view_coverage")
    patient = selectors.access_patient(user=request.user, patient_id=patient_id)
    log_patient_access(request, patient_id=patient.pk, object_type="coverage list", detail="api")
    today = timezone.localdate()
    return [
        _coverage_out(c, show_member_id=True, today=today)
        for c in selectors.coverages_of(patient, on=today)
    ]


@router.post(
    "/patients/{patient_id}/coverages",
    response={201: CoverageOut},
    summary="Add a coverage",
)
def create_coverage(request: HttpRequest, patient_id: int, payload: CoverageIn):
    patient = selectors.access_patient(
        user=request.user, patient_id=patient_id, perm="patients.add_coverage"
    )
    coverage = add_coverage(
        actor=request.user,
        patient=patient,
        ip_address=client_address(request),
        **_coverage_fields(payload.model_dump()),
    )
    return Status(201, _coverage_out(coverage, show_member_id=True, today=timezone.localdate()))


@router.patch("/coverages/{coverage_id}", response=CoverageOut, summary="Change or end a coverage")
def patch_coverage(request: HttpRequest, coverage_id: int, payload: CoveragePatch):
    coverage = selectors.access_coverage(
        user=request.user, coverage_id=coverage_id, perm="patients.change_coverage"
    )
    coverage = update_coverage(
        actor=request.user,
        coverage=coverage,
        ip_address=client_address(request),
        **_coverage_fields(payload.model_dump(exclude_unset=True)),
    )
    return _coverage_out(coverage, show_member_id=True, today=timezone.localdate())


@router.get("/payers", response=list[PayerOut], summary="The payers the office bills")
def list_payers(request: HttpRequest, include_inactive: bool = False):
    _require(request, "patients.view_payer")
    payers = Payer.objects.order_by("name")
    return list(payers if include_inactive else payers.filter(active=True))


# --- merges ---------------------------------------------------------------------------


@router.post(
    "/patients/{patient_id}/merge",
    response=MergeOut,
    summary="Merge a duplicate record into this one",
)
def merge(request: HttpRequest, patient_id: int, payload: MergeIn):
    survivor = selectors.access_patient(
        user=request.user, patient_id=patient_id, perm="patients.add_patientmerge"
    )
    duplicate = _by_id(Patient, payload.duplicate, "duplicate", "patient")
    done = merge_patients(
        actor=request.user,
        survivor=survivor,
        duplicate=duplicate,
        reason=payload.reason,
        ip_address=client_address(request),
    )
    return _merge_out(done)


@router.post("/patient-merges/{merge_id}/unmerge", response=MergeOut, summary="Undo a merge")
def unmerge(request: HttpRequest, merge_id: int, payload: UnmergeIn):
    _require(request, "patients.change_patientmerge")
    found = _by_id(PatientMerge, merge_id, "merge_id", "merge")
    done = unmerge_patients(
        actor=request.user,
        merge=found,
        reason=payload.reason,
        ip_address=client_address(request),
    )
    return _merge_out(done)
